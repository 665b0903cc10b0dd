/**
 * The HTTP side of the remote engine: one undici keep-alive pool per QWED server, and the error
 * policy of reference/qwed-protocol.md §1 and §9.3.
 *   2xx           an answer, whatever its status: never retried (unreadable -> BLOCKED remote.bad_response)
 *   401 / 403     BLOCKED remote.auth_error; 422 and other 4xx: BLOCKED remote.rejected; never retried
 *   429           wait Retry-After (plus jitter) when that fits the deadline, else BLOCKED as unavailable
 *   5xx, 408, network errors
 *                 retried with exponential backoff and jitter, then thrown (a breaker failure)
 *   no answer in time
 *                 thrown at once, never retried: QWED cannot cancel work, so a claim that was slow
 *                 once would only be computed again (and again) by the shared server
 * Every request first takes a token from the client-side bucket, waiting for one only inside the
 * claim's deadline. An attempt may use all that is left of the deadline.
 *
 * Overload is not failure: the client keeps `connections` requests in flight at most, one per
 * pooled connection (so undici never queues a request behind another), and a claim waits for a free
 * connection locally. A claim whose deadline passes while it waits for a token or a connection, or
 * that waited for its connection and got it with less than half of its deadline left (too little to
 * give the server a fair chance), is answered busy: never sent, never retried, no breaker failure. The claim is
 * reported started (Deadline.started) when its first request goes out. Timers are plain
 * setTimeout: Node 20 can collect an AbortSignal.timeout() before it fires.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { Pool } from 'undici'
import type { EngineResult } from '../../../types/engine.js'
import { busyResult } from '../busy.js'
import { createSlots, type Release } from '../slots.js'
import type { RemoteMetrics } from './metrics.js'

const requireHere = createRequire(import.meta.url)
import { authError, badResponse, errorDetail, parseJson, rateLimited, rejected, type Endpoint } from './mapping.js'
import type { Quota } from './quota.js'

/** A claim's time: its signal aborts at the deadline, on the breaker's timeout or when the engine closes. */
export interface Deadline {
  readonly signal: AbortSignal
  /** performance.now() at which the time is up. */
  readonly at: number
  /** Told when the claim's first request goes out (the engine's ctx.started): waiting before it is overload, not failure. */
  readonly started?: () => void
}

export type Exchange = { kind: 'json', value: unknown } | { kind: 'verdict', result: EngineResult }

/** The QWED server could not answer. Thrown, so the breaker counts it; the verifier turns it into BLOCKED remote.unavailable. */
export class RemoteUnavailableError extends Error {
  readonly code: string
  constructor (message: string, code = 'EQWEDREMOTE') {
    super(message)
    this.name = 'RemoteUnavailableError'
    this.code = code
  }
}

/** The abort reason of in-flight claims when the engine closes. */
export const ENGINE_CLOSED = new RemoteUnavailableError('the remote engine was closed', 'ECLOSED')

export interface HttpClientOptions {
  url: string
  apiKey: string
  timeoutMs: number
  retries: number
  /** Requests in flight at most: the size of the connection pool. */
  connections: number
  bucket: Quota
  metrics: RemoteMetrics
}

export interface HttpClient {
  post(endpoint: Endpoint, payload: unknown, deadline: Deadline): Promise<Exchange>
  /** Milliseconds the server's last Retry-After still asks us to wait (0 when none). */
  serverRetryAfterMs(): number
  /** GET /health: true when the server says it is healthy. Throws only when the deadline passes. */
  health(deadline: Deadline): Promise<boolean>
  close(): Promise<void>
}

type Attempt =
  | { kind: 'response', status: number, headers: IncomingHttpHeaders, text: string | null }
  | { kind: 'timeout' }
  | { kind: 'network', code: string }
  | { kind: 'deadline' }

// Shortest time worth starting a request in; less than this left of the deadline and we stop.
const MIN_ATTEMPT_MS = 20
const BACKOFF_BASE_MS = 100
const BACKOFF_CAP_MS = 2_000
const MAX_BODY_BYTES = 8 * 1024 * 1024
const MAX_ERROR_BODY_BYTES = 64 * 1024
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])
/** Claims that may wait for a connection; one more is answered busy at once. */
export const MAX_WAITING_FOR_CONNECTION = 1024
/** Connections when remote.connections is not set: never fewer than undici's usual 32, never more than 256. */
export const CONNECTIONS_RANGE = { min: 32, max: 256 } as const

/**
 * The connections a client needs so that claims sent at its rate never wait for one while the server
 * answers inside the deadline: the requests in flight when each takes the whole deadline (Little's
 * law at the worst latency the client accepts).
 */
export function connectionsFor (ratePerMinute: number, timeoutMs: number): number {
  const inFlight = Math.ceil(ratePerMinute / 60 * timeoutMs / 1000)
  return Math.min(CONNECTIONS_RANGE.max, Math.max(CONNECTIONS_RANGE.min, inFlight))
}

// /health needs no key: it is not sent where it is not needed.
const HEALTH_HEADERS = { accept: 'application/json', 'user-agent': 'qwed-middleware' }

