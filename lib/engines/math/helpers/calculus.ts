/**
 * Calculus helpers, all proven on the math engine's rational-function normal form:
 *
 * derivative  d^n/dx^n expression - expected is zero in normal form (symbolic differentiation of
 *             the normal form, see differentiate.ts). Not provably zero -> UNVERIFIABLE; a
 *             difference that is a non-zero rational function of the variables -> UNVERIFIABLE
 *             (false). Never decided by sampling.
 * integral    indefinite: d/dx expected - expression is zero in normal form (so `+ C` is ignored).
 *             definite (lower and upper): an antiderivative F is found by rules (polynomials in x,
 *             monomial denominators, powers and reciprocals of linear terms, sin / cos / exp /
 *             c^u of linear terms, sums and constant multiples), F' = f is proven in normal form,
 *             the conditions under which F is valid on [lower, upper] are checked (a linear term
 *             under a log or a negative power does not vanish there, one under a fractional power
 *             is non-negative), and F(upper) - F(lower) is computed exactly or with the
 *             high-precision evaluator. Without such an antiderivative -> UNVERIFIABLE.
 * limit       two-sided at a finite point, one-sided (t -> 0+ with x = 1/t) at +-oo: if the
 *             expression is continuous at the point (every atom strictly inside its domain) the
 *             limit is its value; 0/0 -> L'Hopital on numerator and denominator of the normal
 *             form (up to 8 times); c/0 -> +-oo decided by the first non-zero derivative of the
 *             denominator. Otherwise UNVERIFIABLE.
 */
import type { MathOperationClaim } from '../../../../types/claims.js'
import type { DiagnosticResult } from '../../../../types/result.js'
import { Q } from '../exact.js'
import { NotRealError, UndecidableError } from '../limits.js'
import type { Approx } from '../numeric.js'
import * as P from '../poly.js'
import type { Ast } from '../parse.js'
import type { RF } from '../symbolic.js'
import {
  type Outcome, Session, compareValue, effectiveTolerance, fail, malformed, parseExpression, readTolerance,
  readVariable, report, showQ, showValue, variablesOf
} from './common.js'
import { Differentiator, NotDifferentiable } from './differentiate.js'
import { Substituter, isUndefinedHere } from './substitute.js'

type Claim<O extends MathOperationClaim['operation']> = Extract<MathOperationClaim, { operation: O }>

const MAX_ORDER = 10
const MAX_LHOPITAL = 8
/** QWED's definite-integral tolerance. */
const INTEGRAL_TOLERANCE = Q.of(1n, 1000000n)

function build (s: Session, ast: Ast): RF {
  try {
    return s.alg.build(ast)
  } catch (err) {
    if (err instanceof NotRealError) fail('not_real', 'Expression is not a real number', { error: 'domain error', detail: err.message })
    throw err
  }
}

/** How a non-zero difference of normal forms reads: false when it is a non-zero rational function of the variables alone. */
function nonZeroOutcome (s: Session, diff: RF): Outcome | 'unproven' {
  if (s.alg.onlyVariables(diff)) return 'mismatch'
  if (!s.alg.hasVars(diff)) {
    try {
      return compareValue(s.valueOf(diff), Q.ZERO, Q.ZERO)
    } catch (err) {
      if (err instanceof UndecidableError || err instanceof NotRealError) return 'unknown'
      throw err
    }
  }
  return 'unproven'
}

// ------------------------------------------------------------------ derivative

export function verifyDerivative (claim: Claim<'derivative'>): DiagnosticResult {
  const variable = readVariable(claim.variable)
  const order = claim.order ?? 1
  if (typeof order !== 'number' || !Number.isInteger(order) || order < 1 || order > MAX_ORDER) {
    malformed('order', `an integer from 1 to ${MAX_ORDER}`)
  }
  const exprAst = parseExpression(claim.expression, 'expression')
  const expectedAst = parseExpression(claim.expected, 'expected')
  const s = new Session()
  const f = build(s, exprAst)
  const expected = build(s, expectedAst)
  const base = {
    op: 'derivative',
    subject: 'The derivative',
    expected: s.alg.text(expected),
    method: 'symbolic_differentiation',
    inputs: { expression: s.alg.text(f), variable, order }
  }
  let d: RF
  try {
    d = new Differentiator(s.alg, variable).nth(f, order)
  } catch (err) {
    if (err instanceof NotDifferentiable) return report('unproven', { ...base, computed: '', extra: { detail: err.message } })
    throw err
  }
  const diff = s.alg.sub(d, expected)
  const outcome = diff.num.size === 0 ? 'match' : nonZeroOutcome(s, diff)
  return report(outcome, { ...base, computed: s.alg.text(d), extra: { simplified_difference: s.alg.text(diff) } })
}

