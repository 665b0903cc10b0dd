import { randomUUID } from 'node:crypto'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { AuditOptions, QwedLogger } from '../types/options.js'
import type { QwedAdapterOptions, QwedInput, QwedOutcome, QwedRouteOptions, QwedWarmUpOption } from '../types/route.js'
import { validateAdapterOptions, validateRouteOptions } from './options.js'
import { createHealthCheck, type HealthAnswer } from './health.js'
import type { RouteSettings } from './outcome.js'
import { DEADLINE_MARGIN_MS, gateInput, responseDeadlineMs, runResponse, settleSkip, type Reply, type ResponsePort, type ResponseRun } from './runner.js'
import { createVerifier, type Verifier } from './verifier.js'
import { backgroundWarmUp, createWarmUpPlan, validateWarmUpOption } from './warm-up.js'
import { sanitizes, unsanitizableBody } from './route-guards.js'
import { formatOf, type StreamFormat } from './stream/formats.js'
import { PushSource } from './stream/push-source.js'
import { planStream, STATUS_TRAILER } from './stream/run.js'

// The Express binding of the response runner (runner.ts): res.json / res.send in, runner decisions out.

/** Route options of `qwed.route()`: the same as Fastify's `config.qwed`, with Express's req and res. */
export type ExpressRouteQwedOptions = QwedRouteOptions<Request, Response>

/** Options of `qwedExpress()`: the same names as the Fastify plugin's (QwedPluginOptions). */
export interface QwedExpressOptions extends QwedAdapterOptions<Request, Response> {
  /**
   * What the middleware loads in the background as soon as routes are declared with `qwed.route()`
   * (README, "Warm-up"), so that no first claim loads an engine inside its deadline. `true`
   * (default): the engines of the claim types the routes can produce (`claims: 'auto'`: math,
   * code, sql, schema; a `claims()` function: every engine, Z3 included). An array: exactly these
   * claim types. `false`: nothing; each engine loads on its first claim. The claim types of
   * `extraEngines` may be named too; any other name is an error here.
   */
  warmUp?: QwedWarmUpOption
}

export interface QwedExpressMiddleware extends RequestHandler {
  /** Wraps one route: `app.post('/quote', qwed.route({ claims }), handler)`. Options are checked here, once. */
  route: (routeOptions: ExpressRouteQwedOptions) => RequestHandler
  /** Serves the Prometheus text; mount it on an internal app: `internal.get('/metrics', qwed.metrics)`. */
  metrics: RequestHandler
  /** The verifier behind the middleware: verify(), verifyBatch(), metrics. */
  verifier: Verifier
  /** Readiness as JSON, 200/503 (also served by `app.use(qwed)` at `health.path`): `internal.get('/ready', qwed.health)`. */
  health: RequestHandler
  /** Liveness as JSON, 200 (also served at `<health.path>/live`). */
  liveness: RequestHandler
  /** Graceful close: new claims are answered unavailable, running ones finish, the audit queue is flushed, engines, pools and connections closed. */
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
const HELD = Symbol('qwed.held')
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
  // warmUp is the adapters' own option (the AI SDK middleware has none), checked apart.
  const given = typeof options === 'object' && options !== null
  const { warmUp: warmUpOption, ...adapterOptions }: QwedExpressOptions = given ? options : {}
  const { defaults, metricsEndpoint, health, verifierOptions } = validateAdapterOptions<Request, Response>(given ? adapterOptions : options as undefined)
  const warmUp = createWarmUpPlan(validateWarmUpOption(warmUpOption, verifierOptions.extraEngines?.flatMap((engine) => engine.claimTypes)))
  // The audit trail prefers the app's request logger (pino-http's req.log), then audit.logger, then
  // the verifier's default: so audit.logger is handed over per request instead of to the verifier.
  const audit = verifierOptions.audit
  const { logger: auditLogger, ...auditRest }: AuditOptions = audit === undefined || audit === false ? {} : audit
  const verifier = createVerifier(audit === undefined || audit === false ? verifierOptions : { ...verifierOptions, audit: auditRest })
  const deadlineMs = responseDeadlineMs(verifierOptions.breaker)
  const shared: Shared = { verifier, auditLogger, deadlineMs }
  const scheduleWarmUp = backgroundWarmUp(warmUp, verifier, (err) => {
    process.emitWarning(`qwed-middleware: engine warm-up failed (those claims stay BLOCKED until their engine loads): ${err instanceof Error ? err.message : String(err)}`, { code: 'QWED_WARM_UP_FAILED' })
  })

