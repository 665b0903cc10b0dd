// The remote engine against a QWED 7.1 stand-in on 127.0.0.1: routing, what each claim type sends,
// how answers are read (flattened results, admission, malformed bodies), /verify/batch, metrics,
// keep-alive, options, and that the remote and embedded math engines are swappable.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import qwed from '../lib/index.js'
import { createVerifier } from '../lib/verifier.js'
import { QwedOptionsError } from '../lib/errors.js'
import { createRemoteEngine } from '../lib/engines/remote.js'
import { retryAfterMs } from '../lib/engines/remote/http.js'
import { errorDetail } from '../lib/engines/remote/mapping.js'
import { TokenBucket } from '../lib/engines/remote/rate-limit.js'
import type { VerifierOptions } from '../types/options.js'
import { buildRemoteServer } from '../examples/remote-qwed.js'
import { captureLogger } from './helpers/engines.js'
import { startQwedServer, type QwedTestServer } from './helpers/qwed-server.js'

process.on('unhandledRejection', (err) => { t.fail(`unhandled rejection: ${String(err)}`) })

// A long deadline by default: each attempt gets a third of it, and a loaded test machine must not
// turn a slow answer into a retry.
async function setup (t: Test, remote: Record<string, unknown> = {}, options: Partial<VerifierOptions> = {}, server?: QwedTestServer) {
  const qwedServer = server ?? await startQwedServer()
  const audit = captureLogger()
  const verifier = createVerifier({
    remote: { url: qwedServer.url, apiKey: qwedServer.apiKey, timeoutMs: 10_000, ...remote },
    audit: { logger: audit.logger },
    ...options
  })
  t.teardown(async () => {
    await verifier.close()
    if (server === undefined) await qwedServer.close()
  })
  return { server: qwedServer, verifier, audit }
}

const VERIFIED_BODY = {
  status: 'VERIFIED',
  agent_message: 'Identity is true',
  developer_fields: { is_valid: true, result: true },
  proof_ref: 'sha256:' + 'a'.repeat(64),
  is_authoritative: true
}

async function metricValue (registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
  return match?.value ?? 0
}

t.test('routing: with remote, math stays local and fact goes remote; engines moves math; without remote there is no fact engine', async (t) => {
  const { server, verifier } = await setup(t)
  const math = await verifier.verify({ type: 'math', expression: '2 + 2 = 4' })
  t.equal(math.engine, 'math')
  t.equal(server.verifyCalls(), 0, 'a local claim makes no request')
  const fact = await verifier.verify({ type: 'fact', claim: 'Paris is the capital of France', context: 'Paris is the capital of France.' })
  t.equal(fact.engine, 'remote')
  t.equal(server.verifyCalls('/verify/fact'), 1)

  const moved = await setup(t, {}, { engines: { math: 'remote' } })
  const remoteMath = await moved.verifier.verify({ type: 'math', expression: '2 + 2 = 4' })
  t.equal(remoteMath.engine, 'remote')
  t.equal(moved.server.verifyCalls('/verify/math'), 1)

  const local = createVerifier({ audit: false })
  t.teardown(() => local.close())
  const r = await local.verify({ type: 'fact', claim: 'a', context: 'b' })
  t.equal(r.status, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'claim.unknown_type')
})

t.test('with the worker pool on, a pooled engine routed remote leaves the shared pool to the others', async (t) => {
  // Generous deadlines: the first claim boots a worker and Z3.
  const { verifier } = await setup(t, {}, { engines: { math: 'remote' }, pool: { threads: 1, deadlineMs: 20_000 }, breaker: { timeout: 20_000 } })
  const logic = await verifier.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5'] })
  t.equal(logic.engine, 'logic')
  t.equal(logic.status, 'VERIFIED', JSON.stringify(logic.developer_fields))
  t.equal((await verifier.verify({ type: 'math', expression: '1 + 1 = 2' })).engine, 'remote')
})

