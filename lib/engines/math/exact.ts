/**
 * Exact rational arithmetic on bigint. Every value is kept reduced (gcd 1, positive denominator);
 * sizes are capped at LIMITS.maxBits and the cost of each operation is charged to the claim's budget
 * (Euclid's gcd is quadratic in the bit length, so big operands cost more).
 */
import { LIMITS, charge, resourceLimit } from './limits.js'

export function bitLength (n: bigint): number {
  if (n < 0n) n = -n
  if (n < 0x100000000n) return n === 0n ? 0 : 32 - Math.clz32(Number(n))
  return n.toString(16).length * 4
}

function costOf (bits: number): number {
  const words = bits / 64
  return 0.01 + (words * words) / 16
}

export function gcd (a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a
  if (b < 0n) b = -b
  if (a === 1n || b === 1n) return 1n
  charge(costOf(Math.max(bitLength(a), bitLength(b))))
  while (b !== 0n) {
    const t = a % b
    a = b
    b = t
  }
  return a
}

function checkBits (n: bigint, d: bigint): void {
  if (n >= -0xffffffffn && n <= 0xffffffffn && d <= 0xffffffffn) return
  const bits = Math.max(bitLength(n), bitLength(d))
  if (bits > LIMITS.maxBits) throw resourceLimit('number size', { max_bits: LIMITS.maxBits })
}

/** An exact rational number n/d (d > 0, gcd(n, d) = 1). */
export class Q {
  readonly n: bigint
  readonly d: bigint
  private constructor (n: bigint, d: bigint) {
    this.n = n
    this.d = d
  }

  static readonly ZERO = new Q(0n, 1n)
  static readonly ONE = new Q(1n, 1n)
  static readonly MINUS_ONE = new Q(-1n, 1n)

  static int (n: bigint | number): Q {
    const v = typeof n === 'number' ? BigInt(n) : n
    if (v === 0n) return Q.ZERO
    if (v === 1n) return Q.ONE
    checkBits(v, 1n)
    return new Q(v, 1n)
  }

  /** n/d reduced; throws on d = 0 (callers check for division by zero first). */
  static of (n: bigint, d: bigint = 1n): Q {
    if (d === 0n) throw new RangeError('zero denominator')
    if (d < 0n) {
      n = -n
      d = -d
    }
    if (n === 0n) return Q.ZERO
    if (d !== 1n) {
      const g = gcd(n, d)
      if (g !== 1n) {
        n /= g
        d /= g
      }
    }
    checkBits(n, d)
    return new Q(n, d)
  }

  get sign (): number {
    return this.n > 0n ? 1 : this.n < 0n ? -1 : 0
  }

  isZero (): boolean { return this.n === 0n }
  isOne (): boolean { return this.n === 1n && this.d === 1n }
  isInteger (): boolean { return this.d === 1n }
  bits (): number { return Math.max(bitLength(this.n), bitLength(this.d)) }

  neg (): Q { return this.n === 0n ? this : new Q(-this.n, this.d) }
  abs (): Q { return this.n < 0n ? new Q(-this.n, this.d) : this }

  add (o: Q): Q {
    if (o.n === 0n) return this
    if (this.n === 0n) return o
    if (this.d === 1n && o.d === 1n) return Q.of(this.n + o.n)
    if (this.d === o.d) return Q.of(this.n + o.n, this.d)
    return Q.of(this.n * o.d + o.n * this.d, this.d * o.d)
  }

  sub (o: Q): Q { return this.add(o.neg()) }

  mul (o: Q): Q {
    if (this.n === 0n || o.n === 0n) return Q.ZERO
    if (this.d === 1n && o.d === 1n) return Q.of(this.n * o.n)
    // Cross-reduce first so the products stay small.
    const g1 = gcd(this.n, o.d)
    const g2 = gcd(o.n, this.d)
    const n = (this.n / g1) * (o.n / g2)
    const d = (this.d / g2) * (o.d / g1)
    checkBits(n, d)
    return new Q(n, d)
  }

  inv (): Q {
    if (this.n === 0n) throw new RangeError('inverse of zero')
    return this.n < 0n ? new Q(-this.d, -this.n) : new Q(this.d, this.n)
  }

