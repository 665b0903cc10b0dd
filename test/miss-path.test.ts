import t from 'tap'
import fc from 'fast-check'
import type { Engine, EngineResult } from '../types/engine.js'
import { canonicalize, canonicalHash } from '../lib/canonical.js'
import { fastArithmetic, identityEvidence } from '../lib/engines/math/fast-path.js'
import { verifyMathClaim } from '../lib/engines/math/decide.js'
import { CHECKED_CLAIMS_MAX } from '../lib/cache.js'
import { verified } from '../lib/result.js'
import { createVerifier } from '../lib/verifier.js'
import { captureLogger, scriptEngine } from './helpers/engines.js'

// The lean miss path (issue #18): what a never-repeated claim no longer pays for must not change
// anything a caller can see: verdicts, proof_ref, claim hashes, cache behaviour.

const side = fc.oneof(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String), fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 2n, max: 10n ** 20n })).map(([n, d]) => `${n}/${d}`))
const plainText = fc.array(fc.constantFrom(...'0123456789.+-*/^() ='.split('')), { maxLength: 60 }).map((chars) => chars.join(''))

t.test('the fast path writes the canonical JSON of its evidence as canonicalize() does', async (t) => {
  fc.assert(fc.property(plainText, side, side, (claim, left, right) => {
    const evidence = { claim, verdict: 'identity_true', left, right, method: 'exact' }
    t.equal(identityEvidence(claim, left, right), canonicalize(evidence))
  }), { numRuns: 500, seed: 18 })
})

t.test('a true plain identity: proof_ref is the hash of the same evidence decide.ts would hash', async (t) => {
  for (const expression of ['1000 * 1.05^2 = 1102.5', ' 0.5 + .25 = 3/4 ', '-2^2 = -4', '(1 + 2) * 3 = 9', '12345678901234567890 * 10 = 123456789012345678900', '1.050 = 1.05']) {
    const text = expression.trim()
    const fast = fastArithmetic({ type: 'math', expression }) as EngineResult
    t.equal(fast.status, 'VERIFIED', expression)
    const { left_side: left, right_side: right } = fast.developer_fields as { left_side: string, right_side: string }
    t.equal(fast.proof_ref, canonicalHash({ claim: text, verdict: 'identity_true', left, right, method: 'exact' }), expression)
  }
})

t.test('distinct claims, then repeated ones: the same verdicts and hashes whether the claim was remembered or not', async (t) => {
  const engine = scriptEngine()
  const audit = captureLogger()
  const verifier = createVerifier({ extraEngines: [engine], audit: { logger: audit.logger } })
  t.teardown(() => verifier.close())
  const claim = (id: number) => ({ type: 'script', verdict: 'true', id }) as any
  const rounds: Array<Array<{ cached: boolean, proof: string | null, status: string }>> = []
  // More distinct claims than the memo keeps, three times over: a miss, then hits (remembered on the first hit).
  const count = CHECKED_CLAIMS_MAX + 10
  for (let round = 0; round < 3; round++) {
    const results = []
    for (let id = 0; id < count; id++) {
      const r = await verifier.verify(claim(id))
      results.push({ cached: r.cached, proof: r.proof_ref, status: r.status })
    }
    rounds.push(results)
  }
  t.equal(engine.calls, count, 'one engine call a claim')
  t.ok(rounds[0]?.every((r) => !r.cached), 'first round: misses')
  t.ok(rounds[1]?.every((r) => r.cached) && rounds[2]?.every((r) => r.cached), 'later rounds: hits')
  t.same(rounds[1]?.map((r) => r.proof), rounds[0]?.map((r) => r.proof))
  t.same(rounds[2]?.map((r) => r.proof), rounds[0]?.map((r) => r.proof))
  const hashes = audit.records.filter((r) => r.audit === 'qwed.verification').map((r) => r.claim_hash as string)
  t.equal(hashes.length, 3 * count)
  for (let id = 0; id < count; id += 97) {
    t.equal(hashes[count + id], hashes[id])
    t.equal(hashes[2 * count + id], hashes[id])
  }
  // The key order of a remembered claim does not matter: still the same hit.
  const reordered = await verifier.verify({ id: 5, verdict: 'true', type: 'script' } as any)
  t.equal(reordered.cached, true)
  t.equal(reordered.proof_ref, rounds[0]?.[5]?.proof)
})

