/**
 * High-precision evaluation (decimal.js) of variable-free normal forms, with a running bound on the
 * absolute error of every value: each operation adds its own rounding and propagates the error of
 * its inputs through a Lipschitz (or Hoelder) bound of the function. It is used only when the exact
 * normal form cannot decide (claims without variables that involve pi, e, roots, logs or trig).
 *
 * A numeric value can SEPARATE (the true value lies in [v - e, v + e], so a value whose interval
 * excludes zero is provably non-zero, and two values whose intervals are apart provably differ) but
 * it never proves EQUALITY: however small the bound, a non-zero difference below it (pi*10^100 vs
 * pi*10^100 + 1 at 100 digits, or pi vs pi + exp(-700)) reads the same as zero. So nothing here
 * answers "equal": equality is proven only by the exact normal form (symbolic.ts).
 */
import DecimalDefault from 'decimal.js'
import type { Decimal as DecimalClass } from 'decimal.js'
import type { Q } from './exact.js'
import { LIMITS, NotRealError, UndecidableError, charge, divisionByZero, resourceLimit } from './limits.js'
import type { Poly } from './poly.js'
import type { Algebra, Atom, RF } from './symbolic.js'

// decimal.js types its default export as CommonJS; at run time the ESM default export is the class.
export const Decimal = DecimalDefault as unknown as typeof DecimalClass

export interface Approx {
  readonly v: DecimalClass
  /** Bound on |true value - v|. */
  readonly e: DecimalClass
}

const constructors = new Map<number, typeof Decimal>()
function decimalWith (precision: number): typeof Decimal {
  let D = constructors.get(precision)
  if (D === undefined) {
    D = Decimal.clone({ precision, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -7, toExpPos: 21, maxE: 9e15, minE: -9e15 })
    constructors.set(precision, D)
  }
  return D
}

/** Working precision for an algebra: more digits when the claim carries long or tiny constants. */
export function precisionFor (alg: Algebra): number {
  return Math.min(LIMITS.maxPrecision, Math.max(LIMITS.minPrecision, 40 + 2 * alg.maxDigits))
}

export class Evaluator {
  readonly precision: number
  private readonly D: typeof Decimal
  private readonly eps: DecimalClass
  private readonly cost: number
  private readonly cache = new Map<number, Approx>()
  private readonly alg: Algebra

  constructor (alg: Algebra, precision = precisionFor(alg)) {
    this.alg = alg
    this.precision = precision
    this.D = decimalWith(precision)
    this.eps = new this.D(10).pow(1 - precision)
    this.cost = (precision / 60) ** 2
  }

  private ulp (v: DecimalClass): DecimalClass {
    return v.abs().mul(this.eps)
  }

  exact (q: Q): Approx {
    const n = new this.D(q.n.toString())
    if (q.d === 1n) return { v: n, e: new this.D(0) }
    const v = n.div(q.d.toString())
    return { v, e: this.ulp(v) }
  }

  add (a: Approx, b: Approx): Approx {
    const v = a.v.add(b.v)
    return { v, e: a.e.add(b.e).add(this.ulp(v)) }
  }

  mul (a: Approx, b: Approx): Approx {
    const v = a.v.mul(b.v)
    return { v, e: a.v.abs().mul(b.e).add(b.v.abs().mul(a.e)).add(a.e.mul(b.e)).add(this.ulp(v)) }
  }

  div (a: Approx, b: Approx): Approx {
    const margin = b.v.abs().sub(b.e)
    if (margin.lte(0)) throw divisionByZero('denominator indistinguishable from zero')
    const v = a.v.div(b.v)
    return { v, e: a.e.add(v.abs().mul(b.e)).div(margin).add(this.ulp(v)) }
  }

  powInt (a: Approx, n: number): Approx {
    let result: Approx = { v: new this.D(1), e: new this.D(0) }
    let base = a
    let k = n
    while (k > 0) {
      if (k & 1) result = this.mul(result, base)
      k >>= 1
      if (k > 0) base = this.mul(base, base)
    }
    return result
  }

