import type { DecimalInput, TransactionClaim } from '../../../types/claims.js'
import type { Engine, EngineResult } from '../../../types/engine.js'
import { blocked, verified } from '../../result.js'
import type { Decimal } from 'decimal.js'
import { toExactDecimal } from './decimal.js'

/**
 * Minor-unit digits per currency (QWED's UCP table); any other well-formed code gets 2.
 * Codes are compared upper-cased.
 */
export const CURRENCY_MINOR_UNITS: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, INR: 2, JPY: 0, KRW: 0, BTC: 8, ETH: 18 }
const DEFAULT_MINOR_UNITS = 2
const CURRENCY_CODE = /^[A-Za-z]{3,5}$/

/** `discount` is accepted too (QWED's UCP total is subtotal + tax - discount). */
type TransactionInput = TransactionClaim & { discount?: DecimalInput }

export interface TransactionIssue {
  field: string
  rule: 'negative_amount' | 'precision_exceeded' | 'total_mismatch'
  message: string
}

const AMOUNT_FIELDS = ['subtotal', 'tax', 'discount', 'total'] as const

/**
 * subtotal + tax (- discount) = total, exactly in decimal. Constraint ids carry the claim type:
 * `transaction.<reason>`, and the engine is named 'transaction' (results, metrics, audit records).
 *
 *  - An amount that is not a finite number or a plain decimal string ("12.50"), or is missing
 *    (discount may be omitted): BLOCKED transaction.invalid_amount. Numbers are read through their
 *    shortest string, so 0.1 is 0.1.
 *  - A currency that is not a 3-5 letter code: BLOCKED transaction.invalid_currency.
 *  - Otherwise the transaction is judged, and every problem becomes an issue; the result is
 *    VERIFIED with is_valid false (admission BLOCKED) when there is any, like a schema violation:
 *      negative_amount    an amount below zero. A refund is its own document with positive
 *                         amounts; a negative subtotal, tax, discount or total on an invoice is an
 *                         error (QWED's UCP schema has minimum 0 on all of them).
 *      precision_exceeded with a currency, an amount with more decimal places than its minor unit
 *                         (100.5 JPY, 1.005 USD). QWED only warns and compares after rounding; an
 *                         amount that cannot be charged is not a valid amount, so we reject it.
 *      total_mismatch     total differs from subtotal + tax - discount; developer_fields carry
 *                         expected_total and actual_total.
 *    With no issue: VERIFIED, is_valid true (transaction.valid).
 */
export function verifyTransaction (claim: TransactionInput): EngineResult {
  const amounts = new Map<string, Decimal>()
  for (const field of AMOUNT_FIELDS) {
    const raw: unknown = claim[field]
    if (field === 'discount' && raw === undefined) continue
    const value = toExactDecimal(raw)
    if (value === null) {
      return blocked('Transaction verification blocked: an amount is not a valid number.', {
        constraint_id: 'transaction.invalid_amount',
        field,
        received: describe(raw)
      })
    }
    amounts.set(field, value)
  }

  let currency: string | null = null
  let minorUnits: number | null = null
  if (claim.currency !== undefined) {
    if (typeof claim.currency !== 'string' || !CURRENCY_CODE.test(claim.currency)) {
      return blocked('Transaction verification blocked: the currency is not a currency code.', {
        constraint_id: 'transaction.invalid_currency',
        received: describe(claim.currency)
      })
    }
    currency = claim.currency.toUpperCase()
    minorUnits = CURRENCY_MINOR_UNITS[currency] ?? DEFAULT_MINOR_UNITS
  }

  const issues: TransactionIssue[] = []
  for (const [field, value] of amounts) {
    if (value.isNegative() && !value.isZero()) {
      issues.push({ field, rule: 'negative_amount', message: `${field} must not be negative, got ${value.toString()}` })
    }
  }
  if (currency !== null && minorUnits !== null) {
    for (const [field, value] of amounts) {
      if (value.decimalPlaces() > minorUnits) {
        issues.push({ field, rule: 'precision_exceeded', message: `${field} has ${value.decimalPlaces()} decimal places; ${currency} allows ${minorUnits}` })
      }
    }
  }
  const subtotal = amounts.get('subtotal') as Decimal
  const tax = amounts.get('tax') as Decimal
  const total = amounts.get('total') as Decimal
  const discount = amounts.get('discount')
  const expected = discount === undefined ? subtotal.plus(tax) : subtotal.plus(tax).minus(discount)
  if (!expected.eq(total)) {
    const formula = discount === undefined ? 'subtotal + tax' : 'subtotal + tax - discount'
    issues.push({ field: 'total', rule: 'total_mismatch', message: `total must equal ${formula} = ${expected.toString()}, got ${total.toString()}` })
  }

  const isValid = issues.length === 0
  const constraintId = isValid ? 'transaction.valid' : `transaction.${(issues[0] as TransactionIssue).rule}`
  const normalized = Object.fromEntries([...amounts].map(([field, value]) => [field, value.toString()]))
  const fields = {
    constraint_id: constraintId,
    is_valid: isValid,
    issues,
    expected_total: expected.toString(),
    actual_total: total.toString(),
    currency,
    minor_units: minorUnits
  }
  const evidence = {
    engine: 'transaction',
    claim: 'transaction',
    amounts: normalized,
    currency,
    minor_units: minorUnits,
    expected_total: expected.toString(),
    verdict: isValid ? 'VALID' : 'INVALID',
    issues
  }
  const message = isValid
    ? 'Transaction total is consistent with its amounts.'
    : `Transaction is not consistent (${issues.length} violation(s) detected).`
  return verified(message, fields, evidence)
}

/** What an unusable value was, for developer_fields (never the value itself when it is long). */
function describe (value: unknown): string {
  if (value === undefined) return 'missing'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return value.length <= 32 ? JSON.stringify(value) : `string of ${value.length} characters`
  return value === null ? 'null' : typeof value
}

/**
 * Transactions as an engine of their own, so results, metrics and audit records say
 * `engine: "transaction"` (and `qwed-audit query --engine transaction` finds them).
 */
export function createTransactionEngine (): Engine<TransactionClaim> {
  return {
    name: 'transaction',
    claimTypes: ['transaction'],
    verify: (claim) => verifyTransaction(claim)
  }
}
