import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import qwed, { QwedOptionsError } from '../lib/index.js'
import { captureLogger, scriptEngine, scriptGate, type ScriptClaim } from './helpers/engines.js'

type Verdict = ScriptClaim['verdict']

/** An app whose "LLM" answers { answer, verdict } and whose route claims the verdict via the script engine. */
async function build (pluginOptions: Record<string, unknown> = {}, routeOptions: Record<string, unknown> = {}) {
  const engine = scriptEngine()
  const audit = captureLogger()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: { logger: audit.logger }, ...pluginOptions })
  app.get('/answer', {
    config: { qwed: { claims: (payload: { verdict: Verdict }) => ({ type: 'script', verdict: payload.verdict } as any), ...routeOptions } }
  }, async (request) => ({ answer: 42, verdict: (request.query as { v?: Verdict }).v ?? 'true' }))
  t.teardown(() => app.close())
  return { app, engine, audit }
}

const get = async (app: Pick<FastifyInstance, 'inject'>, url: string) => await app.inject({ method: 'GET', url })

t.test('enforce: a proven answer goes out unchanged with x-qwed-status and x-qwed-proof', async (t) => {
  const { app } = await build()
  const res = await get(app, '/answer?v=true')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { answer: 42, verdict: 'true' })
  t.equal(res.headers['x-qwed-status'], 'VERIFIED')
  t.match(res.headers['x-qwed-proof'], /^sha256:[0-9a-f]{64}$/)
})

t.test('enforce: a false answer becomes 422 QWED_BLOCKED with client-safe results', async (t) => {
  const { app } = await build()
  const res = await get(app, '/answer?v=false')
  t.equal(res.statusCode, 422)
  const body = res.json()
  t.match(body, { statusCode: 422, code: 'QWED_BLOCKED', error: 'Unprocessable Entity', message: String })
  t.equal(body.qwed.status, 'UNVERIFIABLE')
  t.same(body.qwed.results, [{ engine: 'script', status: 'UNVERIFIABLE', admission: 'BLOCKED', agent_message: 'The claim does not hold', proof_ref: null }])
  t.notOk(JSON.stringify(body).includes('script.false'), 'no constraint ids leak to the client by default')
  t.equal(res.headers['x-qwed-status'], 'UNVERIFIABLE')
  t.equal(res.headers['x-qwed-proof'], undefined)
})

t.test('exposeDetails puts developer_fields into the 422 body', async (t) => {
  const { app } = await build({ exposeDetails: true })
  const res = await get(app, '/answer?v=blocked')
  t.equal(res.json().qwed.status, 'BLOCKED')
  t.equal(res.json().qwed.results[0].developer_fields.constraint_id, 'script.refused')
})

t.test('onBlocked answers instead of the default body; the 422 stands unless it changes the code', async (t) => {
  const seen: unknown[] = []
  const { app } = await build({}, {
    onBlocked: (outcome: any, request: any) => {
      seen.push(outcome.decision, typeof request.id)
      return { sorry: true, status: outcome.status }
    }
  })
  const res = await get(app, '/answer?v=false')
  t.equal(res.statusCode, 422)
  t.same(res.json(), { sorry: true, status: 'UNVERIFIABLE' })
  t.same(seen, ['block', 'string'])

  const custom = await build({ onBlocked: (_o: unknown, _req: unknown, reply: any) => { reply.code(409); return { conflict: 1 } } })
  const res2 = await get(custom.app, '/answer?v=false')
  t.equal(res2.statusCode, 409)
  t.same(res2.json(), { conflict: 1 })

  const fallthrough = await build({ onBlocked: () => undefined })
  t.equal((await get(fallthrough.app, '/answer?v=false')).json().code, 'QWED_BLOCKED', 'undefined keeps the default body')
})

t.test('shadow: the response is sent unchanged; the verdict is still recorded, logged and counted', async (t) => {
  const { app, audit } = await build({ mode: 'shadow' })
  let outcome: any
  app.addHook('onResponse', async (request) => { outcome = request })
  const res = await get(app, '/answer?v=false')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { answer: 42, verdict: 'false' })
  t.equal(res.headers['x-qwed-status'], undefined, 'shadow leaves no mark on the response')
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(outcome.qwed.decision, 'shadow')
  t.equal(audit.records.length, 1)
  t.equal(audit.records[0]?.decision, 'shadow')
  t.equal(audit.records[0]?.mode, 'shadow')
  const metrics = (await get(app, '/metrics')).body
  t.match(metrics, 'qwed_blocked_responses_total{route="/answer",mode="shadow"} 1')
})

