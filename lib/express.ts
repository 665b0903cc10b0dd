import { randomUUID } from 'node:crypto'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { AuditOptions, QwedLogger } from '../types/options.js'
import type { QwedAdapterOptions, QwedInput, QwedOutcome, QwedRouteOptions } from '../types/route.js'
import { validateAdapterOptions, validateRouteOptions } from './options.js'
import type { RouteSettings } from './outcome.js'
import { DEADLINE_MARGIN_MS, gateInput, responseDeadlineMs, runResponse, settleSkip, type ResponsePort, type ResponseRun } from './runner.js'
import { createVerifier, type Verifier } from './verifier.js'

// The Express binding of the response runner (runner.ts): res.json / res.send in, runner decisions out.

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

export { DEADLINE_MARGIN_MS }

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
  const deadlineMs = responseDeadlineMs(verifierOptions.breaker)
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
    gateInput(runOf(shared, settings, req, res, NO_PORT)).then((gate) => {
      if (!gate.ok) {
        res.status(400).json(gate.body)
        return
      }
      if (gate.input !== null) req.qwedInput = gate.input
      proceed(shared, base, req, res, next)
    }, next)
  }
}

function runOf (shared: Shared, settings: Settings, req: Request, res: Response, port: ResponsePort): ResponseRun<Request, Response> {
  return {
    verifier: shared.verifier,
    settings,
    request: req,
    reply: res,
    port,
    requestId: requestId(req),
    logger: logger(shared, req),
    deadlineMs: shared.deadlineMs,
    record: (outcome: QwedOutcome) => { req.qwed = outcome }
  }
}

/** The input gate writes nothing through the port. */
const NO_PORT: ResponsePort = {
  statusCode: () => 200,
  setStatus: () => {},
  setHeaders: () => {},
  contentType: () => undefined,
  gone: () => false,
  handOver: () => {},
  answered: () => false
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
      settleSkip(runOf(shared, settings, req, res, NO_PORT), res.headersSent ? 'headers_sent' : 'error_status')
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

async function hold (shared: Shared, settings: Settings, req: Request, res: Response, kind: Kind, body: unknown, control: HoldControl): Promise<void> {
  const port: ResponsePort = {
    statusCode: () => res.statusCode,
    setStatus: (code) => { res.status(code) },
    setHeaders: (headers) => { res.set(headers) },
    contentType: () => res.get('content-type'),
    gone: control.gone,
    handOver: control.answer,
    answered: () => res.headersSent
  }
  const answer = await runResponse(runOf(shared, settings, req, res, port), body, payloadOf(body))
  switch (answer.kind) {
    case 'release':
      control.write(kind, answer.body)
      return
    case 'json':
      // A replacement body is always JSON, whatever type the handler had set for its own body.
      res.set('content-type', 'application/json; charset=utf-8')
      res.removeHeader('content-length')
      control.write('json', answer.body)
      return
    case 'nothing':
      control.finish()
  }
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
