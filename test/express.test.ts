// Express-specific behaviour of qwed-middleware/express. What both adapters share is in
// test/adapters-behaviour.test.ts; here: misuse, option errors, res.json/res.send interception,
// headers already sent, a client that leaves, the deadline, metrics, req.log, double use.
import { request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import express, { type ErrorRequestHandler, type Express, type Request } from 'express'
import { QwedOptionsError, type QwedOutcome } from '../lib/index.js'
import { DEADLINE_MARGIN_MS, qwedExpress, type QwedExpressMiddleware } from '../lib/express.js'
import { buildExpressServer } from '../examples/express-server.js'
import { captureLogger, scriptEngine, scriptGate, type ScriptClaim } from './helpers/engines.js'
import { manualTimers, turnsUntil } from './helpers/manual-timers.js'

type Verdict = ScriptClaim['verdict']
const scriptClaims = (payload: { verdict: Verdict }) => ({ type: 'script', verdict: payload.verdict }) as any

async function listen (app: Express): Promise<string> {
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** An app with one verified route, GET /answer?v=<verdict>, answering { answer, verdict } with res.json. */
async function build (options: Record<string, unknown> = {}, routeOptions: Record<string, unknown> = {}) {
  const engine = scriptEngine()
  const qwed = qwedExpress({ warmUp: false, extraEngines: [engine], audit: false, ...options })
  t.teardown(() => qwed.close())
  const app = express()
  const seen: { req?: Request, errors: unknown[] } = { errors: [] }
  app.use(qwed)
  app.get('/answer', qwed.route({ claims: scriptClaims, ...routeOptions }), (req, res) => {
    seen.req = req
    res.json({ answer: 42, verdict: (req.query.v as Verdict | undefined) ?? 'true' })
  })
  return { app, qwed, engine, seen }
}

function errorHandler (errors: unknown[]): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    errors.push(err)
    res.status(500).json({ error: err instanceof Error ? err.message : String(err) })
  }
}

async function until (check: () => boolean, ms = 2000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5))
}

t.test('app.use(qwedExpress) without calling it: an error that says how to use it', async (t) => {
  const app = express()
  const errors: unknown[] = []
  app.use(qwedExpress as any)
  app.get('/', (_req, res) => { res.send('unreachable') })
  app.use(errorHandler(errors))
  const base = await listen(app)
  const res = await fetch(base)
  t.equal(res.status, 500)
  t.equal(errors.length, 1)
  t.type(errors[0], TypeError)
  t.match((errors[0] as Error).message, 'call qwedExpress(options) and use its result')

  // Called by hand the same way: next gets the error, nothing is returned.
  const got: unknown[] = []
  const fakeReq = { method: 'GET', url: '/', headers: {} }
  t.equal((qwedExpress as any)(fakeReq, {}, (err: unknown) => got.push(err)), undefined)
  t.match((got[0] as Error).message, 'call qwedExpress(options)')
})

t.test('qwed.route used without calling it: an error that says how to use it', async (t) => {
  const qwed = qwedExpress({ audit: false })
  t.teardown(() => qwed.close())
  const app = express()
  const errors: unknown[] = []
  app.get('/r', qwed.route as any, (_req, res) => { res.send('unreachable') })
  app.use(errorHandler(errors))
  const base = await listen(app)
  t.equal((await fetch(`${base}/r`)).status, 500)
  t.match((errors[0] as Error).message, 'call qwed.route(routeOptions) and use its result')
  t.throws(() => (qwed.route as any)({ method: 'GET', url: '/', headers: {} }), /call qwed\.route\(routeOptions\)/)
})

t.test('bad options throw QwedOptionsError naming the option, at the factory call', async (t) => {
  const cases: Array<[unknown, string]> = [
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
    [{ breaker: { timeout: 0 } }, 'breaker.timeout'],
    [{ audit: { logger: {} } }, 'audit.logger'],
    [{ unknownThing: 1 }, 'unknownThing'],
    ['enforce', 'options']
  ]
  for (const [options, name] of cases) {
    let err: unknown
    try {
      qwedExpress(options as any)
    } catch (e) {
      err = e
    }
    t.ok(err instanceof QwedOptionsError, name)
    t.equal((err as QwedOptionsError).option, name)
  }
})