// ------------------------------------------------------------------ integral

export function verifyIntegral (claim: Claim<'integral'>): DiagnosticResult {
  const variable = readVariable(claim.variable)
  if ((claim.lower === undefined) !== (claim.upper === undefined)) malformed(claim.lower === undefined ? 'lower' : 'upper', 'a definite integral needs both bounds')
  const exprAst = parseExpression(claim.expression, 'expression')
  const expectedAst = parseExpression(claim.expected, 'expected')
  if (claim.lower !== undefined) return definite(claim, variable, exprAst, expectedAst)
  const s = new Session()
  const f = build(s, exprAst)
  const F = build(s, expectedAst)
  const base = {
    op: 'integral',
    subject: 'The integral',
    expected: s.alg.text(F),
    method: 'differentiate_claimed_antiderivative',
    inputs: { expression: s.alg.text(f), variable }
  }
  let dF: RF
  try {
    dF = new Differentiator(s.alg, variable).rf(F)
  } catch (err) {
    if (err instanceof NotDifferentiable) return report('unproven', { ...base, computed: '', extra: { detail: err.message } })
    throw err
  }
  const diff = s.alg.sub(dF, f)
  const outcome = diff.num.size === 0 ? 'match' : nonZeroOutcome(s, diff)
  return report(outcome, { ...base, computed: s.alg.text(dF), extra: { integral_type: 'indefinite', derivative_of_expected: s.alg.text(dF), simplified_difference: s.alg.text(diff) } })
}

class NoAntiderivative extends Error {
  constructor (detail: string) {
    super(detail)
    this.name = 'NoAntiderivative'
  }
}

/** Finds an antiderivative of a syntax tree by rules, checking each rule's condition on [lo, hi]. */
class Integrator {
  private readonly s: Session
  private readonly x: string
  private readonly lo: RF
  private readonly hi: RF
  private readonly sub: Substituter

  constructor (s: Session, x: string, lo: RF, hi: RF) {
    this.s = s
    this.x = x
    this.lo = lo
    this.hi = hi
    this.sub = new Substituter(s, x, s.alg.zero, false)
  }

  private free (ast: Ast): boolean {
    return !variablesOf(ast).has(this.x)
  }

  private varRF (): RF {
    return this.s.alg.variable(this.x)
  }

  /** u = alpha x + beta with alpha, beta free of x and alpha != 0. */
  private linear (u: RF): { alpha: RF, beta: RF } | null {
    const alg = this.s.alg
    if (this.sub.rfDependsOn({ num: u.den, den: P.ONE })) return null
    const xId = alg.atomIds(this.varRF()).values().next().value as number
    let alpha: RF = alg.zero
    let beta: RF = alg.zero
    for (const t of u.num.values()) {
      const e = P.monoExponent(t.mono, xId)
      const rest = P.monoWith(t.mono, xId, 0)
      for (const [id] of rest) if (this.sub.dependsOn(id)) return null
      const piece: RF = { num: P.termPoly(rest, t.coef), den: P.ONE }
      if (e === 0) beta = alg.add(beta, piece)
      else if (e === 1) alpha = alg.add(alpha, piece)
      else return null
    }
    if (alpha.num.size === 0) return null
    const den: RF = { num: u.den, den: P.ONE }
    return { alpha: alg.div(alpha, den), beta: alg.div(beta, den) }
  }

