import { randomUUID } from 'node:crypto'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { BREAKER_DEFAULTS } from './breaker.js'
import type { AuditOptions, QwedLogger } from '../types/options.js'
import type { QwedAdapterOptions, QwedInput, QwedOutcome, QwedRouteOptions } from '../types/route.js'
import { validateAdapterOptions, validateRouteOptions } from './options.js'
import { blockedBody, countOutcome, outcomeHeaders, shouldVerify, skipped, unavailableBody, verifyPayload, type RouteSettings } from './outcome.js'
import { decide, outcomeStatus } from './policy.js'
import { admissionOf, blocked } from './result.js'
import { checkRouteInputs, sanitizeBody, sanitizes, unsanitizableBody } from './route-guards.js'
import { createVerifier, type Verifier } from './verifier.js'

/** Route options of `qwed.route()`: the same as Fastify's `config.qwed`, with Express's req and res. */
export type ExpressRouteQwedOptions = QwedRouteOptions<Request, Response>

/** Options of `qwedExpress()`: the same names as the Fastify plugin's (QwedPluginOptions). */
export interface QwedExpressOptions extends QwedAdapterOptions<Request, Response> {}

export interface QwedExpressMiddleware extends RequestHandler {
  /** Wraps one route: `app.post('/quote', qwed.route({ claims }), handler)`. Options are checked here, once. */
  route: (routeOptions: ExpressRouteQwedOptions) => RequestHandler
  /** Serves the Prometheus text; mount it on an internal app: `internal.get('/metrics', qwed.metrics)`. */
  metrics: RequestHandler
  /** The verifier behind the middleware: verify(), verifyBatch(), metrics. */
  verifier: Verifier
  /** Closes the verifier (breakers, engines, worker pool). */
  close: () => Promise<void>
}

declare global {
  namespace Express {
    interface Request {
      /** What verification did to this request's response; null until a verified route has answered. */
      qwed?: QwedOutcome | null
      /** The route's checked inputs (NFKC-normalised) and the injection heuristics that matched; set before the handler runs. */
      qwedInput?: QwedInput | null
    }
  }
}

type Settings = RouteSettings<Request, Response>
type Kind = 'json' | 'send'

/** Past the breaker's timeout, a response is held this much longer before the unavailable policy applies. */
export const DEADLINE_MARGIN_MS = 1000

const SEEN = Symbol('qwed.seen')
const INTERCEPTED = Symbol('qwed.intercepted')
const REQUEST_ID = Symbol('qwed.requestId')
const MISUSE = 'qwed-middleware: qwedExpress is a factory: call qwedExpress(options) and use its result (app.use(qwedExpress(options))), not app.use(qwedExpress)'
const ROUTE_MISUSE = 'qwed-middleware: qwed.route is a factory: call qwed.route(routeOptions) and use its result as the route\'s middleware'

/**
 * The Express 5 middleware. Options are checked once, here, with the Fastify plugin's validators.
 * `app.use(qwed)` gives each request its state and serves `metrics.endpoint`; `qwed.route(options)`
 * verifies one route's responses.
 */
