import type { Claim } from './claims.js'
import type { MetricsOptions, Mode, UnavailablePolicy, VerifierOptions } from './options.js'
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

/** headers_sent: Express only, the handler had already sent the headers, so the response could not be held. */
export type SkipReason = 'off' | 'error_status' | 'flag_off' | 'sampled_out' | 'no_claims' | 'unsupported_payload' | 'headers_sent'

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

/**
 * The options of an adapter (the Fastify plugin, the Express middleware): the verifier's options plus
 * the defaults of every verified route. Both adapters accept exactly these names.
 */
export interface QwedAdapterOptions<Req = unknown, Rep = unknown> extends VerifierOptions {
  /** Default mode of configured routes. Default 'enforce'. */
  mode?: Mode
  /** Share of requests verified, 0..1. Default 1. */
  sampleRate?: number
  /** Feature flag for every configured route; a route's own `enabled` replaces it. */
  enabled?: QwedRouteOptions<Req, Rep>['enabled']
  /** Default 'closed' (503 + Retry-After). */
  onUnavailable?: UnavailablePolicy
  onBlocked?: QwedRouteOptions<Req, Rep>['onBlocked']
  /** Put developer_fields (rule evidence) in 422 bodies. Default false: they can reveal rule internals. */
  exposeDetails?: boolean
  metrics?: MetricsOptions & {
    /** Path of the Prometheus endpoint; null serves none. Default '/metrics'. */
    endpoint?: string | null
  }
}