t.test('shadow does not delay the response while the engine works', async (t) => {
  const engine = scriptEngine()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: false, mode: 'shadow' })
  // the engine answers only when the gate opens, after the response is in hand
  const open = scriptGate('fastify-shadow')
  app.get('/slow', { config: { qwed: { claims: () => ({ type: 'script', verdict: 'true', gate: 'fastify-shadow' } as any) } } }, async () => ({ ok: 1 }))
  t.teardown(() => app.close())
  const res = await get(app, '/slow')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { ok: 1 })
  t.equal(engine.calls, 1, 'the engine was asked')
  t.equal(engine.settled, 0, 'answered while the verification was still running')
  open()
  for (let i = 0; i < 100 && engine.settled === 0; i++) await new Promise((resolve) => setImmediate(resolve))
  t.equal(engine.settled, 1, 'the verification ends behind the response')
})

t.test('per-route mode overrides the plugin mode; mode off skips verification', async (t) => {
  const routeShadow = await build({ mode: 'enforce' }, { mode: 'shadow' })
  t.equal((await get(routeShadow.app, '/answer?v=false')).statusCode, 200)
  const off = await build({ mode: 'off' })
  const res = await get(off.app, '/answer?v=false')
  t.equal(res.statusCode, 200)
  t.equal(off.engine.calls, 0)
  const routeEnforce = await build({ mode: 'off' }, { mode: 'enforce' })
  t.equal((await get(routeEnforce.app, '/answer?v=false')).statusCode, 422)
})

t.test('sampleRate: 0 never verifies, 1 always does, 0.5 verifies about half', async (t) => {
  const none = await build({ sampleRate: 0 })
  for (let i = 0; i < 20; i++) t.equal((await get(none.app, '/answer?v=false')).statusCode, 200)
  t.equal(none.engine.calls, 0)

  const half = await build({ sampleRate: 0.5, cache: false })
  let blockedCount = 0
  for (let i = 0; i < 400; i++) if ((await get(half.app, '/answer?v=false')).statusCode === 422) blockedCount++
  // Binomial(400, 0.5): outside 120..280 has a probability far below 1e-15.
  t.ok(blockedCount > 120 && blockedCount < 280, `blocked ${blockedCount} of 400`)
})

t.test('enabled(): a feature flag per request, may be async; an error in it keeps verification on', async (t) => {
  const flagged = await build({ enabled: async (request: any) => request.headers['x-flag'] === 'on' })
  t.equal((await flagged.app.inject({ url: '/answer?v=false', headers: { 'x-flag': 'on' } })).statusCode, 422)
  t.equal((await flagged.app.inject({ url: '/answer?v=false' })).statusCode, 200)
  const broken = await build({ enabled: () => { throw new Error('flag service down') } })
  t.equal((await get(broken.app, '/answer?v=false')).statusCode, 422, 'fail closed')
})

t.test('onUnavailable closed: 503 QWED_UNAVAILABLE with Retry-After; open: sent marked UNVERIFIED', async (t) => {
  const closed = await build({ breaker: { resetTimeout: 5000 } })
  const res = await get(closed.app, '/answer?v=throw')
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.match(res.json(), { statusCode: 503, code: 'QWED_UNAVAILABLE', error: 'Service Unavailable' })
  t.match((await get(closed.app, '/metrics')).body, 'qwed_unavailable_total{route="/answer",policy="closed"} 1')

  const open = await build({ onUnavailable: 'open' })
  const res2 = await get(open.app, '/answer?v=throw')
  t.equal(res2.statusCode, 200)
  t.equal(res2.headers['x-qwed-status'], 'UNVERIFIED')
  t.same(res2.json(), { answer: 42, verdict: 'throw' })
  t.match((await get(open.app, '/metrics')).body, 'qwed_unavailable_total{route="/answer",policy="open"} 1')

  const routeOpen = await build({}, { onUnavailable: 'open' })
  t.equal((await get(routeOpen.app, '/answer?v=throw')).statusCode, 200)
})