  const metrics: RequestHandler = function qwedMetrics (_req, res, next) {
    verifier.metrics.registry.metrics().then((text) => {
      res.statusCode = 200
      res.setHeader('content-type', verifier.metrics.registry.contentType)
      res.end(text)
    }, next)
  }

  const check = createHealthCheck(verifier, health)
  const send = (res: Response, { statusCode, body }: HealthAnswer): void => {
    res.status(statusCode).set('cache-control', 'no-store').json(body)
  }
  const readiness: RequestHandler = function qwedHealth (_req, res, next) {
    check.readiness().then((answer) => send(res, answer), next)
  }
  const liveness: RequestHandler = function qwedLiveness (_req, res) {
    send(res, check.liveness())
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
    if (req.method === 'GET' && health.path !== null && (req.path === health.path || req.path === health.livePath)) {
      (req.path === health.path ? readiness : liveness)(req, res, next)
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
    warmUp.addRoute(settings.claims)
    scheduleWarmUp()
    return routeMiddleware(shared, { ...settings, route: '__unknown__' })
  } as QwedExpressMiddleware['route']
  middleware.metrics = metrics
  middleware.verifier = verifier
  middleware.health = readiness
  middleware.liveness = liveness
  // verifier.close() also writes the audit lines the default audit log still gathers.
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
    const settings = settingsFor(base, req)
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
  return new ExpressRun(shared, settings, req, res, port)
}

/** One response's run. The request id (a UUID-shaped one made here when the app has none) is made only when read: by an audit record or a stream log line. */
class ExpressRun implements ResponseRun<Request, Response> {
  readonly verifier: Verifier
  readonly deadlineMs: number
  readonly port: ResponsePort
  /** `port` null: the run is its own port (HeldRun). */
  constructor (readonly shared: Shared, readonly settings: Settings, readonly request: Request, readonly reply: Response, port: ResponsePort | null) {
    this.verifier = shared.verifier
    this.deadlineMs = shared.deadlineMs
    this.port = port ?? (this as unknown as ResponsePort)
  }

