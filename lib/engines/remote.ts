/**
 * The remote engine: a QWED 7.1 server behind the same Engine interface as the embedded engines.
 *   remote/guard.ts       the embedded engines' resource caps, checked before anything is sent
 *   remote/mapping.ts     claims -> endpoints and bodies; QWED answers -> checked verdicts
 *   remote/http.ts        undici keep-alive pool, retries, 429, deadlines, error kinds
 *   remote/rate-limit.ts  the client-side token bucket
 *   remote/quota-redis.ts the same limit shared by a fleet through Redis (remote.quota)
 *   remote/metrics.ts     qwed_remote_* metrics
 * Claim types are routed here by `engines` (see CLAIM_ROUTES): fact and natural_language always,
 * the others when configured 'remote'. Concurrent code, SQL and fact claims (verifyBatch, a route
 * with several claims) share one POST /verify/batch of at most 100 items. After the breaker has been
 * open, its trial call first asks /health and only then sends the claim.
 */
import { performance } from 'node:perf_hooks'
import { destination, pino } from 'pino'
import type { Registry } from 'prom-client'
import type { Claim } from '../../types/claims.js'
import type { Engine, EngineResult } from '../../types/engine.js'
import type { QwedLogger, RemoteOptions, VerifierOptions } from '../../types/options.js'
import { QwedOptionsError } from '../errors.js'
import { redactSecrets } from '../guard/redact.js'
import type { BreakerStateValue } from '../observe/metrics.js'
import { blocked } from '../result.js'
import { busyResult } from './busy.js'
import { guardRemoteClaim } from './remote/guard.js'
import { connectionsFor, createHttpClient, deadlineError, ENGINE_CLOSED, RemoteUnavailableError, type Deadline, type Exchange } from './remote/http.js'
import { badResponse, CLAIM_ROUTES, mapClaim, MAX_BATCH_ITEMS, parseBatchJob, parseDiagnostic, uncacheable, type BatchItem, type RemoteRequest } from './remote/mapping.js'
import { createRemoteMetrics } from './remote/metrics.js'
import type { Quota } from './remote/quota.js'
import { createRedisQuota } from './remote/quota-redis.js'
import { TokenBucket } from './remote/rate-limit.js'

export { CLAIM_ROUTES } from './remote/mapping.js'

export const REMOTE_DEFAULTS = { timeoutMs: 3_000, retries: 2, ratePerMinute: 100 } as const

// The breaker waits this much longer than remote.timeoutMs, so that the engine's own deadline decides
// how a slow claim ends (a retry given up on, a 429 past the deadline) and not the breaker's timer.
const BREAKER_GRACE_MS = 1_000

export interface RemoteEngine extends Engine<Claim> {
  /** How many claims the verifier may put in flight at once so that they share one batch request. */
  readonly batchSize: number
  /** The timeout of this engine's breaker. */
  readonly breakerTimeout: number
  /** Told by the verifier when the breaker changes state: half-open means "probe /health first". */
  onBreakerState(state: BreakerStateValue): void
  /** Whole seconds the QWED server's last 429 Retry-After still asks clients to wait; null when none. */
  retryAfterSeconds(): number | null
  /** GET /health within `timeoutMs`: true when the server says it is healthy (the readiness check, lib/health.ts). */
  checkHealth(timeoutMs: number): Promise<boolean>
}

export interface RemoteEngineDeps {
  /** The verifier's registry, for the qwed_remote_* metrics. */
  registry?: Registry
  /** Where configuration errors (401/403/422) are logged, once each. Default: pino on stderr. */
  logger?: QwedLogger
}

type Mapped = Extract<RemoteRequest, { ok: true }>
interface Waiting { mapped: Mapped & { batchItem: BatchItem }, deadline: Deadline, resolve: (r: EngineResult) => void, reject: (e: unknown) => void }

/** The API key: remote.apiKey, else QWED_API_KEY; undefined when neither is a non-empty string. */
export function resolveApiKey (remote: RemoteOptions): string | undefined {
  const key = remote.apiKey ?? process.env.QWED_API_KEY
  return typeof key === 'string' && key !== '' ? key : undefined
}

/** The values the audit must redact: the API key when a QWED server is configured. */
export function remoteSecrets (options: VerifierOptions): string[] {
  const key = options.remote === undefined ? undefined : resolveApiKey(options.remote)
  return key === undefined ? [] : [key]
}

