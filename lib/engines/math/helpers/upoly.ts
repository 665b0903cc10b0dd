/**
 * Polynomials in one variable with integer coefficients (lowest degree first), kept primitive, for
 * the eigenvalue check: pseudo-remainders, gcd, square-free part, Sturm sequences (with the sign
 * of every pseudo-remainder corrected, so Sturm's theorem applies), real-root counting and
 * isolation by bisection on exact rational points. Only the roots of a polynomial matter here, so
 * every operation is "up to a positive constant factor" (negative factors are never introduced
 * where a sign matters).
 */
import { Q } from '../exact.js'
import { charge } from '../limits.js'

export type IPoly = bigint[]

export function trim (p: IPoly): IPoly {
  let n = p.length
  while (n > 0 && p[n - 1] === 0n) n--
  return n === p.length ? p : p.slice(0, n)
}

export function degree (p: IPoly): number {
  return trim(p).length - 1
}

function abs (a: bigint): bigint { return a < 0n ? -a : a }

function gcdInt (a: bigint, b: bigint): bigint {
  a = abs(a)
  b = abs(b)
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

/** p divided by the (positive) gcd of its coefficients. */
export function primitive (p: IPoly): IPoly {
  p = trim(p)
  let g = 0n
  for (const c of p) {
    g = gcdInt(g, c)
    if (g === 1n) return p
  }
  return g === 0n ? p : p.map((c) => c / g)
}

/** Integer polynomial with the roots of the rational one (scaled by a positive integer). */
export function fromRationals (coeffs: Q[]): IPoly {
  let l = 1n
  for (const c of coeffs) l = (l / gcdInt(l, c.d)) * c.d
  return primitive(coeffs.map((c) => c.n * (l / c.d)))
}

export function derivative (p: IPoly): IPoly {
  return trim(p.slice(1).map((c, i) => c * BigInt(i + 1)))
}

/** Pseudo-remainder of a by b, multiplied by a positive factor only (so its sign is that of rem(a, b)). */
function prem (a: IPoly, b: IPoly): IPoly {
  b = trim(b)
  let r = trim(a)
  const db = b.length - 1
  const lead = b[db] as bigint
  let steps = 0
  while (r.length - 1 >= db && r.length > 0) {
    const shift = r.length - 1 - db
    const lr = r[r.length - 1] as bigint
    const next = r.map((c) => c * lead)
    for (let i = 0; i <= db; i++) next[shift + i] = (next[shift + i] as bigint) - lr * (b[i] as bigint)
    r = trim(next)
    steps++
    charge(0.002 * r.length)
  }
  // r = lead^steps * rem(a, b): undo a negative factor
  if (lead < 0n && steps % 2 === 1) r = r.map((c) => -c)
  return primitive(r)
}

/** Exact quotient a / b up to a positive factor (b divides a over the rationals). */
function quotient (a: IPoly, b: IPoly): IPoly {
  b = trim(b)
  let r = trim(a)
  const db = b.length - 1
  const lead = b[db] as bigint
  let q: IPoly = []
  while (r.length - 1 >= db && r.length > 0) {
    const shift = r.length - 1 - db
    const lr = r[r.length - 1] as bigint
    q = q.map((c) => c * lead)
    while (q.length <= shift) q.push(0n)
    q[shift] = (q[shift] as bigint) + lr
    const next = r.map((c) => c * lead)
    for (let i = 0; i <= db; i++) next[shift + i] = (next[shift + i] as bigint) - lr * (b[i] as bigint)
    r = trim(next)
  }
  const positive = lead > 0n ? q : q.map((c) => -c)
  return primitive(positive)
}

export function gcd (a: IPoly, b: IPoly): IPoly {
  a = primitive(a)
  b = primitive(b)
  while (b.length > 0) {
    const r = prem(a, b)
    a = b
    b = r
  }
  return a
}

/** The square-free part: same distinct roots, each simple. */
export function squareFreePart (p: IPoly): IPoly {
  const g = gcd(p, derivative(p))
  return degree(g) <= 0 ? primitive(p) : quotient(p, g)
}

/** Sign of p(x) for a rational x: sign of sum c_i n^i d^(deg - i) (d > 0). */
export function signAt (p: IPoly, x: Q): number {
  const n = x.n
  const d = x.d
  let acc = 0n
  let dd = 1n
  for (let i = p.length - 1; i >= 0; i--) {
    acc = acc * n + (p[i] as bigint) * dd
    dd *= d
  }
  return acc > 0n ? 1 : acc < 0n ? -1 : 0
}

/** The Sturm sequence of p (every element up to a positive factor). */
export function sturm (p: IPoly): IPoly[] {
  const seq: IPoly[] = [primitive(p), primitive(derivative(p))]
  for (;;) {
    const last = seq[seq.length - 1] as IPoly
    if (last.length <= 1) break
    const r = prem(seq[seq.length - 2] as IPoly, last)
    if (r.length === 0) break
    seq.push(r.map((c) => -c))
  }
  return seq.filter((s) => s.length > 0)
}

function variations (seq: IPoly[], x: Q): number {
  let count = 0
  let last = 0
  for (const s of seq) {
    const v = signAt(s, x)
    if (v === 0) continue
    if (last !== 0 && v !== last) count++
    last = v
  }
  return count
}

/** Distinct real roots of a square-free p in (a, b] (Sturm's theorem). */
export function countRoots (seq: IPoly[], a: Q, b: Q): number {
  charge(0.01 * seq.length)
  return variations(seq, a) - variations(seq, b)
}

/** An integer B with every real root in (-B, B) (Cauchy's bound, plus one). */
export function rootBound (p: IPoly): Q {
  p = trim(p)
  const lead = abs(p[p.length - 1] as bigint)
  let max = 0n
  for (let i = 0; i < p.length - 1; i++) if (abs(p[i] as bigint) > max) max = abs(p[i] as bigint)
  return Q.of(max / lead + 2n)
}

export interface Interval { lo: Q, hi: Q }

/** Isolating intervals (lo, hi] of every real root of a square-free p, in increasing order. */
export function isolate (p: IPoly, seq = sturm(p)): Interval[] {
  const B = rootBound(p)
  const out: Interval[] = []
  const stack: Array<Interval & { n: number }> = [{ lo: B.neg(), hi: B, n: countRoots(seq, B.neg(), B) }]
  const half = Q.of(1n, 2n)
  while (stack.length > 0) {
    const { lo, hi, n } = stack.pop() as Interval & { n: number }
    if (n === 0) continue
    if (n === 1) {
      out.push({ lo, hi })
      continue
    }
    const mid = lo.add(hi).mul(half)
    const left = countRoots(seq, lo, mid)
    stack.push({ lo: mid, hi, n: n - left }, { lo, hi: mid, n: left })
  }
  return out.sort((a, b) => a.lo.cmp(b.lo))
}

/** Halves an isolating interval (lo, hi] of a root (exactly one root of seq[0] stays inside). */
export function refine (seq: IPoly[], iv: Interval): Interval {
  const mid = iv.lo.add(iv.hi).mul(Q.of(1n, 2n))
  return countRoots(seq, iv.lo, mid) === 1 ? { lo: iv.lo, hi: mid } : { lo: mid, hi: iv.hi }
}
