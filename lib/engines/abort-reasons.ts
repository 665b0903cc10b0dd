/**
 * Why the breaker aborts the signal of an engine that queues (lib/breaker.ts), so that the engine
 * can tell overload from a run that failed. Neither is a breaker failure.
 */

/** The claim's caller stopped waiting before the claim ran: leave the queue. */
export class QueueWaitExpired extends Error {
  constructor (ms: number) {
    super(`the claim waited ${ms} ms in the engine's queue and did not run`)
    this.name = 'QueueWaitExpired'
  }
}

/**
 * The claim started too late to finish by its caller's deadline; the caller has its answer. Stop if
 * stopping is cheap (Z3: an interrupt); an engine whose runs end soon on their own deadline (the
 * worker pool) may let the run finish rather than pay for a new worker.
 */
export class RunAbandoned extends Error {
  constructor (queuedMs: number) {
    super(`the claim queued ${queuedMs} ms and could not finish by its caller's deadline`)
    this.name = 'RunAbandoned'
  }
}
