import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onSendHookHandler, preHandlerAsyncHookHandler, preSerializationHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { QwedPluginOptions } from '../types/fastify.js'
import type { QwedOutcome } from '../types/route.js'
import { validateAdapterOptions, validateRouteOptions } from './options.js'
import { blockedBody, countOutcome, outcomeHeaders, shouldVerify, skipped, unavailableBody, verifyPayload, type RouteSettings } from './outcome.js'
import { checkRouteInputs, sanitizeBody, sanitizes, unsanitizableBody } from './route-guards.js'
import { createVerifier, type Verifier } from './verifier.js'

// Set once a response has been verified, so onSend does not verify the serialised copy again.
const HANDLED = Symbol('qwed.handled')

type Settings = RouteSettings<FastifyRequest, FastifyReply>

async function qwedPlugin (fastify: FastifyInstance, options: QwedPluginOptions): Promise<void> {
  if (fastify.hasDecorator('qwed')) {
    fastify.log.warn('qwed-middleware is already registered on this instance; the second registration is ignored')
    return
  }
  const { defaults, metricsEndpoint, verifierOptions } = validateAdapterOptions<FastifyRequest, FastifyReply>(options)
  const verifier = createVerifier(verifierOptions)

  fastify.decorate('qwed', verifier)
  fastify.decorateRequest('qwed', null)
  fastify.decorateRequest('qwedInput', null)
  fastify.addHook('onClose', async () => { await verifier.close() })

  fastify.addHook('onRoute', (routeOptions) => {
    const config = (routeOptions.config as { qwed?: unknown } | undefined)?.qwed
    if (config === undefined || config === false) return
    const route = routeOptions.url ?? '__unknown__'
    const settings: Settings = { ...validateRouteOptions(config, defaults, `config.qwed (route ${route})`), route }
    if (settings.inputs !== undefined) addRouteHook(routeOptions, 'preHandler', preHandler(verifier, settings))
    addRouteHook(routeOptions, 'preSerialization', preSerialization(verifier, settings))
    addRouteHook(routeOptions, 'onSend', onSend(verifier, settings))
  })

  if (metricsEndpoint !== null) {
    fastify.get(metricsEndpoint, { logLevel: 'warn', exposeHeadRoute: false, config: { qwed: false } }, async (_request, reply) => {
      reply.header('content-type', verifier.metrics.registry.contentType)
      return await verifier.metrics.registry.metrics()
    })
  }
}

/** Checks the route's inputs before the handler; a refused input is answered 400 here. */
function preHandler (verifier: Verifier, settings: Settings): preHandlerAsyncHookHandler {
  return async function qwedPreHandler (request, reply) {
    const gate = await checkRouteInputs(verifier, settings, request, request.log)
    if (gate === null) return
    if (gate.ok) {
      request.qwedInput = gate.input
      return
    }
    // The 400 is not a response to verify: the later hooks let it through.
    (request as unknown as Record<symbol, boolean>)[HANDLED] = true
    request.qwed = skipped(settings.mode, 'invalid_input')
    return await reply.code(400).send(gate.body)
  }
}

function preSerialization (verifier: Verifier, settings: Settings): preSerializationHookHandler<unknown> {
  return async function qwedPreSerialization (request, reply, payload) {
    if ((request as unknown as Record<symbol, boolean>)[HANDLED]) return payload
    const outcome = await handle(verifier, settings, request, reply, payload)
    const encode = (body: unknown): unknown => body
    return outcome === null ? release(verifier, settings, request, reply, payload, encode) : await respond(verifier, outcome, settings, request, reply, payload, encode)
  }
}

function onSend (verifier: Verifier, settings: Settings): onSendHookHandler<unknown> {
  return async function qwedOnSend (request, reply, payload) {
    if ((request as unknown as Record<symbol, boolean>)[HANDLED]) return payload
    // Only text reaches claims(): a Buffer is decoded, a stream cannot be checked without buffering it.
    const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : payload
    if (typeof text !== 'string' && text !== null) {
      const outcome = skipped(settings.mode, 'unsupported_payload')
      request.qwed = outcome
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
    const outcome = await handle(verifier, settings, request, reply, text)
    const encode = (body: unknown): unknown => {
      reply.header('content-type', 'application/json; charset=utf-8')
      return JSON.stringify(body)
    }
    return outcome === null ? release(verifier, settings, request, reply, payload, encode) : await respond(verifier, outcome, settings, request, reply, payload, encode)
  }
}

/**
 * The payload leaves as the handler made it, sanitized when the route asks for it (error answers
 * and mode 'off' excepted). A payload that cannot be sanitized is not sent: 500.
 */
function release (verifier: Verifier, settings: Settings, request: FastifyRequest, reply: FastifyReply, payload: unknown, encode: (body: unknown) => unknown): unknown {
  if (!sanitizes(settings, reply.statusCode)) return payload
  const contentType = reply.getHeader('content-type')
  const clean = sanitizeBody(verifier, settings, payload, typeof contentType === 'string' ? contentType : undefined, request.log)
  if (clean.ok) return clean.body
  reply.code(500)
  return encode(unsanitizableBody())
}

/** Verifies one response; null means "send it as it is" (skipped, or shadow mode running behind). */
async function handle (verifier: Verifier, settings: Settings, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<QwedOutcome | null> {
  (request as unknown as Record<symbol, boolean>)[HANDLED] = true
  if (reply.statusCode >= 400) {
    request.qwed = skipped(settings.mode, 'error_status')
    return null
  }
  const gate = await shouldVerify(settings, request)
  if (gate !== null) {
    request.qwed = gate
    return null
  }
  const info = { request, requestId: request.id, logger: request.log }
  if (settings.mode === 'shadow') {
    // Shadow: the response leaves now; the verdict is recorded when it arrives.
    verifyPayload(verifier, settings, payload, info).then((outcome) => {
      request.qwed = outcome
      countOutcome(verifier, settings, outcome)
    }, (err: unknown) => request.log.error({ err }, 'qwed: shadow verification failed'))
    return null
  }
  const outcome = await verifyPayload(verifier, settings, payload, info)
  request.qwed = outcome
  countOutcome(verifier, settings, outcome)
  return outcome
}

async function respond (verifier: Verifier, outcome: QwedOutcome, settings: Settings, request: FastifyRequest, reply: FastifyReply, payload: unknown, encode: (body: unknown) => unknown): Promise<unknown> {
  reply.headers(outcomeHeaders(outcome))
  switch (outcome.decision) {
    case 'block': {
      reply.code(422)
      if (settings.onBlocked !== undefined) {
        const answer = await settings.onBlocked(outcome, request, reply)
        if (answer !== undefined) return encode(answer)
      }
      return encode(blockedBody(outcome, settings.exposeDetails))
    }
    case 'fail_closed':
      reply.code(503).header('retry-after', String(verifier.retryAfterSeconds))
      return encode(unavailableBody())
    default:
      return release(verifier, settings, request, reply, payload, encode)
  }
}

function addRouteHook (routeOptions: RouteOptions, name: 'preHandler' | 'preSerialization' | 'onSend', hook: unknown): void {
  const existing = (routeOptions as unknown as Record<string, unknown>)[name]
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
  ;(routeOptions as unknown as Record<string, unknown>)[name] = [...list, hook]
}

/** The Fastify plugin. Register it before the routes it should verify (onRoute only sees later routes). */
export const qwed = fp(qwedPlugin, { name: 'qwed-middleware', fastify: '5.x' })
export default qwed
