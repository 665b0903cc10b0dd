import type { HealthOptions } from '../types/options.js'
import { QwedOptionsError } from './errors.js'
import { assertKnownKeys, assertObject, describe, optionalNumber } from './option-checks.js'
import type { Verifier, VerifierStatus } from './verifier.js'

// Readiness and liveness as JSON, framework-free: the Fastify plugin serves them as routes, the
// Express middleware as handlers (docs/observability.md).

export const HEALTH_DEFAULTS = { path: '/qwed/health', timeoutMs: 1000, cacheMs: 1000 } as const

export interface ResolvedHealth {
  /** Readiness path; null: not served. */
  path: string | null
  /** Liveness path (`<path>/live`); null with path. */
  livePath: string | null
  timeoutMs: number
  cacheMs: number
}

/** Checks `health` at registration. */
export function resolveHealthOptions (value: unknown): ResolvedHealth {
  if (value === false) return { path: null, livePath: null, timeoutMs: HEALTH_DEFAULTS.timeoutMs, cacheMs: HEALTH_DEFAULTS.cacheMs }
  if (value === undefined) value = {}
  assertObject(value, 'health')
  assertKnownKeys(value, ['path', 'timeoutMs', 'cacheMs'], 'health')
  const path = value.path === undefined ? HEALTH_DEFAULTS.path : value.path
  if (path !== null && (typeof path !== 'string' || !path.startsWith('/') || path.length < 2)) {
    throw new QwedOptionsError('health.path', `must be a path starting with "/" or null, got ${describe(path)}`)
  }
  return {
    path,
    livePath: path === null ? null : `${path.replace(/\/$/, '')}/live`,
    timeoutMs: optionalNumber(value.timeoutMs, 'health.timeoutMs', 1, 60_000, true) ?? HEALTH_DEFAULTS.timeoutMs,
    cacheMs: optionalNumber(value.cacheMs, 'health.cacheMs', 0, 600_000, true) ?? HEALTH_DEFAULTS.cacheMs
  }
}

export interface HealthAnswer {
  statusCode: 200 | 503
  body: Record<string, unknown>
}

export interface ReadinessBody {
  status: 'ready' | 'not_ready' | 'closing'
  checks: {
    engines: { ok: boolean, warmUp: VerifierStatus['warmUp'], breakers: VerifierStatus['engines'] }
    /** null when no audit store is configured. */
    audit: { ok: boolean, pending: number, reason?: string } | null
    /** null when no QWED server is configured. */
    remote: { ok: boolean } | null
  }
}

export interface HealthCheck {
  /** 200 when the verifier can take traffic; 503 while closing, warming up, with a breaker open, an unwritable audit store or an unhealthy QWED server. */
  readiness(): Promise<HealthAnswer>
  /** 200 while the process answers. */
  liveness(): HealthAnswer
}

/**
 * The checks behind the readiness route. A result is kept `cacheMs` (default 1 s), so a public route
 * cannot turn into a stream of probes to the database or the QWED server; concurrent calls share one run.
 */
export function createHealthCheck (verifier: Verifier, options: Pick<ResolvedHealth, 'timeoutMs' | 'cacheMs'>, now: () => number = Date.now): HealthCheck {
  let cached: { at: number, answer: HealthAnswer } | null = null
  let running: Promise<HealthAnswer> | null = null

  async function run (): Promise<HealthAnswer> {
    const status = verifier.status()
    const [audit, remote] = await Promise.all([
      verifier.audit === null ? null : within(verifier.audit.writable(), options.timeoutMs, { writable: false, pending: verifier.audit.pending, reason: 'timeout' }),
      within(verifier.checkRemote(options.timeoutMs), options.timeoutMs + 100, false)
    ])
    const engines = {
      ok: status.warmUp !== 'pending' && status.warmUp !== 'failed' && status.engines.every((e) => e.breaker !== 'open'),
      warmUp: status.warmUp,
      breakers: status.engines
    }
    const body: ReadinessBody = {
      status: 'ready',
      checks: {
        engines,
        audit: audit === null ? null : { ok: audit.writable, pending: audit.pending, ...(audit.reason === undefined ? {} : { reason: audit.reason }) },
        remote: remote === null ? null : { ok: remote }
      }
    }
    const ok = engines.ok && (body.checks.audit?.ok ?? true) && (body.checks.remote?.ok ?? true)
    // Read again: close() may have begun while the probes ran.
    body.status = verifier.status().closing ? 'closing' : ok ? 'ready' : 'not_ready'
    return { statusCode: body.status === 'ready' ? 200 : 503, body: body as unknown as Record<string, unknown> }
  }

  return {
    async readiness () {
      if (verifier.status().closing) return { statusCode: 503, body: { status: 'closing', checks: null } }
      if (cached !== null && now() - cached.at < options.cacheMs) return cached.answer
      running ??= run().then((answer) => {
        cached = { at: now(), answer }
        return answer
      }).finally(() => { running = null })
      return await running
    },
    liveness () {
      return { statusCode: 200, body: { status: 'alive' } }
    }
  }
}

/** `promise`, or `fallback` once `ms` have passed or when it rejects. */
async function within<T> (promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms)
    timer.unref()
  })
  try {
    return await Promise.race([promise.catch(() => fallback), late])
  } finally {
    clearTimeout(timer)
  }
}

export type { HealthOptions }
