import { AsyncLocalStorage } from 'node:async_hooks'
import type * as Otel from '@opentelemetry/api'
import type { TracingOptions } from '../../types/options.js'
import type { VerificationResult } from '../../types/result.js'
import { canonicalHash, canonicalize } from '../canonical.js'
import { redactSecrets } from '../guard/redact.js'
import { decide } from '../policy.js'
import { isUnavailable } from '../result.js'
import { claimChannel, responseChannel, type ClaimTrace, type ResponseTrace, type TracingHandle } from './tracing.js'
import { DEFAULT_SEMCONV, QWED_KEYS, SEMCONV, riskCategory, type SemconvTable } from './tracing-semconv.js'
import { QWED_MIDDLEWARE_VERSION } from './vc.js'

// The OpenTelemetry side of the tracing channels (tracing.ts): one span per verified response, one
// child per claim, named by the table `tracing.semconv` picks. Only types are imported from
// @opentelemetry/api here; the package itself is handed in, loaded when tracing was switched on.

type Api = typeof Otel
export type OtelApi = Api
type Span = Otel.Span
type Attributes = Otel.Attributes

const GUARDIAN = 'qwed-middleware'
/** Longest claim text put on a span with tracing.includeClaims (the draft allows truncation). */
const MAX_CLAIM_CHARS = 4096

interface Bridge {
  api: Api
  tracer: Otel.Tracer
  table: SemconvTable
  includeClaims: boolean
  secrets: readonly string[]
  /** False while only the API's no-op provider is there: no span is started, nothing is hashed. */
  active: () => boolean
}

const bridges = new Map<object, Bridge>()
// The response being verified, so that its claims' spans are its children without a context manager.
const current = new AsyncLocalStorage<ResponseTrace>()

const responseHandlers = {
  start: (trace: ResponseTrace) => {
    const bridge = bridges.get(trace.owner)
    if (bridge === undefined || !bridge.active()) return
    const { table } = bridge
    const k = table.keys
    const attributes: Attributes = {
      ...guardian(table, GUARDIAN, GUARDIAN),
      [k.targetType]: table.targets[trace.target],
      [QWED_KEYS.route]: trace.route,
      [QWED_KEYS.mode]: trace.mode
    }
    if (trace.requestId !== undefined) attributes[QWED_KEYS.requestId] = String(trace.requestId)
    const hash = trace.target === 'output' ? hashOf(trace.view) : null
    if (hash !== null) attributes[k.contentInputHash] = hash
    trace.span = bridge.tracer.startSpan(`${table.operationName} ${GUARDIAN}`, { kind: bridge.api.SpanKind.INTERNAL, attributes }, bridge.api.context.active())
  },
  asyncEnd: (trace: ResponseTrace) => {
    const span = trace.span as Span | undefined
    const bridge = bridges.get(trace.owner)
    if (span === undefined || bridge === undefined) return
    if (trace.target === 'input') {
      endInput(bridge, span, trace.result as InputGateLike | null | undefined)
      span.end()
      return
    }
    const { table } = bridge
    const k = table.keys
    const outcome = trace.outcome
    // Shadow mode verifies behind the response: the action is known before the verdict is.
    const decision = outcome?.decision ?? (trace.mode === 'shadow' ? 'shadow' : 'skip')
    span.setAttribute(k.decisionType, table.decisions[decision])
    span.setAttribute(QWED_KEYS.decision, decision)
    if (outcome !== null) {
      if (outcome.status !== null) span.setAttribute(QWED_KEYS.verdict, outcome.status)
      span.setAttribute(QWED_KEYS.claims, outcome.results.length)
      if (outcome.skipped !== undefined) span.setAttribute(QWED_KEYS.skipped, outcome.skipped)
      const deciding = outcome.results.find((r) => r.admission !== 'ADMIT')
      const constraint = deciding?.developer_fields.constraint_id
      if (typeof constraint === 'string') span.setAttribute(k.policyId, constraint)
      if (decision !== 'admit' && decision !== 'skip') span.setAttribute(k.decisionReason, reasonOf(decision))
      if (decision === 'fail_closed' || decision === 'fail_open') {
        span.setAttribute(k.errorType, 'verification_unavailable')
        span.setStatus({ code: bridge.api.SpanStatusCode.ERROR })
      }
    }
    span.end()
  },
  error: (trace: ResponseTrace) => {
    const span = trace.span as Span | undefined
    const bridge = bridges.get(trace.owner)
    if (span === undefined || bridge === undefined) return
    span.setAttribute(bridge.table.keys.errorType, errorType(trace.error))
    span.setStatus({ code: bridge.api.SpanStatusCode.ERROR })
  }
}