  /** Sign of a linear u on [lo, hi]: both ends' signs (exact or numeric). */
  private ends (u: RF): [number | null, number | null] {
    const at = (v: RF): number | null => {
      try {
        return this.s.signOf(new Substituter(this.s, this.x, v, false).rf(u))
      } catch (err) {
        if (isUndefinedHere(err)) return null
        throw err
      }
    }
    return [at(this.lo), at(this.hi)]
  }

  /** u keeps one strict sign on [lo, hi]; returns it. */
  private strictSign (u: RF): 1 | -1 {
    const [a, b] = this.ends(u)
    if (a === null || b === null || a === 0 || a !== b) throw new NoAntiderivative('a linear term may vanish on the interval')
    return a as 1 | -1
  }

  private nonNegative (u: RF, strict: boolean): void {
    const [a, b] = this.ends(u)
    const ok = (v: number | null): boolean => v !== null && (strict ? v > 0 : v >= 0)
    if (!ok(a) || !ok(b)) throw new NoAntiderivative('a power base may be negative on the interval')
  }

  integrate (ast: Ast): RF {
    const alg = this.s.alg
    if (this.free(ast)) return alg.mul(alg.build(ast), this.varRF())
    const poly = this.rational(ast) ? this.polynomial(alg.build(ast)) : null
    if (poly !== null) return poly
    switch (ast.k) {
      case 'op': {
        const [a, b] = ast.args as [Ast, Ast]
        switch (ast.op) {
          case 'add': return alg.add(this.integrate(a), this.integrate(b))
          case 'sub': return alg.sub(this.integrate(a), this.integrate(b))
          case 'neg': return alg.negate(this.integrate(a))
          case 'mul':
            if (this.free(a)) return alg.mul(alg.build(a), this.integrate(b))
            if (this.free(b)) return alg.mul(this.integrate(a), alg.build(b))
            return this.byParts(a, b) ?? this.byParts(b, a) ?? this.fail('product without a rule')
          case 'div':
            if (this.free(b)) return alg.div(this.integrate(a), alg.build(b))
            if (this.free(a)) {
              const u = alg.build(b)
              if (this.linear(u) !== null) return alg.mul(alg.build(a), this.power(b, alg.constQ(Q.MINUS_ONE)))
              return alg.mul(alg.build(a), this.reciprocalQuadratic(u))
            }
            break
          case 'pow':
            if (this.free(b)) return this.power(a, alg.build(b))
            if (this.free(a)) return this.exponential(alg.build(a), b)
            break
        }
        break
      }
      case 'fn': {
        const arg = ast.args[0] as Ast
        if (ast.args.length !== 1) break
        const u = alg.build(arg)
        const lin = this.linear(u)
        if (lin === null) break
        switch (ast.name) {
          case 'sin': return alg.negate(alg.div(alg.sinCos(u).cos, lin.alpha))
          case 'cos': return alg.div(alg.sinCos(u).sin, lin.alpha)
          case 'exp': return alg.div(alg.exp(u), lin.alpha)
          case 'sqrt': return this.power(arg, alg.constQ(Q.of(1n, 2n)))
        }
        break
      }
    }
    throw new NoAntiderivative('no rule applies')
  }

  /**
   * Only arithmetic and integer powers where x occurs, so the normal form is the same function
   * wherever the expression is defined (no root or log identity has changed its domain).
   */
  private rational (ast: Ast): boolean {
    if (this.free(ast) || ast.k === 'var') return true
    if (ast.k !== 'op') return false
    if (ast.op === 'pow') {
      const e = ast.args[1] as Ast
      return this.free(e) && this.s.alg.asQ(this.s.alg.build(e))?.isInteger() === true && this.rational(ast.args[0] as Ast)
    }
    return ast.op !== 'fact' && ast.args.every((a) => this.rational(a))
  }

  private fail (detail: string): never {
    throw new NoAntiderivative(detail)
  }

