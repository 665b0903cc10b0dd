import t from 'tap'
import { createVerifier } from '../lib/verifier.js'
import { runConformance } from './helpers/conformance.js'
import { toClaim } from './helpers/claims/schema.js'

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
