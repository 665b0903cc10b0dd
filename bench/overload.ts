// `npm run bench:overload` (`-- --before=/path/to/an/older/checkout` to compare side by side in one
// run): what a flood does to the breakers, and how far deadlines overrun under load. Each scenario
// runs in its own process per checkout, so no Z3 instance, worker pool or heap is shared.
//   math-flood   pool {} (2 threads, cold), 3,000 distinct math claims at once, then 100 cheap ones
//   logic-flood  4 hard Z3 claims, then 80 cheap logic claims, one every 25 ms
//   remote-load  a QWED server answering in 400 ms, 80 claims a second for 5 s (timeoutMs 1,500)
//   deadline     a server that never answers, 200 claims over 2 s (timeoutMs 300) while the heap churns:
//                how long past its deadline each claim is answered
import { spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { createServer, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Claim } from '../types/claims.js'
import type { VerificationResult } from '../types/result.js'
import { startQwedServer } from '../test/helpers/qwed-server.js'

type Summary = Record<string, number | string>
const SCENARIOS = ['math-flood', 'logic-flood', 'remote-load', 'deadline'] as const
type Scenario = typeof SCENARIOS[number]
const HERE = fileURLToPath(new URL('..', import.meta.url))

/** How a result ended: VERIFIED, busy, timeout, breaker_open, engine_error, or its constraint. */
function kind (r: VerificationResult): string {
  if (r.status === 'VERIFIED') return 'verified'
  const reason = r.developer_fields.reason
  return typeof reason === 'string' && String(r.developer_fields.constraint_id).endsWith('.unavailable') ? reason : String(r.developer_fields.constraint_id)
}

function tally (results: VerificationResult[], prefix = ''): Summary {
  const out: Summary = {}
  for (const r of results) out[prefix + kind(r)] = ((out[prefix + kind(r)] as number | undefined) ?? 0) + 1
  return out
}

async function child (scenario: Scenario, root: string): Promise<Summary> {
  const { createVerifier } = await import(`${root}/lib/verifier.ts`) as typeof import('../lib/verifier.js')
  const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
  if (scenario === 'math-flood') {
    const verifier = createVerifier({ pool: {}, cache: false, audit: false })
    const flood = await Promise.all(Array.from({ length: 3000 }, async (_, i) => await verifier.verify({ type: 'math', expression: `${i} * 3 = ${i * 3}` })))
    const after: VerificationResult[] = []
    for (let i = 0; i < 100; i++) after.push(await verifier.verify({ type: 'math', expression: `${i} + 2 = ${i + 2}` }))
    await verifier.close()
    return { ...tally(flood, 'flood:'), ...tally(after, 'after:') }
  }
  if (scenario === 'logic-flood') {
    const verifier = createVerifier({ cache: false, audit: false })
    await verifier.warmUp()
    const hard = (n: number): Claim => ({ type: 'logic', check: 'satisfiable', variables: { x: 'Int', y: 'Int', z: 'Int' }, constraints: ['x > 0', 'y > 0', 'z > ' + String(n), 'x*x*x + y*y*y == z*z*z'] })
    const hardRuns = Array.from({ length: 4 }, async (_, n) => await verifier.verify(hard(n)))
    const cheap: Array<Promise<VerificationResult>> = []
    for (let i = 0; i < 80; i++) {
      cheap.push(verifier.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: [`x > ${i}`] }))
      await sleep(25)
    }
    const out = { ...tally(await Promise.all(hardRuns), 'hard:'), ...tally(await Promise.all(cheap), 'cheap:') }
    await verifier.close()
    return out
  }
  if (scenario === 'remote-load') {
    const server = await startQwedServer({ perKeyLimit: 1_000_000 })
    server.always({ kind: 'delay', ms: 400 })
    const verifier = createVerifier({ remote: { url: server.url, apiKey: server.apiKey, timeoutMs: 1500, ratePerMinute: 1_000_000 }, engines: { math: 'remote' }, cache: false, audit: false })
    const runs: Array<Promise<VerificationResult>> = []
    const started = performance.now()
    for (let i = 0; i < 400; i++) {
      const due = started + i * 12.5
      if (due > performance.now()) await sleep(due - performance.now())
      runs.push(verifier.verify({ type: 'math', expression: `${i} + 1 = ${i + 1}` }))
    }
    const out = { ...tally(await Promise.all(runs)), connections: server.connections() }
    await verifier.close()
    await server.close()
    return out
  }
  // deadline
  const sockets = new Set<Socket>()
  const hang = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve))
  const port = (hang.address() as { port: number }).port
  const timeoutMs = 300
  const verifier = createVerifier({ remote: { url: `http://127.0.0.1:${port}`, apiKey: 'bench', timeoutMs, retries: 0, ratePerMinute: 1_000_000 }, engines: { math: 'remote' }, cache: false, audit: false, breaker: { volumeThreshold: 1_000_000 } })
  // Loaded first (as an app's warm-up at ready does): the first claim would otherwise load the remote
  // client and the math parser, and count that load as an overrun.
  await verifier.warmUp()
  let keep: unknown[] = []
  const churn = setInterval(() => { keep = Array.from({ length: 20_000 }, (_, i) => ({ i, s: String(i) })) }, 5)
  const overruns: number[] = []
  const runs: Array<Promise<void>> = []
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now()
    runs.push(verifier.verify({ type: 'math', expression: `${i} = ${i}` }).then(() => { overruns.push(performance.now() - t0 - timeoutMs) }))
    await sleep(10)
  }
  await Promise.all(runs)
  clearInterval(churn)
  if (keep.length < 0) console.log(keep)
  await verifier.close()
  for (const socket of sockets) socket.destroy()
  hang.close()
  overruns.sort((a, b) => a - b)
  const at = (p: number): string => (overruns[Math.min(overruns.length - 1, Math.floor(overruns.length * p))] ?? 0).toFixed(1)
  return { 'overrun p50 ms': at(0.5), 'overrun p99 ms': at(0.99), 'overrun max ms': (overruns.at(-1) ?? 0).toFixed(1) }
}

const args = process.argv.slice(2)
if (args[0] === '--child') {
  const summary = await child(args[1] as Scenario, args[2] as string)
  process.stdout.write('\n' + JSON.stringify(summary) + '\n')
  process.exit(0)
}

const before = args.find((a) => a.startsWith('--before='))?.slice('--before='.length)
const roots: Array<[string, string]> = [...(before === undefined ? [] : [['before', before] as [string, string]]), ['after', HERE]]
console.log(`node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${new Date().toISOString()})\n`)
for (const scenario of SCENARIOS) {
  console.log(`### ${scenario}`)
  for (const [label, root] of roots) {
    const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', scenario, root], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const line = run.stdout.trim().split('\n').at(-1) ?? ''
    let summary: Summary
    try {
      summary = JSON.parse(line) as Summary
    } catch {
      console.log(`${label}: failed (${run.status}) ${run.stderr.slice(-500)}`)
      continue
    }
    console.log(`${label.padEnd(7)} ${Object.entries(summary).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
}