  get requestId (): string { return requestId(this.request) }
  get logger (): QwedLogger | undefined { return logger(this.shared, this.request) }
  record (outcome: QwedOutcome): void { this.request.qwed = outcome }
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
  // Two wrappers on one response would verify it twice: the first one owns it.
  if ((res as unknown as Record<symbol, Interception | undefined>)[HELD] === undefined) intercept(shared, base, req, res, next)
  next()
}

/**
 * Holds the response the handler sends through res.json (objects) or res.send (strings, Buffers,
 * objects), verifies it, then lets Express write the original or the verdict's answer.
 *
 * Express 5's res.send(object) calls res.json, which calls res.send(string): while the response is
 * being written (`writing`) both wrappers hand straight through to Express, so a body is seen once.
 *
 * The four wrappers are the same functions for every response: each finds its response's
 * Interception on `this` (as Express's own res.json and Node's res.write read `this`), so a
 * response costs one object and no closures.
 */
function intercept (shared: Shared, base: Settings, req: Request, res: Response, next: NextFunction): void {
  ;(res as unknown as Record<symbol, Interception>)[HELD] = new Interception(shared, base, req, res, next)
  res.json = qwedJson
  res.send = qwedSend
  // Bodies written with res.write / res.end (and pipe): a text stream is verified claim by claim.
  res.write = qwedWrite as Response['write']
  res.end = qwedEnd as Response['end']
}

function interceptionOf (res: Response): Interception {
  return (res as unknown as Record<symbol, Interception>)[HELD] as Interception
}

function qwedJson (this: Response, body?: unknown): Response { return interceptionOf(this).take('json', body) }
function qwedSend (this: Response, body?: unknown): Response { return interceptionOf(this).take('send', body) }

function qwedWrite (this: Response, ...args: unknown[]): boolean {
  const held = interceptionOf(this)
  const target = held.route(args, false)
  if (target === 'pass') return (held.originals.write as (...a: unknown[]) => boolean).apply(this, args)
  const [chunk, encoding, callback] = writeArgs(args)
  const more = target.write(toBuffer(chunk, encoding))
  if (callback !== undefined) process.nextTick(callback)
  return more
}

function qwedEnd (this: Response, ...args: unknown[]): Response {
  const held = interceptionOf(this)
  const target = held.route(args, true)
  if (target === 'pass') return (held.originals.end as (...a: unknown[]) => Response).apply(this, args)
  const [chunk, encoding, callback] = writeArgs(args)
  if (chunk !== undefined && chunk !== null) target.write(toBuffer(chunk, encoding))
  if (callback !== undefined) this.once('finish', callback)
  target.end()
  return this
}

/**
 * One response's interception: its state, Express's own methods and the answer's way out. A class,
 * so a response costs one object and no closures for it.
 */
class Interception implements HoldControl {
  state: 'open' | 'holding' | 'writing' | 'done' = 'open'
  /** A written body: not seen yet ('none'), sent as Express would ('pass'), or verified as a stream. */
  stream: 'none' | 'pass' | PushSource = 'none'
  readonly originals: Originals
  readonly #json: Response['json']
  readonly #send: Response['send']

  constructor (readonly shared: Shared, readonly base: Settings, readonly req: Request, readonly res: Response, readonly next: NextFunction) {
    this.#json = res.json
    this.#send = res.send
    this.originals = { write: res.write, end: res.end }
  }

  /** Where a res.write / res.end goes: the first one with a body decides for the whole response. */
  route (args: unknown[], ending: boolean): 'pass' | PushSource {
    if (this.stream === 'none' && this.state === 'open' && (!ending || hasChunk(args))) {
      const { shared, base, req, res } = this
      this.stream = openStream(shared, settingsFor(base, req), req, res, this.originals, () => this.gone())
    }
    return this.stream === 'none' ? 'pass' : this.stream
  }

  /** A client that left destroyed the socket; a response that ended is writableEnded: no 'close' listener needed. */
  gone (): boolean {
    const res = this.res
    return res.writableEnded || res.destroyed || this.req.socket?.destroyed === true
  }

  /** Writes through Express's own res.json / res.send. */
  write (kind: Kind, body: unknown): void {
    this.state = 'writing'
    try {
      this.express(kind, body)
    } finally {
      this.state = 'done'
    }
  }

  answer (): void { this.state = 'writing' }
  finish (): void { this.state = 'done' }

  express (kind: Kind, body: unknown): Response {
    return kind === 'json' ? this.#json.call(this.res, body) : this.#send.call(this.res, body)
  }

  /** res.json / res.send from the handler. */
  take (kind: Kind, body: unknown): Response {
    const { shared, req, res } = this
    if (this.state === 'writing' || this.state === 'done') return this.express(kind, body)
    if (this.state === 'holding') {
      logger(shared, req)?.warn({ route: routeLabel(req) }, 'qwed: the response was sent twice while being verified; the second body is ignored')
      return res
    }
    const settings = settingsFor(this.base, req)
    if (res.headersSent || res.statusCode >= 400) {
      // Nothing can be held once the headers are out, and error answers are not verified:
      // Express answers exactly as it would without the middleware.
      settleSkip(runOf(shared, settings, req, res, NO_PORT), res.headersSent ? 'headers_sent' : 'error_status')
      this.state = 'done'
      return this.express(kind, body)
    }
    this.state = 'holding'
    // A verdict known at once (a cache hit) is written now, before res.json returns; else when it comes.
    let held: void | Promise<void>
    try {
      held = hold(shared, settings, req, res, kind, body, this)
    } catch (err) {
      this.failed(err)
      return res
    }
    if (held instanceof Promise) held.catch((err: unknown) => { this.failed(err) })
    return res
  }

