import type { LogicClaim } from '../../../types/claims.js'
import type { Engine } from '../../../types/engine.js'
import { blocked } from '../../result.js'

// Placeholder until the engine lands: every claim is BLOCKED (fail closed).
export function createLogicEngine (): Engine<LogicClaim> {
  return {
    name: 'logic',
    claimTypes: ['logic'],
    verify: () => ({ ...blocked('This claim type cannot be verified yet', { constraint_id: 'logic.not_implemented' }), cacheable: false })
  }
}
