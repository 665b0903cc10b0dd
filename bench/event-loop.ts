// Event-loop delay while hostile claims are verified next to normal traffic, with the worker pool
// off and on, side by side in one run; then the cost of the pool for normal math claims (claims/s).
// `npm run bench:event-loop`; `-- --quick` for a short run; `-- --flood-only` for the last part only.
//
// Last part: a flood of the largest legal claims of every pooled engine (math, SQL, code, schema,
// stats; at the default caps), one engine at a time, with the pool off and on: the cost of one such
// claim on the event loop, and the event-loop delay while 4 clients send them one after another.
//
// Hostile claims are math claims at the edge of the math engine's work budget (each runs 100-200 ms
// before the engine gives up with BLOCKED math.resource_limit). Normal traffic is a stream of cheap
// math and SQL claims arriving on a schedule. The event-loop delay is
// perf_hooks.monitorEventLoopDelay (5 ms resolution).
import { availableParallelism, cpus, loadavg } from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { createEngineRegistry } from '../lib/engines/index.js'
import { checkClaim } from '../lib/guard/input.js'
import { resolveClaimLimits } from '../lib/guard/limits.js'
import { poolOf, type EnginePool } from '../lib/engines/pool.js'
import { createVerifier, type Verifier } from '../lib/verifier.js'
import type { Claim } from '../types/claims.js'
import type { Engine } from '../types/engine.js'
import type { PoolOptions } from '../types/options.js'
import type { VerificationResult } from '../types/result.js'

const quick = process.argv.includes('--quick')
const HOSTILE = quick ? 20 : 100
const THROUGHPUT = quick ? 500 : 3000
const HOSTILE_CLIENTS = 4
const ARRIVAL_MS = 20

const atoms = Array.from({ length: 450 }, (_, i) => `sin(${i + 2})`).join('+')
const nested = 'atan('.repeat(99) + '1' + ')'.repeat(99)
const HOSTILE_SHAPES = [
  (i: number) => `(x+y+z)^60 = ${i}`,
  (i: number) => `${atoms} = ${i}`,
  (i: number) => `${nested} = ${i}`,
  (i: number) => `(a+b+c+d+e+f)^20 = ${i}`
]
const hostileClaims: Claim[] = Array.from({ length: HOSTILE }, (_, i) => ({ type: 'math', expression: (HOSTILE_SHAPES[i % HOSTILE_SHAPES.length] as (i: number) => string)(i) }))
const normalMath = (i: number): Claim => ({ type: 'math', expression: `${i} * 1.05^2 = ${i * 441 / 400}` })
const normalSql = (i: number): Claim => ({ type: 'sql', query: `SELECT id, name FROM users WHERE id = ${i}` })

interface Setup { label: string, verifier: Verifier, pool?: EnginePool, close: () => Promise<void> }

/** Time and memory it took to start the workers of each pool (not part of any measurement). */
const boots: string[] = []

/** A verifier with the math engine in a warm pool (or on the event loop when `pool` is false). */
async function setup (pool: PoolOptions | false): Promise<Setup> {
  if (pool === false) {
    const verifier = createVerifier({ audit: false, cache: false })
    await verifier.verify({ type: 'math', expression: '1 + 1 = 2' })
    return { label: 'off', verifier, close: async () => await verifier.close() }
  }
  // The registry createVerifier builds, with the pool, so the bench can wait for the workers to boot
  // (not part of the measurement) before it starts.
  const math = createEngineRegistry({ pool }).get('math') as Engine<Claim>
  const rss = process.memoryUsage().rss
  const started = performance.now()
  await poolOf(math)?.warm()
  boots.push(`${((performance.now() - started) / 1000).toFixed(1)} s, RSS +${Math.round((process.memoryUsage().rss - rss) / 1e6)} MB`)
  const verifier = createVerifier({ audit: false, cache: false, extraEngines: [math] })
  return { label: `on (threads ${pool.threads ?? 2}, deadline ${pool.deadlineMs ?? 250} ms)`, verifier, pool: poolOf(math), close: async () => await verifier.close() }
}