  /** u = a x^2 + b x + c with a, b, c free of x and a != 0, else null. */
  private quadratic (u: RF): [RF, RF, RF] | null {
    const alg = this.s.alg
    if (this.sub.rfDependsOn({ num: u.den, den: P.ONE })) return null
    const xId = alg.atomIds(this.varRF()).values().next().value as number
    const parts: [RF, RF, RF] = [alg.zero, alg.zero, alg.zero]
    for (const t of u.num.values()) {
      const e = P.monoExponent(t.mono, xId)
      const rest = P.monoWith(t.mono, xId, 0)
      for (const [id] of rest) if (this.sub.dependsOn(id)) return null
      if (e > 2) return null
      parts[2 - e] = alg.add(parts[2 - e] as RF, { num: P.termPoly(rest, t.coef), den: P.ONE })
    }
    if (parts[0].num.size === 0) return null
    const den: RF = { num: u.den, den: P.ONE }
    return parts.map((p) => alg.div(p, den)) as [RF, RF, RF]
  }

  /** 1 / (a x^2 + b x + c) without real roots: 2 atan((2 a x + b) / d) / d, d = sqrt(4 a c - b^2). */
  private reciprocalQuadratic (u: RF): RF {
    const alg = this.s.alg
    const q = this.quadratic(u)
    if (q === null) this.fail('reciprocal of a term that is neither linear nor quadratic')
    const [a, b, c] = q
    const disc = alg.sub(alg.scaleQ(alg.mul(a, c), Q.int(4)), alg.mul(b, b))
    if (alg.hasVars(disc) || this.s.signOf(disc) !== 1) this.fail('a quadratic with real roots')
    const d = alg.root(disc, 2)
    const arg = alg.div(alg.add(alg.scaleQ(alg.mul(a, this.varRF()), Q.int(2)), b), d)
    return alg.div(alg.scaleQ(alg.apply('atan', [arg]), Q.int(2)), d)
  }

  /** p(x) g(u) with p a polynomial in x and g one of exp, sin, cos of a linear u: repeated parts. */
  private byParts (pAst: Ast, gAst: Ast): RF | null {
    const alg = this.s.alg
    if (gAst.k !== 'fn' || !['exp', 'sin', 'cos'].includes(gAst.name) || gAst.args.length !== 1 || !this.rational(pAst)) return null
    const p = alg.build(pAst)
    if (this.sub.rfDependsOn({ num: p.den, den: P.ONE })) return null
    const xId = alg.atomIds(this.varRF()).values().next().value as number
    let degree = 0
    for (const t of p.num.values()) {
      for (const [id] of P.monoWith(t.mono, xId, 0)) if (this.sub.dependsOn(id)) return null
      degree = Math.max(degree, P.monoExponent(t.mono, xId))
    }
    if (degree > 20) return null
    const u = alg.build(gAst.args[0] as Ast)
    const lin = this.linear(u)
    if (lin === null) return null
    const d = new Differentiator(alg, this.x)
    // p^(k) / alpha^(k+1), k = 0..deg p
    const terms: RF[] = []
    let dk = p
    let alphaPow = lin.alpha
    for (let k = 0; k <= degree; k++) {
      terms.push(alg.div(dk, alphaPow))
      dk = d.rf(dk)
      alphaPow = alg.mul(alphaPow, lin.alpha)
    }
    const alternate = (list: RF[]): RF => list.reduce((acc, term, i) => (i % 2 === 0 ? alg.add(acc, term) : alg.sub(acc, term)), alg.zero)
    // exp: e^u sum (-1)^k p^(k)/a^(k+1); sin: -cos(u) E + sin(u) O; cos: sin(u) E + cos(u) O
    if (gAst.name === 'exp') return alg.mul(alg.exp(u), alternate(terms))
    const E = alternate(terms.filter((_, k) => k % 2 === 0))
    const O = alternate(terms.filter((_, k) => k % 2 === 1))
    const { sin, cos } = alg.sinCos(u)
    return gAst.name === 'sin'
      ? alg.add(alg.negate(alg.mul(cos, E)), alg.mul(sin, O))
      : alg.add(alg.mul(sin, E), alg.mul(cos, O))
  }

