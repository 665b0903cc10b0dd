import { Registry } from 'prom-client'
import type { BreakerOptions, CacheOptions, Mode, UnavailablePolicy, VerifierOptions } from '../types/options.js'
import { QwedOptionsError } from './errors.js'

export const MODES: readonly Mode[] = ['enforce', 'shadow', 'off']
export const UNAVAILABLE_POLICIES: readonly UnavailablePolicy[] = ['closed', 'open']

// Small validators shared by createVerifier, the Fastify plugin and route options: each throws a
// QwedOptionsError that names the option, so a typo fails at registration, not on the first request.

export function assertObject (value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new QwedOptionsError(name, `must be an object, got ${describe(value)}`)
  }
}

export function assertKnownKeys (value: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new QwedOptionsError(prefix === '' ? key : `${prefix}.${key}`, `is not a known option (known: ${known.join(', ')})`)
    }
  }
}

export function optionalOneOf<T extends string> (value: unknown, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new QwedOptionsError(name, `must be one of ${allowed.map((a) => `'${a}'`).join(' | ')}, got ${describe(value)}`)
  }
  return value as T
}

export function optionalNumber (value: unknown, name: string, min: number, max = Number.POSITIVE_INFINITY, integer = false): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`
    throw new QwedOptionsError(name, `must be ${integer ? 'an integer' : 'a number'} ${range}, got ${describe(value)}`)
  }
  return value
}

export function optionalFunction<F> (value: unknown, name: string): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new QwedOptionsError(name, `must be a function, got ${describe(value)}`)
  return value as F
}

export function optionalBoolean (value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new QwedOptionsError(name, `must be a boolean, got ${describe(value)}`)
  return value
}

const VERIFIER_KEYS = ['cache', 'breaker', 'metrics', 'audit', 'maxClaimBytes', 'extraEngines', 'secrets', 'remote', 'engines', 'pool'] as const

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
    assertKnownKeys(audit, ['logger', 'includeClaims'], 'audit')
    optionalBoolean(audit.includeClaims, 'audit.includeClaims')
    if (audit.logger !== undefined && typeof (audit.logger as { info?: unknown } | null)?.info !== 'function') {
      throw new QwedOptionsError('audit.logger', 'must be a pino logger')
    }
  }
  optionalNumber(maxClaimBytes, 'maxClaimBytes', 1, Number.POSITIVE_INFINITY, true)
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
  return options as VerifierOptions
}

function validateCache (cache: unknown): asserts cache is CacheOptions {
  assertObject(cache, 'cache')
  assertKnownKeys(cache, ['max', 'ttl'], 'cache')
  optionalNumber(cache.max, 'cache.max', 1, Number.POSITIVE_INFINITY, true)
  optionalNumber(cache.ttl, 'cache.ttl', 0, Number.POSITIVE_INFINITY, true)
}

function validateBreaker (breaker: unknown): asserts breaker is BreakerOptions {
  assertObject(breaker, 'breaker')
  assertKnownKeys(breaker, ['timeout', 'errorThresholdPercentage', 'resetTimeout', 'volumeThreshold'], 'breaker')
  optionalNumber(breaker.timeout, 'breaker.timeout', 1, Number.POSITIVE_INFINITY, true)
  optionalNumber(breaker.errorThresholdPercentage, 'breaker.errorThresholdPercentage', 1, 100)
  optionalNumber(breaker.resetTimeout, 'breaker.resetTimeout', 1, Number.POSITIVE_INFINITY, true)
  optionalNumber(breaker.volumeThreshold, 'breaker.volumeThreshold', 0, Number.POSITIVE_INFINITY, true)
}

function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : String(value)
}
