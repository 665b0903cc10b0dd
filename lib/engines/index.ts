import type { Claim } from '../../types/claims.js'
import type { Engine, EngineContext, EngineResult } from '../../types/engine.js'
import type { VerifierOptions } from '../../types/options.js'
import { claimWeight } from './descriptor.js'
import { EMBEDDED_ENGINES, embeddedSource, type EngineEntry } from './embedded.js'
import { mathParser } from './math/mathjs.js'
import { createEnginePool, poolOf, poolSettings, type EnginePool } from './pool.js'
import { attachRemoteEngine } from './remote.js'
import { timeSlice } from './slice.js'

export { EMBEDDED_ENGINES, type EngineEntry } from './embedded.js'

/**
 * Builds the engines and indexes them by the claim types they judge. The embedded engines are lazy
 * (embedded.ts): nothing heavy loads here; each engine loads on its first claim or at warmUp.
 */
export function createEngineRegistry (options: VerifierOptions = {}, entries = EMBEDDED_ENGINES): Map<string, Engine<Claim>> {
  const byType = new Map<string, Engine<Claim>>()
  // With `pool` on, the cpuBound engines run in worker threads (pool.ts), started on their first
  // pooled claim or at warmUp.
  const settings = poolSettings(options)
  const pool = settings === null ? null : createEnginePool(settings, options)
  entries.forEach((entry, index) => {
    let engine = entry.create(options) as Engine<Claim>
    if (pool !== null && entry.cpuBound === true) {
      const source = entry.source ?? (entries === EMBEDDED_ENGINES ? embeddedSource(index) : undefined)
      if (source === undefined) throw new Error(`engine ${engine.name}: a cpuBound entry needs a source to run in the worker pool`)
      engine = routeToPool(engine, pool.wrap(engine, source), entry)
    }
    for (const type of engine.claimTypes) byType.set(type, engine)
  })
  // With `remote`, claim types routed to the QWED server (options.engines) go to the remote engine.
  attachRemoteEngine(byType, options)
  for (const engine of new Set(byType.values())) {
    if (engine.name === 'remote' && engine.claimTypes.includes('math')) warmRemoteMathGuard(engine)
  }
  return byType
}

/**
 * The engine the registry holds for a pooled entry: `pooled` itself (so poolOf() finds its pool),
 * sending claims of at least the entry's poolMinWeight to a worker and lighter ones to `local` on
 * the event loop, where they cost less than the trip to a worker. With a loopSliceMs, a light claim
 * that has not finished when its slice is used up (the engine stops: `<engine>.aborted`) is sent to
 * a worker after all. warmUp loads both sides: the local engine and every worker.
 */
function routeToPool (local: Engine<Claim>, pooled: Engine<Claim>, entry: EngineEntry): Engine<Claim> {
  const pool = poolOf(pooled) as EnginePool
  const viaPool = pooled.verify.bind(pooled)
  const minWeight = entry.poolMinWeight
  const sliceMs = entry.loopSliceMs
  async function onLoop (claim: Claim, ctx: EngineContext): Promise<EngineResult> {
    if (sliceMs === undefined) return await local.verify(claim, ctx)
    const slice = timeSlice(ctx?.signal, sliceMs)
    let result: EngineResult
    try {
      result = await local.verify(claim, { ...ctx, signal: slice.signal })
    } finally {
      slice.dispose()
    }
    const stopped = result.developer_fields.constraint_id === `${local.name}.aborted`
    return stopped && slice.expired() ? await viaPool(claim, ctx) : result
  }
  if (minWeight !== undefined && minWeight > 0) {
    pooled.verify = async (claim, ctx) => claimWeight(claim, minWeight) >= minWeight ? await viaPool(claim, ctx) : await onLoop(claim, ctx)
  }
  // the fast path is light and exact wherever the claim would run
  if (local.fastVerify !== undefined) pooled.fastVerify = local.fastVerify.bind(local)
  pooled.warmUp = async () => {
    await Promise.all([local.warmUp?.(), pool.warm()])
  }
  return pooled
}

/** The remote guard parses math claims with the math engine's parser: warmUp loads it (mathjs). */
function warmRemoteMathGuard (engine: Engine<Claim>): void {
  const own = engine.warmUp?.bind(engine)
  engine.warmUp = async () => {
    mathParser()
    await own?.()
  }
}
