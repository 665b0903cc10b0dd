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

/**
 * An engine may throw this deep inside its analysis to return a verdict early. It is a verdict,
 * not a failure: the circuit breaker's errorFilter lets it through without counting it.
 */
export class VerdictError extends Error {
  readonly result: DiagnosticResult
  constructor (result: DiagnosticResult) {
    super(result.agent_message)
    this.name = 'VerdictError'
    this.result = result
  }
}