const ms = (ns: number): string => (ns / 1e6).toFixed(1)

function pct (values: number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b)
  return (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0).toFixed(1)
}

function tally (results: VerificationResult[]): string {
  const counts = new Map<string, number>()
  for (const r of results) {
    const key = r.status === 'VERIFIED' ? 'VERIFIED' : String(r.developer_fields.constraint_id)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, n]) => `${key} ${n}`).join(', ')
}

const turn = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))
const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

async function hostileRun ({ label, verifier, pool }: Setup): Promise<string> {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  const mathTimes: number[] = []
  const sqlTimes: number[] = []
  const normal: VerificationResult[] = []
  const hostile: VerificationResult[] = []
  const state = { next: 0, done: false }
  histogram.enable()
  const started = performance.now()
  // Each hostile claim is its own request: HOSTILE_CLIENTS clients send them one after another, and
  // the event loop gets a turn between requests, as it would between HTTP requests.
  const clients = Array.from({ length: HOSTILE_CLIENTS }, async () => {
    while (state.next < hostileClaims.length) {
      const claim = hostileClaims[state.next++] as Claim
      hostile.push(await verifier.verify(claim))
      await turn()
    }
  })
  const allHostile = Promise.all(clients).finally(() => { state.done = true })
  // Normal traffic arrives on a schedule (one math and one SQL claim every ARRIVAL_MS), whether or
  // not the event loop is free: its latency counts from the scheduled arrival, so time spent
  // waiting for a blocked event loop is part of it.
  const requests: Array<Promise<void>> = []
  for (let i = 0; !state.done; i++) {
    const due = started + i * ARRIVAL_MS
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    for (const [claim, times] of [[normalMath(i), mathTimes], [normalSql(i), sqlTimes]] as const) {
      requests.push(verifier.verify(claim).then((r) => {
        times.push(performance.now() - due)
        normal.push(r)
      }))
    }
  }
  await Promise.all([allHostile, ...requests])
  const elapsed = (performance.now() - started) / 1000
  // One more turn so that a stall that has just ended is recorded too.
  await sleep(20)
  histogram.disable()
  const stats = pool?.stats()
  const ended = stats === undefined ? '' : `; workers ended: ${stats.killed}`
  return `| ${label} | ${HOSTILE} in ${elapsed.toFixed(1)} s: ${tally(hostile)}${ended} | ${ms(histogram.percentile(50))} / ${ms(histogram.percentile(99))} / ${ms(histogram.max)} ` +
    `| ${pct(mathTimes, 0.5)} / ${pct(mathTimes, 0.99)} (${mathTimes.length}) | ${pct(sqlTimes, 0.5)} / ${pct(sqlTimes, 0.99)} (${sqlTimes.length}) | ${tally(normal.filter((r) => r.engine === 'math'))} |`
}

async function throughput ({ label, verifier }: Setup, concurrency: number): Promise<string> {
  const claims = Array.from({ length: THROUGHPUT }, (_, i) => normalMath(i + 1_000_000 * concurrency))
  const started = performance.now()
  const results = await verifier.verifyBatch(claims, { concurrency })
  const seconds = (performance.now() - started) / 1000
  const verified = results.filter((r) => r.status === 'VERIFIED').length
  return `| ${label} | ${concurrency} | ${Math.round(THROUGHPUT / seconds)} | ${(seconds * 1000 / THROUGHPUT).toFixed(3)} | ${verified}/${THROUGHPUT} |`
}

// ------------------------------------------------------------------ flood of the largest legal claims