const claimHandlers = {
  start: (trace: ClaimTrace) => {
    const bridge = bridges.get(trace.owner)
    if (bridge === undefined || !bridge.active()) return
    const { api, table } = bridge
    const k = table.keys
    const type = typeof (trace.claim as { type?: unknown } | null)?.type === 'string' ? (trace.claim as { type: string }).type : 'unknown'
    const attributes: Attributes = {
      [k.operation]: table.operationName,
      [k.targetType]: table.targets.output,
      [QWED_KEYS.route]: trace.context.route ?? '__direct__',
      [QWED_KEYS.mode]: trace.context.mode ?? 'enforce'
    }
    const hash = hashOf(trace.claim)
    if (hash !== null) attributes[k.contentInputHash] = hash
    if (bridge.includeClaims) {
      const text = claimText(trace.claim, bridge.secrets)
      if (text !== null) attributes[k.contentInputValue] = text
    }
    const parent = current.getStore()?.span as Span | undefined
    const context = parent === undefined ? api.context.active() : api.trace.setSpan(api.context.active(), parent)
    trace.span = bridge.tracer.startSpan(`${table.operationName} ${type}`, { kind: api.SpanKind.INTERNAL, attributes }, context)
  },
  asyncEnd: (trace: ClaimTrace) => {
    const span = trace.span as Span | undefined
    const bridge = bridges.get(trace.owner)
    if (span === undefined || bridge === undefined) return
    if (trace.result !== undefined) endClaim(bridge, span, trace)
    span.end()
  },
  error: (trace: ClaimTrace) => {
    const span = trace.span as Span | undefined
    const bridge = bridges.get(trace.owner)
    if (span === undefined || bridge === undefined) return
    span.setAttribute(bridge.table.keys.errorType, errorType(trace.error))
    span.setStatus({ code: bridge.api.SpanStatusCode.ERROR })
  }
}

/** What the input gate decided (lib/runner.ts InputGate). */
type InputGateLike = { ok: true, input: { values: Record<string, string>, flags: Array<{ rule: string }> } | null } | { ok: false, body: Record<string, unknown> }

/** The input gate: refused (deny, the rule that failed), flagged by an injection heuristic (warn), or passed (allow). */
function endInput (bridge: Bridge, span: Span, gate: InputGateLike | null | undefined): void {
  const { table } = bridge
  const k = table.keys
  if (gate === null || gate === undefined) return
  if (!gate.ok) {
    span.setAttribute(k.decisionType, table.decisions.block)
    span.setAttribute(k.decisionReason, 'input failed a rule')
    if (typeof gate.body.rule === 'string') span.setAttribute(k.policyId, `input.${gate.body.rule}`)
    return
  }
  const flags = gate.input?.flags ?? []
  const hash = gate.input === null ? null : hashOf(gate.input.values)
  if (hash !== null) span.setAttribute(k.contentInputHash, hash)
  if (flags.length === 0) {
    span.setAttribute(k.decisionType, table.decisions.admit)
    return
  }
  span.setAttribute(k.decisionType, table.decisions.fail_open)
  span.setAttribute(k.decisionReason, 'prompt-injection heuristics matched')
  span.setAttribute(k.policyId, `input.${flags[0]?.rule ?? 'injection'}`)
  span.addEvent(table.findingEvent, {
    [k.riskCategory]: 'prompt_injection',
    [k.riskSeverity]: 'medium',
    [k.riskMetadata]: flags.map((flag) => `rule:${flag.rule}`)
  })
}

