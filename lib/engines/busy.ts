import type { DeveloperFields } from '../../types/result.js'
import type { EngineResult } from '../../types/engine.js'
import { blocked } from '../result.js'

/**
 * The verdict of a claim an engine had no room for: its queue was full, or the claim's time ran
 * out while it waited (for a worker, for Z3, for a connection). An unavailable-class result
 * (`<engine>.unavailable`, reason `busy`): the route's onUnavailable policy answers it, it is never
 * cached, and it is no breaker failure, because the engine never ran the claim.
 */
export function busyResult (engine: string, fields: DeveloperFields = {}): EngineResult {
  return {
    ...blocked('Verification is temporarily unavailable: the engine is busy', { constraint_id: `${engine}.unavailable`, reason: 'busy', ...fields }),
    cacheable: false
  }
}
