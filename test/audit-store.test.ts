import { TS_LOADER } from './helpers/loader.js'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import qwed from '../lib/index.js'
import { QwedOptionsError } from '../lib/errors.js'
import type { AuditQuery, AuditRecord, AuditRow, AuditStore, ChainReport } from '../lib/observe/store/index.js'
import { SqliteAuditStore } from '../lib/observe/store/sqlite.js'
import { createVerifier } from '../lib/verifier.js'
import type { VerifierOptions } from '../types/options.js'
import { captureLogger, scriptEngine, type ScriptClaim } from './helpers/engines.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const silent = pino({ level: 'silent' })
const script = (verdict: ScriptClaim['verdict'], id?: number): any => ({ type: 'script', verdict, id })

function tempDb (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'qwed-audit-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'audit.db')
}

function open (t: Test, path: string): SqliteAuditStore {
  const store = new SqliteAuditStore(path, { readonly: true })
  t.teardown(() => store.close())
  return store
}

async function metric (registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? []
  return values.filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)).reduce((sum, v) => sum + v.value, 0)
}

function sqliteVerifier (t: Test, path: string, audit: Record<string, unknown> = {}, options: VerifierOptions = {}) {
  const registry = new Registry()
  const verifier = createVerifier({
    cache: false,
    extraEngines: [scriptEngine()],
    metrics: { registry },
    audit: { logger: silent, store: 'sqlite', path, ...audit },
    ...options
  })
  t.teardown(() => verifier.close())
  return { verifier, registry }
}

t.test('5,000 verifications under load: every row is in the file after close, chained', async (t) => {
  const path = tempDb(t)
  const { verifier, registry } = sqliteVerifier(t, path, { queue: { max: 1000, batchSize: 200 } })
  const verdicts: Array<ScriptClaim['verdict']> = ['true', 'false', 'blocked']
  const results = await Promise.all(Array.from({ length: 5000 }, async (_, i) =>
    await verifier.verify(script(verdicts[i % 3]!, i), { route: '/load', requestId: `req-${i}`, mode: i % 2 === 0 ? 'enforce' : 'shadow' })))
  await verifier.close()
  t.equal(await metric(registry, 'qwed_audit_written_total'), 5000)
  t.equal(await metric(registry, 'qwed_audit_dropped_total'), 0, 'nothing dropped (onFull block)')
  t.equal(await metric(registry, 'qwed_audit_queue_depth'), 0)

  const store = open(t, path)
  t.equal(store.count(), 5000)
  t.match(store.verifyChain(), { ok: true, rows: 5000, firstId: 1, lastId: 5000 })
  t.same(store.integrityCheck(), ['ok'])
  const rows = store.query({ limit: 5000 })
  t.same(new Set(rows.map((r) => r.request_id)).size, 5000, 'one row per verification')
  const byRequest = new Map(rows.map((r) => [r.request_id, r]))
  for (const i of [0, 1, 2, 4999]) {
    const row = byRequest.get(`req-${i}`) as AuditRow
    const result = results[i]!
    t.match(row, {
      route: '/load',
      engine: 'script',
      claim_hash: /^sha256:[0-9a-f]{64}$/,
      status: result.status,
      admission: result.admission,
      proof_ref: result.proof_ref,
      constraint_id: result.developer_fields.constraint_id,
      duration_ms: result.duration_ms,
      mode: i % 2 === 0 ? 'enforce' : 'shadow',
      decision: result.admission === 'ADMIT' ? 'admit' : i % 2 === 0 ? 'block' : 'shadow',
      cached: false,
      agent_message: result.agent_message,
      claim: null
    }, `row of req-${i}`)
    t.same(row.evidence, result.developer_fields)
    t.match(row.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  }
})

t.test('verifier.audit.query filters by time, status, admission, route, and pages', async (t) => {
  const path = tempDb(t)
  const { verifier } = sqliteVerifier(t, path)
  for (let i = 0; i < 6; i++) await verifier.verify(script(i % 2 === 0 ? 'true' : 'false', i), { route: '/a', requestId: `a${i}` })
  await verifier.audit!.flush()
  await new Promise((resolve) => setTimeout(resolve, 5))
  const between = new Date()
  await new Promise((resolve) => setTimeout(resolve, 5))
  for (let i = 0; i < 4; i++) await verifier.verify(script('blocked', i), { route: '/b', requestId: `b${i}` })

  const audit = verifier.audit!
  t.equal(audit.pending > 0 || (await audit.query({ limit: 100 })).length === 10, true)
  t.equal((await audit.query()).length, 10, 'a read writes the queue first')
  const ids = async (q: AuditQuery) => (await audit.query(q)).map((r) => r.request_id)
  t.same(await ids({ until: between }), ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'])
  t.same(await ids({ since: between.toISOString() }), ['b0', 'b1', 'b2', 'b3'])
  t.same(await ids({ since: between.getTime(), status: 'BLOCKED' }), ['b0', 'b1', 'b2', 'b3'])
  t.same(await ids({ status: ['VERIFIED'] }), ['a0', 'a2', 'a4'])
  t.same(await ids({ admission: 'BLOCKED', route: '/a' }), ['a1', 'a3', 'a5'])
  t.same(await ids({ decision: 'block', route: '/b', limit: 2 }), ['b0', 'b1'])
  t.same(await ids({ route: '/a', order: 'desc', limit: 2 }), ['a5', 'a4'])
  t.same(await ids({ afterId: 8 }), ['b2', 'b3'])
  t.same(await ids({ requestId: 'a3' }), ['a3'])
  t.same(await ids({ engine: 'math' }), [])
  for (const bad of [{ since: 'yesterday' }, { status: 'OK' }, { limit: 0 }, { order: 'up' }, { route: 5 }, { admission: [] }, { afterId: 1.5 }]) {
    await t.rejects(audit.query(bad as any), RangeError, JSON.stringify(bad))
  }
  t.match(await audit.verifyChain(), { ok: true, rows: 10 })
})

t.test('the Fastify plugin writes one row per verified claim with route pattern and request id', async (t) => {
  const path = tempDb(t)
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [scriptEngine()], audit: { logger: silent, store: 'sqlite', path } })
  app.get('/answer/:id', {
    config: { qwed: { claims: (payload: { v: ScriptClaim['verdict'] }) => script(payload.v) } }
  }, async (request) => ({ v: (request.query as { v: string }).v }))
  const a = await app.inject({ method: 'GET', url: '/answer/1?v=true' })
  const b = await app.inject({ method: 'GET', url: '/answer/2?v=false' })
  t.equal(a.statusCode, 200)
  t.equal(b.statusCode, 422)
  t.match(await app.qwed.audit?.verifyChain(), { ok: true, rows: 2 })
  await app.close()

  const rows = open(t, path).query()
  t.equal(rows.length, 2)
  t.match(rows[0], { route: '/answer/:id', request_id: 'req-1', status: 'VERIFIED', admission: 'ADMIT', decision: 'admit', mode: 'enforce' })
  t.match(rows[1], { route: '/answer/:id', request_id: 'req-2', status: 'UNVERIFIABLE', admission: 'BLOCKED', decision: 'block' })
})

