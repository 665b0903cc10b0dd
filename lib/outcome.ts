import type { Claim } from '../types/claims.js'
import type { Mode, QwedLogger, UnavailablePolicy, VerifyContext } from '../types/options.js'
import type { ClaimsResult, QwedOutcome, QwedRouteSettings } from '../types/route.js'
import type { VerificationResult } from '../types/result.js'
import type { InputRules } from '../types/input.js'
import { decide, outcomeStatus, sampled } from './policy.js'
import type { CompiledSanitizeOptions } from './guard/output.js'
import { isUnavailable, refusedResult } from './result.js'
import { verifyBatchNow, type Verifier } from './verifier.js'
import { autoClaims } from './auto-claims.js'
import { resolveExtractOptions, type ResolvedExtractOptions } from './extract/index.js'
import type { StreamLimits } from './stream/verify.js'

/** A route's settings after merging with the plugin's; built once, when the route is registered. */
export interface RouteSettings<Req = unknown, Rep = unknown> {
  route: string
  /** Undefined on a route that only checks its inputs or sanitizes its output. */
  claims: QwedRouteSettings<Req, Rep>['claims']
  /** What `claims: 'auto'` extracts with (the route's `extract`, checked at registration). */
  extract?: ResolvedExtractOptions
  inputs: QwedRouteSettings<Req, Rep>['inputs']
  input: Required<InputRules>
  /** null: the route's payloads go out as they are. */
  sanitize: CompiledSanitizeOptions | null
  mode: Mode
  sampleRate: number
  enabled: QwedRouteSettings<Req, Rep>['enabled']
  onUnavailable: UnavailablePolicy
  onBlocked: QwedRouteSettings<Req, Rep>['onBlocked']
  exposeDetails: boolean
  /** Bounds for streamed answers; unset: the defaults (lib/stream/verify.ts). */
  stream?: StreamLimits
}

export interface RequestInfo<Req> {
  request: Req
  requestId: string | undefined
  logger: QwedLogger | undefined
}

/** A skip outcome: nothing was verified, the response goes out unchanged. */
export function skipped (mode: Mode, reason: NonNullable<QwedOutcome['skipped']>): QwedOutcome {
  return { mode, decision: 'skip', status: null, results: [], skipped: reason }
}

/** The gates of a route without a feature flag (mode, sampling), synchronously. */
export function quickGate (settings: RouteSettings<any, any>): QwedOutcome | null {
  if (settings.mode === 'off') return skipped('off', 'off')
  if (!sampled(settings.sampleRate)) return skipped(settings.mode, 'sampled_out')
  return null
}

/** Runs the pre-verification gates of a route: mode, the feature flag and sampling. */
export async function shouldVerify<Req> (settings: RouteSettings<Req, any>, request: Req): Promise<QwedOutcome | null> {
  if (settings.mode === 'off') return skipped('off', 'off')
  if (settings.enabled !== undefined) {
    let on = true
    try {
      on = await settings.enabled(request)
    } catch {
      // A broken flag must not switch verification off: fail closed.
      on = true
    }
    if (on === false) return skipped(settings.mode, 'flag_off')
  }
  if (!sampled(settings.sampleRate)) return skipped(settings.mode, 'sampled_out')
  return null
}

/**
 * Extracts the claims from a payload and verifies them. A `claims` function that throws or returns
 * something that is not a claim fails closed: its result is BLOCKED.
 */
export async function verifyPayload<Req> (verifier: Verifier, settings: RouteSettings<Req, any>, payload: unknown, info: RequestInfo<Req>): Promise<QwedOutcome> {
  return await verifyPayloadNow(verifier, settings, payload, info)
}

/**
 * verifyPayload without a promise when it can: `claims()` answers at once (not a promise) and every
 * verdict is known at once (lib/verifier.ts verifyBatchNow). The same steps either way, so the same
 * outcome.
 */