/** An engine that answers what `make` builds. */
function fixedEngine (make: () => EngineResult): Engine<any> & { calls: number } {
  const engine = { name: 'fixed', claimTypes: ['fixed'], calls: 0, async verify () { engine.calls++; return make() } }
  return engine
}

t.test('a verdict without `cacheable` is cached as it is and handed out frozen', async (t) => {
  const engine = fixedEngine(() => verified('ok', { constraint_id: 'fixed.ok' }, { a: 1 }))
  const verifier = createVerifier({ extraEngines: [engine], audit: false })
  t.teardown(() => verifier.close())
  const first = await verifier.verify({ type: 'fixed', n: 1 } as any)
  const second = await verifier.verify({ type: 'fixed', n: 1 } as any)
  t.same([first.cached, second.cached], [false, true])
  t.equal(engine.calls, 1)
  t.equal(second.proof_ref, first.proof_ref)
  t.notOk('cacheable' in first)
  t.throws(() => { (second.developer_fields as Record<string, unknown>).is_valid = false }, TypeError, 'the cached verdict is frozen')
})

t.test('`cacheable: false` is never cached nor shown; an engine\'s non-plain verdict is copied, not frozen', async (t) => {
  const uncacheable = fixedEngine(() => ({ ...verified('ok', { constraint_id: 'fixed.ok' }, { a: 1 }), cacheable: false }))
  const verifier = createVerifier({ extraEngines: [uncacheable], audit: false })
  t.teardown(() => verifier.close())
  const a = await verifier.verify({ type: 'fixed', n: 1 } as any)
  const b = await verifier.verify({ type: 'fixed', n: 1 } as any)
  t.same([a.cached, b.cached], [false, false])
  t.equal(uncacheable.calls, 2)
  t.notOk('cacheable' in a)

  // A verdict with a prototype of its own (a class instance).
  const proto = { kind: 'verdict' }
  const made: object[] = []
  const classy = fixedEngine(() => {
    const v = Object.assign(Object.create(proto) as object, verified('ok', { constraint_id: 'fixed.ok' }, { a: 2 }))
    made.push(v)
    return v as EngineResult
  })
  const other = createVerifier({ extraEngines: [classy], audit: false })
  t.teardown(() => other.close())
  const c = await other.verify({ type: 'fixed', n: 2 } as any)
  t.equal(c.status, 'VERIFIED')
  t.equal(c.admission, 'ADMIT')
  t.notOk(Object.isFrozen(made[0]), 'the engine\'s own object is left as it is')
  const d = await other.verify({ type: 'fixed', n: 2 } as any)
  t.equal(d.cached, true)
})

// Values near 2^53: the fast path's safe-integer rationals give way to bigint ones part way.
const bigLiteral = fc.oneof(
  fc.bigInt({ min: 1n, max: 10n ** 16n }).map(String),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: 10n ** 8n })).map(([a, b]) => `${a}.${b}`),
  fc.constantFrom('9007199254740991', '9007199254740992', '9007199254740993', '4503599627370496', '94906265', '94906266', '0.000000000000001', '999999999999999', '1000000000000000')
)
const bigExpr = fc.tuple(bigLiteral, fc.constantFrom(' + ', ' - ', ' * ', ' / '), bigLiteral, fc.constantFrom('', '^2', '^3'), fc.constantFrom(' * ', ' - '), bigLiteral)
  .map(([a, op, b, power, op2, c]) => `(${a}${op}${b})${power}${op2}${c}`)

t.test('differential near 2^53: the fast path agrees with the full engine whichever rationals it used', async (t) => {
  let answered = 0
  fc.assert(fc.property(bigExpr, bigExpr, fc.boolean(), (left, right, same) => {
    const claim = { type: 'math', expression: `${left} = ${same ? left : right}` }
    const fast = fastArithmetic(claim)
    if (fast === undefined) return true
    answered++
    const full = verifyMathClaim(claim as any)
    t.equal(JSON.stringify(fast), JSON.stringify(full), claim.expression)
    return true
  }), { numRuns: 600, seed: 53 })
  t.ok(answered > 300, `most were answered by the fast path (${answered})`)
})
