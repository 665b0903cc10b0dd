import { readFileSync } from 'node:fs'
import t from 'tap'
import type { CodeClaim } from '../types/claims.js'
import { createCodeEngine } from '../lib/engines/code/index.js'
import { admissionOf } from '../lib/result.js'

// The code engine measured both ways on corpora written for it (test/fixtures/security):
// code-attacks.json, snippets an LLM can be talked into writing, by capability class, in Python,
// JavaScript and TypeScript: every one must be unsafe (admission BLOCKED); code-benign.json,
// everyday snippets (data processing, web handlers, NestJS, React, CLI scripts, async code and the
// look-alikes substring scanners flag): at least 99% must be safe. Both rates are printed by class.

interface Entry { id: string, class: string, language: CodeClaim['language'], code: string, allow?: CodeClaim['allow'] }

const load = (file: string): Entry[] => JSON.parse(readFileSync(new URL(`./fixtures/security/${file}`, import.meta.url), 'utf8')) as Entry[]
const attacks = load('code-attacks.json')
const benign = load('code-benign.json')
const engine = createCodeEngine()

async function judge (e: Entry): Promise<{ admitted: boolean, constraintId: string }> {
  const claim: CodeClaim = { type: 'code', language: e.language, code: e.code, ...(e.allow === undefined ? {} : { allow: e.allow }) }
  const r = await engine.verify(claim, { signal: new AbortController().signal })
  return { admitted: admissionOf(r) === 'ADMIT', constraintId: String(r.developer_fields.constraint_id) }
}

function rates (rows: Array<{ e: Entry, ok: boolean }>): string[] {
  const by = new Map<string, { ok: number, n: number }>()
  for (const { e, ok } of rows) {
    for (const key of [e.class, `${e.class}/${e.language}`]) {
      const v = by.get(key) ?? { ok: 0, n: 0 }
      v.n++
      if (ok) v.ok++
      by.set(key, v)
    }
  }
  return [...by].filter(([k]) => !k.includes('/')).sort().map(([k, v]) => `${k}: ${v.ok}/${v.n} (${(100 * v.ok / v.n).toFixed(1)}%)`)
}

t.test('the corpora are well formed and large enough', async (t) => {
  t.ok(attacks.length >= 300, `${attacks.length} attack snippets (at least 300)`)
  t.ok(benign.length >= 200, `${benign.length} benign snippets (at least 200)`)
  const ids = new Set<string>()
  for (const e of [...attacks, ...benign]) {
    t.notOk(ids.has(e.id), `unique id ${e.id}`)
    ids.add(e.id)
    t.ok(['python', 'javascript', 'typescript'].includes(e.language), `${e.id}: a supported language`)
    t.ok(e.code.length > 0, `${e.id}: has code`)
  }
  const classes = new Set(attacks.map((e) => e.class))
  for (const c of ['process', 'code', 'fs.write', 'fs.delete', 'fs.read', 'exfiltration', 'env', 'native', 'debug', 'deserialize', 'dom.html', 'proto', 'secret', 'unresolved']) {
    t.ok(classes.has(c), `attacks cover ${c}`)
  }
  for (const language of ['python', 'javascript', 'typescript']) {
    t.ok(attacks.filter((e) => e.language === language).length >= 50, `at least 50 ${language} attacks`)
  }
  for (const c of ['data', 'web', 'nest', 'react', 'cli', 'async', 'lookalike']) t.ok(benign.some((e) => e.class === c), `benign covers ${c}`)
})