export function qwedExpress (options?: QwedExpressOptions): QwedExpressMiddleware
export function qwedExpress (...args: unknown[]): QwedExpressMiddleware | undefined {
  const [options, , next] = args
  if (looksLikeRequest(options) && typeof next === 'function') {
    // app.use(qwedExpress): Express called the factory as if it were the middleware.
    next(new TypeError(MISUSE))
    return undefined
  }
  const { defaults, metricsEndpoint, verifierOptions } = validateAdapterOptions<Request, Response>(options as QwedExpressOptions | undefined)
  // The audit trail prefers the app's request logger (pino-http's req.log), then audit.logger, then
  // the verifier's default: so audit.logger is handed over per request instead of to the verifier.
  const audit = verifierOptions.audit
  const { logger: auditLogger, ...auditRest }: AuditOptions = audit === undefined || audit === false ? {} : audit
  const verifier = createVerifier(audit === undefined || audit === false ? verifierOptions : { ...verifierOptions, audit: auditRest })
  const deadlineMs = (verifierOptions.breaker?.timeout ?? BREAKER_DEFAULTS.timeout) + DEADLINE_MARGIN_MS
  const shared: Shared = { verifier, auditLogger, deadlineMs }

  const metrics: RequestHandler = function qwedMetrics (_req, res, next) {
    verifier.metrics.registry.metrics().then((text) => {
      res.statusCode = 200
      res.setHeader('content-type', verifier.metrics.registry.contentType)
      res.end(text)
    }, next)
  }

  const middleware = function qwedMiddleware (req: Request, res: Response, next: NextFunction): void {
    const state = req as unknown as Record<symbol, boolean>
    if (state[SEEN] === true) {
      // app.use(qwed) twice: the first one did the work.
      next()
      return
    }
    state[SEEN] = true
    if (req.qwed === undefined) req.qwed = null
    if (metricsEndpoint !== null && req.method === 'GET' && req.path === metricsEndpoint) {
      metrics(req, res, next)
      return
    }
    next()
  } as QwedExpressMiddleware

  middleware.route = function qwedRouteFactory (...routeArgs: unknown[]): RequestHandler | undefined {
    const [routeOptions, , routeNext] = routeArgs
    if (looksLikeRequest(routeOptions)) {
      // app.post('/x', qwed.route, handler): the factory called as the middleware.
      if (typeof routeNext === 'function') {
        routeNext(new TypeError(ROUTE_MISUSE))
        return undefined
      }
      throw new TypeError(ROUTE_MISUSE)
    }
    const settings = validateRouteOptions(routeOptions, defaults, 'routeOptions')
    return routeMiddleware(shared, { ...settings, route: '__unknown__' })
  } as QwedExpressMiddleware['route']
  middleware.metrics = metrics
  middleware.verifier = verifier
  middleware.close = async () => { await verifier.close() }
  return middleware
}

interface Shared {
  verifier: Verifier
  auditLogger: QwedLogger | undefined
  deadlineMs: number
}

function routeMiddleware (shared: Shared, base: Settings): RequestHandler {
  return function qwedRoute (req, res, next) {
    if (req.qwed === undefined) req.qwed = null
    if (base.inputs === undefined) {
      proceed(shared, base, req, res, next)
      return
    }
    // The inputs are checked before the handler: a refused one is answered 400 and the handler never runs.
    const settings = { ...base, route: routeLabel(req) }
    checkRouteInputs(shared.verifier, settings, req, logger(shared, req)).then((gate) => {
      if (gate !== null && !gate.ok) {
        req.qwed = skipped(settings.mode, 'invalid_input')
        res.status(400).json(gate.body)
        return
      }
      if (gate !== null) req.qwedInput = gate.input
      proceed(shared, base, req, res, next)
    }, next)
  }
}

function proceed (shared: Shared, base: Settings, req: Request, res: Response, next: NextFunction): void {
  const marks = res as unknown as Record<symbol, boolean>
  // Two wrappers on one response would verify it twice: the first one owns it.
  if (marks[INTERCEPTED] !== true) {
    marks[INTERCEPTED] = true
    intercept(shared, base, req, res, next)
  }
  next()
}

/**
 * Holds the response the handler sends through res.json (objects) or res.send (strings, Buffers,
 * objects), verifies it, then lets Express write the original or the verdict's answer.
 *
 * Express 5's res.send(object) calls res.json, which calls res.send(string): while the response is
 * being written (`writing`) both wrappers hand straight through to Express, so a body is seen once.
 */
