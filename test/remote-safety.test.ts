// The remote engine must not hurt the QWED server it shares with others, and must not lose what a
// result means: every claim passes the embedded engines' resource caps before it is sent, results
// keep their claim type (result, audit record, metric label), and a QWED answer without
// `admission` is read fail closed. Against the QWED 7.1 stand-in on 127.0.0.1.
import t, { type Test } from 'tap'
import { createVerifier } from '../lib/verifier.js'
import { guardRemoteClaim, nesting } from '../lib/engines/remote/guard.js'
import { derivedAdmission } from '../lib/engines/remote/mapping.js'
import type { Claim } from '../types/claims.js'
import type { VerifierOptions } from '../types/options.js'
import { captureLogger } from './helpers/engines.js'
import { startQwedServer } from './helpers/qwed-server.js'

process.on('unhandledRejection', (err) => { t.fail(`unhandled rejection: ${String(err)}`) })

async function setup (t: Test, options: Partial<VerifierOptions> = {}) {
  const server = await startQwedServer()
  const audit = captureLogger()
  const verifier = createVerifier({
    remote: { url: server.url, apiKey: server.apiKey, timeoutMs: 10_000 },
    engines: { math: 'remote', sql: 'remote', code: 'remote', logic: 'remote' },
    audit: { logger: audit.logger },
    ...options
  })
  t.teardown(async () => {
    await verifier.close()
    await server.close()
  })
  return { server, verifier, audit }
}

const guardOf = (claim: Claim): unknown => {
  const r = guardRemoteClaim(claim)
  return r.ok ? 'sent' : r.result.developer_fields.limit ?? r.result.developer_fields.guard
}

t.test('math claims that would hold the server are refused before they are sent', async (t) => {
  const { server, verifier } = await setup(t)
  // the claim: SymPy's event loop blocks for good on it
  for (const expression of ['9^9^9^9', '9**9**9**9', '9^9^9^9 = 1', '2 + 9^(9^(9^9))', '2^x + 9^9^9^9']) {
    const r = await verifier.verify({ type: 'math', expression })
    t.match(r, { status: 'BLOCKED', admission: 'BLOCKED', engine: 'remote', claim_type: 'math' }, expression)
    t.equal(r.developer_fields.constraint_id, 'remote.resource_limit', expression)
  }
  t.equal(server.verifyCalls(), 0, 'nothing was sent')
  const fine = await verifier.verify({ type: 'math', expression: '2^64 + 1 = 18446744073709551617' })
  t.notOk(fine.developer_fields.constraint_id === 'remote.resource_limit', 'an ordinary big power is sent')
  t.equal(server.verifyCalls('/verify/math'), 1)
})

t.test('the math guard: exact constants under the engine caps, bounded powers, no double exponentials', async (t) => {
  const math = (expression: string): unknown => guardOf({ type: 'math', expression })
  // sent
  for (const e of ['2 + 2 = 4', '(x+1)^2 = x^2 + 2x + 1', '2^(2^5) = 4294967296', 'e^(-x^2/2)', 'exp(pi)', '1000!',
    'factorial(x)', 'sqrt(2)^2 = 2', 'x^(1/3)', '10^400', '(1 + 0.05)^30', 'sin(x)^2 + cos(x)^2 = 1', 'e^(e^10)']) {
    t.equal(math(e), 'sent', e)
  }
  // refused, with the cap that refused it
  t.equal(math('9^9^9^9'), 'exponent too large')
  t.equal(math('2^1000000'), 'exponent too large')
  t.equal(math('(x+1)^1000'), 'power exponent', 'a variable base is expanded: the engine\'s degree cap')
  t.equal(math('1001!'), 'factorial argument')
  t.equal(math('factorial(5000)'), 'factorial argument')
  t.equal(math('exp(10^10)'), 'exp argument')
  t.equal(math('2^(2^x)'), 'double exponential')
  t.equal(math('exp(exp(x))'), 'double exponential')
  t.equal(math('e^(e^(e^10))'), 'double exponential', 'constants do not escape: e^(e^(e^10)) is not computable either')
  t.equal(math('x^(y^z)'), 'double exponential')
  t.equal(math('1e99999 = 1'), 'literal exponent')
  t.equal(math('('.repeat(150) + '1' + ')'.repeat(150)), 'math.too_deep')
  t.equal(math(Array.from({ length: 5 }, () => '(' + '1+'.repeat(399) + '1)').join('*')), 'syntax tree nodes')
  t.equal(math('x'.repeat(6000)), 'math.too_long')
  t.equal(math('2 + 2 = 4 # hidden'), 'math.disallowed_construct', 'text the local parser cannot read is not sent either')
  t.equal(guardOf({ type: 'math', expression: '1', expected: '1e99999' }), 'literal exponent', 'the expected value too')
  t.equal(guardOf({ type: 'math', expression: 42 } as unknown as Claim), 'sent', 'a malformed claim is left to the mapping, which refuses it')
})