const cols = Array.from({ length: 1400 }, (_, i) => `c${i}`).join(', ')
/** Whole lines of `line(i)` up to `bytes` (the code engine's cap is 200 KiB). */
function upTo (bytes: number, line: (i: number) => string): string {
  const lines: string[] = []
  let size = 0
  for (let i = 0; size + line(i).length + 1 < bytes; i++) {
    lines.push(line(i))
    size += line(i).length + 1
  }
  return lines.join('\n')
}
const jsCode = upTo(200 * 1024 - 64, (i) => `const v${i} = f(${i}, 'x');`)
const pyCode = upTo(200 * 1024 - 64, (i) => `v${i} = f(${i}, 'x')`)
const people = Array.from({ length: 12_000 }, (_, i) => ({ id: i, name: `name ${i}`, email: `user${i}@example.com`, tags: ['a', 'b'] }))
const personSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'name', 'email'],
    properties: { id: { type: 'integer', minimum: 0 }, name: { type: 'string', pattern: '^name [0-9]+$' }, email: { type: 'string', format: 'email' }, tags: { type: 'array', items: { type: 'string' } } }
  }
}
// 100,000 values with the one the claim adds (the stats engine's cap)
const values = Array.from({ length: 99_999 }, (_, i) => (i * 7919) % 100_003 + 0.25)

/** The largest claims each engine accepts at its default caps, several shapes per engine. */
const LARGEST: Record<string, Array<(i: number) => Claim>> = {
  math: HOSTILE_SHAPES.map((shape) => (i: number): Claim => ({ type: 'math', expression: shape(i) })),
  sql: [
    // about 2,800 tokens (the engine's token cap is 3,000)
    (i) => ({ type: 'sql', query: `SELECT ${cols} FROM t WHERE c0 = ${i}` }),
    // a 60 KB quoted column name checked against a DDL
    (i) => ({ type: 'sql', query: `SELECT id FROM t WHERE "${'0'.repeat(60_000)}!" = ${i}`, schema: 'CREATE TABLE t (id int)' })
  ],
  code: [
    (i) => ({ type: 'code', language: 'javascript', code: `${jsCode}\n// ${i}` }),
    (i) => ({ type: 'code', language: 'python', code: `${pyCode}\n# ${i}` })
  ],
  schema: [(i) => ({ type: 'schema', data: [...people, { id: i, name: `name ${i}`, email: 'x@example.com' }], schema: personSchema })],
  stats: [
    (i) => ({ type: 'stats', statistic: 'median', data: [...values, i], expected: 1 }),
    (i) => ({ type: 'stats', statistic: 'std', data: [...values, i], expected: 1 })
  ]
}
const FLOOD = quick ? 8 : 24
const FLOOD_TYPES = Object.keys(LARGEST)

/**
 * What stays on the event loop with the pool on: the claim guard (limits walk, canonical JSON,
 * SHA-256) of one claim per shape, ms, median of 5, with the default limits.
 */
function guardCost (type: string): string {
  const known = new Set(FLOOD_TYPES)
  const limits = resolveClaimLimits(undefined)
  return (LARGEST[type] ?? []).map((shape, n) => {
    const times: number[] = []
    for (let k = 0; k < 5; k++) {
      const claim = shape(2000 + n * 10 + k)
      const started = performance.now()
      const checked = checkClaim(claim, known, limits)
      times.push(performance.now() - started)
      if (!checked.ok) throw new Error(`the ${type} flood claim is refused by the guard`)
    }
    return pct(times, 0.5)
  }).join(', ')
}

/** One claim at a time on the event loop (pool off, engines loaded): ms per claim, median of 3 per shape. */
async function costOnLoop (verifier: Verifier, type: string): Promise<string> {
  const shapes = LARGEST[type] ?? []
  const medians: string[] = []
  for (const [n, shape] of shapes.entries()) {
    const times: number[] = []
    let result: VerificationResult | undefined
    for (let k = 0; k < 3; k++) {
      const claim = shape(1000 + n * 10 + k)
      const started = performance.now()
      result = await verifier.verify(claim)
      times.push(performance.now() - started)
    }
    medians.push(`${pct(times, 0.5)} (${result?.status === 'VERIFIED' ? 'VERIFIED' : String(result?.developer_fields.constraint_id)})`)
  }
  return medians.join(', ')
}