t.test('each claim type goes to its endpoint with its body and the X-API-Key header', async (t) => {
  const { server, verifier } = await setup(t, {}, { engines: { math: 'remote', sql: 'remote', code: 'remote', logic: 'remote' } })
  await verifier.verify({ type: 'math', expression: '2^3 = 8', domain: 'real' })
  await verifier.verify({ type: 'math', expression: '0.1 + 0.2', expected: '0.3', tolerance: '0.01' })
  await verifier.verify({ type: 'sql', query: 'SELECT id FROM users', schema: 'CREATE TABLE users (id INT)' })
  await verifier.verify({ type: 'sql', query: 'SELECT 1', schema: 'CREATE TABLE t (a INT)', dialect: 'mysql' })
  await verifier.verify({ type: 'code', code: 'print(1)', language: 'python' })
  await verifier.verify({ type: 'fact', claim: 'It rained', context: 'It rained all day.' })
  await verifier.verify({ type: 'natural_language', query: 'What is 2 plus 2?' })
  await verifier.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int', b: 8 }, constraints: ['x > 5', 'b == 3'] })
  const bodies = server.requests.map((r) => [r.path, r.body])
  t.same(bodies, [
    // `^` is a power for the embedded engine and XOR for SymPy: it is sent as `**`.
    ['/verify/math', { expression: '2**3 = 8', context: { domain: 'real' } }],
    // QWED has no tolerance: the exact value is asked, never looser than the claim.
    ['/verify/math', { expression: '0.1 + 0.2 = 0.3' }],
    ['/verify/sql', { query: 'SELECT id FROM users', schema_ddl: 'CREATE TABLE users (id INT)', dialect: 'postgres' }],
    ['/verify/sql', { query: 'SELECT 1', schema_ddl: 'CREATE TABLE t (a INT)', dialect: 'mysql' }],
    ['/verify/code', { code: 'print(1)', language: 'python' }],
    ['/verify/fact', { claim: 'It rained', context: 'It rained all day.' }],
    ['/verify/natural_language', { query: 'What is 2 plus 2?' }],
    ['/verify/logic', { query: 'Is there an assignment of the variables x (Int), b (BitVec 8) that satisfies all of these constraints: x > 5; b == 3?' }]
  ])
  t.ok(server.requests.every((r) => r.apiKey === server.apiKey))
})

t.test('claims QWED cannot check as asked are BLOCKED without a request', async (t) => {
  const { server, verifier } = await setup(t, {}, { engines: { math: 'remote', sql: 'remote', code: 'remote', logic: 'remote' } })
  const cases: Array<[any, string]> = [
    [{ type: 'math', operation: 'derivative', expression: 'x^2', variable: 'x', expected: '2*x' }, 'remote.unsupported_claim'],
    [{ type: 'math', expression: '15% of 200 = 30' }, 'remote.unsupported_claim'],
    [{ type: 'math', expression: '2500 * 1.045^10 = 3882.42', roundedTo: 2 }, 'remote.unsupported_claim'],
    [{ type: 'math', expression: '1 + 1 = 2', expected: 2 }, 'remote.invalid_claim'],
    [{ type: 'math', expression: '1 + 1', expected: 'two' }, 'remote.invalid_claim'],
    [{ type: 'math', expression: '   ' }, 'remote.invalid_claim'],
    [{ type: 'sql', query: 'SELECT 1' }, 'remote.schema_required'],
    [{ type: 'sql', query: 'SELECT 1', schema: 'CREATE TABLE t (a INT)', limits: { maxJoins: 1 } }, 'remote.unsupported_claim'],
    [{ type: 'sql', query: 'SELECT 1', schema: 'CREATE TABLE t (a INT)', dialect: 'oracle' }, 'remote.invalid_claim'],
    [{ type: 'code', code: 'x = input()', language: 'python', taint: true }, 'remote.unsupported_claim'],
    [{ type: 'code', code: 'import subprocess', language: 'python', allow: ['process'] }, 'remote.unsupported_claim'],
    [{ type: 'code', code: 'fetch(url)', language: 'javascript', deny: ['net'] }, 'remote.unsupported_claim'],
    [{ type: 'code', code: 'x', language: 'ruby' }, 'remote.invalid_claim'],
    [{ type: 'fact', claim: 'x', context: '' }, 'remote.invalid_claim'],
    [{ type: 'natural_language', query: 42 }, 'remote.invalid_claim'],
    [{ type: 'logic', check: 'theorem', variables: { p: 'Bool' }, premises: ['p'], conclusion: 'p' }, 'remote.unsupported_claim'],
    [{ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: [] }, 'remote.invalid_claim']
  ]
  for (const [claim, constraint] of cases) {
    const r = await verifier.verify(claim)
    t.equal(r.status, 'BLOCKED', JSON.stringify(claim))
    t.equal(r.admission, 'BLOCKED')
    t.equal(r.developer_fields.constraint_id, constraint, JSON.stringify(claim))
  }
  t.equal(server.requests.length, 0)
})

