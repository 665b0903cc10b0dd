import { Registry } from 'prom-client'
import type { BreakerOptions, CacheOptions, Mode, PoolOptions, RedisCacheOptions, UnavailablePolicy, VerifierOptions } from '../types/options.js'
import type { QwedAdapterOptions, QwedRouteSettings } from '../types/route.js'
import { resolveCacheSecret } from './cache.js'
import { isRedisUrl } from './cache/redis-client.js'
import { resolveApiKey } from './engines/remote.js'
import { CLAIM_ROUTES } from './engines/remote/mapping.js'
import { validateRemoteQuota } from './engines/remote/quota-options.js'
import { QwedOptionsError } from './errors.js'
import { assertKnownKeys, assertObject, describe, optionalBoolean, optionalFunction, optionalNumber, optionalOneOf } from './option-checks.js'
import { withEnvironment } from './env-options.js'
import { resolveInputRules, validateInputRules } from './guard/input.js'
import { validateClaimLimits } from './guard/limits.js'
import { compileSanitizeOptions, validateSanitizeOptions, type CompiledSanitizeOptions } from './guard/output.js'
import type { RouteSettings } from './outcome.js'
import { resolveExtractOptions, type ResolvedExtractOptions } from './extract/index.js'
import type { ExtractOptions } from '../types/extract.js'
import { streamLimits } from './stream/options.js'
import { validateTracingOptions } from './observe/tracing.js'
import { resolveHealthOptions, type ResolvedHealth } from './health.js'

export { assertKnownKeys, assertObject, describe, optionalBoolean, optionalFunction, optionalNumber, optionalOneOf } from './option-checks.js'

export const MODES: readonly Mode[] = ['enforce', 'shadow', 'off']
export const UNAVAILABLE_POLICIES: readonly UnavailablePolicy[] = ['closed', 'open']

export const VERIFIER_KEYS = ['cache', 'breaker', 'metrics', 'audit', 'maxClaimBytes', 'limits', 'extraEngines', 'secrets', 'remote', 'engines', 'pool', 'tracing'] as const

/** Checks the verifier's own options; `extraKeys` are the adapter's options allowed beside them. */
export function validateVerifierOptions (options: unknown, extraKeys: readonly string[] = []): VerifierOptions {
  if (options === undefined) return {}
  assertObject(options, 'options')
  assertKnownKeys(options, [...VERIFIER_KEYS, ...extraKeys], '')
  const { cache, breaker, metrics, audit, maxClaimBytes, extraEngines, secrets } = options
  if (cache !== undefined && cache !== false) validateCache(cache)
  if (breaker !== undefined) validateBreaker(breaker)
  if (metrics !== undefined) {
    assertObject(metrics, 'metrics')
    if (metrics.registry !== undefined && !(metrics.registry instanceof Registry)) {
      throw new QwedOptionsError('metrics.registry', 'must be a prom-client Registry')
    }
  }
  if (audit !== undefined && audit !== false) {
    assertObject(audit, 'audit')
    assertKnownKeys(audit, ['logger', 'includeClaims', 'store', 'path', 'url', 'pool', 'schema', 'retentionDays', 'queue', 'durability'], 'audit')
    optionalBoolean(audit.includeClaims, 'audit.includeClaims')
    if (audit.logger !== undefined && typeof (audit.logger as { info?: unknown } | null)?.info !== 'function') {
      throw new QwedOptionsError('audit.logger', 'must be a pino logger')
    }
    validateAuditStore(audit)
  }
  optionalNumber(maxClaimBytes, 'maxClaimBytes', 1, Number.POSITIVE_INFINITY, true)
  if (options.limits !== undefined) validateClaimLimits(options.limits, 'limits')
  if (extraEngines !== undefined) {
    if (!Array.isArray(extraEngines)) throw new QwedOptionsError('extraEngines', 'must be an array of engines')
    extraEngines.forEach((engine: unknown, i) => {
      const e = engine as { name?: unknown, claimTypes?: unknown, verify?: unknown } | null
      if (typeof e?.name !== 'string' || !Array.isArray(e.claimTypes) || typeof e.verify !== 'function') {
        throw new QwedOptionsError(`extraEngines[${i}]`, 'must have a name, claimTypes and a verify function')
      }
    })
  }
  if (secrets !== undefined && (!Array.isArray(secrets) || secrets.some((s) => typeof s !== 'string'))) {
    throw new QwedOptionsError('secrets', 'must be an array of strings')
  }
  if (options.pool !== undefined && options.pool !== false) validatePool(options.pool)
  validateTracingOptions(options.tracing)
  if (options.remote !== undefined) validateRemote(options.remote)
  if (options.engines !== undefined) validateEngines(options.engines, options.remote !== undefined)
  return options as VerifierOptions
}

