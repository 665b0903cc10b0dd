/** The transaction engine's declaration (see ../descriptor.ts): invoice totals in exact decimals, cheap, never pooled. */
import type { EngineDescriptor } from '../descriptor.js'

export const TRANSACTION_DESCRIPTOR: EngineDescriptor = {
  name: 'transaction',
  claimTypes: {
    transaction: {
      fields: ['type', 'subtotal', 'tax', 'total', 'discount', 'currency'],
      // amounts (at most 64 digits) and a currency code: 256 is generous; no array
      limits: { maxLength: 256, maxArrayLength: 100 },
      caps: {},
      routes: ['local']
    }
  },
  routing: { cpuBound: false }
}
