/**
 * What every library helper shares: exact reading of numeric inputs, the tolerance policy, the
 * comparison of a computed value (exact rational or high-precision interval) with a claimed one,
 * a normal-form session on the math engine's Algebra, and the verdict constructors.
 *
 * Tolerance policy (the math engine's, adapted to the helpers):
 *   - no tolerance -> the helper's QWED default (e.g. 0.01 for money, 0.001 for statistics);
 *   - a tolerance is read as an exact decimal; negative, non-finite, unreadable -> BLOCKED
 *     (`invalid_tolerance`);
 *   - an explicit tolerance above max(0.01, 10% of |computed value|) -> BLOCKED
 *     (`tolerance_exceeds_bound`): past that the claim is an estimate, not a checked value.
 * QWED 7.1 bounds only `verify_math` (by max(0.01, 1% of |value|)) and none of its helpers; its own
 * helper tests use tolerances up to 5% of the value (std 2 +- 0.1, NPV -21.04 +- 1), so the
 * helpers' bound is 10% rather than the expression engine's 1%.
 */
import type { Decimal as DecimalClass } from 'decimal.js'
import type { DeveloperFields, DiagnosticResult } from '../../../../types/result.js'
import { blocked, unverifiable, verified } from '../../../result.js'
import { Q, parseDecimal, parseRational } from '../exact.js'
import { MathFailure, NotRealError, UndecidableError } from '../limits.js'
import { normalizeExpression, splitSides } from '../normalize.js'
import { type Approx, Decimal, Evaluator, compareApprox, precisionFor } from '../numeric.js'
import { type Ast, parseSide } from '../parse.js'
import { Algebra, type RF } from '../symbolic.js'

/** Longest numeric input accepted as text. */
export const MAX_NUMBER_TEXT = 200
/** An explicit tolerance may not exceed max(MIN_TOLERANCE_CAP, TOLERANCE_RATIO * |value|). */
export const TOLERANCE_RATIO = Q.of(1n, 10n)
export const MIN_TOLERANCE_CAP = Q.of(1n, 100n)
/** Significant digits shown for a high-precision value. */
const SHOWN_DIGITS = 30

export function fail (reason: string, message: string, detail: Record<string, unknown> = {}): never {
  throw new MathFailure(reason, message, detail)
}

export function malformed (field: string, error?: string): never {
  fail('invalid_claim', 'The math claim is malformed', error === undefined ? { field } : { field, error })
}

/**
 * A number given as a JSON number or as decimal text, read exactly (`0.1` is 1/10). With
 * `rational`, `p/q` text is accepted too. Anything else is a malformed claim.
 */
export function readNumber (value: unknown, field: string, opts: { rational?: boolean } = {}): Q {
  let q: Q | null = null
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) malformed(field, 'not a finite number')
    q = parseDecimal(String(value))
  } else if (typeof value === 'string') {
    if (value.length > MAX_NUMBER_TEXT) malformed(field, 'number text too long')
    q = opts.rational === true ? parseRational(value) : parseDecimal(value)
  } else {
    malformed(field, 'not a number')
  }
  if (q === null) malformed(field, 'not a number')
  return q
}

/**
 * The elements of an array field, in order. A hole (`[1, , 2]`, `new Array(3)`) is not JSON and
 * `map` would skip it, leaving a hole in the result: the claim is malformed. Call after the
 * field's length cap (walking `new Array(1e9)` is not cheap).
 */
export function denseItems (value: readonly unknown[], field: string): unknown[] {
  const out: unknown[] = []
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) malformed(`${field}[${i}]`, 'a hole in an array')
    out.push(value[i])
  }
  return out
}

/** The claim's tolerance: undefined when absent; invalid values are BLOCKED. */
export function readTolerance (value: unknown): Q | undefined {
  if (value === undefined) return undefined
  let q: Q | null = null
  if (typeof value === 'number') q = Number.isFinite(value) ? parseDecimal(String(value)) : null
  else if (typeof value === 'string' && value.length <= MAX_NUMBER_TEXT) q = parseDecimal(value)
  if (q === null || q.sign < 0) {
    fail('invalid_tolerance', 'Invalid tolerance', { error: 'Invalid tolerance', requested_tolerance: String(value).slice(0, 50) })
  }
  return q
}

