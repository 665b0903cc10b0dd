import { Decimal } from 'decimal.js'

/**
 * Exact decimal arithmetic for amounts and `multipleOf`. The precision covers every finite double
 * written out in full (exponents 1e308 down to 5e-324 need about 650 digits) and every decimal
 * string we accept (at most MAX_DECIMAL_STRING characters), so sums, products and remainders of
 * those inputs are exact, never rounded.
 */
export const ExactDecimal = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -1000, toExpPos: 1000 })

/** Longest decimal string accepted as an amount (digits, one sign, one point). */
export const MAX_DECIMAL_STRING = 64

const DECIMAL_STRING = /^-?\d+(?:\.\d+)?$/

/**
 * A JSON number as the decimal it is written as: numbers go through their shortest round-trip
 * string (`0.1` stays 0.1, not 0.1000000000000000055...). Returns null for anything that is not a
 * finite number or a plain decimal string (`-12.50`; no exponent, no spaces).
 */
export function toExactDecimal (value: unknown): Decimal | null {
  if (typeof value === 'number') return Number.isFinite(value) ? new ExactDecimal(String(value)) : null
  if (typeof value === 'string' && value.length <= MAX_DECIMAL_STRING && DECIMAL_STRING.test(value)) return new ExactDecimal(value)
  return null
}

/** `value` as m * 10^e with an integer mantissa, from a JavaScript number's shortest string. */
function decimalParts (value: number): [bigint, number] {
  const text = String(value)
  const e = text.search(/e/i)
  let mantissa = e === -1 ? text : text.slice(0, e)
  let exponent = e === -1 ? 0 : Number(text.slice(e + 1))
  const dot = mantissa.indexOf('.')
  if (dot !== -1) {
    exponent -= mantissa.length - dot - 1
    mantissa = mantissa.slice(0, dot) + mantissa.slice(dot + 1)
  }
  return [BigInt(mantissa), exponent]
}

/**
 * JSON Schema `multipleOf`, exact in decimal: is `value / divisor` an integer when both are read
 * as the decimals they are written as? (0.3 / 0.1 = 3, while 0.3 / 0.1 in doubles is
 * 2.9999999999999996.) `divisor` is finite and > 0 (the meta-schema says so).
 */
export function isMultipleOf (value: number, divisor: number): boolean {
  if (Number.isSafeInteger(value) && Number.isSafeInteger(divisor)) return value % divisor === 0
  if (!Number.isFinite(value)) return false
  const [m1, e1] = decimalParts(value)
  const [m2, e2] = decimalParts(divisor)
  const e = Math.min(e1, e2)
  return (m1 * 10n ** BigInt(e1 - e)) % (m2 * 10n ** BigInt(e2 - e)) === 0n
}
