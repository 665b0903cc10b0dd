import type { SqlClaim } from '../../types/claims.js'
import type { Engine } from '../../types/engine.js'
import { blocked } from '../result.js'

// Placeholder until the engine lands: every claim is BLOCKED (fail closed).
export function createSqlEngine (): Engine<SqlClaim> {
  return {
    name: 'sql',
    claimTypes: ['sql'],
    verify: () => ({ ...blocked('This claim type cannot be verified yet', { constraint_id: 'sql.not_implemented' }), cacheable: false })
  }
}
