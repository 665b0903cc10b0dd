import { AsyncResource } from 'node:async_hooks'
import { tracingChannel } from 'node:diagnostics_channel'
import type { Claim } from '../../types/claims.js'
import type { TracingOptions, VerifyContext } from '../../types/options.js'
import type { VerificationResult } from '../../types/result.js'
import type { Mode } from '../../types/options.js'
import type { QwedOutcome } from '../../types/route.js'
import { QwedOptionsError } from '../errors.js'
import { MissingPeerError, loadOptionalPeer } from '../optional-peer.js'
import { assertKnownKeys, assertObject, describe, optionalBoolean, optionalOneOf } from '../option-checks.js'
import { attachOtelBridge, type OtelApi } from './tracing-otel.js'
import { SEMCONV_VERSIONS } from './tracing-semconv.js'

// The pipeline publishes on two diagnostics channels (node:diagnostics_channel TracingChannel):
// one per verified response (lib/runner.ts) and one per claim (lib/verifier.ts). Nothing listens
// unless tracing is on, and then `hasSubscribers` is the only cost the hot path pays when it is
// off. The OpenTelemetry bridge (tracing-otel.ts) subscribes; so can any other tracer.

/** What a claim's channel carries. `owner` tells verifiers apart (their metrics object). */
export interface ClaimTrace {
  owner: object
  claim: Claim
  context: VerifyContext
  /** Set by the channel when verify() settles. */
  result?: VerificationResult
  error?: unknown
  /** A subscriber's own state (the OpenTelemetry span). */
  span?: unknown
}

/** What a response's channel carries. */
export interface ResponseTrace {
  owner: object
  route: string
  mode: Mode
  requestId: string | undefined
  /** What is guarded: the handler's answer, or the request's input (the input gate, before the handler). */
  target: 'output' | 'input'
  /** What claims() saw: the body, or its decoded text; undefined for the input gate. */
  view: unknown
  /** The outcome recorded for the response (skip, admit, block...); null while none is. */
  outcome: QwedOutcome | null
  result?: unknown
  error?: unknown
  span?: unknown
}

export const CLAIM_CHANNEL = 'qwed-middleware:claim'
export const RESPONSE_CHANNEL = 'qwed-middleware:response'
export const claimChannel = tracingChannel<unknown, ClaimTrace>(CLAIM_CHANNEL)
export const responseChannel = tracingChannel<unknown, ResponseTrace>(RESPONSE_CHANNEL)

type VerifyFn = (claim: Claim, context?: VerifyContext) => Promise<VerificationResult>

/** Wraps the verifier's verify(): published on the claim channel when someone listens, called straight through otherwise. */
export function traceClaims (owner: object, verify: VerifyFn): VerifyFn {
  return async (claim, context = {}) => {
    if (!claimChannel.hasSubscribers) return await verify(claim, context)
    return await claimChannel.tracePromise(verify, { owner, claim, context }, undefined, claim, context)
  }
}

/** The part of a response run the response channel reads (lib/runner.ts ResponseRun). */
export interface TracedRun {
  verifier: { metrics: object }
  settings: { route: string, mode: Mode }
  requestId: string | undefined
  record: (outcome: QwedOutcome) => void
}

/**
 * Runs one response's verification (`decide`) on the response channel when someone listens. The
 * outcome the runner records is copied onto the trace, so a subscriber sees skips and decisions
 * alike; claims verified inside `decide` are its children.
 */
export async function traceResponse<T> (run: TracedRun, view: unknown, decide: () => Promise<T>, target: ResponseTrace['target'] = 'output'): Promise<T> {
  if (!responseChannel.hasSubscribers) return await decide()
  const trace: ResponseTrace = { owner: run.verifier.metrics, route: run.settings.route, mode: run.settings.mode, requestId: run.requestId, target, view, outcome: null }
  // record may be a method of the run (the adapters' run objects): keep its receiver
  const record = run.record
  run.record = (outcome) => {
    trace.outcome = outcome
    record.call(run, outcome)
  }
  return await responseChannel.tracePromise(decide, trace)
}

