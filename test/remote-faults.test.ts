// The remote engine when things go wrong: credentials, rate limits, 5xx, refused and reset
// connections, hangs, slow bodies, garbage, the breaker (with its /health probe), and the
// Fastify plugin's onUnavailable policies. Every claim must end, with the reason its fault calls
// for (a timeout only where the server never answers), no promise may be left rejected, and the API
// key must not appear in any log line. No assertion reads the clock: the machine is shared, so a
// reason or an order of events shows what an elapsed time would.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import qwed from '../lib/index.js'
import { createVerifier } from '../lib/verifier.js'
import { createRemoteEngine } from '../lib/engines/remote.js'
import type { Claim } from '../types/claims.js'
import type { VerifierOptions } from '../types/options.js'
import { captureLogger } from './helpers/engines.js'
import { closedPortUrl, startQwedServer } from './helpers/qwed-server.js'

process.on('unhandledRejection', (err) => { t.fail(`unhandled rejection: ${String(err)}`) })

let seq = 0
/** A math claim never seen before (no cache hit). */
const math = (): Claim => { seq++; return { type: 'math', expression: `${seq} + 1 = ${seq + 1}` } }

// A long deadline by default: each attempt gets a third of it, and a loaded test machine must not
// turn a slow answer into a retry.
async function setup (t: Test, remote: Record<string, unknown> = {}, options: Partial<VerifierOptions> = {}) {
  const server = await startQwedServer()
  const audit = captureLogger()
  const verifier = createVerifier({
    remote: { url: server.url, apiKey: server.apiKey, timeoutMs: 10_000, ...remote },
    engines: { math: 'remote' },
    audit: { logger: audit.logger },
    ...options
  })
  t.teardown(async () => {
    await verifier.close()
    await server.close()
  })
  return { server, verifier, audit, registry: verifier.metrics.registry }
}