/** Magnitude of a computed value, as a decimal.js value (for the tolerance bound only). */
function magnitudeOf (value: Q | Approx): DecimalClass {
  if (value instanceof Q) return new Decimal(value.abs().n.toString()).div(value.d.toString())
  return value.v.abs()
}

/**
 * The tolerance to use: the default when none was given, else the given one provided it is within
 * max(0.01, 10% of |value|). `relative` tolerances (unit conversion) are bounded by 10% itself.
 */
export function effectiveTolerance (given: Q | undefined, fallback: Q, value: Q | Approx, relative = false): Q {
  if (given === undefined) return fallback
  const cap = relative
    ? new Decimal(TOLERANCE_RATIO.n.toString()).div(TOLERANCE_RATIO.d.toString())
    : Decimal.max(new Decimal('0.01'), magnitudeOf(value).mul('0.1'))
  const tol = new Decimal(given.n.toString()).div(given.d.toString())
  if (tol.gt(cap)) {
    fail('tolerance_exceeds_bound', 'Tolerance exceeds deterministic verification bound', {
      error: 'Tolerance exceeds deterministic verification bound',
      requested_tolerance: showQ(given),
      max_allowed_tolerance: cap.toSignificantDigits(12).toString(),
      calculated_value: showValue(value)
    })
  }
  return given
}

export type Outcome = 'match' | 'mismatch' | 'unknown'

/**
 * |value - expected| <= tol, decided exactly for rationals. For a high-precision value the whole
 * error interval must be inside (match) or outside (mismatch) the tolerance; with tolerance 0 it
 * can only be shown different (numeric closeness never proves equality: see numeric.ts).
 */
export function compareValue (value: Q | Approx, expected: Q, tol: Q): Outcome {
  if (value instanceof Q) return value.sub(expected).abs().cmp(tol) <= 0 ? 'match' : 'mismatch'
  const D = value.v.constructor as typeof Decimal
  const target = new D(expected.n.toString()).div(expected.d.toString())
  if (tol.isZero()) {
    return compareApprox(value, { v: target, e: new D(0) }) === 'different' ? 'mismatch' : 'unknown'
  }
  const t = new D(tol.n.toString()).div(tol.d.toString())
  const diff = value.v.sub(target).abs()
  if (diff.add(value.e.mul(2)).lte(t)) return 'match'
  if (diff.sub(value.e.mul(2)).gt(t)) return 'mismatch'
  return 'unknown'
}

/** Exact decimal text when the expansion is finite, else `p/q`. */
export function showQ (q: Q): string {
  return q.toFiniteDecimal(60) ?? q.toString()
}

export function showApprox (a: Approx): string {
  return a.v.abs().lte(a.e) ? '0' : a.v.toSignificantDigits(SHOWN_DIGITS).toString()
}

export function showValue (value: Q | Approx): string {
  return value instanceof Q ? showQ(value) : showApprox(value)
}

/** A rational as a decimal approximation with `digits` significant digits (display only). */
export function approxText (q: Q, digits = 15): string {
  if (q.toFiniteDecimal(digits) !== null) return showQ(q)
  return new Decimal(q.n.toString()).div(q.d.toString()).toSignificantDigits(digits).toString()
}

/** The math engine's Algebra with its high-precision evaluator wired in as the sign oracle. */
export class Session {
  readonly alg = new Algebra()
  private evaluator: Evaluator | null = null
  constructor () {
    this.alg.sign = (rf) => this.numeric().sign(rf)
    this.alg.floorOf = (rf) => this.numeric().floor(rf)
  }

