import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onSendHookHandler, preSerializationHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { FastifyRouteQwedOptions, QwedPluginOptions } from '../types/fastify.js'
import type { QwedOutcome } from '../types/route.js'
import { QwedOptionsError } from './errors.js'
import { MODES, UNAVAILABLE_POLICIES, assertKnownKeys, assertObject, optionalBoolean, optionalFunction, optionalNumber, optionalOneOf, validateVerifierOptions } from './options.js'
import { blockedBody, countOutcome, outcomeHeaders, shouldVerify, skipped, unavailableBody, verifyPayload, type RouteSettings } from './outcome.js'
import { createVerifier, type Verifier } from './verifier.js'

const PLUGIN_KEYS = ['mode', 'sampleRate', 'enabled', 'onUnavailable', 'onBlocked', 'exposeDetails'] as const
const ROUTE_KEYS = ['claims', 'mode', 'sampleRate', 'enabled', 'onUnavailable', 'onBlocked'] as const
// Set once a response has been verified, so onSend does not verify the serialised copy again.
const HANDLED = Symbol('qwed.handled')

type Settings = RouteSettings<FastifyRequest, FastifyReply>
type Defaults = Omit<Settings, 'route' | 'claims'>

async function qwedPlugin (fastify: FastifyInstance, options: QwedPluginOptions): Promise<void> {
  if (fastify.hasDecorator('qwed')) {
    fastify.log.warn('qwed-middleware is already registered on this instance; the second registration is ignored')
    return
  }
  const defaults = validatePluginOptions(options)
  const { endpoint, ...metricsOptions } = options.metrics ?? {}
  const verifier = createVerifier({ ...pickVerifierOptions(options), metrics: metricsOptions })

  fastify.decorate('qwed', verifier)
  fastify.decorateRequest('qwed', null)
  fastify.addHook('onClose', async () => { await verifier.close() })

  fastify.addHook('onRoute', (routeOptions) => {
    const config = (routeOptions.config as { qwed?: unknown } | undefined)?.qwed
    if (config === undefined || config === false) return
    const settings = routeSettings(config, defaults, routeOptions.url ?? '__unknown__')
    addRouteHook(routeOptions, 'preSerialization', preSerialization(verifier, settings))
    addRouteHook(routeOptions, 'onSend', onSend(verifier, settings))
  })

  const metricsPath = endpoint === undefined ? '/metrics' : endpoint
  if (metricsPath !== null) {
    fastify.get(metricsPath, { logLevel: 'warn', exposeHeadRoute: false, config: { qwed: false } }, async (_request, reply) => {
      reply.header('content-type', verifier.metrics.registry.contentType)
      return await verifier.metrics.registry.metrics()
    })
  }
}

function preSerialization (verifier: Verifier, settings: Settings): preSerializationHookHandler<unknown> {
  return async function qwedPreSerialization (request, reply, payload) {
    const outcome = await handle(verifier, settings, request, reply, payload)
    return outcome === null ? payload : await respond(verifier, outcome, settings, request, reply, payload, (body) => body)
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
      request.log.warn({ route: settings.route }, 'qwed: a stream response cannot be verified; it was sent unverified')
      return payload
    }
    const outcome = await handle(verifier, settings, request, reply, text)
    if (outcome === null) return payload
    return await respond(verifier, outcome, settings, request, reply, payload, (body) => {
      reply.header('content-type', 'application/json; charset=utf-8')
      return JSON.stringify(body)
    })
  }
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
      return payload
  }
}

function addRouteHook (routeOptions: RouteOptions, name: 'preSerialization' | 'onSend', hook: unknown): void {
  const existing = (routeOptions as unknown as Record<string, unknown>)[name]
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
  ;(routeOptions as unknown as Record<string, unknown>)[name] = [...list, hook]
}

function validatePluginOptions (options: QwedPluginOptions): Defaults {
  validateVerifierOptions(options, PLUGIN_KEYS)
  if (options.metrics !== undefined) {
    assertKnownKeys(options.metrics as Record<string, unknown>, ['registry', 'endpoint'], 'metrics')
    const endpoint = options.metrics.endpoint
    if (endpoint !== undefined && endpoint !== null && (typeof endpoint !== 'string' || !endpoint.startsWith('/'))) {
      throw new QwedOptionsError('metrics.endpoint', 'must be a path starting with "/" or null')
    }
  }
  return {
    mode: optionalOneOf(options.mode, MODES, 'mode') ?? 'enforce',
    sampleRate: optionalNumber(options.sampleRate, 'sampleRate', 0, 1) ?? 1,
    enabled: optionalFunction(options.enabled, 'enabled'),
    onUnavailable: optionalOneOf(options.onUnavailable, UNAVAILABLE_POLICIES, 'onUnavailable') ?? 'closed',
    onBlocked: optionalFunction(options.onBlocked, 'onBlocked'),
    exposeDetails: optionalBoolean(options.exposeDetails, 'exposeDetails') ?? false
  }
}

function routeSettings (config: unknown, defaults: Defaults, route: string): Settings {
  const where = `config.qwed (route ${route})`
  assertObject(config, where)
  assertKnownKeys(config, ROUTE_KEYS, where)
  const claims = optionalFunction<FastifyRouteQwedOptions['claims']>(config.claims, `${where}.claims`)
  if (claims === undefined) throw new QwedOptionsError(`${where}.claims`, 'is required: a function (payload, request) => claim | claim[] | null')
  return {
    route,
    claims,
    mode: optionalOneOf(config.mode, MODES, `${where}.mode`) ?? defaults.mode,
    sampleRate: optionalNumber(config.sampleRate, `${where}.sampleRate`, 0, 1) ?? defaults.sampleRate,
    enabled: optionalFunction(config.enabled, `${where}.enabled`) ?? defaults.enabled,
    onUnavailable: optionalOneOf(config.onUnavailable, UNAVAILABLE_POLICIES, `${where}.onUnavailable`) ?? defaults.onUnavailable,
    onBlocked: optionalFunction(config.onBlocked, `${where}.onBlocked`) ?? defaults.onBlocked,
    exposeDetails: defaults.exposeDetails
  }
}

function pickVerifierOptions (options: QwedPluginOptions): QwedPluginOptions {
  const { mode, sampleRate, enabled, onUnavailable, onBlocked, exposeDetails, metrics, ...verifierOptions } = options
  return verifierOptions
}

/** The Fastify plugin. Register it before the routes it should verify (onRoute only sees later routes). */
export const qwed = fp(qwedPlugin, { name: 'qwed-middleware', fastify: '5.x' })
export default qwed