  /** Integral of u^n for u linear in x and n free of x. */
  private power (uAst: Ast, n: RF): RF {
    const alg = this.s.alg
    const u = alg.build(uAst)
    const lin = this.linear(u)
    if (lin === null) throw new NoAntiderivative('power of a non-linear term')
    const q = alg.asQ(n)
    if (q !== null && q.equals(Q.MINUS_ONE)) {
      const sign = this.strictSign(u)
      return alg.div(alg.log(sign > 0 ? u : alg.negate(u)), lin.alpha)
    }
    if (q === null || !q.isInteger()) this.nonNegative(u, q === null || q.sign < 0)
    else if (q.sign < 0) this.strictSign(u)
    const m = alg.add(n, alg.one)
    return alg.div(alg.pow(u, m), alg.mul(m, lin.alpha))
  }

  /** Integral of c^u for a positive constant c and u linear in x (e^u included). */
  private exponential (c: RF, uAst: Ast): RF {
    const alg = this.s.alg
    const u = alg.build(uAst)
    const lin = this.linear(u)
    if (lin === null || alg.hasVars(c) || this.s.signOf(c) !== 1) throw new NoAntiderivative('not an exponential of a linear term')
    const logC = alg.log(c)
    if (logC.num.size === 0) throw new NoAntiderivative('base 1')
    return alg.div(alg.pow(c, u), alg.mul(lin.alpha, logC))
  }

  /** Polynomials in x (coefficients free of x), also over a monomial c x^m denominator. */
  private polynomial (f: RF): RF | null {
    const alg = this.s.alg
    const xRF = this.varRF()
    const xId = alg.atomIds(xRF).values().next().value as number
    let shift = 0
    let denRF: RF = alg.one
    if (this.sub.rfDependsOn({ num: f.den, den: P.ONE })) {
      if (f.den.size !== 1) return null
      const t = f.den.values().next().value as P.Term
      const m = P.monoExponent(t.mono, xId)
      const rest = P.monoWith(t.mono, xId, 0)
      for (const [id] of rest) if (this.sub.dependsOn(id)) return null
      shift = m
      denRF = { num: P.termPoly(rest, t.coef), den: P.ONE }
    } else {
      denRF = { num: f.den, den: P.ONE }
    }
    let sum = alg.zero
    for (const t of f.num.values()) {
      const k = P.monoExponent(t.mono, xId) - shift
      const rest = P.monoWith(t.mono, xId, 0)
      for (const [id] of rest) if (this.sub.dependsOn(id)) return null
      const coef: RF = { num: P.termPoly(rest, t.coef), den: P.ONE }
      let piece: RF
      if (k === -1) {
        const sign = this.strictSign(xRF)
        piece = alg.log(sign > 0 ? xRF : alg.negate(xRF))
      } else {
        if (k < 0) this.strictSign(xRF)
        piece = alg.scaleQ(alg.powInt(xRF, BigInt(k + 1)), Q.of(1n, BigInt(k + 1)))
      }
      sum = alg.add(sum, alg.mul(coef, piece))
    }
    return alg.div(sum, denRF)
  }
}

function readBound (value: unknown, field: string): Ast {
  const ast = parseExpression(value, field)
  if (variablesOf(ast).size > 0) malformed(field, 'a bound must be a number or a constant expression')
  return ast
}

