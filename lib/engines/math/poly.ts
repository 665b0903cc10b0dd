/**
 * Multivariate polynomials with exact rational coefficients over "atoms" (variables, constants such
 * as pi, and function applications, all numbered by the symbolic layer). A polynomial is a map from
 * a monomial key to its term; a monomial is a list of [atom id, exponent] sorted by atom id.
 * Term count, exponents and work are capped.
 */
import { Q, gcd } from './exact.js'
import { LIMITS, charge, checkpoint, resourceLimit } from './limits.js'

export type Mono = ReadonlyArray<readonly [number, number]>
export interface Term {
  readonly mono: Mono
  readonly coef: Q
}
export type Poly = ReadonlyMap<string, Term>

export const EMPTY_MONO: Mono = []
export const ZERO: Poly = new Map()
export const ONE: Poly = constPoly(Q.ONE)

export function monoKey (mono: Mono): string {
  let key = ''
  for (const [atom, exp] of mono) {
    if (key !== '') key += '*'
    key += exp === 1 ? String(atom) : `${atom}^${exp}`
  }
  return key
}

export function monoDegree (mono: Mono): number {
  let d = 0
  for (const [, e] of mono) d += e
  return d
}

export function monoMul (a: Mono, b: Mono): Mono {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out: Array<readonly [number, number]> = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const x = a[i]
    const y = b[j]
    if (y === undefined || (x !== undefined && x[0] < y[0])) {
      out.push(x as readonly [number, number])
      i++
    } else if (x === undefined || y[0] < x[0]) {
      out.push(y)
      j++
    } else {
      const e = x[1] + y[1]
      if (e > LIMITS.maxAtomExponent) throw resourceLimit('exponent of a variable', { max_exponent: LIMITS.maxAtomExponent })
      out.push([x[0], e])
      i++
      j++
    }
  }
  return out
}

export function monoPow (m: Mono, n: number): Mono {
  return m.map(([a, e]) => {
    const p = e * n
    if (p > LIMITS.maxAtomExponent) throw resourceLimit('exponent of a variable', { max_exponent: LIMITS.maxAtomExponent })
    return [a, p] as const
  })
}

/** The exponent of `atom` in `m` (0 when absent). */
export function monoExponent (m: Mono, atom: number): number {
  for (const [a, e] of m) if (a === atom) return e
  return 0
}

/** m with the exponent of `atom` set to `exp` (removed when 0). */
export function monoWith (m: Mono, atom: number, exp: number): Mono {
  const out: Array<readonly [number, number]> = []
  let placed = false
  for (const [a, e] of m) {
    if (a === atom) {
      if (exp > 0) out.push([a, exp])
      placed = true
    } else {
      if (!placed && a > atom && exp > 0) {
        out.push([atom, exp])
        placed = true
      }
      out.push([a, e])
    }
  }
  if (!placed && exp > 0) out.push([atom, exp])
  return out
}

/** The greatest common monomial divisor of a and b. */
export function monoGcd (a: Mono, b: Mono): Mono {
  const out: Array<readonly [number, number]> = []
  for (const [atom, e] of a) {
    const f = monoExponent(b, atom)
    if (f > 0) out.push([atom, Math.min(e, f)])
  }
  return out
}

/** a / b for a monomial b that divides a. */
export function monoDiv (a: Mono, b: Mono): Mono {
  let out = a
  for (const [atom, e] of b) out = monoWith(out, atom, monoExponent(out, atom) - e)
  return out
}

export function constPoly (q: Q): Poly {
  if (q.isZero()) return ZERO
  return new Map([['', { mono: EMPTY_MONO, coef: q }]])
}

export function atomPoly (atom: number, exp = 1): Poly {
  const mono: Mono = [[atom, exp]]
  return new Map([[monoKey(mono), { mono, coef: Q.ONE }]])
}

export function termPoly (mono: Mono, coef: Q): Poly {
  if (coef.isZero()) return ZERO
  return new Map([[monoKey(mono), { mono, coef }]])
}

function addTerm (out: Map<string, Term>, mono: Mono, coef: Q, key = monoKey(mono)): void {
  const prev = out.get(key)
  if (prev === undefined) {
    if (!coef.isZero()) out.set(key, { mono, coef })
    return
  }
  const sum = prev.coef.add(coef)
  if (sum.isZero()) out.delete(key)
  else out.set(key, { mono: prev.mono, coef: sum })
}

