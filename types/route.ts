import type { Claim, ClaimType } from './claims.js'
import type { ExtractOptions } from './extract.js'
import type { InjectionFlag, InputRules } from './input.js'
import type { SanitizeOptions } from './sanitize.js'
import type { HealthOptions, MetricsOptions, Mode, UnavailablePolicy, VerifierOptions } from './options.js'
import type { Status, VerificationResult } from './result.js'
import type { StreamOptions } from './stream.js'

/** What a route's `claims` function may return: one claim, several, or nothing to check. */
export type ClaimsResult = Claim | readonly Claim[] | null | undefined

/**
 * What happened to one response:
 * admit (proven, sent with x-qwed-status VERIFIED), block (422), shadow (not admitted, sent unchanged),
 * fail_closed (engine unavailable, 503), fail_open (engine unavailable, sent as UNVERIFIED),
 * skip (not verified: see `skipped`).
 */
export type Decision = 'admit' | 'block' | 'shadow' | 'fail_closed' | 'fail_open'

/**
 * headers_sent: Express only, the handler had already sent the headers, so the response could not be held.
 * invalid_input: the request's input was refused (400) and the handler never ran.
 */
export type SkipReason = 'off' | 'error_status' | 'flag_off' | 'sampled_out' | 'no_claims' | 'unsupported_payload' | 'headers_sent' | 'invalid_input'

export interface QwedOutcome {
  mode: Mode
  decision: Decision | 'skip'
  /** Worst status over the claims; UNVERIFIED when passed without verification (fail open); null when skipped. */
  status: Status | 'UNVERIFIED' | null
  results: VerificationResult[]
  skipped?: SkipReason
}

/** What the input check left on the request (`request.qwedInput`): the NFKC-normalised texts and the heuristics that matched. */
export interface QwedInput {
  /** Each checked field, NFKC-normalised: use these rather than the raw body. */
  values: Record<string, string>
  /** Prompt-injection rules that matched (recorded and counted; with `injection: 'block'` the request is refused instead). */
  flags: InjectionFlag[]
  /**
   * Shadow mode only: the input failed this rule, and enforce mode would have answered 400. The
   * handler runs as without the plugin: `values` are then the texts as given, not normalised.
   */
  refused?: { field: string, rule: string }
}

/** Every per-route setting; see QwedRouteOptions for the ones a route must have. */
export interface QwedRouteSettings<Req = unknown, Rep = unknown> {
  /**
   * The claims to check in what the handler returned (an object, or a string body): a function that
   * extracts them, or `'auto'`: the claims an answer makes in its text (arithmetic statements,
   * fenced sql/code/json blocks) are found by `extractClaims`, in a text body or in every string of
   * a JSON body (docs/extract.md).
   */
  claims?: ((payload: any, request: Req) => ClaimsResult | Promise<ClaimsResult>) | 'auto'
  /**
   * Not an option: the typo of `claims`. Fastify infers a route's `config` type from the literal,
   * which turns off TypeScript's excess-property check there; this line keeps the likeliest typo an error.
   */
  claim?: never
  /** With `claims: 'auto'`: what the text itself cannot say (the DDL of sql blocks, the JSON Schema of json blocks) and the caps. */
  extract?: ExtractOptions
  /**
   * The user-supplied text to check before the handler runs (the prompt): a string, an array of
   * strings, or a record such as `{ prompt: request.body.prompt }` whose keys name the fields in errors.
   * A failure answers 400 `QWED_INVALID_INPUT` and the handler never runs (shadow mode: recorded only).
   */
  inputs?: (request: Req) => unknown
  /** Rules for `inputs`; unset fields inherit the plugin's `input`, then the defaults. */
  input?: InputRules
  /** Sanitize the payloads this route sends (HTML, PII, secrets); `true` uses the defaults. Default: the plugin's, else off. */
  sanitize?: boolean | SanitizeOptions
  mode?: Mode
  /** Share of requests verified, 0..1 (canary). */
  sampleRate?: number
  /** Feature flag: verification runs only when this returns true. An error counts as true (fail closed). */
  enabled?: (request: Req) => boolean | Promise<boolean>
  onUnavailable?: UnavailablePolicy
  /** Answer a blocked response yourself: return the body to send (the status is 422 unless you change it). */
  onBlocked?: (outcome: QwedOutcome, request: Req, reply: Rep) => unknown
  /** Bounds for streamed answers (docs/streaming.md); unset fields inherit the plugin's. */
  stream?: StreamOptions
}

/**
 * Per-route settings (`config.qwed` in Fastify, `qwed.route()` in Express). Unset fields inherit the
 * plugin's. A route needs at least one of `claims`, `inputs` and `sanitize`.
 */
export type QwedRouteOptions<Req = unknown, Rep = unknown> = QwedRouteSettings<Req, Rep> & (
  | { claims: NonNullable<QwedRouteSettings<Req, Rep>['claims']> }
  | { inputs: NonNullable<QwedRouteSettings<Req, Rep>['inputs']> }
  | { sanitize: true | SanitizeOptions }
)

/** The adapters' `warmUp` option: `true`, `false`, or the claim types to warm (README, "Warm-up"). */
export type QwedWarmUpOption = boolean | ReadonlyArray<ClaimType | (string & Record<never, never>)>

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
  enabled?: QwedRouteSettings<Req, Rep>['enabled']
  /** Default 'closed' (503 + Retry-After). */
  onUnavailable?: UnavailablePolicy
  onBlocked?: QwedRouteSettings<Req, Rep>['onBlocked']
  /** Put developer_fields (rule evidence) in 422 bodies. Default false: they can reveal rule internals. */
  exposeDetails?: boolean
  /** Default rules for every route's `inputs` (max 10,000 characters, not empty, injection heuristics 'flag'). */
  input?: InputRules
  /** Default output sanitization of every configured route; a route's own `sanitize` replaces it. Default off. */
  sanitize?: boolean | SanitizeOptions
  /** Default bounds for streamed answers (docs/streaming.md). */
  stream?: StreamOptions
  /** Readiness (`path`) and liveness (`<path>/live`) as JSON, 200/503; false or `{ path: null }` serves none. Default path '/qwed/health'. */
  health?: HealthOptions | false
  metrics?: MetricsOptions & {
    /** Path of the Prometheus endpoint; null serves none. Default '/metrics'. */
    endpoint?: string | null
  }
}