t.test('bad route options throw when qwed.route() is called, not on the first request', async (t) => {
  const qwed = qwedExpress({ audit: false })
  t.teardown(() => qwed.close())
  const cases: Array<[unknown, RegExp]> = [
    [{}, /"routeOptions\.claims" is required/],
    [{ claims: 'x' }, /"routeOptions\.claims" must be a function/],
    [{ claims: () => null, mode: 'loud' }, /"routeOptions\.mode" must be one of/],
    [{ claims: () => null, sampleRate: -1 }, /"routeOptions\.sampleRate"/],
    [{ claims: () => null, retries: 3 }, /"routeOptions\.retries" is not a known option/],
    ['yes', /"routeOptions" must be an object/]
  ]
  for (const [config, message] of cases) t.throws(() => qwed.route(config as any), message)
})

t.test('res.send(object) goes res.send -> res.json -> res.send in Express 5: verified once', async (t) => {
  const engine = scriptEngine()
  const qwed = qwedExpress({ warmUp: false, extraEngines: [engine], audit: false, cache: false })
  t.teardown(() => qwed.close())
  const app = express()
  app.get('/send-object', qwed.route({ claims: scriptClaims }), (req, res) => {
    res.send({ verdict: req.query.v })
  })
  app.get('/buffer', qwed.route({ claims: (text: string) => ({ type: 'script', verdict: text.includes('right') ? 'true' : 'false' }) as any }), (_req, res) => {
    res.type('text/plain').send(Buffer.from('the right answer'))
  })
  const base = await listen(app)
  const ok = await fetch(`${base}/send-object?v=true`)
  t.equal(ok.status, 200)
  t.match(ok.headers.get('content-type'), /^application\/json/)
  t.equal(ok.headers.get('x-qwed-status'), 'VERIFIED')
  t.same(await ok.json(), { verdict: 'true' })
  t.equal(engine.calls, 1, 'verified once, not again as the serialised string')
  const bad = await fetch(`${base}/send-object?v=false`)
  t.equal(bad.status, 422)
  t.equal((await bad.json() as any).code, 'QWED_BLOCKED')
  t.equal(engine.calls, 2)
  const buf = await fetch(`${base}/buffer`)
  t.equal(buf.status, 200)
  t.equal(await buf.text(), 'the right answer', 'a Buffer body is decoded for claims() and sent as it was')
  t.equal(buf.headers.get('x-qwed-status'), 'VERIFIED')
})

t.test('another res.json wrapper (express-mung style) before the route: verified once, its change kept', async (t) => {
  const engine = scriptEngine()
  const qwed = qwedExpress({ warmUp: false, extraEngines: [engine], audit: false })
  t.teardown(() => qwed.close())
  const app = express()
  app.use((_req, res, next) => {
    const json = res.json
    res.json = function (body: unknown) { return json.call(this, { ...(body as object), stamped: true }) }
    next()
  })
  app.get('/x', qwed.route({ claims: scriptClaims }), (_req, res) => { res.send({ verdict: 'true' }) })
  const base = await listen(app)
  const res = await fetch(`${base}/x`)
  t.equal(res.status, 200)
  t.same(await res.json(), { verdict: 'true', stamped: true })
  t.equal(engine.calls, 1)
})

t.test('a second res.json while the first is being verified is ignored', async (t) => {
  const engine = scriptEngine()
  const capture = captureLogger()
  const qwed = qwedExpress({ warmUp: false, extraEngines: [engine], audit: { logger: capture.logger } })
  t.teardown(() => qwed.close())
  const app = express()
  app.get('/twice', qwed.route({ claims: scriptClaims }), (_req, res) => {
    res.json({ verdict: 'true', n: 1 })
    res.json({ verdict: 'false', n: 2 })
  })
  const base = await listen(app)
  const res = await fetch(`${base}/twice`)
  t.equal(res.status, 200)
  t.same(await res.json(), { verdict: 'true', n: 1 })
  t.equal(engine.calls, 1)
  t.ok(capture.records.some((r) => r.msg?.includes('sent twice')), 'a warning says so')
})