t.test('logic, SQL and code claims pass their engines\' caps first', async (t) => {
  const { server, verifier } = await setup(t)
  const deep = 'x > ' + '('.repeat(150) + '1' + ')'.repeat(150)
  const logic = await verifier.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: [deep] })
  t.equal(logic.developer_fields.constraint_id, 'remote.resource_limit')
  t.equal(logic.developer_fields.guard, 'logic.too_deep')
  const undeclared = guardRemoteClaim({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['y > 1'] })
  t.equal(undeclared.ok ? null : undeclared.result.developer_fields.guard, 'logic.undeclared', 'what the local parser cannot read is not sent')

  const sql = await verifier.verify({ type: 'sql', query: 'SELECT ' + '('.repeat(200) + '1' + ')'.repeat(200), schema: 'CREATE TABLE t (id INT)' })
  t.match(sql.developer_fields, { constraint_id: 'remote.resource_limit', guard: 'sql.too_deep' })
  const code = await verifier.verify({ type: 'code', language: 'python', code: 'x = ' + '['.repeat(200) + ']'.repeat(200) })
  t.match(code.developer_fields, { constraint_id: 'remote.resource_limit', guard: 'code.too_deep' })
  t.equal(server.verifyCalls(), 0)

  t.equal(guardOf({ type: 'sql', query: 'SELECT 1', schema: 'CREATE TABLE t (id INT)' }), 'sent')
  t.equal(guardOf({ type: 'code', language: 'python', code: 'print((1, [2]))' }), 'sent')
  t.equal(guardOf({ type: 'fact', claim: 'a', context: 'b' }), 'sent')
  t.equal(nesting('(()[{}])'), 3)
  t.equal(nesting(')))((('), 3, 'unbalanced closers do not hide depth')
  t.equal(nesting('(((' + ')'.repeat(10) + '(('), 3)
})

t.test('remote results keep the claim type: result, audit record and metric label', async (t) => {
  const { verifier, audit } = await setup(t)
  const math = await verifier.verify({ type: 'math', expression: '2 + 2 = 4' })
  t.match(math, { engine: 'remote', claim_type: 'math', admission: 'ADMIT' })
  const code = await verifier.verify({ type: 'code', code: 'print(1)', language: 'python' })
  t.match(code, { engine: 'remote', claim_type: 'code' })
  const local = await verifier.verify({ type: 'schema', data: 1, schema: { type: 'number' } })
  t.match(local, { engine: 'schema', claim_type: 'schema' }, 'local engines carry it too')
  const unknown = await verifier.verify({ type: 'nope' } as unknown as Claim)
  t.notOk('claim_type' in unknown, 'no type for a claim no engine knows')

  const records = audit.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.audit === 'qwed.verification')
  t.same(records.map((r) => [r.engine, r.claim_type]), [['remote', 'math'], ['remote', 'code'], ['schema', 'schema'], ['verifier', null]])

  const registry = verifier.metrics.registry
  const values = (await registry.getSingleMetric('qwed_verifications_total')?.get())?.values ?? []
  const engines = values.map((v) => String(v.labels.engine)).sort()
  t.same(engines, ['remote:code', 'remote:math', 'schema', 'verifier'], 'remote claims are labelled by claim type; labels stay bounded')
})

t.test('an answer without `admission` is admitted only as QWED\'s rule says, fail closed', async (t) => {
  const { server, verifier } = await setup(t, { cache: false })
  const proof = 'sha256:' + 'b'.repeat(64)
  const claim = { type: 'code', code: 'print(1)', language: 'python' } as const
  const answer = (fields: Record<string, unknown>, status = 'VERIFIED'): void => {
    server.inject({ kind: 'reply', status: 200, body: { status, agent_message: 'ok', developer_fields: fields, proof_ref: status === 'VERIFIED' ? proof : null } })
  }
  answer({ is_valid: true })
  const ok = await verifier.verify(claim)
  t.match(ok, { admission: 'ADMIT' })
  t.equal(ok.developer_fields.admission_source, 'derived')
  answer({ is_valid: true, is_safe: false })
  const unsafe = await verifier.verify(claim)
  t.equal(unsafe.admission, 'BLOCKED', 'is_safe false contradicts is_valid: the stricter reading wins')
  t.match(unsafe.developer_fields, { is_valid: false, remote_is_valid: true, remote_admission: 'BLOCKED' })
  answer({ is_valid: true, malicious_classification: true })
  t.equal((await verifier.verify(claim)).admission, 'BLOCKED')
  answer({})
  t.equal((await verifier.verify(claim)).admission, 'BLOCKED', 'no is_valid: not admitted')
  answer({ is_valid: 'true' })
  t.equal((await verifier.verify(claim)).admission, 'BLOCKED', 'a string is not true')
  answer({ is_valid: true }, 'UNVERIFIABLE')
  t.equal((await verifier.verify(claim)).admission, 'BLOCKED')

  // the QWED 7.1 stand-in sends admission on /verify/code: recorded as the server's
  const sent = await verifier.verify(claim)
  t.equal(sent.developer_fields.admission_source, 'server')

  const base = { status: 'VERIFIED' as const, agent_message: 'x', proof_ref: proof, is_authoritative: true }
  t.equal(derivedAdmission({ ...base, developer_fields: { is_valid: true } }), 'ADMIT')
  t.equal(derivedAdmission({ ...base, developer_fields: { is_valid: true, is_safe: 'yes' } }), 'BLOCKED')
  t.equal(derivedAdmission({ ...base, developer_fields: { is_valid: true, is_safe: true, malicious_classification: false } }), 'ADMIT')
})
