import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { canonicalize, sha256Hex } from '../lib/canonical.js'
import { SqliteAuditStore } from '../lib/observe/store/sqlite.js'
import {
  auditRowToVerificationContext, resolveVerificationContext, toVerificationContext, verificationContextProofRef,
  QWED_MIDDLEWARE_VERSION, type VerificationContextDocument
} from '../lib/observe/vc.js'
import { createVerifier } from '../lib/verifier.js'
import type { Claim } from '../types/claims.js'
import type { VerificationResult } from '../types/result.js'
import { scriptEngine } from './helpers/engines.js'

// QWED's Verification Context v1.0 schema, a verbatim copy of shared/qwed-spec (JSON Schema 2020-12).
const schema = JSON.parse(readFileSync(new URL('./fixtures/verification-context.schema.json', import.meta.url), 'utf8'))
const Ajv2020 = Ajv2020Module.default
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema)

function assertValid (t: Test, doc: unknown, what: string): void {
  const ok = validate(doc)
  t.ok(ok, `${what} validates against the v1.0 schema`, ok ? {} : { errors: validate.errors })
}

const clone = <T>(value: T): T => structuredClone(value)

t.test('§3.5.5 test vector: canonical bytes and proof_ref byte for byte', async (t) => {
  const doc: VerificationContextDocument = {
    spec_version: '1.0',
    object: { formal_statement: 'x**2 + 2*x + 1 = (x+1)**2' },
    context: {
      interpretation: { algebra_domain: 'real-closed field' },
      proof: {
        verifier: 'SymPy',
        verifier_version: '1.12',
        configuration: { timeout_ms: 5000, tolerance: 1e-7 },
        outcome_treatment: 'unknown/timeout/error resolve to UNVERIFIABLE or BLOCKED'
      },
      evidence: { evidence: { simplified_difference: '0', note: 'café', ratio: 1.0 } },
      decision: { admission: 'ADMIT' }
    },
    verdict: 'VERIFIED'
  }
  const bytes = '{"context":{"decision":{"admission":"ADMIT"},"evidence":{"evidence":{"note":"café","ratio":1,"simplified_difference":"0"}},' +
    '"interpretation":{"algebra_domain":"real-closed field"},"proof":{"configuration":{"timeout_ms":5000,"tolerance":1e-7},' +
    '"outcome_treatment":"unknown/timeout/error resolve to UNVERIFIABLE or BLOCKED","verifier":"SymPy","verifier_version":"1.12"}},' +
    '"formal_statement":"x**2 + 2*x + 1 = (x+1)**2"}'
  t.equal(canonicalize({ formal_statement: doc.object.formal_statement, context: doc.context }), bytes)
  const expected = 'sha256:8cefd1d41dd2d9acd0ef0ccb002ef1c7cd43616223527c8bc970ce464d2c3012'
  t.equal('sha256:' + sha256Hex(bytes), expected)
  t.equal(verificationContextProofRef(doc), expected)
  doc.context.evidence.proof_ref = expected
  t.equal(verificationContextProofRef(doc), expected, 'proof_ref itself is removed before hashing')
  assertValid(t, doc, 'the vector document')
  t.same(resolveVerificationContext(doc), { resolved: true, expected, actual: expected })
})

