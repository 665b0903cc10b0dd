/**
 * From a claim to a verdict. Four shapes:
 *   expression            -> QWED /verify/math rules: evaluated / simplified / division by zero / not real
 *   expression + expected -> value within tolerance (QWED's tolerance bound)
 *   lhs = rhs             -> identity proven (VERIFIED) / disproven or unproven (UNVERIFIABLE)
 *   a = b = c ...         -> every link proven (VERIFIED), otherwise BLOCKED
 *
 * Tolerance policy. The tolerance is read as an exact decimal; negative, non-finite or unreadable
 * values are BLOCKED (math.invalid_tolerance), and so is a tolerance above max(0.01, 1% of |value|)
 * (math.tolerance_exceeds_bound), as in QWED. Without a tolerance the comparison is exact: the
 * claimed decimal must equal the value (QWED's library defaults to 1e-6 after rounding to 6 places;
 * a caller that wants that passes `tolerance: '0.000001'`). Exact equality is proven only by the
 * exact normal form (sin(pi/2) is 1 there); a value the normal form leaves irrational (sqrt(2), pi)
 * can be shown different from a decimal (sqrt(2) = 1.414214 is false) but never equal to one
 * without a tolerance. With a tolerance, the whole error interval must be inside it.
 *
 * Identities. An identity is VERIFIED only when the exact normal form of the difference is 0. A
 * non-zero rational difference disproves it exactly; otherwise high-precision evaluation may
 * disprove it (the difference's error interval excludes 0) or leave it unproven. Numeric closeness
 * never proves: `pi*10^100 = pi*10^100 + 1` is false although the sides agree to 100 digits.
 */
import type { MathClaim, MathExpressionClaim } from '../../../types/claims.js'
import type { DeveloperFields, DiagnosticResult } from '../../../types/result.js'
import { blocked, unverifiable, verified } from '../../result.js'
import { Q, parseDecimal, parseRational } from './exact.js'
import { Budget, LIMITS, MathFailure, NotRealError, UndecidableError, withBudget } from './limits.js'
import { normalizeExpression, splitSides } from './normalize.js'
import type { Decimal as DecimalClass } from 'decimal.js'
import { type Approx, Decimal, type Evaluator, compareApprox } from './numeric.js'
import { type Ast, parseSide } from './parse.js'
import { type RF } from './symbolic.js'
import { Session } from './helpers/common.js'
import { ROUNDING_RULE, decideRoundedLink, readRoundedTo } from './rounding.js'

export type Method = 'exact' | 'polynomial_normal_form' | 'high_precision'

/** A high-precision value shown to clients: 30 significant digits. */
const SHOWN_DIGITS = 30

interface LinkOutcome {
  result: 'true' | 'false' | 'unknown'
  method: Method
  difference: string
  /** Values of the variables where the two sides differ (a disproof), when one was found. */
  counterexample?: Record<string, string>
}

function fail (reason: string, message: string, detail: Record<string, unknown> = {}): never {
  throw new MathFailure(reason, message, detail)
}

/** Verifies one math claim. Never throws: every failure is a verdict. */
export function verifyMathClaim (claim: MathClaim, signal?: AbortSignal): DiagnosticResult {
  try {
    return withBudget(new Budget(LIMITS.maxWork, signal), () => judge(claim))
  } catch (err) {
    if (err instanceof MathFailure) {
      return blocked(err.publicMessage, { constraint_id: `math.${err.reason}`, ...err.detail })
    }
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      return blocked('Expression is nested too deeply', { constraint_id: 'math.too_deep', error: 'stack exhausted' })
    }
    // An unexpected internal failure: fail closed, never throw for a claim.
    return blocked('Expression could not be verified', {
      constraint_id: 'math.internal_error',
      error: err instanceof Error ? err.message.slice(0, 200) : String(err)
    })
  }
}

