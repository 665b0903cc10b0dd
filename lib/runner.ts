import type { QwedInput, QwedOutcome } from '../types/route.js'
import type { BreakerOptions, QwedLogger } from '../types/options.js'
import { BREAKER_DEFAULTS } from './breaker.js'
import { DeadlineQueue } from './deadline-queue.js'
import { blockedBody, countOutcome, deadlineOutcome, outcomeHeaders, quickGate, shouldVerify, skipped, unavailableBody, verifyPayload, type RouteSettings } from './outcome.js'
import { checkRouteInputs, sanitizeBody, sanitizes, unsanitizableBody } from './route-guards.js'
import { traceResponse } from './observe/tracing.js'
import type { Verifier } from './verifier.js'

// The response runner: the whole per-response sequence, written once, framework-free. An adapter
// binds its hooks or response methods to a ResponsePort and writes what the runner decides.

/** Past the breaker's timeout, a response is held this much longer before the unavailable policy applies. */
export const DEADLINE_MARGIN_MS = 1000

/** How long a response may be held for verification: the breaker's timeout plus the margin. */
export function responseDeadlineMs (breaker: BreakerOptions | undefined): number {
  return (breaker?.timeout ?? BREAKER_DEFAULTS.timeout) + DEADLINE_MARGIN_MS
}

/** What the runner needs of a framework's response. */
export interface ResponsePort {
  statusCode: () => number
  setStatus: (code: number) => void
  setHeaders: (headers: Record<string, string>) => void
  contentType: () => string | undefined
  /** The client has left (or the response is over): nothing may be written any more. */
  gone: () => boolean
  /** onBlocked is about to run: what the application writes itself must go straight out. */
  handOver: () => void
  /** onBlocked answered the client itself. */
  answered: () => boolean
}

const queues = new Map<number, DeadlineQueue>()

/** One timer for every response held with this deadline (lib/deadline-queue.ts). */
function deadlinesOf (ms: number): DeadlineQueue {
  let queue = queues.get(ms)
  if (queue === undefined) {
    queue = new DeadlineQueue(ms)
    queues.set(ms, queue)
  }
  return queue
}

/** One response on its way through the runner. */
export interface ResponseRun<Req, Rep> {
  verifier: Verifier
  settings: RouteSettings<Req, Rep>
  request: Req
  reply: Rep
  port: ResponsePort
  requestId: string | undefined
  logger: QwedLogger | undefined
  deadlineMs: number
  /** Puts the outcome where the application reads it (request.qwed). */
  record: (outcome: QwedOutcome) => void
}

/**
 * What the adapter writes: `release` the handler's body (sanitized when the route asks for it) with
 * the status it has, `json` a replacement body (the status is already set), or `nothing` (the
 * client has left, or onBlocked answered itself).
 */
export type Reply =
  | { kind: 'release', body: unknown }
  | { kind: 'json', body: unknown }
  | { kind: 'nothing' }

const NOTHING: Reply = { kind: 'nothing' }

export type InputGate = { ok: true, input: QwedInput | null } | { ok: false, body: Record<string, unknown> }

/** Checks the route's inputs before the handler. Refused: answer 400 with `body`; the handler must not run. */
export async function gateInput<Req, Rep> (run: Omit<ResponseRun<Req, Rep>, 'port' | 'deadlineMs'>): Promise<InputGate> {
  const gate = await traceResponse(run, undefined, async () => await checkRouteInputs(run.verifier, run.settings, run.request, run.logger), 'input')
  if (gate === null) return { ok: true, input: null }
  if (gate.ok) return gate
  run.record(skipped(run.settings.mode, 'invalid_input'))
  return gate
}

/**
 * Verifies one buffered response. `body` is what leaves when it is admitted; `view` is what
 * `claims()` sees (decoded text where the body is bytes). Flags, sampling, `claims()` and the
 * verification all run inside one deadline; past it, the unavailable policy answers.
 */
