import CircuitBreaker from 'opossum'
import type { BreakerOptions } from '../types/options.js'
import type { Engine, EngineResult } from '../types/engine.js'
import { VerdictError } from './errors.js'
import type { BreakerStateValue } from './observe/metrics.js'

export const BREAKER_DEFAULTS = { timeout: 2_000, errorThresholdPercentage: 50, resetTimeout: 30_000, volumeThreshold: 10 }

export type EngineCall = (claim: unknown) => Promise<EngineResult>

export interface EngineBreaker {
  call: EngineCall
  readonly state: BreakerStateValue
  shutdown(): void
}

/**
 * One opossum breaker around one engine. Each call gets its own AbortController, aborted when the
 * breaker's timeout fires, so the engine can stop work nobody waits for. A VerdictError is a verdict,
 * not a failure: the errorFilter keeps it out of the failure count.
 */
export function createEngineBreaker (engine: Engine<any>, options: BreakerOptions | undefined, onState: (state: BreakerStateValue) => void): EngineBreaker {
  const settings = { ...BREAKER_DEFAULTS, ...options }
  const breaker = new CircuitBreaker(
    async (claim: unknown, controller: AbortController) => await engine.verify(claim as never, { signal: controller.signal }),
    {
      name: engine.name,
      timeout: settings.timeout,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      resetTimeout: settings.resetTimeout,
      volumeThreshold: settings.volumeThreshold,
      errorFilter: (err: unknown) => err instanceof VerdictError
    }
  )
  let state: BreakerStateValue = 0
  const set = (next: BreakerStateValue) => { state = next; onState(next) }
  breaker.on('open', () => set(2))
  breaker.on('halfOpen', () => set(1))
  breaker.on('close', () => set(0))
  set(0)
  return {
    call: async (claim) => {
      const controller = new AbortController()
      try {
        return await breaker.fire(claim, controller)
      } catch (err) {
        if ((err as { code?: string }).code === 'ETIMEDOUT') controller.abort(err)
        throw err
      }
    },
    get state () { return state },
    shutdown: () => breaker.shutdown()
  }
}