async function metricValue (registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
  return match?.value ?? 0
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('401: BLOCKED remote.auth_error, not retried, not a breaker failure, not cached, logged once without the key', async (t) => {
  const { server, verifier, audit, registry } = await setup(t, { apiKey: 'qwed_live_wrong_key_0123456789' }, { breaker: { volumeThreshold: 2 } })
  const claim = math()
  for (let i = 0; i < 6; i++) {
    const r = await verifier.verify(claim)
    t.match(r, { status: 'BLOCKED', admission: 'BLOCKED', engine: 'remote', cached: false })
    t.match(r.developer_fields, { constraint_id: 'remote.auth_error', http_status: 401, detail: 'Invalid or inactive API key' })
  }
  t.equal(server.verifyCalls(), 6, 'one request per claim: never retried, never cached')
  t.equal(await metricValue(registry, 'qwed_breaker_state', { engine: 'remote' }), 0, 'the breaker stays closed')
  const warnings = audit.records.filter((r) => r.qwed_remote === 'remote.auth_error')
  t.equal(warnings.length, 1, 'logged once')
  t.match(warnings[0], { http_status: 401, endpoint: '/verify/math' })
  t.ok(audit.lines.every((line) => !line.includes('qwed_live_wrong_key_0123456789')), 'the key is in no log line')
})

t.test('403 (inactive organization) is an auth error too; 422 (key header dropped on the way) is remote.rejected', async (t) => {
  const { server, verifier, audit } = await setup(t, {}, { cache: false })
  const inactive = createVerifier({ remote: { url: server.url, apiKey: server.inactiveKey }, engines: { math: 'remote' }, audit: { logger: audit.logger } })
  t.teardown(() => inactive.close())
  const r403 = await inactive.verify(math())
  t.match(r403.developer_fields, { constraint_id: 'remote.auth_error', http_status: 403, detail: 'Organization is inactive or does not exist' })

  server.dropKeyHeader = true
  const r422 = await verifier.verify(math())
  t.match(r422, { status: 'BLOCKED', admission: 'BLOCKED' })
  t.match(r422.developer_fields, { constraint_id: 'remote.rejected', http_status: 422, detail: 'header.x-api-key: Field required' })
  await verifier.verify(math())
  t.equal(audit.records.filter((r) => r.qwed_remote === 'remote.rejected').length, 1, 'logged once')
  t.ok(audit.lines.every((line) => !line.includes(server.apiKey) && !line.includes(server.inactiveKey)))
})

t.test('429: waits Retry-After inside the deadline, then answers; a breaker timeout shorter than remote.timeoutMs does not cut it', async (t) => {
  const { server, verifier, registry } = await setup(t, { timeoutMs: 3000 }, { breaker: { timeout: 200 } })
  // The server answers 429 again to a request that comes before its Retry-After: two calls in all
  // show the client waited the second out.
  server.inject({ kind: 'rate-limit', retryAfter: '1', enforce: true })
  const r = await verifier.verify(math())
  t.equal(r.status, 'VERIFIED')
  t.equal(server.verifyCalls(), 2, 'the retry came after Retry-After')
  t.equal(await metricValue(registry, 'qwed_remote_retries_total', { reason: 'rate_limited' }), 1)
})

t.test('429 past the deadline: BLOCKED as unavailable at once, not a breaker failure, not cached', async (t) => {
  const { server, verifier, registry } = await setup(t, { timeoutMs: 1000 }, { breaker: { volumeThreshold: 1 } })
  const claim = math()
  server.inject({ kind: 'rate-limit', retryAfter: '30' }, { kind: 'rate-limit', retryAfter: '30' })
  const r = await verifier.verify(claim)
  t.match(r, { status: 'BLOCKED', admission: 'BLOCKED' })
  // rate_limited, not timeout: a client that waited would have met its 1 s deadline first.
  t.match(r.developer_fields, { constraint_id: 'remote.unavailable', reason: 'rate_limited', limiter: 'server', retry_after_ms: 30_000, retry_after_s: 30 })
  t.ok(verifier.retryAfterSeconds <= 30 && verifier.retryAfterSeconds >= 29, `the server's Retry-After, not the breaker's 30 s reset by chance (${verifier.retryAfterSeconds})`)
  t.equal(await metricValue(registry, 'qwed_remote_quota_remaining'), 0, 'the bucket is paused after a 429')
  t.equal(await metricValue(registry, 'qwed_breaker_state', { engine: 'remote' }), 0, 'the breaker stays closed')
  // The pause holds other claims back too, then passes.
  const second = await verifier.verify(math())
  t.equal(second.developer_fields.reason, 'rate_limited')
  t.equal(second.developer_fields.limiter, 'client')
  t.ok(Number(second.developer_fields.retry_after_s) >= 29, 'a claim held back by the pause says how long it lasts')
  t.equal(server.verifyCalls(), 1, 'the paused client sent nothing more')
})

t.test('the server\'s own per-key limit (sliding minute) turns into rate_limited verdicts', async (t) => {
  const server = await startQwedServer({ perKeyLimit: 2 })
  t.teardown(() => server.close())
  const verifier = createVerifier({ remote: { url: server.url, apiKey: server.apiKey, timeoutMs: 800 }, engines: { math: 'remote' }, audit: false })
  t.teardown(() => verifier.close())
  const results = [await verifier.verify(math()), await verifier.verify(math()), await verifier.verify(math())]
  t.same(results.map((r) => r.status), ['VERIFIED', 'VERIFIED', 'BLOCKED'])
  t.match(results[2]?.developer_fields, { constraint_id: 'remote.unavailable', reason: 'rate_limited', limiter: 'server' })
})

t.test('client token bucket: an empty bucket blocks inside the deadline without a request', async (t) => {
  const { server, verifier, registry } = await setup(t, { ratePerMinute: 2, timeoutMs: 500 })
  const results = await Promise.all([verifier.verify(math()), verifier.verify(math()), verifier.verify(math())])
  t.same(results.map((r) => r.status).sort(), ['BLOCKED', 'VERIFIED', 'VERIFIED'])
  const limited = results.find((r) => r.status === 'BLOCKED')
  t.match(limited?.developer_fields, { constraint_id: 'remote.unavailable', reason: 'rate_limited', limiter: 'client' })
  t.equal(server.verifyCalls(), 2)
  t.equal(await metricValue(registry, 'qwed_remote_quota_remaining'), 0)
})

t.test('plain-text 500: retried with backoff; when it persists the claim is unavailable after retries + 1 attempts', async (t) => {
  const { server, verifier, registry } = await setup(t, { retries: 2, timeoutMs: 3000 })
  server.inject({ kind: 'text-500' })
  const ok = await verifier.verify(math())
  t.equal(ok.status, 'VERIFIED')
  t.equal(await metricValue(registry, 'qwed_remote_retries_total', { reason: 'server_error' }), 1)

  server.always({ kind: 'text-500' })
  const before = server.verifyCalls()
  const r = await verifier.verify(math())
  t.match(r, { status: 'BLOCKED', admission: 'BLOCKED' })
  // engine_error after its attempts, not timeout: the retries ended before the deadline did.
  t.match(r.developer_fields, { constraint_id: 'remote.unavailable', reason: 'engine_error' })
  t.match(r.developer_fields.error, /HTTP 500; 3 attempts/)
  t.equal(server.verifyCalls() - before, 3)
  t.equal(await metricValue(registry, 'qwed_remote_requests_total', { endpoint: '/verify/math', code: '500' }), 4)
})

t.test('refused connection (closed port): retried, then unavailable, well inside the deadline', async (t) => {
  const url = await closedPortUrl()
  const registry = new Registry()
  const verifier = createVerifier({ remote: { url, apiKey: 'qwed_live_x', timeoutMs: 2000 }, engines: { math: 'remote' }, audit: false, metrics: { registry } })
  t.teardown(() => verifier.close())
  const r = await verifier.verify(math())
  t.match(r.developer_fields, { constraint_id: 'remote.unavailable', reason: 'engine_error' })
  t.match(r.developer_fields.error, /ECONNREFUSED/)
  t.equal(await metricValue(registry, 'qwed_remote_retries_total', { reason: 'network_error' }), 2)
  t.equal(await metricValue(registry, 'qwed_remote_requests_total', { endpoint: '/verify/math', code: 'network_error' }), 3)
})

t.test('connection reset: retried on a fresh connection', async (t) => {
  const { server, verifier, registry } = await setup(t)
  server.inject({ kind: 'reset' })
  const r = await verifier.verify(math())
  t.equal(r.status, 'VERIFIED')
  t.equal(server.verifyCalls(), 2)
  t.equal(await metricValue(registry, 'qwed_remote_retries_total', { reason: 'network_error' }), 1)
})

t.test('a hanging server and a slow body: the claim times out inside its deadline and is never sent again', async (t) => {
  // Each fault has its own server and verifier, so the two wait out their deadlines side by side.
  await Promise.all([{ kind: 'hang' as const }, { kind: 'slow-body' as const, delayMs: 50 }].map(async (fault) => {
    const { server, verifier, registry } = await setup(t, { timeoutMs: 900, retries: 2 }, { cache: false })
    server.always(fault)
    const claim = math()
    // The server never finishes its answer: only the client's deadline can end this claim.
    const r = await verifier.verify(claim)
    t.match(r, { status: 'BLOCKED', admission: 'BLOCKED' }, fault.kind)
    t.match(r.developer_fields, { constraint_id: 'remote.unavailable', reason: 'timeout' }, fault.kind)
    // QWED cannot cancel work: a retry would make the server compute the slow claim again
    t.equal(server.verifyCalls(), 1, `${fault.kind}: one attempt only`)
    t.equal(await metricValue(registry, 'qwed_remote_retries_total', { reason: 'timeout' }), 0, fault.kind)
    t.equal(await metricValue(registry, 'qwed_remote_retries_total'), 0, `${fault.kind}: no retry of any kind`)
  }))
})

t.test('garbage JSON in a 200: BLOCKED remote.bad_response, never retried; in a 500: retried', async (t) => {
  const { server, verifier } = await setup(t)
  server.inject({ kind: 'garbage' })
  const r = await verifier.verify(math())
  t.match(r, { status: 'BLOCKED', admission: 'BLOCKED' })
  t.equal(r.developer_fields.constraint_id, 'remote.bad_response')
  t.equal(server.verifyCalls(), 1)
  server.inject({ kind: 'reply', status: 502, body: '<html>Bad Gateway</html>' })
  t.equal((await verifier.verify(math())).status, 'VERIFIED')
  t.equal(server.verifyCalls(), 3)
})

t.test('every claim ends within its deadline, whatever the fault, one at a time or together', async (t) => {
  const deadline = 700
  // A breaker that never opens here, so that every claim meets the fault itself.
  const { server, verifier } = await setup(t, { timeoutMs: deadline }, { breaker: { volumeThreshold: 1000 } })
  const faults = [
    { kind: 'hang' as const }, { kind: 'slow-body' as const, delayMs: 40 }, { kind: 'garbage' as const },
    { kind: 'reset' as const }, { kind: 'text-500' as const }, { kind: 'rate-limit' as const, retryAfter: '5' }
  ]
  server.always({ kind: 'hang' })
  const claims: Claim[] = [...Array.from({ length: 5 }, math), ...Array.from({ length: 5 }, (_, i) => ({ type: 'fact' as const, claim: `c${i}`, context: 'x' }))]
  const results = await verifier.verifyBatch(claims)
  t.ok(results.every((r) => r.admission === 'BLOCKED' && r.developer_fields.reason === 'timeout'), 'a batch of 10 against a hanging server: every claim timed out')
  // The last fault, a 429 past the deadline, pauses the client: it must come last.
  const reasons: Record<string, string[]> = { hang: ['timeout'], 'slow-body': ['timeout'], garbage: ['remote.bad_response'], reset: ['engine_error', 'timeout'], 'text-500': ['engine_error', 'timeout'], 'rate-limit': ['rate_limited'] }
  for (const fault of faults) {
    server.always(fault)
    const r = await verifier.verify(math())
    t.equal(r.admission, 'BLOCKED', fault.kind)
    const reason = String(r.developer_fields.reason ?? r.developer_fields.constraint_id)
    t.ok(reasons[fault.kind]?.includes(reason), `${fault.kind}: ${reason}`)
  }
})

t.test('the breaker opens on failures, probes /health when half-open, and closes when the server is back', async (t) => {
  const { server, verifier, registry } = await setup(t, { retries: 0, timeoutMs: 1000 }, {
    breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeout: 300 },
    cache: false
  })
  const state = async (): Promise<number> => await metricValue(registry, 'qwed_breaker_state', { engine: 'remote' })
  server.always({ kind: 'text-500' })
  await verifier.verify(math())
  await verifier.verify(math())
  t.equal(await state(), 2, 'open')
  const calls = server.verifyCalls()
  const fast = await verifier.verify(math())
  t.match(fast.developer_fields, { constraint_id: 'remote.unavailable', reason: 'breaker_open' })
  t.equal(server.verifyCalls(), calls, 'an open breaker sends nothing')

  // Half-open with an unhealthy server: the probe fails, no claim is sent, the breaker opens again.
  server.always(null)
  server.healthy = false
  await sleep(350)
  t.equal(await state(), 1, 'half-open')
  const probed = await verifier.verify(math())
  t.match(probed.developer_fields, { constraint_id: 'remote.unavailable' })
  t.match(probed.developer_fields.error, /health check/)
  t.equal(server.verifyCalls(), calls, 'the claim was not sent')
  t.equal(server.requests.at(-1)?.path, '/health')
  t.equal(await state(), 2, 'open again')

  // Half-open with a healthy server: /health, then the claim; the breaker closes.
  server.healthy = true
  await sleep(350)
  const r = await verifier.verify(math())
  t.equal(r.status, 'VERIFIED')
  t.same(server.requests.slice(-2).map((q) => q.path), ['/health', '/verify/math'])
  t.equal(await state(), 0, 'closed')
  t.equal((await verifier.verify(math())).status, 'VERIFIED')
  t.equal(server.requests.at(-1)?.path, '/verify/math', 'no probe once closed')
})