  numeric (): Evaluator {
    const wanted = precisionFor(this.alg)
    if (this.evaluator === null || this.evaluator.precision < wanted) this.evaluator = new Evaluator(this.alg, wanted)
    return this.evaluator
  }

  /** The value of a variable-free normal form: exact when rational, else a high-precision interval. */
  valueOf (rf: RF): Q | Approx {
    return this.alg.asQ(rf) ?? this.numeric().value(rf)
  }

  /** Sign of a variable-free value: exact for rationals, numeric otherwise (null when undecided). */
  signOf (rf: RF): -1 | 0 | 1 | null {
    if (rf.num.size === 0) return 0
    const q = this.alg.asQ(rf)
    if (q !== null) return q.sign as -1 | 0 | 1
    try {
      const v = this.numeric().value(rf)
      if (v.v.abs().lte(v.e)) return null
      return v.v.isNegative() ? -1 : 1
    } catch (err) {
      if (err instanceof UndecidableError || err instanceof NotRealError) return null
      throw err
    }
  }
}

/** An expression of a claim parsed with the math engine's parser (one side, no `=`). */
export function parseExpression (text: unknown, field: string): Ast {
  if (typeof text === 'number' && Number.isFinite(text)) text = String(text)
  if (typeof text !== 'string') malformed(field, 'not an expression')
  const { text: normalized } = normalizeExpression(text)
  if (splitSides(normalized).length !== 1) malformed(field, 'an equation is not an expression')
  return parseSide(normalized)
}

/** Names of the variables of a syntax tree. */
export function variablesOf (ast: Ast, into = new Set<string>()): Set<string> {
  if (ast.k === 'var') into.add(ast.name)
  else if (ast.k === 'op' || ast.k === 'fn') for (const a of ast.args) variablesOf(a, into)
  return into
}

/** A variable name accepted by the parser (single letter or Greek letter name). */
export function readVariable (value: unknown): string {
  if (typeof value !== 'string' || value.length > 20) malformed('variable')
  const ast = parseExpression(value, 'variable')
  if (ast.k !== 'var') malformed('variable', 'not a variable name')
  return ast.name
}

export interface Report {
  /** The operation, e.g. `derivative`, `npv`, `matrix_inverse`. */
  op: string
  /** What the claim asserts, in words a client may see (`The derivative`). */
  subject: string
  computed: string
  expected: string
  tolerance?: string
  method: string
  /** The claim's inputs, as they were read (bound into the proof). */
  inputs: Record<string, unknown>
  extra?: DeveloperFields
}

/** VERIFIED / UNVERIFIABLE for an outcome, with the developer fields and evidence of the brief. */
export function report (outcome: Outcome | 'unproven', r: Report): DiagnosticResult {
  const fields: DeveloperFields = {
    operation: r.op,
    computed_value: r.computed,
    expected: r.expected,
    ...(r.tolerance === undefined ? {} : { tolerance: r.tolerance }),
    method: r.method,
    ...r.extra
  }
  if (outcome === 'match') {
    return verified(`${r.subject} matches the claimed result`, { constraint_id: `math.${r.op}_verified`, result: true, ...fields }, {
      operation: r.op,
      inputs: r.inputs,
      computed_value: r.computed,
      expected: r.expected,
      tolerance: r.tolerance ?? null,
      method: r.method,
      verdict: 'verified'
    })
  }
  if (outcome === 'mismatch') {
    return unverifiable(`${r.subject} does not match the claimed result`, { constraint_id: `math.${r.op}_mismatch`, result: false, ...fields })
  }
  const reason = outcome === 'unknown' ? 'undecidable' : 'unproven'
  return unverifiable(`${r.subject} could not be verified`, { constraint_id: `math.${r.op}_${reason}`, result: null, ...fields })
}

/** A BLOCKED verdict for a helper rule (constraint `math.<op>_<reason>`). */
export function refuse (op: string, reason: string, message: string, detail: DeveloperFields = {}): DiagnosticResult {
  return blocked(message, { constraint_id: `math.${op}_${reason}`, operation: op, ...detail })
}