t.test('answers: flattened results keep the server proof; admission follows QWED\'s rule', async (t) => {
  const { verifier } = await setup(t, {}, { engines: { math: 'remote', sql: 'remote', code: 'remote', logic: 'remote' } })
  const math = await verifier.verify({ type: 'math', expression: '2 + 2 = 4' })
  t.match(math, { status: 'VERIFIED', admission: 'ADMIT', agent_message: 'Identity is true', is_authoritative: true, engine: 'remote' })
  // Python json.dumps of the evidence, as QWED computes it (§3.2): opaque to us, kept as sent.
  t.match(math.proof_ref, /^sha256:[0-9a-f]{64}$/)
  t.match(math.developer_fields, { is_valid: true, left_side: '2 + 2', right_side: '4', simplified_difference: '0' })

  const wrong = await verifier.verify({ type: 'math', expression: '2 + 2 = 5' })
  t.match(wrong, { status: 'UNVERIFIABLE', admission: 'BLOCKED', proof_ref: null, is_authoritative: false })

  const unsafeSql = await verifier.verify({ type: 'sql', query: 'DELETE FROM users', schema: 'CREATE TABLE users (id INT)' })
  t.match(unsafeSql, { status: 'VERIFIED', admission: 'BLOCKED' })
  t.equal(unsafeSql.developer_fields.is_valid, false)
  const safeCode = await verifier.verify({ type: 'code', code: 'print(1)', language: 'python' })
  t.match(safeCode, { status: 'VERIFIED', admission: 'ADMIT' })

  // The control plane's "SAT" stays in developer_fields.status (flattening never overwrites status).
  // No is_valid in the evidence: QWED's admission rule does not admit it.
  const logic = await verifier.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5'] })
  t.match(logic, { status: 'VERIFIED', admission: 'BLOCKED' })
  t.equal(logic.developer_fields.status, 'SAT')

  // Fact and natural-language answers are never VERIFIED in QWED 7.1.
  const fact = await verifier.verify({ type: 'fact', claim: 'It rained', context: 'It rained all day.' })
  t.match(fact, { status: 'UNVERIFIABLE', admission: 'BLOCKED' })
  t.equal(fact.developer_fields.constraint_id, 'fact_verifier.heuristic_supported')
  const refuted = await verifier.verify({ type: 'fact', claim: 'It did not rain', context: 'It rained all day.' })
  t.match(refuted, { status: 'BLOCKED', admission: 'BLOCKED' })
  const nl = await verifier.verify({ type: 'natural_language', query: 'What is 2 plus 2?' })
  t.match(nl, { status: 'UNVERIFIABLE', admission: 'BLOCKED' })
})

t.test('a server-sent admission never upgrades: the stricter one wins', async (t) => {
  const { server, verifier } = await setup(t, {}, { engines: { code: 'remote' }, cache: false })
  const claim = { type: 'code', code: 'print(1)', language: 'python' } as const
  server.inject({ kind: 'reply', status: 200, body: { ...VERIFIED_BODY, admission: 'BLOCKED' } })
  const refused = await verifier.verify(claim)
  t.equal(refused.status, 'VERIFIED')
  t.equal(refused.admission, 'BLOCKED', 'the server refused: not admitted although is_valid was true')
  t.match(refused.developer_fields, { is_valid: false, remote_is_valid: true, remote_admission: 'BLOCKED' })

  server.inject({ kind: 'reply', status: 200, body: { ...VERIFIED_BODY, developer_fields: { is_valid: false }, admission: 'ADMIT' } })
  t.equal((await verifier.verify(claim)).admission, 'BLOCKED', 'the server admitted what our rule does not')

  server.inject({ kind: 'reply', status: 200, body: { ...VERIFIED_BODY } })
  t.equal((await verifier.verify(claim)).admission, 'ADMIT', 'no admission sent: our rule decides')

  server.inject({ kind: 'reply', status: 200, body: { ...VERIFIED_BODY, admission: 'ADMIT' } })
  t.equal((await verifier.verify(claim)).admission, 'ADMIT')
})

