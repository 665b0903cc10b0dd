import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onSendHookHandler, preHandlerAsyncHookHandler, preSerializationHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { QwedPluginOptions } from '../types/fastify.js'
import type { QwedOutcome } from '../types/route.js'
import { validateAdapterOptions, validateRouteOptions } from './options.js'
import { createHealthCheck, type HealthAnswer } from './health.js'
import { warnIfAuditUnheard } from './observe/audit.js'
import type { RouteSettings } from './outcome.js'
import { sanitizes, unsanitizableBody } from './route-guards.js'
import { gateInput, responseDeadlineMs, runResponse, settleSkip, type Reply, type ResponsePort, type ResponseRun } from './runner.js'
import { createVerifier, type Verifier } from './verifier.js'
import { createWarmUpPlan, validateWarmUpOption, warmUpWaitMs } from './warm-up.js'
import { formatOf } from './stream/formats.js'
import { planStream, STATUS_TRAILER } from './stream/run.js'

// The Fastify binding of the response runner (runner.ts): hooks in, runner decisions out.

// Per-request state, declared with decorateRequest: set once a response has been verified, so
// onSend does not verify the serialised copy again.
const kHandled = Symbol('qwed.handled')

type Settings = RouteSettings<FastifyRequest, FastifyReply>
type Handled = FastifyRequest & { [kHandled]: boolean }

interface Shared {
  verifier: Verifier
  deadlineMs: number
}

async function qwedPlugin (fastify: FastifyInstance, options: QwedPluginOptions): Promise<void> {
  if (fastify.hasDecorator('qwed')) {
    fastify.log.warn('qwed-middleware is already registered on this instance; the second registration is ignored')
    return
  }
  // warmUp is the plugin's own option: the Express middleware has no ready hook to run it in.
  const { warmUp: warmUpOption, ...adapterOptions } = options ?? {}
  const { defaults, metricsEndpoint, health, verifierOptions } = validateAdapterOptions<FastifyRequest, FastifyReply>(adapterOptions)
  const warmUp = createWarmUpPlan(validateWarmUpOption(warmUpOption, verifierOptions.extraEngines?.flatMap((engine) => engine.claimTypes)))
  // Fastify's logger off: request.log drops every audit record unless audit.logger or a store takes them.
  warnIfAuditUnheard(typeof (fastify.log as { level?: unknown }).level !== 'string' && fastify.log.info.name === 'noop', verifierOptions.audit)
  const verifier = createVerifier(verifierOptions)
  const shared: Shared = { verifier, deadlineMs: responseDeadlineMs(verifierOptions.breaker) }

  fastify.decorate('qwed', verifier)
  fastify.decorateRequest('qwed', null)
  fastify.decorateRequest('qwedInput', null)
  fastify.decorateRequest(kHandled, false)
  fastify.addHook('onClose', async () => { await verifier.close() })
  // The engines the routes use load (and the pool starts) before the first request: lib/warm-up.ts.
  fastify.addHook('onReady', async () => { await warmUp.run(verifier, (err) => fastify.log.error({ err }, 'qwed: engine warm-up failed'), warmUpWaitMs(fastify.initialConfig.pluginTimeout)) })

  // The route options this plugin configured: a route with config.qwed that is not among them was
  // declared where the plugin's onRoute could not see it (before the plugin loaded, e.g. after
  // `app.register(qwed)` without await), and must not go out unverified.
  const configured = new WeakSet<object>()
  fastify.addHook('onRoute', (routeOptions) => {
    const config = (routeOptions.config as { qwed?: unknown } | undefined)?.qwed
    if (config === undefined || config === false) return
    if (typeof config === 'object' && config !== null) configured.add(config)
    const route = routeOptions.url ?? '__unknown__'
    const settings: Settings = { ...validateRouteOptions(config, defaults, `config.qwed (route ${route})`), route }
    warmUp.addRoute(settings.claims)
    if (settings.inputs !== undefined) addRouteHook(routeOptions, 'preHandler', preHandler(shared, settings))
    addRouteHook(routeOptions, 'preSerialization', preSerialization(shared, settings))
    addRouteHook(routeOptions, 'onSend', onSend(shared, settings))
  })

  // Root hooks reach routes declared before the plugin loaded, where onRoute did not: refuse them
  // (fail closed) and say how to register, instead of serving unverified answers.
  fastify.addHook('onRequest', function qwedUnseenRoute (request, reply, done) {
    const config = (request.routeOptions.config as { qwed?: unknown } | undefined)?.qwed
    if (config === undefined || config === false || (typeof config === 'object' && config !== null && configured.has(config))) {
      done()
      return
    }
    request.log.error({ route: request.routeOptions.url }, UNSEEN_ROUTE)
    reply.code(500).send(unseenRouteBody())
  })

  if (metricsEndpoint !== null) {
    fastify.get(metricsEndpoint, { logLevel: 'warn', exposeHeadRoute: false, config: { qwed: false } }, async (_request, reply) => {
      reply.header('content-type', verifier.metrics.registry.contentType)
      return await verifier.metrics.registry.metrics()
    })
  }

  if (health.path !== null && health.livePath !== null) {
    const check = createHealthCheck(verifier, health)
    const answer = (reply: FastifyReply, { statusCode, body }: HealthAnswer): unknown => reply.code(statusCode).header('cache-control', 'no-store').send(body)
    const routeOptions = { logLevel: 'warn' as const, exposeHeadRoute: false, config: { qwed: false as const } }
    fastify.get(health.path, routeOptions, async (_request, reply) => answer(reply, await check.readiness()))
    fastify.get(health.livePath, routeOptions, async (_request, reply) => answer(reply, check.liveness()))
  }
}

