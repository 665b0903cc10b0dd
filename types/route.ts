import type { Claim } from './claims.js'
import type { Mode, UnavailablePolicy } from './options.js'
import type { Status, VerificationResult } from './result.js'

/** What a route's `claims` function may return: one claim, several, or nothing to check. */
export type ClaimsResult = Claim | readonly Claim[] | null | undefined

/**
 * What happened to one response:
 * admit (proven, sent with x-qwed-status VERIFIED), block (422), shadow (not admitted, sent unchanged),
 * fail_closed (engine unavailable, 503), fail_open (engine unavailable, sent as UNVERIFIED),
 * skip (not verified: see `skipped`).
 */
export type Decision = 'admit' | 'block' | 'shadow' | 'fail_closed' | 'fail_open'

export type SkipReason = 'off' | 'error_status' | 'flag_off' | 'sampled_out' | 'no_claims' | 'unsupported_payload'

export interface QwedOutcome {
  mode: Mode
  decision: Decision | 'skip'
  /** Worst status over the claims; UNVERIFIED when passed without verification (fail open); null when skipped. */
  status: Status | 'UNVERIFIED' | null
  results: VerificationResult[]
  skipped?: SkipReason
}

/** Per-route settings (`config.qwed` in Fastify, `qwed.route()` in Express). Unset fields inherit the plugin's. */
export interface QwedRouteOptions<Req = unknown, Rep = unknown> {
  /** Extracts the claims to check from what the handler returned (an object, or a string body). */
  claims: (payload: any, request: Req) => ClaimsResult | Promise<ClaimsResult>
  mode?: Mode
  /** Share of requests verified, 0..1 (canary). */
  sampleRate?: number
  /** Feature flag: verification runs only when this returns true. An error counts as true (fail closed). */
  enabled?: (request: Req) => boolean | Promise<boolean>
  onUnavailable?: UnavailablePolicy
  /** Answer a blocked response yourself: return the body to send (the status is 422 unless you change it). */
  onBlocked?: (outcome: QwedOutcome, request: Req, reply: Rep) => unknown
}