t.test('developer fields: the nested object plus unknown top-level keys', async (t) => {
  const { server, verifier } = await setup(t, {}, { engines: { math: 'remote' } })
  server.inject({ kind: 'reply', status: 200, body: { ...VERIFIED_BODY, developer_fields: { is_valid: true, simplified: '4' }, final_answer: 4, confidence: 0.99, simplified: 'stale' } })
  const r = await verifier.verify({ type: 'math', expression: '2 + 2' })
  t.equal(r.admission, 'ADMIT')
  t.match(r.developer_fields, { final_answer: 4, confidence: 0.99, simplified: '4', is_valid: true })
  t.notOk('agent_message' in r.developer_fields)
})

t.test('malformed answers are BLOCKED remote.bad_response: never VERIFIED, never retried, never cached', async (t) => {
  const { server, verifier } = await setup(t, {}, { engines: { math: 'remote' } })
  const bodies: unknown[] = [
    [VERIFIED_BODY],
    'VERIFIED',
    null,
    { ...VERIFIED_BODY, status: 'SAT' },
    { ...VERIFIED_BODY, status: 'verified' },
    { ...VERIFIED_BODY, proof_ref: null, is_authoritative: false },
    { ...VERIFIED_BODY, proof_ref: 'sha256:XYZ' },
    { ...VERIFIED_BODY, proof_ref: 'sha256:' + 'A'.repeat(64) },
    { ...VERIFIED_BODY, status: 'UNVERIFIABLE' },
    { ...VERIFIED_BODY, status: 'BLOCKED', developer_fields: { is_valid: true } },
    { ...VERIFIED_BODY, agent_message: '   ' },
    { ...VERIFIED_BODY, agent_message: 7 },
    { ...VERIFIED_BODY, developer_fields: [1] },
    { ...VERIFIED_BODY, is_authoritative: false },
    { ...VERIFIED_BODY, admission: 'YES' }
  ]
  for (const body of bodies) {
    const before = server.requests.length
    server.inject({ kind: 'reply', status: 200, body }, { kind: 'reply', status: 200, body })
    const claim = { type: 'math', expression: '3 + 3 = 6' } as const
    const r = await verifier.verify(claim)
    t.match(r, { status: 'BLOCKED', admission: 'BLOCKED', proof_ref: null }, JSON.stringify(body))
    t.equal(r.developer_fields.constraint_id, 'remote.bad_response', JSON.stringify(body))
    t.equal(server.requests.length, before + 1, 'a 200 is not retried')
    t.equal((await verifier.verify(claim)).cached, false, 'not cached')
  }
})

t.test('verifyBatch sends concurrent fact, code and SQL claims as /verify/batch in chunks of at most 100', async (t) => {
  const { server, verifier } = await setup(t)
  const claims = Array.from({ length: 250 }, (_, i) => ({
    type: 'fact' as const,
    claim: `Item ${i} ships today`,
    context: i % 2 === 0 ? `Item ${i} ships today.` : 'Nothing is known.'
  }))
  const results = await verifier.verifyBatch(claims)
  const batches = server.requests.filter((r) => r.path === '/verify/batch')
  t.same(batches.map((r) => r.body.items.length).sort((a, b) => a - b), [50, 100, 100])
  t.equal(server.verifyCalls('/verify/fact'), 0)
  t.same(batches[0]?.body.items[0], { query: 'Item 0 ships today', type: 'fact', params: { context: 'Item 0 ships today.' } })
  results.forEach((r, i) => {
    t.equal(r.engine, 'remote')
    t.equal(r.developer_fields.constraint_id, i % 2 === 0 ? 'fact_verifier.heuristic_supported' : 'fact_verifier.inconclusive', `claim ${i} got its own answer`)
  })
  const again = await verifier.verifyBatch(claims)
  t.ok(again.every((r) => r.cached), 'answers are cached')
  t.equal(server.requests.length, batches.length, 'no new request')
})