const UNSEEN_ROUTE = 'qwed: this route has config.qwed but was declared before the plugin loaded, so it was never configured; ' +
  'register the plugin first and wait for it (`await app.register(qwed)`, or declare routes inside `app.after(() => { ... })`); ' +
  'the request is refused rather than answered unverified'

function unseenRouteBody (): Record<string, unknown> {
  return { statusCode: 500, code: 'QWED_ROUTE_NOT_CONFIGURED', error: 'Internal Server Error', message: 'The route is not set up for verification' }
}

function runOf (shared: Shared, settings: Settings, request: FastifyRequest, reply: FastifyReply): ResponseRun<FastifyRequest, FastifyReply> {
  return new FastifyRun(shared, settings, request, reply)
}

/**
 * One response's run and its port in one object (the runner calls its methods on it): one
 * allocation per request instead of a run, a port and their closures.
 */
class FastifyRun implements ResponseRun<FastifyRequest, FastifyReply>, ResponsePort {
  readonly verifier: Verifier
  readonly deadlineMs: number
  readonly port: ResponsePort = this

  constructor (shared: Shared, readonly settings: Settings, readonly request: FastifyRequest, readonly reply: FastifyReply) {
    this.verifier = shared.verifier
    this.deadlineMs = shared.deadlineMs
  }

  get requestId (): string { return this.request.id }
  get logger (): FastifyRequest['log'] { return this.request.log }
  record (outcome: QwedOutcome): void { this.request.qwed = outcome }

  statusCode (): number { return this.reply.statusCode }
  setStatus (code: number): void { this.reply.code(code) }
  setHeaders (headers: Record<string, string>): void { this.reply.headers(headers) }
  contentType (): string | undefined { return contentTypeOf(this.reply) }
  gone (): boolean {
    const reply = this.reply
    return reply.raw.writableEnded || reply.raw.destroyed || reply.request.raw.socket?.destroyed === true
  }

  // onBlocked's own reply.send() is its answer; the hook then returns nothing of its own.
  handOver (): void {}
  answered (): boolean { return this.reply.sent }
}

/** Checks the route's inputs before the handler; a refused input is answered 400 here. */
function preHandler (shared: Shared, settings: Settings): preHandlerAsyncHookHandler {
  return async function qwedPreHandler (request, reply) {
    const gate = await gateInput(runOf(shared, settings, request, reply))
    if (gate.ok) {
      if (gate.input !== null) request.qwedInput = gate.input
      return
    }
    // The 400 is not a response to verify: the later hooks let it through.
    (request as Handled)[kHandled] = true
    return await reply.code(400).send(gate.body)
  }
}

/**
 * Objects, before Fastify serialises them: a replacement is returned as an object too. Callback
 * style: a response this hook lets through, or whose verdict is known at once (a cache hit), is
 * answered without a promise.
 */
function preSerialization (shared: Shared, settings: Settings): preSerializationHookHandler<unknown> {
  return function qwedPreSerialization (request, reply, payload, done) {
    if ((request as Handled)[kHandled]) {
      done(null, payload)
      return
    }
    ;(request as Handled)[kHandled] = true
    let answer: Reply | Promise<Reply>
    try {
      answer = runResponse(runOf(shared, settings, request, reply), payload)
    } catch (err) {
      done(err as Error)
      return
    }
    if (answer instanceof Promise) answer.then((decided) => { done(null, write(decided, asObject)) }, done)
    else done(null, write(answer, asObject))
  }
}

const asObject = (body: unknown): unknown => body

