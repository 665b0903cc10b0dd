import t from 'tap'
import type { Claim } from '../types/claims.js'
import type { Engine } from '../types/engine.js'
import { createEngineRegistry } from '../lib/engines/index.js'
import { lazyEngine } from '../lib/engines/lazy.js'
import { createVerifier } from '../lib/verifier.js'
import { scriptEngine } from './helpers/engines.js'

// Loading an engine on its first claim is waiting, not running: the breaker neither times nor counts
// the load (lib/engines/lazy.ts). A claim still waiting at its deadline is answered busy.

t.test('a load slower than the deadline answers busy and never opens the breaker', async (t) => {
  let finishLoad!: () => void
  const loaded = new Promise<void>((resolve) => { finishLoad = resolve })
  const inner = scriptEngine()
  const slow = lazyEngine('script', ['script'], async () => { await loaded; return inner })
  const verifier = createVerifier({
    extraEngines: [slow as Engine<any>],
    audit: false,
    cache: false,
    // one failure would open it: volumeThreshold 1, any error rate
    breaker: { timeout: 30, volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 600_000 }
  })
  t.teardown(async () => { await verifier.close() })
  for (let i = 0; i < 3; i++) {
    const waiting = await verifier.verify({ type: 'script', verdict: 'true' } as never)
    t.equal(waiting.status, 'BLOCKED', 'not verified while the engine is loading')
    t.match(waiting.developer_fields, { constraint_id: 'script.unavailable', reason: 'busy' })
  }
  t.equal(verifier.status().engines.find((e) => e.name === 'script')?.breaker, 'closed', 'waiting for the load is not a failure')
  finishLoad()
  const judged = await verifier.verify({ type: 'script', verdict: 'true' } as never)
  t.equal(judged.status, 'VERIFIED', 'once loaded, the engine judges')
  t.equal(inner.calls, 1, 'the claims that timed out while waiting never ran')
})

t.test('the math fast path answers through the lazy engine, pooled or not, without loading the engine', async (t) => {
  for (const options of [{}, { pool: { threads: 1 } }] as Array<{ pool?: { threads: number } }>) {
    const registry = createEngineRegistry(options)
    const math = registry.get('math') as Engine<Claim>
    t.teardown(async () => { for (const engine of new Set(registry.values())) await engine.close?.() })
    const quick = math.fastVerify?.({ type: 'math', expression: '2 + 3 * 4 = 14' })
    t.equal(quick?.status, 'VERIFIED', `fast path with ${JSON.stringify(options)}`)
    // not pooled, the registry holds the lazy engine itself
    if (options.pool === undefined) t.equal((math as { loaded?: boolean }).loaded, false, 'the math engine itself was not loaded')
  }
})
