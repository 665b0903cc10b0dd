import t from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { qwed } from '../lib/fastify.js'
import { qwedExpress } from '../lib/express.js'
import { createHealthCheck } from '../lib/health.js'
import { createVerifier } from '../lib/verifier.js'
import { scriptEngine } from './helpers/engines.js'

const silent = { info () {}, warn () {}, error () {} }
// Opens at the first failure, and stays open for the test.
const tripping = { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 600_000 }
const failingStore = { append () { throw new Error('disk full') }, query: () => [], verifyChain: () => { throw new Error('unused') } }

async function fastifyApp (options: Record<string, unknown> = {}): Promise<ReturnType<typeof Fastify>> {
  const app = Fastify({ logger: false })
  await app.register(qwed, { warmUp: false, extraEngines: [scriptEngine()], audit: { logger: silent }, ...options })
  return app
}

t.test('Fastify: ready and live by default at /qwed/health', async (t) => {
  const app = await fastifyApp()
  t.teardown(async () => { await app.close() })
  const ready = await app.inject('/qwed/health')
  t.equal(ready.statusCode, 200)
  t.equal(ready.headers['cache-control'], 'no-store')
  t.match(ready.json(), { status: 'ready', checks: { engines: { ok: true, warmUp: 'not_started' }, audit: null, remote: null } })
  t.ok(ready.json().checks.engines.breakers.some((b: any) => b.name === 'script' && b.breaker === 'closed'))
  const live = await app.inject('/qwed/health/live')
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'alive' })
})

t.test('Fastify: an open breaker makes it 503; health false serves nothing; a custom path', async (t) => {
  const app = await fastifyApp({ breaker: tripping, health: { cacheMs: 0 } })
  t.teardown(async () => { await app.close() })
  await app.qwed.verify({ type: 'script', verdict: 'throw' } as never)
  await app.qwed.verify({ type: 'script', verdict: 'throw' } as never)
  const res = await app.inject('/qwed/health')
  t.equal(res.statusCode, 503)
  t.equal(res.json().status, 'not_ready')
  t.ok(res.json().checks.engines.breakers.some((b: any) => b.name === 'script' && b.breaker === 'open'))
  const none = await fastifyApp({ health: false })
  t.teardown(async () => { await none.close() })
  t.equal((await none.inject('/qwed/health')).statusCode, 404)
  const custom = await fastifyApp({ health: { path: '/ready' } })
  t.teardown(async () => { await custom.close() })
  t.equal((await custom.inject('/ready')).statusCode, 200)
  t.equal((await custom.inject('/ready/live')).statusCode, 200)
  await t.rejects(fastifyApp({ health: { path: 'ready' } }), /health\.path/)
})

t.test('an audit store that cannot write makes it 503; so does a failing probe', async (t) => {
  const app = await fastifyApp({ audit: { logger: silent, store: failingStore, queue: { flushIntervalMs: 1 } }, health: { cacheMs: 0 } })
  t.teardown(async () => { await app.close() })
  t.equal((await app.inject('/qwed/health')).statusCode, 200, 'writable until a write fails')
  await app.qwed.verify({ type: 'script', verdict: 'true' } as never)
  await app.qwed.audit?.flush()
  const res = await app.inject('/qwed/health')
  t.equal(res.statusCode, 503)
  t.match(res.json().checks.audit, { ok: false, reason: 'write_error' })

  const probing = createVerifier({ extraEngines: [scriptEngine()], audit: { logger: silent, store: { ...failingStore, append () {}, probe () { throw new Error('read-only') } } } })
  t.teardown(async () => { await probing.close() })
  const answer = await createHealthCheck(probing, { timeoutMs: 1000, cacheMs: 0 }).readiness()
  t.equal(answer.statusCode, 503)
  t.match(answer.body, { checks: { audit: { ok: false, reason: 'probe_failed' } } })
})

t.test('closing, warm-up and the cache of a readiness answer', async (t) => {
  let clock = 0
  let failing = false
  const engine = { ...scriptEngine(), async warmUp () { if (failing) throw new Error('cannot load') } }
  const verifier = createVerifier({ extraEngines: [engine], audit: false })
  const check = createHealthCheck(verifier, { timeoutMs: 1000, cacheMs: 1000 }, () => clock)
  t.equal((await check.readiness()).statusCode, 200)
  failing = true
  await t.rejects(verifier.warmUp())
  t.equal((await check.readiness()).statusCode, 200, 'the answer is reused within cacheMs')
  clock = 1000
  const failed = await check.readiness()
  t.equal(failed.statusCode, 503)
  t.match(failed.body, { checks: { engines: { warmUp: 'failed' } } })
  const closing = verifier.close()
  t.same(await check.readiness(), { statusCode: 503, body: { status: 'closing', checks: null } })
  await closing
})

t.test('the QWED server\'s /health is part of readiness', async (t) => {
  let healthy = true
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/health') res.end(JSON.stringify({ status: healthy ? 'healthy' : 'degraded' }))
    else res.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const verifier = createVerifier({ remote: { url, apiKey: 'test-key-1' }, audit: false })
  t.teardown(async () => { await verifier.close() })
  const check = createHealthCheck(verifier, { timeoutMs: 1000, cacheMs: 0 })
  const ok = await check.readiness()
  t.equal(ok.statusCode, 200)
  t.match(ok.body, { checks: { remote: { ok: true } } })
  healthy = false
  const bad = await check.readiness()
  t.equal(bad.statusCode, 503)
  t.match(bad.body, { checks: { remote: { ok: false } } })
})

t.test('Express over 127.0.0.1: the same answers, at the path and as handlers', async (t) => {
  const qwedMw = qwedExpress({ warmUp: false, extraEngines: [scriptEngine()], audit: { logger: silent }, breaker: tripping, health: { cacheMs: 0 } })
  const app = express()
  app.use(qwedMw)
  app.get('/internal/ready', qwedMw.health)
  app.get('/internal/live', qwedMw.liveness)
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.teardown(async () => {
    server.close()
    await qwedMw.close()
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const get = async (path: string): Promise<{ status: number, body: any }> => {
    const res = await fetch(base + path)
    return { status: res.status, body: await res.json() }
  }
  t.match(await get('/qwed/health'), { status: 200, body: { status: 'ready' } })
  t.match(await get('/qwed/health/live'), { status: 200, body: { status: 'alive' } })
  t.match(await get('/internal/ready'), { status: 200 })
  t.match(await get('/internal/live'), { status: 200 })
  await qwedMw.verifier.verify({ type: 'script', verdict: 'throw' } as never)
  await qwedMw.verifier.verify({ type: 'script', verdict: 'throw' } as never)
  t.match(await get('/qwed/health'), { status: 503, body: { status: 'not_ready' } })
  t.match(await get('/internal/ready'), { status: 503 })
})
