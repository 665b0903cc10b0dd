import type { Claim } from './claims.js'
import type { DiagnosticResult } from './result.js'

export interface EngineContext {
  /**
   * Aborted when the claim's deadline passes: long work should stop and return. For an engine that
   * `queues`, aborted at the deadline only while the claim still waits (it should leave its queue);
   * once it runs, only when the run itself overruns the breaker's timeout.
   */
  signal: AbortSignal
  /**
   * Called by an engine that `queues` when the claim leaves its queue and starts to run (a worker
   * took it, Z3 is free, a connection is free). Only what runs is timed and counted by the breaker.
   */
  started?: () => void
}

/** What an engine returns: a verdict. `cacheable: false` keeps it out of the result cache. */
export interface EngineResult extends DiagnosticResult {
  cacheable?: boolean
}

/**
 * A verification engine. `verify` returns a verdict for every claim it can judge (BLOCKED for bad
 * input, never a throw). It throws only when the engine itself is unavailable (infrastructure):
 * those errors count as circuit-breaker failures.
 */
export interface Engine<C extends { type: string } = Claim> {
  readonly name: string
  readonly claimTypes: readonly C['type'][]
  verify(claim: C, ctx: EngineContext): EngineResult | Promise<EngineResult>
  /**
   * True when verify may wait (for a worker, for Z3, for a connection) before the claim runs, and
   * calls `ctx.started()` when it does: waiting is overload, not failure, so the breaker neither
   * times nor counts it. A claim it has no room for is answered busy (lib/engines/busy.ts).
   */
  readonly queues?: boolean
  /**
   * Optional: the verdict of a claim decided at once (synchronously, in microseconds, with no way
   * to fail), asked before the breaker; undefined sends the claim to verify(). Must give exactly
   * what verify() would.
   */
  fastVerify?(claim: C): EngineResult | undefined
  /** Loads what the first claim would otherwise load inside its deadline (a solver); rejects if it cannot. */
  warmUp?(): Promise<void>
  close?(): void | Promise<void>
}