t.test('a batched claim whose own time is up stops waiting; the others get their answers; close() ends them all', async (t) => {
  const server = await startQwedServer()
  t.teardown(() => server.close())
  const engine = createRemoteEngine({ url: server.url, apiKey: server.apiKey, timeoutMs: 5000 }, ['fact'])
  t.teardown(() => engine.close?.())
  const signal = (): AbortSignal => new AbortController().signal
  const early = new AbortController()
  server.inject({ kind: 'delay', ms: 300, path: '/verify/batch' })
  const quitter = Promise.resolve(engine.verify({ type: 'fact', claim: 'a', context: 'a' }, { signal: early.signal }))
  const stayer = Promise.resolve(engine.verify({ type: 'fact', claim: 'b', context: 'b' }, { signal: signal() }))
  let answered = false
  stayer.then(() => { answered = true }, () => {})
  const quit = t.rejects(quitter, { code: 'ETIMEDOUT' })
  setTimeout(() => early.abort(new Error('breaker timeout')), 50)
  await quit
  t.notOk(answered, 'the claim stopped waiting before the batch was answered')
  t.equal((await stayer).developer_fields.constraint_id, 'fact_verifier.heuristic_supported')
  t.equal(server.verifyCalls('/verify/batch'), 1)

  server.always({ kind: 'hang' })
  const both = [
    Promise.resolve(engine.verify({ type: 'fact', claim: 'c', context: 'c' }, { signal: signal() })),
    Promise.resolve(engine.verify({ type: 'fact', claim: 'd', context: 'd' }, { signal: signal() }))
  ]
  const ended = Promise.all(both.map(async (p) => await t.rejects(p, { code: 'ECLOSED' })))
  await sleep(50)
  await engine.close?.()
  await ended
})