function definite (claim: Claim<'integral'>, x: string, exprAst: Ast, expectedAst: Ast): DiagnosticResult {
  const loAst = readBound(claim.lower, 'lower')
  const hiAst = readBound(claim.upper, 'upper')
  if (variablesOf(expectedAst).has(x)) malformed('expected', 'a definite integral is a value, not a function of the variable')
  const s = new Session()
  const f = build(s, exprAst)
  const lo = build(s, loAst)
  const hi = build(s, hiAst)
  const expected = build(s, expectedAst)
  const given = readTolerance(claim.tolerance)
  const base = {
    op: 'integral',
    subject: 'The integral',
    expected: s.alg.text(expected),
    method: 'antiderivative_rules',
    inputs: { expression: s.alg.text(f), variable: x, lower: s.alg.text(lo), upper: s.alg.text(hi) }
  }
  let F: RF
  try {
    F = new Integrator(s, x, lo, hi).integrate(exprAst)
  } catch (err) {
    if (err instanceof NoAntiderivative || isUndefinedHere(err)) {
      return report('unproven', { ...base, computed: '', extra: { integral_type: 'definite', detail: err instanceof Error ? err.message : String(err) } })
    }
    throw err
  }
  // The rules are proven, not trusted: F' must equal the integrand in normal form.
  let proof: RF
  try {
    proof = s.alg.sub(new Differentiator(s.alg, x).rf(F), f)
  } catch (err) {
    if (err instanceof NotDifferentiable) return report('unproven', { ...base, computed: '', extra: { integral_type: 'definite', detail: err.message } })
    throw err
  }
  if (proof.num.size !== 0) {
    return report('unproven', { ...base, computed: '', extra: { integral_type: 'definite', antiderivative: s.alg.text(F), detail: 'antiderivative not proven' } })
  }
  let value: RF
  try {
    value = s.alg.sub(new Substituter(s, x, hi, false).rf(F), new Substituter(s, x, lo, false).rf(F))
  } catch (err) {
    if (isUndefinedHere(err)) return report('unproven', { ...base, computed: '', extra: { integral_type: 'definite', antiderivative: s.alg.text(F), detail: 'antiderivative undefined at a bound' } })
    throw err
  }
  const extra = { integral_type: 'definite', antiderivative: s.alg.text(F), exact_value: s.alg.text(value) }
  if (s.alg.hasVars(value) || s.alg.hasVars(expected)) {
    const diff = s.alg.sub(value, expected)
    const outcome = diff.num.size === 0 ? 'match' : nonZeroOutcome(s, diff)
    return report(outcome, { ...base, computed: s.alg.text(value), extra })
  }
  return judgeConstant(s, base, value, expected, given, INTEGRAL_TOLERANCE, extra)
}

/** A variable-free computed value against a variable-free expected one, within tolerance. */
function judgeConstant (
  s: Session,
  base: { op: string, subject: string, expected: string, method: string, inputs: Record<string, unknown> },
  value: RF,
  expected: RF,
  given: Q | undefined,
  fallback: Q,
  extra: Record<string, unknown>
): DiagnosticResult {
  let computed: Q | Approx
  let diff: Q | Approx
  try {
    computed = s.valueOf(value)
    diff = s.valueOf(s.alg.sub(value, expected))
  } catch (err) {
    if (err instanceof UndecidableError || err instanceof NotRealError) return report('unknown', { ...base, computed: s.alg.text(value), extra })
    throw err
  }
  const tol = effectiveTolerance(given, fallback, computed)
  const outcome = compareValue(diff, Q.ZERO, tol)
  return report(outcome, { ...base, computed: showValue(computed), tolerance: showQ(tol), extra })
}

// ------------------------------------------------------------------ limit

type Point = { kind: 'finite', value: RF } | { kind: 'infinite', sign: 1 | -1 }
type LimitValue = { kind: 'finite', value: RF } | { kind: 'infinite', sign: 1 | -1 } | { kind: 'none' }

// matched on the trimmed text: `^\s*([+-]?)\s*` could split a run of spaces two ways (quadratic)
const INFINITY = /^([+-]?)\s*(oo|inf|infinity)$/i

function readPoint (value: unknown, field: string, s: Session, x: string): Point {
  if (typeof value === 'string') {
    const m = INFINITY.exec(value.trim())
    if (m !== null) return { kind: 'infinite', sign: m[1] === '-' ? -1 : 1 }
  }
  const ast = parseExpression(value, field)
  if (variablesOf(ast).has(x)) malformed(field, 'must not depend on the variable')
  if (field === 'point' && variablesOf(ast).size > 0) malformed(field, 'the point must be a number or a constant expression')
  return { kind: 'finite', value: build(s, ast) }
}

class Undetermined extends Error {
  constructor (detail: string) {
    super(detail)
    this.name = 'Undetermined'
  }
}

