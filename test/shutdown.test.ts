import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import Fastify from 'fastify'
import { createVerifier } from '../lib/verifier.js'
import { qwed } from '../lib/fastify.js'
import { scriptEngine } from './helpers/engines.js'
import { countAuditRows, tempAuditDb } from './helpers/audit-db.js'
import { freePort, missingServer, ROOT } from './helpers/fleet.js'
import { TS_LOADER } from './helpers/loader.js'

// Graceful close: nothing a client was answered for is missing from the audit store afterwards.
t.setTimeout(240_000)

const silent = { info () {}, warn () {}, error () {} }

const tempDb = (t: Test): string => tempAuditDb(t, 'qwed-shutdown-')
const countRows = countAuditRows

t.test('close() waits for running verifications, then flushes every record to SQLite; claims after it are unavailable (closing)', async (t) => {
  const path = tempDb(t)
  // A flush interval far past the test: only close() can write these records.
  const verifier = createVerifier({ extraEngines: [scriptEngine()], audit: { logger: silent, store: 'sqlite', path, queue: { flushIntervalMs: 60_000 } } })
  const running = Array.from({ length: 40 }, async (_, i) => await verifier.verify({ type: 'script', verdict: 'true', id: i, delayMs: 20 } as never))
  const closing = verifier.close()
  const late = await verifier.verify({ type: 'script', verdict: 'true' } as never)
  t.equal(late.developer_fields.constraint_id, 'verifier.unavailable')
  t.equal(late.developer_fields.reason, 'closing')
  t.equal(verifier.status().closing, true)
  const results = await Promise.all(running)
  t.ok(results.every((r) => r.admission === 'ADMIT'), 'claims that started before close() finish normally')
  await closing
  // 40 started before close, plus the refused one: each has its record.
  t.equal(countRows(path), 41)
})

t.test('Fastify onClose flushes the queue: every answered request has its row', async (t) => {
  const path = tempDb(t)
  const app = Fastify({ logger: false })
  await app.register(qwed, { warmUp: false, extraEngines: [scriptEngine()], audit: { logger: silent, store: 'sqlite', path, queue: { flushIntervalMs: 60_000 } } })
  app.post('/v', { config: { qwed: { claims: (body: { id: number }) => ({ type: 'script', verdict: 'true', id: body.id }) as never } } }, async (request) => request.body)
  for (let i = 0; i < 25; i++) {
    const res = await app.inject({ method: 'POST', url: '/v', payload: { id: i } })
    t.equal(res.statusCode, 200)
  }
  t.equal(countRows(path), 0, 'nothing written yet: the records wait in the queue')
  await app.close()
  t.equal(countRows(path), 25)
})

t.test('PostgreSQL: close() flushes every record', { skip: missingServer('DATABASE_URL') ?? false }, async (t) => {
  const url = process.env.DATABASE_URL as string
  const schema = `qwed_t_close_${randomBytes(4).toString('hex')}`
  const admin = new pg.Pool({ connectionString: url, max: 1 })
  t.teardown(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  })
  const verifier = createVerifier({ extraEngines: [scriptEngine()], audit: { logger: silent, store: 'postgres', url, schema, queue: { flushIntervalMs: 60_000 } } })
  await Promise.all(Array.from({ length: 30 }, async (_, i) => await verifier.verify({ type: 'script', verdict: i % 3 === 0 ? 'false' : 'true', id: i } as never)))
  await verifier.close()
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.qwed_audit`)
  t.equal(rows[0].n, 30)
})

for (const framework of ['fastify', 'express'] as const) {
  t.test(`a SIGTERM of the ${framework} example server loses no audit record`, async (t) => {
    const path = tempDb(t)
    const port = await freePort()
    const script = join(ROOT, 'examples', framework === 'fastify' ? 'fastify-server.ts' : 'express-server.ts')
    const child = spawn(process.execPath, [...TS_LOADER, script], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), QWED_AUDIT_DB: path },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    const base = `http://127.0.0.1:${port}`
    for (let i = 0; ; i++) {
      try {
        await fetch(`${base}/qwed/health/live`)
        break
      } catch {
        if (i > 600) throw new Error(`the example did not start: ${stdout}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    const answered = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const res = await fetch(`${base}/explain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: i, b: 2, c: 3 }) })
      await res.arrayBuffer()
      return res.status
    }))
    // The fake model gets some of these wrong on purpose (422): every answer has its record either way.
    t.ok(answered.every((s) => s === 200 || s === 422), answered.join(','))
    // At once: the default queue writes every 100 ms, so most of these records are still in memory.
    child.kill('SIGTERM')
    const exit = await exited
    t.equal(exit.code, 0, 'the example closed and exited by itself')
    t.equal(countRows(path), 30)
  })
}
