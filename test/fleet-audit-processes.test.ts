import t from 'tap'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { AuditRecord } from '../lib/observe/store/index.js'
import { PostgresAuditStore } from '../lib/observe/store/postgres.js'
import { createVerifier } from '../lib/verifier.js'
import { scriptEngine } from './helpers/engines.js'
import { missingServer, runChild, startPrivatePostgres } from './helpers/fleet.js'

// Several processes and a private PostgreSQL against one audit database (the single-process
// behaviour is in fleet-audit.test.ts).
// Child processes and private servers: slower than the suite's default per-file limit on a loaded box.
t.setTimeout(300_000)

const silent = { info () {}, warn () {}, error () {} }
const schema = (name: string): string => `qwed_t_${name}_${randomBytes(4).toString('hex')}`

const record = (n: number): AuditRecord => ({
  time: new Date().toISOString(),
  request_id: `extra-${n}`,
  route: '/extra',
  engine: 'math',
  claim_hash: null,
  status: 'VERIFIED',
  admission: 'ADMIT',
  constraint_id: null,
  proof_ref: 'sha256:' + 'a'.repeat(64),
  duration_ms: 1,
  mode: 'enforce',
  decision: 'admit',
  cached: false,
  agent_message: 'ok',
  evidence: { n },
  claim: null,
  verifier_version: '0.1.0'
})

async function waitUntil (check: () => boolean | Promise<boolean>): Promise<void> {
  while (!await check()) await new Promise((resolve) => setTimeout(resolve, 10))
}

