/**
 * Exact rationals whose numerator and denominator are safe integers (|x| < 2^53), on plain
 * numbers: the fast path (fast-path.ts) tries these first, since most claims (prices, percentages)
 * never leave that range and bigint arithmetic allocates at every step. Kept reduced (gcd 1,
 * positive denominator) like exact.ts Q, so the same value has the same numerator, denominator and
 * text in both. Any result that would not be a safe integer throws TOO_BIG, never a rounded value:
 * the caller then starts over with Q. (A product or sum of safe integers is exact in floating
 * point as long as the true result is at most 2^53 - 1, and otherwise rounds to at least 2^53,
 * which Number.isSafeInteger refuses.)
 */

/** A value left the safe range: start over with bigint rationals. */
export class TooBig extends Error {}
const TOO_BIG = new TooBig()

/** Decimal digits that always fit in a safe integer (10^15 < 2^53). */
const MAX_SAFE_DIGITS = 15

/** 10^k, exact, for the fraction digits a safe literal may have. */
const POWERS_OF_TEN = Array.from({ length: MAX_SAFE_DIGITS + 1 }, (_, k) => 10 ** k)

function safe (x: number): number {
  if (!Number.isSafeInteger(x)) throw TOO_BIG
  return x
}

function gcd (a: number, b: number): number {
  if (a < 0) a = -a
  while (b !== 0) {
    const t = a % b
    a = b
    b = t
  }
  return a
}

export class SmallQ {
  private constructor (readonly n: number, readonly d: number) {}

  static readonly ZERO = new SmallQ(0, 1)
  static readonly ONE = new SmallQ(1, 1)

  /** n/d reduced, d != 0; -0 becomes 0. */
  static of (n: number, d: number): SmallQ {
    if (n === 0) return SmallQ.ZERO
    if (d < 0) {
      n = -n
      d = -d
    }
    const g = gcd(n, d)
    return g === 1 ? new SmallQ(n, d) : new SmallQ(n / g, d / g)
  }

  /**
   * The decimal literal at `start` of `text`: `whole` digits, then (when `fraction` > 0) a point
   * and `fraction` digits; all its digits over 10^fraction.
   */
  static decimal (text: string, start: number, whole: number, fraction: number): SmallQ {
    if (whole + fraction > MAX_SAFE_DIGITS) throw TOO_BIG
    let n = 0
    for (let i = start; i < start + whole; i++) n = n * 10 + (text.charCodeAt(i) - 48)
    const from = start + whole + 1
    for (let i = from; i < from + fraction; i++) n = n * 10 + (text.charCodeAt(i) - 48)
    return SmallQ.of(n, POWERS_OF_TEN[fraction] as number)
  }

  isZero (): boolean { return this.n === 0 }
  equals (o: SmallQ): boolean { return this.n === o.n && this.d === o.d }
  neg (): SmallQ { return this.n === 0 ? this : new SmallQ(-this.n, this.d) }

  add (o: SmallQ): SmallQ {
    if (this.d === o.d) return SmallQ.of(safe(this.n + o.n), this.d)
    return SmallQ.of(safe(safe(this.n * o.d) + safe(o.n * this.d)), safe(this.d * o.d))
  }

  sub (o: SmallQ): SmallQ { return this.add(o.neg()) }
  mul (o: SmallQ): SmallQ { return SmallQ.of(safe(this.n * o.n), safe(this.d * o.d)) }
  /** o must not be zero (the reader checks). */
  div (o: SmallQ): SmallQ { return SmallQ.of(safe(this.n * o.d), safe(this.d * o.n)) }

  pow (k: number): SmallQ {
    let v = SmallQ.ONE
    for (let i = 0; i < k; i++) v = v.mul(this)
    return v
  }

  /** As Q.toString: `n` or `n/d` (a safe integer's text is its exact digits). */
  toString (): string {
    return this.d === 1 ? String(this.n) : `${this.n}/${this.d}`
  }
}
