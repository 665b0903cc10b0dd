/**
 * Exact statistics. Every data value is read from its decimal text as m * 10^e, all values are
 * brought to one scale S (X_i = value_i * 10^S, an integer), and sums are taken on bigint, so
 * nothing cancels catastrophically: the mean of [1e16, 1, -1e16] is exactly 1/3. Results are exact
 * rationals (math engine's Q); std and correlation take one square root, kept exact when it is a
 * perfect square and otherwise evaluated by the math engine's high-precision evaluator with an
 * error bound.
 */
import { Q } from '../math/exact.js'
import { charge } from '../math/limits.js'
import type { Approx } from '../math/numeric.js'
import { Session } from '../math/helpers/common.js'

/** Longest data set (values, and y values for a correlation): declared in the engine's descriptor. */
export { MAX_VALUES } from './descriptor.js'
/** Longest value given as text. */
export const MAX_VALUE_TEXT = 100
/** Decimal digits between the largest and the smallest place of the data (1e300 and 1e-300 -> 600). */
export const MAX_DIGIT_SPAN = 1000

/** A statistics failure that becomes BLOCKED `stats.<reason>`. */
export class StatsFailure extends Error {
  readonly reason: string
  readonly publicMessage: string
  readonly detail: Record<string, unknown>
  constructor (reason: string, publicMessage: string, detail: Record<string, unknown> = {}) {
    super(`${reason}: ${publicMessage}`)
    this.name = 'StatsFailure'
    this.reason = reason
    this.publicMessage = publicMessage
    this.detail = detail
  }
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/
const SAFE = 9007199254740991

/** One value as m * 10^e (exact), or null when it is not a finite decimal number. */
export function readScaled (value: unknown): { m: bigint, e: number } | null {
  let text: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null
    if (Number.isInteger(value) && Math.abs(value) <= SAFE) return { m: BigInt(value), e: 0 }
    text = String(value)
  } else if (typeof value === 'string') {
    if (value.length > MAX_VALUE_TEXT) return null
    text = value.trim()
  } else {
    return null
  }
  const match = DECIMAL.exec(text)
  if (match === null) return null
  const [, sign = '', int = '', frac = '', exp] = match
  if (int === '' && frac === '') return null
  const e = (exp === undefined ? 0 : Number(exp)) - frac.length
  if (!Number.isSafeInteger(e) || Math.abs(e) > MAX_DIGIT_SPAN) return null
  const digits = BigInt((int + frac) || '0')
  return { m: sign === '-' ? -digits : digits, e }
}

/** A digest of the exact values (binds the data into a proof without serialising the claim again). */
export function fingerprint (d: Scaled): string {
  return `${d.S}:${d.X.join(',')}`
}

/** Data brought to one scale: value_i = X_i / 10^S. */
export interface Scaled {
  X: bigint[]
  S: number
  n: number
  /** 10^S */
  unit: bigint
}

export function scaleAll (values: Array<{ m: bigint, e: number }>, field: string): Scaled {
  let S = 0
  let top = 0
  for (const v of values) {
    if (v.m === 0n) continue
    S = Math.max(S, -v.e)
    top = Math.max(top, v.e + v.m.toString().length)
  }
  if (top + S > MAX_DIGIT_SPAN) {
    throw new StatsFailure('too_large', 'The data values span too many digits to verify', { field, max_digit_span: MAX_DIGIT_SPAN })
  }
  charge(values.length * 0.002)
  const powers: bigint[] = []
  const pow10 = (k: number): bigint => (powers[k] ??= 10n ** BigInt(k))
  const X = values.map((v) => (v.m === 0n || v.e + S === 0 ? v.m : v.m * pow10(v.e + S)))
  return { X, S, n: X.length, unit: 10n ** BigInt(S) }
}

function sum (xs: bigint[]): bigint {
  let s = 0n
  for (const x of xs) s += x
  return s
}

