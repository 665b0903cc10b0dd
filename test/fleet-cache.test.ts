import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import qwed from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import { createVerifier, type Verifier } from '../lib/verifier.js'
import { QwedOptionsError } from '../lib/errors.js'
import { setPeerLoader } from '../lib/optional-peer.js'
import { openEntry, sealEntry } from '../lib/cache/entry.js'
import { scriptEngine, type ScriptEngine } from './helpers/engines.js'
import { missingServer, runChild, startPrivateRedis } from './helpers/fleet.js'

// Child processes and private servers: slower than the suite's default per-file limit on a loaded box.
t.setTimeout(300_000)

const SECRET = 'test-cache-secret-' + 'x'.repeat(32)
const silent = { info () {}, warn () {}, error () {} }
// One prefix per test (and per run): parallel test files and reruns never share keys.
const prefix = (name: string): string => `qwed-test:${name}:${randomBytes(4).toString('hex')}:`

/** The error `fn` throws (tap's throws() reads a function argument as a class). */
function thrown (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('did not throw')
}

async function cacheEvent (verifier: Verifier, tier: string, event: string): Promise<number> {
  const metric = await verifier.metrics.registry.getSingleMetric('qwed_cache_events_total')?.get()
  return metric?.values.find((v) => v.labels.tier === tier && v.labels.event === event)?.value ?? 0
}

/**
 * A verifier with the shared tier, connected (warmUp waits for the first connection, as an app's
 * start-up would). Only the script engine is warmed: warming every engine would load mathjs and Z3
 * for claims these tests never make (seconds of CPU on a shared machine).
 */
async function scriptVerifier (t: Test, redis: Record<string, unknown>, engine: ScriptEngine = scriptEngine()): Promise<{ verifier: Verifier, engine: ScriptEngine }> {
  const verifier = createVerifier({ extraEngines: [engine], audit: { logger: silent }, cache: { redis: { secret: SECRET, ...redis } } })
  t.teardown(() => verifier.close())
  await verifier.warmUp(['script'])
  return { verifier, engine }
}

t.test('options: a shared cache needs a secret, and no error repeats it or the URL', async (t) => {
  const saved = process.env.QWED_CACHE_SECRET
  delete process.env.QWED_CACHE_SECRET
  t.teardown(() => { if (saved !== undefined) process.env.QWED_CACHE_SECRET = saved })
  const url = 'redis://:hunter2-password@127.0.0.1:1'
  const noSecret = thrown(() => createVerifier({ cache: { redis: { url } } }))
  t.ok(noSecret instanceof QwedOptionsError)
  t.match(noSecret.message, /cache\.redis\.secret/)
  t.match(noSecret.message, /QWED_CACHE_SECRET/)
  t.notMatch(noSecret.message, /hunter2/)
  const short = 'too-short-secret'
  const shortError = thrown(() => createVerifier({ cache: { redis: { url, secret: short } } }))
  t.match(shortError.message, /at least 32/)
  t.notOk(shortError.message.includes(short))
  process.env.QWED_CACHE_SECRET = 'short-env-secret'
  const shortEnv = thrown(() => createVerifier({ cache: { redis: { url } } }))
  t.match(shortEnv.message, /QWED_CACHE_SECRET\) must be at least/)
  t.notOk(shortEnv.message.includes('short-env-secret'))
  delete process.env.QWED_CACHE_SECRET
  t.throws(() => createVerifier({ cache: { redis: { secret: SECRET } } }), /exactly one of url/)
  const badUrl = thrown(() => createVerifier({ cache: { redis: { url: 'http://:hunter2@127.0.0.1:1', secret: SECRET } } }))
  t.match(badUrl.message, /redis:\/\//)
  t.notMatch(badUrl.message, /hunter2/)
  t.throws(() => createVerifier({ cache: { redis: { client: {} as any, secret: SECRET } } }), /get, set, eval/)
  t.throws(() => createVerifier({ cache: { redis: { url, secret: SECRET, onError: 'maybe' as any } } }), /cache\.redis\.onError/)
  t.throws(() => createVerifier({ cache: { redis: { url, secret: SECRET, prefix: '' } } }), /cache\.redis\.prefix/)
  t.throws(() => createVerifier({ cache: { redis: { url, secret: SECRET, port: 1 } as any } }), /cache\.redis\.port.*not a known option/)
})

