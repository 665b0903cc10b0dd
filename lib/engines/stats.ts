import type { StatsClaim } from '../../types/claims.js'
import type { Engine } from '../../types/engine.js'
import { blocked } from '../result.js'

// Placeholder until the engine lands: every claim is BLOCKED (fail closed).
export function createStatsEngine (): Engine<StatsClaim> {
  return {
    name: 'stats',
    claimTypes: ['stats'],
    verify: () => ({ ...blocked('This claim type cannot be verified yet', { constraint_id: 'stats.not_implemented' }), cacheable: false })
  }
}
