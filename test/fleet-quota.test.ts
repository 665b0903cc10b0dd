import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { createVerifier, type Verifier } from '../lib/verifier.js'
import { QwedOptionsError } from '../lib/errors.js'
import { startQwedServer, type QwedTestServer } from './helpers/qwed-server.js'
import { missingServer, startPrivateRedis } from './helpers/fleet.js'

const silent = { info () {}, warn () {}, error () {} }
const prefix = (name: string): string => `qwed-test-quota:${name}:${randomBytes(4).toString('hex')}:`
const math = (n: number): any => ({ type: 'math', expression: `${n} + 1 = ${n + 1}` })

/** One replica: its own verifier and its own Redis connection; only Redis is shared. */
function replica (t: Test, server: QwedTestServer, redisUrl: string, keyPrefix: string, extra: Record<string, unknown> = {}): Verifier {
  const verifier = createVerifier({
    audit: { logger: silent },
    cache: false,
    engines: { math: 'remote' },
    remote: { url: server.url, apiKey: server.apiKey, ratePerMinute: 5, timeoutMs: 3000, retries: 0, quota: { redis: { url: redisUrl, prefix: keyPrefix } }, ...extra }
  })
  t.teardown(() => verifier.close())
  return verifier
}

async function quotaEvents (verifier: Verifier, event: string): Promise<number> {
  const metric = await verifier.metrics.registry.getSingleMetric('qwed_remote_quota_events_total')?.get()
  return metric?.values.find((v) => v.labels.event === event)?.value ?? 0
}

t.test('options: remote.quota is checked and never repeats the URL', async (t) => {
  const remote = { url: 'http://127.0.0.1:1', apiKey: 'qwed_live_key' }
  const cases: Array<[unknown, string]> = [
    [{ redis: {} }, 'remote.quota.redis'],
    [{ redis: { url: 'http://:hunter2@127.0.0.1:1' } }, 'remote.quota.redis.url'],
    [{ redis: { url: 'redis://127.0.0.1:1', port: 1 } }, 'remote.quota.redis.port'],
    [{ redis: { client: {} } }, 'remote.quota.redis.client'],
    [{ redis: { url: 'redis://127.0.0.1:1', commandTimeoutMs: 0 } }, 'remote.quota.redis.commandTimeoutMs'],
    [{ local: true }, 'remote.quota.local'],
    ['redis', 'remote.quota']
  ]
  for (const [quota, option] of cases) {
    let error: unknown
    try {
      createVerifier({ remote: { ...remote, quota } as any, engines: { math: 'remote' } })
    } catch (err) {
      error = err
    }
    t.ok(error instanceof QwedOptionsError, JSON.stringify(quota))
    t.equal((error as QwedOptionsError).option, option)
    t.notMatch((error as Error).message, /hunter2/)
  }
})

const redisSkip = missingServer('REDIS_URL')
if (redisSkip !== null) {
  t.comment(`skipping the shared quota tests: ${redisSkip}`)
  t.test('shared remote quota against a real Redis', { skip: redisSkip }, async () => {})
} else {
  const REDIS_URL = process.env.REDIS_URL as string

  t.test('two replicas share one per-minute limit: together they send no more than it', async (t) => {
    const server = await startQwedServer()
    t.teardown(() => server.close())
    const keyPrefix = prefix('share')
    const a = replica(t, server, REDIS_URL, keyPrefix)
    const b = replica(t, server, REDIS_URL, keyPrefix)
    const results = []
    for (let i = 0; i < 4; i++) {
      results.push(await a.verify(math(i)))
      results.push(await b.verify(math(100 + i)))
    }
    t.equal(server.verifyCalls(), 5, 'the fleet sent exactly its limit')
    const limited = results.filter((r) => r.developer_fields.reason === 'rate_limited')
    t.equal(limited.length, 3)
    t.ok(limited.every((r) => r.status === 'BLOCKED' && r.admission === 'BLOCKED' && r.developer_fields.limiter === 'client'), 'refused claims fail closed')
    t.equal(results.filter((r) => r.admission === 'ADMIT').length, 5)
    t.equal(await quotaEvents(a, 'reserved') + await quotaEvents(b, 'reserved'), 5)
  })

  t.test('a 429 to one replica pauses the whole fleet until Retry-After', async (t) => {
    const server = await startQwedServer()
    t.teardown(() => server.close())
    const keyPrefix = prefix('pause')
    const a = replica(t, server, REDIS_URL, keyPrefix, { ratePerMinute: 100 })
    const b = replica(t, server, REDIS_URL, keyPrefix, { ratePerMinute: 100 })
    t.equal((await b.verify(math(1))).admission, 'ADMIT')
    server.inject({ kind: 'rate-limit', retryAfter: '30' })
    const limited = await a.verify(math(2))
    t.match(limited.developer_fields, { reason: 'rate_limited', limiter: 'server' })
    await waitFor(async () => await quotaEvents(a, 'paused') === 1)
    const before = server.requests.length
    // B never got a 429 itself, yet it holds back: its deadline (3 s) ends long before the pause.
    const held = await b.verify(math(3))
    t.match(held.developer_fields, { reason: 'rate_limited', limiter: 'client' })
    t.equal(server.requests.length, before, 'nothing was sent while the fleet is paused')
  })

  t.test('Redis unreachable: each replica falls back to its own limit and counts it', async (t) => {
    const server = await startQwedServer()
    t.teardown(() => server.close())
    const redis = await startPrivateRedis()
    const a = replica(t, server, redis.url, prefix('down'), { ratePerMinute: 2 })
    t.equal((await a.verify(math(1))).admission, 'ADMIT')
    t.equal(await quotaEvents(a, 'reserved'), 1)
    await redis.stop()
    t.equal((await a.verify(math(2))).admission, 'ADMIT', 'the local limit still lets it through')
    t.ok(await quotaEvents(a, 'local') >= 1, 'the local decision is counted')
    const third = await a.verify(math(3))
    t.match(third.developer_fields, { reason: 'rate_limited', limiter: 'client' }, 'and still limits, counting what went out through Redis')
    t.equal(server.verifyCalls(), 2)
  })
}

async function waitFor (check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('condition not reached')
}