/**
 * A response traced by hand: a streamed answer, whose verification outlives the promise that
 * planned it. Started when it is opened; claims verified by a function it bound are its span's
 * children; ended once (later calls do nothing), with the last outcome given to `outcome()`.
 */
export interface ResponseTraceHandle {
  bind<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R
  outcome(outcome: QwedOutcome): void
  end(error?: unknown): void
}

/** Opens a response on the response channel when someone listens; null (nothing to do) otherwise. */
export function openResponseTrace (owner: object, fields: Pick<ResponseTrace, 'route' | 'mode' | 'requestId' | 'view'>): ResponseTraceHandle | null {
  if (!responseChannel.hasSubscribers) return null
  const trace: ResponseTrace = { owner, ...fields, target: 'output', outcome: null }
  // The subscribers' stores (the OpenTelemetry bridge's current response) are entered for this
  // call only; a resource made inside it keeps them for the functions bound to it later.
  const scope = responseChannel.start.runStores(trace, () => new AsyncResource('qwed-middleware:response'))
  responseChannel.end.publish(trace)
  let ended = false
  return {
    bind: (fn) => scope.bind(fn),
    outcome: (outcome) => { trace.outcome = outcome },
    end: (error) => {
      if (ended) return
      ended = true
      if (error !== undefined) {
        trace.error = error
        responseChannel.error.publish(trace)
      }
      responseChannel.asyncStart.publish(trace)
      responseChannel.asyncEnd.publish(trace)
    }
  }
}

/** `fn` bound to a traced response, or `fn` itself when nothing traces. */
export function boundTo<A extends unknown[], R> (trace: ResponseTraceHandle | null, fn: (...args: A) => R): (...args: A) => R {
  return trace === null ? fn : trace.bind(fn)
}

/** A tracing bridge a verifier opened; close() unsubscribes it. */
export interface TracingHandle {
  close(): void
}

// Where @opentelemetry/api 1.x keeps its globals (a tracer provider registered by the SDK shows up
// under `trace`): read without loading the package.
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1')

/** True when an OpenTelemetry SDK has registered a global tracer provider. */
export function globalTracerRegistered (): boolean {
  const registry = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_GLOBAL]
  return registry?.trace !== undefined
}

/**
 * Opens the OpenTelemetry bridge for one verifier, or returns null without loading anything:
 * `tracing: false`; or `tracing.enabled` unset and no tracer provider registered (neither globally
 * by an SDK nor as `tracing.tracerProvider`) when the verifier is created.
 */
export function openTracing (owner: object, options: TracingOptions | false | undefined, secrets: readonly string[]): TracingHandle | null {
  if (options === false || options?.enabled === false) return null
  const wanted = options?.enabled === true || options?.tracerProvider !== undefined || globalTracerRegistered()
  if (!wanted) return null
  let api: OtelApi
  try {
    api = loadOptionalPeer<OtelApi>('@opentelemetry/api', 'tracing')
  } catch (err) {
    if (err instanceof MissingPeerError && options?.enabled !== true) return null
    if (err instanceof MissingPeerError) throw new QwedOptionsError('tracing.enabled', `cannot be used: ${err.message}`)
    throw err
  }
  return attachOtelBridge(api, owner, options ?? {}, secrets)
}

/** Checks `tracing` at registration; throws a QwedOptionsError naming the bad field. */
export function validateTracingOptions (tracing: unknown): void {
  if (tracing === undefined || tracing === false) return
  assertObject(tracing, 'tracing')
  assertKnownKeys(tracing, ['enabled', 'semconv', 'includeClaims', 'tracerProvider'], 'tracing')
  optionalBoolean(tracing.enabled, 'tracing.enabled')
  optionalBoolean(tracing.includeClaims, 'tracing.includeClaims')
  optionalOneOf(tracing.semconv, SEMCONV_VERSIONS, 'tracing.semconv')
  const provider = tracing.tracerProvider as { getTracer?: unknown } | null | undefined
  if (provider !== undefined && typeof provider?.getTracer !== 'function') {
    throw new QwedOptionsError('tracing.tracerProvider', `must be an OpenTelemetry TracerProvider (getTracer), got ${describe(provider)}`)
  }
}
