/**
 * The exact-arithmetic fast path: `lhs = rhs` where both sides are plain arithmetic on decimal
 * literals (`+ - * /`, parentheses, unary minus, `^` with a small whole-number exponent), decided
 * with the engine's own rationals (exact.ts) in a few microseconds instead of through the mathjs
 * parser and the normal form. Same verdict, same evidence, same proof_ref as the full engine
 * (decide.ts judgeEquation with method 'exact'; test/math-fast-path.test.ts checks it on many
 * generated claims). Anything else, including every error the full engine reports (division by
 * zero, ambiguity, limits), returns undefined: the claim goes the usual way.
 */
import type { EngineResult } from '../../../types/engine.js'
import { sha256Hex } from '../../canonical.js'
import { unverifiable, verifiedWithProof } from '../../result.js'
import { Q } from './exact.js'
import { SmallQ, TooBig } from './small-rational.js'

/** Longest expression taken: longer ones go to the full engine with its caps. */
const MAX_LENGTH = 200
/** Digits of one literal. */
const MAX_LITERAL_DIGITS = 30
/** Largest exponent of `^`. */
const MAX_EXPONENT = 16
/** Parenthesis nesting. */
const MAX_NESTING = 16
/** Bits of a numerator or denominator along the way, far below the engine's cap (LIMITS.maxBits). */
const MAX_BITS = 2048
/** 10^k for the fraction digits a literal may have. */
const POWERS_OF_TEN = Array.from({ length: MAX_LITERAL_DIGITS + 1 }, (_, k) => 10n ** BigInt(k))