function judge (claim: MathClaim): DiagnosticResult {
  if (claim === null || typeof claim !== 'object') fail('invalid_claim', 'The math claim is malformed')
  const { expression, expected, tolerance, domain } = claim as Partial<MathExpressionClaim>
  const roundedTo = readRoundedTo((claim as Partial<MathExpressionClaim>).roundedTo)
  if (roundedTo !== undefined && expected !== undefined) {
    fail('invalid_claim', 'The math claim is malformed', { field: 'roundedTo', error: 'roundedTo applies to an equation, not to an expected value' })
  }
  if (domain !== undefined && domain !== 'real' && domain !== 'complex') {
    fail('invalid_claim', 'The math claim is malformed', { field: 'domain', allowed: ['real', 'complex'] })
  }
  if (expected !== undefined && typeof expected !== 'number' && typeof expected !== 'string') {
    fail('invalid_claim', 'The math claim is malformed', { field: 'expected' })
  }
  if (tolerance !== undefined && expected === undefined) {
    fail('invalid_claim', 'The math claim is malformed', { field: 'tolerance', error: 'tolerance needs an expected value' })
  }
  const { text } = normalizeExpression(expression)
  const sides = splitSides(text)
  if (sides.length > 1 && expected !== undefined) {
    fail('invalid_claim', 'The math claim is malformed', { field: 'expected', error: 'an equation cannot also have an expected value' })
  }
  const asts = sides.map((side) => parseSide(side))
  const session = new Session()
  const realDomain = domain === 'real'

  let built: RF[]
  try {
    built = asts.map((ast) => session.alg.build(ast))
  } catch (err) {
    // an expected value or a chain needs every value: not real is BLOCKED there
    if (err instanceof NotRealError) return notReal(text, err, realDomain || expected !== undefined || asts.length > 2, realDomain)
    throw err
  }

  if (roundedTo !== undefined) {
    if (built.length === 1) fail('invalid_claim', 'The math claim is malformed', { field: 'roundedTo', error: 'roundedTo applies to an equation' })
    return judgeRounded(session, text, asts, built, roundedTo, realDomain)
  }
  if (expected !== undefined) return judgeExpected(session, text, built[0] as RF, expected, tolerance)
  if (built.length === 1) return judgeExpression(session, text, built[0] as RF, realDomain)
  if (built.length === 2) return judgeEquation(session, text, asts, built[0] as RF, built[1] as RF, realDomain)
  return judgeChain(session, text, asts, built)
}

/** A non-real value: BLOCKED in the real domain (or where a real value is required), else UNVERIFIABLE. */
function notReal (text: string, err: NotRealError, block: boolean, realDomain = block): DiagnosticResult {
  const fields = { constraint_id: 'math.not_real', error: 'domain error', detail: err.message, original: text }
  if (!block) return unverifiable('Expression is not numeric', fields)
  return blocked(realDomain ? 'Expression is not real-valued in the requested real domain' : 'Expression is not a real number', fields)
}

// ------------------------------------------------------------------ bare expression

function judgeExpression (session: Session, text: string, rf: RF, realDomain: boolean): DiagnosticResult {
  const alg = session.alg
  const simplified = alg.text(rf)
  if (alg.hasVars(rf)) {
    const fields = { constraint_id: 'math.simplified', simplified, original: text, is_symbolic: true, method: 'polynomial_normal_form' }
    return verified('Expression simplified', fields, { claim: text, verdict: 'simplified', simplified, method: 'polynomial_normal_form' })
  }
  const q = alg.asQ(rf)
  if (q !== null) {
    const exact = q.toString()
    const fields: DeveloperFields = {
      constraint_id: 'math.evaluated',
      value: displayNumber(q),
      exact_value: exact,
      simplified,
      original: text,
      method: 'exact'
    }
    const decimal = q.toFiniteDecimal()
    if (decimal !== null) fields.decimal_value = decimal
    return verified('Expression evaluated', fields, { claim: text, verdict: 'evaluated', exact_value: exact, method: 'exact' })
  }
  let value: Approx
  try {
    value = session.numeric().value(rf)
  } catch (err) {
    if (err instanceof NotRealError) return notReal(text, err, realDomain)
    if (err instanceof UndecidableError) return undecidable(text, err)
    throw err
  }
  const scale = Decimal.max(1, value.v.abs())
  if (value.e.gt(scale.mul('1e-30'))) return undecidable(text, new UndecidableError('value not determined precisely enough'))
  const approximate = value.v.abs().lte(value.e) ? '0' : value.v.toSignificantDigits(SHOWN_DIGITS).toString()
  const fields = {
    constraint_id: 'math.evaluated',
    value: Number(approximate),
    exact_value: simplified,
    approximate_value: approximate,
    error_bound: value.e.toSignificantDigits(3).toString(),
    simplified,
    original: text,
    method: 'high_precision'
  }
  return verified('Expression evaluated', fields, { claim: text, verdict: 'evaluated', exact_value: simplified, approximate_value: approximate, method: 'high_precision' })
}