// Printable ASCII without spaces: what an HTTP header value carries unchanged.
const API_KEY = /^[\x21-\x7e]+$/

// No message here repeats a value of `remote`: the URL could hold credentials, apiKey is a secret.
function validateRemote (remote: unknown): void {
  assertObject(remote, 'remote')
  assertKnownKeys(remote, ['url', 'apiKey', 'timeoutMs', 'retries', 'ratePerMinute', 'connections', 'quota'], 'remote')
  let url: URL | null = null
  try {
    if (typeof remote.url === 'string') url = new URL(remote.url)
  } catch {}
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new QwedOptionsError('remote.url', 'must be the http:// or https:// URL of a QWED server')
  }
  if (url.username !== '' || url.password !== '') throw new QwedOptionsError('remote.url', 'must not hold credentials; pass the API key as remote.apiKey')
  if (url.search !== '' || url.hash !== '') throw new QwedOptionsError('remote.url', 'must not have a query or a fragment')
  if (remote.apiKey !== undefined && (typeof remote.apiKey !== 'string' || !API_KEY.test(remote.apiKey))) {
    throw new QwedOptionsError('remote.apiKey', 'must be a non-empty string of printable ASCII without spaces')
  }
  const key = resolveApiKey(remote as { url: string, apiKey?: string })
  if (key === undefined) throw new QwedOptionsError('remote.apiKey', 'is required: pass remote.apiKey or set QWED_API_KEY')
  if (!API_KEY.test(key)) throw new QwedOptionsError('remote.apiKey', '(from QWED_API_KEY) must be printable ASCII without spaces')
  optionalNumber(remote.timeoutMs, 'remote.timeoutMs', 1, 600_000, true)
  optionalNumber(remote.retries, 'remote.retries', 0, 10, true)
  optionalNumber(remote.ratePerMinute, 'remote.ratePerMinute', 1, 1_000_000, true)
  optionalNumber(remote.connections, 'remote.connections', 1, 1024, true)
  if (remote.quota !== undefined) validateRemoteQuota(remote.quota)
}

function validateEngines (engines: unknown, hasRemote: boolean): void {
  assertObject(engines, 'engines')
  for (const [type, route] of Object.entries(engines)) {
    const name = `engines.${type}`
    if (!Object.hasOwn(CLAIM_ROUTES, type)) throw new QwedOptionsError(name, `is not a claim type (known: ${Object.keys(CLAIM_ROUTES).join(', ')})`)
    const where = optionalOneOf(route, ['local', 'remote'] as const, name)
    if (where === undefined) continue
    if (where === 'remote' && !hasRemote) throw new QwedOptionsError(name, "is 'remote' but no QWED server is configured (set remote)")
    if (!(CLAIM_ROUTES[type] as readonly string[]).includes(where)) {
      throw new QwedOptionsError(name, where === 'local' ? 'has no local engine; only a QWED server (remote) verifies it' : 'cannot be verified by a QWED server')
    }
  }
}

function validatePool (pool: unknown): asserts pool is PoolOptions {
  if (pool === null || typeof pool !== 'object' || Array.isArray(pool)) {
    throw new QwedOptionsError('pool', `must be false or an object, got ${describe(pool)}`)
  }
  assertKnownKeys(pool as Record<string, unknown>, ['deadlineMs', 'threads', 'maxQueue'], 'pool')
  const { deadlineMs, threads, maxQueue } = pool as Record<string, unknown>
  optionalNumber(deadlineMs, 'pool.deadlineMs', 1, Number.POSITIVE_INFINITY, true)
  optionalNumber(threads, 'pool.threads', 1, 16, true)
  optionalNumber(maxQueue, 'pool.maxQueue', 0, 100_000, true)
}