export async function runResponse<Req, Rep> (run: ResponseRun<Req, Rep>, body: unknown, view: unknown = body): Promise<Reply> {
  const { settings, port } = run
  if (port.statusCode() >= 400) {
    settleSkip(run, 'error_status')
    return { kind: 'release', body }
  }
  if (view === undefined) {
    settleSkip(run, 'unsupported_payload')
    return release(run, body)
  }
  const expiry = { expired: false }
  const outcome = await traceResponse(run, view, async () => await deadlinesOf(run.deadlineMs).race(decideOutcome(run, view, expiry), () => {
    expiry.expired = true
    const late = deadlineOutcome(settings, run.deadlineMs)
    settle(run, late)
    run.logger?.warn({ route: settings.route, deadline_ms: run.deadlineMs }, 'qwed: verification did not finish in time; the unavailable policy applies')
    return late
  }))
  // The client has left: the verdict is recorded (audit, metrics, request.qwed); nothing is written.
  if (port.gone()) return NOTHING
  if (outcome === null) return release(run, body)
  port.setHeaders(outcomeHeaders(outcome))
  switch (outcome.decision) {
    case 'block':
      return await answerBlocked(run, outcome)
    case 'fail_closed':
      port.setStatus(503)
      port.setHeaders({ 'retry-after': String(run.verifier.retryAfterSeconds) })
      return { kind: 'json', body: unavailableBody() }
    default:
      return release(run, body)
  }
}

/** 422, with onBlocked's answer when it gives one, else the client-safe blocked body. */
async function answerBlocked<Req, Rep> (run: ResponseRun<Req, Rep>, outcome: QwedOutcome): Promise<Reply> {
  const { settings, port } = run
  port.setStatus(422)
  if (settings.onBlocked !== undefined) {
    port.handOver()
    const answer = await settings.onBlocked(outcome, run.request, run.reply)
    if (port.answered() || port.gone()) return NOTHING
    if (answer !== undefined) return { kind: 'json', body: answer }
  }
  return { kind: 'json', body: blockedBody(outcome, settings.exposeDetails) }
}

/** The body leaves as the handler made it, sanitized when the route asks; one that cannot be sanitized is not sent (500). */
function release<Req, Rep> (run: ResponseRun<Req, Rep>, body: unknown): Reply {
  const { settings, port } = run
  if (!sanitizes(settings, port.statusCode())) return { kind: 'release', body }
  const clean = sanitizeBody(run.verifier, settings, body, port.contentType(), run.logger)
  if (clean.ok) return { kind: 'release', body: clean.body }
  port.setStatus(500)
  return { kind: 'json', body: unsanitizableBody() }
}

/**
 * The gates, then the verification; records the outcome. null: send the body as it is (skipped,
 * shadow mode verifying behind the response, or the deadline already answered).
 */
async function decideOutcome<Req, Rep> (run: ResponseRun<Req, Rep>, view: unknown, expiry: { expired: boolean }): Promise<QwedOutcome | null> {
  const { settings, verifier } = run
  // Without a feature flag the gates are synchronous: no await.
  const gate = settings.enabled === undefined ? quickGate(settings) : await shouldVerify(settings, run.request)
  if (expiry.expired) return null
  if (gate !== null) {
    settle(run, gate)
    return null
  }
  // Read only when an audit record is written (Express makes a UUID for a request without an id).
  const info = { request: run.request, get requestId () { return run.requestId }, get logger () { return run.logger } }
  if (settings.mode === 'shadow') {
    // Shadow: the response leaves now; the verdict is recorded when it arrives.
    verifyPayload(verifier, settings, view, info).then((outcome) => settle(run, outcome), (err: unknown) => run.logger?.error({ err }, 'qwed: shadow verification failed'))
    return null
  }
  const outcome = await verifyPayload(verifier, settings, view, info)
  // Past the deadline the response went out under the unavailable policy; the audit record stays.
  if (expiry.expired) return null
  settle(run, outcome)
  return outcome
}

/** A response that leaves unchecked, for `reason`: recorded and counted. */
export function settleSkip<Req, Rep> (run: ResponseRun<Req, Rep>, reason: NonNullable<QwedOutcome['skipped']>): void {
  settle(run, skipped(run.settings.mode, reason))
}

/** Records an outcome where the application reads it, and counts it. */
function settle<Req, Rep> (run: ResponseRun<Req, Rep>, outcome: QwedOutcome): void {
  run.record(outcome)
  countOutcome(run.verifier, run.settings, outcome)
}