function undecidable (text: string, err: UndecidableError): DiagnosticResult {
  return unverifiable('Expression could not be evaluated precisely enough', { constraint_id: 'math.undecidable', detail: err.message, original: text })
}

function displayNumber (q: Q): number | null {
  const n = q.toNumber()
  return Number.isFinite(n) ? n : null
}

// ------------------------------------------------------------------ equations and chains

function decideLink (session: Session, left: RF, right: RF, leftAst: Ast, rightAst: Ast): LinkOutcome {
  const alg = session.alg
  const diff = alg.sub(left, right)
  const difference = alg.text(diff)
  // Any variable, constant or function met while building the claim makes it a normal-form proof.
  const anyAtoms = alg.atoms.length > 0
  // a sign settled by high-precision evaluation (abs(1 - pi) = pi - 1) makes the proof a numeric one
  const symbolic: Method = alg.numericDecisions > 0 ? 'high_precision' : anyAtoms ? 'polynomial_normal_form' : 'exact'
  if (diff.num.size === 0) return { result: 'true', method: symbolic, difference: '0' }
  // A non-zero rational difference disproves the identity exactly, whatever atoms the sides share
  // (pi*10^100 vs pi*10^100 + 1: the difference is -1, however large the sides are).
  if (alg.asQ(diff) !== null) return { result: 'false', method: symbolic, difference }
  if (alg.hasVars(left) || alg.hasVars(right)) {
    // A non-zero polynomial in the variables alone is not identically zero.
    if (alg.onlyVariables(diff)) return { result: 'false', method: 'polynomial_normal_form', difference }
    // Otherwise the claim is unproven, unless exact or high-precision values at a sample point differ.
    const counterexample = findCounterexample(leftAst, rightAst)
    if (counterexample !== null) return { result: 'false', method: 'high_precision', difference, counterexample }
    return { result: 'unknown', method: 'polynomial_normal_form', difference }
  }
  // Variable-free, and the normal form of the difference is not 0: numeric evaluation can only
  // disprove (error intervals apart). Close values prove nothing: the claim stays unproven.
  const ev = session.numeric()
  try {
    if (compareApprox(ev.value(left), ev.value(right)) === 'different') return { result: 'false', method: 'high_precision', difference }
  } catch (err) {
    if (err instanceof UndecidableError) return { result: 'unknown', method: 'high_precision', difference }
    throw err
  }
  // The difference itself, evaluated from its normal form, where shared large terms have cancelled
  // (pi*10^100 = pi*10^100 + sqrt(2): the sides agree to 100 digits, the difference is -sqrt(2)).
  if (separatedFromZero(ev, diff)) return { result: 'false', method: 'high_precision', difference }
  return { result: 'unknown', method: 'high_precision', difference }
}

/** The variable-free value rf is provably non-zero (its error interval excludes 0). */
function separatedFromZero (ev: Evaluator, rf: RF): boolean {
  try {
    const value = ev.value(rf)
    // the same margin as compareApprox: |v| beyond twice the error bound
    return value.v.abs().gt(value.e.mul(2))
  } catch (err) {
    // not evaluable (or its denominator not separable from 0) in this form: no disproof from here
    if (err instanceof UndecidableError || (err instanceof MathFailure && err.reason === 'division_by_zero')) return false
    throw err
  }
}

