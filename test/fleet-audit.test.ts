import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pg from 'pg'
import { main } from '../bin/qwed-audit.js'
import { QwedOptionsError } from '../lib/errors.js'
import { setPeerLoader } from '../lib/optional-peer.js'
import type { AuditRecord } from '../lib/observe/store/index.js'
import { isTransient, PostgresAuditStore } from '../lib/observe/store/postgres.js'
import { SqliteAuditStore } from '../lib/observe/store/sqlite.js'
import { createVerifier } from '../lib/verifier.js'
import { scriptEngine } from './helpers/engines.js'
import { missingServer } from './helpers/fleet.js'

const silent = { info () {}, warn () {}, error () {} }
// One schema per test (and per run): parallel test files and reruns never share a chain.
const schema = (name: string): string => `qwed_t_${name}_${randomBytes(4).toString('hex')}`

function thrown (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('did not throw')
}

function missing (name: string): () => void {
  return setPeerLoader((wanted) => {
    if (wanted === name) throw Object.assign(new Error(`Cannot find module '${wanted}'`), { code: 'MODULE_NOT_FOUND' })
    throw new Error(`unexpected load of ${wanted}`)
  })
}

function record (n: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    request_id: `req-${n}`,
    route: n % 2 === 0 ? '/even' : '/odd',
    engine: 'math',
    claim_hash: 'sha256:' + String(n).padStart(64, '0'),
    status: n % 3 === 0 ? 'UNVERIFIABLE' : 'VERIFIED',
    admission: n % 3 === 0 ? 'BLOCKED' : 'ADMIT',
    constraint_id: n % 3 === 0 ? 'math.false' : null,
    proof_ref: n % 3 === 0 ? null : 'sha256:' + 'a'.repeat(64),
    duration_ms: n / 7,
    mode: 'enforce',
    decision: n % 3 === 0 ? 'block' : 'admit',
    cached: n % 4 === 0,
    agent_message: `claim ${n} "quoted" \u2028 é`,
    evidence: { n, nested: { list: [1, 2.5, 'x'], big: 2 ** 60 } },
    claim: n % 2 === 0 ? { type: 'math', expression: `${n}+1=${n + 1}` } : null,
    verifier_version: '0.1.0',
    ...extra
  }
}

t.test('options: postgres needs a url or a pool, and no error repeats the URL', async (t) => {
  const url = 'postgres://qwed:hunter2-password@127.0.0.1:1/qwed'
  const cases: Array<[unknown, string]> = [
    [{ store: 'postgres' }, 'audit.store'],
    [{ store: 'postgres', url, pool: { connect () {}, query () {} } }, 'audit.store'],
    [{ store: 'postgres', url: 'mysql://qwed:hunter2-password@127.0.0.1/x' }, 'audit.url'],
    [{ store: 'postgres', pool: {} }, 'audit.pool'],
    [{ store: 'postgres', url, schema: 'Bad-Name' }, 'audit.schema'],
    [{ store: 'sqlite', path: 'x.db', url }, 'audit.url'],
    [{ store: 'postgres', url, path: 'x.db' }, 'audit.path']
  ]
  for (const [audit, option] of cases) {
    const err = thrown(() => createVerifier({ audit: { logger: silent, ...(audit as object) } as any }))
    t.ok(err instanceof QwedOptionsError, JSON.stringify(audit))
    t.equal((err as QwedOptionsError).option, option, JSON.stringify(audit))
    t.notMatch(err.message, /hunter2/)
  }
})

t.test('a missing optional package is named, and a missing better-sqlite3 is not reported as a bad audit.path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qwed-peer-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  let restore = missing('better-sqlite3')
  const sqlite = thrown(() => createVerifier({ audit: { logger: silent, store: 'sqlite', path: join(dir, 'a.db') } }))
  restore()
  t.ok(sqlite instanceof QwedOptionsError)
  t.equal((sqlite as QwedOptionsError).option, 'audit.store')
  t.match(sqlite.message, /"better-sqlite3".*npm install better-sqlite3/)
  t.notMatch(sqlite.message, /audit\.path/)

  restore = missing('pg')
  const postgres = thrown(() => createVerifier({ audit: { logger: silent, store: 'postgres', url: 'postgres://u:hunter2@127.0.0.1:1/db' } }))
  restore()
  t.equal((postgres as QwedOptionsError).option, 'audit.store')
  t.match(postgres.message, /"pg".*npm install pg/)
  t.notMatch(postgres.message, /hunter2/)

  // A native module that is present but does not load is named too.
  restore = setPeerLoader(() => { throw Object.assign(new Error('The module was compiled against a different Node.js version using NODE_MODULE_VERSION 127'), { code: 'ERR_DLOPEN_FAILED' }) })
  const abi = thrown(() => createVerifier({ audit: { logger: silent, store: 'sqlite', path: join(dir, 'b.db') } }))
  restore()
  t.equal((abi as QwedOptionsError).option, 'audit.store')
  t.match(abi.message, /native module does not load.*npm install better-sqlite3/)

  // Without the package nothing of it is needed when the store is not used.
  restore = missing('better-sqlite3')
  const plain = createVerifier({ audit: { logger: silent }, extraEngines: [scriptEngine()] })
  t.equal((await plain.verify({ type: 'script', verdict: 'true' } as any)).admission, 'ADMIT')
  await plain.close()
  restore()
})

