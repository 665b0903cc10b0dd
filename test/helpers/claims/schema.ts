import type { Claim, DecimalInput, SchemaClaim, TransactionClaim } from '../../../types/claims.js'
import type { ConformanceCase } from '../conformance.js'

// QWED-derived schema cases (test/fixtures/qwed-cases.jsonl), run through the public API.
//
// Mapping:
// - `verify {data, schema}` -> { type: 'schema', data, schema }.
// - `verify_ucp_transaction {transaction, currency?}` -> { type: 'transaction', subtotal, tax,
//   total, discount?, currency }. The currency is the transaction's own, else the method's
//   argument, else USD (the method's default). A missing tax or discount is 0, as in QWED's UCP
//   check; other fields (items, tax_rate) have no counterpart in our claim.
//
// Where we differ from QWED 7.1 on purpose (see shared/conformance/README.md), the expected verdict
// is ours and QWED's is wrong:
// - JSON Schema semantics: `1.0` is an integer (JSON has one number type; QWED checks the Python
//   type), and `0.3` is a multiple of `0.1` (exact decimal, not float division).
// - Standard JSON Schema 2020-12 (ajv), not QWED's walker: `$ref`s inside the document resolve
//   (QWED reports every $ref as an error) and `format` is an assertion (QWED only warns).
// - A tax rounded to the cent (19.99 * 8.25% written 1.65) is a correct tax; QWED compares exactly.
// - Transactions: an amount with more decimals than its currency allows (100.5 JPY) makes the
//   transaction invalid; QWED only warns and compares after rounding.

export function toClaim ({ input }: Pick<ConformanceCase, 'input'>): Claim {
  if (input.method === 'verify') {
    return { type: 'schema', data: input.data, schema: input.schema as SchemaClaim['schema'] }
  }
  if (input.method === 'verify_ucp_transaction') {
    const raw = input.transaction
    const tx = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>
    const currency = typeof tx.currency === 'string' ? tx.currency : typeof input.currency === 'string' ? input.currency : 'USD'
    const claim: TransactionClaim = {
      type: 'transaction',
      subtotal: tx.subtotal as DecimalInput,
      tax: ('tax' in tx ? tx.tax : 0) as DecimalInput,
      total: tx.total as DecimalInput,
      currency
    }
    if ('discount' in tx) claim.discount = tx.discount as DecimalInput
    return claim
  }
  throw new Error(`unknown method ${String(input.method)}`)
}