/** audit.store, path, url, pool, schema, retentionDays and queue (docs/compliance.md, docs/fleet.md). */
function validateAuditStore (audit: Record<string, unknown>): void {
  const { store, path, queue } = audit
  if (store === 'sqlite') {
    if (typeof path !== 'string' || path === '') throw new QwedOptionsError('audit.path', "is required with store: 'sqlite' (the database file)")
  } else if (store === 'postgres') {
    validatePostgresAudit(audit)
  } else if (store !== undefined) {
    const s = store as Record<string, unknown> | null
    if (typeof s !== 'object' || s === null || typeof s.append !== 'function' || typeof s.query !== 'function' || typeof s.verifyChain !== 'function') {
      throw new QwedOptionsError('audit.store', "must be 'sqlite', 'postgres' or an AuditStore (append, query, verifyChain)")
    }
  }
  if (path !== undefined && store !== 'sqlite') throw new QwedOptionsError('audit.path', "is only used with store: 'sqlite'")
  for (const key of ['url', 'pool', 'schema'] as const) {
    if (audit[key] !== undefined && store !== 'postgres') throw new QwedOptionsError(`audit.${key}`, "is only used with store: 'postgres'")
  }
  if (audit.retentionDays !== undefined && store === undefined) throw new QwedOptionsError('audit.retentionDays', 'needs audit.store')
  if (optionalOneOf(audit.durability, ['async', 'before-response'] as const, 'audit.durability') === 'before-response' && store === undefined) {
    throw new QwedOptionsError('audit.durability', "'before-response' needs audit.store (the records are held until they are stored there)")
  }
  const days = optionalNumber(audit.retentionDays, 'audit.retentionDays', 0)
  if (days === 0) throw new QwedOptionsError('audit.retentionDays', 'must be a number > 0')
  if (queue !== undefined) {
    assertObject(queue, 'audit.queue')
    assertKnownKeys(queue, ['max', 'batchSize', 'flushIntervalMs', 'onFull'], 'audit.queue')
    optionalNumber(queue.max, 'audit.queue.max', 1, 10_000_000, true)
    optionalNumber(queue.batchSize, 'audit.queue.batchSize', 1, Number.POSITIVE_INFINITY, true)
    optionalNumber(queue.flushIntervalMs, 'audit.queue.flushIntervalMs', 1, 60_000, true)
    optionalOneOf(queue.onFull, ['block', 'drop_oldest', 'reject'] as const, 'audit.queue.onFull')
  }
}

// No message here repeats audit.url: it holds the database password.
function validatePostgresAudit (audit: Record<string, unknown>): void {
  const { url, pool, schema } = audit
  if ((url === undefined) === (pool === undefined)) {
    throw new QwedOptionsError('audit.store', "'postgres' needs exactly one of audit.url (postgres://...) and audit.pool (a pg Pool)")
  }
  if (url !== undefined) {
    let parsed: URL | null = null
    try {
      if (typeof url === 'string') parsed = new URL(url)
    } catch {}
    if (parsed === null || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')) {
      throw new QwedOptionsError('audit.url', 'must be a postgres:// or postgresql:// URL')
    }
  }
  if (pool !== undefined) {
    const p = pool as Record<string, unknown> | null
    if (p === null || typeof p !== 'object' || typeof p.connect !== 'function' || typeof p.query !== 'function') {
      throw new QwedOptionsError('audit.pool', 'must be a pg Pool (connect, query)')
    }
  }
  if (schema !== undefined && (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))) {
    throw new QwedOptionsError('audit.schema', 'must be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)')
  }
}

function validateCache (cache: unknown): asserts cache is CacheOptions {
  assertObject(cache, 'cache')
  assertKnownKeys(cache, ['max', 'ttl', 'redis'], 'cache')
  optionalNumber(cache.max, 'cache.max', 1, Number.POSITIVE_INFINITY, true)
  optionalNumber(cache.ttl, 'cache.ttl', 0, Number.POSITIVE_INFINITY, true)
  if (cache.redis !== undefined) validateRedisCache(cache.redis)
}

/** Shortest HMAC key accepted for the shared cache (256 bits of hex or base64 text is longer). */
export const MIN_CACHE_SECRET_LENGTH = 32

