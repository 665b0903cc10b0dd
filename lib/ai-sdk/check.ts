import type { Claim } from '../../types/claims.js'
import type { QwedOutcome } from '../../types/route.js'
import type { VerificationResult } from '../../types/result.js'
import { autoClaims } from '../auto-claims.js'
import { resolveInputRules } from '../guard/input.js'
import { withDeadline } from '../deadline.js'
import { blockedBody, countOutcome, finish, type RouteSettings, shouldVerify, skipped, unavailableBody } from '../outcome.js'
import { refusedResult } from '../result.js'
import type { Verifier } from '../verifier.js'
import { QwedBlockedError, QwedUnavailableError } from './errors.js'
import type { CallOptions, ProviderMetadata } from './model-types.js'
import type { ResolvedMiddlewareOptions } from './options.js'
import { toolCallClaims, UnreadableToolCall } from './tool-calls.js'

// What both paths share: the route settings the runner's gates read, the claims of texts and tool
// calls, the outcome from the results, what the caller records, and the errors it throws.

/** The middleware as a "route" of the shared gates and counters. */
export function middlewareSettings (o: ResolvedMiddlewareOptions): RouteSettings<CallOptions, unknown> {
  return {
    route: o.route,
    claims: o.claims === 'auto' ? 'auto' : undefined,
    extract: o.extract,
    inputs: undefined,
    input: resolveInputRules(undefined),
    sanitize: null,
    mode: o.mode,
    sampleRate: o.sampleRate,
    enabled: o.enabled,
    onUnavailable: o.onUnavailable,
    onBlocked: undefined,
    exposeDetails: o.exposeDetails
  }
}

const LATE = Symbol('late')

/**
 * The gates (mode, the flag, sampling) inside the deadline, as the runner runs them. null: verify.
 * An outcome: record it; 'skip' lets the answer through, 'fail_open' too (marked), 'fail_closed'
 * refuses it (the flag never answered and the policy is closed).
 */
export async function gate (settings: RouteSettings<CallOptions, unknown>, params: CallOptions, deadlineMs: number): Promise<QwedOutcome | null> {
  const answer = await withDeadline<QwedOutcome | null | typeof LATE>(shouldVerify(settings, params), deadlineMs, () => LATE)
  if (answer !== LATE) return answer
  return settings.onUnavailable === 'open'
    ? { mode: settings.mode, decision: 'fail_open', status: 'UNVERIFIED', results: [] }
    : { mode: settings.mode, decision: 'fail_closed', status: 'BLOCKED', results: [] }
}

/** A result made here (not by an engine), for a part of the answer that could not be read. */

export interface FoundClaims {
  claims: Claim[]
  /** Results decided without an engine (an answer too long to read, a tool call that is not JSON). */
  refused: VerificationResult[]
}

/** The claims of the answer's texts (claims: 'auto'), each text read on its own. */
export function textClaims (o: ResolvedMiddlewareOptions, texts: readonly string[], into: FoundClaims): void {
  if (o.claims !== 'auto' || texts.length === 0) return
  // One text is read as a body is (a JSON answer by its string values); several, each on its own.
  const found = autoClaims(texts.length === 1 ? texts[0] : texts, o.extract)
  into.claims.push(...found.claims)
  if (!found.complete) into.refused.push(refusedResult('The answer is too large to check in full', { constraint_id: 'extract.incomplete', limit: found.limit }, 'extract'))
}

/** The claims of tool calls the options name; one that cannot be read is refused (fail closed). */
export async function toolClaims (o: ResolvedMiddlewareOptions, call: { toolName: string, toolCallId: string, input: string }, into: FoundClaims): Promise<void> {
  if (o.toolCalls === undefined) return
  try {
    const claims = await toolCallClaims(o.toolCalls, call, o.extract)
    if (claims !== null) into.claims.push(...claims)
  } catch (err) {
    // The tool's own name is an application constant; its input (which may hold secrets) is not repeated.
    const why = err instanceof UnreadableToolCall ? 'tool_call.unreadable' : 'tool_call.claims_error'
    into.refused.push(refusedResult('A tool call could not be checked', { constraint_id: why, tool: call.toolName }, 'tool_call'))
  }
}

export async function verifyFound (verifier: Verifier, settings: RouteSettings<CallOptions, unknown>, found: FoundClaims): Promise<VerificationResult[]> {
  const results = found.claims.length === 0
    ? []
    : await verifier.verifyBatch(found.claims, { route: settings.route, mode: settings.mode, onUnavailable: settings.onUnavailable })
  return [...results, ...found.refused]
}

export function outcomeOf (settings: RouteSettings<CallOptions, unknown>, results: VerificationResult[]): QwedOutcome {
  return results.length === 0 ? skipped(settings.mode, 'no_claims') : finish(settings, results)
}

/** Counts the outcome and hands it to onOutcome (whose errors are not the caller's). */
export function record (verifier: Verifier, settings: RouteSettings<CallOptions, unknown>, o: ResolvedMiddlewareOptions, outcome: QwedOutcome, params: CallOptions): void {
  countOutcome(verifier, settings, outcome)
  try {
    o.onOutcome?.(outcome, params)
  } catch {}
}

/** What the answer carries in providerMetadata.qwed: the verdict, never the claims' text. */
export function qwedMetadata (outcome: QwedOutcome): ProviderMetadata {
  return {
    qwed: {
      decision: outcome.decision,
      status: outcome.status,
      mode: outcome.mode,
      claims: outcome.results.length,
      proof_refs: outcome.results.map((r) => r.proof_ref).filter((p): p is string => p !== null),
      ...(outcome.skipped === undefined ? {} : { skipped: outcome.skipped })
    }
  }
}

export function mergeMetadata (base: ProviderMetadata | undefined, outcome: QwedOutcome): ProviderMetadata {
  return { ...(base ?? {}), ...qwedMetadata(outcome) }
}

/** The error for a refused answer: blocked (422 body) or unverifiable right now (503 body). */
export function refusal (verifier: Verifier, o: ResolvedMiddlewareOptions, outcome: QwedOutcome): QwedBlockedError | QwedUnavailableError {
  if (outcome.decision === 'fail_closed') return new QwedUnavailableError(outcome, unavailableBody(), verifier.retryAfterSeconds)
  return new QwedBlockedError(outcome, blockedBody(outcome, o.exposeDetails))
}