function sumSquares (xs: bigint[]): bigint {
  let s = 0n
  for (const x of xs) s += x * x
  charge(xs.length * 0.002)
  return s
}

export function total (d: Scaled): Q {
  return Q.of(sum(d.X), d.unit)
}

export function mean (d: Scaled): Q {
  return Q.of(sum(d.X), BigInt(d.n) * d.unit)
}

/** Population variance: (n sum X^2 - (sum X)^2) / (n^2 10^(2S)). */
export function variance (d: Scaled): Q {
  const s = sum(d.X)
  const n = BigInt(d.n)
  return Q.of(n * sumSquares(d.X) - s * s, n * n * d.unit * d.unit)
}

/** sqrt of a non-negative rational: exact when it is a perfect square, else high precision. */
export function sqrtOf (q: Q): Q | Approx {
  const s = new Session()
  return s.valueOf(s.alg.root(s.alg.constQ(q), 2))
}

export function minMax (d: Scaled): { min: Q, max: Q } {
  let lo = d.X[0] as bigint
  let hi = lo
  for (const x of d.X) {
    if (x < lo) lo = x
    if (x > hi) hi = x
  }
  return { min: Q.of(lo, d.unit), max: Q.of(hi, d.unit) }
}

/**
 * The i-th smallest X, from one sort (exact: doubles when every value is a safe integer, which
 * they represent exactly, else bigint comparisons).
 */
export function sorted (d: Scaled): (i: number) => bigint {
  charge(d.n * 0.005)
  const safe = d.X.every((x) => x <= 9007199254740991n && x >= -9007199254740991n)
  if (safe) {
    const values = Float64Array.from(d.X, (x) => Number(x)).sort()
    return (i) => BigInt(values[i] as number)
  }
  const values = [...d.X].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return (i) => values[i] as bigint
}

/** Percentile p (0..100) with linear interpolation between closest ranks: k = (n - 1) p / 100. */
export function percentile (d: Scaled, p: Q): Q {
  const s = sorted(d)
  const k = Q.int(d.n - 1).mul(p).div(Q.int(100))
  const f = k.n / k.d
  const frac = k.sub(Q.int(f))
  const lower = Q.of(s(Number(f)), d.unit)
  if (frac.isZero()) return lower
  const upper = Q.of(s(Number(f) + 1), d.unit)
  return lower.add(upper.sub(lower).mul(frac))
}

/** The most frequent values (one value, or several when the highest frequency is shared). */
export function modes (d: Scaled): { modes: Q[], frequency: number } {
  const counts = new Map<bigint, number>()
  for (const x of d.X) counts.set(x, (counts.get(x) ?? 0) + 1)
  charge(d.n * 0.002)
  let best = 0
  for (const c of counts.values()) best = Math.max(best, c)
  const top: bigint[] = []
  for (const [x, c] of counts) if (c === best) top.push(x)
  top.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { modes: top.map((x) => Q.of(x, d.unit)), frequency: best }
}

/**
 * Pearson correlation r = Sxy / sqrt(Sxx Syy) with Sxy = n sum XY - sum X sum Y (the scales
 * cancel). Null when one of the variables has no variance.
 */
export function correlation (x: Scaled, y: Scaled): Q | Approx | null {
  const n = BigInt(x.n)
  const sx = sum(x.X)
  const sy = sum(y.X)
  let sxy = 0n
  for (let i = 0; i < x.n; i++) sxy += (x.X[i] as bigint) * (y.X[i] as bigint)
  charge(x.n * 0.002)
  const Sxx = n * sumSquares(x.X) - sx * sx
  const Syy = n * sumSquares(y.X) - sy * sy
  if (Sxx === 0n || Syy === 0n) return null
  const Sxy = n * sxy - sx * sy
  const s = new Session()
  const alg = s.alg
  return s.valueOf(alg.div(alg.constQ(Q.of(Sxy)), alg.root(alg.constQ(Q.of(Sxx * Syy)), 2)))
}