t.test('a mixed batch: local claims locally, batchable remote claims in one request, the rest one by one', async (t) => {
  const { server, verifier } = await setup(t, {}, { engines: { math: 'remote', sql: 'remote', code: 'remote' } })
  const results = await verifier.verifyBatch([
    { type: 'math', expression: '1 + 1 = 2' },
    { type: 'fact', claim: 'It rained', context: 'It rained.' },
    { type: 'sql', query: 'DROP TABLE users', schema: 'CREATE TABLE users (id INT)' },
    { type: 'code', code: 'eval(x)', language: 'python' },
    { type: 'schema', data: 1, schema: { type: 'integer' } },
    { type: 'code', code: 'print(2)', language: 'javascript', taint: true }
  ])
  t.same(results.map((r) => [r.engine, r.status, r.admission]), [
    ['remote', 'VERIFIED', 'ADMIT'],
    ['remote', 'UNVERIFIABLE', 'BLOCKED'],
    ['remote', 'VERIFIED', 'BLOCKED'],
    ['remote', 'VERIFIED', 'BLOCKED'],
    ['schema', 'VERIFIED', 'ADMIT'],
    ['remote', 'BLOCKED', 'BLOCKED']
  ])
  const batch = server.requests.filter((r) => r.path === '/verify/batch')
  t.equal(batch.length, 1)
  t.same(batch[0]?.body.items.map((item: { type: string }) => item.type), ['fact', 'sql', 'code'])
  t.same(batch[0]?.body.items[1].params, { schema_ddl: 'CREATE TABLE users (id INT)', dialect: 'postgres' })
  // Batch math skips QWED's domain, ambiguity and zoo checks (§2.5): math always goes one by one.
  t.equal(server.verifyCalls('/verify/math'), 1)

  const single = await verifier.verify({ type: 'fact', claim: 'It snowed', context: 'It snowed.' })
  t.equal(single.developer_fields.constraint_id, 'fact_verifier.heuristic_supported')
  t.equal(server.verifyCalls('/verify/fact'), 1, 'a claim alone goes to its own endpoint')
})

t.test('batch: a failed item is BLOCKED alone; a broken or short batch answer blocks every item', async (t) => {
  const { server, verifier } = await setup(t, {}, { cache: false })
  const claims = [
    { type: 'fact' as const, claim: 'RAISE', context: 'x' },
    { type: 'fact' as const, claim: 'It rained', context: 'It rained.' }
  ]
  const [failed, fine] = await verifier.verifyBatch(claims)
  t.equal(failed?.developer_fields.constraint_id, 'remote.item_failed')
  t.match(failed?.developer_fields.error, /disallowed construct/)
  t.equal(fine?.developer_fields.constraint_id, 'fact_verifier.heuristic_supported')

  server.inject({ kind: 'reply', status: 200, body: { job_id: 'abc', items: [] }, path: '/verify/batch' })
  const short = await verifier.verifyBatch(claims)
  t.ok(short.every((r) => r.developer_fields.constraint_id === 'remote.bad_response'))

  server.inject({ kind: 'garbage', path: '/verify/batch' })
  const garbage = await verifier.verifyBatch(claims)
  t.ok(garbage.every((r) => r.developer_fields.constraint_id === 'remote.bad_response' && r.status === 'BLOCKED'))

  server.inject({
    kind: 'reply',
    status: 200,
    path: '/verify/batch',
    body: { job_id: 'abc', items: [{ id: 'abc-1', status: 'completed', result: VERIFIED_BODY }, { id: 'abc-0', status: 'completed', result: VERIFIED_BODY }] }
  })
  const shuffled = await verifier.verifyBatch(claims)
  t.ok(shuffled.every((r) => r.developer_fields.constraint_id === 'remote.bad_response'), 'items out of order are not matched to the wrong claim')
})