t.test('several claims: all must be admitted; the proofs go out comma-separated', async (t) => {
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [scriptEngine()], audit: false })
  app.get('/many', { config: { qwed: { claims: (p: any) => p.ids.map((id: number) => ({ type: 'script', verdict: id === 0 ? 'false' : 'true', id })) } } }, async (request) => ({ ids: (request.query as { ids: string }).ids.split(',').map(Number) }))
  t.teardown(() => app.close())
  const ok = await get(app, '/many?ids=1,2,3')
  t.equal(ok.statusCode, 200)
  t.equal(String(ok.headers['x-qwed-proof']).split(',').length, 3)
  t.match(ok.headers['x-qwed-proof'], /^sha256:[0-9a-f]{64}(,sha256:[0-9a-f]{64}){2}$/)
  const one = await get(app, '/many?ids=1,0,3')
  t.equal(one.statusCode, 422)
  t.same(one.json().qwed.results.map((r: any) => r.admission), ['ADMIT', 'BLOCKED', 'ADMIT'])
})

t.test('a false claim next to an unavailable engine is a block, not an outage', async (t) => {
  const engine = scriptEngine()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: false, onUnavailable: 'open' })
  app.get('/two', { config: { qwed: { claims: () => [{ type: 'script', verdict: 'throw' }, { type: 'script', verdict: 'false' }] as any } } }, async () => ({}))
  t.teardown(() => app.close())
  t.equal((await get(app, '/two')).statusCode, 422)
})

t.test('string payloads are verified in onSend; a block answers JSON', async (t) => {
  const engine = scriptEngine()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: false, cache: false })
  const claims = (payload: string) => ({ type: 'script', verdict: payload.includes('right') ? 'true' : 'false' } as any)
  app.get('/text', { config: { qwed: { claims } } }, async (request, reply) => {
    reply.type('text/plain')
    return (request.query as { t: string }).t
  })
  app.get('/buffer', { config: { qwed: { claims } } }, async (_request, reply) => {
    reply.type('text/plain')
    return Buffer.from('right answer')
  })
  t.teardown(() => app.close())
  const ok = await get(app, '/text?t=the%20right%20answer')
  t.equal(ok.statusCode, 200)
  t.equal(ok.body, 'the right answer')
  t.equal(ok.headers['x-qwed-status'], 'VERIFIED')
  const bad = await get(app, '/text?t=wrong')
  t.equal(bad.statusCode, 422)
  t.match(bad.headers['content-type'], /application\/json/)
  t.equal(bad.json().code, 'QWED_BLOCKED')
  const buf = await get(app, '/buffer')
  t.equal(buf.statusCode, 200)
  t.equal(buf.headers['x-qwed-status'], 'VERIFIED')
  t.equal(engine.calls, 3, 'each response verified once, not again after serialisation')
})

t.test('claims() returning null or [] skips; one that throws fails closed', async (t) => {
  const engine = scriptEngine()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: false })
  let last: any
  app.addHook('onResponse', async (request) => { last = request.qwed })
  app.get('/none', { config: { qwed: { claims: () => null } } }, async () => ({ a: 1 }))
  app.get('/empty', { config: { qwed: { claims: () => [] } } }, async () => ({ a: 1 }))
  app.get('/throws', { config: { qwed: { claims: (p: any) => ({ type: 'math', expression: p.missing.field }) } } }, async () => ({ a: 1 }))
  t.teardown(() => app.close())
  const none = await get(app, '/none')
  t.equal(none.statusCode, 200)
  t.equal(none.headers['x-qwed-status'], undefined)
  t.match(last, { decision: 'skip', skipped: 'no_claims' })
  t.equal((await get(app, '/empty')).statusCode, 200)
  const thrown = await get(app, '/throws')
  t.equal(thrown.statusCode, 422)
  t.equal(thrown.json().qwed.status, 'BLOCKED')
  t.equal(engine.calls, 0)
})