/** Distinct sample values per variable (no 0 or 1, so no accidental special values); three points. */
const SAMPLES: ReadonlyArray<readonly Q[]> = [
  ['-2/3', '5/7', '-3/11', '7/5', '-11/13', '13/4', '-4/9', '9/2'],
  ['3/2', '-1/3', '7/4', '-2/9', '5/3', '-8/7', '2/5', '-6/5'],
  ['-5/3', '-3/4', '2/7', '11/6', '-7/2', '4/11', '-9/8', '10/3']
].map((row) => row.map((v) => parseRational(v) as Q))

function variablesOf (ast: Ast, into: Set<string>): Set<string> {
  if (ast.k === 'var') into.add(ast.name)
  else if (ast.k === 'op' || ast.k === 'fn') for (const a of ast.args) variablesOf(a, into)
  return into
}

/**
 * Looks for values of the variables where the two sides are both defined and provably differ
 * (exactly, or beyond the high-precision error bound). Finding one disproves the identity; not
 * finding one proves nothing. Runs on a small budget of its own and never decides VERIFIED.
 */
function findCounterexample (left: Ast, right: Ast): Record<string, string> | null {
  const names = [...variablesOf(right, variablesOf(left, new Set()))].sort()
  if (names.length === 0 || names.length > 8) return null
  for (const row of SAMPLES) {
    const bindings = new Map(names.map((name, i) => [name, row[i] as Q]))
    try {
      const found = withBudget(new Budget(LIMITS.maxWork / 10), () => {
        const session = new Session()
        session.alg.bindings = bindings
        const l = session.alg.build(left)
        const r = session.alg.build(right)
        const lq = session.alg.asQ(l)
        const rq = session.alg.asQ(r)
        if (lq !== null && rq !== null) return !lq.equals(rq)
        const ev = session.numeric()
        return compareApprox(ev.value(l), ev.value(r)) === 'different'
      })
      if (found) return Object.fromEntries(names.map((name) => [name, (bindings.get(name) as Q).toString()]))
    } catch (err) {
      // undefined, non-real or too costly at this point: try the next one
      if (!(err instanceof MathFailure || err instanceof NotRealError || err instanceof UndecidableError)) throw err
    }
  }
  return null
}

function withNotReal<T> (text: string, block: boolean, realDomain: boolean, fn: () => T): T | DiagnosticResult {
  try {
    return fn()
  } catch (err) {
    if (err instanceof NotRealError) return notReal(text, err, block, realDomain)
    throw err
  }
}

function judgeEquation (session: Session, text: string, asts: Ast[], left: RF, right: RF, realDomain: boolean): DiagnosticResult {
  const outcome = withNotReal(text, realDomain, realDomain, () => decideLink(session, left, right, asts[0] as Ast, asts[1] as Ast))
  if (!('result' in outcome)) return outcome
  const alg = session.alg
  const base: DeveloperFields = {
    left_side: alg.text(left),
    right_side: alg.text(right),
    simplified_difference: outcome.difference,
    method: outcome.method
  }
  if (outcome.result === 'true') {
    return verified('Identity is true', { constraint_id: 'math.identity_true', result: true, ...base }, {
      claim: text, verdict: 'identity_true', left: base.left_side, right: base.right_side, method: outcome.method
    })
  }
  if (outcome.result === 'false') {
    const extra = outcome.counterexample === undefined ? {} : { counterexample: outcome.counterexample }
    return unverifiable('Identity is false', { constraint_id: 'math.identity_false', result: false, ...base, ...extra })
  }
  return unverifiable('Identity could not be proven', { constraint_id: 'math.identity_unproven', result: null, ...base })
}