t.test('swappable: the embedded and the remote math engine give the same result shape', async (t) => {
  const server = await startQwedServer()
  t.teardown(() => server.close())
  const local = await setup(t, {}, { engines: { math: 'local' } }, server)
  const remote = await setup(t, {}, { engines: { math: 'remote' } }, server)
  for (const expression of ['2 + 2 = 4', '2 + 2 = 5', '(3 + 4) * 2 = 14']) {
    const a = await local.verifier.verify({ type: 'math', expression })
    const b = await remote.verifier.verify({ type: 'math', expression })
    t.equal(a.engine, 'math')
    t.equal(b.engine, 'remote')
    t.same(Object.keys(b).sort(), Object.keys(a).sort(), expression)
    t.same([b.status, b.admission, b.is_authoritative, typeof b.proof_ref], [a.status, a.admission, a.is_authoritative, typeof a.proof_ref], expression)
    t.type(b.developer_fields, 'object')
  }
})

t.test('metrics on the verifier registry: requests by endpoint and code, retries, quota', async (t) => {
  const registry = new Registry()
  const { server, verifier } = await setup(t, { ratePerMinute: 10 }, { engines: { math: 'remote' }, metrics: { registry } })
  await verifier.verify({ type: 'math', expression: '1 + 1 = 2' })
  server.inject({ kind: 'text-500' })
  await verifier.verify({ type: 'math', expression: '1 + 2 = 3' })
  t.equal(await metricValue(registry, 'qwed_remote_requests_total', { endpoint: '/verify/math', code: '200' }), 2)
  t.equal(await metricValue(registry, 'qwed_remote_requests_total', { endpoint: '/verify/math', code: '500' }), 1)
  t.equal(await metricValue(registry, 'qwed_remote_retries_total', { reason: 'server_error' }), 1)
  t.equal(await metricValue(registry, 'qwed_remote_quota_remaining'), 7, 'three requests of ten')
  const text = await registry.metrics()
  t.match(text, 'qwed_remote_requests_total{endpoint="/verify/math",code="200"} 2')
  t.notMatch(text, server.apiKey)
  t.notMatch(text, '1 + 1', 'no claim text in labels')
})

t.test('keep-alive: sequential requests reuse connections; close() ends it and in-flight claims', async (t) => {
  const { server, verifier } = await setup(t, {}, { engines: { math: 'remote' } })
  for (let i = 0; i < 10; i++) await verifier.verify({ type: 'math', expression: `${i} + 1 = ${i + 1}` })
  t.equal(server.requests.length, 10)
  // undici may open a second connection while the first is being released; after that both are reused.
  t.ok(server.connections() <= 2, `10 requests over ${server.connections()} connection(s)`)

  const engine = createRemoteEngine({ url: server.url, apiKey: server.apiKey, timeoutMs: 5000 }, ['math'])
  server.inject({ kind: 'hang' })
  const pending = Promise.resolve(engine.verify({ type: 'math', expression: '1 = 1' }, { signal: new AbortController().signal }))
  const ended = t.rejects(pending, { code: 'ECLOSED' })
  await new Promise((resolve) => setTimeout(resolve, 50))
  await engine.close?.()
  // ECLOSED, not a timeout: the in-flight claim ended because the engine closed (timeoutMs is 5 s)
  await ended
  const after = await engine.verify({ type: 'math', expression: '1 = 1' }, { signal: new AbortController().signal })
  t.match(after, { status: 'BLOCKED', cacheable: false })
  t.match(after.developer_fields, { constraint_id: 'remote.unavailable', reason: 'closed' })
})

t.test('a URL with a path prefix is kept in front of every endpoint', async (t) => {
  const server = await startQwedServer()
  t.teardown(() => server.close())
  const verifier = createVerifier({ remote: { url: server.url + '/v1/', apiKey: server.apiKey }, audit: false })
  t.teardown(() => verifier.close())
  const r = await verifier.verify({ type: 'fact', claim: 'a', context: 'b' })
  t.equal(server.requests[0]?.path, '/v1/verify/fact')
  // The stand-in serves no /v1 prefix: a 404 is a configuration error, not an outage.
  t.equal(r.developer_fields.constraint_id, 'remote.rejected')
  t.equal(r.developer_fields.http_status, 404)
})