async function flood (verifier: Verifier, type: string): Promise<{ delay: string, results: string, seconds: string }> {
  const shapes = LARGEST[type] ?? []
  const claims = Array.from({ length: FLOOD }, (_, i) => (shapes[i % shapes.length] as (i: number) => Claim)(i))
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  const results: VerificationResult[] = []
  let next = 0
  histogram.enable()
  const started = performance.now()
  await Promise.all(Array.from({ length: HOSTILE_CLIENTS }, async () => {
    while (next < claims.length) {
      results.push(await verifier.verify(claims[next++] as Claim))
      await turn()
    }
  }))
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  await sleep(20)
  histogram.disable()
  return { delay: `${ms(histogram.percentile(50))} / **${ms(histogram.percentile(99))}** / ${ms(histogram.max)}`, results: tally(results), seconds }
}

async function floodTables (): Promise<void> {
  console.log(`\nFlood: ${FLOOD} of the largest legal claims per engine (${HOSTILE_CLIENTS} clients, one after another), pool off and on (threads 2, deadline 250 ms); cache off; engines warmed up first\n`)
  const off = createVerifier({ audit: false, cache: false })
  const on = createVerifier({ audit: false, cache: false, pool: { threads: 2 } })
  let started = performance.now()
  await off.warmUp(FLOOD_TYPES)
  const offWarm = ((performance.now() - started) / 1000).toFixed(1)
  started = performance.now()
  await on.warmUp(FLOOD_TYPES)
  const onWarm = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`warmUp: ${offWarm} s without a pool, ${onWarm} s with one (3 workers, every pooled engine)\n`)
  console.log('| engine | one claim on the event loop, ms (verdict) | its claim guard alone, ms | pool off: event-loop p50 / p99 / max (ms) | pool off: time, results | pool on: event-loop p50 / p99 / max (ms) | pool on: time, results |')
  console.log('|---|---|---|---|---|---|---|')
  for (const type of FLOOD_TYPES) {
    const cost = await costOnLoop(off, type)
    const guard = guardCost(type)
    const a = await flood(off, type)
    const b = await flood(on, type)
    console.log(`| ${type} | ${cost} | ${guard} | ${a.delay} | ${a.seconds} s: ${a.results} | ${b.delay} | ${b.seconds} s: ${b.results} |`)
  }
  await off.close()
  await on.close()
}

console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
console.log(`${HOSTILE} hostile math claims (${HOSTILE_CLIENTS} clients, one claim after another) next to normal traffic (a math and an SQL claim every ${ARRIVAL_MS} ms; latency from the scheduled arrival); cache off\n`)

if (process.argv.includes('--flood-only')) {
  await floodTables()
  process.exit(0)
}

// Fresh verifiers for each table, so that a breaker opened in one run cannot affect the next.
const POOLS: Array<PoolOptions | false> = [false, { threads: 1 }, { threads: 2 }]
console.log('| pool | hostile claims: time, results | event-loop delay p50 / p99 / max (ms) | normal math p50 / p99 ms (n) | normal SQL p50 / p99 ms (n) | normal math results |')
console.log('|---|---|---|---|---|---|')
for (const pool of POOLS) {
  const s = await setup(pool)
  console.log(await hostileRun(s))
  await s.close()
}

console.log(`\nNormal math claims only (${THROUGHPUT} distinct claims per row), no hostile traffic:\n`)
console.log('| pool | concurrency | claims/s | ms per claim (wall / n) | VERIFIED |')
console.log('|---|---|---|---|---|')
const setups: Setup[] = []
for (const pool of POOLS) setups.push(await setup(pool))
for (const concurrency of [1, 8]) {
  for (const s of setups) console.log(await throughput(s, concurrency))
}
for (const s of setups) await s.close()
console.log(`\nPool start (threads + 1 workers, until all are ready): ${boots.join('; ')}`)

await floodTables()
