import type { LogicClaim } from '../../../types/claims.js'
import type { Engine, EngineContext, EngineResult } from '../../../types/engine.js'
import type { VerifierOptions } from '../../../types/options.js'
import { blocked } from '../../result.js'
import { runCheck } from './checks.js'
import { loadZ3, unloadZ3, type Z3Loader } from './z3.js'

/**
 * The logic engine: satisfiability, theorems, implications, equivalences, vacuity and optima of
 * constraints written in Z3-Python-style infix syntax, decided by Z3 (z3-solver, WASM).
 *
 * - The constraint text is parsed by our own parser (parse.ts) with an allowlist and caps, and
 *   sort-checked (elaborate.ts), before Z3 is even loaded: nothing is evaluated as code.
 * - Z3 is loaded on the first claim that gets that far, once per process (z3.ts); a load failure is
 *   thrown (the verifier answers BLOCKED `logic.unavailable`), and the next claim tries again.
 * - Every check has a solver timeout (default 1.5 s, kept under the circuit breaker's deadline);
 *   unknown answers are BLOCKED `logic.timeout` / `logic.unknown` and never cached.
 * - Status conventions are QWED's (checks.ts).
 */

export interface LogicEngineSettings {
  /** Solver time per check in ms. Default: 1,500, or the breaker timeout minus 500 ms if smaller. */
  timeoutMs?: number
  /** How z3-solver is loaded (tests); default `import('z3-solver')`, shared by the whole process. */
  loader?: Z3Loader
}

const DEFAULT_TIMEOUT_MS = 1500
const BREAKER_DEFAULT_TIMEOUT_MS = 2000

export function createLogicEngine (options: VerifierOptions = {}, settings: LogicEngineSettings = {}): Engine<LogicClaim> {
  const breakerTimeout = options.breaker?.timeout ?? BREAKER_DEFAULT_TIMEOUT_MS
  const timeoutMs = settings.timeoutMs ?? Math.max(50, Math.min(DEFAULT_TIMEOUT_MS, breakerTimeout - 500))
  const lifetime = new AbortController()

  return {
    name: 'logic',
    claimTypes: ['logic'],
    queues: true,
    async verify (claim: LogicClaim, ctx?: EngineContext): Promise<EngineResult> {
      if (lifetime.signal.aborted) {
        return { ...blocked('The logic engine is closed', { constraint_id: 'logic.closed' }), cacheable: false }
      }
      const signal = ctx?.signal === undefined ? lifetime.signal : AbortSignal.any([ctx.signal, lifetime.signal])
      return await runCheck(claim, { timeoutMs, signal, loader: settings.loader, onStart: ctx?.started })
    },
    /** Loads Z3 (3-4 s on a busy machine): longer than the breaker's deadline for the first claim. */
    async warmUp () {
      await loadZ3(settings.loader)
    },
    /**
     * Interrupts this engine's running checks and refuses new ones. Z3 itself stays loaded (it is
     * shared by the process and its pthread workers do not keep the process alive); call
     * `unloadLogicSolver()` to free its memory.
     */
    close () {
      lifetime.abort()
    }
  }
}

/** Loads Z3 ahead of the first logic claim (e.g. at startup), so that claim does not pay ~1 s. */
export async function preloadLogicSolver (): Promise<void> {
  await loadZ3()
}

/** Terminates Z3's worker threads and frees it; a later logic claim loads it again. */
export async function unloadLogicSolver (): Promise<void> {
  await unloadZ3()
}