t.test('options: bad remote or engines options fail at creation and registration, never showing the key', async (t) => {
  const saved = process.env.QWED_API_KEY
  delete process.env.QWED_API_KEY
  t.teardown(() => { if (saved === undefined) delete process.env.QWED_API_KEY; else process.env.QWED_API_KEY = saved })
  const key = 'qwed_live_supersecretvalue123'
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ remote: { url: 'http://127.0.0.1:1' } }, 'remote.apiKey'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: '' } }, 'remote.apiKey'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: 12345 } }, 'remote.apiKey'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key + '\n' } }, 'remote.apiKey'],
    [{ remote: { apiKey: key } }, 'remote.url'],
    [{ remote: { url: 'ftp://example', apiKey: key } }, 'remote.url'],
    [{ remote: { url: `http://user:${key}@127.0.0.1:1`, apiKey: key } }, 'remote.url'],
    [{ remote: { url: 'http://127.0.0.1:1?x=1', apiKey: key } }, 'remote.url'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key, retries: -1 } }, 'remote.retries'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key, timeoutMs: 0 } }, 'remote.timeoutMs'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key, ratePerMinute: 0.5 } }, 'remote.ratePerMinute'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key, token: key } }, 'remote.token'],
    [{ remote: 'http://127.0.0.1:1' }, 'remote'],
    [{ engines: { math: 'remote' } }, 'engines.math'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key }, engines: { fact: 'local' } }, 'engines.fact'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key }, engines: { schema: 'remote' } }, 'engines.schema'],
    [{ remote: { url: 'http://127.0.0.1:1', apiKey: key }, engines: { math: 'cloud' } }, 'engines.math'],
    [{ engines: { toString: 'local' } }, 'engines.toString'],
    [{ engines: [] }, 'engines']
  ]
  for (const [options, option] of bad) {
    try {
      createVerifier(options as VerifierOptions)
      t.fail(`accepted ${option}`)
    } catch (err) {
      t.type(err, QwedOptionsError)
      t.equal((err as QwedOptionsError).option, option)
      t.notMatch((err as Error).message, key, 'the key is not in the message')
      t.notMatch((err as Error).message, '12345')
    }
  }
  const app = Fastify()
  await t.rejects(async () => { await app.register(qwed, { remote: { url: 'http://127.0.0.1:1' } }).ready() }, { option: 'remote.apiKey', message: /QWED_API_KEY/ })
  await app.close()
})

t.test('the API key defaults to QWED_API_KEY', async (t) => {
  const server = await startQwedServer()
  t.teardown(() => server.close())
  const saved = process.env.QWED_API_KEY
  process.env.QWED_API_KEY = server.apiKey
  t.teardown(() => { if (saved === undefined) delete process.env.QWED_API_KEY; else process.env.QWED_API_KEY = saved })
  const audit = captureLogger()
  const verifier = createVerifier({ remote: { url: server.url }, audit: { logger: audit.logger, includeClaims: true } })
  t.teardown(() => verifier.close())
  // A claim that happens to contain the key: the audit still never shows it.
  const r = await verifier.verify({ type: 'fact', claim: `my key is ${server.apiKey}`, context: 'nothing' })
  t.equal(r.engine, 'remote')
  t.equal(server.requests[0]?.apiKey, server.apiKey)
  t.ok(audit.lines.length > 0)
  t.ok(audit.lines.every((line) => !line.includes(server.apiKey)), 'the key is redacted from the audit')
})

t.test('Fastify: a route whose claims go remote is admitted on a proven answer', async (t) => {
  const server = await startQwedServer()
  t.teardown(() => server.close())
  const app = Fastify()
  // warmUp: false: math goes to the remote server; warming would load every local engine (Z3 included)
  await app.register(qwed, { remote: { url: server.url, apiKey: server.apiKey }, engines: { math: 'remote' }, audit: false, warmUp: false })
  app.get('/sum', { config: { qwed: { claims: (p: { calc: string }) => ({ type: 'math', expression: p.calc }) } } }, async (request) => ({ calc: (request.query as { calc: string }).calc }))
  t.teardown(() => app.close())
  const ok = await app.inject({ method: 'GET', url: '/sum?calc=' + encodeURIComponent('2 + 2 = 4') })
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['x-qwed-status'], 'VERIFIED')
  t.match(ok.headers['x-qwed-proof'], /^sha256:[0-9a-f]{64}$/)
  const wrong = await app.inject({ method: 'GET', url: '/sum?calc=' + encodeURIComponent('2 + 2 = 5') })
  t.equal(wrong.statusCode, 422)
  t.equal(server.verifyCalls('/verify/math'), 2)
})