t.test('audit options are checked at creation and name the bad option', async (t) => {
  const path = tempDb(t)
  const bad: Array<[unknown, string]> = [
    [{ store: 'sqlite' }, 'audit.path'],
    [{ store: 'postgres', path }, 'audit.store'],
    [{ store: { append () {} } }, 'audit.store'],
    [{ path }, 'audit.path'],
    [{ store: { append () {}, query () {}, verifyChain () {} }, path }, 'audit.path'],
    [{ retentionDays: 7 }, 'audit.retentionDays'],
    [{ store: 'sqlite', path, retentionDays: 0 }, 'audit.retentionDays'],
    [{ store: 'sqlite', path, retentionDays: -1 }, 'audit.retentionDays'],
    [{ store: 'sqlite', path, queue: { onFull: 'wait' } }, 'audit.queue.onFull'],
    [{ store: 'sqlite', path, queue: { max: 0 } }, 'audit.queue.max'],
    [{ store: 'sqlite', path, queue: { batchSize: 1.5 } }, 'audit.queue.batchSize'],
    [{ store: 'sqlite', path, queue: { flushIntervalMs: 0 } }, 'audit.queue.flushIntervalMs'],
    [{ store: 'sqlite', path, queue: { size: 1 } }, 'audit.queue.size'],
    [{ store: 'sqlite', path, queue: 5 }, 'audit.queue'],
    [{ store: 'sqlite', path: join(path, 'no', 'such', 'dir', 'a.db') }, 'audit.path']
  ]
  for (const [audit, option] of bad) {
    t.throws(() => createVerifier({ audit: audit as any }), { name: QwedOptionsError.name, option }, JSON.stringify(audit))
  }
  const ok = createVerifier({ audit: { logger: silent, store: 'sqlite', path, retentionDays: 0.5, queue: { max: 10, batchSize: 5, flushIntervalMs: 10, onFull: 'reject' } } })
  t.ok(ok.audit)
  await ok.close()
  const none = createVerifier({ audit: { logger: silent } })
  t.equal(none.audit, null, 'no store: verifier.audit is null')
  await none.close()
})