t.test('headers already sent: no interception, Express answers as it always does', async (t) => {
  const { app, qwed, engine } = await build()
  let thrown: unknown
  let outcome: QwedOutcome | null | undefined
  app.get('/flushed', qwed.route({ claims: scriptClaims }), (req, res) => {
    res.status(200).type('application/json')
    res.flushHeaders()
    try {
      res.json({ verdict: 'false' })
    } catch (err) {
      thrown = err
    }
    outcome = req.qwed
    res.end('{"raw":true}')
  })
  const base = await listen(app)
  const res = await fetch(`${base}/flushed`)
  t.equal(res.status, 200)
  t.equal(await res.text(), '{"raw":true}')
  t.equal((thrown as { code?: string }).code, 'ERR_HTTP_HEADERS_SENT', 'the same error Express throws without the middleware')
  t.match(outcome, { decision: 'skip', skipped: 'headers_sent' })
  t.equal(engine.calls, 0)
})

t.test('the client leaves before verification ends: nothing is written, nothing rejects', async (t) => {
  const engine = scriptEngine()
  const qwed = qwedExpress({ warmUp: false, extraEngines: [engine], audit: false })
  t.teardown(() => qwed.close())
  const app = express()
  const writes: string[] = []
  const errors: unknown[] = []
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.teardown(() => { process.off('unhandledRejection', onRejection) })
  let blockedCalls = 0
  const reqs: Request[] = []
  app.use((req, res, next) => {
    reqs.push(req)
    for (const name of ['writeHead', 'write', 'end'] as const) {
      const original = res[name] as (...args: unknown[]) => unknown
      ;(res as any)[name] = function (...args: unknown[]) {
        writes.push(`${name}${res.destroyed ? ' after close' : ''}`)
        return original.apply(this, args)
      }
    }
    next()
  })
  app.get('/slow', qwed.route({
    claims: (p: { verdict: Verdict }) => ({ type: 'script', verdict: p.verdict, delayMs: 150 }) as any,
    onBlocked: () => { blockedCalls++; return { blocked: true } }
  }), (req, res) => {
    res.json({ verdict: req.query.v })
    held?.()
  })
  app.use(errorHandler(errors))
  const base = await listen(app)
  let held: (() => void) | undefined

  for (const verdict of ['true', 'false']) {
    const before = reqs.length
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${base}/slow?v=${verdict}`)
      req.on('error', () => {})
      // The client leaves once the response is held for verification (which takes 150 ms).
      held = () => { req.destroy(); resolve() }
      req.end()
    })
    await until(() => reqs.length > before && reqs[before]?.qwed !== null)
    const served = reqs[before] as Request
    t.match(served.qwed, { decision: verdict === 'true' ? 'admit' : 'block' }, `verdict ${verdict} recorded on req.qwed`)
    await new Promise((resolve) => setTimeout(resolve, 30))
  }
  t.same(writes, [], 'no header and no byte was written for either response')
  t.equal(blockedCalls, 0, 'onBlocked is not asked to answer a client that left')
  t.same(errors, [])
  t.same(rejections, [])
  t.equal(engine.calls, 2)
})

t.test('the deadline: a verification that never ends answers by the unavailable policy', async (t) => {
  const never = () => new Promise<never>(() => {})
  const closed = await build({ breaker: { timeout: 50, resetTimeout: 7000 } }, { claims: never })
  const base = await listen(closed.app)
  // a manual clock: the response must still be held 1 ms before the deadline and answered at it
  const timers = manualTimers()
  t.teardown(() => timers.restore())
  const deadline = 50 + DEADLINE_MARGIN_MS
  let answered = false
  const pending = fetch(`${base}/answer`).then((res) => { answered = true; return res })
  t.ok(await turnsUntil(() => timers.pending().includes(deadline)), 'the deadline is armed: the breaker timeout plus the margin')
  timers.advance(deadline - 1)
  await turnsUntil(() => answered, 50)
  t.equal(answered, false, 'still held 1 ms before the deadline')
  timers.advance(1)
  const res = await pending
  timers.restore()
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '7')
  t.equal(res.headers.get('x-qwed-status'), 'BLOCKED')
  t.match(await res.json(), { code: 'QWED_UNAVAILABLE' })
  t.match(closed.seen.req?.qwed, { decision: 'fail_closed', results: [{ engine: 'verifier', developer_fields: { constraint_id: 'verifier.unavailable', reason: 'deadline', deadline_ms: deadline } }] })
  t.match(await (await fetch(`${base}/metrics`)).text(), 'qwed_unavailable_total{route="/answer",policy="closed"} 1')

  const open = await build({ breaker: { timeout: 50 }, onUnavailable: 'open' }, { enabled: never })
  const res2 = await fetch(`${await listen(open.app)}/answer`)
  t.equal(res2.status, 200, 'a flag that never answers is held to the same deadline')
  t.equal(res2.headers.get('x-qwed-status'), 'UNVERIFIED')
  t.same(await res2.json(), { answer: 42, verdict: 'true' })
})

t.test('the deadline: a verification that finishes late does not overwrite the answer given', async (t) => {
  const late = () => new Promise((resolve) => setTimeout(() => resolve({ type: 'script', verdict: 'false' }), 50 + DEADLINE_MARGIN_MS + 150))
  const { app, seen } = await build({ breaker: { timeout: 50 } }, { claims: late })
  const base = await listen(app)
  t.equal((await fetch(`${base}/answer`)).status, 503)
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.match(seen.req?.qwed, { decision: 'fail_closed' }, 'req.qwed keeps the outcome that was answered')
  const metrics = await (await fetch(`${base}/metrics`)).text()
  t.match(metrics, 'qwed_verifications_total{engine="script",route="/answer",status="UNVERIFIABLE",admission="BLOCKED",mode="enforce"} 1', 'the late verification is still recorded')
  t.notMatch(metrics, /qwed_blocked_responses_total\{/, 'but not counted as a blocked response')

  const inTime = await build({ breaker: { timeout: 400 } }, { claims: () => ({ type: 'script', verdict: 'true', delayMs: 200 }) })
  t.equal((await fetch(`${await listen(inTime.app)}/answer`)).status, 200, 'work inside the breaker timeout is waited for')
})

t.test('metrics: served at metrics.endpoint by the middleware, or by .metrics on an internal app', async (t) => {
  const { app, qwed } = await build()
  const base = await listen(app)
  await fetch(`${base}/answer?v=true`)
  await fetch(`${base}/answer?v=false`)
  const res = await fetch(`${base}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain/)
  const text = await res.text()
  t.match(text, 'qwed_verifications_total{engine="script",route="/answer",status="VERIFIED",admission="ADMIT",mode="enforce"} 1')
  t.match(text, 'qwed_blocked_responses_total{route="/answer",mode="enforce"} 1')
  t.notMatch(text, /v=true/, 'labels carry the route pattern, never the raw URL')
  t.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 404, 'only GET')

  const internal = express()
  internal.get('/internal/metrics', qwed.metrics)
  const internalRes = await fetch(`${await listen(internal)}/internal/metrics`)
  t.equal(internalRes.status, 200)
  t.match(await internalRes.text(), 'qwed_blocked_responses_total{route="/answer",mode="enforce"} 1', 'the same registry, on another port')

  const moved = await build({ metrics: { endpoint: '/internal/metrics' } })
  const movedBase = await listen(moved.app)
  t.equal((await fetch(`${movedBase}/internal/metrics`)).status, 200)
  t.equal((await fetch(`${movedBase}/metrics`)).status, 404)
  const none = await build({ metrics: { endpoint: null } })
  t.equal((await fetch(`${await listen(none.app)}/metrics`)).status, 404)
})

