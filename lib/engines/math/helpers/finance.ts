/**
 * Finance helpers (QWED's formulas, computed exactly):
 *   compound_interest  A = P (1 + r/n)^(n t), rounded to cents HALF_UP (ties away from zero);
 *                      tolerance 0.01. Computed exactly on bigint when n t is an integer and the
 *                      numbers stay under MAX_EXACT_BITS; otherwise with decimal.js at 60 digits
 *                      and a bound on its error, and when that bound straddles a half cent both
 *                      roundings must give the same verdict (else UNVERIFIABLE).
 *   npv                NPV = sum CF_t / (1 + r)^t, t from 0, exact on bigint, rounded to cents;
 *                      tolerance 0.01.
 *   irr                at least two flows; all zero, no sign change or more than one sign change
 *                      (Descartes: no root, or possibly several) -> BLOCKED. With exactly one sign
 *                      change NPV has exactly one root r* > -1 and changes sign there, so the claim
 *                      |r* - expected| <= tol holds iff NPV(expected - tol) and NPV(expected + tol)
 *                      do not have the same strict sign: two exact sign evaluations, no iteration.
 *                      Tolerance 0.001. The IRR shown is found by bisection (display only).
 */
import type { MathOperationClaim } from '../../../../types/claims.js'
import type { DiagnosticResult } from '../../../../types/result.js'
import { Q, bitLength } from '../exact.js'
import { charge } from '../limits.js'
import { Decimal } from '../numeric.js'
import { MAX_CASH_FLOWS } from '../descriptor.js'
import { type Outcome, denseItems, effectiveTolerance, fail, malformed, readNumber, readTolerance, report, showQ } from './common.js'

type Claim<O extends MathOperationClaim['operation']> = Extract<MathOperationClaim, { operation: O }>

export { MAX_CASH_FLOWS }
/** Bits of the largest integer an exact computation may build. */
const MAX_EXACT_BITS = 400_000
const MAX_COMPOUNDS_PER_YEAR = 1_000_000
/** |amount| above which cents are meaningless: BLOCKED. */
const MAX_AMOUNT_DIGITS = 60
const CENT = Q.of(1n, 100n)
const IRR_TOLERANCE = Q.of(1n, 1000n)

/** round(num / den) to cents, HALF_UP (ties away from zero), den > 0. */
function roundCents (num: bigint, den: bigint): Q {
  const negative = num < 0n
  const a = (negative ? -num : num) * 100n
  let cents = a / den
  if (2n * (a % den) >= den) cents += 1n
  return Q.of(negative ? -cents : cents, 100n)
}

function cents (q: Q): string {
  const text = q.toFiniteDecimal() ?? q.toString()
  if (!text.includes('.')) return `${text}.00`
  const [i, f = ''] = text.split('.')
  return `${i}.${f.padEnd(2, '0')}`
}

function money (given: Q | undefined, value: Q): Q {
  return effectiveTolerance(given, CENT, value)
}

// ------------------------------------------------------------------ compound interest