/** An async store whose writes wait until `open()` (a slow disk, a remote database). */
function gateStore (): AuditStore & { records: AuditRecord[], batches: number, open: () => void } {
  let release: () => void = () => {}
  let gate = new Promise<void>((resolve) => { release = resolve })
  const store = {
    records: [] as AuditRecord[],
    batches: 0,
    open () { release(); gate = Promise.resolve() },
    async append (records: readonly AuditRecord[]) {
      await gate
      store.batches++
      store.records.push(...records)
    },
    query: (): AuditRow[] => [],
    verifyChain: (): ChainReport => ({ ok: true, rows: store.records.length, firstId: null, lastId: null, head: null, anchor: null, broken: null })
  }
  return store
}

async function until (condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 2000 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 1))
}

function gatedVerifier (t: Test, onFull: 'block' | 'drop_oldest' | 'reject') {
  const store = gateStore()
  const registry = new Registry()
  const capture = captureLogger()
  const verifier = createVerifier({
    cache: false,
    extraEngines: [scriptEngine()],
    metrics: { registry },
    audit: { logger: capture.logger, store, queue: { max: 5, batchSize: 5, flushIntervalMs: 1, onFull } }
  })
  t.teardown(() => verifier.close())
  return { store, registry, verifier, capture }
}

t.test('queue full, drop_oldest: the newest records are kept, every drop is counted and logged', async (t) => {
  const { store, registry, verifier, capture } = gatedVerifier(t, 'drop_oldest')
  for (let i = 0; i < 30; i++) await verifier.verify(script('true', i), { requestId: `r${i}` })
  t.ok(await metric(registry, 'qwed_audit_queue_depth') > 0, 'records wait while the store is slow')
  store.open()
  await verifier.audit!.flush()
  const dropped = await metric(registry, 'qwed_audit_dropped_total', { reason: 'drop_oldest' })
  t.ok(dropped > 0, `dropped ${dropped}`)
  t.equal(await metric(registry, 'qwed_audit_queue_full_total', { policy: 'drop_oldest' }), dropped)
  t.equal(await metric(registry, 'qwed_audit_written_total'), 30 - dropped)
  t.equal(store.records.length, 30 - dropped, 'written + dropped = verified: no silent loss')
  const kept = store.records.map((r) => r.request_id)
  t.same(kept.slice(-5), ['r25', 'r26', 'r27', 'r28', 'r29'], 'the newest records survive')
  t.same(kept, [...kept].sort((a, b) => Number(a!.slice(1)) - Number(b!.slice(1))), 'in order')
  t.equal(await metric(registry, 'qwed_audit_queue_depth'), 0)
  t.ok(capture.records.some((r) => r.reason === 'drop_oldest' && /dropped/.test(r.msg)), 'the loss is logged')
})

t.test('queue full, reject: the new record is dropped and counted', async (t) => {
  const { store, registry, verifier } = gatedVerifier(t, 'reject')
  for (let i = 0; i < 30; i++) await verifier.verify(script('true', i), { requestId: `r${i}` })
  store.open()
  await verifier.audit!.flush()
  const dropped = await metric(registry, 'qwed_audit_dropped_total', { reason: 'reject' })
  t.ok(dropped > 0)
  t.equal(await metric(registry, 'qwed_audit_queue_full_total', { policy: 'reject' }), dropped)
  t.equal(store.records.length, 30 - dropped)
  t.same(store.records.slice(0, 5).map((r) => r.request_id), ['r0', 'r1', 'r2', 'r3', 'r4'], 'the oldest records survive')
})

t.test('queue full, block: verify waits for room and nothing is lost', async (t) => {
  const { store, registry, verifier } = gatedVerifier(t, 'block')
  let settled = 0
  const all = Array.from({ length: 30 }, async (_, i) => {
    const r = await verifier.verify(script('true', i), { requestId: `r${i}` })
    settled++
    return r
  })
  await until(async () => await metric(registry, 'qwed_audit_queue_full_total', { policy: 'block' }) > 0)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(settled < 30, `verifications wait while the queue is full (${settled} of 30 done)`)
  store.open()
  const results = await Promise.all(all)
  await verifier.audit!.flush()
  t.equal(results.length, 30)
  t.equal(store.records.length, 30)
  t.same(store.records.map((r) => r.request_id), Array.from({ length: 30 }, (_, i) => `r${i}`), 'every record, in order')
  t.equal(await metric(registry, 'qwed_audit_dropped_total'), 0)
  t.ok(await metric(registry, 'qwed_audit_queue_full_total', { policy: 'block' }) > 0, 'the full queue is counted')
})

