// What audit.durability 'before-response' costs: one Fastify route (one math claim per response,
// cache off so every response is verified), driven through inject() with 16 requests in flight,
// with no store, then a store written behind the response ('async') and one written before it
// ('before-response'): SQLite always, PostgreSQL when DATABASE_URL is set. Rows of one run side by
// side. `npm run bench:audit` (`-- --quick` for a short run).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import Fastify from 'fastify'
import { qwed } from '../lib/fastify.js'
import type { AuditOptions } from '../types/options.js'

const quick = process.argv.includes('--quick')
const requests = quick ? 1_000 : 5_000
const inFlight = 16
const silent = { info () {}, warn () {}, error () {} }

let printing = false

async function measure (label: string, audit: AuditOptions): Promise<number> {
  const app = Fastify({ logger: false })
  await app.register(qwed, { audit, cache: false, health: false, metrics: { endpoint: null } })
  app.post<{ Body: { i: number } }>('/total', {
    config: { qwed: { claims: (body: { expression: string }) => ({ type: 'math', expression: body.expression }) } }
  }, async (request) => ({ expression: `${request.body.i} * 3 + 1 = ${request.body.i * 3 + 1}` }))
  await app.ready()
  for (let i = 0; i < 50; i++) await app.inject({ method: 'POST', url: '/total', payload: { i } })
  const times = new Float64Array(requests)
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < requests) {
      const i = next++
      const t0 = performance.now()
      const res = await app.inject({ method: 'POST', url: '/total', payload: { i } })
      if (res.statusCode !== 200) throw new Error(`${label}: status ${res.statusCode}`)
      times[i] = performance.now() - t0
    }
  }))
  const elapsed = performance.now() - started
  await app.close()
  times.sort()
  const pct = (p: number): string => (times[Math.min(requests - 1, Math.floor(requests * p))] ?? 0).toFixed(2)
  const rate = requests / (elapsed / 1000)
  if (printing) console.log(`| ${label} | ${Math.round(rate)} | ${pct(0.5)} | ${pct(0.99)} |`)
  return rate
}

const dir = mkdtempSync(join(tmpdir(), 'qwed-bench-audit-'))
try {
  console.log(`node ${process.version}, ${requests} responses a row, ${inFlight} in flight, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
  // Two rounds over every row; the first only warms the JIT and the machine's caches, the second is printed.
  for (const round of [1, 2]) {
    printing = round === 2
    if (printing) console.log('| audit | responses/s | p50 ms | p99 ms |\n| --- | --- | --- | --- |')
    await rowsOnce(printing)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

async function rowsOnce (summary: boolean): Promise<void> {
  const base = await measure('log lines only (no store)', { logger: silent })
  const rows: Array<[string, number]> = []
  rows.push(['sqlite, async', await measure('sqlite, async', { logger: silent, store: 'sqlite', path: join(dir, 'a.db') })])
  rows.push(['sqlite, before-response', await measure('sqlite, before-response', { logger: silent, store: 'sqlite', path: join(dir, 'b.db'), durability: 'before-response' })])
  const url = process.env.DATABASE_URL
  if (url !== undefined && url !== '') {
    const schemas = ['a', 'b'].map((name) => `qwed_bench_${name}_${randomBytes(3).toString('hex')}`) as [string, string]
    try {
      rows.push(['postgres, async', await measure('postgres, async', { logger: silent, store: 'postgres', url, schema: schemas[0] })])
      rows.push(['postgres, before-response', await measure('postgres, before-response', { logger: silent, store: 'postgres', url, schema: schemas[1], durability: 'before-response' })])
    } finally {
      const pg = (await import('pg')).default
      const admin = new pg.Pool({ connectionString: url, max: 1 })
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await admin.end()
    }
  }
  if (!summary) return
  console.log('\nthroughput against no store: ' + rows.map(([label, rate]) => `${label} ${(rate / base).toFixed(2)}`).join(', '))
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
}