function checkTerms (p: Map<string, Term>): void {
  if (p.size > LIMITS.maxTerms) throw resourceLimit('polynomial terms', { max_terms: LIMITS.maxTerms })
}

export function add (a: Poly, b: Poly): Poly {
  if (a.size === 0) return b
  if (b.size === 0) return a
  charge(0.02 * (a.size + b.size))
  const out = new Map(a)
  for (const [key, t] of b) addTerm(out, t.mono, t.coef, key)
  checkTerms(out)
  return out
}

export function neg (a: Poly): Poly {
  const out = new Map<string, Term>()
  for (const [key, t] of a) out.set(key, { mono: t.mono, coef: t.coef.neg() })
  return out
}

export function sub (a: Poly, b: Poly): Poly {
  return add(a, neg(b))
}

export function scale (a: Poly, q: Q): Poly {
  if (q.isZero()) return ZERO
  if (q.isOne()) return a
  charge(0.02 * a.size)
  const out = new Map<string, Term>()
  for (const [key, t] of a) out.set(key, { mono: t.mono, coef: t.coef.mul(q) })
  return out
}

export function mul (a: Poly, b: Poly): Poly {
  if (a.size === 0 || b.size === 0) return ZERO
  const ops = a.size * b.size
  if (ops > LIMITS.maxTerms * 200) throw resourceLimit('polynomial product', { max_terms: LIMITS.maxTerms })
  charge(0.2 * ops)
  const out = new Map<string, Term>()
  for (const x of a.values()) {
    for (const y of b.values()) addTerm(out, monoMul(x.mono, y.mono), x.coef.mul(y.coef))
    checkTerms(out)
    checkpoint()
  }
  return out
}

/** Highest total degree of a term. */
export function degree (p: Poly): number {
  let d = 0
  for (const t of p.values()) d = Math.max(d, monoDegree(t.mono))
  return d
}

/** p^n for n >= 0. A single term is raised directly; a sum is expanded, within the degree cap. */
export function pow (p: Poly, n: number): Poly {
  if (n === 0) return ONE
  if (n === 1) return p
  if (p.size === 0) return ZERO
  if (p.size === 1) {
    const t = p.values().next().value as Term
    return termPoly(monoPow(t.mono, n), t.coef.pow(BigInt(n)))
  }
  if (n > LIMITS.maxExpandDegree || degree(p) * n > LIMITS.maxExpandDegree) {
    throw resourceLimit('degree of an expanded power', { max_degree: LIMITS.maxExpandDegree })
  }
  let result: Poly = ONE
  let base = p
  let k = n
  while (k > 0) {
    if (k & 1) result = mul(result, base)
    k >>= 1
    if (k > 0) base = mul(base, base)
  }
  return result
}

/** The constant value of p, or null when p has a non-constant term. */
export function asConst (p: Poly): Q | null {
  if (p.size === 0) return Q.ZERO
  if (p.size > 1) return null
  const t = p.get('')
  return t === undefined ? null : t.coef
}

export function equals (a: Poly, b: Poly): boolean {
  if (a.size !== b.size) return false
  for (const [key, t] of a) {
    const u = b.get(key)
    if (u === undefined || !u.coef.equals(t.coef)) return false
  }
  return true
}

/** Atom ids that occur in p. */
export function atomsOf (p: Poly, into = new Set<number>()): Set<number> {
  for (const t of p.values()) for (const [a] of t.mono) into.add(a)
  return into
}

/** The monomial dividing every term of p (empty for the zero polynomial). */
export function commonMono (p: Poly): Mono {
  let g: Mono | null = null
  for (const t of p.values()) {
    g = g === null ? t.mono : monoGcd(g, t.mono)
    if (g.length === 0) return g
  }
  return g ?? EMPTY_MONO
}

export function divMono (p: Poly, m: Mono): Poly {
  if (m.length === 0) return p
  const out = new Map<string, Term>()
  for (const t of p.values()) {
    const mono = monoDiv(t.mono, m)
    out.set(monoKey(mono), { mono, coef: t.coef })
  }
  return out
}

/** Positive rational c such that p / c has integer coprime coefficients. */
export function content (p: Poly): Q {
  let num = 0n
  let den = 1n
  for (const t of p.values()) {
    num = num === 0n ? (t.coef.n < 0n ? -t.coef.n : t.coef.n) : gcd(num, t.coef.n)
    den = (den / gcd(den, t.coef.d)) * t.coef.d
  }
  return num === 0n ? Q.ONE : Q.of(num, den)
}