  poly (p: Poly): Approx {
    let sum: Approx = { v: new this.D(0), e: new this.D(0) }
    for (const t of p.values()) {
      let term = this.exact(t.coef)
      for (const [id, exp] of t.mono) term = this.mul(term, this.powInt(this.atom(id), exp))
      sum = this.add(sum, term)
    }
    return sum
  }

  value (rf: RF): Approx {
    const num = this.poly(rf.num)
    if (rf.den.size === 1 && rf.den.get('')?.coef.isOne() === true) return num
    return this.div(num, this.poly(rf.den))
  }

  /** Sign of a variable-free value: 0 when it cannot be told from zero, null when not evaluable. */
  sign (rf: RF): -1 | 0 | 1 | null {
    try {
      const a = this.value(rf)
      if (a.v.abs().lte(a.e)) return 0
      return a.v.isNegative() ? -1 : 1
    } catch (err) {
      if (err instanceof UndecidableError || err instanceof NotRealError) return null
      throw err
    }
  }

  /** floor of a variable-free value when its error interval holds no integer, else null. */
  floor (rf: RF): bigint | null {
    try {
      const a = this.value(rf)
      const low = a.v.sub(a.e).floor()
      const high = a.v.add(a.e).floor()
      // [v - e, v + e] inside [k, k + 1) for one integer k; an interval touching k + 1 is undecided
      if (!low.eq(high) || a.v.add(a.e).eq(high.add(1))) return null
      return BigInt(low.toFixed(0))
    } catch (err) {
      if (err instanceof UndecidableError || err instanceof NotRealError) return null
      throw err
    }
  }

  atom (id: number): Approx {
    const cached = this.cache.get(id)
    if (cached !== undefined) return cached
    const a = this.alg.atoms[id] as Atom
    const v = this.evaluateAtom(a)
    if (!v.v.isFinite() || !v.e.isFinite()) throw resourceLimit('magnitude of a value')
    this.cache.set(id, v)
    return v
  }

  private fn (v: DecimalClass, e: DecimalClass, units: number): Approx {
    charge(units * this.cost)
    return { v, e: e.add(this.ulp(v)).add(this.eps.mul(this.eps)) }
  }

  private evaluateAtom (a: Atom): Approx {
    const D = this.D
    switch (a.kind) {
      case 'var':
        throw new UndecidableError('variable in a numeric evaluation')
      case 'const':
        return a.name === 'pi' ? this.fn(D.acos(-1), new D(0), 1) : this.fn(D.exp(1), new D(0), 10)
      case 'root':
        return this.root(this.value(a.args[0] as RF), a.index)
      case 'pow': {
        const base = this.value(a.args[0] as RF)
        const exponent = this.value(a.args[1] as RF)
        if (base.v.sub(base.e).gt(0)) return this.exp(this.mul(exponent, this.log(base)))
        if (base.v.add(base.e).lt(0)) throw new NotRealError('non-integer power of a negative number')
        throw new UndecidableError('power of a value indistinguishable from zero')
      }
      case 'fn':
        return this.applyFn(a.name, a.args.map((x) => this.value(x)))
    }
  }

