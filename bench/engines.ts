// In-process engine benchmark on the conformance fixtures: every case of each engine, mapped to our
// claim as the conformance tests do, verified repeatedly with the cache off; claims/s and p50/p99
// per engine, side by side in one run. `npm run bench:engines` (`-- --quick` for fewer rounds).
import { performance } from 'node:perf_hooks'
import { createVerifier } from '../lib/verifier.js'
import type { Claim } from '../types/claims.js'
import { loadCases, type ConformanceCase } from '../test/helpers/conformance.js'
import { toClaim as codeClaim } from '../test/helpers/claims/code.js'
import { toClaim as logicClaim } from '../test/helpers/claims/logic.js'
import { toClaim as mathClaim } from '../test/helpers/claims/math.js'
import { toClaim as schemaClaim } from '../test/helpers/claims/schema.js'
import { toClaim as sqlClaim } from '../test/helpers/claims/sql.js'
import { toClaim as statsClaim } from '../test/helpers/claims/stats.js'

const quick = process.argv.includes('--quick')
const rounds = quick ? 3 : 20
const mappers: Record<string, (c: ConformanceCase) => Claim | { pending: string }> = {
  math: mathClaim, sql: sqlClaim, code: codeClaim, schema: schemaClaim, logic: logicClaim, stats: statsClaim
}

const verifier = createVerifier({ audit: false, cache: false, breaker: { timeout: 30_000 } })
console.log(`node ${process.version}, cache off, ${rounds} rounds over each engine's conformance cases\n`)
console.log('engine   cases   claims/s   p50 ms   p99 ms')
try {
  for (const [engine, toClaim] of Object.entries(mappers)) {
    const claims = loadCases(engine).map(toClaim).filter((c): c is Claim => !('pending' in c))
    for (const claim of claims) await verifier.verify(claim) // warm-up: parsers, wasm, Z3
    const times: number[] = []
    const started = performance.now()
    for (let round = 0; round < rounds; round++) {
      for (const claim of claims) {
        const t0 = performance.now()
        await verifier.verify(claim)
        times.push(performance.now() - t0)
      }
    }
    const elapsed = (performance.now() - started) / 1000
    times.sort((a, b) => a - b)
    const pct = (p: number) => (times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0).toFixed(2)
    console.log(`${engine.padEnd(8)} ${String(claims.length).padStart(5)}   ${(times.length / elapsed).toFixed(0).padStart(8)}   ${pct(0.5).padStart(6)}   ${pct(0.99).padStart(6)}`)
  }
} finally {
  await verifier.close()
}
