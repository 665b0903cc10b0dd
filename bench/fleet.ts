// Fleet benchmark against real servers (`eval "$(bash scripts/services.sh up)"` first, then
// `npm run bench:fleet`; `-- --quick` for a short run):
//   - the verdict cache: a first-tier (in-process) hit, a Redis second-tier hit, and a miss that
//     runs the math engine and stores in both tiers;
//   - the audit store: records/s appended in batches of 500 (the queue's default) to SQLite and to
//     PostgreSQL, and to PostgreSQL by three writers at once (one chain, the advisory lock between them).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import type { AuditRecord } from '../lib/observe/store/index.js'
import { PostgresAuditStore } from '../lib/observe/store/postgres.js'
import { SqliteAuditStore } from '../lib/observe/store/sqlite.js'
import { createVerifier, type Verifier } from '../lib/verifier.js'
import type { Claim } from '../types/claims.js'

const quick = process.argv.includes('--quick')
const { REDIS_URL, DATABASE_URL } = process.env
if (REDIS_URL === undefined || DATABASE_URL === undefined) {
  console.error('bench:fleet needs REDIS_URL and DATABASE_URL: run eval "$(bash scripts/services.sh up)" first')
  process.exit(2)
}
const secret = randomBytes(32).toString('hex')
const prefix = `qwed-bench:${randomBytes(4).toString('hex')}:`
const claim = (i: number): Claim => ({ type: 'math', expression: `${i} * 1.05^2 = ${i * 441 / 400}` })

function row (label: string, n: number, elapsedMs: number, times: Float64Array | null, unit: string): void {
  let tail = ''
  if (times !== null) {
    times.sort()
    const pct = (p: number): string => (times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0).toFixed(3)
    tail = `   p50 ${pct(0.5)} ms   p99 ${pct(0.99)} ms`
  }
  console.log(`${label.padEnd(46)} ${String(Math.round(n / (elapsedMs / 1000))).padStart(8)} ${unit}${tail}`)
}

/** What the Redis tier did during a row: a loaded machine shows up here as timeouts and skips. */
async function redisEvents (verifier: Verifier): Promise<string> {
  const metric = await verifier.metrics.registry.getSingleMetric('qwed_cache_events_total')?.get()
  const redis = (metric?.values ?? []).filter((v) => v.labels.tier === 'redis' && v.value > 0)
  return redis.map((v) => `${String(v.labels.event)} ${v.value}`).join(', ')
}

async function timeClaims (label: string, n: number, verify: (i: number) => Promise<unknown>): Promise<void> {
  const times = new Float64Array(n)
  const started = performance.now()
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await verify(i)
    times[i] = performance.now() - t0
  }
  row(label, n, performance.now() - started, times, 'claims/s')
}

async function cacheRows (): Promise<void> {
  const n = quick ? 2_000 : 20_000
  const redis = { url: REDIS_URL as string, secret, prefix }
  const writer = createVerifier({ audit: false, cache: { max: 100_000, redis } })
  await writer.warmUp()
  await writer.verify(claim(-1))
  await timeClaims('miss: math engine, stored in both tiers', n, async (i) => await writer.verify(claim(i)))
  console.log(`  redis events: ${await redisEvents(writer)}`)
  await timeClaims('first-tier hit (in-process LRU)', n, async () => await writer.verify(claim(7)))
  // A replica whose own tier holds one entry: every lookup goes on to Redis, and finds it there.
  const reader = createVerifier({ audit: false, cache: { max: 1, redis } })
  await reader.warmUp()
  let hits = 0
  await timeClaims('second-tier hit (Redis, HMAC checked)', n, async (i) => {
    if ((await reader.verify(claim(i))).cached) hits++
  })
  console.log(`  redis events: ${await redisEvents(reader)}${hits === n ? '' : ` (only ${hits} of ${n} were second-tier hits)`}`)
  const plain = createVerifier({ audit: false, cache: { max: 100_000 } })
  await plain.verify(claim(-1))
  await timeClaims('miss without Redis (for comparison)', n, async (i) => await plain.verify(claim(n + i)))
  await Promise.all([writer.close(), reader.close(), plain.close()])
}

function record (n: number): AuditRecord {
  return {
    time: new Date().toISOString(),
    request_id: `bench-${n}`,
    route: '/bench',
    engine: 'math',
    claim_hash: 'sha256:' + n.toString(16).padStart(64, '0'),
    status: 'VERIFIED',
    admission: 'ADMIT',
    constraint_id: null,
    proof_ref: 'sha256:' + 'a'.repeat(64),
    duration_ms: 0.25,
    mode: 'enforce',
    decision: 'admit',
    cached: false,
    agent_message: 'The claim holds',
    evidence: { is_valid: true, constraint_id: 'math.identity', lhs: String(n), rhs: String(n) },
    claim: null,
    verifier_version: '0.1.0'
  }
}

async function appendAll (append: (batch: AuditRecord[]) => unknown, total: number, offset = 0): Promise<void> {
  for (let i = 0; i < total; i += 500) await append(Array.from({ length: Math.min(500, total - i) }, (_, k) => record(offset + i + k)))
}

async function auditRows (): Promise<void> {
  const n = quick ? 5_000 : 50_000
  const dir = mkdtempSync(join(tmpdir(), 'qwed-bench-'))
  const lite = new SqliteAuditStore(join(dir, 'audit.db'))
  let started = performance.now()
  await appendAll((batch) => { lite.append(batch) }, n)
  row('audit: SQLite, 1 writer', n, performance.now() - started, null, 'records/s')
  lite.close()
  rmSync(dir, { recursive: true, force: true })

  const schemas: string[] = []
  const schema = (): string => {
    const name = `qwed_bench_${randomBytes(4).toString('hex')}`
    schemas.push(name)
    return name
  }
  const one = new PostgresAuditStore({ url: DATABASE_URL as string, schema: schema() })
  await one.ready()
  started = performance.now()
  await appendAll(async (batch) => { await one.append(batch) }, n)
  row('audit: PostgreSQL, 1 writer', n, performance.now() - started, null, 'records/s')
  await one.close()

  const shared = schema()
  const writers = [0, 1, 2].map(() => new PostgresAuditStore({ url: DATABASE_URL as string, schema: shared }))
  await Promise.all(writers.map(async (w) => { await w.ready() }))
  started = performance.now()
  const per = Math.floor(n / 3)
  await Promise.all(writers.map(async (w, i) => { await appendAll(async (batch) => { await w.append(batch) }, per, i * per) }))
  row('audit: PostgreSQL, 3 writers, one chain', per * 3, performance.now() - started, null, 'records/s')
  const report = await (writers[0] as PostgresAuditStore).verifyChain()
  if (!report.ok || report.rows !== per * 3) console.log('  (the shared chain did not verify!)', report.broken)
  await Promise.all(writers.map(async (w) => { await w.close() }))

  const admin = new pg.Pool({ connectionString: DATABASE_URL })
  for (const name of schemas) await admin.query(`DROP SCHEMA ${name} CASCADE`)
  await admin.end()
}

console.log(`node ${process.version}, Redis and PostgreSQL on 127.0.0.1${quick ? ' (quick)' : ''}\n`)
await cacheRows()
console.log('')
await auditRows()