t.test('TokenBucket: at most perMinute tokens in any minute, first come first served, paused by a 429', async (t) => {
  let now = 0
  const bucket = new TokenBucket(3, () => now)
  t.equal(bucket.remaining(), 3)
  t.same([bucket.reserve(1e9), bucket.reserve(1e9), bucket.reserve(1e9)], [0, 0, 0])
  t.equal(bucket.remaining(), 0)
  t.equal(bucket.reserve(59_999), null, 'the next token is back only at 60 s')
  t.equal(bucket.reserve(60_000), 60_000)
  now = 10_000
  t.equal(bucket.reserve(1e9), 60_000, 'behind the one already waiting, while a token of the first minute comes back')
  now = 60_000
  t.equal(bucket.remaining(), 1, 'the first three are back, two are spoken for')
  now = 130_000
  t.equal(bucket.remaining(), 3)
  bucket.pause(135_000)
  t.equal(bucket.remaining(), 0)
  t.equal(bucket.reserve(134_000), null)
  t.equal(bucket.reserve(1e9), 135_000)
})

t.test('Retry-After: seconds, zero, an HTTP date, or a default of one second', async (t) => {
  t.equal(retryAfterMs('3'), 3000)
  t.equal(retryAfterMs('0'), 0)
  t.equal(retryAfterMs(['2', '9']), 2000)
  t.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000)
  t.equal(retryAfterMs(undefined), 1000)
  t.equal(retryAfterMs('soon'), 1000)
})

t.test('error details: FastAPI detail strings and lists, plain text, never the input and never the key', async (t) => {
  const key = 'qwed_live_k3y'
  t.equal(errorDetail('{"detail":"Invalid or inactive API key"}', [key]), 'Invalid or inactive API key')
  t.equal(errorDetail(JSON.stringify({ detail: [{ loc: ['body', 'query'], msg: 'Field required', input: { secret: 1 } }, 'odd', { msg: 3 }] }), [key]),
    'body.query: Field required; invalid; ?: invalid')
  t.equal(errorDetail(`Bad key ${key} here`, [key]), 'Bad key [REDACTED] here')
  t.equal(errorDetail('{"message":"no detail"}', [key]), null)
  t.equal(errorDetail('   ', [key]), null)
  t.equal(errorDetail(null, [key]), null)
  t.equal(errorDetail('x'.repeat(1000), [key])?.length, 301)
})

t.test('the hybrid example: loan quotes proven locally, policy answers checked by QWED in shadow mode', async (t) => {
  const server = await startQwedServer()
  t.teardown(() => server.close())
  const saved = { url: process.env.QWED_URL, key: process.env.QWED_API_KEY }
  process.env.QWED_URL = server.url
  process.env.QWED_API_KEY = server.apiKey
  t.teardown(() => {
    for (const [name, value] of [['QWED_URL', saved.url], ['QWED_API_KEY', saved.key]] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  const audit = captureLogger()
  const app = await buildRemoteServer({ logger: false, audit: { logger: audit.logger } })
  t.teardown(() => app.close())
  const post = async (url: string, payload: Record<string, unknown>) => await app.inject({ method: 'POST', url, payload })

  const right = await post('/loan-quote', { principal: 1000, ratePercent: 5, years: 2 })
  t.equal(right.statusCode, 200)
  t.equal(right.headers['x-qwed-status'], 'VERIFIED')
  t.equal((await post('/loan-quote', { principal: 1000, ratePercent: 5, years: 3 })).statusCode, 422)
  t.equal(server.requests.length, 0, 'math never left the process')

  const policy = await post('/policy', { question: 'Can I get a refund for a sale item?' })
  t.equal(policy.statusCode, 200)
  t.match(policy.json(), { answer: 'Items bought on sale can be exchanged but not refunded.' })
  for (let i = 0; i < 50 && !audit.records.some((r) => r.route === '/policy'); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(server.requests.map((r) => [r.path, r.apiKey]), [['/verify/fact', server.apiKey]], 'the fact went to QWED with the key from QWED_API_KEY')
  t.match(audit.records.find((r) => r.route === '/policy'), { engine: 'remote', status: 'UNVERIFIABLE', mode: 'shadow', decision: 'shadow' })
})
