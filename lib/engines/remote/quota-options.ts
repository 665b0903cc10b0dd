import { isRedisUrl } from '../../cache/redis-client.js'
import { QwedOptionsError } from '../../errors.js'

// No message here repeats a value: the URL may hold a password.
/** Checks remote.quota ({ redis: { url | client, prefix?, commandTimeoutMs? } }). */
export function validateRemoteQuota (quota: unknown): void {
  if (quota === null || typeof quota !== 'object' || Array.isArray(quota)) throw new QwedOptionsError('remote.quota', 'must be an object ({ redis: { url } })')
  const { redis, ...rest } = quota as Record<string, unknown>
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) throw new QwedOptionsError(`remote.quota.${unknown}`, 'is not a known option (known: redis)')
  if (redis === null || typeof redis !== 'object' || Array.isArray(redis)) throw new QwedOptionsError('remote.quota.redis', 'must be an object ({ url } or { client })')
  const r = redis as Record<string, unknown>
  for (const key of Object.keys(r)) {
    if (!['url', 'client', 'prefix', 'commandTimeoutMs'].includes(key)) throw new QwedOptionsError(`remote.quota.redis.${key}`, 'is not a known option (known: url, client, prefix, commandTimeoutMs)')
  }
  if ((r.url === undefined) === (r.client === undefined)) throw new QwedOptionsError('remote.quota.redis', 'needs exactly one of url (redis://...) and client (an ioredis client)')
  if (r.url !== undefined && !isRedisUrl(r.url)) throw new QwedOptionsError('remote.quota.redis.url', 'must be a redis:// or rediss:// URL')
  const client = r.client as Record<string, unknown> | null | undefined
  if (client !== undefined && (client === null || typeof client !== 'object' || typeof client.eval !== 'function')) {
    throw new QwedOptionsError('remote.quota.redis.client', 'must be a Redis client with eval (e.g. an ioredis Redis instance)')
  }
  if (r.prefix !== undefined && (typeof r.prefix !== 'string' || r.prefix === '' || r.prefix.length > 200)) {
    throw new QwedOptionsError('remote.quota.redis.prefix', 'must be a non-empty string of at most 200 characters')
  }
  const timeout = r.commandTimeoutMs
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 10_000)) {
    throw new QwedOptionsError('remote.quota.redis.commandTimeoutMs', 'must be an integer between 1 and 10000')
  }
}