t.test('documents from real verifications validate, and VERIFIED ones resolve', async (t) => {
  const verifier = createVerifier({ pool: false, extraEngines: [scriptEngine()], audit: { logger: pino({ level: 'silent' }) } })
  t.teardown(() => verifier.close())
  const claims: Array<{ claim: Claim, verdict: string, admission: string }> = [
    { claim: { type: 'math', expression: '2 + 2', expected: 4 }, verdict: 'VERIFIED', admission: 'ADMIT' },
    { claim: { type: 'math', expression: '2 + 2', expected: 5 }, verdict: 'UNVERIFIABLE', admission: 'DENY' },
    { claim: { type: 'sql', query: 'SELECT id FROM users WHERE id = 1', dialect: 'postgresql' }, verdict: 'VERIFIED', admission: 'ADMIT' },
    { claim: { type: 'sql', query: 'DROP TABLE users' }, verdict: 'VERIFIED', admission: 'DENY' },
    { claim: { type: 'code', code: 'print(1)', language: 'python' }, verdict: 'VERIFIED', admission: 'ADMIT' },
    { claim: { type: 'transaction', subtotal: '10.00', tax: '0.80', total: '10.80' }, verdict: 'VERIFIED', admission: 'ADMIT' },
    { claim: { type: 'script', verdict: 'blocked' } as unknown as Claim, verdict: 'BLOCKED', admission: 'DENY' }
  ]
  for (const { claim, verdict, admission } of claims) {
    const result = await verifier.verify(claim)
    const doc = toVerificationContext(result, claim, { claimHash: 'sha256:' + sha256Hex(canonicalize(claim)) })
    const what = `${claim.type} ${result.status}/${result.admission}`
    t.equal(doc.verdict, verdict, `${what}: verdict`)
    t.equal(doc.context.decision.admission, admission, `${what}: admission (BLOCKED -> DENY)`)
    assertValid(t, doc, what)
    t.same(doc.context.evidence.evidence.developer_fields, JSON.parse(JSON.stringify(result.developer_fields)), `${what}: the result is the evidence`)
    t.equal(doc.context.proof.verifier, `qwed-middleware/${result.engine}`)
    t.equal(doc.context.proof.verifier_version, QWED_MIDDLEWARE_VERSION)
    if (verdict === 'VERIFIED') {
      t.match(doc.context.evidence.proof_ref, /^sha256:[0-9a-f]{64}$/)
      t.equal(resolveVerificationContext(doc).resolved, true, `${what}: resolves`)
    } else {
      t.equal(doc.context.evidence.proof_ref, null)
      t.match(resolveVerificationContext(doc), { resolved: false, reason: /only a VERIFIED document/ })
    }
  }
})

t.test('the formal statement and interpretation come from the claim', async (t) => {
  const result = { status: 'VERIFIED' as const, admission: 'ADMIT' as const, agent_message: 'ok', developer_fields: { is_valid: true }, proof_ref: 'sha256:' + '1'.repeat(64), engine: 'math' }
  const math = toVerificationContext(result, { type: 'math', expression: 'x + x = 2*x', tolerance: '1e-9', domain: 'complex' })
  t.equal(math.object.formal_statement, 'x + x = 2*x')
  t.same(math.context.interpretation, { theory: 'math verification', algebra_domain: 'complex numbers' })
  t.same(math.context.proof.configuration, { tolerance: '1e-9', domain: 'complex' }, 'what changes the outcome is configuration')
  t.equal(toVerificationContext(result, { type: 'math', expression: '0.1 + 0.2', expected: '0.3' }).object.formal_statement, '0.1 + 0.2 = 0.3')

  const sql = toVerificationContext({ ...result, engine: 'sql' }, { type: 'sql', query: 'SELECT 1', dialect: 'mysql', schema: 'CREATE TABLE t (a int)' })
  t.equal(sql.object.formal_statement, 'SELECT 1')
  t.same(sql.context.interpretation, { theory: 'sql verification', dialect: 'mysql' })
  t.same(sql.context.proof.configuration, { dialect: 'mysql', schema: 'CREATE TABLE t (a int)' })

  const code = toVerificationContext({ ...result, engine: 'code' }, { type: 'code', code: 'x = 1', language: 'python' })
  t.same(code.context.interpretation, { theory: 'code verification', language: 'python' })

  // No single statement field: the canonical JSON of the claim (without its type) is the statement.
  const tx = toVerificationContext({ ...result, engine: 'transaction' }, { type: 'transaction', total: '2', subtotal: '1', tax: '1' })
  t.equal(tx.object.formal_statement, '{"subtotal":"1","tax":"1","total":"2"}')
  const npv = toVerificationContext(result, { type: 'math', operation: 'npv', rate: 0.1, cashFlows: [-100, 110], expected: 0 })
  t.equal(npv.object.formal_statement, '{"cashFlows":[-100,110],"expected":0,"operation":"npv","rate":0.1}')
  t.same(npv.context.interpretation, { theory: 'math verification' })

  // Without the claim (the store keeps only its hash unless includeClaims): the hash is the statement.
  const hashed = toVerificationContext(result, undefined, { claimHash: 'sha256:' + 'a'.repeat(64) })
  t.equal(hashed.object.formal_statement, 'sha256:' + 'a'.repeat(64))
  t.equal(hashed.context.evidence.evidence.claim_hash, 'sha256:' + 'a'.repeat(64))
  t.equal(toVerificationContext(result).object.formal_statement, 'math claim (not retained)')

  const nl = toVerificationContext(result, { type: 'math', expression: '2+2', expected: 4 }, { sourceQuery: 'what is two plus two?', translator: 'gpt-x' })
  t.same(nl.object.formalization, { verified: false, source_query: 'what is two plus two?', translator: 'gpt-x' })
  for (const doc of [math, sql, code, tx, npv, hashed, nl]) {
    assertValid(t, doc, doc.object.formal_statement)
    t.equal(resolveVerificationContext(doc).resolved, true)
  }
})