t.test('connection failures are retried, statement errors are not', async (t) => {
  t.ok(isTransient(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })))
  t.ok(isTransient(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))
  t.ok(isTransient(new Error('Connection terminated unexpectedly')))
  t.ok(isTransient(Object.assign(new Error('the database system is starting up'), { code: '57P03' })))
  t.notOk(isTransient(Object.assign(new Error('syntax error'), { code: '42601' })))
  t.notOk(isTransient(Object.assign(new Error('permission denied'), { code: '42501' })))
})

t.test('PostgreSQL unreachable: a batch is retried, then given up once the retry window (or close) ends', async (t) => {
  // Nothing listens on port 1 of loopback: every connection is refused at once.
  const store = new PostgresAuditStore({ url: 'postgres://qwed@127.0.0.1:1/qwed', retryForMs: 150 })
  const retries: unknown[] = []
  store.onRetry = (err) => { retries.push(err) }
  await t.rejects(store.append([record(1)]), { code: 'ECONNREFUSED' })
  t.ok(retries.length >= 1, `retried ${retries.length} time(s) first`)

  const closing = new PostgresAuditStore({ url: 'postgres://qwed@127.0.0.1:1/qwed', closeRetryForMs: 100 })
  const pending = closing.append([record(2)])
  closing.closing()
  await t.rejects(pending, { code: 'ECONNREFUSED' }, 'close() shortens the wait for a server that is gone')
  await closing.close()
  await store.close()
})