t.test('audit: req.log (pino-http) first, then audit.logger', async (t) => {
  const requestLog = captureLogger()
  const configured = captureLogger()
  const engine = scriptEngine()
  const qwed = qwedExpress({ warmUp: false, extraEngines: [engine], audit: { logger: configured.logger } })
  t.teardown(() => qwed.close())
  const app = express()
  // What pino-http does: req.id and a child logger carrying it on req.log.
  app.use((req, _res, next) => {
    if (req.headers['x-with-log'] === '1') Object.assign(req, { id: 'req-7', log: requestLog.logger.child({ reqId: 'req-7' }) })
    next()
  })
  app.use(qwed)
  app.get('/x', qwed.route({ claims: scriptClaims }), (req, res) => { res.json({ verdict: req.query.v }) })
  app.get('/throws', qwed.route({ claims: (p: any) => p.missing.field }), (_req, res) => { res.json({}) })
  const base = await listen(app)

  await fetch(`${base}/x?v=true`, { headers: { 'x-with-log': '1' } })
  const records = requestLog.records.filter((r) => r.audit === 'qwed.verification')
  t.equal(records.length, 1)
  t.match(records[0], { reqId: 'req-7', request_id: 'req-7', route: '/x', decision: 'admit', status: 'VERIFIED' })
  t.equal(configured.records.length, 0, 'req.log wins over audit.logger')

  await fetch(`${base}/x?v=false`)
  t.equal(configured.records.length, 1, 'without req.log: audit.logger')
  t.match(configured.records[0], { route: '/x', decision: 'block', level: 40 })
  t.match(configured.records[0]?.request_id, /^[0-9a-f-]{36}$/, 'a request id is made when the app has none')

  const thrown = await fetch(`${base}/throws`, { headers: { 'x-with-log': '1' } })
  t.equal(thrown.status, 422)
  t.ok(requestLog.records.some((r) => r.level === 50 && r.msg.includes('claims() threw')), 'the claims() error is logged through req.log')
})