/** Limit of f as variable v tends to p (two-sided, or from the right when `right`). */
function limitAt (s: Session, f: RF, v: string, p: RF, right: boolean): { value: LimitValue, method: string } {
  const alg = s.alg
  const d = new Differentiator(alg, v)
  const at = (g: RF): RF => {
    try {
      return new Substituter(s, v, p, true).rf(g)
    } catch (err) {
      if (isUndefinedHere(err)) throw new Undetermined(err instanceof Error ? err.message : 'undefined at the point')
      throw err
    }
  }
  const isZero = (g: RF): boolean => {
    if (g.num.size === 0) return true
    if (alg.hasVars(g)) return false
    if (s.signOf(g) === null) throw new Undetermined('a value could not be told from zero')
    return false
  }
  let current = f
  for (let step = 0; step <= MAX_LHOPITAL; step++) {
    const N: RF = { num: current.num, den: P.ONE }
    const D: RF = { num: current.den, den: P.ONE }
    const dv = at(D)
    const nv = at(N)
    const method = step === 0 ? 'substitution' : `lhopital_${step}`
    if (!isZero(dv)) return { value: { kind: 'finite', value: alg.div(nv, dv) }, method }
    if (isZero(nv)) {
      current = alg.div(d.rf(N), d.rf(D))
      continue
    }
    // c / 0: the sign of D near the point is that of its first non-zero derivative there.
    const sn = s.signOf(nv)
    if (sn === null || sn === 0) throw new Undetermined('sign of the numerator at the point')
    let Dk = D
    for (let k = 1; k <= MAX_LHOPITAL; k++) {
      Dk = d.rf(Dk)
      const value = at(Dk)
      if (isZero(value)) continue
      const sd = s.signOf(value)
      if (sd === null || sd === 0) throw new Undetermined('sign of a derivative of the denominator')
      if (!right && k % 2 === 1) return { value: { kind: 'none' }, method: `${method}_pole_order_${k}` }
      return { value: { kind: 'infinite', sign: (sn * sd) as 1 | -1 }, method: `${method}_pole_order_${k}` }
    }
    throw new Undetermined('pole of too high an order')
  }
  throw new Undetermined('too many applications of L\'Hopital\'s rule')
}

function describe (s: Session, v: LimitValue): string {
  if (v.kind === 'finite') return s.alg.text(v.value)
  if (v.kind === 'infinite') return v.sign > 0 ? 'oo' : '-oo'
  return 'does not exist'
}

export function verifyLimit (claim: Claim<'limit'>): DiagnosticResult {
  const x = readVariable(claim.variable)
  const exprAst = parseExpression(claim.expression, 'expression')
  const s = new Session()
  const point = readPoint(claim.point, 'point', s, x)
  const expected = readPoint(claim.expected, 'expected', s, x)
  const f = build(s, exprAst)
  const base = {
    op: 'limit',
    subject: 'The limit',
    expected: describe(s, expected),
    inputs: { expression: s.alg.text(f), variable: x, point: point.kind === 'finite' ? s.alg.text(point.value) : point.sign > 0 ? 'oo' : '-oo' }
  }
  let result: { value: LimitValue, method: string }
  try {
    if (point.kind === 'finite') {
      result = limitAt(s, f, x, point.value, false)
    } else {
      // x = +-1/t, t -> 0+
      const t = '_t'
      const g = new Substituter(s, x, s.alg.inverse(s.alg.scaleQ(s.alg.variable(t), Q.int(point.sign))), false).rf(f)
      result = limitAt(s, g, t, s.alg.zero, true)
    }
  } catch (err) {
    if (err instanceof Undetermined || err instanceof NotDifferentiable || isUndefinedHere(err) || err instanceof UndecidableError) {
      return report('unproven', { ...base, computed: '', method: 'limit_rules', extra: { detail: err instanceof Error ? err.message : String(err) } })
    }
    throw err
  }
  const computed = describe(s, result.value)
  const r = { ...base, computed, method: result.method }
  if (result.value.kind !== 'finite' || expected.kind !== 'finite') {
    const same = result.value.kind === 'infinite' && expected.kind === 'infinite' && result.value.sign === expected.sign
    return report(same ? 'match' : 'mismatch', r)
  }
  const diff = s.alg.sub(result.value.value, expected.value)
  if (diff.num.size === 0) return report('match', r)
  return report(nonZeroOutcome(s, diff), { ...r, extra: { simplified_difference: s.alg.text(diff) } })
}
