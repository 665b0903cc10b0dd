import type { RedisCacheOptions } from '../../types/options.js'
import type { DiagnosticResult } from '../../types/result.js'
import { QWED_MIDDLEWARE_VERSION } from '../observe/vc.js'
import { openEntry, sealEntry } from './entry.js'
import { connectRedis, type RedisConnection } from './redis-client.js'

/** Events of the Redis tier (the `event` label of qwed_cache_events_total{tier="redis"}): a bounded set. */
export type RedisTierEvent =
  | 'hit' | 'miss' | 'store'
  /** An entry whose HMAC does not match (forged, altered or moved): not served, the claim is verified again. */
  | 'forged'
  /** An authentic entry that is not a verdict: not served. */
  | 'invalid'
  /** A command failed (connection refused or reset, a Redis error). */
  | 'error'
  /** A command did not answer within commandTimeoutMs. */
  | 'timeout'
  /** Redis was not asked: it failed within the last cooldown. */
  | 'skipped'

export type SharedLookup =
  | { kind: 'hit', result: DiagnosticResult }
  | { kind: 'miss' }
  /** Redis could not be asked or did not answer in time: the caller applies onError. */
  | { kind: 'unavailable' }

export interface RedisTier {
  readonly onError: 'open' | 'closed'
  get(key: string): Promise<SharedLookup>
  /** Writes in the background; a failure is counted, never thrown. */
  set(key: string, result: DiagnosticResult): void
  /** Waits (up to 2 s) for the first connection, so the first claims after start-up find it. */
  ready(): Promise<void>
  close(): Promise<void>
}

export const REDIS_TIER_DEFAULTS = { prefix: 'qwed:cache:', commandTimeoutMs: 100, onError: 'open' as const }
/** After a failure, Redis is left alone this long, so an outage costs one timeout, not one per claim. */
const COOLDOWN_MS = 1_000
const READY_WAIT_MS = 2_000

class CommandTimeout extends Error {}

/**
 * The shared second tier. Keys carry the package version: another release may judge a claim
 * differently, so replicas of two versions during a rolling deploy do not share verdicts.
 */
export function createRedisTier (options: RedisCacheOptions, secret: string, ttlMs: number, count: (event: RedisTierEvent) => void, now: () => number = Date.now): RedisTier {
  const prefix = (options.prefix ?? REDIS_TIER_DEFAULTS.prefix) + QWED_MIDDLEWARE_VERSION + ':'
  const timeoutMs = options.commandTimeoutMs ?? REDIS_TIER_DEFAULTS.commandTimeoutMs
  const onError = options.onError ?? REDIS_TIER_DEFAULTS.onError
  const connection: RedisConnection = connectRedis({
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.client === undefined ? {} : { client: options.client }),
    commandTimeoutMs: timeoutMs,
    onClientError: () => {}
  }, 'cache.redis')
  const { client } = connection
  let failedAt = Number.NEGATIVE_INFINITY

  async function command<T> (run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        run(),
        new Promise<never>((resolve, reject) => { timer = setTimeout(() => reject(new CommandTimeout()), timeoutMs) })
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  function failed (err: unknown): void {
    failedAt = now()
    count(err instanceof CommandTimeout || /timed? ?out/i.test(String((err as Error)?.message)) ? 'timeout' : 'error')
  }

  return {
    onError,
    async get (key) {
      let state = connection.state()
      // Just started: the first claims wait for the first connection, at most one command timeout.
      if (state === 'starting' && await connection.whenReady(timeoutMs)) state = 'ready'
      if (state !== 'ready' || now() - failedAt < COOLDOWN_MS) {
        count('skipped')
        return { kind: 'unavailable' }
      }
      const full = prefix + key
      let value: string | null
      try {
        value = await command(async () => await client.get(full))
      } catch (err) {
        failed(err)
        return { kind: 'unavailable' }
      }
      if (value === null) {
        count('miss')
        return { kind: 'miss' }
      }
      const opened = openEntry(secret, full, value)
      if (!opened.ok) {
        count(opened.reason)
        return { kind: 'miss' }
      }
      count('hit')
      return { kind: 'hit', result: opened.result }
    },
    set (key, result) {
      const state = connection.state()
      if (state === 'down' || now() - failedAt < COOLDOWN_MS) return
      const full = prefix + key
      const value = sealEntry(secret, full, result)
      const args: Array<string | number> = ttlMs > 0 ? ['PX', ttlMs] : []
      const store = (): void => { command(async () => await client.set(full, value, ...args)).then(() => count('store'), failed) }
      // In the background, so a write made before the first connection is not lost.
      if (state === 'ready') store()
      else connection.whenReady(READY_WAIT_MS).then((ready) => { if (ready) store() }, () => {})
    },
    ready: async () => { await connection.whenReady(READY_WAIT_MS) },
    close: async () => { await connection.close() }
  }
}
