import { LRUCache } from 'lru-cache'
import type { CacheOptions, RedisCacheOptions } from '../types/options.js'
import type { DiagnosticResult } from '../types/result.js'
import { QwedOptionsError } from './errors.js'
import { MissingPeerError } from './optional-peer.js'
import { freezeVerdict } from './result.js'
import { createRedisTier, type RedisTier, type RedisTierEvent, type SharedLookup } from './cache/redis.js'

export const CACHE_DEFAULTS = { max: 10_000, ttl: 600_000 }
export type { SharedLookup } from './cache/redis.js'

export interface ResultCache {
  /** The in-process tier: synchronous, the frozen verdict or undefined. */
  get(key: string): Readonly<DiagnosticResult> | undefined
  /**
   * The shared tier (Redis), asked only after a first-tier miss; null when none is configured.
   * A hit is frozen and kept in the first tier.
   */
  readonly shared: { lookup(key: string): Promise<SharedLookup>, readonly onError: 'open' | 'closed' } | null
  /** Stores in both tiers (the shared one in the background). The verdict is frozen, not copied. */
  set(key: string, result: DiagnosticResult): void
  clear(): void
  /** Waits (briefly) for the shared tier's first connection; verifier.warmUp() calls it. */
  ready(): Promise<void>
  /** Closes the Redis client the cache made. */
  close(): Promise<void>
}

/** The HMAC key of the shared tier: cache.redis.secret, else QWED_CACHE_SECRET; undefined when neither is set. */
export function resolveCacheSecret (redis: RedisCacheOptions): string | undefined {
  const secret = redis.secret ?? process.env.QWED_CACHE_SECRET
  return typeof secret === 'string' && secret !== '' ? secret : undefined
}

/**
 * Deterministic verdicts by claim key. Verdicts are frozen when stored (lib/result.ts
 * freezeVerdict) and handed out as they are: no caller can change a cached verdict, and a hit
 * costs no copy. With `redis`, a second tier shared by every replica (lib/cache/redis.ts).
 */
export function createResultCache (options: CacheOptions | false | undefined, countShared: (event: RedisTierEvent) => void = () => {}): ResultCache | null {
  if (options === false) return null
  const max = options?.max ?? CACHE_DEFAULTS.max
  const ttl = options?.ttl ?? CACHE_DEFAULTS.ttl
  const lru = new LRUCache<string, Readonly<DiagnosticResult>>({ max, ...(ttl > 0 ? { ttl } : {}) })
  let tier: RedisTier | null = null
  if (options?.redis !== undefined) {
    // validateVerifierOptions already refused a missing secret; this is the same rule for direct callers.
    const secret = resolveCacheSecret(options.redis)
    if (secret === undefined) throw new Error('the shared cache needs cache.redis.secret or QWED_CACHE_SECRET')
    try {
      tier = createRedisTier(options.redis, secret, ttl, countShared)
    } catch (err) {
      if (err instanceof MissingPeerError) throw new QwedOptionsError('cache.redis', `cannot be used: ${err.message}`)
      throw err
    }
  }
  const redis = tier
  return {
    get: (key) => lru.get(key),
    shared: redis === null
      ? null
      : {
          onError: redis.onError,
          lookup: async (key) => {
            const found = await redis.get(key)
            if (found.kind === 'hit') lru.set(key, freezeVerdict(found.result))
            return found
          }
        },
    set: (key, result) => {
      lru.set(key, freezeVerdict(result))
      redis?.set(key, result)
    },
    clear: () => lru.clear(),
    ready: async () => { await redis?.ready() },
    close: async () => { await redis?.close() }
  }
}

/** The most flat claims' checks kept, and the longest JSON text of one (a longer claim always takes the guard). */
export const CHECKED_CLAIMS_MAX = 4096
const CHECKED_TEXT_MAX = 1024

/**
 * The guard's answer for flat claims it already passed, by the claim's JSON text: a repeated claim
 * (a cache hit) skips the walk, the RFC 8785 form and the SHA-256 that give it the same answer
 * again. Only flat plain objects whose values are strings, finite numbers, booleans or null are
 * kept: for them the guard's answer depends on nothing but their keys and values, which the JSON
 * text spells out (another key order is another text, so only a miss). Only claims that passed the
 * guard are kept, and the verifier adds one only when it hits the cache (a claim never seen again
 * is not worth an entry); the oldest goes first once `max` are.
 */
export class CheckedClaims<T> {
  readonly #checked = new Map<string, T>()
  readonly #max: number

  constructor (max: number) {
    this.#max = max
  }

  /** The claim's JSON text when it is flat and short; undefined for any other claim. */
  textOf (claim: unknown): string | undefined {
    if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return undefined
    const proto = Object.getPrototypeOf(claim) as unknown
    if (proto !== Object.prototype && proto !== null) return undefined
    let length = 0
    for (const key in claim) {
      // Inherited keys are in neither the JSON text nor the canonical form.
      if (!Object.hasOwn(claim, key)) continue
      const value = (claim as Record<string, unknown>)[key]
      // Every key counts, so a claim of many short fields is not written out before the guard sees it.
      length += key.length + 4
      if (typeof value === 'string') length += value.length
      else if (!(value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) return undefined
      if (length > CHECKED_TEXT_MAX) return undefined
    }
    return JSON.stringify(claim)
  }

  get (text: string): T | undefined {
    return this.#checked.get(text)
  }

  set (text: string, checked: T): void {
    if (this.#checked.size >= this.#max) this.#checked.delete(this.#checked.keys().next().value as string)
    this.#checked.set(text, checked)
  }

  clear (): void {
    this.#checked.clear()
  }
}
