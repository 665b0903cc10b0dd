// In-process benchmark of the verifier on math claims: cache misses (distinct claims) against cache
// hits (one claim repeated), side by side in one run. `npm run bench`; `-- --quick` for a short run.
import { performance } from 'node:perf_hooks'
import { createVerifier } from '../lib/verifier.js'
import type { Claim } from '../types/claims.js'

const quick = process.argv.includes('--quick')
const n = quick ? 2_000 : 20_000

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
  console.log(`${label.padEnd(34)} ${String(Math.round(n / (elapsed / 1000))).padStart(8)} claims/s   p50 ${pct(0.5)} ms   p99 ${pct(0.99)} ms`)
  await verifier.close()
}

console.log(`node ${process.version}, ${n} claims per row\n`)
await measure('math, cache miss (distinct claims)', (i) => ({ type: 'math', expression: `${i} * 1.05^2 = ${i * 441 / 400}` }))
await measure('math, cache hit (same claim)', () => ({ type: 'math', expression: '1000 * 1.05^2 = 1102.5' }))