t.test('options: without the optional package ioredis, registration names it', async (t) => {
  const restore = setPeerLoader((name) => {
    throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' })
  })
  t.teardown(restore)
  const err = thrown(() => createVerifier({ cache: { redis: { url: 'redis://127.0.0.1:1', secret: SECRET } } }))
  t.ok(err instanceof QwedOptionsError)
  t.match(err.message, /"ioredis".*npm install ioredis/)
})

t.test('entries: the HMAC binds the key and the value', async (t) => {
  const verdict = { status: 'VERIFIED' as const, agent_message: 'ok', developer_fields: { is_valid: true }, proof_ref: 'sha256:' + 'a'.repeat(64), is_authoritative: true }
  const sealed = sealEntry(SECRET, 'k1', verdict)
  t.same(openEntry(SECRET, 'k1', sealed), { ok: true, result: verdict })
  t.same(openEntry(SECRET, 'k2', sealed), { ok: false, reason: 'forged' }, 'moved to another key')
  t.same(openEntry('another-secret-' + 'y'.repeat(32), 'k1', sealed), { ok: false, reason: 'forged' }, 'another secret')
  t.same(openEntry(SECRET, 'k1', sealed.replace('"ok"', '"OK"')), { ok: false, reason: 'forged' }, 'value altered')
  t.same(openEntry(SECRET, 'k1', 'v1.zz.{}'), { ok: false, reason: 'forged' }, 'malformed')
  t.same(openEntry(SECRET, 'k1', sealEntry(SECRET, 'k1', { nope: true } as any)), { ok: false, reason: 'invalid' }, 'authentic but not a verdict')
})