const pgSkip = missingServer('DATABASE_URL')
if (pgSkip !== null) {
  t.comment(`skipping the PostgreSQL fleet tests: ${pgSkip}`)
  t.test('PostgreSQL audit store with several processes', { skip: pgSkip }, async () => {})
} else {
  const DATABASE_URL = process.env.DATABASE_URL as string
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
  t.teardown(async () => { await admin.end() })

  // A child process that verifies math claims with the PostgreSQL audit store and reports progress.
  const WRITER = `
const { createVerifier } = await import('./lib/verifier.ts')
const silent = { info () {}, warn () {}, error () {} }
const verifier = createVerifier({ audit: { logger: silent, store: 'postgres', url: process.env.URL, schema: process.env.SCHEMA, queue: { batchSize: 25, flushIntervalMs: 5 } } })
const me = Number(process.env.WRITER)
const total = Number(process.env.COUNT)
for (let i = 0; total === 0 || i < total; i++) {
  const r = await verifier.verify({ type: 'math', expression: i + '+' + me + '=' + (i + me) }, { route: '/fleet', requestId: me + '-' + i })
  if (r.admission !== 'ADMIT') throw new Error('unexpected verdict ' + JSON.stringify(r))
  if ((i + 1) % 25 === 0) process.stdout.write(JSON.stringify({ done: i + 1 }) + '\\n')
  // Like a server between requests: the queue's timers get their turn.
  await new Promise((resolve) => setImmediate(resolve))
}
await verifier.close()
process.stdout.write(JSON.stringify({ closed: true }) + '\\n')
`

  t.test('three processes x 300 audited verifications into one database: one chain that verifies', async (t) => {
    const name = schema('three')
    const writers = [1, 2, 3].map((w) => runChild(WRITER, { URL: DATABASE_URL, SCHEMA: name, WRITER: String(w), COUNT: '300' }))
    for (const w of writers) {
      await w.waitFor((l) => l.closed === true)
      t.equal((await w.exited).code, 0, w.stderr())
    }
    const store = new PostgresAuditStore({ url: DATABASE_URL, schema: name })
    t.teardown(() => store.close())
    t.match(await store.verifyChain(), { ok: true, rows: 900, firstId: 1, lastId: 900 })
    const { rows } = await admin.query(`SELECT split_part(request_id, '-', 1) AS w, COUNT(*)::int AS n, COUNT(DISTINCT request_id)::int AS d FROM ${name}.qwed_audit GROUP BY 1 ORDER BY 1`)
    t.same(rows, [{ w: '1', n: 300, d: 300 }, { w: '2', n: 300, d: 300 }, { w: '3', n: 300, d: 300 }])
    // The writers' batches interleave in the one chain (the advisory lock serialised them).
    const { rows: switches } = await admin.query(`SELECT COUNT(*)::int AS n FROM (SELECT split_part(request_id, '-', 1) AS w, lag(split_part(request_id, '-', 1)) OVER (ORDER BY id) AS before FROM ${name}.qwed_audit) x WHERE w <> before`)
    t.ok(switches[0].n >= 2, `writers interleave (${switches[0].n} switches)`)
  })

  /** Rows writer 1 has in the schema's table so far (0 before the table exists). */
  async function victimRows (name: string): Promise<number> {
    try {
      const { rows } = await admin.query(`SELECT COUNT(*)::int AS n FROM ${name}.qwed_audit WHERE request_id LIKE '1-%'`)
      return rows[0]?.n ?? 0
    } catch {
      return 0
    }
  }

  t.test('a writer killed with SIGKILL mid-burst: the chain still verifies and the other writer loses nothing', async (t) => {
    const name = schema('kill')
    const victim = runChild(WRITER, { URL: DATABASE_URL, SCHEMA: name, WRITER: '1', COUNT: '0' })
    const survivor = runChild(WRITER, { URL: DATABASE_URL, SCHEMA: name, WRITER: '2', COUNT: '300' })
    await victim.waitFor((l) => l.done >= 150)
    // Killed once some of its batches are in (a batch is written shortly after its records).
    for (let i = 0; i < 200 && (await victimRows(name)) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    victim.proc.kill('SIGKILL')
    t.equal((await victim.exited).signal, 'SIGKILL')
    await survivor.waitFor((l) => l.closed === true)
    t.equal((await survivor.exited).code, 0, survivor.stderr())
    const store = new PostgresAuditStore({ url: DATABASE_URL, schema: name })
    t.teardown(() => store.close())
    const report = await store.verifyChain()
    t.equal(report.ok, true, JSON.stringify(report.broken))
    const { rows } = await admin.query(`SELECT split_part(request_id, '-', 1) AS w, COUNT(*)::int AS n FROM ${name}.qwed_audit GROUP BY 1 ORDER BY 1`)
    t.equal(rows.find((r: any) => r.w === '2')?.n, 300)
    t.ok((rows.find((r: any) => r.w === '1')?.n ?? 0) >= 1, 'the victim wrote batches before it died')
    // More rows chain on after the crash.
    await store.append([record(1)])
    t.match(await store.verifyChain(), { ok: true, rows: report.rows + 1 })
  })

  t.test('PostgreSQL restarted mid-load: the queue holds, nothing acknowledged is lost, the chain verifies', async (t) => {
    const server = await startPrivatePostgres()
    t.teardown(() => server.destroy())
    const engine = scriptEngine()
    const verifier = createVerifier({
      extraEngines: [engine],
      // A small queue that blocks when full: verify() waits rather than lose a record.
      audit: { logger: silent, store: 'postgres', url: server.url, queue: { max: 40, batchSize: 10, flushIntervalMs: 5, onFull: 'block' } }
    })
    let acknowledged = 0
    const control = { stop: false }
    const load = (async () => {
      for (let i = 0; !control.stop; i++) {
        await verifier.verify({ type: 'script', verdict: 'true', id: i } as any, { requestId: `load-${i}` })
        acknowledged++
        if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    const written = async (): Promise<number> => (await verifier.metrics.registry.getSingleMetric('qwed_audit_written_total')?.get())?.values[0]?.value ?? 0
    while (await written() < 100) await new Promise((resolve) => setTimeout(resolve, 10))
    await server.stop()
    // While it is down the load goes on until the queue is full, then verify() waits.
    const retries = async (): Promise<number> => (await verifier.metrics.registry.getSingleMetric('qwed_audit_write_retries_total')?.get())?.values[0]?.value ?? 0
    while (await retries() < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    t.ok(verifier.audit!.pending > 0, 'records wait in the queue')
    await server.start()
    const atStart = acknowledged
    await waitUntil(() => acknowledged >= atStart + 100)
    control.stop = true
    await load
    await verifier.close()
    const dropped = (await verifier.metrics.registry.getSingleMetric('qwed_audit_dropped_total')?.get())?.values.reduce((sum, v) => sum + v.value, 0)
    t.equal(dropped, 0, 'nothing dropped')
    const store = new PostgresAuditStore({ url: server.url })
    t.teardown(() => store.close())
    const report = await store.verifyChain()
    t.match(report, { ok: true })
    t.equal(report.rows, acknowledged, `every acknowledged verification (${acknowledged}) has its row`)
    const pool = new pg.Pool({ connectionString: server.url, max: 1 })
    t.teardown(() => pool.end())
    const { rows } = await pool.query('SELECT COUNT(DISTINCT request_id)::int AS n FROM qwed_audit')
    t.equal(rows[0].n, acknowledged, 'no record written twice')
  })
}
