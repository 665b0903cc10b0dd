import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Counter, type Registry } from 'prom-client'
import type { RemoteQuotaOptions } from '../../../types/options.js'
import { connectRedis } from '../../cache/redis-client.js'
import { reuseMetric } from '../../observe/metrics.js'
import type { Quota } from './quota.js'
import { TokenBucket } from './rate-limit.js'

const WINDOW_MS = 60_000
export const REDIS_QUOTA_DEFAULTS = { prefix: 'qwed:quota:', commandTimeoutMs: 100 }
/** After a Redis failure the local bucket decides alone for this long. */
const COOLDOWN_MS = 1_000
const FIRST_CONNECT_MS = 2_000

/**
 * One reservation, atomically (as @fastify/rate-limit's Redis store does with its script): the
 * sliding 60-second window of TokenBucket, shared. KEYS[1] is a sorted set of the send times
 * handed out (ms, Redis's clock, so replicas' clocks do not matter), KEYS[2] the time until which
 * a 429 paused everyone. ARGV: per-minute limit, window, longest wait accepted, a unique member.
 * Returns {delay ms or -1 when the wait would be too long, reservations in the window}.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local at = now
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > at then at = paused end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 and tonumber(last[2]) > at then at = tonumber(last[2]) end
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local nth = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  local free = tonumber(nth[2]) + window
  if free > at then at = free end
end
if at - now > maxWait then return {-1, count} end
redis.call('ZADD', KEYS[1], at, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window + (at - now) + 1000)
return {at - now, count + 1}
`

/** A 429 pauses every replica: the pause ends at the later of the stored and the new time. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[1])
local untilTs = now + ms
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilTs > current then redis.call('SET', KEYS[1], untilTs, 'PX', ms) end
return untilTs
`

/** reserved/refused: by the shared window; local: this replica's own bucket decided (Redis unusable); error: a Redis command failed. */
export type QuotaEvent = 'reserved' | 'refused' | 'error' | 'paused' | 'local'

/**
 * The remote engine's client-side limit shared by the fleet through Redis. The key is derived
 * from a hash of the API key (never the key itself): replicas with the same QWED key share one
 * window. Redis unreachable or slow: this replica falls back to its own TokenBucket (the fleet may
 * then exceed the limit; the server's 429s pause it) and counts the error.
 */
export function createRedisQuota (options: RemoteQuotaOptions, perMinute: number, apiKey: string, registry?: Registry, now: () => number = () => performance.now()): Quota {
  const redis = options.redis
  const timeoutMs = redis.commandTimeoutMs ?? REDIS_QUOTA_DEFAULTS.commandTimeoutMs
  const base = (redis.prefix ?? REDIS_QUOTA_DEFAULTS.prefix) + createHash('sha256').update(apiKey).digest('hex').slice(0, 24)
  const windowKey = base + ':window'
  const pauseKey = base + ':paused'
  const connection = connectRedis({
    ...(redis.url === undefined ? {} : { url: redis.url }),
    ...(redis.client === undefined ? {} : { client: redis.client }),
    commandTimeoutMs: timeoutMs
  }, 'remote.quota.redis')
  const local = new TokenBucket(perMinute, now)
  const events = registry === undefined
    ? null
    : reuseMetric(registry, 'qwed_remote_quota_events_total', () => new Counter({
      name: 'qwed_remote_quota_events_total',
      help: 'Shared (Redis) remote quota: reserved, refused, paused (a 429 shared), error (a Redis command failed), local (Redis unusable: this replica decided alone)',
      labelNames: ['event'] as const,
      registers: [registry]
    }))
  const count = (event: QuotaEvent): void => events?.inc({ event })
  let failedAt = Number.NEGATIVE_INFINITY
  let lastCount = 0
  let pausedUntil = 0
  let sequence = 0
  const member = `${process.pid}:${Math.random().toString(36).slice(2)}:`

  async function run<T> (command: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([command(), new Promise<never>((resolve, reject) => { timer = setTimeout(() => reject(new Error('quota command timed out')), timeoutMs) })])
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    async reserve (latest) {
      let state = connection.state()
      // Just started: wait for the first connection as long as the claim may wait for a token
      // (at most 2 s) rather than let every replica's first requests bypass the shared window.
      if (state === 'starting' && await connection.whenReady(Math.min(FIRST_CONNECT_MS, Math.max(timeoutMs, latest - now())))) state = 'ready'
      const start = now()
      if (state !== 'ready' || start - failedAt < COOLDOWN_MS) {
        count('local')
        return local.reserve(latest)
      }
      try {
        const maxWait = Math.max(0, Math.floor(latest - start))
        const [delay, inWindow] = await run(async () => await connection.client.eval(RESERVE, 2, windowKey, pauseKey, perMinute, WINDOW_MS, maxWait, member + String(sequence++))) as [number, number]
        lastCount = inWindow
        if (delay < 0) {
          count('refused')
          return null
        }
        count('reserved')
        // Mirrored locally, so that a fallback to the local bucket still counts this replica's own use.
        local.reserve(Number.POSITIVE_INFINITY)
        // The delay was measured on Redis's clock; the time spent asking is already gone.
        return Math.max(now(), start + delay)
      } catch {
        failedAt = now()
        count('error')
        count('local')
        return local.reserve(latest)
      }
    },
    pause (until) {
      pausedUntil = Math.max(pausedUntil, until)
      local.pause(until)
      const ms = Math.ceil(until - now())
      if (ms <= 0 || connection.state() !== 'ready') return
      run(async () => await connection.client.eval(PAUSE, 1, pauseKey, ms)).then(() => count('paused'), () => {
        failedAt = now()
        count('error')
      })
    },
    remaining () {
      if (pausedUntil > now()) return 0
      return Math.max(0, perMinute - lastCount)
    },
    close: async () => { await connection.close() }
  }
}