const redisSkip = missingServer('REDIS_URL')
if (redisSkip !== null) {
  t.comment(`skipping the Redis tests: ${redisSkip}`)
  t.test('shared cache against a real Redis', { skip: redisSkip }, async () => {})
} else {
  const REDIS_URL = process.env.REDIS_URL as string

  t.test('two processes share verdicts through Redis', async (t) => {
    const keyPrefix = prefix('share')
    // Each child is its own process with its own first tier; only Redis connects them.
    const code = `
const { createVerifier } = await import('./lib/verifier.ts')
const verifier = createVerifier({ audit: false, cache: { redis: { url: process.env.URL, prefix: process.env.PREFIX, secret: process.env.SECRET } } })
// warmUp() also waits for the shared tier's first connection; only math is warmed (the claims are
// math: loading Z3 and the grammars in each child would cost seconds and show nothing here).
await verifier.warmUp(['math'])
const results = []
for (const expression of ['2+2=4', '0.1+0.2=0.3', '2+2=5']) results.push(await verifier.verify({ type: 'math', expression }))
await new Promise((resolve) => setTimeout(resolve, 100))
process.stdout.write(JSON.stringify({ results }) + '\\n')
await verifier.close()
`
    const env = { URL: REDIS_URL, PREFIX: keyPrefix, SECRET }
    const first = runChild(code, env)
    const a = await first.waitFor((l) => l.results !== undefined)
    t.equal((await first.exited).code, 0, first.stderr())
    const second = runChild(code, env)
    const b = await second.waitFor((l) => l.results !== undefined)
    t.equal((await second.exited).code, 0, second.stderr())
    t.same(a.results.map((r: any) => [r.status, r.cached]), [['VERIFIED', false], ['VERIFIED', false], ['UNVERIFIABLE', false]])
    t.same(b.results.map((r: any) => [r.status, r.cached]), [['VERIFIED', true], ['VERIFIED', true], ['UNVERIFIABLE', true]], 'the second process got every verdict from Redis')
    t.same(b.results.map((r: any) => r.proof_ref), a.results.map((r: any) => r.proof_ref))
    const client = new Redis(REDIS_URL)
    t.teardown(() => client.quit())
    const keys = await client.keys(keyPrefix + '*')
    t.equal(keys.length, 3)
    t.ok(keys.every((k) => k.startsWith(keyPrefix)))
  })

  t.test('a forged or moved Redis entry is never served: the claim is verified again and counted', async (t) => {
    const keyPrefix = prefix('forge')
    const client = new Redis(REDIS_URL)
    t.teardown(() => client.quit())
    const writer = await scriptVerifier(t, { url: REDIS_URL, prefix: keyPrefix })
    const truth = { type: 'script', verdict: 'true', id: 'T' } as any
    const falsehood = { type: 'script', verdict: 'false', id: 'F' } as any
    t.equal((await writer.verifier.verify(truth)).admission, 'ADMIT')
    await waitForKeys(client, keyPrefix, 1)
    const [trueKey] = await client.keys(keyPrefix + '*') as [string]
    t.equal((await writer.verifier.verify(falsehood)).admission, 'BLOCKED')
    await waitForKeys(client, keyPrefix, 2)
    const falseKey = (await client.keys(keyPrefix + '*')).find((k) => k !== trueKey) as string

    // 1. The true claim's genuine entry copied under the false claim's key.
    await client.set(falseKey, await client.get(trueKey) as string)
    const reader = await scriptVerifier(t, { url: REDIS_URL, prefix: keyPrefix })
    const moved = await reader.verifier.verify(falsehood)
    t.equal(moved.admission, 'BLOCKED')
    t.equal(moved.status, 'UNVERIFIABLE')
    t.equal(moved.cached, false)
    t.equal(reader.engine.calls, 1, 'verified again')
    t.equal(await cacheEvent(reader.verifier, 'redis', 'forged'), 1)

    // 2. A forged ADMIT written by someone without the secret.
    const forged = { status: 'VERIFIED', agent_message: 'The claim holds', developer_fields: { is_valid: true, constraint_id: 'script.true' }, proof_ref: 'sha256:' + 'b'.repeat(64), is_authoritative: true }
    await client.set(falseKey, 'v1.' + 'c'.repeat(64) + '.' + JSON.stringify(forged))
    const second = await scriptVerifier(t, { url: REDIS_URL, prefix: keyPrefix })
    t.equal((await second.verifier.verify(falsehood)).admission, 'BLOCKED')
    t.equal(second.engine.calls, 1)
    t.equal(await cacheEvent(second.verifier, 'redis', 'forged'), 1)

    // 3. Sealed with another secret (a replica of another deployment, or a leaked old key).
    await client.set(falseKey, sealEntry('some-other-secret-' + 'z'.repeat(32), falseKey, forged as any))
    const third = await scriptVerifier(t, { url: REDIS_URL, prefix: keyPrefix })
    t.equal((await third.verifier.verify(falsehood)).admission, 'BLOCKED')
    t.equal(await cacheEvent(third.verifier, 'redis', 'forged'), 1)

    // After the re-verification the genuine verdict is written back and served again.
    await waitFor(async () => openEntry(SECRET, falseKey, await client.get(falseKey) ?? '').ok)
    const fourth = await scriptVerifier(t, { url: REDIS_URL, prefix: keyPrefix })
    const again = await fourth.verifier.verify(falsehood)
    t.equal(again.cached, true)
    t.equal(again.status, 'UNVERIFIABLE')
    t.equal(fourth.engine.calls, 0)
  })

  t.test('the first tier answers first; Redis is asked only on a miss', async (t) => {
    const { verifier } = await scriptVerifier(t, { url: REDIS_URL, prefix: prefix('tiers') })
    const claim = { type: 'script', verdict: 'true', id: 'tiers' } as any
    await verifier.verify(claim)
    await verifier.verify(claim)
    await verifier.verify(claim)
    t.equal(await cacheEvent(verifier, 'local', 'hit'), 2)
    t.equal(await cacheEvent(verifier, 'local', 'miss'), 1)
    t.equal(await cacheEvent(verifier, 'redis', 'miss'), 1, 'one Redis lookup, for the one first-tier miss')
    t.equal(await cacheEvent(verifier, 'redis', 'hit'), 0)
  })

  t.test('both adapters take cache.redis: a verdict stored through Fastify is served through Express', async (t) => {
    const keyPrefix = prefix('adapters')
    const cache = { redis: { url: REDIS_URL, prefix: keyPrefix, secret: SECRET } }
    const claims = (payload: { id: string }): any => ({ type: 'script', verdict: 'true', id: payload.id })
    const fastifyEngine = scriptEngine()
    const app = Fastify()
    await app.register(qwed, { warmUp: false, extraEngines: [fastifyEngine], audit: false, cache })
    app.get('/answer', { config: { qwed: { claims } } }, async () => ({ id: 'shared' }))
    t.teardown(() => app.close())
    const first = await app.inject({ method: 'GET', url: '/answer' })
    t.equal(first.statusCode, 200)
    t.equal(fastifyEngine.calls, 1)
    const client = new Redis(REDIS_URL)
    t.teardown(() => client.quit())
    await waitForKeys(client, keyPrefix, 1)

    const expressEngine = scriptEngine()
    const middleware = qwedExpress({ extraEngines: [expressEngine], audit: false, cache })
    t.teardown(() => middleware.close())
    await middleware.verifier.warmUp(['script'])
    const server = express()
    server.use(middleware)
    server.get('/answer', middleware.route({ claims }), (_req, res) => { res.json({ id: 'shared' }) })
    const listening = await new Promise<Server>((resolve) => { const s = server.listen(0, '127.0.0.1', () => resolve(s)) })
    t.teardown(() => new Promise((resolve) => listening.close(resolve)))
    const response = await fetch(`http://127.0.0.1:${(listening.address() as AddressInfo).port}/answer`)
    t.equal(response.status, 200)
    t.equal(expressEngine.calls, 0, 'the Express replica got the verdict from Redis')
    t.equal(await cacheEvent(middleware.verifier, 'redis', 'hit'), 1)

    // A bad shared-cache option fails at registration in both adapters.
    const saved = process.env.QWED_CACHE_SECRET
    delete process.env.QWED_CACHE_SECRET
    t.teardown(() => { if (saved !== undefined) process.env.QWED_CACHE_SECRET = saved })
    const bare = Fastify()
    t.teardown(() => bare.close())
    await t.rejects(async () => { await bare.register(qwed, { cache: { redis: { url: REDIS_URL } } }) }, /cache\.redis\.secret/)
    t.throws(() => qwedExpress({ cache: { redis: { url: REDIS_URL, secret: SECRET, onError: 'never' as any } } }), /cache\.redis\.onError/)
  })

  t.test('an app-supplied client is used as is and left open', async (t) => {
    const client = new Redis(REDIS_URL)
    t.teardown(() => client.quit())
    const keyPrefix = prefix('client')
    t.equal(await client.ping(), 'PONG')
    const engine = scriptEngine()
    const verifier = createVerifier({ extraEngines: [engine], audit: false, cache: { redis: { client, secret: SECRET, prefix: keyPrefix } } })
    await verifier.verify({ type: 'script', verdict: 'true', id: 'c' } as any)
    await waitForKeys(client, keyPrefix, 1)
    await verifier.close()
    t.equal(await client.ping(), 'PONG', 'still open after verifier.close()')
  })

  t.test('Redis frozen, killed and back mid-load: verdicts keep coming (onError open), errors are counted, it reconnects', async (t) => {
    const redis = await startPrivateRedis()
    t.teardown(() => redis.stop())
    // A command timeout short enough to meet a frozen Redis quickly, long enough that a healthy one
    // on a loaded machine answers in time (at 50 ms, 25 of the first 30 lookups once timed out
    // under two busy loops and a load of 6)
    const { verifier, engine } = await scriptVerifier(t, { url: redis.url, prefix: prefix('outage'), commandTimeoutMs: 250 })
    let n = 0
    const load = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const id = n++
        const verdict = id % 3 === 0 ? 'false' : 'true'
        const r = await verifier.verify({ type: 'script', verdict, id } as any)
        // Every answer is the engine's own, whatever Redis does.
        t.equal(r.admission, verdict === 'true' ? 'ADMIT' : 'BLOCKED', `claim ${id}`)
      }
    }
    await load(30)
    t.equal(await cacheEvent(verifier, 'redis', 'miss'), 30)
    redis.proc.kill('SIGSTOP')
    await load(30)
    t.ok(await cacheEvent(verifier, 'redis', 'timeout') >= 1, 'a frozen Redis times out')
    t.ok(await cacheEvent(verifier, 'redis', 'skipped') >= 1, 'and is then left alone for a while')
    redis.proc.kill('SIGCONT')
    // Thawed: once the cooldown is over, new verdicts reach Redis again.
    const storesBefore = await cacheEvent(verifier, 'redis', 'store')
    await waitFor(async () => {
      await verifier.verify({ type: 'script', verdict: 'true', id: `thawed-${n++}` } as any)
      return await cacheEvent(verifier, 'redis', 'store') > storesBefore
    })

    redis.proc.kill('SIGKILL')
    await load(30)
    t.ok(await cacheEvent(verifier, 'redis', 'error') >= 1, 'a dead Redis is an error')
    t.equal(engine.calls >= 90, true, 'the engines answered through the outage')
    const revived = await startPrivateRedis(redis.port)
    t.teardown(() => revived.stop())
    const stores = await cacheEvent(verifier, 'redis', 'store')
    await waitFor(async () => {
      await verifier.verify({ type: 'script', verdict: 'true', id: `after-${n++}` } as any)
      return await cacheEvent(verifier, 'redis', 'store') > stores
    })
    t.pass('the client reconnected by itself and stores again')
  })

  t.test("onError 'closed': a first-tier miss with Redis down is BLOCKED unavailable; first-tier hits still answer", async (t) => {
    const redis = await startPrivateRedis()
    t.teardown(() => redis.stop())
    const { verifier, engine } = await scriptVerifier(t, { url: redis.url, prefix: prefix('closed'), onError: 'closed' })
    const known = { type: 'script', verdict: 'true', id: 'known' } as any
    t.equal((await verifier.verify(known)).admission, 'ADMIT')
    redis.proc.kill('SIGKILL')
    await redis.stop()
    const r = await verifier.verify({ type: 'script', verdict: 'true', id: 'unknown' } as any)
    t.equal(r.status, 'BLOCKED')
    t.equal(r.admission, 'BLOCKED')
    t.match(r.developer_fields, { constraint_id: 'script.unavailable', reason: 'cache_unavailable' })
    t.equal(engine.calls, 1, 'the engine was not asked: the option says fail closed')
    const hit = await verifier.verify(known)
    t.equal(hit.admission, 'ADMIT')
    t.equal(hit.cached, true)
  })
}

async function waitForKeys (client: Redis, keyPrefix: string, count: number): Promise<void> {
  await waitFor(async () => (await client.keys(keyPrefix + '*')).length >= count)
}

/** Polls until `check` holds (background writes land a moment after verify() returns). */
async function waitFor (check: () => Promise<boolean>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('condition not reached')
}