  failed (err: unknown): void {
    this.state = 'done'
    if (!this.gone()) this.next(err)
  }
}

interface Originals {
  write: Response['write']
  end: Response['end']
}

/** How much a handler may write ahead of the verifier before res.write says false. */
const STREAM_HIGH_WATER_MARK = 16 * 1024

/**
 * The handler's first res.write (or res.end with a body): a text stream is verified through a
 * PushSource; anything else goes out as Express would send it ('pass'), except on a route that
 * sanitizes, which never lets an unreadable body out.
 */
function openStream (shared: Shared, settings: Settings, req: Request, res: Response, originals: Originals, gone: () => boolean): 'pass' | PushSource {
  if (res.headersSent) {
    settleSkip(runOf(shared, settings, req, res, NO_PORT), 'headers_sent')
    return 'pass'
  }
  const contentType = res.get('content-type')
  const sanitizing = sanitizes(settings, res.statusCode)
  // A route that sanitizes reads a body without a content type as text.
  const format = formatOf(contentType) ?? (contentType === undefined && sanitizing ? 'text' : null)
  if (format === null) {
    if (res.statusCode >= 400 || !sanitizing) {
      settleSkip(runOf(shared, settings, req, res, NO_PORT), res.statusCode >= 400 ? 'error_status' : 'unsupported_payload')
      return 'pass'
    }
    logger(shared, req)?.error({ route: settings.route }, 'qwed: a written body of this content type cannot be sanitized; it was not sent')
    settleSkip(runOf(shared, settings, req, res, NO_PORT), 'unsupported_payload')
    res.status(500).set('content-type', 'application/json; charset=utf-8')
    ;(originals.end as (body: string) => Response).call(res, JSON.stringify(unsanitizableBody()))
    const refused = new PushSource(STREAM_HIGH_WATER_MARK, () => {})
    refused.discard()
    return refused
  }
  const source = new PushSource(STREAM_HIGH_WATER_MARK, () => { res.emit('drain') })
  pumpStream(shared, settings, req, res, originals, gone, source, format).catch((err: unknown) => {
    source.discard()
    logger(shared, req)?.error({ err, route: settings.route }, 'qwed: the stream failed')
    if (!gone()) res.destroy(err instanceof Error ? err : new Error('qwed: the stream failed'))
  })
  return source
}

async function pumpStream (shared: Shared, settings: Settings, req: Request, res: Response, originals: Originals, gone: () => boolean, source: PushSource, format: StreamFormat): Promise<void> {
  const left = new AbortController()
  res.once('close', () => { left.abort() })
  const port: ResponsePort = {
    statusCode: () => res.statusCode,
    setStatus: (code) => { res.status(code) },
    setHeaders: (headers) => { res.set(headers) },
    contentType: () => res.get('content-type'),
    gone,
    handOver: () => {},
    answered: () => res.headersSent
  }
  const write = originals.write as (chunk: Buffer) => boolean
  const end = originals.end as (chunk?: string) => Response
  const out = async (chunk: Buffer): Promise<void> => {
    if (write.call(res, chunk)) return
    // The client reads slowly: wait for the socket, not for the handler's own drain events.
    while (res.writableNeedDrain && !gone()) await drainOrClose(res)
  }
  try {
    const plan = await planStream(runOf(shared, settings, req, res, port), source, { format, signal: left.signal })
    switch (plan.kind) {
      case 'pass':
        for await (const chunk of source) {
          if (gone()) return
          await out(chunk)
        }
        break
      case 'json':
        res.set('content-type', 'application/json; charset=utf-8')
        res.removeHeader('content-length')
        end.call(res, JSON.stringify(plan.body))
        return
      case 'stream':
        res.removeHeader('content-length')
        if (plan.trailer) res.setHeader('Trailer', STATUS_TRAILER)
        for await (const chunk of plan.body) {
          if (gone()) return
          await out(chunk)
        }
        if (gone()) return
        if (plan.trailer) res.addTrailers({ [STATUS_TRAILER]: plan.status() })
        break
    }
    if (!gone()) end.call(res)
  } finally {
    // What the handler writes after a stop (or after the client left) is dropped, not queued.
    source.discard()
  }
}

/** Resolves on the response's next 'drain' or 'close', leaving no listener behind. */
async function drainOrClose (res: Response): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

function hasChunk (args: unknown[]): boolean {
  const chunk = args[0]
  return chunk !== undefined && chunk !== null && typeof chunk !== 'function'
}

/** res.write / res.end arguments: (chunk?, encoding?, callback?), where encoding may be left out. */
function writeArgs (args: unknown[]): [unknown, BufferEncoding | undefined, (() => void) | undefined] {
  const [chunk, second, third] = args
  if (typeof chunk === 'function') return [undefined, undefined, chunk as () => void]
  if (typeof second === 'function') return [chunk, undefined, second as () => void]
  return [chunk, typeof second === 'string' ? second as BufferEncoding : undefined, typeof third === 'function' ? third as () => void : undefined]
}

function toBuffer (chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8')
  if (Buffer.isBuffer(chunk)) return chunk
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  throw new TypeError('qwed: res.write takes a string, a Buffer or a Uint8Array')
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

function hold (shared: Shared, settings: Settings, req: Request, res: Response, kind: Kind, body: unknown, control: HoldControl): void | Promise<void> {
  const answer = runResponse(new HeldRun(shared, settings, req, res, control), body, payloadOf(body))
  if (answer instanceof Promise) return answer.then((decided) => { writeAnswer(res, kind, decided, control) })
  writeAnswer(res, kind, answer, control)
}

/** A held response's run and its port in one object (the runner calls its methods on it). */
class HeldRun extends ExpressRun implements ResponsePort {
  constructor (shared: Shared, settings: Settings, req: Request, res: Response, readonly control: HoldControl) {
    super(shared, settings, req, res, null)
  }

  statusCode (): number { return this.reply.statusCode }
  setStatus (code: number): void { this.reply.status(code) }
  setHeaders (headers: Record<string, string>): void { this.reply.set(headers) }
  contentType (): string | undefined { return this.reply.get('content-type') }
  gone (): boolean { return this.control.gone() }
  handOver (): void { this.control.answer() }
  answered (): boolean { return this.reply.headersSent }
}

function writeAnswer (res: Response, kind: Kind, answer: Reply, control: HoldControl): void {
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

const routeSettings = new WeakMap<Settings, Map<string, Settings>>()

/** The route's settings with its metric label, made once per route pattern (a bounded set). */
function settingsFor (base: Settings, req: Request): Settings {
  const route = routeLabel(req)
  let byRoute = routeSettings.get(base)
  if (byRoute === undefined) {
    byRoute = new Map()
    routeSettings.set(base, byRoute)
  }
  let settings = byRoute.get(route)
  if (settings === undefined) {
    settings = { ...base, route }
    byRoute.set(route, settings)
  }
  return settings
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
  return (state[REQUEST_ID] ??= nextRequestId())
}

// A made request id is UUID-shaped: the first 24 characters of a random UUID drawn once per
// process, then a 12-digit hex counter. Unique within the process by the counter, across processes by the random part,
// and cheaper than a random UUID per request (the id is read by every audit record).
const REQUEST_ID_PREFIX = randomUUID().slice(0, 24)
let requestCount = 0

function nextRequestId (): string {
  requestCount = (requestCount + 1) % 0x1000000000000
  return REQUEST_ID_PREFIX + requestCount.toString(16).padStart(12, '0')
}

function looksLikeRequest (value: unknown): boolean {
  const v = value as { method?: unknown, url?: unknown, headers?: unknown } | null | undefined
  return typeof v === 'object' && v !== null && typeof v.method === 'string' && typeof v.url === 'string' && typeof v.headers === 'object'
}

export default qwedExpress
