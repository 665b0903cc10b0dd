/**
 * Substitution of a value for one variable in a normal form, rebuilding every atom through the
 * Algebra (so sin(pi) becomes 0 and sqrt(4) becomes 2). With `interior`, every atom that depends
 * on the variable must be evaluated strictly inside the domain where it is continuous: the
 * argument of a root, a non-integer power or a logarithm must be provably positive, that of asin
 * inside (-1, 1), atan2 off its branch cut; integer functions (factorial) are refused. Substituting
 * with `interior` therefore shows that the expression is continuous at the point, which is what a
 * limit by substitution needs. Failures raise NotContinuous.
 */
import { MathFailure, NotRealError } from '../limits.js'
import * as P from '../poly.js'
import type { Atom, RF } from '../symbolic.js'
import type { Session } from './common.js'

export class NotContinuous extends Error {
  constructor (detail: string) {
    super(detail)
    this.name = 'NotContinuous'
  }
}

/** Division by zero, an undefined or non-real value at the point: the expression is not defined there. */
export function isUndefinedHere (err: unknown): boolean {
  return err instanceof NotContinuous || err instanceof NotRealError ||
    (err instanceof MathFailure && ['division_by_zero', 'undefined_value', 'unsupported'].includes(err.reason))
}

export class Substituter {
  private readonly s: Session
  private readonly variable: string
  private readonly value: RF
  private readonly interior: boolean
  private readonly memo = new Map<number, RF>()
  private readonly depends = new Map<number, boolean>()

  constructor (s: Session, variable: string, value: RF, interior: boolean) {
    this.s = s
    this.variable = variable
    this.value = value
    this.interior = interior
  }

  /** Does the atom (or any atom in its arguments) involve the variable? */
  dependsOn (id: number): boolean {
    const known = this.depends.get(id)
    if (known !== undefined) return known
    const a = this.s.alg.atoms[id] as Atom
    let result = a.kind === 'var' && a.name === this.variable
    if (!result && a.hasVars) {
      for (const arg of a.args) {
        for (const inner of this.s.alg.atomIds(arg)) {
          if (this.dependsOn(inner)) { result = true; break }
        }
        if (result) break
      }
    }
    this.depends.set(id, result)
    return result
  }

  rfDependsOn (f: RF): boolean {
    for (const id of this.s.alg.atomIds(f)) if (this.dependsOn(id)) return true
    return false
  }

  /** f with the variable replaced. */
  rf (f: RF): RF {
    const num = this.poly(f.num)
    if (P.asConst(f.den)?.isOne() === true) return num
    return this.s.alg.div(num, this.poly(f.den))
  }

  poly (p: P.Poly): RF {
    const alg = this.s.alg
    let sum = alg.zero
    for (const t of p.values()) {
      let term = alg.constQ(t.coef)
      for (const [id, e] of t.mono) term = alg.mul(term, alg.powInt(this.atom(id), BigInt(e)))
      sum = alg.add(sum, term)
    }
    return sum
  }

  private atom (id: number): RF {
    const cached = this.memo.get(id)
    if (cached !== undefined) return cached
    const v = this.dependsOn(id) ? this.compute(this.s.alg.atoms[id] as Atom) : this.s.alg.atomRF(id)
    this.memo.set(id, v)
    return v
  }

  private positive (v: RF, what: string): void {
    if (this.interior && this.s.signOf(v) !== 1) throw new NotContinuous(`${what} is not provably positive at the point`)
  }

  private compute (a: Atom): RF {
    const alg = this.s.alg
    switch (a.kind) {
      case 'var':
        return this.value
      case 'const':
        return alg.atomRF(a.id)
      case 'root': {
        const arg = this.rf(a.args[0] as RF)
        this.positive(arg, 'root argument')
        return alg.root(arg, a.index)
      }
      case 'pow': {
        const base = this.rf(a.args[0] as RF)
        const exponent = this.rf(a.args[1] as RF)
        this.positive(base, 'power base')
        return alg.pow(base, exponent)
      }
      case 'fn': {
        const args = a.args.map((x) => this.rf(x))
        const [A, B] = args as [RF, RF]
        if (this.interior) {
          switch (a.name) {
            case 'log':
              this.positive(A, 'logarithm argument')
              break
            case 'asin':
              this.positive(alg.sub(alg.one, A), '1 - asin argument')
              this.positive(alg.add(alg.one, A), '1 + asin argument')
              break
            case 'atan2':
              // continuous off the origin and off the cut {y = 0, x <= 0}
              if (this.s.signOf(B) !== 1 && [-1, 1].includes(this.s.signOf(A) ?? 0) === false) {
                throw new NotContinuous('atan2 on its branch cut')
              }
              break
            case 'factorial':
            case 'binomial':
              throw new NotContinuous(`${a.name} is not continuous`)
          }
        }
        return alg.apply(a.name, args)
      }
    }
  }
}
