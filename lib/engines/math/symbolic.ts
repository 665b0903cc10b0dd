/**
 * Rational-function normal form. An expression becomes num/den, two polynomials with exact rational
 * coefficients over atoms: variables, the constants pi and e, and function applications keyed by the
 * canonical text of their (normalised) arguments. Products are reduced with identities that hold
 * for every value of the variables:
 *   root(A, q)^q = A        (principal q-th root, including sqrt)
 *   cbrt(A)^3 = A
 *   cos(A)^2 = 1 - sin(A)^2
 *   exp(A)^a * exp(B)^b * e^c = exp(aA + bB + c)
 *   root(a, q) * root(b, q) = root(a b, q)   (positive integers a, b)
 * and functions are normalised on the way in (sin(-A) = -sin(A), cos(A + B) by angle addition,
 * sin(n x) by multiple angles for small integers n, exact values in radicals at rational multiples
 * of pi with denominators 1-6, 8, 10, 12 (and asin / atan of those values), log(12) = 2 log(2) +
 * log(3), log of products of e, exp and roots, sqrt(a + b sqrt(c)) denested when it can be,
 * sinh/cosh/tanh through exp, tan = sin/cos, ...).
 * Equal normal forms prove an identity (up to removable singularities, as for x/x = 1); different
 * ones prove nothing unless the difference is a non-zero polynomial in the variables alone.
 */
import { Q, binomial, exactRoot, extractPower, factorial, bitLength, smallPrimeFactors } from './exact.js'
import { LIMITS, NotRealError, divisionByZero, resourceLimit, undefinedValue, unsupported } from './limits.js'
import type { Ast } from './parse.js'
import * as P from './poly.js'
import type { Mono, Poly, Term } from './poly.js'

export interface RF {
  readonly num: Poly
  readonly den: Poly
}

type AtomKind = 'var' | 'const' | 'root' | 'fn' | 'pow'

export interface Atom {
  readonly id: number
  /** Canonical text, also how the atom prints. */
  readonly key: string
  readonly kind: AtomKind
  /** Variable name, 'pi' | 'e', or function name. */
  readonly name: string
  readonly args: readonly RF[]
  /** The root index q of a root atom (0 otherwise). */
  readonly index: number
  readonly hasVars: boolean
}

/** Hook into the high-precision evaluator: the sign of a variable-free value, null if undecided. */
export type SignOracle = (rf: RF) => -1 | 0 | 1 | null

const MAX_ANGLE_MULTIPLE = 12
/** Largest product of two radicands that root(a, q) * root(b, q) is merged into (about 150 digits). */
const MAX_MERGED_RADICAND_BITS = 512
/** Denominators d for which sin(n pi / d) and cos(n pi / d) have exact values (in radicals). */
const PI_DENOMINATORS: readonly bigint[] = [1n, 2n, 3n, 4n, 5n, 6n, 8n, 10n, 12n]
const MAX_ANGLE_TERMS = 6

export class Algebra {
  readonly atoms: Atom[] = []
  private readonly byKey = new Map<string, number>()
  private readonly sinCosCache = new Map<string, { sin: RF, cos: RF }>()
  /** sin(x pi) (asin) and tan(x pi) (atan) for the table angles, built on first use. */
  private readonly inverseTrigValues = new Map<'asin' | 'atan', Array<{ x: Q, value: RF, atoms: Set<number> }>>()
  /** Largest number of decimal digits of a rational constant met so far (sets the numeric precision). */
  maxDigits = 0
  sign: SignOracle = () => null
  /** Hook into the high-precision evaluator: floor of a variable-free value, null if its interval holds an integer. */
  floorOf: (rf: RF) => bigint | null = () => null
  /** How many values were rewritten on a sign found by high-precision evaluation (abs, cbrt, asin, atan). */
  numericDecisions = 0
  /** Values substituted for variables (used to look for a counterexample), or null. */
  bindings: ReadonlyMap<string, Q> | null = null

  // ---------------------------------------------------------------- basic values

  constQ (q: Q): RF {
    if (!q.isInteger() || q.n > 1000000n || q.n < -1000000n) {
      this.maxDigits = Math.max(this.maxDigits, Math.ceil((bitLength(q.n) + bitLength(q.d)) * 0.30103))
    }
    return { num: P.constPoly(q), den: P.ONE }
  }

  get zero (): RF { return { num: P.ZERO, den: P.ONE } }
  get one (): RF { return { num: P.ONE, den: P.ONE } }

  atomRF (id: number, exp = 1): RF {
    return { num: P.atomPoly(id, exp), den: P.ONE }
  }

  /** The rational value of rf when it has no atoms. */
  asQ (rf: RF): Q | null {
    if (rf.den !== P.ONE && P.asConst(rf.den)?.isOne() !== true) return null
    return P.asConst(rf.num)
  }

  hasVars (rf: RF): boolean {
    for (const id of this.atomIds(rf)) if ((this.atoms[id] as Atom).hasVars) return true
    return false
  }

  atomIds (rf: RF): Set<number> {
    return P.atomsOf(rf.den, P.atomsOf(rf.num))
  }

  hasAtoms (rf: RF): boolean {
    return this.atomIds(rf).size > 0
  }

  /** Only variables among the atoms (a plain rational function of the variables). */
  onlyVariables (rf: RF): boolean {
    for (const id of this.atomIds(rf)) if ((this.atoms[id] as Atom).kind !== 'var') return false
    return true
  }

  private atom (kind: AtomKind, name: string, args: readonly RF[], index = 0): number {
    const key = this.atomKey(kind, name, args, index)
    const found = this.byKey.get(key)
    if (found !== undefined) return found
    if (this.atoms.length >= LIMITS.maxAtoms) throw resourceLimit('distinct sub-expressions', { max_atoms: LIMITS.maxAtoms })
    const id = this.atoms.length
    const hasVars = kind === 'var' || args.some((a) => this.hasVars(a))
    this.atoms.push({ id, key, kind, name, args, index, hasVars })
    this.byKey.set(key, id)
    return id
  }

