// Memory benchmark: RSS and heap after N verifications of distinct math claims with the cache
// bounded (default 10,000 entries), sampled along the way. `npm run bench:memory` verifies a
// million claims; `-- --quick` 50,000.
import { createVerifier } from '../lib/verifier.js'

const quick = process.argv.includes('--quick')
const total = quick ? 50_000 : 1_000_000
const step = total / 5
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0).padStart(6)

const verifier = createVerifier({ audit: false, cache: { max: 10_000 } })
console.log(`node ${process.version}, ${total} distinct math claims, cache max 10000\n`)
console.log('verified     rss MB   heap MB')
await verifier.verify({ type: 'math', expression: '1 + 1 = 2' })
console.log(`${'0'.padStart(8)}   ${mb(process.memoryUsage().rss)}    ${mb(process.memoryUsage().heapUsed)}`)
for (let i = 1; i <= total; i++) {
  await verifier.verify({ type: 'math', expression: `${i} * 1.05^2 = ${(i * 441) / 400}` })
  if (i % step === 0) {
    const m = process.memoryUsage()
    console.log(`${String(i).padStart(8)}   ${mb(m.rss)}    ${mb(m.heapUsed)}`)
  }
}
await verifier.close()