function judgeChain (session: Session, text: string, asts: Ast[], sides: RF[]): DiagnosticResult {
  const alg = session.alg
  const links: Array<{ left: string, right: string, result: string, method: Method }> = []
  for (let i = 0; i + 1 < sides.length; i++) {
    const left = sides[i] as RF
    const right = sides[i + 1] as RF
    const outcome = withNotReal(text, true, false, () => decideLink(session, left, right, asts[i] as Ast, asts[i + 1] as Ast))
    if (!('result' in outcome)) return outcome
    links.push({ left: alg.text(left), right: alg.text(right), result: outcome.result, method: outcome.method })
    if (outcome.result !== 'true') {
      const reason = outcome.result === 'false' ? 'chain_false_link' : 'chain_unproven_link'
      return blocked('Equation chain contains a step that does not hold', {
        constraint_id: `math.${reason}`, link: i, links, original: text
      })
    }
  }
  return verified('Equation chain is true', { constraint_id: 'math.chain_true', result: true, links, original: text }, {
    claim: text, verdict: 'chain_true', links
  })
}

// ------------------------------------------------------------------ rounded results

/**
 * `a = b = ... = y = c` with roundedTo k: every link but the last is exact; the last says that y
 * rounded to k places is the number c. Two sides: true VERIFIED, false or unproven UNVERIFIABLE
 * (as any equation); longer chains: a link that does not hold is BLOCKED (as any chain).
 */
function judgeRounded (session: Session, text: string, asts: Ast[], sides: RF[], places: number, realDomain: boolean): DiagnosticResult {
  const alg = session.alg
  const last = sides.length - 1
  const links: Array<{ left: string, right: string, result: string, method: Method }> = []
  const chain = sides.length > 2
  for (let i = 0; i < last; i++) {
    const left = sides[i] as RF
    const right = sides[i + 1] as RF
    const outcome = withNotReal(text, chain || realDomain, realDomain, () => {
      if (i < last - 1) return decideLink(session, left, right, asts[i] as Ast, asts[i + 1] as Ast)
      const link = decideRoundedLink(alg, left, asts[last] as Ast, places)
      const method: Method = alg.numericDecisions > 0 ? 'high_precision' : alg.atoms.length > 0 ? 'polynomial_normal_form' : 'exact'
      return { result: link.result, method, difference: link.rounded ?? 'unknown', rounded: link.rounded }
    })
    if (!('result' in outcome)) return outcome
    links.push({ left: alg.text(left), right: alg.text(right), result: outcome.result, method: outcome.method })
    if (outcome.result === 'true') continue
    const fields: DeveloperFields = { rounded_to: places, rounding: ROUNDING_RULE, links, original: text }
    if ('rounded' in outcome && outcome.rounded !== undefined) fields.rounded_value = outcome.rounded
    if (chain) {
      const reason = outcome.result === 'false' ? 'chain_false_link' : 'chain_unproven_link'
      return blocked('Equation chain contains a step that does not hold', { constraint_id: `math.${reason}`, link: i, ...fields })
    }
    if (outcome.result === 'false') {
      return unverifiable('Identity is false', { constraint_id: 'math.identity_false', result: false, left_side: alg.text(left), ...fields })
    }
    return unverifiable('Identity could not be proven', { constraint_id: 'math.identity_unproven', result: null, left_side: alg.text(left), ...fields })
  }
  const lastLeft = sides[last - 1] as RF
  const fields: DeveloperFields = {
    constraint_id: chain ? 'math.chain_true' : 'math.identity_true',
    result: true,
    left_side: alg.text(lastLeft),
    right_side: alg.text(sides[last] as RF),
    rounded_to: places,
    rounding: ROUNDING_RULE,
    links,
    original: text
  }
  return verified(chain ? 'Equation chain is true' : 'Identity is true', fields, {
    claim: text, verdict: chain ? 'chain_true' : 'identity_true', rounded_to: places, rounding: ROUNDING_RULE, links
  })
}

// ------------------------------------------------------------------ expected value and tolerance

function parseExpected (expected: number | string): Q {
  let q: Q | null = null
  if (typeof expected === 'number') q = Number.isFinite(expected) ? parseDecimal(String(expected)) : null
  else if (expected.length <= 200) q = parseRational(expected)
  if (q === null) fail('invalid_expected', 'The expected value is not a number', { field: 'expected' })
  return q
}