async function fastifyApp (t: Test, url: string, apiKey: string, onUnavailable: 'open' | 'closed') {
  const log = captureLogger()
  const audit = captureLogger()
  const app = Fastify({ loggerInstance: log.logger })
  // warmUp: false: a claims() function would warm every engine at onReady (Z3 and the grammars
  // included), seconds per app; these routes' math claims take the fast path and need none of it.
  await app.register(qwed, {
    warmUp: false,
    remote: { url, apiKey, timeoutMs: 600, retries: 1 },
    engines: { math: 'local' },
    breaker: { resetTimeout: 4000 },
    onUnavailable,
    audit: { logger: audit.logger, includeClaims: true }
  })
  app.post('/facts', {
    config: {
      qwed: {
        claims: (payload: { sum: string, fact: string }) => [
          { type: 'math', expression: payload.sum },
          { type: 'fact', claim: payload.fact, context: 'The office opens at nine.' }
        ]
      }
    }
  }, async (request) => request.body)
  t.teardown(() => app.close())
  return { app, lines: () => [...log.lines, ...audit.lines] }
}

t.test('Fastify: onUnavailable closed answers 503, open sends the response marked UNVERIFIED; the key is in no log line', async (t) => {
  const down = await closedPortUrl()
  const key = 'qwed_live_fastify_secret_987654321'
  const body = { sum: '2 + 2 = 4', fact: `The office opens at nine (${key})` }

  const closed = await fastifyApp(t, down, key, 'closed')
  const res = await closed.app.inject({ method: 'POST', url: '/facts', payload: body })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '4')
  t.match(res.json(), { code: 'QWED_UNAVAILABLE' })

  const open = await fastifyApp(t, down, key, 'open')
  const res2 = await open.app.inject({ method: 'POST', url: '/facts', payload: body })
  t.equal(res2.statusCode, 200)
  t.equal(res2.headers['x-qwed-status'], 'UNVERIFIED')
  t.same(res2.json(), body)

  // A server that rate-limits past the deadline is an outage to the client too.
  const server = await startQwedServer()
  t.teardown(() => server.close())
  server.always({ kind: 'rate-limit', retryAfter: '60' })
  const limitedBody = { sum: '2 + 2 = 4', fact: `The office opens at nine (${server.apiKey})` }
  const limited = await fastifyApp(t, server.url, server.apiKey, 'closed')
  const limitedRes = await limited.app.inject({ method: 'POST', url: '/facts', payload: limitedBody })
  t.equal(limitedRes.statusCode, 503)
  // QWED's Retry-After (60 s), not the breaker's reset time (4 s), reaches the client
  const retryAfter = Number(limitedRes.headers['retry-after'])
  t.ok(retryAfter >= 59 && retryAfter <= 60, `Retry-After ${String(limitedRes.headers['retry-after'])}`)
  const limitedOpen = await fastifyApp(t, server.url, server.apiKey, 'open')
  t.equal((await limitedOpen.app.inject({ method: 'POST', url: '/facts', payload: limitedBody })).statusCode, 200)

  for (const [lines, secret] of [[[...closed.lines(), ...open.lines()], key], [[...limited.lines(), ...limitedOpen.lines()], server.apiKey]] as const) {
    t.ok(lines.length > 4, 'Fastify and audit lines were captured')
    t.ok(lines.some((line) => line.includes('[REDACTED]')), 'the key inside a claim was redacted')
    t.ok(lines.every((line) => !line.includes(secret)), 'the key is in no log line')
  }
})

t.test('Fastify: an answered remote claim that is not admitted is a 422, not an outage', async (t) => {
  const server = await startQwedServer()
  t.teardown(() => server.close())
  const { app, lines } = await fastifyApp(t, server.url, server.apiKey, 'open')
  // QWED 7.1 never VERIFIES a fact: an enforced route with a fact claim is blocked.
  const res = await app.inject({ method: 'POST', url: '/facts', payload: { sum: '2 + 2 = 4', fact: 'The office opens at nine' } })
  t.equal(res.statusCode, 422)
  t.equal(res.json().qwed.results[1].status, 'UNVERIFIABLE')
  t.ok(lines().every((line) => !line.includes(server.apiKey)))
})
