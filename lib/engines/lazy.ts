/**
 * An engine whose module loads on its first claim (or at warmUp), so that importing the package and
 * creating a verifier load no engine. The name and claim types come from the engine's descriptor.
 *
 * Fail closed, never throw: while the module cannot be loaded (a missing optional file, a broken
 * install), every claim is BLOCKED `<engine>.unavailable` (reason `engine_load_failed`, not cached)
 * and the next claim tries to load it again. warmUp() rejects instead, so that a deployment that
 * warms up at startup learns of it there.
 *
 * Loading is waiting, not running: the lazy engine `queues` (types/engine.ts), so the breaker neither
 * times nor counts the load; an engine that does not queue itself is started once it is built, and
 * one that does (Z3, the remote client) calls `started` when its own line lets the claim run.
 */
import type { Engine, EngineContext, EngineResult } from '../../types/engine.js'
import { blocked } from '../result.js'
import { QueueWaitExpired } from './abort-reasons.js'
import { busyResult } from './busy.js'

export interface LazyEngine<C extends { type: string }> extends Engine<C> {
  /** true once the engine's module is loaded and the engine built. */
  readonly loaded: boolean
}

/** The verdict of a claim whose engine could not be loaded. */
export function loadFailedResult (engine: string, err: unknown): EngineResult {
  return {
    ...blocked('Verification is temporarily unavailable', {
      constraint_id: `${engine}.unavailable`,
      reason: 'engine_load_failed',
      error: err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300)
    }),
    cacheable: false
  }
}

/**
 * `fastVerify`, when given, is the engine's own fast path from a light module (math's plain
 * arithmetic): it answers before the engine is loaded, exactly as the loaded engine would.
 */
export function lazyEngine<C extends { type: string }> (name: string, claimTypes: ReadonlyArray<C['type']>, load: () => Promise<Engine<C>>, fastVerify?: (claim: C) => EngineResult | undefined): LazyEngine<C> {
  let engine: Engine<C> | null = null
  let loading: Promise<Engine<C>> | null = null
  let closed = false

  function get (): Promise<Engine<C>> {
    if (loading === null) {
      const attempt = (async () => await load())()
      loading = attempt
      attempt.then((built) => {
        engine = built
        // closed while loading: nothing will close it later
        if (closed) Promise.resolve(built.close?.()).catch(() => {})
      }, () => {
        if (loading === attempt) loading = null
      })
    }
    return loading
  }

  return {
    name,
    claimTypes,
    queues: true,
    ...(fastVerify === undefined ? {} : { fastVerify }),
    get loaded () { return engine !== null },
    async verify (claim: C, ctx: EngineContext): Promise<EngineResult> {
      let built = engine
      if (built === null) {
        try {
          built = await get()
        } catch (err) {
          return loadFailedResult(name, err)
        }
      }
      // The caller stopped waiting during the load (the breaker answered it busy): do not run it
      // now. Only that reason: a light claim's time slice may run out during the load, and then the
      // engine must still run it and say `aborted`, so that it goes to a worker (index.ts).
      if (ctx?.signal?.reason instanceof QueueWaitExpired) return busyResult(name, { waited_for: 'engine_load' })
      if (built.queues !== true) ctx?.started?.()
      return await built.verify(claim, ctx)
    },
    async warmUp (): Promise<void> {
      const built = await get()
      await built.warmUp?.()
    },
    async close (): Promise<void> {
      closed = true
      await engine?.close?.()
    }
  }
}