function parseTolerance (tolerance: number | string | undefined): Q {
  if (tolerance === undefined) return Q.ZERO
  let q: Q | null = null
  if (typeof tolerance === 'number') q = Number.isFinite(tolerance) ? parseDecimal(String(tolerance)) : null
  else if (typeof tolerance === 'string' && tolerance.length <= 200) q = parseDecimal(tolerance)
  if (q === null || q.sign < 0) {
    fail('invalid_tolerance', 'Invalid tolerance', { error: 'Invalid tolerance', requested_tolerance: String(tolerance).slice(0, 50) })
  }
  return q
}

function judgeExpected (session: Session, text: string, rf: RF, expected: number | string, tolerance: number | string | undefined): DiagnosticResult {
  const alg = session.alg
  const claimed = parseExpected(expected)
  const tol = parseTolerance(tolerance)
  if (alg.hasVars(rf)) {
    fail('not_numeric', 'Expression has free variables and no single value', { simplified: alg.text(rf) })
  }
  const exact = alg.asQ(rf)
  let value: Approx | null = null
  if (exact === null) {
    try {
      value = session.numeric().value(rf)
    } catch (err) {
      if (err instanceof NotRealError) return notReal(text, err, true, false)
      if (err instanceof UndecidableError) return undecidable(text, err)
      throw err
    }
  }
  const D = value === null ? Decimal : value.v.constructor as typeof Decimal
  const toDec = (q: Q): DecimalClass => new D(q.n.toString()).div(q.d.toString())
  const magnitude = exact !== null ? toDec(exact.abs()) : (value as Approx).v.abs()
  const calculated = exact !== null ? (exact.toFiniteDecimal() ?? exact.toString()) : (value as Approx).v.toSignificantDigits(SHOWN_DIGITS).toString()
  // QWED's deterministic bound: a tolerance may not exceed max(0.01, 1% of |value|).
  const cap = Decimal.max(new D('0.01'), magnitude.mul('0.01'))
  if (toDec(tol).gt(cap)) {
    fail('tolerance_exceeds_bound', 'Tolerance exceeds deterministic verification bound', {
      error: 'Tolerance exceeds deterministic verification bound',
      requested_tolerance: tol.toFiniteDecimal() ?? tol.toString(),
      max_allowed_tolerance: cap.toSignificantDigits(12).toString(),
      calculated_value: calculated
    })
  }
  const base: DeveloperFields = {
    calculated_value: calculated,
    expected: claimed.toFiniteDecimal() ?? claimed.toString(),
    tolerance: tol.toFiniteDecimal() ?? tol.toString(),
    original: text
  }
  let outcome: 'match' | 'mismatch' | 'unknown'
  let method: Method
  if (exact !== null) {
    method = 'exact'
    const diff = exact.sub(claimed).abs()
    base.diff = diff.toFiniteDecimal() ?? diff.toString()
    outcome = diff.cmp(tol) <= 0 ? 'match' : 'mismatch'
  } else {
    method = 'high_precision'
    const v = value as Approx
    const target = toDec(claimed)
    if (tol.isZero()) {
      // an irrational normal form is never proven equal to a decimal; it may be proven different
      outcome = compareApprox(v, { v: target, e: new D(0) }) === 'different' ? 'mismatch' : 'unknown'
    } else {
      const diff = v.v.sub(target).abs()
      const t = toDec(tol)
      outcome = diff.add(v.e.mul(2)).lte(t) ? 'match' : diff.sub(v.e.mul(2)).gt(t) ? 'mismatch' : 'unknown'
    }
    base.diff = v.v.sub(target).abs().toSignificantDigits(6).toString()
  }
  base.method = method
  if (outcome === 'match') {
    return verified('Value matches the expected result', { constraint_id: 'math.value_matches', result: true, ...base }, {
      claim: text, verdict: 'value_matches', calculated_value: calculated, expected: base.expected, tolerance: base.tolerance, method
    })
  }
  if (outcome === 'mismatch') {
    return unverifiable('Value does not match the expected result', { constraint_id: 'math.value_mismatch', result: false, ...base })
  }
  return unverifiable('Value could not be compared precisely enough', { constraint_id: 'math.undecidable', result: null, ...base })
}