  variable (name: string): RF { return this.atomRF(this.atom('var', name, [])) }
  constant (name: 'pi' | 'e'): RF { return this.atomRF(this.atom('const', name, [])) }
  /** Id of pi / e if the claim uses them, else -1 (looking them up never creates them). */
  private get piId (): number { return this.byKey.get('pi') ?? -1 }
  private get eId (): number { return this.byKey.get('e') ?? -1 }

  // ---------------------------------------------------------------- printing / canonical order

  private atomKey (kind: AtomKind, name: string, args: readonly RF[], index: number): string {
    switch (kind) {
      case 'var':
      case 'const':
        return name
      case 'root':
        return index === 2 ? `sqrt(${this.text(args[0] as RF)})` : `(${this.text(args[0] as RF)})^(1/${index})`
      case 'pow':
        return `(${this.text(args[0] as RF)})^(${this.text(args[1] as RF)})`
      default:
        return `${name}(${args.map((a) => this.text(a)).join(', ')})`
    }
  }

  private monoText (mono: Mono): string {
    const parts = mono.map(([id, e]) => {
      const a = this.atoms[id] as Atom
      const base = e > 1 && (a.kind === 'pow' || (a.kind === 'root' && a.index !== 2)) ? `(${a.key})` : a.key
      return e === 1 ? base : `${base}^${e}`
    })
    return parts.sort().join('*')
  }