class TooLarge extends Error {}

/** A claim not sent: no connection in its time (`waited`), a full line, or one too late to be worth sending. */
function busy (queue: 'waited' | 'full' | 'late'): Exchange {
  return { kind: 'verdict', result: busyResult('remote', { queue: queue === 'full' ? 'full' : 'connections', ...(queue === 'late' ? { late: true } : {}) }) }
}

export function createHttpClient (options: HttpClientOptions): HttpClient {
  const { apiKey, timeoutMs, retries, bucket, metrics, connections } = options
  const base = new URL(options.url)
  const prefix = trimTrailingSlashes(base.pathname)
  const secrets = [apiKey]
  const slots = createSlots(connections, MAX_WAITING_FOR_CONNECTION)
  // undici loads with the first remote client, not with the package (cold start: docs/architecture.md)
  const { Pool: UndiciPool } = requireHere('undici') as typeof import('undici')
  const pool: Pool = new UndiciPool(base.origin, {
    connections,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs }
  })
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': apiKey, 'user-agent': 'qwed-middleware' }
  const now = (): number => performance.now()
  const publishQuota = (): void => metrics.quotaRemaining.set(bucket.remaining())
  // When the server's last Retry-After ends (its own value, not the bucket's one-minute cap)
  let serverRetryUntil = 0

  async function attempt (method: 'GET' | 'POST', endpoint: Endpoint, body: string | undefined, deadline: Deadline): Promise<Attempt> {
    const budget = Math.max(MIN_ATTEMPT_MS, Math.ceil(deadline.at - now()))
    const stop = new AbortController()
    const { signal } = stop
    const timer = setTimeout(() => stop.abort(), budget)
    const onDeadline = (): void => stop.abort()
    if (deadline.signal.aborted) stop.abort()
    else deadline.signal.addEventListener('abort', onDeadline, { once: true })
    try {
      return await exchange(method, endpoint, body, deadline, signal)
    } finally {
      clearTimeout(timer)
      deadline.signal.removeEventListener('abort', onDeadline)
    }
  }

  async function exchange (method: 'GET' | 'POST', endpoint: Endpoint, body: string | undefined, deadline: Deadline, signal: AbortSignal): Promise<Attempt> {
    const failed = (err: unknown): Attempt => {
      if (deadline.signal.aborted) return { kind: 'deadline' }
      const code = (err as { code?: unknown } | null)?.code
      if (signal.aborted || TIMEOUT_CODES.has(String(code))) return { kind: 'timeout' }
      return { kind: 'network', code: typeof code === 'string' ? code : 'network_error' }
    }
    let response
    try {
      response = await pool.request({ method, path: prefix + endpoint, headers: method === 'GET' ? HEALTH_HEADERS : headers, body, signal })
    } catch (err) {
      return failed(err)
    }
    const { statusCode: status, body: stream } = response
    const limit = status >= 200 && status < 300 ? MAX_BODY_BYTES : MAX_ERROR_BODY_BYTES
    try {
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of stream) {
        size += (chunk as Buffer).length
        if (size > limit) throw new TooLarge()
        chunks.push(chunk as Buffer)
      }
      return { kind: 'response', status, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }
    } catch (err) {
      if (!(err instanceof TooLarge)) return failed(err)
      stream.destroy()
      return { kind: 'response', status, headers: response.headers, text: null }
    }
  }

  async function sleep (ms: number, deadline: Deadline): Promise<void> {
    try {
      await sleepFor(ms, undefined, { signal: deadline.signal })
    } catch {
      throw deadlineError(deadline, timeoutMs)
    }
  }

  /** A free connection, or the busy verdict when the claim's time runs out first (or the line is full). */
  async function connection (deadline: Deadline): Promise<Release | Exchange> {
    let release: Release | null
    try {
      release = await slots.take(deadline.signal)
    } catch {
      if (deadline.signal.reason === ENGINE_CLOSED) throw ENGINE_CLOSED
      return busy('waited')
    }
    return release ?? busy('full')
  }

  async function post (endpoint: Endpoint, payload: unknown, deadline: Deadline): Promise<Exchange> {
    const body = JSON.stringify(payload)
    let failures = 0
    let sent = false
    for (;;) {
      // A shared quota (Redis) answers later; the local bucket at once, without an extra tick.
      const reserved = bucket.reserve(deadline.at - MIN_ATTEMPT_MS)
      const slot = reserved instanceof Promise ? await reserved : reserved
      publishQuota()
      if (slot === null) return { kind: 'verdict', result: rateLimited(endpoint, 'client', Math.max(0, serverRetryUntil - now())) }
      if (slot > now()) {
        try {
          await sleep(slot - now(), deadline)
        } catch (err) {
          if (!sent && err !== ENGINE_CLOSED) return busy('waited')
          throw err
        }
      }
      const queued = slots.running >= connections
      const got = await connection(deadline)
      if (typeof got !== 'function') return got
      if (!sent) {
        // Queued for a connection too long to give the server a fair share of the deadline: not
        // sent at all. (A claim that found a connection free is sent, however slow the process was.)
        if (queued && deadline.at - now() < timeoutMs / 2) {
          got()
          return busy('late')
        }
        sent = true
        deadline.started?.()
      }
      let outcome: Attempt
      try {
        outcome = await attempt('POST', endpoint, body, deadline)
      } finally {
        got()
      }
      if (outcome.kind === 'deadline') throw deadlineError(deadline, timeoutMs)

      let reason: 'server_error' | 'network_error'
      let failure: string
      if (outcome.kind === 'response') {
        const { status, text } = outcome
        metrics.requests.inc({ endpoint, code: String(status) })
        if (status >= 200 && status < 300) {
          const parsed = text === null ? null : parseJson(text)
          if (parsed !== null) return { kind: 'json', value: parsed.value }
          return { kind: 'verdict', result: badResponse(endpoint, text === null ? 'the answer is too large' : 'the answer is not JSON') }
        }
        if (status === 429) {
          const waitMs = retryAfterMs(outcome.headers['retry-after'])
          serverRetryUntil = Math.max(serverRetryUntil, now() + waitMs)
          // QWED's window is one minute: a longer Retry-After does not hold other claims back longer.
          bucket.pause(now() + Math.min(waitMs, 60_000))
          publishQuota()
          const delay = waitMs + 50 + Math.random() * 200
          if (now() + delay > deadline.at - MIN_ATTEMPT_MS) return { kind: 'verdict', result: rateLimited(endpoint, 'server', waitMs) }
          metrics.retries.inc({ reason: 'rate_limited' })
          await sleep(delay, deadline)
          continue
        }
        if (status < 500 && status !== 408) {
          const detail = errorDetail(text, secrets)
          return { kind: 'verdict', result: status === 401 || status === 403 ? authError(endpoint, status, detail) : rejected(endpoint, status, detail) }
        }
        reason = 'server_error'
        failure = `HTTP ${status}`
      } else if (outcome.kind === 'timeout') {
        metrics.requests.inc({ endpoint, code: 'timeout' })
        // the server may still be working on it: sending it again would double the work
        throw new RemoteUnavailableError(`the QWED server did not answer in time (${failures + 1} attempt${failures === 0 ? '' : 's'}; a timed-out claim is not sent again)`, 'ETIMEDOUT')
      } else {
        reason = 'network_error'
        failure = outcome.code
        metrics.requests.inc({ endpoint, code: reason })
      }

      failures++
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1))
      const delay = ceiling / 2 + Math.random() * ceiling / 2
      if (failures > retries || now() + delay > deadline.at - MIN_ATTEMPT_MS) {
        throw new RemoteUnavailableError(`the QWED server did not answer (${failure}; ${failures} attempt${failures === 1 ? '' : 's'})`, 'EQWEDREMOTE')
      }
      metrics.retries.inc({ reason })
      await sleep(delay, deadline)
    }
  }

  async function health (deadline: Deadline): Promise<boolean> {
    const got = await connection(deadline)
    if (typeof got !== 'function') throw deadlineError(deadline, timeoutMs)
    let outcome: Attempt
    try {
      outcome = await attempt('GET', '/health', undefined, deadline)
    } finally {
      got()
    }
    if (outcome.kind === 'deadline') throw deadlineError(deadline, timeoutMs)
    metrics.requests.inc({ endpoint: '/health', code: outcome.kind === 'response' ? String(outcome.status) : outcome.kind === 'timeout' ? 'timeout' : 'network_error' })
    if (outcome.kind !== 'response' || outcome.status !== 200 || outcome.text === null) return false
    const parsed = parseJson(outcome.text)
    return (parsed?.value as { status?: unknown } | null | undefined)?.status === 'healthy'
  }

  return {
    post,
    serverRetryAfterMs: () => Math.max(0, serverRetryUntil - now()),
    health,
    close: async () => {
      slots.close(ENGINE_CLOSED)
      await pool.destroy()
    }
  }
}

/** The error a claim whose time ran out is rejected with (ETIMEDOUT: the verifier reports reason `timeout`). */
export function deadlineError (deadline: Deadline, timeoutMs: number): RemoteUnavailableError {
  if (deadline.signal.reason === ENGINE_CLOSED) return ENGINE_CLOSED
  return new RemoteUnavailableError(`no answer from the QWED server within the deadline (${timeoutMs} ms)`, 'ETIMEDOUT')
}

/** Retry-After in ms: delta-seconds (QWED sends these, maybe 0) or an HTTP date; 1 s when absent or unreadable. */
export function retryAfterMs (header: string | string[] | undefined, nowMs = Date.now()): number {
  const value = (Array.isArray(header) ? header[0] : header)?.trim()
  if (value === undefined || value === '') return 1_000
  if (/^\d+$/.test(value)) return Number(value) * 1_000
  const date = Date.parse(value)
  return Number.isNaN(date) ? 1_000 : Math.max(0, date - nowMs)
}

/** '/api///' -> '/api' with a loop: a regex `\/+$` backtracks quadratically on a long run of slashes. */
function trimTrailingSlashes (path: string): string {
  let end = path.length
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--
  return path.slice(0, end)
}