/** The verdict, the action and the rule; a finding event when the claim was not admitted. */
function endClaim (bridge: Bridge, span: Span, trace: ClaimTrace): void {
  const { table, api } = bridge
  const k = table.keys
  const result = trace.result as VerificationResult
  const decision = decide([result], trace.context.mode ?? 'enforce', trace.context.onUnavailable ?? 'closed')
  const constraint = result.developer_fields.constraint_id
  span.updateName(`${table.operationName} ${result.engine}`)
  span.setAttributes({
    ...guardian(table, result.engine, `${GUARDIAN}/${result.engine}`),
    [k.decisionType]: table.decisions[decision],
    [QWED_KEYS.decision]: decision,
    [QWED_KEYS.verdict]: result.status,
    [QWED_KEYS.admission]: result.admission,
    [QWED_KEYS.engine]: result.engine,
    [QWED_KEYS.cached]: result.cached,
    [QWED_KEYS.durationMs]: result.duration_ms
  })
  if (result.claim_type !== undefined) span.setAttribute(QWED_KEYS.claimType, result.claim_type)
  if (typeof constraint === 'string') {
    span.setAttribute(k.policyId, constraint)
    span.setAttribute(QWED_KEYS.constraintId, constraint)
  }
  if (decision !== 'admit') span.setAttribute(k.decisionReason, reasonOf(decision))
  if (isUnavailable(result)) {
    const reason = result.developer_fields.reason
    span.setAttribute(k.errorType, typeof reason === 'string' ? reason : 'unavailable')
    span.setStatus({ code: api.SpanStatusCode.ERROR })
    return
  }
  if (result.admission !== 'ADMIT') {
    const finding: Attributes = {
      [k.riskCategory]: riskCategory(result.engine),
      [k.riskSeverity]: result.status === 'UNVERIFIABLE' ? 'medium' : 'high',
      [k.riskMetadata]: [`engine:${result.engine}`, `claim_type:${result.claim_type ?? 'unknown'}`, `status:${result.status}`]
    }
    if (typeof constraint === 'string') finding[k.policyId] = constraint
    span.addEvent(table.findingEvent, finding)
  }
}

function guardian (table: SemconvTable, name: string, id: string): Attributes {
  const k = table.keys
  return {
    [k.operation]: table.operationName,
    [k.guardianName]: name,
    [k.guardianId]: id,
    [k.guardianVersion]: QWED_MIDDLEWARE_VERSION,
    [k.guardianProvider]: 'qwed'
  }
}

/** Low-cardinality and free of content, as the draft asks of decision.reason. */
function reasonOf (decision: string): string {
  switch (decision) {
    case 'block': return 'claim not proven'
    case 'shadow': return 'shadow mode: recorded, not enforced'
    case 'fail_closed': return 'verification unavailable; refused'
    case 'fail_open': return 'verification unavailable; released unverified'
    default: return decision
  }
}

function errorType (error: unknown): string {
  return error instanceof Error ? error.name : '_OTHER'
}

/** RFC 8785 canonical JSON, SHA-256: the hash the audit trail and proof_ref use. null for what JSON cannot hold. */
function hashOf (value: unknown): string | null {
  try {
    return canonicalHash(value)
  } catch {
    return null
  }
}

function claimText (claim: unknown, secrets: readonly string[]): string | null {
  try {
    const text = canonicalize(redactSecrets(claim, secrets))
    return text.length > MAX_CLAIM_CHARS ? text.slice(0, MAX_CLAIM_CHARS) : text
  } catch {
    return null
  }
}

let subscribed = false

function subscribe (): void {
  if (subscribed) return
  subscribed = true
  responseChannel.start.bindStore(current, (trace) => trace)
  responseChannel.subscribe(responseHandlers as unknown as Parameters<typeof responseChannel.subscribe>[0])
  claimChannel.subscribe(claimHandlers as unknown as Parameters<typeof claimChannel.subscribe>[0])
}

function unsubscribe (): void {
  if (!subscribed || bridges.size > 0) return
  subscribed = false
  responseChannel.start.unbindStore(current)
  responseChannel.unsubscribe(responseHandlers as unknown as Parameters<typeof responseChannel.unsubscribe>[0])
  claimChannel.unsubscribe(claimHandlers as unknown as Parameters<typeof claimChannel.unsubscribe>[0])
}

/** Subscribes the OpenTelemetry bridge for one verifier (`owner`); close() takes it off again. */
export function attachOtelBridge (api: Api, owner: object, options: TracingOptions, secrets: readonly string[]): TracingHandle {
  const explicit = options.tracerProvider as Otel.TracerProvider | undefined
  const provider = explicit ?? api.trace.getTracerProvider()
  // The API's own no-op provider, the delegate of its global proxy until an SDK registers one.
  const noop = new api.ProxyTracerProvider().getDelegate()
  const proxy = provider as Partial<Otel.ProxyTracerProvider>
  bridges.set(owner, {
    api,
    tracer: provider.getTracer(GUARDIAN, QWED_MIDDLEWARE_VERSION),
    table: SEMCONV[options.semconv ?? DEFAULT_SEMCONV],
    includeClaims: options.includeClaims === true,
    secrets,
    active: explicit !== undefined || typeof proxy.getDelegate !== 'function' ? () => true : () => proxy.getDelegate?.() !== noop
  })
  subscribe()
  return {
    close () {
      bridges.delete(owner)
      unsubscribe()
    }
  }
}