  div (o: Q): Q { return this.mul(o.inv()) }

  cmp (o: Q): number {
    const l = this.n * o.d
    const r = o.n * this.d
    return l < r ? -1 : l > r ? 1 : 0
  }

  equals (o: Q): boolean { return this.n === o.n && this.d === o.d }

  /** this^k for an integer k; the size of the result is estimated before computing it. */
  pow (k: bigint): Q {
    if (k === 0n) return Q.ONE
    if (this.n === 0n) {
      if (k < 0n) throw new RangeError('inverse of zero')
      return Q.ZERO
    }
    const base = k < 0n ? this.inv() : this
    const e = k < 0n ? -k : k
    if (base.d === 1n && (base.n === 1n || base.n === -1n)) return base.n === 1n || e % 2n === 0n ? Q.ONE : Q.MINUS_ONE
    const bits = Math.max(bitLength(base.n), bitLength(base.d))
    // |n| >= 2 or d >= 2 here, so the result has at least (bits - 1) * e bits.
    if (e > BigInt(LIMITS.maxBits) || (bits - 1) * Number(e) > LIMITS.maxBits) {
      throw resourceLimit('exponent too large', { max_bits: LIMITS.maxBits })
    }
    charge(costOf(bits * Number(e)))
    const n = base.n ** e
    const d = base.d ** e
    checkBits(n, d)
    return new Q(n, d)
  }

  /** Exact decimal string when the denominator is 2^a 5^b, else `n/d`. */
  toString (): string {
    if (this.d === 1n) return this.n.toString()
    return `${this.n}/${this.d}`
  }

  /** Plain decimal text if the value has a finite decimal expansion (up to maxDigits), else null. */
  toFiniteDecimal (maxDigits = 400): string | null {
    let d = this.d
    let twos = 0
    let fives = 0
    while (d % 2n === 0n) { d /= 2n; twos++ }
    while (d % 5n === 0n) { d /= 5n; fives++ }
    if (d !== 1n) return null
    const scale = Math.max(twos, fives)
    if (scale > maxDigits) return null
    if (scale === 0) return this.n.toString()
    const scaled = (this.n * 10n ** BigInt(scale)) / this.d
    const neg = scaled < 0n
    const digits = (neg ? -scaled : scaled).toString().padStart(scale + 1, '0')
    // trailing zeros of the fraction, then a bare point, trimmed with a loop (a `0+$` regex is quadratic)
    let fraction = digits.slice(-scale)
    let end = fraction.length
    while (end > 0 && fraction.charCodeAt(end - 1) === 48) end--
    fraction = fraction.slice(0, end)
    const text = fraction === '' ? digits.slice(0, -scale) : `${digits.slice(0, -scale)}.${fraction}`
    return (neg ? '-' : '') + text
  }

  /** A JS number close to the value (for display only; never used to decide). */
  toNumber (): number {
    const bn = bitLength(this.n)
    const bd = bitLength(this.d)
    if (bn < 1000 && bd < 1000) return Number(this.n) / Number(this.d)
    const shift = BigInt(Math.max(0, bn - 64)) - BigInt(Math.max(0, bd - 64))
    const n = Number(this.n >> BigInt(Math.max(0, bn - 64)))
    const d = Number(this.d >> BigInt(Math.max(0, bd - 64)))
    return (n / d) * 2 ** Number(shift)
  }
}