t.test('app.use(qwed) twice, and two wrappers on one route, are harmless', async (t) => {
  const engine = scriptEngine()
  const qwed = qwedExpress({ warmUp: false, extraEngines: [engine], audit: false })
  t.teardown(() => qwed.close())
  const app = express()
  app.use(qwed)
  app.use(qwed)
  const wrapper = qwed.route({ claims: scriptClaims })
  let outcome: unknown
  app.get('/x', wrapper, wrapper, (req, res) => { res.json({ verdict: 'true' }); outcome = req.qwed })
  app.get('/plain', (req, res) => { res.json({ qwed: req.qwed }) })
  const base = await listen(app)
  const res = await fetch(`${base}/x`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-qwed-status'), 'VERIFIED')
  t.equal(engine.calls, 1, 'verified once, not twice')
  t.equal((await fetch(`${base}/metrics`)).status, 200)
  t.same(await (await fetch(`${base}/plain`)).json(), { qwed: null }, 'req.qwed is null on a route that is not verified')
  t.equal(outcome, null, 'right after res.json the verdict is not in yet')
})

t.test('onBlocked may answer itself with res.status().json(); if it throws, the app\'s error handler answers', async (t) => {
  const answered = await build({}, { onBlocked: (_o: unknown, _req: unknown, res: any) => res.status(409).json({ conflict: true }) })
  const base = await listen(answered.app)
  const res = await fetch(`${base}/answer?v=false`)
  t.equal(res.status, 409)
  t.same(await res.json(), { conflict: true })
  t.equal(res.headers.get('x-qwed-status'), 'UNVERIFIABLE')

  const throwing = await build({}, { onBlocked: () => { throw new Error('onBlocked broke') } })
  throwing.app.use(errorHandler(throwing.seen.errors))
  const res2 = await fetch(`${await listen(throwing.app)}/answer?v=false`)
  t.equal(res2.status, 500)
  t.match((throwing.seen.errors[0] as Error).message, 'onBlocked broke')
})

t.test('shadow: answered before the verification ends; req.qwed set when it does', async (t) => {
  // the engine answers only when the gate opens, after the response is in hand
  const open = scriptGate('express-shadow')
  const { app, seen, engine } = await build({ mode: 'shadow' }, { claims: () => ({ type: 'script', verdict: 'false', gate: 'express-shadow' }) })
  const base = await listen(app)
  const res = await fetch(`${base}/answer`)
  t.equal(res.status, 200)
  t.same(await res.json(), { answer: 42, verdict: 'true' })
  t.equal(engine.calls, 1, 'the engine was asked')
  t.equal(engine.settled, 0, 'answered while the verification was still running')
  t.equal(seen.req?.qwed ?? null, null, 'no outcome yet')
  t.equal(res.headers.get('x-qwed-status'), null)
  open()
  await until(() => seen.req?.qwed != null)
  t.match(seen.req?.qwed, { decision: 'shadow' })
})

t.test('a route without qwed.route() is never held', async (t) => {
  const { app, engine } = await build()
  app.get('/plain', (_req, res) => { res.json({ plain: true }) })
  const res = await fetch(`${await listen(app)}/plain`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-qwed-status'), null)
  t.equal(engine.calls, 0)
})

t.test('qwed.verifier is the verifier; the types fit Express', async (t) => {
  const qwed: QwedExpressMiddleware = qwedExpress({ audit: false, mode: 'shadow', onUnavailable: 'open' })
  t.teardown(() => qwed.close())
  const direct = await qwed.verifier.verify({ type: 'math', expression: '2 + 2 = 4' })
  t.equal(direct.admission, 'ADMIT')
  // Never called: only compiled.
  const mistakes = (): void => {
    // @ts-expect-error: mode is a closed set
    qwedExpress({ mode: 'enforse' })
    // @ts-expect-error: claims, inputs or sanitize is required
    qwed.route({ mode: 'shadow' })
    // @ts-expect-error: a claim needs its engine's fields
    qwed.route({ claims: () => ({ type: 'math' }) })
  }
  t.type(mistakes, 'function')
  const app = express()
  app.post('/typed', qwed.route({
    claims: (payload: { calc: string }, req) => ({ type: 'math', expression: payload.calc + (req.headers['x-a'] ?? '') }),
    enabled: async (req) => req.headers['x-beta'] === '1',
    onBlocked: (outcome, _req, res) => { res.status(409); return { status: outcome.status } }
  }), (req, res) => {
    const outcome: QwedOutcome | null | undefined = req.qwed
    res.json({ calc: '1 + 1 = 2', seen: outcome ?? null })
  })
  t.ok(app)
})

t.test('the example server: right answers admitted, wrong ones blocked, the invoice route only records', async (t) => {
  const { app, qwed } = buildExpressServer({ logger: false, audit: false })
  t.teardown(() => qwed.close())
  const base = await listen(app)
  const post = async (url: string, body: unknown) => await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

  const right = await post('/loan-quote', { principal: 1000, ratePercent: 5, years: 2 })
  t.equal(right.status, 200)
  t.equal((await right.json() as any).totalRepaid, '1102.5')
  t.equal(right.headers.get('x-qwed-status'), 'VERIFIED')
  const wrong = await post('/loan-quote', { principal: 1000, ratePercent: 5, years: 3 })
  t.equal(wrong.status, 422)
  t.equal((await wrong.json() as any).code, 'QWED_BLOCKED')
  t.equal((await post('/explain', { a: 12, b: 7, c: 5 })).status, 200)
  t.equal((await post('/explain', { a: 13, b: 7, c: 5 })).status, 422)
  const shadowWrong = await post('/invoice', { prices: ['19.99', '5.01', '3.50'], taxPercent: 8 })
  t.equal(shadowWrong.status, 200, 'shadow mode sends even a wrong total')
  t.equal((await shadowWrong.json() as any).total, '30.50')
})
