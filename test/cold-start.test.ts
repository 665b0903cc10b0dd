import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { TS_LOADER } from './helpers/loader.js'

// Cold start (docs/architecture.md, "Lazy engines"): importing the package and creating a verifier
// load no engine; the Fastify plugin warms the engines its routes use at onReady, so the first claim
// of every type on a fresh process is judged, not `<engine>.unavailable`. Each case runs in a child
// process, the only place a process is cold. Verdicts are asserted, never durations.
t.setTimeout(600_000)

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const INDEX = new URL(`../lib/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href

// The child's script is a file, not `-e`: Z3's threads inherit the child's flags, and a worker
// cannot start with --input-type.
const dir = mkdtempSync(join(tmpdir(), 'qwed-cold-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let scripts = 0

async function child (code: string): Promise<unknown> {
  const file = join(dir, `child-${++scripts}.mjs`)
  writeFileSync(file, code)
  const proc = spawn(process.execPath, [...TS_LOADER, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  proc.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const status = await new Promise<number | null>((resolve) => proc.on('close', resolve))
  const last = stdout.trim().split('\n').pop() ?? ''
  if (status !== 0 || !last.startsWith('{')) throw new Error(`child exited ${String(status)}: ${stderr.slice(-2000)}`)
  return JSON.parse(last)
}

// Records every module a process loads: ESM through a load hook (posted from the hooks thread),
// CommonJS from the require cache. A package counts as loaded when a file under node_modules/<pkg> is.
const RECORDER = `
import Module, { register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'
const { port1, port2 } = new MessageChannel()
const esm = new Set()
port1.on('message', (url) => { esm.add(url) })
port1.unref()
const hooks = 'let port; export function initialize (data) { port = data.port } export async function load (url, context, next) { port.postMessage(url); return next(url, context) }'
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] })
async function packages () {
  await new Promise((resolve) => setTimeout(resolve, 200))
  const names = new Set()
  for (const file of [...esm, ...Object.keys(Module._cache)]) {
    const match = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(decodeURIComponent(file))
    if (match) names.add(match[1].replace('\\\\', '/'))
  }
  return [...names].sort()
}
`

const HEAVY = ['mathjs', 'node-sql-parser', 'z3-solver', 'ajv', 'oxc-parser', 'web-tree-sitter', 're2js', 'typed-function', 'sanitize-html', 'undici']

t.test('importing the package and creating a verifier load no engine; the first symbolic math claim loads mathjs', async (t) => {
  const out = await child(`${RECORDER}
    const { createVerifier } = await import(${JSON.stringify(INDEX)})
    const verifier = createVerifier({ audit: false })
    const afterCreate = await packages()
    const plain = await verifier.verify({ type: 'math', expression: '2 + 2 = 4' })
    const afterPlain = await packages()
    const math = await verifier.verify({ type: 'math', expression: 'x + x = 2*x' })
    const afterMath = await packages()
    await verifier.close()
    console.log(JSON.stringify({ afterCreate, afterPlain, afterMath, plain: plain.status, status: math.status }))
  `) as { afterCreate: string[], afterPlain: string[], afterMath: string[], plain: string, status: string }
  for (const pkg of HEAVY) t.notOk(out.afterCreate.includes(pkg), `${pkg} is not loaded by import + createVerifier`)
  t.ok(out.afterCreate.includes('lru-cache'), 'the recorder sees packages that are loaded (lru-cache)')
  t.equal(out.plain, 'VERIFIED')
  t.notOk(out.afterPlain.includes('mathjs'), 'plain arithmetic is decided by the fast path: mathjs stays unloaded')
  t.equal(out.status, 'VERIFIED')
  t.ok(out.afterMath.includes('mathjs'), 'the first symbolic math claim loaded mathjs')
  t.notOk(out.afterMath.includes('node-sql-parser'), 'and nothing else: no SQL parser')
  t.notOk(out.afterMath.includes('z3-solver'), 'no Z3')
})

// One claim of every embedded type, each the first of its type in the process.
const FIRST_CLAIMS = [
  { type: 'math', expression: '2 + 2 = 4' },
  { type: 'math', operation: 'percentage', calculation: 'of', percentage: 15, value: 80, expected: 12 },
  { type: 'sql', query: 'SELECT id, name FROM users WHERE id = 1' },
  { type: 'code', language: 'python', code: 'print(sum([1, 2, 3]))' },
  { type: 'code', language: 'javascript', code: 'console.log([1, 2, 3].length)' },
  { type: 'schema', data: { id: 1 }, schema: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } },
  { type: 'transaction', subtotal: '10.00', tax: '0.80', total: '10.80' },
  { type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1', 'x < 3'] },
  { type: 'stats', statistic: 'mean', data: [1, 2, 3, 4], expected: 2.5 }
]

t.test('Fastify: the plugin warms the engines at onReady; the first claim of every type is judged', async (t) => {
  const out = await child(`
    const { default: Fastify } = await import(${JSON.stringify(import.meta.resolve('fastify'))})
    const { default: qwed } = await import(${JSON.stringify(INDEX)})
    // no plugin timeout: the app waits for the whole warm-up however loaded the machine is (by
    // default it waits half the plugin timeout and warms the rest in the background)
    const app = Fastify({ pluginTimeout: 0 })
    await app.register(qwed, { audit: false })
    app.post('/answer', { config: { qwed: { claims: (request) => request.body.claims } } }, async (request) => ({ ok: true }))
    await app.ready()
    const results = []
    for (const claim of ${JSON.stringify(FIRST_CLAIMS)}) {
      const r = await app.qwed.verify(claim)
      results.push({ type: claim.type, status: r.status, constraint: r.developer_fields.constraint_id })
    }
    await app.close()
    console.log(JSON.stringify({ results }))
  `) as { results: Array<{ type: string, status: string, constraint: string }> }
  t.equal(out.results.length, FIRST_CLAIMS.length)
  for (const r of out.results) {
    t.notMatch(r.constraint, /\.(unavailable|timeout)$/, `${r.type}: judged on a cold process (${r.constraint})`)
    t.equal(r.status, 'VERIFIED', `${r.type}: VERIFIED`)
  }
})

t.test('a verifier without the plugin: warmUp(claimTypes) loads only those engines', async (t) => {
  const out = await child(`${RECORDER}
    const { createVerifier } = await import(${JSON.stringify(INDEX)})
    const verifier = createVerifier({ audit: false })
    await verifier.warmUp(['sql'])
    const afterWarm = await packages()
    const sql = await verifier.verify({ type: 'sql', query: 'SELECT 1' })
    await verifier.close()
    console.log(JSON.stringify({ afterWarm, status: sql.status }))
  `) as { afterWarm: string[], status: string }
  t.ok(out.afterWarm.includes('node-sql-parser'), 'the SQL engine loaded')
  t.notOk(out.afterWarm.includes('mathjs'), 'the math engine did not')
  t.notOk(out.afterWarm.includes('z3-solver'), 'nor Z3')
  t.equal(out.status, 'VERIFIED')
})

t.test('Fastify: the warmUp option narrows what loads at onReady (a list), or loads nothing (false)', async (t) => {
  const out = await child(`${RECORDER}
    const { default: Fastify } = await import(${JSON.stringify(import.meta.resolve('fastify'))})
    const { default: qwed } = await import(${JSON.stringify(INDEX)})
    const loadedBy = async (warmUp) => {
      const app = Fastify({ pluginTimeout: 0 })
      await app.register(qwed, { audit: false, warmUp })
      app.post('/answer', { config: { qwed: { claims: (request) => request.body.claims } } }, async () => ({ ok: true }))
      await app.ready()
      const loaded = await packages()
      await app.close()
      return loaded
    }
    const off = await loadedBy(false)
    const sql = await loadedBy(['sql'])
    console.log(JSON.stringify({ off, sql }))
  `) as { off: string[], sql: string[] }
  // Fastify itself loads ajv (its schema compiler): ajv says nothing about our engines here.
  for (const pkg of HEAVY.filter((name) => name !== 'ajv')) t.notOk(out.off.includes(pkg), `warmUp: false: ${pkg} not loaded at ready`)
  t.ok(out.sql.includes('node-sql-parser'), "warmUp: ['sql']: the SQL engine loaded")
  t.notOk(out.sql.includes('z3-solver'), 'but not Z3, though the route has a claims() function')
  t.notOk(out.sql.includes('mathjs'), 'nor mathjs')
})

t.test('Express: declaring routes starts the warm-up in the background; the warmUp option narrows it or turns it off', async (t) => {
  const out = await child(`${RECORDER}
    const { qwedExpress } = await import(${JSON.stringify(new URL(`../lib/express${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href)})
    const loadedBy = async (warmUp) => {
      const qwed = qwedExpress({ audit: false, warmUp })
      qwed.route({ claims: (body) => body.claims })
      const before = qwed.verifier.status().warmUp
      // the warm-up starts on the next turn of the event loop, after the routes declared with it
      while (qwed.verifier.status().warmUp === 'not_started' && warmUp !== false) await new Promise((resolve) => setImmediate(resolve))
      const started = qwed.verifier.status().warmUp
      while (qwed.verifier.status().warmUp === 'pending') await new Promise((resolve) => setTimeout(resolve, 10))
      const loaded = await packages()
      const status = qwed.verifier.status().warmUp
      await qwed.close()
      return { before, started, status, loaded }
    }
    const off = await loadedBy(false)
    const sql = await loadedBy(['sql'])
    console.log(JSON.stringify({ off, sql }))
  `) as Record<'off' | 'sql', { before: string, started: string, status: string, loaded: string[] }>
  t.equal(out.sql.before, 'not_started', 'nothing runs inside qwed.route() itself')
  t.equal(out.sql.status, 'done')
  t.ok(out.sql.loaded.includes('node-sql-parser'), "warmUp: ['sql']: the SQL engine loaded")
  t.notOk(out.sql.loaded.includes('z3-solver'), 'but not Z3, though the route has a claims() function')
  t.notOk(out.sql.loaded.includes('mathjs'), 'nor mathjs')
  t.equal(out.off.status, 'not_started', 'warmUp: false: no warm-up')
  for (const pkg of HEAVY) t.notOk(out.off.loaded.includes(pkg), `warmUp: false: ${pkg} not loaded`)
})