export function verifyCompoundInterest (claim: Claim<'compound_interest'>): DiagnosticResult {
  const P = readNumber(claim.principal, 'principal')
  const r = readNumber(claim.rate, 'rate')
  const t = readNumber(claim.years, 'years')
  const nRaw = claim.compoundsPerYear ?? 1
  if (typeof nRaw !== 'number' || !Number.isInteger(nRaw) || nRaw < 1 || nRaw > MAX_COMPOUNDS_PER_YEAR) {
    malformed('compoundsPerYear', `an integer from 1 to ${MAX_COMPOUNDS_PER_YEAR}`)
  }
  if (t.sign < 0) malformed('years', 'must not be negative')
  const expected = readNumber(claim.expected, 'expected')
  const given = readTolerance(claim.tolerance)
  const n = Q.int(nRaw)
  const base = Q.ONE.add(r.div(n))
  if (base.sign <= 0) fail('compound_interest_invalid_rate', 'The rate gives a non-positive growth factor', { growth_factor: showQ(base) })
  const k = n.mul(t)
  // size of the result before building it: log10 |A| = log10 |P| + k log10(base)
  const digits = Math.log10(Math.max(1e-300, Math.abs(P.toNumber()))) + k.toNumber() * Math.log10(base.toNumber())
  if (!Number.isFinite(digits) || digits > MAX_AMOUNT_DIGITS) {
    fail('compound_interest_too_large', 'The amount is too large to verify', { max_digits: MAX_AMOUNT_DIGITS })
  }
  const inputs = { principal: showQ(P), rate: showQ(r), years: showQ(t), compounds_per_year: nRaw }
  const baseReport = { op: 'compound_interest', subject: 'The compound amount', expected: showQ(expected), inputs, extra: { formula: 'A = P(1 + r/n)^(nt)', rounding: 'cents, half up' } }
  const bits = k.isInteger() ? Number(k.n) * Math.max(bitLength(base.n), bitLength(base.d)) + P.bits() : Infinity
  if (bits <= MAX_EXACT_BITS) {
    const e = k.n
    charge(bits / 2000)
    const amount = roundCents(P.n * base.n ** e, P.d * base.d ** e)
    const tol = money(given, amount)
    return report(amount.sub(expected).abs().cmp(tol) <= 0 ? 'match' : 'mismatch', { ...baseReport, computed: cents(amount), tolerance: showQ(tol), method: 'exact_rational' })
  }
  // decimal.js at 60 digits; 1e-45 relative is far above its rounding error (about 1e-59 per operation)
  const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN })
  const dec = (q: Q): InstanceType<typeof Decimal> => new D(q.n.toString()).div(q.d.toString())
  charge(20)
  const v = dec(P).mul(dec(base).pow(dec(k)))
  const err = v.abs().mul('1e-45')
  const candidates = [v.sub(err), v.add(err)].map((x) => {
    const scaled = x.mul(100)
    const rounded = scaled.abs().add('0.5').floor().mul(scaled.isNegative() ? -1 : 1)
    return Q.of(BigInt(rounded.toFixed(0)), 100n)
  })
  const [low, high] = candidates as [Q, Q]
  const tol = money(given, low)
  const verdicts = candidates.map((a) => a.sub(expected).abs().cmp(tol) <= 0)
  const outcome: Outcome = verdicts[0] === verdicts[1] ? (verdicts[0] === true ? 'match' : 'mismatch') : 'unknown'
  return report(outcome, { ...baseReport, computed: low.equals(high) ? cents(low) : `${cents(low)} or ${cents(high)}`, tolerance: showQ(tol), method: 'high_precision' })
}

// ------------------------------------------------------------------ cash flows

function readFlows (value: unknown, op: string): Q[] {
  if (!Array.isArray(value)) malformed('cashFlows', 'an array of numbers')
  if (value.length > MAX_CASH_FLOWS) fail(`${op}_too_large`, 'Too many cash flows to verify', { max_cash_flows: MAX_CASH_FLOWS, count: value.length })
  if (value.length === 0) malformed('cashFlows', 'no cash flows')
  return denseItems(value, 'cashFlows').map((v, i) => readNumber(v, `cashFlows[${i}]`))
}

/** Integer flows c_t = CF_t * L with L the common denominator. */
function integerFlows (flows: Q[]): { c: bigint[], L: bigint } {
  let L = 1n
  for (const f of flows) if (L % f.d !== 0n) L = L * f.d / gcdBig(L, f.d)
  return { c: flows.map((f) => f.n * (L / f.d)), L }
}

function gcdBig (a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a < 0n ? -a : a
}

function checkSize (op: string, count: number, g: Q, flows: bigint[]): void {
  let maxFlow = 0
  for (const c of flows) maxFlow = Math.max(maxFlow, bitLength(c))
  const bits = count * (bitLength(g.n) + bitLength(g.d)) + maxFlow
  if (bits > MAX_EXACT_BITS) fail(`${op}_too_large`, 'The cash flows are too large to verify exactly', { max_bits: MAX_EXACT_BITS })
  charge(bits / 2000)
}

export function verifyNpv (claim: Claim<'npv'>): DiagnosticResult {
  const r = readNumber(claim.rate, 'rate')
  const flows = readFlows(claim.cashFlows, 'npv')
  const expected = readNumber(claim.expected, 'expected')
  const given = readTolerance(claim.tolerance)
  const g = Q.ONE.add(r)
  if (g.sign <= 0) fail('npv_invalid_rate', 'The discount rate must be greater than -1', { rate: showQ(r) })
  const { c, L } = integerFlows(flows)
  checkSize('npv', flows.length, g, c)
  // NPV = sum c_t (q/p)^t / L with 1 + r = p/q; times p^N: acc = sum c_t q^t p^(N-t) (Horner from t = N)
  const N = c.length - 1
  let acc = c[N] as bigint
  let pp = 1n
  for (let t = N - 1; t >= 0; t--) {
    pp *= g.n
    acc = acc * g.d + (c[t] as bigint) * pp
  }
  const npv = roundCents(acc, L * pp)
  const tol = money(given, npv)
  return report(npv.sub(expected).abs().cmp(tol) <= 0 ? 'match' : 'mismatch', {
    op: 'npv',
    subject: 'The net present value',
    computed: cents(npv),
    expected: showQ(expected),
    tolerance: showQ(tol),
    method: 'exact_rational',
    inputs: { rate: showQ(r), cash_flows: flows.map(showQ) },
    extra: { formula: 'NPV = sum CF_t / (1 + r)^t', rounding: 'cents, half up' }
  })
}

