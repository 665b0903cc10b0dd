import type { SchemaClaim, TransactionClaim } from '../../types/claims.js'
import type { Engine } from '../../types/engine.js'
import { blocked } from '../result.js'

// Placeholder until the engine lands: every claim is BLOCKED (fail closed).
export function createSchemaEngine (): Engine<SchemaClaim | TransactionClaim> {
  return {
    name: 'schema',
    claimTypes: ['schema', 'transaction'],
    verify: () => ({ ...blocked('This claim type cannot be verified yet', { constraint_id: 'schema.not_implemented' }), cacheable: false })
  }
}