  private applyFn (name: string, args: Approx[]): Approx {
    const D = this.D
    const a = args[0] as Approx
    switch (name) {
      case 'sin':
      case 'cos': {
        if (a.v.abs().gt(LIMITS.maxTrigArgument)) throw resourceLimit('trigonometric argument')
        const v = name === 'sin' ? D.sin(a.v) : D.cos(a.v)
        return this.fn(v, a.e.add(this.eps), 100)
      }
      case 'exp':
        return this.exp(a)
      case 'log':
        return this.log(a)
      case 'abs':
        return { v: a.v.abs(), e: a.e }
      case 'cbrt': {
        const v = D.cbrt(a.v)
        const lo = a.v.abs().sub(a.e)
        const e = lo.gt(0) ? a.e.div(lo.pow(new D(2).div(3)).mul(3)) : D.cbrt(a.e.mul(2)).mul(2)
        return this.fn(v, e, 20)
      }
      case 'atan':
        return this.fn(D.atan(a.v), a.e, 1000)
      case 'asin': {
        // (acos is rewritten as pi/2 - asin before it gets here)
        const hi = a.v.abs().add(a.e)
        if (a.v.abs().sub(a.e).gt(1)) throw new NotRealError('asin outside [-1, 1]')
        if (a.v.abs().gt(1)) throw new UndecidableError('asin argument at the edge of its domain')
        const v = D.asin(a.v)
        const e = hi.lt(1) ? a.e.div(D.sqrt(new D(1).sub(hi.mul(hi)))) : D.sqrt(a.e.mul(2)).mul(2)
        return this.fn(v, e, 1000)
      }
      case 'atan2': {
        const y = a
        const x = args[1] as Approx
        const r = D.sqrt(x.v.mul(x.v).add(y.v.mul(y.v)))
        const spread = x.e.add(y.e)
        if (r.sub(spread).lte(0)) throw new UndecidableError('atan2 near the origin')
        if (x.v.isNegative() && y.v.abs().lte(y.e) && !y.e.isZero()) throw new UndecidableError('atan2 on its branch cut')
        return this.fn(D.atan2(y.v, x.v), spread.div(r.sub(spread)), 1000)
      }
      default:
        throw new UndecidableError(`no numeric value for ${name}`)
    }
  }

  private exp (a: Approx): Approx {
    if (a.v.abs().gt(LIMITS.maxExpArgument)) throw resourceLimit('exponential argument')
    if (a.e.gt(0.5)) throw new UndecidableError('exponent too uncertain')
    const v = this.D.exp(a.v)
    return this.fn(v, v.abs().mul(a.e).mul(2), 100)
  }

  private log (a: Approx): Approx {
    const lo = a.v.sub(a.e)
    if (lo.gt(0)) return this.fn(this.D.ln(a.v), a.e.div(lo), 100)
    if (a.v.add(a.e).lt(0)) throw new NotRealError('log of a negative number')
    if (a.v.isZero() && a.e.isZero()) throw divisionByZero('log(0)')
    throw new UndecidableError('log of a value indistinguishable from zero')
  }

  private root (a: Approx, q: number): Approx {
    const D = this.D
    const lo = a.v.sub(a.e)
    if (a.v.add(a.e).lt(0)) throw new NotRealError('root of a negative number')
    if (lo.gt(0)) {
      const v = q === 2 ? D.sqrt(a.v) : q === 3 ? D.cbrt(a.v) : D.exp(D.ln(a.v).div(q))
      // d/dx x^(1/q) = x^(1/q) / (q x), at most v / (q lo) on [lo, hi]; general roots round twice more.
      const e = v.mul(a.e).div(lo.mul(q)).add(q > 3 ? v.abs().mul(this.eps).mul(4) : 0)
      return this.fn(v, e, q > 3 ? 200 : 10)
    }
    if (a.v.isNegative() && !a.e.isZero()) throw new UndecidableError('root of a value indistinguishable from zero')
    // values in [0, hi]: |x^(1/q) - y^(1/q)| <= |x - y|^(1/q)
    const hi = a.v.add(a.e)
    const bound = q === 2 ? D.sqrt(hi) : D.exp(D.ln(hi.gt(0) ? hi : this.eps).div(q))
    const v = a.v.lte(0) ? new D(0) : q === 2 ? D.sqrt(a.v) : D.exp(D.ln(a.v).div(q))
    return this.fn(v, bound, 20)
  }
}

/**
 * Outcome of comparing two variable-free values numerically: 'different' is a proof (the error
 * intervals are apart), 'undecided' is not an answer. There is deliberately no 'equal' (see above).
 */
export type Comparison = 'different' | 'undecided'

/**
 * |a - b| beyond twice the summed error bounds -> different; otherwise undecided, however close the
 * values look (closeness relative to their magnitude is not a proof of equality).
 */
export function compareApprox (a: Approx, b: Approx): Comparison {
  const diff = a.v.sub(b.v).abs()
  const bound = a.e.add(b.e).mul(2)
  return diff.gt(bound) ? 'different' : 'undecided'
}