const DECIMAL = /^([+-]?)(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/**
 * Parses decimal text (`12`, `-0.30`, `.5`, `1e-3`, `2.5E+10`) exactly. Returns null for anything
 * else. The exponent is capped before any power of ten is built.
 */
export function parseDecimal (text: string): Q | null {
  const m = DECIMAL.exec(text.trim())
  if (m === null) return null
  const [, sign = '', intPart = '', frac = '', exp] = m
  if (intPart === '' && frac === '') return null
  if (intPart.length + frac.length > LIMITS.maxLiteralExponent) throw resourceLimit('literal too long')
  let e = exp === undefined ? 0 : Number(exp)
  if (!Number.isSafeInteger(e) || Math.abs(e) > LIMITS.maxLiteralExponent) {
    throw resourceLimit('literal exponent', { max_exponent: LIMITS.maxLiteralExponent })
  }
  const digits = BigInt((intPart + frac) || '0')
  e -= frac.length
  const signed = sign === '-' ? -digits : digits
  return e >= 0 ? Q.of(signed * 10n ** BigInt(e)) : Q.of(signed, 10n ** BigInt(-e))
}

/** Parses `p/q` (integers) or decimal text; null when it is neither. */
export function parseRational (text: string): Q | null {
  const t = text.trim()
  const slash = t.indexOf('/')
  if (slash < 0) return parseDecimal(t)
  const p = parseDecimal(t.slice(0, slash))
  const q = parseDecimal(t.slice(slash + 1))
  if (p === null || q === null || !p.isInteger() || !q.isInteger() || q.isZero()) return null
  return p.div(q)
}

/** floor(n^(1/k)) for n >= 0 (Newton's method on bigint). */
export function integerRoot (n: bigint, k: number): bigint {
  if (n < 2n) return n
  const K = BigInt(k)
  const bits = bitLength(n)
  let x = 1n << BigInt(Math.ceil(bits / k) + 1)
  for (;;) {
    charge(costOf(bits) / 4)
    const y = ((K - 1n) * x + n / x ** (K - 1n)) / K
    if (y >= x) break
    x = y
  }
  while (x ** K > n) x -= 1n
  while ((x + 1n) ** K <= n) x += 1n
  return x
}

/** The exact k-th root of a non-negative integer when it is a perfect power, else null. */
export function exactRoot (n: bigint, k: number): bigint | null {
  const r = integerRoot(n, k)
  return r ** BigInt(k) === n ? r : null
}

const SMALL_PRIMES: number[] = (() => {
  const out: number[] = []
  for (let p = 2; p < 1000; p++) {
    if (out.every((q) => q * q > p || p % q !== 0)) out.push(p)
  }
  return out
})()

/**
 * Writes a positive integer m as c^k * r where r has no k-th power factor among the primes below
 * 1000 and is not itself a perfect k-th power (so `(m)^(1/k) = c * r^(1/k)`).
 */
export function extractPower (m: bigint, k: number): { outside: bigint, inside: bigint } {
  let outside = 1n
  let inside = m
  const whole = exactRoot(inside, k)
  if (whole !== null) return { outside: whole, inside: 1n }
  for (const p of SMALL_PRIMES) {
    const P = BigInt(p)
    const Pk = P ** BigInt(k)
    if (Pk > inside) break
    charge(0.02)
    while (inside % Pk === 0n) {
      inside /= Pk
      outside *= P
    }
  }
  const rest = exactRoot(inside, k)
  if (rest !== null) return { outside: outside * rest, inside: 1n }
  return { outside, inside }
}

/**
 * The prime factors below 1000 of a positive integer, with their multiplicities, and the cofactor
 * left once they are divided out (1, or a number whose prime factors are all above 1000).
 */
export function smallPrimeFactors (m: bigint): { factors: Array<[bigint, number]>, rest: bigint } {
  const factors: Array<[bigint, number]> = []
  let rest = m
  for (const p of SMALL_PRIMES) {
    const P = BigInt(p)
    if (P * P > rest) break
    charge(0.02)
    let k = 0
    while (rest % P === 0n) {
      rest /= P
      k++
    }
    if (k > 0) factors.push([P, k])
  }
  // stopped early (P^2 > rest): rest is 1 or a prime above every factor found; below 1000 it is one of them
  if (rest > 1n && rest < 1000n) {
    factors.push([rest, 1])
    rest = 1n
  }
  return { factors, rest }
}

export function factorial (n: number): bigint {
  if (n > LIMITS.maxFactorial) throw resourceLimit('factorial argument', { max_factorial: LIMITS.maxFactorial })
  let f = 1n
  for (let i = 2n; i <= BigInt(n); i++) f *= i
  charge(n / 50)
  return f
}

export function binomial (n: number, k: number): bigint {
  if (n > LIMITS.maxFactorial) throw resourceLimit('binomial argument', { max_factorial: LIMITS.maxFactorial })
  if (k < 0 || k > n) return 0n
  k = Math.min(k, n - k)
  let r = 1n
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i)
  charge(k / 50)
  return r
}