t.test('routes without config.qwed, with qwed:false, and error responses are untouched', async (t) => {
  const { app, engine } = await build()
  app.get('/plain', async () => ({ plain: true }))
  app.get('/optout', { config: { qwed: false } }, async () => ({ out: true }))
  app.get('/fails', { config: { qwed: { claims: () => ({ type: 'script', verdict: 'false' } as any) } } }, async (_req, reply) => {
    reply.code(404)
    return { missing: true }
  })
  const plain = await get(app, '/plain')
  t.equal(plain.statusCode, 200)
  t.equal(plain.headers['x-qwed-status'], undefined)
  t.equal((await get(app, '/optout')).statusCode, 200)
  const fails = await get(app, '/fails')
  t.equal(fails.statusCode, 404)
  t.same(fails.json(), { missing: true })
  t.equal(engine.calls, 0)
})

t.test('request.qwed holds the outcome; fastify.qwed is the verifier', async (t) => {
  const { app } = await build()
  let outcome: any
  app.addHook('onResponse', async (request) => { outcome = request.qwed })
  await get(app, '/answer?v=true')
  t.match(outcome, { mode: 'enforce', decision: 'admit', status: 'VERIFIED' })
  t.equal(outcome.results.length, 1)
  const direct = await app.qwed.verify({ type: 'script', verdict: 'true' } as any)
  t.equal(direct.admission, 'ADMIT')
})

t.test('an existing route hook is kept, ours runs after it', async (t) => {
  const engine = scriptEngine()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: false })
  app.get('/hooked', {
    preSerialization: async (_req: any, _reply: any, payload: any) => ({ ...payload, verdict: 'false' }),
    config: { qwed: { claims: (p: any) => ({ type: 'script', verdict: p.verdict }) as any } }
  }, async () => ({ verdict: 'true' }))
  t.teardown(() => app.close())
  t.equal((await get(app, '/hooked')).statusCode, 422)
})

t.test('registering twice is harmless', async (t) => {
  const engine = scriptEngine()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: false })
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: false })
  app.get('/x', { config: { qwed: { claims: () => ({ type: 'script', verdict: 'true' } as any) } } }, async () => ({}))
  t.teardown(() => app.close())
  t.equal((await get(app, '/x')).statusCode, 200)
  t.equal(engine.calls, 1, 'verified once, not twice')
  t.equal((await get(app, '/metrics')).statusCode, 200)
})

t.test('/metrics: prometheus text of the qwed_ metrics; endpoint configurable or off', async (t) => {
  const { app } = await build()
  await get(app, '/answer?v=true')
  await get(app, '/answer?v=false')
  const res = await get(app, '/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/plain/)
  for (const name of ['qwed_verifications_total', 'qwed_verification_duration_seconds', 'qwed_cache_events_total', 'qwed_breaker_state', 'qwed_blocked_responses_total', 'qwed_unavailable_total']) {
    t.match(res.body, `# TYPE ${name}`)
  }
  t.match(res.body, 'qwed_verifications_total{engine="script",route="/answer",status="VERIFIED",admission="ADMIT",mode="enforce"} 1')
  t.notMatch(res.body, /v=true/, 'labels carry the route pattern, never the raw URL')

  const moved = await build({ metrics: { endpoint: '/internal/metrics' } })
  t.equal((await get(moved.app, '/internal/metrics')).statusCode, 200)
  t.equal((await get(moved.app, '/metrics')).statusCode, 404)
  const none = await build({ metrics: { endpoint: null } })
  t.equal((await get(none.app, '/metrics')).statusCode, 404)
})

t.test('audit: one record per verification through the configured logger, with the request id', async (t) => {
  const { app, audit } = await build()
  await get(app, '/answer?v=true')
  await get(app, '/answer?v=false')
  t.equal(audit.records.length, 2)
  t.match(audit.records[0], { route: '/answer', decision: 'admit', status: 'VERIFIED', level: 30 })
  t.match(audit.records[1], { route: '/answer', decision: 'block', status: 'UNVERIFIABLE', level: 40 })
  t.type(audit.records[0]?.request_id, 'string')
})

t.test('audit defaults to request.log, so the record carries Fastify\'s reqId', async (t) => {
  const capture = captureLogger()
  const app = Fastify({ loggerInstance: capture.logger })
  await app.register(qwed, { warmUp: false, extraEngines: [scriptEngine()] })
  app.get('/x', { config: { qwed: { claims: () => ({ type: 'script', verdict: 'true' } as any) } } }, async () => ({}))
  t.teardown(() => app.close())
  await get(app, '/x')
  const records = capture.records.filter((r) => r.audit === 'qwed.verification')
  t.equal(records.length, 1)
  t.type(records[0]?.reqId, 'string')
  t.equal(records[0]?.reqId, records[0]?.request_id)
})

t.test('bad plugin options fail registration with an error naming the option', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ mode: 'enforse' }, 'mode'],
    [{ sampleRate: 2 }, 'sampleRate'],
    [{ sampleRate: '0.5' }, 'sampleRate'],
    [{ enabled: true }, 'enabled'],
    [{ onUnavailable: 'maybe' }, 'onUnavailable'],
    [{ onBlocked: 'x' }, 'onBlocked'],
    [{ exposeDetails: 1 }, 'exposeDetails'],
    [{ metrics: { endpoint: 'metrics' } }, 'metrics.endpoint'],
    [{ metrics: { path: '/m' } }, 'metrics.path'],
    [{ cache: { ttl: -1 } }, 'cache.ttl'],
    [{ unknownThing: 1 }, 'unknownThing']
  ]
  for (const [options, name] of cases) {
    const app = Fastify()
    app.register(qwed, options as any)
    const err = await app.ready().then(() => null, (e: unknown) => e)
    t.ok(err instanceof QwedOptionsError, name)
    t.equal((err as QwedOptionsError).option, name)
    await app.close()
  }
})

