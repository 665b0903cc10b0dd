import type { MathClaim } from '../../../types/claims.js'
import type { Engine } from '../../../types/engine.js'
import { blocked } from '../../result.js'

// Placeholder until the engine lands: every claim is BLOCKED (fail closed).
export function createMathEngine (): Engine<MathClaim> {
  return {
    name: 'math',
    claimTypes: ['math'],
    verify: () => ({ ...blocked('This claim type cannot be verified yet', { constraint_id: 'math.not_implemented' }), cacheable: false })
  }
}