// Only these characters, exactly one `=`.
const PLAIN = /^[0-9.+\-*/^() ]+=[0-9.+\-*/^() ]+$/
// QWED's ambiguity rule (normalize.ts AMBIGUOUS) on the text without spaces: `/2(` is refused there.
const AMBIGUOUS = /\/(?:\d+(?:\.\d*)?|\.\d+)\(/

/** Not a plain claim (or one the full engine must judge): an internal signal, never thrown out. */
class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain()

/** The verdict of a plain arithmetic identity, or undefined when the claim is not one. */
export function fastArithmetic (claim: unknown): EngineResult | undefined {
  if (claim === null || typeof claim !== 'object') return undefined
  const { type, expression } = claim as { type?: unknown, expression?: unknown }
  if (type !== 'math' || typeof expression !== 'string' || expression.length > MAX_LENGTH) return undefined
  // expected, tolerance, domain, roundedTo, operation: the full engine reads them.
  if (Object.keys(claim).length !== 2) return undefined
  const text = expression.trim()
  // AMBIGUOUS needs a `/`: most claims have none and skip the copy without spaces.
  if (!PLAIN.test(text) || (text.includes('/') && AMBIGUOUS.test(text.replace(/ +/g, '')))) return undefined
  const equals = text.indexOf('=')
  const leftText = text.slice(0, equals).trim()
  const rightText = text.slice(equals + 1).trim()
  try {
    // Safe-integer rationals first; a value outside their range starts over with bigint ones.
    try {
      return judge(text, leftText, rightText, SMALL)
    } catch (err) {
      if (!(err instanceof TooBig)) throw err
      return judge(text, leftText, rightText, EXACT)
    }
  } catch (err) {
    if (err instanceof NotPlain) return undefined
    throw err
  }
}

/** What the reader needs of a rational type: Q, or SmallQ for small values. */
interface Rational<T> {
  add(o: T): T
  sub(o: T): T
  mul(o: T): T
  div(o: T): T
  neg(): T
  isZero(): boolean
  equals(o: T): boolean
  toString(): string
}

/** How the reader makes values of one rational type. */
interface Arithmetic<T extends Rational<T>> {
  /**
   * The literal at `start` of `text`: `whole` digits, then (when `fraction` > 0) a point and
   * `fraction` digits; its value is all its digits over 10^fraction.
   */
  decimal(text: string, start: number, whole: number, fraction: number): T
  /** base^k, 0 <= k <= MAX_EXPONENT (not 0^0). */
  pow(base: T, k: number): T
  /** A result along the way: NOT_PLAIN when it is too large for the fast path. */
  checked(value: T): T
}

const EXACT: Arithmetic<Q> = {
  decimal: (text, start, whole, fraction) => fraction === 0
    ? Q.of(BigInt(text.slice(start, start + whole)))
    : Q.of(BigInt(text.slice(start, start + whole) + text.slice(start + whole + 1, start + whole + 1 + fraction)), POWERS_OF_TEN[fraction] as bigint),
  pow: (base, k) => base.pow(BigInt(k)),
  checked: (q) => {
    if (q.bits() > MAX_BITS) throw NOT_PLAIN
    return q
  }
}

// Safe integers are far below MAX_BITS.
const SMALL: Arithmetic<SmallQ> = {
  decimal: (text, start, whole, fraction) => SmallQ.decimal(text, start, whole, fraction),
  pow: (base, k) => base.pow(k),
  checked: (q) => q
}

/** The verdict on `left = right`, both sides read with `arithmetic`. */
function judge<T extends Rational<T>> (text: string, leftText: string, rightText: string, arithmetic: Arithmetic<T>): EngineResult {
  const left = new Side(leftText, arithmetic).value()
  const right = new Side(rightText, arithmetic).value()
  const leftSide = left.toString()
  const rightSide = right.toString()
  if (left.equals(right)) {
    return verifiedWithProof('Identity is true', { constraint_id: 'math.identity_true', result: true, left_side: leftSide, right_side: rightSide, simplified_difference: '0', method: 'exact' },
      'sha256:' + sha256Hex(identityEvidence(text, leftSide, rightSide)))
  }
  return unverifiable('Identity is false', {
    constraint_id: 'math.identity_false', result: false, left_side: leftSide, right_side: rightSide, simplified_difference: left.sub(right).toString(), method: 'exact'
  })
}

/**
 * The RFC 8785 canonical JSON of the evidence of a true identity, `{ claim, verdict:
 * 'identity_true', left, right, method: 'exact' }` (what decide.ts hashes), written directly: keys
 * in sorted order, and no escaping since the claim (PLAIN) and both sides (digits, `-`, `/`) are
 * plain ASCII. test/math-fast-path.test.ts checks it against canonicalize().
 */
export function identityEvidence (claim: string, left: string, right: string): string {
  return '{"claim":"' + claim + '","left":"' + left + '","method":"exact","right":"' + right + '","verdict":"identity_true"}'
}

/**
 * A recursive-descent reader of one side, with mathjs's precedence: `+ -` below `* /` below unary
 * minus below `^` (so `-2^2` is -4). What mathjs would read another way, or what this reader does
 * not take (implicit multiplication, `2^-1`, `2^3^2`, a unary plus, `1.`), is NotPlain.
 */
class Side<T extends Rational<T>> {
  #i = 0
  #depth = 0
  constructor (readonly text: string, readonly arithmetic: Arithmetic<T>) {}

  value (): T {
    const v = this.#sum()
    this.#space()
    if (this.#i !== this.text.length) throw NOT_PLAIN
    return v
  }

  #space (): void {
    while (this.text[this.#i] === ' ') this.#i++
  }

  #peek (): string | undefined {
    this.#space()
    return this.text[this.#i]
  }

  #sum (): T {
    let v = this.#product()
    for (let op = this.#peek(); op === '+' || op === '-'; op = this.#peek()) {
      this.#i++
      const term = this.#product()
      v = this.arithmetic.checked(op === '+' ? v.add(term) : v.sub(term))
    }
    return v
  }

  #product (): T {
    let v = this.#unary()
    for (let op = this.#peek(); op === '*' || op === '/'; op = this.#peek()) {
      this.#i++
      const factor = this.#unary()
      if (op === '/' && factor.isZero()) throw NOT_PLAIN
      v = this.arithmetic.checked(op === '*' ? v.mul(factor) : v.div(factor))
    }
    return v
  }

  #unary (): T {
    if (this.#peek() === '-') {
      this.#i++
      // `--3`: left to the full engine.
      if (this.#peek() === '-') throw NOT_PLAIN
      return this.#power().neg()
    }
    return this.#power()
  }

  #power (): T {
    const base = this.#primary()
    if (this.#peek() !== '^') return base
    this.#i++
    this.#space()
    const start = this.#i
    while (isDigit(this.text[this.#i])) this.#i++
    const digits = this.text.slice(start, this.#i)
    const next = this.#peek()
    if (digits === '' || digits.length > 2 || next === '^' || next === '.' || next === '(') throw NOT_PLAIN
    const exponent = Number(digits)
    if (exponent > MAX_EXPONENT) throw NOT_PLAIN
    // 0^0 is left to the full engine.
    if (exponent === 0 && base.isZero()) throw NOT_PLAIN
    return this.arithmetic.checked(this.arithmetic.pow(base, exponent))
  }

  #primary (): T {
    const c = this.#peek()
    let v: T
    if (c === '(') {
      if (++this.#depth > MAX_NESTING) throw NOT_PLAIN
      this.#i++
      v = this.#sum()
      if (this.#peek() !== ')') throw NOT_PLAIN
      this.#i++
      this.#depth--
    } else if (isDigit(c) || c === '.') {
      v = this.#literal()
    } else {
      throw NOT_PLAIN
    }
    // `2(3)`, `(1)(2)`, `2 3`: implicit multiplication is the full engine's to read.
    const after = this.#peek()
    if (after === '(' || isDigit(after) || after === '.') throw NOT_PLAIN
    return v
  }

  #literal (): T {
    const start = this.#i
    while (isDigit(this.text[this.#i])) this.#i++
    const whole = this.#i - start
    let fraction = 0
    if (this.text[this.#i] === '.') {
      this.#i++
      const from = this.#i
      while (isDigit(this.text[this.#i])) this.#i++
      fraction = this.#i - from
      // `1.` and a lone `.`: the full engine's.
      if (fraction === 0) throw NOT_PLAIN
    }
    if (whole + fraction > MAX_LITERAL_DIGITS) throw NOT_PLAIN
    // The digits over 10^fraction: the value exact.ts parseDecimal gives, without its regex.
    return this.arithmetic.decimal(this.text, start, whole, fraction)
  }
}

function isDigit (c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9'
}