t.test('a store that fails: the batch is counted as write_error and logged; verification goes on', async (t) => {
  const registry = new Registry()
  const capture = captureLogger()
  const verifier = createVerifier({
    extraEngines: [scriptEngine()],
    metrics: { registry },
    audit: {
      logger: capture.logger,
      store: { append () { throw new Error('disk full') }, query: () => [], verifyChain: () => { throw new Error('unused') } },
      queue: { flushIntervalMs: 1 }
    }
  })
  const r = await verifier.verify(script('true', 1))
  t.equal(r.admission, 'ADMIT')
  await verifier.close()
  t.equal(await metric(registry, 'qwed_audit_dropped_total', { reason: 'write_error' }), 1)
  t.ok(capture.records.some((rec) => /could not be written/.test(rec.msg) && rec.err?.message === 'disk full'))
  const after = await verifier.verify(script('true', 2))
  t.equal(after.developer_fields.constraint_id, 'verifier.unavailable')
  t.equal(await metric(registry, 'qwed_audit_dropped_total', { reason: 'closed' }), 1, 'a record after close is counted, not lost silently')
})

t.test('stored records: secrets are redacted, claims only with includeClaims', async (t) => {
  const path = tempDb(t)
  const { verifier } = sqliteVerifier(t, path, {}, { secrets: ['secret-key-123'] })
  await verifier.verify(script('throw', 1))
  const [row] = await verifier.audit!.query()
  t.equal(row?.status, 'BLOCKED')
  t.match(row?.evidence.error, /\[REDACTED\]/)
  t.notOk(JSON.stringify(row).includes('secret-key-123'), 'the secret is not in the store')
  t.equal(row?.claim, null)

  const path2 = tempDb(t)
  const { verifier: withClaims } = sqliteVerifier(t, path2, { includeClaims: true })
  await withClaims.verify(script('true', 7))
  t.same((await withClaims.audit!.query())[0]?.claim, { type: 'script', verdict: 'true', id: 7 })
})

t.test('includeClaims: a claim that cannot be stored as JSON is stored as null, and the records around it are all kept', async (t) => {
  const path = tempDb(t)
  const { verifier } = sqliteVerifier(t, path, { includeClaims: true }, { secrets: ['secret-key-123'] })
  const getter: Record<string, unknown> = { type: 'script' }
  Object.defineProperty(getter, 'verdict', { enumerable: true, get () { throw new Error('no') } })
  const claims = [script('true', 1), getter, { type: 'script', verdict: 'true', n: 1n }, script('true', 2)]
  for (const claim of claims) await verifier.verify(claim as never)
  await verifier.close()
  const store = open(t, path)
  const rows = (await store.query({})).sort((a, b) => a.id - b.id)
  t.same(rows.map((row) => row.constraint_id), ['script.true', 'claim.invalid', 'claim.invalid', 'script.true'], 'one row per verification')
  t.same(rows.map((row) => row.claim), [{ type: 'script', verdict: 'true', id: 1 }, null, null, { type: 'script', verdict: 'true', id: 2 }])
  t.match(await store.verifyChain(), { ok: true, rows: 4 })
})

t.test('retention: rows older than retentionDays are pruned at start and on prune(); the chain still verifies', async (t) => {
  const path = tempDb(t)
  const seed = new SqliteAuditStore(path)
  const old = (i: number): AuditRecord => ({
    time: new Date(Date.UTC(2020, 0, 1, 0, i)).toISOString(),
    request_id: `old${i}`,
    route: '/old',
    engine: 'script',
    claim_hash: null,
    status: 'BLOCKED',
    admission: 'BLOCKED',
    constraint_id: 'x.y',
    proof_ref: null,
    duration_ms: 1,
    mode: 'enforce',
    decision: 'block',
    cached: false,
    agent_message: 'old',
    evidence: {},
    claim: null,
    verifier_version: '0.0.1'
  })
  seed.append([old(1), old(2), old(3)])
  seed.close()

  const { verifier } = sqliteVerifier(t, path, { retentionDays: 30 })
  await until(async () => (await verifier.audit!.query()).length === 0)
  t.same(await verifier.audit!.query(), [], 'the startup prune removed the old rows')
  await verifier.verify(script('true', 1), { requestId: 'new1' })
  t.match(await verifier.audit!.verifyChain(), { ok: true, rows: 1, firstId: 4, anchor: { id: 3, prunedTotal: 3 } })
  const report = await verifier.audit!.prune()
  t.equal(report.pruned, 0, 'recent rows are kept')
  const all = await verifier.audit!.prune(new Date(Date.now() + 1000))
  t.equal(all.pruned, 1)
  t.match(await verifier.audit!.verifyChain(), { ok: true, rows: 0, anchor: { id: 4, prunedTotal: 4 } })

  const { verifier: noRetention } = sqliteVerifier(t, tempDb(t))
  await t.rejects(noRetention.audit!.prune(), /needs a date/)
  const custom = createVerifier({ audit: { logger: silent, store: gateStore() } })
  t.teardown(() => custom.close())
  await t.rejects(custom.audit!.prune(new Date()), /does not prune/)
})