const pgSkip = missingServer('DATABASE_URL')
if (pgSkip !== null) {
  t.comment(`skipping the PostgreSQL tests: ${pgSkip}`)
  t.test('PostgreSQL audit store against a real server', { skip: pgSkip }, async () => {})
} else {
  const DATABASE_URL = process.env.DATABASE_URL as string
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
  t.teardown(async () => { await admin.end() })

  t.test('the same records give the same rows, hashes included, in SQLite and in PostgreSQL', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'qwed-pg-same-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const lite = new SqliteAuditStore(join(dir, 'a.db'))
    const store = new PostgresAuditStore({ url: DATABASE_URL, schema: schema('same') })
    t.teardown(async () => { lite.close(); await store.close() })
    const batches = [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10]].map((ns) => ns.map((n) => record(n)))
    for (const batch of batches) {
      lite.append(batch)
      await store.append(batch)
    }
    t.same(await store.query({ limit: 100 }), lite.query({ limit: 100 }))
    t.same(await store.head(), lite.head())
    t.match(await store.verifyChain(), { ok: true, rows: 10, firstId: 1, lastId: 10 })
    // The query API behaves the same.
    for (const filter of [
      { status: 'UNVERIFIABLE' as const },
      { route: '/even', order: 'desc' as const, limit: 2 },
      { since: record(3).time, until: record(6).time },
      { afterId: 4, limit: 3 },
      { admission: ['ADMIT' as const], decision: 'admit' as const },
      { requestId: 'req-7' }
    ]) {
      t.same(await store.query(filter), lite.query(filter), JSON.stringify(filter))
      t.equal(await store.count(filter), lite.count(filter))
    }
  })

  t.test('verifier with audit.store postgres: records, Verification Context export, retention, a row edited afterwards is found', async (t) => {
    const name = schema('trail')
    const verifier = createVerifier({ extraEngines: [scriptEngine()], audit: { logger: silent, store: 'postgres', url: DATABASE_URL, schema: name, includeClaims: true } })
    for (let i = 0; i < 5; i++) await verifier.verify({ type: 'script', verdict: i % 2 === 0 ? 'true' : 'false', id: i } as any, { route: '/answer', requestId: `r${i}` })
    const rows = await verifier.audit!.query()
    t.equal(rows.length, 5)
    t.match(rows[0], { route: '/answer', request_id: 'r0', engine: 'script', status: 'VERIFIED', admission: 'ADMIT', claim: { type: 'script', id: 0 } })
    const vc: string[] = []
    for await (const line of verifier.audit!.export({ format: 'vc' })) vc.push(line)
    t.equal(vc.length, 5)
    t.equal(JSON.parse(vc[0] as string).spec_version, '1.0')
    t.match(await verifier.audit!.verifyChain(), { ok: true, rows: 5 })

    // The CLI reads the same trail with --url.
    const out = capture()
    t.equal(await main(['verify', '--url', DATABASE_URL, '--schema', name], out.io), 0, out.text())
    t.match(out.text(), /OK: 5 row\(s\) verified/)
    const exported = capture()
    t.equal(await main(['export', '--url', DATABASE_URL, '--schema', name, '--format', 'csv', '--status', 'UNVERIFIABLE'], exported.io), 0)
    t.equal(exported.text().trim().split('\r\n').length, 3, 'header and the two UNVERIFIABLE rows')

    // Someone turns a refusal into an admission directly in the database.
    await admin.query(`UPDATE ${name}.qwed_audit SET status = 'VERIFIED', admission = 'ADMIT' WHERE id = 2`)
    const report = await verifier.audit!.verifyChain()
    t.match(report, { ok: false, rows: 1, broken: { id: 2, reason: 'content' } })
    const broken = capture()
    t.equal(await main(['verify', '--url', DATABASE_URL, '--schema', name], broken.io), 1)
    t.match(broken.text(), /BROKEN at row 2 \(content\)/)
    // A deleted row in the middle is a broken link.
    await admin.query(`UPDATE ${name}.qwed_audit SET status = 'UNVERIFIABLE', admission = 'BLOCKED' WHERE id = 2`)
    t.match(await verifier.audit!.verifyChain(), { ok: true })
    await admin.query(`DELETE FROM ${name}.qwed_audit WHERE id = 3`)
    t.match(await verifier.audit!.verifyChain(), { ok: false, broken: { id: 4, reason: 'link' } })
    await verifier.close()

    const missingSchema = capture()
    t.equal(await main(['verify', '--url', DATABASE_URL, '--schema', schema('none')], missingSchema.io), 2)
    t.match(missingSchema.err(), /no qwed_audit table/)
    t.notMatch(missingSchema.err() + missingSchema.text(), new RegExp(new URL(DATABASE_URL).password))
  })

  t.test('retention prunes a prefix and the chain still verifies from the anchor', async (t) => {
    const store = new PostgresAuditStore({ url: DATABASE_URL, schema: schema('prune') })
    t.teardown(() => store.close())
    await store.append([1, 2, 3, 4, 5].map((n) => record(n)))
    const report = await store.prune(new Date(record(3).time))
    t.match(report, { pruned: 2, anchor: { id: 2, prunedTotal: 2 } })
    t.match(await store.verifyChain(), { ok: true, rows: 3, firstId: 3, anchor: { id: 2 } })
    await store.append([record(6)])
    t.match(await store.verifyChain(), { ok: true, rows: 4, lastId: 6 })
  })

  t.test('records still queued when the verifier closes are written', async (t) => {
    const name = schema('close')
    // A long flush interval: nothing is written before close() unless close() writes it.
    const verifier = createVerifier({ extraEngines: [scriptEngine()], audit: { logger: silent, store: 'postgres', url: DATABASE_URL, schema: name, queue: { batchSize: 1000, flushIntervalMs: 60_000 } } })
    for (let i = 0; i < 25; i++) await verifier.verify({ type: 'script', verdict: 'true', id: i } as any)
    t.equal(verifier.audit!.pending, 25)
    await verifier.close()
    const { rows } = await admin.query(`SELECT COUNT(*)::int AS n FROM ${name}.qwed_audit`)
    t.equal(rows[0].n, 25)
  })
}

function capture (): { io: { stdout: Writable, stderr: Writable & { isTTY?: boolean } }, text: () => string, err: () => string } {
  let out = ''
  let err = ''
  const stdout = new Writable({ write (chunk, _e, cb) { out += String(chunk); cb() } })
  const stderr = new Writable({ write (chunk, _e, cb) { err += String(chunk); cb() } })
  return { io: { stdout, stderr }, text: () => out, err: () => err }
}
