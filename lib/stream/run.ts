import type { Claim } from '../../types/claims.js'
import type { QwedOutcome } from '../../types/route.js'
import { withDeadline } from '../deadline.js'
import { sanitizeCompiled } from '../guard/output.js'
import { countOutcome, shouldVerify, skipped, unavailableBody } from '../outcome.js'
import { boundTo, openResponseTrace, type ResponseTraceHandle } from '../observe/tracing.js'
import { sanitizes } from '../route-guards.js'
import type { ResponseRun } from '../runner.js'
import type { StreamFormat } from './formats.js'
import { streamFinder } from './finder.js'
import { STREAM_LIMIT_DEFAULTS, verifyStream, type Clock, type StreamOutcome } from './verify.js'

// The response runner's stream path: the gates of runner.ts, then the stream verifier with the
// route's finder, sanitizer, limits, metrics and outcome record. The adapters only bind bytes.

/**
 * `pass`: send the stream as it came (not verified). `json`: answer this body instead; the status is
 * set and nothing has been sent. `stream`: send `body`; with `trailer`, declare x-qwed-status as an
 * HTTP trailer and send `status()` in it once the body has ended.
 */
export type StreamPlan =
  | { kind: 'pass' }
  | { kind: 'json', body: Record<string, unknown> }
  | { kind: 'stream', body: AsyncGenerator<Buffer, void, undefined>, trailer: boolean, status: () => string }

export const STATUS_TRAILER = 'x-qwed-status'

export interface StreamBinding {
  format: StreamFormat
  /** Aborted when the client leaves. */
  signal: AbortSignal
  clock?: Clock
}

/**
 * The stream's plan. With a response tracer listening, the response span covers the whole stream:
 * it ends with the plan when nothing is streamed, else when the stream's outcome is in.
 */
export async function planStream<Req, Rep> (run: ResponseRun<Req, Rep>, source: AsyncIterable<unknown>, binding: StreamBinding): Promise<StreamPlan> {
  const trace = openResponseTrace(run.verifier.metrics, { route: run.settings.route, mode: run.settings.mode, requestId: run.requestId, view: undefined })
  if (trace === null) return await plan(run, source, binding, null)
  const record = run.record
  run.record = (outcome) => {
    trace.outcome(outcome)
    record.call(run, outcome)
  }
  try {
    const planned = await plan(run, source, binding, trace)
    if (planned.kind !== 'stream') trace.end()
    return planned
  } catch (err) {
    trace.end(err)
    throw err
  }
}

async function plan<Req, Rep> (run: ResponseRun<Req, Rep>, source: AsyncIterable<unknown>, binding: StreamBinding, trace: ResponseTraceHandle | null): Promise<StreamPlan> {
  const { settings, port, verifier } = run
  if (port.statusCode() >= 400) {
    run.record(skipped(settings.mode, 'error_status'))
    return { kind: 'pass' }
  }
  if (settings.mode === 'off') {
    run.record(skipped('off', 'off'))
    return { kind: 'pass' }
  }
  const LATE = Symbol('late')
  const gate = await withDeadline<QwedOutcome | null | typeof LATE>(shouldVerify(settings, run.request), run.deadlineMs, () => LATE)
  if (gate === LATE) {
    // The feature flag never answered: the unavailable policy, before a byte is sent.
    run.logger?.warn({ route: settings.route, deadline_ms: run.deadlineMs }, 'qwed: the stream\'s gates did not answer in time; the unavailable policy applies')
    if (settings.onUnavailable === 'open') {
      run.record({ mode: settings.mode, decision: 'fail_open', status: 'UNVERIFIED', results: [] })
      return { kind: 'pass' }
    }
    port.setStatus(503)
    port.setHeaders({ 'retry-after': String(verifier.retryAfterSeconds) })
    return { kind: 'json', body: unavailableBody() }
  }
  const finder = gate === null ? streamFinder(settings) : null
  const sanitize = sanitizes(settings, port.statusCode()) ? sanitizer(run) : null
  if (gate !== null) run.record(gate)
  else if (finder === null) run.record(skipped(settings.mode, 'no_claims'))
  if (finder === null && sanitize === null) return { kind: 'pass' }

  const labels = { route: settings.route, format: binding.format }
  let status = 'NONE'
  const mode = settings.mode === 'shadow' ? 'shadow' : 'enforce'
  const body = verifyStream(source, {
    format: binding.format,
    mode,
    findClaims: finder === null ? null : finder(run.request),
    verify: boundTo(trace, async (claims: readonly Claim[]) => await verifier.verifyBatch(claims, {
      route: settings.route,
      mode: settings.mode,
      onUnavailable: settings.onUnavailable,
      requestId: run.requestId,
      logger: run.logger
    })),
    onUnavailable: settings.onUnavailable,
    sanitize,
    limits: settings.stream ?? STREAM_LIMIT_DEFAULTS,
    exposeDetails: settings.exposeDetails,
    clock: binding.clock,
    signal: binding.signal,
    onHold: (ms) => { verifier.metrics.streamHoldSeconds.observe(labels, ms / 1000) },
    onEnd: (outcome) => {
      verifier.metrics.streamHeldBytes.observe(labels, outcome.stream.held_bytes_max)
      // A stream that was stopped says BLOCKED, whatever the claims' own statuses (they are in request.qwed).
      status = outcome.decision === 'block' || outcome.decision === 'fail_closed' ? 'BLOCKED' : outcome.status ?? 'NONE'
      if (finder !== null) {
        run.record(outcome)
        countOutcome(verifier, settings, outcome)
        logOutcome(run, outcome)
      }
      trace?.end()
    }
  })
  return { kind: 'stream', body, trailer: finder !== null && mode === 'enforce', status: () => status }
}

/** The stream outcome record: what was decided and how much had been sent (never the text). */
function logOutcome (run: ResponseRun<any, any>, outcome: StreamOutcome): void {
  const { stream } = outcome
  const fields = {
    route: run.settings.route,
    requestId: run.requestId,
    mode: outcome.mode,
    decision: outcome.decision,
    status: outcome.status,
    format: stream.format,
    claims: stream.claims,
    bytes_sent: stream.bytes_sent,
    held_bytes_max: stream.held_bytes_max,
    stopped: stream.stopped
  }
  if (stream.stopped === null || stream.stopped === 'disconnect') run.logger?.info(fields, 'qwed: stream outcome')
  else run.logger?.warn(fields, 'qwed: stream stopped before its end')
}

function sanitizer (run: ResponseRun<any, any>): (text: string) => string {
  const options = run.settings.sanitize
  if (options === null) return (text) => text
  return (text) => {
    const { value, counts } = sanitizeCompiled(text, options)
    for (const [kind, n] of Object.entries(counts)) {
      if (n !== undefined && n > 0) run.verifier.metrics.sanitized.inc({ kind }, n)
    }
    return value
  }
}
