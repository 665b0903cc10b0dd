// In-process benchmark of the verifier pipeline, side by side in one run. `npm run bench:verifier`
// (`-- --quick` for a short run).
//   1. math claims: cache misses (distinct claims) against cache hits (one claim repeated).
//   2. the pipeline's own cost: every conformance case of the math, code, schema and stats engines,
//      each claim given to the bare engine (engine.verify, as a QWED server's engine call) and then
//      to verifier.verify (cache off, default audit to a logger that writes nothing, metrics on),
//      interleaved; medians of both and the median of the per-claim difference (pipeline overhead:
//      claim guard and hash, breaker, result, metrics, audit decision).
import { performance } from 'node:perf_hooks'
import { loadavg } from 'node:os'
import { createEngineRegistry } from '../lib/engines/index.js'
import { createVerifier } from '../lib/verifier.js'
import type { Claim } from '../types/claims.js'
import { loadCases, type ConformanceCase } from '../test/helpers/conformance.js'
import { toClaim as codeClaim } from '../test/helpers/claims/code.js'
import { toClaim as mathClaim } from '../test/helpers/claims/math.js'
import { toClaim as schemaClaim } from '../test/helpers/claims/schema.js'
import { toClaim as statsClaim } from '../test/helpers/claims/stats.js'

const quick = process.argv.includes('--quick')
const n = quick ? 2_000 : 20_000
const rounds = quick ? 5 : 30
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1] ?? 0
}
const quiet = { info () {}, warn () {}, error () {} }

async function measure (label: string, claims: (i: number) => Claim): Promise<void> {
  const verifier = createVerifier({ audit: false, cache: { max: 100_000 } })
  // Warm up the engine (first mathjs parse) outside the measurement.
  await verifier.verify({ type: 'math', expression: '1 + 1 = 2' })
  const times = new Float64Array(n)
  const started = performance.now()
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await verifier.verify(claims(i))
    times[i] = performance.now() - t0
  }
  const elapsed = performance.now() - started
  times.sort()
  const pct = (p: number) => (times[Math.min(n - 1, Math.floor(n * p))] ?? 0).toFixed(3)
  console.log(`| ${label} | ${Math.round(n / (elapsed / 1000))} | ${pct(0.5)} | ${pct(0.99)} |`)
  await verifier.close()
}

console.log(`node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
console.log(`| math claims (${n} a row) | claims/s | p50 ms | p99 ms |`)
console.log('| --- | --- | --- | --- |')
// `^` and decimals: the exact fast path; `x` makes the second row go through the full engine.
await measure('cache miss, plain arithmetic (distinct claims)', (i) => ({ type: 'math', expression: `${i} * 1.05^2 = ${i * 441 / 400}` }))
await measure('cache miss, algebra (distinct claims)', (i) => ({ type: 'math', expression: `(x + ${i})^2 = x^2 + ${2 * i}*x + ${i * i}` }))
await measure('cache hit (same claim)', () => ({ type: 'math', expression: '1000 * 1.05^2 = 1102.5' }))

const mappers: Record<string, (c: ConformanceCase) => Claim | { pending: string }> = { math: mathClaim, code: codeClaim, schema: schemaClaim, stats: statsClaim }
const engines = createEngineRegistry({})
const verifier = createVerifier({ cache: false, audit: { logger: quiet }, breaker: { timeout: 30_000 } })
console.log(`\n| engine (conformance cases, ${rounds} rounds) | cases | bare engine p50 ms | verifier p50 ms | overhead p50 µs |`)
console.log('| --- | --- | --- | --- | --- |')
try {
  for (const [type, toClaim] of Object.entries(mappers)) {
    const claims = loadCases(type).map(toClaim).filter((c): c is Claim => !('pending' in c))
    const engine = engines.get(type)
    if (engine === undefined) continue
    const signal = new AbortController().signal
    for (const claim of claims) { await engine.verify(claim, { signal }); await verifier.verify(claim) } // warm-up
    const bare: number[] = []
    const piped: number[] = []
    const overhead: number[] = []
    for (let round = 0; round < rounds; round++) {
      for (const claim of claims) {
        const t0 = performance.now()
        await engine.verify(claim, { signal })
        const t1 = performance.now()
        await verifier.verify(claim)
        const t2 = performance.now()
        bare.push(t1 - t0)
        piped.push(t2 - t1)
        overhead.push((t2 - t1) - (t1 - t0))
      }
    }
    console.log(`| ${type} | ${claims.length} | ${median(bare).toFixed(3)} | ${median(piped).toFixed(3)} | ${(median(overhead) * 1000).toFixed(1)} |`)
  }
} finally {
  await verifier.close()
  for (const engine of new Set(engines.values())) await engine.close?.()
}