/** Sign changes of the flows, zeros skipped (Descartes' rule of signs). */
function signChanges (flows: bigint[]): number {
  let changes = 0
  let last = 0
  for (const f of flows) {
    const s = f > 0n ? 1 : f < 0n ? -1 : 0
    if (s === 0) continue
    if (last !== 0 && s !== last) changes++
    last = s
  }
  return changes
}

/** Sign of NPV at rate r > -1: sign of sum c_t (1+r)^(N-t). */
function npvSign (c: bigint[], r: Q): number {
  const g = Q.ONE.add(r)
  let acc = c[0] as bigint
  let qq = 1n
  for (let t = 1; t < c.length; t++) {
    qq *= g.d
    acc = acc * g.n + (c[t] as bigint) * qq
  }
  return acc > 0n ? 1 : acc < 0n ? -1 : 0
}

/**
 * The IRR for display (and for the scale of the tolerance bound) only, by bisection in doubles on
 * (-0.9999, 1e6); null when doubles cannot bracket it. The verdict never depends on it.
 */
function approximateIrr (flows: Q[]): number | null {
  const cf = flows.map((f) => f.toNumber())
  const npv = (r: number): number => {
    let sum = 0
    let df = 1
    for (const c of cf) {
      sum += c * df
      df /= 1 + r
    }
    return sum
  }
  let lo = -0.9999
  let hi = 1e6
  const slo = Math.sign(npv(lo))
  const shi = Math.sign(npv(hi))
  if (!Number.isFinite(slo) || !Number.isFinite(shi) || slo === 0 || shi === 0 || slo === shi) return null
  for (let i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2
    const s = Math.sign(npv(mid))
    if (Number.isNaN(s)) return null
    if (s === 0) return mid
    if (s === slo) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

export function verifyIrr (claim: Claim<'irr'>): DiagnosticResult {
  const flows = readFlows(claim.cashFlows, 'irr')
  const expected = readNumber(claim.expected, 'expected')
  const given = readTolerance(claim.tolerance)
  const inputs = { cash_flows: flows.map(showQ) }
  if (flows.length < 2) fail('irr_too_few_flows', 'At least two cash flows are needed for an IRR', { count: flows.length })
  const { c } = integerFlows(flows)
  if (c.every((x) => x === 0n)) {
    fail('irr_undefined', 'The IRR is undefined: every cash flow is zero', { error: 'IRR is undefined: all cash flows are zero. Any rate satisfies NPV=0.' })
  }
  const changes = signChanges(c)
  if (changes === 0) fail('irr_no_root', 'No IRR exists: the cash flows never change sign', { sign_changes: 0 })
  if (changes > 1) {
    fail('irr_ambiguous', 'The IRR is ambiguous: the cash flows change sign more than once', {
      sign_changes: changes,
      error: `Ambiguous IRR: ${changes} sign changes in cash flows implies up to ${changes} possible roots.`
    })
  }
  // sizes: evaluation points have the digits of expected +- tol; bisection points about 110 bits
  const tolGiven = given ?? IRR_TOLERANCE
  checkSize('irr', flows.length, Q.ONE.add(expected).add(tolGiven), c)
  let lastSign = 0
  for (const x of c) if (x !== 0n) lastSign = x > 0n ? 1 : -1
  const irr = approximateIrr(flows)
  const scale = irr === null ? expected : readNumber(Number(irr.toPrecision(12)), 'irr')
  const tol = effectiveTolerance(given, IRR_TOLERANCE, scale)
  const a = expected.sub(tol)
  const b = expected.add(tol)
  let outcome: Outcome
  if (b.cmp(Q.MINUS_ONE) <= 0) {
    outcome = 'mismatch'
  } else {
    const sa = a.cmp(Q.MINUS_ONE) <= 0 ? lastSign : npvSign(c, a)
    const sb = npvSign(c, b)
    outcome = sa * sb <= 0 ? 'match' : 'mismatch'
  }
  return report(outcome, {
    op: 'irr',
    subject: 'The internal rate of return',
    computed: irr === null ? 'not computed' : String(Number(irr.toPrecision(12))),
    expected: showQ(expected),
    tolerance: showQ(tol),
    method: 'exact_sign_test',
    inputs,
    extra: { sign_changes: 1, bracket: [showQ(a), showQ(b)] }
  })
}
