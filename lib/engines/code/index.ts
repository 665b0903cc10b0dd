import type { CodeClaim } from '../../../types/claims.js'
import type { Engine } from '../../../types/engine.js'
import { blocked } from '../../result.js'

// Placeholder until the engine lands: every claim is BLOCKED (fail closed).
export function createCodeEngine (): Engine<CodeClaim> {
  return {
    name: 'code',
    claimTypes: ['code'],
    verify: () => ({ ...blocked('This claim type cannot be verified yet', { constraint_id: 'code.not_implemented' }), cacheable: false })
  }
}
