import type { QwedOutcome } from '../../types/route.js'
import type { VerificationResult } from '../../types/result.js'

// What an application catches when the middleware refuses an answer. Each carries the body the HTTP
// adapters would have sent (422 / 503), so a route handler can forward it unchanged; toJSON() is that
// body, so an error serialised into a stream part says no more than the 422 would.

export class QwedBlockedError extends Error {
  readonly code = 'QWED_BLOCKED'
  readonly statusCode = 422
  readonly outcome: QwedOutcome
  /** The client-safe 422 body (developer_fields only with exposeDetails). */
  readonly body: Record<string, unknown>
  constructor (outcome: QwedOutcome, body: Record<string, unknown>) {
    super('qwed: the model\'s answer did not pass verification')
    this.name = 'QwedBlockedError'
    this.outcome = outcome
    this.body = body
  }

  get results (): VerificationResult[] {
    return this.outcome.results
  }

  toJSON (): Record<string, unknown> {
    return this.body
  }
}

export class QwedUnavailableError extends Error {
  readonly code = 'QWED_UNAVAILABLE'
  readonly statusCode = 503
  readonly outcome: QwedOutcome
  readonly body: Record<string, unknown>
  /** Seconds a client should wait before retrying (what the adapters send as Retry-After). */
  readonly retryAfterSeconds: number
  constructor (outcome: QwedOutcome, body: Record<string, unknown>, retryAfterSeconds: number) {
    super('qwed: the model\'s answer could not be verified right now')
    this.name = 'QwedUnavailableError'
    this.outcome = outcome
    this.body = body
    this.retryAfterSeconds = retryAfterSeconds
  }

  get results (): VerificationResult[] {
    return this.outcome.results
  }

  toJSON (): Record<string, unknown> {
    return this.body
  }
}
