/**
 * Symbolic differentiation on the math engine's rational-function normal form. A normal form is
 * num/den, two polynomials over atoms (variables, pi, e, roots, powers and function applications);
 * its derivative is (num' den - num den') / den^2, a polynomial's derivative follows the product
 * rule over its monomials, and each atom has its rule:
 *   x -> 1, other variables and constants -> 0
 *   root(A, q) -> root(A, q) A' / (q A)        pow(B, E) -> pow(B, E) (E' log B + E B' / B)
 *   sin A -> cos A A'    cos A -> -sin A A'    exp A -> exp A A'    log A -> A' / A
 *   abs A -> A A' / abs A    cbrt A -> cbrt A A' / (3 A)    asin A -> A' / sqrt(1 - A^2)
 *   atan A -> A' / (1 + A^2)    atan2(Y, X) -> (X Y' - Y X') / (X^2 + Y^2)
 * (tan, sec, acos, sinh, ... are already written with these atoms by the normal form). Every result
 * is rebuilt through the Algebra, so it is again a normal form and can be compared or
 * differentiated again. Atoms without a rule (factorial of a variable) raise NotDifferentiable.
 */
import { Q } from '../exact.js'
import * as P from '../poly.js'
import type { Atom, Algebra, RF } from '../symbolic.js'

export class NotDifferentiable extends Error {
  constructor (detail: string) {
    super(detail)
    this.name = 'NotDifferentiable'
  }
}

export class Differentiator {
  private readonly alg: Algebra
  private readonly variable: string
  private readonly memo = new Map<number, RF>()

  constructor (alg: Algebra, variable: string) {
    this.alg = alg
    this.variable = variable
  }

  /** d/dx of a normal form, as a normal form. */
  rf (f: RF): RF {
    const alg = this.alg
    const dn = this.poly(f.num)
    if (P.asConst(f.den)?.isOne() === true) return dn
    const dd = this.poly(f.den)
    const den: RF = { num: f.den, den: P.ONE }
    const num: RF = { num: f.num, den: P.ONE }
    // (n' d - n d') / d^2
    return alg.div(alg.sub(alg.mul(dn, den), alg.mul(num, dd)), alg.mul(den, den))
  }

  /** n-th derivative. */
  nth (f: RF, order: number): RF {
    let g = f
    for (let i = 0; i < order; i++) g = this.rf(g)
    return g
  }

  private poly (p: P.Poly): RF {
    const alg = this.alg
    let sum = alg.zero
    for (const t of p.values()) {
      for (const [id, e] of t.mono) {
        const d = this.atom(id)
        if (d.num.size === 0) continue
        const rest: RF = { num: P.termPoly(P.monoWith(t.mono, id, e - 1), t.coef.mul(Q.int(e))), den: P.ONE }
        sum = alg.add(sum, alg.mul(rest, d))
      }
    }
    return sum
  }

  /** d/dx of one atom. */
  atom (id: number): RF {
    const cached = this.memo.get(id)
    if (cached !== undefined) return cached
    const d = this.computeAtom(this.alg.atoms[id] as Atom)
    this.memo.set(id, d)
    return d
  }

  private computeAtom (a: Atom): RF {
    const alg = this.alg
    if (!a.hasVars) return alg.zero
    const self = alg.atomRF(a.id)
    const [A, B] = a.args as [RF, RF]
    switch (a.kind) {
      case 'var':
        return a.name === this.variable ? alg.one : alg.zero
      case 'const':
        return alg.zero
      case 'root': {
        const dA = this.rf(A)
        if (dA.num.size === 0) return alg.zero
        return alg.div(alg.mul(self, dA), alg.scaleQ(A, Q.int(a.index)))
      }
      case 'pow': {
        // pow(B, E): B = A here, E = B
        const dBase = this.rf(A)
        const dExp = this.rf(B)
        const inner = alg.add(alg.mul(dExp, alg.log(A)), dBase.num.size === 0 ? alg.zero : alg.div(alg.mul(B, dBase), A))
        return alg.mul(self, inner)
      }
      case 'fn':
        return this.fn(a, self, A, B)
    }
  }

  private fn (a: Atom, self: RF, A: RF, B: RF): RF {
    const alg = this.alg
    if (a.name === 'atan2') {
      // atan2(Y, X): (X Y' - Y X') / (X^2 + Y^2)
      const dY = this.rf(A)
      const dX = this.rf(B)
      return alg.div(alg.sub(alg.mul(B, dY), alg.mul(A, dX)), alg.add(alg.mul(B, B), alg.mul(A, A)))
    }
    const dA = this.rf(A)
    if (dA.num.size === 0) return alg.zero
    switch (a.name) {
      case 'sin': return alg.mul(alg.sinCos(A).cos, dA)
      case 'cos': return alg.negate(alg.mul(alg.sinCos(A).sin, dA))
      case 'exp': return alg.mul(self, dA)
      case 'log': return alg.div(dA, A)
      case 'abs': return alg.div(alg.mul(A, dA), self)
      case 'cbrt': return alg.div(alg.mul(self, dA), alg.scaleQ(A, Q.int(3)))
      case 'asin': return alg.div(dA, alg.root(alg.sub(alg.one, alg.mul(A, A)), 2))
      case 'atan': return alg.div(dA, alg.add(alg.one, alg.mul(A, A)))
    }
    throw new NotDifferentiable(`no derivative rule for ${a.name}`)
  }
}