// No message here repeats a value: the URL may hold a password, the secret is a secret.
function validateRedisCache (redis: unknown): void {
  assertObject(redis, 'cache.redis')
  assertKnownKeys(redis, ['url', 'client', 'prefix', 'secret', 'onError', 'commandTimeoutMs'], 'cache.redis')
  if ((redis.url === undefined) === (redis.client === undefined)) {
    throw new QwedOptionsError('cache.redis', 'needs exactly one of url (redis://...) and client (an ioredis client)')
  }
  if (redis.url !== undefined && !isRedisUrl(redis.url)) throw new QwedOptionsError('cache.redis.url', 'must be a redis:// or rediss:// URL')
  if (redis.client !== undefined) {
    const c = redis.client as Record<string, unknown> | null
    if (c === null || typeof c !== 'object' || typeof c.get !== 'function' || typeof c.set !== 'function' || typeof c.eval !== 'function') {
      throw new QwedOptionsError('cache.redis.client', 'must be a Redis client (get, set, eval), e.g. an ioredis Redis instance')
    }
  }
  if (redis.prefix !== undefined && (typeof redis.prefix !== 'string' || redis.prefix === '' || redis.prefix.length > 200)) {
    throw new QwedOptionsError('cache.redis.prefix', 'must be a non-empty string of at most 200 characters')
  }
  if (redis.secret !== undefined && typeof redis.secret !== 'string') throw new QwedOptionsError('cache.redis.secret', 'must be a string')
  const secret = resolveCacheSecret(redis as RedisCacheOptions)
  if (secret === undefined) {
    throw new QwedOptionsError('cache.redis.secret', 'is required: pass cache.redis.secret or set QWED_CACHE_SECRET (shared entries are authenticated with it)')
  }
  if (secret.length < MIN_CACHE_SECRET_LENGTH) {
    throw new QwedOptionsError('cache.redis.secret', `(or QWED_CACHE_SECRET) must be at least ${MIN_CACHE_SECRET_LENGTH} characters`)
  }
  optionalOneOf(redis.onError, ['open', 'closed'] as const, 'cache.redis.onError')
  optionalNumber(redis.commandTimeoutMs, 'cache.redis.commandTimeoutMs', 1, 10_000, true)
}

function validateBreaker (breaker: unknown): asserts breaker is BreakerOptions {
  assertObject(breaker, 'breaker')
  assertKnownKeys(breaker, ['timeout', 'errorThresholdPercentage', 'resetTimeout', 'volumeThreshold'], 'breaker')
  optionalNumber(breaker.timeout, 'breaker.timeout', 1, Number.POSITIVE_INFINITY, true)
  optionalNumber(breaker.errorThresholdPercentage, 'breaker.errorThresholdPercentage', 1, 100)
  optionalNumber(breaker.resetTimeout, 'breaker.resetTimeout', 1, Number.POSITIVE_INFINITY, true)
  optionalNumber(breaker.volumeThreshold, 'breaker.volumeThreshold', 0, Number.POSITIVE_INFINITY, true)
}

/**
 * `sanitize: true` means the defaults, `false` (or unset at the plugin) means none; undefined:
 * inherit. Checked and prepared here, once, so a response only runs the sanitizer.
 */
function sanitizeSetting (value: unknown, name: string): CompiledSanitizeOptions | null | undefined {
  if (value === undefined) return undefined
  if (value === false) return null
  return compileSanitizeOptions(value === true ? {} : validateSanitizeOptions(value, name))
}

/** The extractor's options, checked once; its TypeError becomes an option error that names the route. */
export function extractSetting (value: unknown, name: string): ResolvedExtractOptions {
  try {
    return resolveExtractOptions(value as ExtractOptions | undefined)
  } catch (err) {
    throw new QwedOptionsError(name, (err as Error).message.replace(/^extractClaims: /, ''))
  }
}

// The adapters' own options, checked the same way by the Fastify plugin and the Express middleware.

/** Options an adapter accepts beside the verifier's. */
export const ADAPTER_KEYS = ['mode', 'sampleRate', 'enabled', 'onUnavailable', 'onBlocked', 'exposeDetails', 'input', 'sanitize', 'stream', 'health'] as const
/** Options of one verified route (`config.qwed` in Fastify, `qwed.route()` in Express). */
export const ROUTE_KEYS = ['claims', 'extract', 'inputs', 'input', 'sanitize', 'mode', 'sampleRate', 'enabled', 'onUnavailable', 'onBlocked', 'stream'] as const

/** Every route setting except the route's label, claims and inputs: what a route inherits from the adapter. */
export type AdapterDefaults<Req = unknown, Rep = unknown> = Omit<RouteSettings<Req, Rep>, 'route' | 'claims' | 'inputs'>

export interface ValidatedAdapterOptions<Req, Rep> {
  defaults: AdapterDefaults<Req, Rep>
  /** Where the Prometheus text is served; null: nowhere. */
  metricsEndpoint: string | null
  /** The readiness and liveness paths (lib/health.ts). */
  health: ResolvedHealth
  /** What createVerifier gets: the options without the adapter's own. */
  verifierOptions: VerifierOptions
}

