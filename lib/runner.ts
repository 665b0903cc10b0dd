import type { QwedInput, QwedOutcome } from '../types/route.js'
import type { BreakerOptions, QwedLogger } from '../types/options.js'
import { BREAKER_DEFAULTS } from './breaker.js'
import { DeadlineQueue } from './deadline-queue.js'
import { blockedBody, countOutcome, deadlineOutcome, outcomeHeaders, quickGate, shouldVerify, skipped, unavailableBody, verifyPayload, verifyPayloadNow, type RouteSettings } from './outcome.js'
import { checkRouteInputs, sanitizeBody, sanitizes, unsanitizableBody } from './route-guards.js'
import { responseChannel, traceResponse } from './observe/tracing.js'
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
 *
 * Synchronous when nothing has to be waited for (no feature flag, no response tracer, `claims()`
 * not a promise, every verdict known at once: a cache hit, a refusal, the engine's fast path), so a
 * cached verdict costs no promise and no deadline; a promise otherwise. The steps are the same
 * either way: only whether one of them returned a promise differs.
 */
export function runResponse<Req, Rep> (run: ResponseRun<Req, Rep>, body: unknown, view: unknown = body): Reply | Promise<Reply> {
  const { port } = run
  if (port.statusCode() >= 400) {
    settleSkip(run, 'error_status')
    return { kind: 'release', body }
  }
  if (view === undefined) {
    settleSkip(run, 'unsupported_payload')
    return release(run, body)
  }
  if (responseChannel.hasSubscribers) {
    return traceResponse(run, view, async () => await decideInTime(run, view)).then((outcome) => answer(run, body, outcome))
  }
  const outcome = decideInTime(run, view)
  return outcome instanceof Promise ? outcome.then((decided) => answer(run, body, decided)) : answer(run, body, outcome)
}

/** The outcome, held to the response's deadline when it has to be waited for. */
function decideInTime<Req, Rep> (run: ResponseRun<Req, Rep>, view: unknown): QwedOutcome | null | Promise<QwedOutcome | null> {
  const expiry = { expired: false }
  const outcome = decideOutcome(run, view, expiry)
  if (!(outcome instanceof Promise)) return outcome
  return deadlinesOf(run.deadlineMs).race(outcome, () => {
    expiry.expired = true
    const late = deadlineOutcome(run.settings, run.deadlineMs)
    settle(run, late)
    run.logger?.warn({ route: run.settings.route, deadline_ms: run.deadlineMs }, 'qwed: verification did not finish in time; the unavailable policy applies')
    return late
  })
}

/** What the adapter writes for an outcome (null: the body as it is). */
function answer<Req, Rep> (run: ResponseRun<Req, Rep>, body: unknown, outcome: QwedOutcome | null): Reply | Promise<Reply> {
  const { port } = run
  // The client has left: the verdict is recorded (audit, metrics, request.qwed); nothing is written.
  if (port.gone()) return NOTHING
  if (outcome === null) return release(run, body)
  port.setHeaders(outcomeHeaders(outcome))
  switch (outcome.decision) {
    case 'block':
      return answerBlocked(run, outcome)
    case 'fail_closed':
      port.setStatus(503)
      port.setHeaders({ 'retry-after': String(run.verifier.retryAfterSeconds) })
      return { kind: 'json', body: unavailableBody() }
    default:
      return release(run, body)
  }
}

/** 422, with onBlocked's answer when it gives one (a promise then), else the client-safe blocked body. */
function answerBlocked<Req, Rep> (run: ResponseRun<Req, Rep>, outcome: QwedOutcome): Reply | Promise<Reply> {
  const { settings, port } = run
  port.setStatus(422)
  if (settings.onBlocked === undefined) return { kind: 'json', body: blockedBody(outcome, settings.exposeDetails) }
  return askOnBlocked(run, settings.onBlocked, outcome)
}

async function askOnBlocked<Req, Rep> (run: ResponseRun<Req, Rep>, onBlocked: NonNullable<RouteSettings<Req, Rep>['onBlocked']>, outcome: QwedOutcome): Promise<Reply> {
  const { settings, port } = run
  port.handOver()
  const answer = await onBlocked(outcome, run.request, run.reply)
  if (port.answered() || port.gone()) return NOTHING
  if (answer !== undefined) return { kind: 'json', body: answer }
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
 * shadow mode verifying behind the response, or the deadline already answered). A promise only
 * when a step returned one (the feature flag, claims(), a verdict not known at once).
 */
function decideOutcome<Req, Rep> (run: ResponseRun<Req, Rep>, view: unknown, expiry: { expired: boolean }): QwedOutcome | null | Promise<QwedOutcome | null> {
  const { settings } = run
  // Without a feature flag the gates are synchronous.
  if (settings.enabled === undefined) return afterGates(run, view, expiry, quickGate(settings))
  return shouldVerify(settings, run.request).then((gate) => afterGates(run, view, expiry, gate))
}

function afterGates<Req, Rep> (run: ResponseRun<Req, Rep>, view: unknown, expiry: { expired: boolean }, gate: QwedOutcome | null): QwedOutcome | null | Promise<QwedOutcome | null> {
  const { settings, verifier } = run
  if (expiry.expired) return null
  if (gate !== null) {
    settle(run, gate)
    return null
  }
  // The run is the request's info: its requestId and logger are read only when an audit record is
  // written (Express makes a UUID for a request without an id).
  if (settings.mode === 'shadow') {
    // Shadow: the response leaves now; the verdict is recorded when it arrives.
    verifyPayload(verifier, settings, view, run).then((outcome) => settle(run, outcome), (err: unknown) => run.logger?.error({ err }, 'qwed: shadow verification failed'))
    return null
  }
  const outcome = verifyPayloadNow(verifier, settings, view, run)
  if (outcome instanceof Promise) {
    return outcome.then((verified) => {
      // Past the deadline the response went out under the unavailable policy; the audit record stays.
      if (expiry.expired) return null
      settle(run, verified)
      return verified
    })
  }
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