/**
 * Strings and Buffers (text routes, pre-serialised JSON): a replacement is JSON text. A response
 * already verified (as an object, in preSerialization) goes straight through, without a promise,
 * and so does one whose verdict is known at once.
 */
function onSend (shared: Shared, settings: Settings): onSendHookHandler<unknown> {
  return function qwedOnSend (request, reply, payload, done) {
    if ((request as Handled)[kHandled]) {
      done(null, payload)
      return
    }
    ;(request as Handled)[kHandled] = true
    let sent: unknown
    try {
      sent = verifySent(shared, settings, request, reply, payload)
    } catch (err) {
      done(err as Error)
      return
    }
    if (sent instanceof Promise) sent.then((out: unknown) => { done(null, out) }, done)
    else done(null, sent)
  }
}

/** The payload to send: synchronous for text whose verdict is known at once, a promise otherwise (streams always). */
function verifySent (shared: Shared, settings: Settings, request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload) && payload !== null) {
    const format = formatOf(contentTypeOf(reply))
    if (format === null || !isAsyncIterable(payload)) return unverifiableStream(runOf(shared, settings, request, reply), payload)
    return verifiedStream(shared, settings, request, reply, payload, format)
  }
  // Only text reaches claims(): a Buffer is decoded.
  const view = Buffer.isBuffer(payload) ? payload.toString('utf8') : payload
  const encode = (body: unknown): unknown => {
    reply.header('content-type', 'application/json; charset=utf-8')
    return JSON.stringify(body)
  }
  const answer = runResponse(runOf(shared, settings, request, reply), payload, view)
  return answer instanceof Promise ? answer.then((decided) => write(decided, encode)) : write(answer, encode)
}

/**
 * A Readable, a web ReadableStream or another async iterable of text: verified claim by claim
 * (lib/stream/), pulled by Fastify as the client reads. Writes to `reply.raw` are not seen.
 */
async function verifiedStream (shared: Shared, settings: Settings, request: FastifyRequest, reply: FastifyReply, payload: AsyncIterable<unknown>, format: NonNullable<ReturnType<typeof formatOf>>): Promise<unknown> {
  const left = new AbortController()
  reply.raw.once('close', () => { left.abort() })
  const plan = await planStream(runOf(shared, settings, request, reply), payload, { format, signal: left.signal })
  switch (plan.kind) {
    case 'pass':
      return payload
    case 'json':
      ;(payload as { destroy?: () => void }).destroy?.()
      reply.header('content-type', 'application/json; charset=utf-8')
      return JSON.stringify(plan.body)
    case 'stream':
      reply.removeHeader('content-length')
      if (plan.trailer) reply.trailer(STATUS_TRAILER, async () => plan.status())
      return Readable.from(plan.body, { objectMode: false })
  }
}

function contentTypeOf (reply: FastifyReply): string | undefined {
  const type = reply.getHeader('content-type')
  return typeof type === 'string' ? type : undefined
}

function isAsyncIterable (value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function'
}

function write (answer: Reply, encode: (body: unknown) => unknown): unknown {
  switch (answer.kind) {
    case 'release': return answer.body
    case 'json': return encode(answer.body)
    // The client left, or onBlocked sent its own answer: there is nothing more to write.
    case 'nothing': return undefined
  }
}

/** A stream of another type cannot be checked: sent unverified, or not at all when the route sanitizes. */
function unverifiableStream (run: ResponseRun<FastifyRequest, FastifyReply>, payload: unknown): unknown {
  const { settings, request, reply } = run
  settleSkip(run, 'unsupported_payload')
  if (!sanitizes(settings, reply.statusCode)) {
    request.log.warn({ route: settings.route }, 'qwed: a stream response cannot be verified; it was sent unverified')
    return payload
  }
  // A route that sanitizes never lets an unread stream out.
  request.log.error({ route: settings.route }, 'qwed: a stream response cannot be sanitized; it was not sent')
  ;(payload as { destroy?: () => void }).destroy?.()
  reply.code(500).header('content-type', 'application/json; charset=utf-8')
  return JSON.stringify(unsanitizableBody())
}

function addRouteHook (routeOptions: RouteOptions, name: 'preHandler' | 'preSerialization' | 'onSend', hook: unknown): void {
  const existing = (routeOptions as unknown as Record<string, unknown>)[name]
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
  ;(routeOptions as unknown as Record<string, unknown>)[name] = [...list, hook]
}

/** The Fastify plugin. Register it before the routes it should verify (onRoute only sees later routes). */
export const qwed = fp(qwedPlugin, { name: 'qwed-middleware', fastify: '5.x' })
export default qwed