t.test('bad route options fail at route registration with the route in the message', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{}, /claims" is required/],
    [{ claims: 'x' }, /claims" must be a function/],
    [{ claims: () => null, extract: { maxClaims: 5 } }, /extract" goes with claims: 'auto'/],
    [{ claims: 'auto', extract: { jsonschema: {} } }, /config\.qwed \(route \/r\)\.extract" option 'jsonschema' is not an option/],
    [{ claims: 'auto', extract: { maxLength: 0 } }, /extract" option 'maxLength' must be an integer/],
    [{ claims: () => null, mode: 'loud' }, /mode" must be one of/],
    [{ claims: () => null, sampleRate: -1 }, /sampleRate"/],
    [{ claims: () => null, retries: 3 }, /retries" is not a known option/],
    ['yes', /must be an object/]
  ]
  for (const [config, message] of cases) {
    const app = Fastify()
    await app.register(qwed, { audit: false })
    t.throws(() => app.get('/r', { config: { qwed: config as any } }, async () => ({})), message)
    await app.close()
  }
})

t.test('a route with config.qwed the plugin never saw is refused, not served unverified', async (t) => {
  for (const order of ['declared before the plugin', 'plugin registered without await']) {
    const app = Fastify()
    const declare = (): void => {
      app.get('/q', { config: { qwed: { claims: 'auto' } } }, async (_request, reply) => {
        reply.type('text/plain')
        return '2 + 2 = 5'
      })
    }
    if (order === 'declared before the plugin') declare()
    // Not awaited, as in the usual CommonJS style: routes declared next are not seen by onRoute.
    app.register(qwed, { audit: false }).after((err) => { if (err !== null) t.error(err) })
    if (order !== 'declared before the plugin') declare()
    await app.ready()
    const res = await app.inject('/q')
    t.equal(res.statusCode, 500, order)
    t.match(res.json(), { code: 'QWED_ROUTE_NOT_CONFIGURED' })
    t.notMatch(res.body, /2 \+ 2 = 5/, 'the unverified answer never leaves')
    await app.close()
  }
  const app = Fastify()
  await app.register(qwed, { audit: false })
  app.get('/q', { config: { qwed: { claims: 'auto' } } }, async () => 'no claims here')
  app.get('/plain', async () => ({ ok: true }))
  t.equal((await app.inject('/q')).statusCode, 200, 'registered in order: served')
  t.equal((await app.inject('/plain')).statusCode, 200)
  t.equal((await app.inject('/metrics')).statusCode, 200)
  await app.close()
})