export function verifyPayloadNow<Req> (verifier: Verifier, settings: RouteSettings<Req, any>, payload: unknown, info: RequestInfo<Req>): QwedOutcome | Promise<QwedOutcome> {
  if (settings.claims === undefined) return skipped(settings.mode, 'no_claims')
  if (settings.claims === 'auto') return verifyAuto(verifier, settings, payload, info)
  let extracted: ClaimsResult | Promise<ClaimsResult>
  try {
    extracted = settings.claims(payload, info.request)
  } catch (err) {
    return claimsFailed(settings, info, err)
  }
  if (isThenable(extracted)) {
    return Promise.resolve(extracted).then((claims) => verifyExtracted(verifier, settings, claims, info), (err: unknown) => claimsFailed(settings, info, err))
  }
  return verifyExtracted(verifier, settings, extracted, info)
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

function claimsFailed<Req> (settings: RouteSettings<Req, any>, info: RequestInfo<Req>, err: unknown): QwedOutcome {
  info.logger?.error({ err, route: settings.route }, 'qwed: the route\'s claims() threw; the response is not admitted')
  return finish(settings, [refusedResult('The response could not be checked', { constraint_id: 'route.claims_error' }, 'verifier')])
}

function verifyExtracted<Req> (verifier: Verifier, settings: RouteSettings<Req, any>, extracted: ClaimsResult, info: RequestInfo<Req>): QwedOutcome | Promise<QwedOutcome> {
  if (extracted === null || extracted === undefined) return skipped(settings.mode, 'no_claims')
  const claims: readonly Claim[] = Array.isArray(extracted) ? extracted : [extracted as Claim]
  if (claims.length === 0) return skipped(settings.mode, 'no_claims')
  const results = verifyClaims(verifier, settings, claims, info)
  return results instanceof Promise ? results.then((r) => finish(settings, r)) : finish(settings, results)
}

/**
 * `claims: 'auto'`: the extractor finds the claims in the body. A body it could not read whole (a
 * cap stopped it) is not released as checked: one BLOCKED result says so, beside the others.
 */
function verifyAuto<Req> (verifier: Verifier, settings: RouteSettings<Req, any>, payload: unknown, info: RequestInfo<Req>): QwedOutcome | Promise<QwedOutcome> {
  const found = autoClaims(payload, settings.extract ?? resolveExtractOptions())
  const finishAuto = (results: VerificationResult[]): QwedOutcome => {
    if (!found.complete) {
      results.push(refusedResult('The response is too large to check in full', { constraint_id: 'extract.incomplete', limit: found.limit }, 'extract'))
    }
    if (results.length === 0) return skipped(settings.mode, 'no_claims')
    return finish(settings, results)
  }
  const results = found.claims.length === 0 ? [] : verifyClaims(verifier, settings, found.claims, info)
  return results instanceof Promise ? results.then(finishAuto) : finishAuto(results)
}

function verifyClaims<Req> (verifier: Verifier, settings: RouteSettings<Req, any>, claims: readonly Claim[], info: RequestInfo<Req>): VerificationResult[] | Promise<VerificationResult[]> {
  return verifyBatchNow(verifier, claims, new ClaimContext(settings, info))
}

/** The verify context of a response's claims: requestId and logger are read when an audit record is written, not before. */
class ClaimContext<Req> implements VerifyContext {
  readonly route: string
  readonly mode: Mode
  readonly onUnavailable: UnavailablePolicy
  readonly #info: RequestInfo<Req>

  constructor (settings: RouteSettings<Req, any>, info: RequestInfo<Req>) {
    this.route = settings.route
    this.mode = settings.mode
    this.onUnavailable = settings.onUnavailable
    this.#info = info
  }

  get requestId (): string | undefined { return this.#info.requestId }
  get logger (): QwedLogger | undefined { return this.#info.logger }
}

/** The response-level outcome of a route's results: decision and worst status. */
export function finish (settings: RouteSettings<any, any>, results: VerificationResult[]): QwedOutcome {
  const decision = decide(results, settings.mode, settings.onUnavailable)
  return { mode: settings.mode, decision, status: outcomeStatus(results, decision), results }
}

/** The outcome of a verification that missed its deadline: an unavailable verifier, so the policy decides. */
export function deadlineOutcome (settings: RouteSettings<any, any>, deadlineMs: number): QwedOutcome {
  return finish(settings, [refusedResult('Verification is temporarily unavailable', { constraint_id: 'verifier.unavailable', reason: 'deadline', deadline_ms: deadlineMs }, 'verifier', deadlineMs)])
}

/** Records the response-level counters: a response held back by an engine outage is not a blocked one. */
export function countOutcome (verifier: Verifier, settings: RouteSettings<any, any>, outcome: QwedOutcome): void {
  if (outcome.decision === 'skip') {
    // So an operator sees how much traffic leaves unchecked, and why.
    verifier.metrics.unchecked.inc({ route: settings.route, reason: outcome.skipped ?? 'unknown' })
    return
  }
  if (outcome.decision === 'admit') return
  const { route, mode, onUnavailable } = settings
  const onlyUnavailable = outcome.results.every((r) => r.admission === 'ADMIT' || isUnavailable(r))
  if (onlyUnavailable) verifier.metrics.unavailable.inc({ route, policy: onUnavailable })
  else verifier.metrics.blockedResponses.inc({ route, mode })
}

/** Headers that go out with a verified or fail-open response. */
export function outcomeHeaders (outcome: QwedOutcome): Record<string, string> {
  if (outcome.status === null || outcome.mode === 'shadow') return {}
  const headers: Record<string, string> = { 'x-qwed-status': outcome.status }
  if (outcome.decision !== 'admit') return headers
  let proofs: string | null = null
  for (const { proof_ref: proof } of outcome.results) {
    if (proof !== null) proofs = proofs === null ? proof : `${proofs},${proof}`
  }
  if (proofs !== null) headers['x-qwed-proof'] = proofs
  return headers
}

/** The 422 body. Only client-safe fields, unless exposeDetails asks for the developer evidence. */
export function blockedBody (outcome: QwedOutcome, exposeDetails: boolean): Record<string, unknown> {
  return {
    statusCode: 422,
    code: 'QWED_BLOCKED',
    error: 'Unprocessable Entity',
    message: 'The response did not pass verification',
    qwed: {
      status: outcome.status,
      results: outcome.results.map((r) => ({
        engine: r.engine,
        status: r.status,
        admission: r.admission,
        agent_message: r.agent_message,
        proof_ref: r.proof_ref,
        ...(exposeDetails ? { developer_fields: r.developer_fields } : {})
      }))
    }
  }
}

/** The 503 body when an engine is unavailable and the policy is fail-closed. */
export function unavailableBody (): Record<string, unknown> {
  return {
    statusCode: 503,
    code: 'QWED_UNAVAILABLE',
    error: 'Service Unavailable',
    message: 'The response could not be verified right now; retry later'
  }
}