t.test('values outside the schema encodable domain are made encodable, never dropped silently', async (t) => {
  const doc = toVerificationContext({
    status: 'VERIFIED',
    admission: 'ADMIT',
    agent_message: 'ok',
    developer_fields: { is_valid: true, huge: 1e300, exact: 2 ** 53, unsafe: 2 ** 53 + 2, list: [Number.POSITIVE_INFINITY], big: 12n as unknown },
    proof_ref: 'sha256:' + 'b'.repeat(64),
    engine: 'math'
  }, { type: 'math', expression: '1', expected: 1e300 })
  t.same(doc.context.evidence.evidence.developer_fields, { is_valid: true, huge: '1e+300', exact: 2 ** 53, unsafe: '9007199254740994', list: ['Infinity'], big: '12' })
  assertValid(t, doc, 'a document with huge numbers')
  t.equal(resolveVerificationContext(doc).resolved, true)
})

t.test('a VERIFIED result that is not admitted stays DENY; a fail-closed one is always DENY', async (t) => {
  const base = { agent_message: 'm', developer_fields: { is_valid: false }, engine: 'sql' }
  const unsafe = toVerificationContext({ ...base, status: 'VERIFIED', admission: 'BLOCKED', proof_ref: 'sha256:' + 'c'.repeat(64) })
  t.equal(unsafe.context.decision.admission, 'DENY')
  t.match(unsafe.context.evidence.proof_ref, /^sha256:/)
  // An inconsistent input (ADMIT on a BLOCKED verdict) cannot produce an ADMIT document.
  const odd = toVerificationContext({ ...base, status: 'BLOCKED', admission: 'ADMIT', proof_ref: null })
  t.equal(odd.context.decision.admission, 'DENY')
  assertValid(t, unsafe, 'VERIFIED/DENY')
  assertValid(t, odd, 'BLOCKED/DENY')
})

t.test('a tampered document does not resolve', async (t) => {
  const result = { status: 'VERIFIED' as const, admission: 'ADMIT' as const, agent_message: 'ok', developer_fields: { is_valid: true, value: 4 }, proof_ref: 'sha256:' + '2'.repeat(64), engine: 'math' }
  const doc = toVerificationContext(result, { type: 'math', expression: '2 + 2', expected: 4 })
  t.equal(resolveVerificationContext(doc).resolved, true)

  const edits: Array<[string, (d: any) => void]> = [
    ['formal statement', (d) => { d.object.formal_statement = '2 + 2 = 5' }],
    ['evidence', (d) => { d.context.evidence.evidence.developer_fields.value = 5 }],
    ['admission', (d) => { d.context.decision.admission = 'DENY' }],
    ['interpretation', (d) => { d.context.interpretation.algebra_domain = 'integers' }],
    ['verifier version', (d) => { d.context.proof.verifier_version = '9.9.9' }],
    ['configuration', (d) => { d.context.proof.configuration.tolerance = 1 }],
    ['proof_ref', (d) => { d.context.evidence.proof_ref = 'sha256:' + '0'.repeat(64) }]
  ]
  for (const [what, edit] of edits) {
    const tampered = clone(doc)
    edit(tampered)
    const r = resolveVerificationContext(tampered)
    t.equal(r.resolved, false, `changed ${what}: does not resolve`)
  }
  const changed = clone(doc) as any
  changed.object.formal_statement = '2 + 2 = 5'
  t.match(resolveVerificationContext(changed), { resolved: false, actual: doc.context.evidence.proof_ref, reason: /does not match/ })

  // Not binding: formalization and verdict are outside the bound payload (§3.5.3), by design.
  const withNote = clone(doc)
  withNote.object.formalization = { verified: false, source_query: 'added later' }
  t.equal(resolveVerificationContext(withNote).resolved, true, 'formalization is not bound by proof_ref (QWED §3.5.3)')
})