/** Checks an adapter's options once, at registration; throws a QwedOptionsError naming the bad option. */
export function validateAdapterOptions<Req, Rep> (options: QwedAdapterOptions<Req, Rep> | undefined): ValidatedAdapterOptions<Req, Rep> {
  validateVerifierOptions(options, ADAPTER_KEYS)
  // QWED_MODE, QWED_SAMPLE_RATE, QWED_ON_UNAVAILABLE over the options in code (lib/env-options.ts).
  const opts = withEnvironment(options ?? {})
  if (opts.metrics !== undefined) {
    assertKnownKeys(opts.metrics as Record<string, unknown>, ['registry', 'endpoint'], 'metrics')
    const endpoint = opts.metrics.endpoint
    if (endpoint !== undefined && endpoint !== null && (typeof endpoint !== 'string' || !endpoint.startsWith('/'))) {
      throw new QwedOptionsError('metrics.endpoint', 'must be a path starting with "/" or null')
    }
  }
  const { mode, sampleRate, enabled, onUnavailable, onBlocked, exposeDetails, input, sanitize, stream, metrics, health, ...verifierOptions } = opts
  const { endpoint, ...metricsOptions } = metrics ?? {}
  return {
    defaults: {
      mode: optionalOneOf(mode, MODES, 'mode') ?? 'enforce',
      sampleRate: optionalNumber(sampleRate, 'sampleRate', 0, 1) ?? 1,
      enabled: optionalFunction(enabled, 'enabled'),
      onUnavailable: optionalOneOf(onUnavailable, UNAVAILABLE_POLICIES, 'onUnavailable') ?? 'closed',
      onBlocked: optionalFunction(onBlocked, 'onBlocked'),
      exposeDetails: optionalBoolean(exposeDetails, 'exposeDetails') ?? false,
      input: resolveInputRules(input === undefined ? undefined : validateInputRules(input, 'input')),
      sanitize: sanitizeSetting(sanitize, 'sanitize') ?? null,
      stream: streamLimits(stream, 'stream')
    },
    metricsEndpoint: endpoint === undefined ? '/metrics' : endpoint,
    health: resolveHealthOptions(health),
    verifierOptions: { ...verifierOptions, metrics: metricsOptions }
  }
}

/**
 * Checks one route's options once, when the route is declared, and merges them over the adapter's
 * defaults. `where` names the route options in error messages (e.g. `config.qwed (route /quote)`).
 */
export function validateRouteOptions<Req, Rep> (config: unknown, defaults: AdapterDefaults<Req, Rep>, where: string): Omit<RouteSettings<Req, Rep>, 'route'> {
  assertObject(config, where)
  assertKnownKeys(config, ROUTE_KEYS, where)
  const claims = config.claims === 'auto' ? 'auto' : optionalFunction<QwedRouteSettings<Req, Rep>['claims']>(config.claims, `${where}.claims`)
  if (config.extract !== undefined && claims !== 'auto') throw new QwedOptionsError(`${where}.extract`, 'goes with claims: \'auto\' (it tells the extractor what the text cannot say)')
  const inputs = optionalFunction<QwedRouteSettings<Req, Rep>['inputs']>(config.inputs, `${where}.inputs`)
  const sanitize = sanitizeSetting(config.sanitize, `${where}.sanitize`)
  if (claims === undefined && inputs === undefined && (sanitize === undefined || sanitize === null)) {
    throw new QwedOptionsError(`${where}.claims`, 'is required (\'auto\', or a function (payload, request) => claim | claim[] | null) unless the route sets inputs or sanitize')
  }
  if (config.input !== undefined && inputs === undefined) throw new QwedOptionsError(`${where}.input`, 'needs inputs: the function that names the texts to check')
  return {
    claims,
    ...(claims === 'auto' ? { extract: extractSetting(config.extract, `${where}.extract`) } : {}),
    inputs,
    input: config.input === undefined ? defaults.input : resolveInputRules(validateInputRules(config.input, `${where}.input`), defaults.input),
    sanitize: sanitize === undefined ? defaults.sanitize : sanitize,
    mode: optionalOneOf(config.mode, MODES, `${where}.mode`) ?? defaults.mode,
    sampleRate: optionalNumber(config.sampleRate, `${where}.sampleRate`, 0, 1) ?? defaults.sampleRate,
    enabled: optionalFunction(config.enabled, `${where}.enabled`) ?? defaults.enabled,
    onUnavailable: optionalOneOf(config.onUnavailable, UNAVAILABLE_POLICIES, `${where}.onUnavailable`) ?? defaults.onUnavailable,
    onBlocked: optionalFunction(config.onBlocked, `${where}.onBlocked`) ?? defaults.onBlocked,
    exposeDetails: defaults.exposeDetails,
    stream: streamLimits(config.stream, `${where}.stream`, defaults.stream)
  }
}