function intercept (shared: Shared, base: Settings, req: Request, res: Response, next: NextFunction): void {
  const originalJson = res.json
  const originalSend = res.send
  let state: 'open' | 'holding' | 'writing' | 'done' = 'open'
  let closed = false
  res.once('close', () => { closed = true })

  const control: HoldControl = {
    gone: () => closed || res.writableEnded || res.destroyed || req.socket?.destroyed === true,
    write: (kind, body) => {
      state = 'writing'
      try {
        kind === 'json' ? originalJson.call(res, body) : originalSend.call(res, body)
      } finally {
        state = 'done'
      }
    },
    answer: () => { state = 'writing' },
    finish: () => { state = 'done' }
  }

  const wrapper = (kind: Kind) => function qwedIntercept (this: Response, body?: unknown): Response {
    if (state === 'writing' || state === 'done') {
      return kind === 'json' ? originalJson.call(res, body) : originalSend.call(res, body)
    }
    if (state === 'holding') {
      logger(shared, req)?.warn({ route: routeLabel(req) }, 'qwed: the response was sent twice while being verified; the second body is ignored')
      return res
    }
    const settings = { ...base, route: routeLabel(req) }
    if (res.headersSent || res.statusCode >= 400) {
      // Nothing can be held once the headers are out, and error answers are not verified:
      // Express answers exactly as it would without the middleware.
      req.qwed = skipped(settings.mode, res.headersSent ? 'headers_sent' : 'error_status')
      state = 'done'
      return kind === 'json' ? originalJson.call(res, body) : originalSend.call(res, body)
    }
    state = 'holding'
    hold(shared, settings, req, res, kind, body, control).catch((err: unknown) => {
      state = 'done'
      if (!control.gone()) next(err)
    })
    return res
  }

  res.json = wrapper('json')
  res.send = wrapper('send')
}

interface HoldControl {
  /** The client has left (or the response is already over): nothing may be written. */
  gone: () => boolean
  /** Writes through Express's own res.json / res.send. */
  write: (kind: Kind, body: unknown) => void
  /** onBlocked runs: a res.json / res.send it makes goes straight out. */
  answer: () => void
  finish: () => void
}

/** Set when the deadline passed: the verification still running must not touch the request any more. */
interface Expiry { expired: boolean }

async function hold (shared: Shared, settings: Settings, req: Request, res: Response, kind: Kind, body: unknown, control: HoldControl): Promise<void> {
  const expiry: Expiry = { expired: false }
  const outcome = await withDeadline(decideOutcome(shared, settings, req, payloadOf(body), expiry), shared.deadlineMs, () => {
    expiry.expired = true
    const late = deadlineOutcome(settings, shared.deadlineMs)
    req.qwed = late
    countOutcome(shared.verifier, settings, late)
    logger(shared, req)?.warn({ route: settings.route, deadline_ms: shared.deadlineMs }, 'qwed: verification did not finish in time; the unavailable policy applies')
    return late
  })
  if (control.gone()) {
    // The client has left: the verdict is recorded (audit, metrics, req.qwed); nothing is written.
    control.finish()
    return
  }
  if (outcome === null) {
    release(shared, settings, req, res, control, kind, body)
    return
  }
  res.set(outcomeHeaders(outcome))
  switch (outcome.decision) {
    case 'block': {
      res.status(422)
      let answer: unknown
      if (settings.onBlocked !== undefined) {
        control.answer()
        answer = await settings.onBlocked(outcome, req, res)
        if (res.headersSent || control.gone()) {
          // onBlocked answered itself (res.json / res.send / res.end), or the client left meanwhile.
          control.finish()
          return
        }
      }
      writeJson(res, control, answer === undefined ? blockedBody(outcome, settings.exposeDetails) : answer)
      return
    }
    case 'fail_closed':
      res.status(503).set('retry-after', String(shared.verifier.retryAfterSeconds))
      writeJson(res, control, unavailableBody())
      return
    default:
      release(shared, settings, req, res, control, kind, body)
  }
}

/** The handler's body goes out, sanitized when the route asks for it; one that cannot be sanitized is not sent (500). */
function release (shared: Shared, settings: Settings, req: Request, res: Response, control: HoldControl, kind: Kind, body: unknown): void {
  if (!sanitizes(settings, res.statusCode)) {
    control.write(kind, body)
    return
  }
  const clean = sanitizeBody(shared.verifier, settings, body, res.get('content-type'), logger(shared, req))
  if (clean.ok) {
    control.write(kind, clean.body)
    return
  }
  res.status(500)
  writeJson(res, control, unsanitizableBody())
}