t.test('malformed documents do not resolve and say why', async (t) => {
  const good = toVerificationContext({ status: 'VERIFIED', admission: 'ADMIT', agent_message: 'ok', developer_fields: {}, proof_ref: 'sha256:' + '3'.repeat(64), engine: 'math' }, { type: 'math', expression: '1 = 1' })
  const cases: Array<[string, (d: any) => unknown, RegExp]> = [
    ['not an object', () => 'doc', /not an object/],
    ['spec version', (d) => { d.spec_version = '2.0'; return d }, /spec_version/],
    ['empty statement', (d) => { d.object.formal_statement = ''; return d }, /formal_statement/],
    ['no context', (d) => { delete d.context; return d }, /context is missing/],
    ['empty interpretation', (d) => { d.context.interpretation = {}; return d }, /interpretation/],
    ['no verifier', (d) => { d.context.proof.verifier = ''; return d }, /verifier/],
    ['no evidence', (d) => { delete d.context.evidence.evidence; return d }, /evidence/],
    ['uppercase proof_ref', (d) => { d.context.evidence.proof_ref = d.context.evidence.proof_ref.toUpperCase(); return d }, /proof_ref/],
    ['bad admission', (d) => { d.context.decision.admission = 'BLOCKED'; return d }, /admission/],
    ['unencodable value', (d) => { d.context.evidence.evidence.x = Number.NaN; return d }, /cannot be canonically encoded/]
  ]
  for (const [what, make, reason] of cases) {
    const r = resolveVerificationContext(make(clone(good)))
    t.equal(r.resolved, false, what)
    t.match(r.reason, reason, what)
  }
})

t.test('the store exports documents that validate and resolve', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qwed-audit-vc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'audit.db')
  const verifier = createVerifier({
    pool: false,
    extraEngines: [scriptEngine()],
    audit: { logger: pino({ level: 'silent' }), store: 'sqlite', path, includeClaims: true }
  })
  const claims: Claim[] = [
    { type: 'math', expression: '(x + 1)**2 = x**2 + 2*x + 1' },
    { type: 'sql', query: 'DELETE FROM users' },
    { type: 'script', verdict: 'false' } as unknown as Claim,
    { type: 'nope' } as unknown as Claim
  ]
  const results: VerificationResult[] = []
  for (const claim of claims) results.push(await verifier.verify(claim, { route: '/answer' }))
  const lines: string[] = []
  for await (const line of verifier.audit!.export({ format: 'vc' })) lines.push(line)
  await verifier.close()
  t.equal(lines.length, claims.length)
  const docs = lines.map((line) => JSON.parse(line) as VerificationContextDocument)
  docs.forEach((doc, i) => {
    assertValid(t, doc, `exported document ${i}`)
    t.equal(doc.verdict, results[i]?.status)
    if (doc.verdict === 'VERIFIED') t.equal(resolveVerificationContext(doc).resolved, true, `exported document ${i} resolves`)
  })
  t.equal(docs[0]?.object.formal_statement, '(x + 1)**2 = x**2 + 2*x + 1', 'with includeClaims the claim is the statement')
  t.equal(docs[3]?.context.evidence.evidence.engine, 'verifier', 'a claim no engine saw is still documented')

  // Built again from the stored row, the document is the same (it is deterministic).
  const store = new SqliteAuditStore(path, { readonly: true })
  t.teardown(() => store.close())
  t.same(auditRowToVerificationContext(store.query()[0]!), docs[0])
})