export function createRemoteEngine (options: RemoteOptions, claimTypes: ReadonlyArray<Claim['type']>, deps: RemoteEngineDeps = {}): RemoteEngine {
  const apiKey = resolveApiKey(options)
  if (apiKey === undefined) throw new QwedOptionsError('remote.apiKey', 'is required: pass remote.apiKey or set QWED_API_KEY')
  const timeoutMs = options.timeoutMs ?? REMOTE_DEFAULTS.timeoutMs
  const metrics = createRemoteMetrics(deps.registry)
  const perMinute = options.ratePerMinute ?? REMOTE_DEFAULTS.ratePerMinute
  const bucket: Quota = options.quota === undefined ? new TokenBucket(perMinute) : createRedisQuota(options.quota, perMinute, apiKey, deps.registry)
  metrics.quotaRemaining.set(bucket.remaining())
  const http = createHttpClient({
    url: options.url,
    apiKey,
    timeoutMs,
    retries: options.retries ?? REMOTE_DEFAULTS.retries,
    connections: options.connections ?? connectionsFor(perMinute, timeoutMs),
    bucket,
    metrics
  })
  const secrets = [apiKey]
  const inflight = new Set<AbortController>()
  const logged = new Set<string>()
  let fallbackLogger: QwedLogger | undefined
  let probeFirst = false
  let closed = false
  let queue: Waiting[] = []
  let flushScheduled = false

  /**
   * The claim's deadline: aborted by a plain timer (strongly held until disposed; Node 20 can collect
   * an AbortSignal.timeout() before it fires), by the caller's signal, or by close().
   */
  function startDeadline (parent: AbortSignal, started: (() => void) | undefined): Deadline & { dispose(): void } {
    const controller = new AbortController()
    inflight.add(controller)
    const timer = setTimeout(() => controller.abort(new RemoteUnavailableError('deadline', 'ETIMEDOUT')), timeoutMs)
    const onParent = (): void => controller.abort(parent.reason)
    if (parent.aborted) onParent()
    else parent.addEventListener('abort', onParent, { once: true })
    return {
      signal: controller.signal,
      at: performance.now() + timeoutMs,
      ...(started === undefined ? {} : { started }),
      dispose: () => {
        clearTimeout(timer)
        parent.removeEventListener('abort', onParent)
        inflight.delete(controller)
      }
    }
  }

  /** 401/403/422 are configuration errors: one log line per kind, without the key. */
  function report (result: EngineResult): EngineResult {
    const fields = result.developer_fields
    if (fields.constraint_id !== 'remote.auth_error' && fields.constraint_id !== 'remote.rejected') return result
    const kind = `${fields.constraint_id}:${String(fields.http_status)}`
    if (logged.has(kind)) return result
    logged.add(kind)
    const logger = deps.logger ?? (fallbackLogger ??= pino({ name: 'qwed-remote' }, destination(2)))
    const record = { qwed_remote: fields.constraint_id, http_status: fields.http_status, endpoint: fields.endpoint, detail: fields.detail }
    const message = fields.constraint_id === 'remote.auth_error'
      ? 'qwed: the QWED server refused the API key; remote claims are BLOCKED until remote.apiKey (or QWED_API_KEY) is fixed'
      : 'qwed: the QWED server rejected a request; check remote.url and the API key header; affected claims are BLOCKED'
    logger.warn(redactSecrets(record, secrets), message)
    return result
  }

  function verdict (exchange: Exchange, mapped: Mapped): EngineResult {
    if (exchange.kind === 'verdict') return report(exchange.result)
    const parsed = parseDiagnostic(exchange.value)
    return parsed.ok ? cacheability(parsed.result, mapped) : badResponse(mapped.endpoint, parsed.error)
  }

  // A BLOCKED answer may be passing (a server-side error, its own rate limit); LLM-backed endpoints
  // (logic, natural_language) do not answer the same way twice. Neither is cached.
  function cacheability (result: EngineResult, mapped: Mapped): EngineResult {
    return mapped.cacheable && result.status !== 'BLOCKED' ? result : uncacheable(result)
  }

  async function single (mapped: Mapped, deadline: Deadline): Promise<EngineResult> {
    return verdict(await http.post(mapped.endpoint, mapped.body, deadline), mapped)
  }

  async function coalesce (mapped: Waiting['mapped'], deadline: Deadline): Promise<EngineResult> {
    return await new Promise((resolve, reject) => {
      queue.push({ mapped, deadline, resolve, reject })
      if (queue.length >= MAX_BATCH_ITEMS) flush()
      else if (!flushScheduled) {
        flushScheduled = true
        setImmediate(() => { flushScheduled = false; flush() })
      }
    })
  }

  function flush (): void {
    const waiting = queue
    queue = []
    for (let i = 0; i < waiting.length; i += MAX_BATCH_ITEMS) sendChunk(waiting.slice(i, i + MAX_BATCH_ITEMS)).catch(() => {})
  }

  /** One claim alone goes to its own endpoint; two or more share POST /verify/batch. Never rejects itself. */
  async function sendChunk (chunk: Waiting[]): Promise<void> {
    if (chunk.length === 1) {
      const [only] = chunk as [Waiting]
      await single(only.mapped, only.deadline).then(only.resolve, only.reject)
      return
    }
    // A claim whose own time is up stops waiting; the request goes on while any claim still waits.
    const shared = new AbortController()
    let waiting = chunk.length
    let sent = false
    const stopWaiting = chunk.map((item) => {
      const onAbort = (): void => {
        // Still waiting for a token or a connection: overload, answered busy; once sent, a timeout.
        if (sent || item.deadline.signal.reason === ENGINE_CLOSED) item.reject(deadlineError(item.deadline, timeoutMs))
        else item.resolve(busyResult('remote', { queue: 'connections' }))
        if (--waiting === 0) shared.abort(item.deadline.signal.reason)
      }
      if (item.deadline.signal.aborted) onAbort()
      else item.deadline.signal.addEventListener('abort', onAbort, { once: true })
      return () => item.deadline.signal.removeEventListener('abort', onAbort)
    })
    const deadline: Deadline = {
      signal: shared.signal,
      at: Math.max(...chunk.map((item) => item.deadline.at)),
      started: () => {
        sent = true
        for (const item of chunk) item.deadline.started?.()
      }
    }
    try {
      const exchange = await http.post('/verify/batch', { items: chunk.map((item) => item.mapped.batchItem) }, deadline)
      if (exchange.kind === 'verdict') {
        report(exchange.result)
        for (const item of chunk) item.resolve(structuredClone(exchange.result))
        return
      }
      const results = parseBatchJob(exchange.value, chunk.length, secrets)
      chunk.forEach((item, i) => item.resolve(cacheability(results[i] as EngineResult, item.mapped)))
    } catch (err) {
      for (const item of chunk) item.reject(err)
    } finally {
      for (const stop of stopWaiting) stop()
    }
  }

  return {
    name: 'remote',
    claimTypes,
    queues: true,
    batchSize: MAX_BATCH_ITEMS,
    breakerTimeout: timeoutMs + BREAKER_GRACE_MS,
    onBreakerState (state) {
      probeFirst = state === 1
    },
    retryAfterSeconds () {
      const ms = http.serverRetryAfterMs()
      return ms > 0 ? Math.ceil(ms / 1000) : null
    },
    async checkHealth (ms) {
      if (closed) return false
      try {
        return await http.health({ signal: AbortSignal.timeout(ms), at: performance.now() + ms })
      } catch {
        return false
      }
    },
    async verify (claim, ctx) {
      if (closed) return uncacheable(blocked('Verification is temporarily unavailable', { constraint_id: 'remote.unavailable', reason: 'closed' }))
      const mapped = mapClaim(claim)
      if (!mapped.ok) return mapped.result
      // nothing we send may hurt the server: the embedded engines' caps before any request
      const guarded = guardRemoteClaim(claim)
      if (!guarded.ok) return guarded.result
      const deadline = startDeadline(ctx.signal, ctx.started)
      try {
        if (probeFirst) {
          if (!await http.health(deadline)) throw new RemoteUnavailableError('the QWED server failed its health check')
          probeFirst = false
        }
        return mapped.batchItem === undefined ? await single(mapped, deadline) : await coalesce(mapped as Waiting['mapped'], deadline)
      } finally {
        deadline.dispose()
      }
    },
    async close () {
      closed = true
      for (const closer of inflight) closer.abort(ENGINE_CLOSED)
      await http.close()
      await bucket.close?.()
    }
  }
}

/**
 * Routes claim types to a QWED server when `remote` is set: each type goes where `engines` says,
 * by default to its local engine when there is one and to the server otherwise (fact,
 * natural_language). A local engine left without claim types is not closed here: it holds nothing
 * until its first claim, and pool-run engines share one pool that closing one of them would end.
 */
export function attachRemoteEngine (byType: Map<string, Engine<Claim>>, options: VerifierOptions): void {
  if (options.remote === undefined) return
  const types = Object.entries(CLAIM_ROUTES)
    .filter(([type, routes]) => routes.includes('remote') && (options.engines?.[type] ?? (byType.has(type) ? 'local' : 'remote')) === 'remote')
    .map(([type]) => type as Claim['type'])
  if (types.length === 0) return
  const audit = options.audit === false ? undefined : options.audit
  const logger = audit?.logger
  const engine = createRemoteEngine(options.remote, types, {
    ...(options.metrics?.registry === undefined ? {} : { registry: options.metrics.registry }),
    ...(logger === undefined ? {} : { logger })
  })
  for (const type of types) byType.set(type, engine)
}