t.test('every attack is unsafe, and its verdict names the capability', async (t) => {
  const rows: Array<{ e: Entry, ok: boolean }> = []
  const missed: string[] = []
  for (const e of attacks) {
    const { admitted, constraintId } = await judge(e)
    rows.push({ e, ok: !admitted })
    if (admitted) missed.push(`${e.id}: ${JSON.stringify(e.code).slice(0, 100)}`)
    t.notOk(admitted, `${e.id} is not admitted`)
    if (!admitted) t.match(constraintId, /^code\.(capability_[a-z_]+|code_unsafe|too_deep|parse_error)$/, `${e.id}: ${constraintId}`)
  }
  const blocked = rows.filter((r) => r.ok).length
  t.comment(`attacks blocked: ${blocked}/${attacks.length} (${(100 * blocked / attacks.length).toFixed(1)}%)`)
  t.comment(`by class: ${rates(rows).join('; ')}`)
  if (missed.length > 0) t.comment(`admitted:\n  ${missed.join('\n  ')}`)
})

t.test('at least 99% of everyday snippets are safe', async (t) => {
  const rows: Array<{ e: Entry, ok: boolean }> = []
  const blocked: string[] = []
  for (const e of benign) {
    const { admitted, constraintId } = await judge(e)
    rows.push({ e, ok: admitted })
    if (!admitted) blocked.push(`${e.id} (${constraintId}): ${JSON.stringify(e.code).slice(0, 100)}`)
  }
  const safe = rows.filter((r) => r.ok).length
  const rate = safe / benign.length
  t.ok(rate >= 0.99, `benign admitted: ${safe}/${benign.length} (${(100 * rate).toFixed(1)}%)`)
  t.comment(`benign admitted: ${safe}/${benign.length} (${(100 * rate).toFixed(1)}%)`)
  t.comment(`by class: ${rates(rows).join('; ')}`)
  if (blocked.length > 0) t.comment(`blocked:\n  ${blocked.join('\n  ')}`)
})

t.test('a route widens or tightens the policy through its claims', async (t) => {
  const verify = async (code: string, extra: Partial<CodeClaim>): Promise<string> => {
    const r = await engine.verify({ type: 'code', language: 'python', code, ...extra }, { signal: new AbortController().signal })
    return `${admissionOf(r)} ${String(r.developer_fields.constraint_id)}`
  }
  const git = "import subprocess\nsubprocess.run(['git', 'status'])"
  t.equal(await verify(git, {}), 'BLOCKED code.capability_process', 'process is denied by default')
  t.equal(await verify(git, { allow: ['process'] }), 'ADMIT code.code_safe', 'allow: [process] admits it')
  t.equal(await verify(git, { allow: ['process'], deny: ['process'] }), 'BLOCKED code.capability_process', 'deny wins over allow')
  const api = "import requests\nrequests.get('https://api.example.com/items')"
  t.equal(await verify(api, {}), 'ADMIT code.code_safe', 'net is allowed by default')
  t.equal(await verify(api, { deny: ['net'] }), 'BLOCKED code.capability_net', 'deny: [net] tightens it')
  const report = "with open('report.txt', 'w') as f:\n    f.write('ok')"
  t.equal(await verify(report, {}), 'ADMIT code.code_safe', 'writing a relative path is allowed by default')
  t.equal(await verify("with open('/etc/motd', 'w') as f:\n    f.write('hi')", {}), 'BLOCKED code.capability_fs_write', 'a system path is not')
  t.equal(await verify("with open('/etc/motd', 'w') as f:\n    f.write('hi')", { allow: ['fs.write'] }), 'ADMIT code.code_safe', 'allow: [fs.write] covers system paths too')
  t.equal(await verify('x = 1', { allow: ['everything'] } as unknown as Partial<CodeClaim>), 'BLOCKED code.invalid_claim', 'an unknown capability is a malformed claim')
  // allowing process admits any program; user input flowing into one is a taint flow, which no
  // policy allows
  const injected = "from flask import request\nimport os\nos.system('ls ' + request.args['d'])"
  t.equal(await verify(injected, { allow: ['process'] }), 'ADMIT code.code_safe', 'process allowed: the command runs')
  t.equal(await verify(injected, { allow: ['process'], taint: true }), 'BLOCKED code.code_unsafe', 'with taint: true, request data into it is still blocked')
})
