import t from 'tap'
import fc from 'fast-check'
import { fastArithmetic } from '../lib/engines/math/fast-path.js'
import { createMathEngine } from '../lib/engines/math/index.js'
import { verifyMathClaim } from '../lib/engines/math/decide.js'
import { parseDecimal } from '../lib/engines/math/exact.js'
import { createVerifier } from '../lib/verifier.js'

// The fast path must be the full engine, only faster: for every claim it answers, the same
// status, message, evidence and proof_ref as decide.ts; every other claim it leaves alone.

const literal = fc.oneof(
  fc.nat({ max: 2000 }).map(String),
  fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 9999 })).map(([a, b]) => `${a}.${b}`),
  fc.nat({ max: 99 }).map((n) => `.${n}`),
  fc.constantFrom('0', '1', '10', '0.05', '1.05', '100', '12345678901234567890', '3.', '1e3', '007')
)

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal,
    fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', ' + ', ' - ', ' * ', ' / '), tie('expr')).map(([a, op, b]) => `${a}${op}${b}`),
    tie('expr').map((a) => `(${a})`),
    tie('expr').map((a) => `-${a}`),
    fc.tuple(fc.oneof(literal, tie('expr').map((a) => `(${a})`)), fc.constantFrom('0', '1', '2', '3', '5', '12', '17', '-1')).map(([a, k]) => `${a}^${k}`),
    // shapes the fast path must leave to the full engine
    fc.constantFrom('2(3)', '(1)(2)', '+4', '2^3^2', '--3', '0^0', 'x', 'pi', '5%', '2**3', '1/2(3)', '1/0', '3!')
  )
}))

/** The exact value of a side as the full engine states it, turned into a decimal when it is one. */
function exactRight (left: string): string | null {
  const r = verifyMathClaim({ type: 'math', expression: `${left} = 0` } as any)
  const side = r.developer_fields.left_side
  if (typeof side !== 'string') return null
  if (!side.includes('/')) return side
  const [n, d] = side.split('/')
  const q = parseDecimal(n as string)?.div(parseDecimal(d as string) as any)
  return q?.toFiniteDecimal() ?? side
}

t.test('differential: the fast path agrees with the full engine on generated claims', async (t) => {
  let answered = 0
  let verified = 0
  let total = 0
  fc.assert(fc.property(expr, expr, fc.boolean(), (left, right, makeTrue) => {
    total++
    const rhs = makeTrue ? (exactRight(left) ?? right) : right
    const claim = { type: 'math', expression: `${left} = ${rhs}` }
    const fast = fastArithmetic(claim)
    if (fast === undefined) return true
    answered++
    if (fast.status === 'VERIFIED') verified++
    const full = verifyMathClaim(claim as any)
    t.same(fast, full, claim.expression)
    t.equal(JSON.stringify(fast), JSON.stringify(full), 'same fields in the same order')
    return true
  }), { numRuns: 1500, seed: 18 })
  t.ok(answered > total / 4, `the fast path answered a good share of plain claims (${answered} of ${total})`)
  t.ok(verified > 50, `and proved many of them (${verified})`)
})

t.test('claims the fast path leaves alone', async (t) => {
  for (const expression of ['2+2', '2+2 = 4 = 4', '1/0 = 1', '0^0 = 1', '2(3) = 6', '1/2(3) = 1.5', 'x + 1 = 1 + x', '2^-1 = 0.5', '2^3^2 = 512', '+4 = 4', '3. = 3', '1e3 = 1000', '2**3 = 8', '10% = 0.1', '2^17 = 131072', `${'9'.repeat(31)} = 1`]) {
    t.equal(fastArithmetic({ type: 'math', expression }), undefined, expression)
  }
  t.equal(fastArithmetic({ type: 'math', expression: '1 = 1', expected: 1 }), undefined, 'another field')
  t.equal(fastArithmetic({ type: 'math', expression: '1 = 1', domain: 'real' }), undefined)
  t.equal(fastArithmetic({ type: 'sql', expression: '1 = 1' }), undefined)
  t.equal(fastArithmetic(null), undefined)
})

t.test('the verifier uses the fast path: same verdict as the engine, cached, no breaker call', async (t) => {
  const claim = { type: 'math' as const, expression: '1000 * 1.05^2 = 1102.5' }
  const engine = createMathEngine()
  const fromEngine = await engine.verify(claim, { signal: new AbortController().signal })
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const first = await verifier.verify(claim)
  t.equal(first.status, 'VERIFIED')
  t.equal(first.proof_ref, fromEngine.proof_ref)
  t.same(first.developer_fields, fromEngine.developer_fields)
  t.equal(first.cached, false)
  const second = await verifier.verify(claim)
  t.equal(second.cached, true)
  t.equal(second.proof_ref, first.proof_ref)
})