/** Runs a script in a child process on the same TypeScript sources (the tests' loader). */
function child (code: string, env: Record<string, string>) {
  const proc = spawn(process.execPath, [...TS_LOADER, '--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  proc.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })))
  return { proc, exited, stderr: () => stderr }
}

// The child writes through the same trail (queue + SQLite store) the verifier uses, without
// loading the engines (which would only make the child slower to start).
const WRITER = `
const { openAuditTrail } = await import('./lib/observe/store/trail.ts')
const { Registry } = await import('prom-client')
const trail = openAuditTrail(
  { store: 'sqlite', path: process.env.DB, queue: { max: Number(process.env.MAX), batchSize: 50, flushIntervalMs: 5 } },
  { secrets: [], registry: new Registry() }
)
const entry = (n) => ({
  requestId: 'c' + n, route: '/crash', claimHash: null, claim: null, mode: 'enforce', decision: 'admit',
  result: { status: 'VERIFIED', admission: 'ADMIT', agent_message: 'ok', developer_fields: { constraint_id: 'script.true', is_valid: true, n },
    proof_ref: 'sha256:' + 'a'.repeat(64), is_authoritative: true, engine: 'script', cached: false, duration_ms: 0.5 }
})
let n = 0
`
t.test('a crash (SIGKILL) mid-run loses at most the unflushed queue and never corrupts the file', async (t) => {
  const path = tempDb(t)
  const max = 200
  const run = child(WRITER + `
for (;;) {
  for (let i = 0; i < 20; i++) {
    const queued = trail.record(entry(n++))
    if (queued !== undefined) await queued
  }
  if (n % 100 === 0) process.stdout.write(JSON.stringify({ verified: n }) + '\\n')
  // Like a server between requests: timers and the size-triggered flush get their turn.
  await new Promise((resolve) => setImmediate(resolve))
}
`, { DB: path, MAX: String(max) })
  let reported = 0
  let buffer = ''
  await new Promise<void>((resolve, reject) => {
    run.proc.stdout.on('data', (chunk) => {
      buffer += String(chunk)
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) reported = Math.max(reported, (JSON.parse(line) as { verified: number }).verified)
      if (reported >= 3000) {
        run.proc.kill('SIGKILL')
        resolve()
      }
    })
    run.exited.then(({ code }) => reject(new Error(`the writer exited early (${String(code)}): ${run.stderr()}`)), reject)
  })
  const { signal } = await run.exited
  t.equal(signal, 'SIGKILL')

  // Opening the file recovers the WAL; the file is sound and the chain holds.
  const store = new SqliteAuditStore(path)
  t.teardown(() => store.close())
  t.same(store.integrityCheck(), ['ok'], 'integrity_check ok')
  const report = store.verifyChain()
  t.equal(report.ok, true, 'the chain verifies after the crash')
  const rows = store.count()
  t.ok(rows >= reported - max, `at most the queue (${max}) is lost: ${rows} rows for ${reported}+ verifications`)
  t.ok(rows > 0)
  t.comment(`killed after ${reported}+ records: ${rows} rows committed`)
  // The writer can go on after the crash.
  store.append([{ ...store.query({ limit: 1 })[0]!, request_id: 'after' }])
  t.match(store.verifyChain(), { ok: true, rows: rows + 1 })
})

t.test('a process that exits without close() still writes its queue (exit hook)', async (t) => {
  const path = tempDb(t)
  const run = child(WRITER + `
for (; n < 1000; n++) trail.record(entry(n))
if (trail.pending !== 1000) throw new Error('expected every record still queued')
process.exit(0)
`, { DB: path, MAX: '10000' })
  const { code } = await run.exited
  t.equal(code, 0, run.stderr())
  const store = open(t, path)
  t.equal(store.count(), 1000)
  t.match(store.verifyChain(), { ok: true, rows: 1000 })
})
