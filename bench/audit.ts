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

// Every row runs once per round; the first round only warms up, the rows change order each round,
// and each row's median over the other rounds is printed.
const rounds = quick ? 2 : 4
const results = new Map<string, Array<{ rate: number, p50: number, p99: number }>>()
let recording = false
const BASE = 'log lines only (no store)'

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
  if (recording) results.set(label, [...(results.get(label) ?? []), { rate, p50: Number(pct(0.5)), p99: Number(pct(0.99)) }])
  return rate
}

const dir = mkdtempSync(join(tmpdir(), 'qwed-bench-audit-'))
try {
  console.log(`node ${process.version}, ${requests} responses a row, ${inFlight} in flight, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
  for (let round = 0; round < rounds; round++) {
    recording = round > 0
    await rowsOnce(round)
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((x, y) => x - y)
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0
  }
  console.log(`medians over ${rounds - 1} round(s)\n`)
  console.log('| audit | responses/s | ratio to no store | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- |')
  const base = median((results.get(BASE) ?? []).map((r) => r.rate))
  for (const [label, runs] of results) {
    const rate = median(runs.map((r) => r.rate))
    console.log(`| ${label} | ${Math.round(rate)} | ${(rate / base).toFixed(2)} | ${median(runs.map((r) => r.p50)).toFixed(2)} | ${median(runs.map((r) => r.p99)).toFixed(2)} |`)
  }
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

async function rowsOnce (round: number): Promise<void> {
  const rows: Array<[string, () => AuditOptions]> = [
    [BASE, () => ({ logger: silent })],
    ['sqlite, async', () => ({ logger: silent, store: 'sqlite', path: join(dir, `a${round}.db`) })],
    ['sqlite, before-response', () => ({ logger: silent, store: 'sqlite', path: join(dir, `b${round}.db`), durability: 'before-response' })]
  ]
  const url = process.env.DATABASE_URL
  const schemas = ['a', 'b'].map((name) => `qwed_bench_${name}_${randomBytes(3).toString('hex')}`) as [string, string]
  if (url !== undefined && url !== '') {
    rows.push(['postgres, async', () => ({ logger: silent, store: 'postgres', url, schema: schemas[0] })])
    rows.push(['postgres, before-response', () => ({ logger: silent, store: 'postgres', url, schema: schemas[1], durability: 'before-response' })])
  }
  // Rotated each round, so no row always runs first (cold) or last (after the others' garbage).
  const order = rows.map((_, i) => rows[(i + round) % rows.length] as [string, () => AuditOptions])
  try {
    for (const [label, audit] of order) await measure(label, audit())
  } finally {
    if (url !== undefined && url !== '') {
      const pg = (await import('pg')).default
      const admin = new pg.Pool({ connectionString: url, max: 1 })
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await admin.end()
    }
  }
}
