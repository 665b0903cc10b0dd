import t from 'tap'
import type { Claim, DecimalInput, SchemaClaim, TransactionClaim } from '../types/claims.js'
import { createVerifier } from '../lib/verifier.js'
import { runConformance, type ConformanceCase } from './helpers/conformance.js'

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

function toClaim ({ input }: Pick<ConformanceCase, 'input'>): Claim {
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

t.test('QWED schema conformance cases', async (t) => {
  await runConformance(t, { engine: 'schema', toClaim })
})

t.test('QWED UCP transaction examples map to transaction claims', async (t) => {
  // Inputs from QWED's TestUCPTransaction (verify_ucp_transaction); the sample fixture has none.
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const ucp = (transaction: Record<string, unknown>) => verifier.verify(toClaim({ input: { method: 'verify_ucp_transaction', transaction } }))
  const valid = await ucp({ subtotal: 100.00, tax: 10.00, discount: 0, total: 110.00, currency: 'USD' })
  t.equal(valid.status, 'VERIFIED')
  t.equal(valid.admission, 'ADMIT')
  t.equal((await ucp({ subtotal: 100.00, tax: 10.00, discount: 5.00, total: 105.00, currency: 'USD' })).admission, 'ADMIT')
  t.equal((await ucp({ subtotal: 25.00, tax: 2.50, total: 27.50, items: [{ name: 'Widget', price: 10.00, quantity: 2 }] })).admission, 'ADMIT')
  const mismatch = await ucp({ subtotal: 100.00, tax: 10.00, discount: 5.00, total: 110.00 })
  t.equal(mismatch.status, 'VERIFIED')
  t.equal(mismatch.admission, 'BLOCKED')
  t.equal(mismatch.developer_fields.constraint_id, 'transaction.total_mismatch')
  const negative = await ucp({ subtotal: -100.00, tax: 10.00, total: -90.00 })
  t.equal(negative.status, 'VERIFIED', 'as in QWED: a judged, invalid transaction')
  t.equal(negative.admission, 'BLOCKED')
  // QWED: VERIFIED valid with a precision warning; ours: invalid (100.5 yen cannot be charged).
  const yen = await ucp({ subtotal: 100.5, tax: 0, total: 100.5, currency: 'JPY' })
  t.equal(yen.status, 'VERIFIED')
  t.equal(yen.admission, 'BLOCKED')
  // QWED: VERIFIED invalid (a type violation of its UCP schema); ours: the claim is malformed.
  const none = await ucp({ subtotal: null, tax: 10.00, total: 110.00 })
  t.equal(none.admission, 'BLOCKED')
})
