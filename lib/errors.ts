import type { DiagnosticResult } from '../types/result.js'

/** A bad option, thrown at registration (or createVerifier) with the option's path in the message. */
export class QwedOptionsError extends Error {
  readonly code = 'QWED_INVALID_OPTION'
  readonly option: string
  constructor (option: string, message: string) {
    super(`qwed: option "${option}" ${message}`)
    this.name = 'QwedOptionsError'
    this.option = option
  }
}

// A registry symbol, so a VerdictError made by a second copy of this module (a worker thread whose
// loader resolved the file again, a bundled duplicate) is still recognised as a verdict.
const VERDICT = Symbol.for('qwed-middleware.VerdictError')

/**
 * An engine may throw this deep inside its analysis to return a verdict early. It is a verdict,
 * not a failure: the circuit breaker's errorFilter lets it through without counting it.
 */
export class VerdictError extends Error {
  readonly result: DiagnosticResult
  readonly [VERDICT] = true
  constructor (result: DiagnosticResult) {
    super(result.agent_message)
    this.name = 'VerdictError'
    this.result = result
  }

  static override [Symbol.hasInstance] (value: unknown): boolean {
    return value instanceof Error && (value as unknown as Record<symbol, unknown>)[VERDICT] === true
  }
}