/** A replacement body is always JSON, whatever type the handler had set for its own body. */
function writeJson (res: Response, control: HoldControl, body: unknown): void {
  res.set('content-type', 'application/json; charset=utf-8')
  res.removeHeader('content-length')
  control.write('json', body)
}

/**
 * Verifies one response and records the outcome on req.qwed; null means "send it as it is"
 * (skipped, or shadow mode verifying behind the response).
 */
async function decideOutcome (shared: Shared, settings: Settings, req: Request, payload: unknown, expiry: Expiry): Promise<QwedOutcome | null> {
  if (payload === undefined) {
    req.qwed = skipped(settings.mode, 'unsupported_payload')
    return null
  }
  const gate = await shouldVerify(settings, req)
  if (expiry.expired) return null
  if (gate !== null) {
    req.qwed = gate
    return null
  }
  const log = logger(shared, req)
  const info = { request: req, requestId: requestId(req), logger: log }
  if (settings.mode === 'shadow') {
    // Shadow: the response leaves now; the verdict is recorded when it arrives.
    verifyPayload(shared.verifier, settings, payload, info).then((outcome) => {
      req.qwed = outcome
      countOutcome(shared.verifier, settings, outcome)
    }, (err: unknown) => log?.error({ err }, 'qwed: shadow verification failed'))
    return null
  }
  const outcome = await verifyPayload(shared.verifier, settings, payload, info)
  // Past the deadline the response went out under the unavailable policy; the audit record stays.
  if (expiry.expired) return null
  req.qwed = outcome
  countOutcome(shared.verifier, settings, outcome)
  return outcome
}

/** Resolves with the work's value, or with `onExpiry()` once `ms` have passed (the work then runs on unheard). */
async function withDeadline<T> (work: Promise<T>, ms: number, onExpiry: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expiry = new Promise<'expired'>((resolve) => { timer = setTimeout(() => resolve('expired'), ms) })
  try {
    const first = await Promise.race([work.then((value) => ({ value })), expiry])
    return first === 'expired' ? onExpiry() : first.value
  } finally {
    clearTimeout(timer)
  }
}

/** The outcome of a verification that missed its deadline: an unavailable verifier, so the policy decides. */
function deadlineOutcome (settings: Settings, deadlineMs: number): QwedOutcome {
  const result = blocked('Verification is temporarily unavailable', { constraint_id: 'verifier.unavailable', reason: 'deadline', deadline_ms: deadlineMs })
  const results = [{ ...result, admission: admissionOf(result), engine: 'verifier', cached: false, duration_ms: deadlineMs }]
  const decision = decide(results, settings.mode, settings.onUnavailable)
  return { mode: settings.mode, decision, status: outcomeStatus(results, decision), results }
}

/** What claims() sees: objects as they are, strings as they are, bytes decoded as UTF-8 text. */
function payloadOf (body: unknown): unknown {
  if (Buffer.isBuffer(body)) return body.toString('utf8')
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  return body
}

/** The metric label: the matched route's path pattern (never the raw URL). */
function routeLabel (req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path
  if (typeof path === 'string') return path
  if (Array.isArray(path) || path instanceof RegExp) return String(path)
  return '__unknown__'
}

/** pino-http's req.log when the app has one, else audit.logger. */
function logger (shared: Shared, req: Request): QwedLogger | undefined {
  const log = (req as unknown as { log?: Partial<QwedLogger> }).log
  if (typeof log?.info === 'function' && typeof log.warn === 'function' && typeof log.error === 'function') return log as QwedLogger
  return shared.auditLogger
}

/** pino-http's req.id when present, else one made for this request. */
function requestId (req: Request): string {
  const id = (req as unknown as { id?: unknown }).id
  if (typeof id === 'string' || typeof id === 'number') return String(id)
  const state = req as unknown as Record<symbol, string | undefined>
  return (state[REQUEST_ID] ??= randomUUID())
}

function looksLikeRequest (value: unknown): boolean {
  const v = value as { method?: unknown, url?: unknown, headers?: unknown } | null | undefined
  return typeof v === 'object' && v !== null && typeof v.method === 'string' && typeof v.url === 'string' && typeof v.headers === 'object'
}

export default qwedExpress
