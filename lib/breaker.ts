import { performance } from 'node:perf_hooks'
import CircuitBreaker from 'opossum'
import type { BreakerOptions } from '../types/options.js'
import type { Engine, EngineResult } from '../types/engine.js'
import { VerdictError } from './errors.js'
import { blocked } from './result.js'
import { QueueWaitExpired, RunAbandoned } from './engines/abort-reasons.js'
import { busyResult } from './engines/busy.js'
import type { BreakerStateValue } from './observe/metrics.js'

export const BREAKER_DEFAULTS = { timeout: 2_000, errorThresholdPercentage: 50, resetTimeout: 30_000, volumeThreshold: 10 }

export type EngineCall = (claim: unknown) => Promise<EngineResult>

export interface EngineBreaker {
  call: EngineCall
  readonly state: BreakerStateValue
  shutdown(): void
}

/**
 * One opossum breaker around one engine, counting and timing only what the engine runs.
 *
 * - Each call gets its own AbortController, aborted when the run overruns the breaker's timeout, so
 *   the engine can stop work nobody waits for.
 * - A VerdictError is a verdict, not a failure: the errorFilter keeps it out of the failure count.
 * - Overload is not failure. For an engine that `queues` (the worker pool, Z3, the remote
 *   connections), the breaker sees the claim only from `ctx.started()` on: opossum's timeout runs
 *   from there, and only the run's outcome is counted. The caller still has one deadline (the
 *   breaker's timeout from the call, on a plain timer): a claim still waiting then is answered busy
 *   and leaves the queue (its signal aborts: QueueWaitExpired); one that started late is answered
 *   `timeout` and its run abandoned (RunAbandoned: Z3 stops, a pool run ends at the pool's own
 *   deadline); neither abort is a failure. A claim answered before it ran (a full queue: busy) is not
 *   counted at all; a throw before it ran (a worker that cannot boot, Z3 that cannot load) is.
 */
export function createEngineBreaker (engine: Engine<any>, options: BreakerOptions | undefined, onState: (state: BreakerStateValue) => void): EngineBreaker {
  const settings = { ...BREAKER_DEFAULTS, ...options }
  // The action is the run itself, already under way when the breaker is fired: handed back as it
  // is (an async wrapper only added a promise and a turn per claim).
  const breaker = new CircuitBreaker((run: Promise<EngineResult>) => run, {
    name: engine.name,
    timeout: settings.timeout,
    errorThresholdPercentage: settings.errorThresholdPercentage,
    resetTimeout: settings.resetTimeout,
    volumeThreshold: settings.volumeThreshold,
    // Nothing reads latency percentiles; without them a failure's stats are counts, not a sort of
    // every latency in the window.
    rollingPercentilesEnabled: false,
    // A verdict is no failure; nor is a queued claim stopped because its caller had its answer.
    errorFilter: (err: unknown) => err instanceof VerdictError || err instanceof QueueWaitExpired || err instanceof RunAbandoned
  })
  let state: BreakerStateValue = 0
  const set = (next: BreakerStateValue) => { state = next; onState(next) }
  breaker.on('open', () => set(2))
  breaker.on('halfOpen', () => set(1))
  breaker.on('close', () => set(0))
  set(0)
  const queues = engine.queues === true

  // Not async: it hands back opossum's or its own promise, with no wrapper promise around it
  // (nothing here throws before a promise exists).
  function call (claim: unknown): Promise<EngineResult> {
    // An open breaker refuses before the claim joins any queue (opossum rejects without running it).
    if (breaker.opened) return breaker.fire(NOT_RUN)
    const controller = new AbortController()
    const calledAt = performance.now()
    return new Promise<EngineResult>((resolve, reject) => {
      let answered = false
      let counted: Promise<EngineResult> | null = null
      let startedAt = 0
      let settleRun!: { resolve: (value: EngineResult) => void, reject: (err: unknown) => void }
      const run = new Promise<EngineResult>((resolve, reject) => { settleRun = { resolve, reject } })
      run.catch(() => {}) // opossum may refuse it (open) and never look at it
      const answer = (settle: () => void): void => {
        if (answered) return
        answered = true
        clearTimeout(deadline)
        settle()
      }
      const started = (): void => {
        // Once its caller had the busy answer, a claim that starts anyway (a race) is not counted.
        if (counted !== null || controller.signal.aborted) return
        startedAt = performance.now()
        counted = breaker.fire(run)
        counted.then((value) => answer(() => resolve(value)), (err: unknown) => {
          if ((err as { code?: string }).code === 'ETIMEDOUT') controller.abort(err)
          answer(() => reject(err))
        })
      }
      // The caller's deadline for an engine that queues; for the others opossum's timeout is it.
      const deadline = queues
        ? setTimeout(() => {
          if (counted === null) {
            controller.abort(new QueueWaitExpired(settings.timeout))
            answer(() => reject(new VerdictError(busyResult(engine.name, { waited_ms: settings.timeout }))))
          } else {
            const waited = Math.round(startedAt - calledAt)
            controller.abort(new RunAbandoned(waited))
            answer(() => reject(new VerdictError(blocked('Verification is temporarily unavailable', { constraint_id: `${engine.name}.unavailable`, reason: 'timeout', queued_ms: waited }))))
          }
        }, settings.timeout)
        : undefined
      if (!queues) started()
      let verifying: Promise<EngineResult>
      try {
        verifying = Promise.resolve(engine.verify(claim, { signal: controller.signal, started }))
      } catch (err) {
        verifying = Promise.reject(err)
      }
      verifying.then((value) => {
        settleRun.resolve(value)
        // Answered before it ran (busy, a refusal): nothing for the breaker to count.
        if (counted === null) answer(() => resolve(value))
      }, (err: unknown) => {
        settleRun.reject(err)
        // A throw before the claim ran counts (a worker that cannot boot), unless it is the abort
        // of a claim whose caller already had its busy answer.
        if (counted === null && !answered) started()
      })
    })
  }

  return {
    call,
    get state () { return state },
    shutdown: () => breaker.shutdown()
  }
}

const NOT_RUN: Promise<EngineResult> = Promise.reject(new Error('not run'))
NOT_RUN.catch(() => {})
