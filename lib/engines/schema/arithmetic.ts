import type { Decimal } from 'decimal.js'
import { ExactDecimal, toExactDecimal } from './decimal.js'
import type { ArithmeticSite } from './walk.js'

/** One problem found in a document; `path` is a JSON pointer (RFC 6901, '' for the root). */
export interface SchemaIssue {
  path: string
  keyword: string
  message: string
}

type JsonObject = Record<string, unknown>

/** A JSON number (booleans and numeric strings are not amounts here, as in QWED). */
function amount (object: JsonObject, key: string, fallback: number | undefined): Decimal | null {
  const value = Object.hasOwn(object, key) ? object[key] : fallback
  return typeof value === 'number' ? toExactDecimal(value) : null
}

/**
 * QWED's inline arithmetic ("math delegation", §4.11), kept for wire compatibility: in an object
 * whose schema declares the field in `properties`,
 *   total        must equal subtotal + tax (or tax_amount, else 0) - discount (else 0), exactly;
 *   tax / tax_amount must equal subtotal * tax_rate, exactly or rounded to the cent (or to the
 *                tax's own decimal places when it has more than two), half-up or half-even:
 *                19.99 * 8.25% = 1.649175 is written 1.65. QWED compares exactly; a tax rounded
 *                to the cent is a correct tax.
 * Checks run only when every operand is a JSON number; field names match QWED's (the checked
 * field case-insensitively, its operands exactly). Decimal arithmetic: 0.1 + 0.2 = 0.3.
 */
export function arithmeticIssues (sites: readonly ArithmeticSite[]): SchemaIssue[] {
  const issues: SchemaIssue[] = []
  for (const { object, key, pointer } of sites) {
    const actual = amount(object, key, undefined)
    if (actual === null) continue
    const field = key.toLowerCase()
    if (field === 'total') {
      const subtotal = amount(object, 'subtotal', undefined)
      const tax = Object.hasOwn(object, 'tax') ? amount(object, 'tax', undefined) : amount(object, 'tax_amount', 0)
      const discount = amount(object, 'discount', 0)
      if (subtotal === null || tax === null || discount === null) continue
      const expected = subtotal.plus(tax).minus(discount)
      if (!expected.eq(actual)) {
        issues.push({ path: pointer, keyword: 'arithmetic', message: `${key} must equal subtotal + tax - discount = ${expected.toString()}, got ${actual.toString()}` })
      }
    } else {
      const subtotal = amount(object, 'subtotal', undefined)
      const rate = amount(object, 'tax_rate', undefined)
      if (subtotal === null || rate === null) continue
      const expected = subtotal.times(rate)
      if (!taxMatches(expected, actual)) {
        issues.push({ path: pointer, keyword: 'arithmetic', message: `${key} must equal subtotal * tax_rate = ${expected.toString()}, got ${actual.toString()}` })
      }
    }
  }
  return issues
}

function taxMatches (expected: Decimal, actual: Decimal): boolean {
  if (expected.eq(actual)) return true
  const places = Math.max(2, actual.decimalPlaces())
  return expected.toDecimalPlaces(places, ExactDecimal.ROUND_HALF_UP).eq(actual) ||
    expected.toDecimalPlaces(places, ExactDecimal.ROUND_HALF_EVEN).eq(actual)
}