  /** Terms in canonical order: higher degree first, then by the text of the monomial. */
  canonicalTerms (p: Poly): Array<Term & { text: string }> {
    const terms = [...p.values()].map((t) => ({ ...t, text: this.monoText(t.mono), deg: P.monoDegree(t.mono) }))
    terms.sort((a, b) => b.deg - a.deg || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    return terms
  }

  polyText (p: Poly): string {
    if (p.size === 0) return '0'
    let out = ''
    for (const t of this.canonicalTerms(p)) {
      const negative = t.coef.sign < 0
      const n = negative ? -t.coef.n : t.coef.n
      const d = t.coef.d
      let body: string
      if (t.text === '') body = d === 1n ? `${n}` : `${n}/${d}`
      else body = (n === 1n ? '' : `${n}*`) + t.text + (d === 1n ? '' : `/${d}`)
      out += out === '' ? (negative ? '-' : '') + body : (negative ? ' - ' : ' + ') + body
    }
    return out
  }

  /** Canonical text of a rational function (also the key of an atom's argument). */
  text (rf: RF): string {
    const num = this.polyText(rf.num)
    if (P.asConst(rf.den)?.isOne() === true) return num
    const wrap = (p: Poly, s: string): string => (p.size > 1 || /[-+/ ]/.test(s) ? `(${s})` : s)
    return `${wrap(rf.num, num)}/${wrap(rf.den, this.polyText(rf.den))}`
  }

  /** Sign of the canonical leading coefficient of the numerator (den is kept with a positive lead). */
  leadingSign (rf: RF): number {
    const first = this.canonicalTerms(rf.num)[0]
    return first === undefined ? 0 : first.coef.sign
  }

  // ---------------------------------------------------------------- rational-function arithmetic

  private normalize (num: Poly, den: Poly): RF {
    if (num.size === 0) return this.zero
    const dc = P.asConst(den)
    if (dc !== null) {
      if (dc.isZero()) throw divisionByZero('zero denominator')
      return { num: dc.isOne() ? num : P.scale(num, dc.inv()), den: P.ONE }
    }
    const g = P.monoGcd(P.commonMono(num), P.commonMono(den))
    if (g.length > 0) {
      num = P.divMono(num, g)
      den = P.divMono(den, g)
      const dc2 = P.asConst(den)
      if (dc2 !== null) return { num: P.scale(num, dc2.inv()), den: P.ONE }
    }
    const lead = (this.canonicalTerms(den)[0] as Term).coef
    if (!lead.isOne()) {
      num = P.scale(num, lead.inv())
      den = P.scale(den, lead.inv())
    }
    // num = c * den for a constant c?
    if (num.size === den.size) {
      const nl = (this.canonicalTerms(num)[0] as Term).coef
      if (P.equals(num, P.scale(den, nl))) return this.constQ(nl)
    }
    return { num, den }
  }

  add (a: RF, b: RF): RF {
    if (a.num.size === 0) return b
    if (b.num.size === 0) return a
    if (P.equals(a.den, b.den)) return this.normalize(P.add(a.num, b.num), a.den)
    const num = P.add(this.reduce(P.mul(a.num, b.den)), this.reduce(P.mul(b.num, a.den)))
    return this.normalize(num, this.reduce(P.mul(a.den, b.den)))
  }

  negate (a: RF): RF { return { num: P.neg(a.num), den: a.den } }
  sub (a: RF, b: RF): RF { return this.add(a, this.negate(b)) }
  scaleQ (a: RF, q: Q): RF { return q.isZero() ? this.zero : { num: P.scale(a.num, q), den: a.den } }

  mul (a: RF, b: RF): RF {
    if (a.num.size === 0 || b.num.size === 0) return this.zero
    const num = this.reduce(P.mul(a.num, b.num))
    const den = a.den === P.ONE ? b.den : b.den === P.ONE ? a.den : this.reduce(P.mul(a.den, b.den))
    return this.normalize(num, den)
  }

  /** 1/a; division by something that is zero (exactly, or numerically for constants) is refused. */
  inverse (a: RF, what = 'division'): RF {
    if (a.num.size === 0) throw divisionByZero(what)
    if (!this.hasVars(a) && this.asQ(a) === null && this.sign(a) === 0) throw divisionByZero(what)
    return this.normalize(a.den, a.num)
  }

  div (a: RF, b: RF): RF { return this.mul(a, this.inverse(b)) }

  powInt (a: RF, n: bigint): RF {
    if (n === 0n) return this.one
    if (n < 0n) return this.powInt(this.inverse(a, 'negative power of zero'), -n)
    const q = this.asQ(a)
    if (q !== null) return this.constQ(q.pow(n))
    if (n > BigInt(LIMITS.maxAtomExponent)) throw resourceLimit('exponent', { max_exponent: LIMITS.maxAtomExponent })
    const k = Number(n)
    return this.normalize(this.reduce(P.pow(a.num, k)), this.reduce(P.pow(a.den, k)))
  }

  // ---------------------------------------------------------------- reduction rules

  private reduce (p: Poly): Poly {
    for (let pass = 0; pass < LIMITS.maxReductionPasses; pass++) {
      let changed = false
      let out: Poly = new Map()
      const kept = new Map<string, Term>()
      for (const [key, t] of p) {
        const r = this.reduceMono(t.mono)
        if (r === null) kept.set(key, t)
        else {
          changed = true
          out = P.add(out, P.scale(r, t.coef))
        }
      }
      if (!changed) return p
      p = P.add(kept, out)
    }
    throw resourceLimit('normal form rewriting')
  }

  /** A rewrite of one monomial, or null when no rule applies. */
  private reduceMono (mono: Mono): Poly | null {
    let exps = 0
    let eExp = 0
    let multiExp = false
    for (const [id, e] of mono) {
      const a = this.atoms[id] as Atom
      const arg = a.args[0]
      if (a.kind === 'root' && e >= a.index && arg !== undefined && P.asConst(arg.den)?.isOne() === true) {
        const rest = P.termPoly(P.monoWith(mono, id, e % a.index), Q.ONE)
        return P.mul(rest, P.pow(arg.num, Math.floor(e / a.index)))
      }
      if (a.kind === 'fn' && a.name === 'cbrt' && e >= 3 && arg !== undefined && P.asConst(arg.den)?.isOne() === true) {
        const rest = P.termPoly(P.monoWith(mono, id, e % 3), Q.ONE)
        return P.mul(rest, P.pow(arg.num, Math.floor(e / 3)))
      }
      if (a.kind === 'fn' && a.name === 'cos' && e >= 2) {
        const sin = this.atom('fn', 'sin', a.args)
        const rest = P.termPoly(P.monoWith(mono, id, e % 2), Q.ONE)
        const pythagoras = P.sub(P.ONE, P.atomPoly(sin, 2)) // cos^2 = 1 - sin^2
        return P.mul(rest, P.pow(pythagoras, Math.floor(e / 2)))
      }
      if (a.kind === 'fn' && a.name === 'exp') {
        exps++
        if (e > 1) multiExp = true
      }
      if (a.kind === 'const' && a.name === 'e') eExp = e
    }
    const merged = this.mergeRoots(mono)
    if (merged !== null) return merged
    if (exps === 0 || (exps === 1 && !multiExp && eExp === 0)) return null
    // exp(A)^a * exp(B)^b * e^c = exp(aA + bB + c)
    let arg = this.constQ(Q.int(eExp))
    let rest = mono
    for (const [id, e] of mono) {
      const a = this.atoms[id] as Atom
      if ((a.kind === 'fn' && a.name === 'exp') || (a.kind === 'const' && a.name === 'e')) {
        if (a.kind === 'fn') arg = this.add(arg, this.scaleQ(a.args[0] as RF, Q.int(e)))
        rest = P.monoWith(rest, id, 0)
      }
    }
    return P.mul(P.termPoly(rest, Q.ONE), this.expAsPoly(arg))
  }

  /**
   * root(a, q) * root(b, q) = root(a b, q) for positive integers a and b (principal real roots of
   * positive numbers), so sqrt(2)*sqrt(3) and sqrt(6) share one normal form. One pair per call: the
   * rewrite lowers the total degree of the roots in the monomial, so reduction terminates.
   */
  private mergeRoots (mono: Mono): Poly | null {
    const seen = new Map<number, { id: number, e: number, n: bigint }>()
    for (const [id, e] of mono) {
      const a = this.atoms[id] as Atom
      if (a.kind !== 'root') continue
      const n = this.asQ(a.args[0] as RF)
      if (n === null || !n.isInteger() || n.sign <= 0) continue
      const other = seen.get(a.index)
      if (other === undefined) {
        seen.set(a.index, { id, e, n: n.n })
        continue
      }
      // large radicands are left apart (incomplete, never wrong): extracting powers from their
      // product costs more than a claim with such numbers is worth
      if (bitLength(n.n) + bitLength(other.n) > MAX_MERGED_RADICAND_BITS) continue
      const rest = P.monoWith(P.monoWith(mono, id, e - 1), other.id, other.e - 1)
      const product = this.root(this.constQ(Q.int(n.n * other.n)), a.index)
      return P.mul(P.termPoly(rest, Q.ONE), product.num)
    }
    return null
  }

  /** exp(A) as a polynomial: 1, e^n, B^k for A = k log(B), or the atom exp(A). */
  private expAsPoly (a: RF): Poly {
    const q = this.asQ(a)
    if (q !== null) {
      if (q.isZero()) return P.ONE
      if (q.isInteger() && q.sign > 0 && q.n <= BigInt(LIMITS.maxAtomExponent)) return P.atomPoly(this.atom('const', 'e', []), Number(q.n))
    }
    const log = this.logMultiple(a)
    if (log !== null && log.k.sign > 0 && log.k.isInteger() && P.asConst(log.arg.den)?.isOne() === true) {
      return P.pow(log.arg.num, Number(log.k.n))
    }
    // exp(A + k log(n)) = n^k exp(A) for integers k and rational n (so 2^(x+1) = 2 * 2^x)
    if (P.asConst(a.den)?.isOne() === true && a.num.size > 1) {
      let coef = Q.ONE
      let rest = a.num
      for (const t of a.num.values()) {
        const only = t.mono.length === 1 ? t.mono[0] as readonly [number, number] : null
        const atom = only !== null && only[1] === 1 ? this.atoms[only[0]] as Atom : null
        const base = atom?.kind === 'fn' && atom.name === 'log' ? this.asQ(atom.args[0] as RF) : null
        if (base !== null && t.coef.isInteger()) {
          coef = coef.mul(base.pow(t.coef.n))
          rest = P.sub(rest, P.termPoly(t.mono, t.coef))
        }
      }
      if (rest !== a.num) return P.scale(this.expAsPoly({ num: rest, den: P.ONE }), coef)
    }
    return P.atomPoly(this.atom('fn', 'exp', [a]))
  }

  /** a = k * log(B) for a single log atom? */
  private logMultiple (a: RF): { k: Q, arg: RF } | null {
    if (a.num.size !== 1 || P.asConst(a.den)?.isOne() !== true) return null
    const t = a.num.values().next().value as Term
    if (t.mono.length !== 1 || (t.mono[0] as readonly [number, number])[1] !== 1) return null
    const atom = this.atoms[(t.mono[0] as readonly [number, number])[0]] as Atom
    if (atom.kind !== 'fn' || atom.name !== 'log') return null
    return { k: t.coef, arg: atom.args[0] as RF }
  }

  // ---------------------------------------------------------------- building from the syntax tree

  build (ast: Ast): RF {
    switch (ast.k) {
      case 'num':
        return this.constQ(ast.value)
      case 'var': {
        const bound = this.bindings?.get(ast.name)
        return bound === undefined ? this.variable(ast.name) : this.constQ(bound)
      }
      case 'const':
        return this.constant(ast.name)
      case 'op': {
        const args = ast.args.map((a) => this.build(a))
        const [a, b] = args as [RF, RF]
        switch (ast.op) {
          case 'add': return this.add(a, b)
          case 'sub': return this.sub(a, b)
          case 'mul': return this.mul(a, b)
          case 'div': return this.div(a, b)
          case 'neg': return this.negate(a)
          case 'pow': return this.pow(a, b)
          case 'fact': return this.factorial(a)
        }
        break
      }
      case 'fn':
        return this.apply(ast.name, ast.args.map((a) => this.build(a)))
    }
    throw unsupported('unknown node')
  }

  apply (name: string, args: RF[]): RF {
    const [a, b] = args as [RF, RF]
    switch (name) {
      case 'sqrt': return this.root(a, 2)
      case 'cbrt': return this.cbrt(a)
      case 'abs': case 'Abs': return this.abs(a)
      case 'exp': return this.exp(a)
      case 'log': return args.length === 2 ? this.div(this.log(a), this.log(b)) : this.log(a)
      case 'ln': return this.log(a)
      case 'log10': return this.div(this.log(a), this.log(this.constQ(Q.int(10))))
      case 'log2': return this.div(this.log(a), this.log(this.constQ(Q.int(2))))
      case 'sin': return this.sinCos(a).sin
      case 'cos': return this.sinCos(a).cos
      case 'tan': {
        const exact = this.tanPiMultiple(a)
        if (exact !== null) return exact
        const sc = this.sinCos(a)
        return this.mul(sc.sin, this.inverse(sc.cos, 'tan at a pole'))
      }
      case 'cot': {
        const exact = this.tanPiMultiple(a)
        if (exact !== null) return this.inverse(exact, 'cot at a pole')
        const sc = this.sinCos(a)
        return this.mul(sc.cos, this.inverse(sc.sin, 'cot at a pole'))
      }
      case 'sec': return this.inverse(this.sinCos(a).cos, 'sec at a pole')
      case 'csc': return this.inverse(this.sinCos(a).sin, 'csc at a pole')
      case 'asin': case 'acos': case 'atan': return this.inverseTrig(name, a)
      case 'atan2': return this.atan2(a, b)
      case 'sinh': case 'cosh': case 'tanh': return this.hyperbolic(name, a)
      case 'factorial': return this.factorial(a)
      case 'binomial': return this.binomial(a, b)
      case 'floor': return this.constQ(this.floorQ(a, 'floor'))
      case 'ceil': return this.constQ(this.floorQ(this.negate(a), 'ceil').neg())
      case 'round': return this.round(a, args.length === 2 ? b : this.zero)
      case 'min': case 'max': return this.extreme(name, args)
    }
    throw unsupported(`function ${name}`)
  }

  pow (base: RF, exponent: RF): RF {
    // e^x is exp(x)
    if (base.num.size === 1 && P.asConst(base.den)?.isOne() === true) {
      const t = base.num.values().next().value as Term
      if (t.coef.isOne() && t.mono.length === 1 && (t.mono[0] as readonly [number, number])[0] === this.eId &&
        (t.mono[0] as readonly [number, number])[1] === 1) return this.exp(exponent)
    }
    const e = this.asQ(exponent)
    const b = this.asQ(base)
    if (e !== null) {
      if (e.isInteger()) return this.powInt(base, e.n)
      if (b !== null) {
        if (b.isZero()) {
          if (e.sign > 0) return this.zero
          throw divisionByZero('negative power of zero')
        }
        if (b.sign < 0) throw new NotRealError('fractional power of a negative number')
      }
      if (e.d > BigInt(LIMITS.maxRootIndex)) return this.atomRF(this.atom('pow', 'pow', [base, exponent]))
      return this.powInt(this.root(base, Number(e.d)), e.n)
    }
    if (b !== null) {
      if (b.isOne()) return this.one
      if (b.sign > 0) return this.exp(this.mul(exponent, this.log(base)))
      if (b.isZero()) throw unsupported('zero to a symbolic power')
    }
    return this.atomRF(this.atom('pow', 'pow', [base, exponent]))
  }

  /** Principal q-th root. */
  root (a: RF, q: number): RF {
    const r = this.asQ(a)
    if (r !== null) {
      if (r.isZero()) return this.zero
      if (r.sign < 0) throw new NotRealError('root of a negative number')
      // (n/d)^(1/q) = (n d^(q-1))^(1/q) / d
      if (bitLength(r.n) + (q - 1) * bitLength(r.d) > LIMITS.maxBits) throw resourceLimit('number size')
      const { outside, inside } = extractPower(r.n * r.d ** BigInt(q - 1), q)
      const coef = Q.of(outside, r.d)
      if (inside === 1n) return this.constQ(coef)
      return this.scaleQ(this.atomRF(this.atom('root', 'root', [this.constQ(Q.int(inside))], q)), coef)
    }
    if (!this.hasVars(a) && this.sign(a) === -1) throw new NotRealError('root of a negative number')
    if (q === 2) {
      const denested = this.denest(a)
      if (denested !== null) return denested
    }
    if (P.asConst(a.den)?.isOne() === true) {
      // sqrt(c * A) = sqrt(c) * sqrt(A) for a positive rational c
      const c = P.content(a.num)
      if (!c.isOne()) return this.mul(this.root(this.constQ(c), q), this.root({ num: P.scale(a.num, c.inv()), den: P.ONE }, q))
    }
    return this.atomRF(this.atom('root', 'root', [a], q))
  }

  /**
   * sqrt(a + b sqrt(c)) = sqrt(x) + sign(b) sqrt(y) with x, y = (a +- d)/2, for rationals a > 0, b
   * and an integer c, when d^2 = a^2 - b^2 c is the square of a rational d > 0:
   * (sqrt(x) +- sqrt(y))^2 = a +- 2 sqrt(x y) = a +- |b| sqrt(c), and sqrt(x) >= sqrt(y) keeps the
   * principal (non-negative) root. So sqrt(3 + 2 sqrt(2)) = 1 + sqrt(2). Null when it does not apply.
   */
  private denest (v: RF): RF | null {
    if (P.asConst(v.den)?.isOne() !== true || v.num.size !== 2) return null
    let a: Q | null = null
    let b: Q | null = null
    let c: bigint | null = null
    for (const t of v.num.values()) {
      if (t.mono.length === 0) { a = t.coef; continue }
      const [id, e] = t.mono[0] as readonly [number, number]
      const atom = this.atoms[id] as Atom
      const radicand = atom.kind === 'root' && atom.index === 2 && e === 1 && t.mono.length === 1 ? this.asQ(atom.args[0] as RF) : null
      if (radicand === null || !radicand.isInteger()) return null
      b = t.coef
      c = radicand.n
    }
    if (a === null || b === null || c === null || a.sign <= 0) return null
    const d2 = a.mul(a).sub(b.mul(b).mul(Q.int(c)))
    if (d2.sign <= 0) return null
    const dn = exactRoot(d2.n, 2)
    const dd = exactRoot(d2.d, 2)
    if (dn === null || dd === null) return null
    const d = Q.of(dn, dd)
    const half = Q.of(1n, 2n)
    const x = this.root(this.constQ(a.add(d).mul(half)), 2)
    const y = this.root(this.constQ(a.sub(d).mul(half)), 2)
    return b.sign > 0 ? this.add(x, y) : this.sub(x, y)
  }

  /** Real cube root (cbrt(-8) = -2). */
  private cbrt (a: RF): RF {
    const r = this.asQ(a)
    if (r !== null) return r.sign < 0 ? this.negate(this.root(this.constQ(r.neg()), 3)) : this.root(a, 3)
    const s = this.hasVars(a) ? this.leadingSign(a) : this.decidedSign(a)
    if (!this.hasVars(a) && s === 1) return this.root(a, 3)
    if (s === -1) return this.negate(this.cbrt(this.negate(a)))
    return this.atomRF(this.atom('fn', 'cbrt', [a]))
  }

  /** The sign of a variable-free value, counted as a numeric decision when it is known. */
  private decidedSign (a: RF): -1 | 0 | 1 | null {
    const s = this.sign(a)
    if (s !== null) this.numericDecisions++
    return s
  }

  private abs (a: RF): RF {
    const r = this.asQ(a)
    if (r !== null) return this.constQ(r.abs())
    if (!this.hasVars(a)) {
      // only a separated sign is a proof; a value merely indistinguishable from 0 is not 0
      const s = this.sign(a)
      if (s === 1 || s === -1) this.numericDecisions++
      if (s === 1) return a
      if (s === -1) return this.negate(a)
    }
    if (P.asConst(a.den)?.isOne() === true) {
      const c = P.content(a.num)
      const unit = this.leadingSign(a) < 0 ? c.neg() : c
      if (!unit.isOne()) return this.scaleQ(this.abs(this.scaleQ(a, unit.inv())), c)
    }
    return this.atomRF(this.atom('fn', 'abs', [a]))
  }

  exp (a: RF): RF {
    const q = this.asQ(a)
    if (q !== null && q.isInteger()) {
      if (q.isZero()) return this.one
      if (q.abs().n > BigInt(LIMITS.maxAtomExponent)) throw resourceLimit('exponent', { max_exponent: LIMITS.maxAtomExponent })
      return this.powInt(this.constant('e'), q.n)
    }
    const log = this.logMultiple(a)
    if (log !== null && log.k.isInteger()) return this.powInt(log.arg, log.k.n)
    return { num: this.expAsPoly(a), den: P.ONE }
  }

  log (a: RF): RF {
    const r = this.asQ(a)
    if (r !== null) {
      if (r.isZero()) throw divisionByZero('log(0)')
      if (r.sign < 0) throw new NotRealError('log of a negative number')
      return this.sub(this.logInteger(r.n), this.logInteger(r.d))
    }
    // log of a product of positive factors is the sum of their logs: log(c * e^k * exp(B)^j * root(n, q)^m)
    // = log(c) + k + j B + (m/q) log(n), for a positive rational c, a constant B and positive integers n
    if (a.num.size === 1 && P.asConst(a.den)?.isOne() === true && !this.hasVars(a)) {
      const t = a.num.values().next().value as Term
      const split = t.coef.sign > 0 ? this.logOfFactors(t.mono) : null
      if (split !== null) return this.add(this.log(this.constQ(t.coef)), split)
    }
    if (!this.hasVars(a)) {
      const s = this.sign(a)
      if (s === -1) throw new NotRealError('log of a negative number')
      if (s === 0) throw divisionByZero('log(0)')
    }
    return this.atomRF(this.atom('fn', 'log', [a]))
  }

  /** The sum of the logs of the factors of a monomial whose atoms are e, exp(B) and roots of positive integers, else null. */
  private logOfFactors (mono: Mono): RF | null {
    const parts: RF[] = []
    for (const [id, e] of mono) {
      const atom = this.atoms[id] as Atom
      const arg = atom.args[0]
      if (atom.kind === 'const' && atom.name === 'e') parts.push(this.constQ(Q.int(e)))
      else if (atom.kind === 'fn' && atom.name === 'exp' && arg !== undefined) parts.push(this.scaleQ(arg, Q.int(e)))
      else if (atom.kind === 'root' && arg !== undefined && (this.asQ(arg)?.sign ?? 0) > 0) {
        parts.push(this.scaleQ(this.log(arg), Q.of(BigInt(e), BigInt(atom.index))))
      } else return null
    }
    return parts.reduce((sum, part) => this.add(sum, part), this.zero)
  }

  /**
   * log(n) for a positive integer n, over its prime factors below 1000 (log(6) = log(2) + log(3),
   * log(8) = 3 log(2)); the cofactor left is written k*log(b) with cofactor = b^k, k as large as possible.
   */
  private logInteger (n: bigint): RF {
    const { factors, rest } = smallPrimeFactors(n)
    let sum = this.logPowerFree(rest)
    for (const [p, k] of factors) sum = this.add(sum, this.scaleQ(this.atomRF(this.atom('fn', 'log', [this.constQ(Q.int(p))])), Q.int(k)))
    return sum
  }

  private logPowerFree (n: bigint): RF {
    if (n === 1n) return this.zero
    const bits = bitLength(n)
    for (let k = Math.min(bits, 64); k >= 2; k--) {
      const b = exactRoot(n, k)
      if (b !== null) return this.scaleQ(this.logPowerFree(b), Q.int(k))
    }
    return this.atomRF(this.atom('fn', 'log', [this.constQ(Q.int(n))]))
  }

  // ---------------------------------------------------------------- trigonometry

  /** sin and cos of a, normalised (angle addition over the terms of a, multiple angles, pi table). */
  sinCos (a: RF): { sin: RF, cos: RF } {
    const key = this.text(a)
    const cached = this.sinCosCache.get(key)
    if (cached !== undefined) return cached
    const result = this.computeSinCos(a)
    this.sinCosCache.set(key, result)
    return result
  }

  private computeSinCos (a: RF): { sin: RF, cos: RF } {
    if (a.num.size === 0) return { sin: this.zero, cos: this.one }
    if (P.asConst(a.den)?.isOne() !== true || a.num.size > MAX_ANGLE_TERMS + 2) return this.sinCosAtoms(a)
    let acc: { sin: RF, cos: RF } | null = null
    for (const t of a.num.values()) {
      const piece = this.sinCosTerm(t)
      acc = acc === null
        ? piece
        : {
            sin: this.add(this.mul(acc.sin, piece.cos), this.mul(acc.cos, piece.sin)),
            cos: this.sub(this.mul(acc.cos, piece.cos), this.mul(acc.sin, piece.sin))
          }
    }
    return acc as { sin: RF, cos: RF }
  }

  private sinCosTerm (t: Term): { sin: RF, cos: RF } {
    const isPi = t.mono.length === 1 && (t.mono[0] as readonly [number, number])[0] === this.piId &&
      (t.mono[0] as readonly [number, number])[1] === 1
    if (isPi) {
      const exact = this.sinCosPiMultiple(t.coef)
      if (exact !== null) return exact
    }
    const c = t.coef
    // Multiple angles only over plain variables (sin(2x) = 2 sin(x) cos(x)); sin(2 cos(x)) stays an atom.
    const plain = t.mono.length > 0 && t.mono.every(([id]) => (this.atoms[id] as Atom).kind === 'var')
    if (plain && c.isInteger() && c.abs().n <= BigInt(MAX_ANGLE_MULTIPLE)) {
      const base = this.sinCosAtoms({ num: P.termPoly(t.mono, Q.ONE), den: P.ONE })
      let acc = base
      for (let k = 1n; k < c.abs().n; k++) {
        acc = {
          sin: this.add(this.mul(acc.sin, base.cos), this.mul(acc.cos, base.sin)),
          cos: this.sub(this.mul(acc.cos, base.cos), this.mul(acc.sin, base.sin))
        }
      }
      return c.sign < 0 ? { sin: this.negate(acc.sin), cos: acc.cos } : acc
    }
    return this.sinCosAtoms({ num: P.termPoly(t.mono, c), den: P.ONE })
  }

  /** sin(a), cos(a) as atoms, with the argument's sign normalised (sin odd, cos even). */
  private sinCosAtoms (a: RF): { sin: RF, cos: RF } {
    if (this.leadingSign(a) < 0) {
      const r = this.sinCosAtoms(this.negate(a))
      return { sin: this.negate(r.sin), cos: r.cos }
    }
    return { sin: this.atomRF(this.atom('fn', 'sin', [a])), cos: this.atomRF(this.atom('fn', 'cos', [a])) }
  }

  /** Exact sin/cos of q*pi when q's denominator is one of PI_DENOMINATORS. */
  private sinCosPiMultiple (q: Q): { sin: RF, cos: RF } | null {
    if (!PI_DENOMINATORS.includes(q.d)) return null
    // reduce q into [0, 2)
    const twoD = 2n * q.d
    let n = q.n % twoD
    if (n < 0n) n += twoD
    const s = this.sinPiExact(Q.of(n, q.d))
    const c = this.sinPiExact(Q.of(n, q.d).add(Q.of(1n, 2n)))
    return { sin: s, cos: c }
  }

  /** sin(s*pi) for s whose denominator is one of PI_DENOMINATORS (any sign). */
  private sinPiExact (s: Q): RF {
    const twoD = 2n * s.d
    let n = s.n % twoD
    if (n < 0n) n += twoD
    let x = Q.of(n, s.d) // in [0, 2)
    let sign = 1
    if (x.cmp(Q.ONE) >= 0) { x = x.sub(Q.ONE); sign = -1 }
    if (x.cmp(Q.of(1n, 2n)) > 0) x = Q.ONE.sub(x)
    const v = this.sinPiTable(x)
    return sign < 0 ? this.negate(v) : v
  }

  /**
   * sin(x*pi) in radicals for x in [0, 1/2] with a denominator in PI_DENOMINATORS (the classical
   * values: 15, 18, 22.5, 30, 36, 45, 54, 60, 67.5, 72, 75 and 90 degrees).
   */
  private sinPiTable (x: Q): RF {
    const sqrt = (rf: RF): RF => this.root(rf, 2)
    const int = (n: number): RF => this.constQ(Q.int(n))
    const over = (rf: RF, d: number): RF => this.scaleQ(rf, Q.of(1n, BigInt(d)))
    switch (x.toString()) {
      case '0': return this.zero
      case '1/12': return over(this.sub(sqrt(int(6)), sqrt(int(2))), 4)
      case '1/10': return over(this.sub(sqrt(int(5)), this.one), 4)
      case '1/8': return over(sqrt(this.sub(int(2), sqrt(int(2)))), 2)
      case '1/6': return this.constQ(Q.of(1n, 2n))
      case '1/5': return over(sqrt(this.sub(int(10), this.scaleQ(sqrt(int(5)), Q.int(2)))), 4)
      case '1/4': return over(sqrt(int(2)), 2)
      case '3/10': return over(this.add(sqrt(int(5)), this.one), 4)
      case '1/3': return over(sqrt(int(3)), 2)
      case '3/8': return over(sqrt(this.add(int(2), sqrt(int(2)))), 2)
      case '2/5': return over(sqrt(this.add(int(10), this.scaleQ(sqrt(int(5)), Q.int(2)))), 4)
      case '5/12': return over(this.add(sqrt(int(6)), sqrt(int(2))), 4)
      case '1/2': return this.one
    }
    throw new Error(`no table value of sin(${x.toString()} pi)`)
  }

  /**
   * tan(q pi) from the table (period pi, odd) when a is exactly q*pi with a table denominator and
   * q pi is not a pole; null otherwise (the caller then uses sin/cos, which refuses the poles).
   */
  private tanPiMultiple (a: RF): RF | null {
    if (a.num.size !== 1 || P.asConst(a.den)?.isOne() !== true) return null
    const t = a.num.values().next().value as Term
    const only = t.mono.length === 1 ? t.mono[0] as readonly [number, number] : null
    if (only === null || only[0] !== this.piId || only[1] !== 1 || !PI_DENOMINATORS.includes(t.coef.d)) return null
    let n = t.coef.n % t.coef.d
    if (n < 0n) n += t.coef.d
    let x = Q.of(n, t.coef.d) // in [0, 1)
    if (x.isZero()) return this.zero
    const half = Q.of(1n, 2n)
    if (x.equals(half)) return null
    const negative = x.cmp(half) > 0
    if (negative) x = Q.ONE.sub(x)
    const v = this.tanPiTable(x)
    return negative ? this.negate(v) : v
  }

  /** tan(x*pi) in radicals, denominators rationalised, for x in (0, 1/2) as in sinPiTable. */
  private tanPiTable (x: Q): RF {
    const sqrt = (rf: RF): RF => this.root(rf, 2)
    const int = (n: number): RF => this.constQ(Q.int(n))
    const over = (rf: RF, d: number): RF => this.scaleQ(rf, Q.of(1n, BigInt(d)))
    const sqrt5 = (k: number): RF => this.scaleQ(sqrt(int(5)), Q.int(k))
    switch (x.toString()) {
      case '1/12': return this.sub(int(2), sqrt(int(3)))
      case '1/10': return over(sqrt(this.sub(int(25), sqrt5(10))), 5)
      case '1/8': return this.sub(sqrt(int(2)), this.one)
      case '1/6': return over(sqrt(int(3)), 3)
      case '1/5': return sqrt(this.sub(int(5), sqrt5(2)))
      case '1/4': return this.one
      case '3/10': return over(sqrt(this.add(int(25), sqrt5(10))), 5)
      case '1/3': return sqrt(int(3))
      case '3/8': return this.add(sqrt(int(2)), this.one)
      case '2/5': return sqrt(this.add(int(5), sqrt5(2)))
      case '5/12': return this.add(int(2), sqrt(int(3)))
    }
    throw new Error(`no table value of tan(${x.toString()} pi)`)
  }

  /**
   * The angle x*pi, for x in the table of sinPiTable, whose sine (asin) or tangent (atan) is the
   * positive, variable-free radical a: asin(sqrt(2)/2) = pi/4, atan(2 - sqrt(3)) = pi/12. The match
   * is an exact normal-form equality, so this only ever rewrites a value to itself.
   */
  private inverseTrigTable (name: 'asin' | 'atan', a: RF): Q | null {
    const ids = this.atomIds(a)
    for (const id of ids) if ((this.atoms[id] as Atom).kind !== 'root') return null
    let table = this.inverseTrigValues.get(name)
    if (table === undefined) {
      table = []
      for (const d of PI_DENOMINATORS) {
        for (let n = 1n; 2n * n <= d; n++) {
          const x = Q.of(n, d)
          if (x.d !== d) continue // each angle once, with its reduced denominator
          if (name === 'atan' && 2n * n === d) continue // tan(pi/2) is a pole
          const value = name === 'asin' ? this.sinPiTable(x) : this.tanPiTable(x)
          table.push({ x, value, atoms: this.atomIds(value) })
        }
      }
      this.inverseTrigValues.set(name, table)
    }
    for (const { x, value, atoms } of table) {
      // compare only with values written over the same radicals (a cheap filter: skipping a
      // candidate can only leave an identity unproven, never prove a false one)
      if (atoms.size !== ids.size || ![...ids].every((id) => atoms.has(id))) continue
      if (this.sub(a, value).num.size === 0) return x
    }
    return null
  }

  private inverseTrig (name: 'asin' | 'acos' | 'atan', a: RF): RF {
    const pi = this.constant('pi')
    // acos(z) = pi/2 - asin(z) for every z (principal values), so asin(x) + acos(x) = pi/2 is provable
    if (name === 'acos') return this.sub(this.scaleQ(pi, Q.of(1n, 2n)), this.inverseTrig('asin', a))
    const piTimes = (n: bigint, d: bigint): RF => this.scaleQ(pi, Q.of(n, d))
    const r = this.asQ(a)
    if (r !== null) {
      if (name !== 'atan' && r.abs().cmp(Q.ONE) > 0) throw new NotRealError(`${name} outside [-1, 1]`)
      const table: Record<string, [bigint, bigint]> = name === 'atan'
        ? { 0: [0n, 1n], 1: [1n, 4n] }
        : { 0: [0n, 1n], '1/2': [1n, 6n], 1: [1n, 2n] }
      const hit = table[r.abs().toString()]
      if (hit !== undefined) return piTimes(r.sign < 0 ? -hit[0] : hit[0], hit[1])
    }
    // asin and atan are odd
    const s = r !== null ? r.sign : this.hasVars(a) ? this.leadingSign(a) : this.decidedSign(a)
    if (s === -1) return this.negate(this.inverseTrig(name, this.negate(a)))
    if (s === 1 && r === null && !this.hasVars(a)) {
      const x = this.inverseTrigTable(name, a)
      if (x !== null) return this.scaleQ(pi, x)
    }
    return this.atomRF(this.atom('fn', name, [a]))
  }

  private atan2 (y: RF, x: RF): RF {
    const qy = this.asQ(y)
    const qx = this.asQ(x)
    if (qy !== null && qx !== null) {
      const pi = this.constant('pi')
      if (qx.isZero()) {
        if (qy.isZero()) throw undefinedValue('atan2(0, 0)')
        return this.scaleQ(pi, Q.of(BigInt(qy.sign), 2n))
      }
      const base = this.inverseTrig('atan', this.constQ(qy.div(qx)))
      if (qx.sign > 0) return base
      return qy.sign >= 0 ? this.add(base, pi) : this.sub(base, pi)
    }
    return this.atomRF(this.atom('fn', 'atan2', [y, x]))
  }

  private hyperbolic (name: 'sinh' | 'cosh' | 'tanh', a: RF): RF {
    const ep = this.exp(a)
    const em = this.exp(this.negate(a))
    const half = Q.of(1n, 2n)
    if (name === 'sinh') return this.scaleQ(this.sub(ep, em), half)
    if (name === 'cosh') return this.scaleQ(this.add(ep, em), half)
    return this.div(this.sub(ep, em), this.add(ep, em))
  }

  // ---------------------------------------------------------------- integer functions

  private factorial (a: RF): RF {
    const r = this.asQ(a)
    if (r !== null) {
      if (!r.isInteger()) throw unsupported('factorial of a non-integer')
      if (r.sign < 0) throw undefinedValue('factorial of a negative integer')
      if (r.n > BigInt(LIMITS.maxFactorial)) throw resourceLimit('factorial argument', { max_factorial: LIMITS.maxFactorial })
      return this.constQ(Q.int(factorial(Number(r.n))))
    }
    if (!this.hasVars(a)) throw unsupported('factorial of a non-integer')
    return this.atomRF(this.atom('fn', 'factorial', [a]))
  }

  /**
   * floor(a) for a variable-free value: exact for a rational, else from a high-precision interval
   * that holds no integer (a numeric decision). With variables, or too close to an integer to
   * tell, the claim is not decided here (math.unsupported, BLOCKED).
   */
  private floorQ (a: RF, name: string): Q {
    const r = this.asQ(a)
    if (r !== null) {
      // bigint division truncates toward zero; floor goes down for negatives with a remainder
      const q = r.n / r.d
      return Q.int(r.n < 0n && q * r.d !== r.n ? q - 1n : q)
    }
    if (this.hasVars(a)) throw unsupported(`${name} of an expression with variables`)
    const f = this.floorOf(a)
    if (f === null) throw unsupported(`${name} of a value too close to an integer to decide`)
    this.numericDecisions++
    return Q.int(f)
  }

  /** round(a, n): a rounded to n decimal places (an integer, -20..100), half away from zero. */
  private round (a: RF, places: RF): RF {
    const n = this.asQ(places)
    if (n === null || !n.isInteger() || n.n < -20n || n.n > 100n) throw unsupported('round to a number of places that is not an integer in -20..100')
    const scale = Q.int(10n).pow(n.n)
    const s = this.asQ(a)?.sign ?? this.separatedSign(a)
    if (s === null) throw unsupported('round of a value whose sign is not decided')
    if (s === 0) return this.zero
    // |a| * 10^n + 1/2, floored, back to scale, with the sign of a
    const magnitude = s < 0 ? this.negate(a) : a
    const shifted = this.add(this.scaleQ(magnitude, scale), this.constQ(Q.of(1n, 2n)))
    const rounded = this.floorQ(shifted, 'round').div(scale)
    return this.constQ(s < 0 ? rounded.neg() : rounded)
  }

  /** The sign of a variable-free irrational value when its interval excludes 0 (a numeric decision), else null. */
  private separatedSign (a: RF): -1 | 1 | null {
    if (this.hasVars(a)) return null
    const s = this.sign(a)
    if (s !== 1 && s !== -1) return null
    this.numericDecisions++
    return s
  }

  /** min / max of variable-free values whose order is decided (exactly, or by a separated difference). */
  private extreme (name: 'min' | 'max', args: RF[]): RF {
    let best = args[0] as RF
    for (const x of args.slice(1)) {
      if (this.hasVars(x) || this.hasVars(best)) throw unsupported(`${name} of expressions with variables`)
      const d = this.sub(x, best)
      const q = this.asQ(d)
      const s = q !== null ? q.sign : this.separatedSign(d)
      if (s === null) throw unsupported(`${name} of values too close to order`)
      if ((name === 'min' && s < 0) || (name === 'max' && s > 0)) best = x
    }
    return best
  }

  private binomial (n: RF, k: RF): RF {
    const qn = this.asQ(n)
    const qk = this.asQ(k)
    if (qn !== null && qk !== null) {
      if (!qn.isInteger() || !qk.isInteger() || qn.sign < 0) throw unsupported('binomial of non-natural numbers')
      if (qn.n > BigInt(LIMITS.maxFactorial)) throw resourceLimit('binomial argument', { max_factorial: LIMITS.maxFactorial })
      return this.constQ(Q.int(binomial(Number(qn.n), Number(qk.n))))
    }
    if (!this.hasVars(n) && !this.hasVars(k)) throw unsupported('binomial of non-natural numbers')
    return this.atomRF(this.atom('fn', 'binomial', [n, k]))
  }
}
