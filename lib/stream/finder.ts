import type { Claim } from '../../types/claims.js'
import type { ClaimsResult } from '../../types/route.js'
import type { RouteSettings } from '../outcome.js'
import type { UnitFinder } from './verify.js'

// Where a route's claims come from in a stream: one place, so that a new source of claims (the
// extractor behind `claims: 'auto'`) is one more branch here.

/**
 * The route's claim finder for one request, or null when the route verifies no claims. A route whose
 * `claims` is a function gets each complete unit of text as its payload: a line outside code fences,
 * or a fenced block from its opening to its closing fence line (an unclosed one at the end of the
 * stream too).
 */
export function streamFinder<Req> (settings: RouteSettings<Req, any>): ((request: Req) => UnitFinder) | null {
  const claims = settings.claims
  if (claims === undefined) return null
  return (request) => (unit) => {
    const found = claims(unit, request)
    return found instanceof Promise ? found.then(claimList) : claimList(found)
  }
}

/** A claims() result as a list; anything that is not a claim is left to the verifier's claim guard (BLOCKED). */
function claimList (found: ClaimsResult): readonly Claim[] {
  if (found === null || found === undefined) return []
  return Array.isArray(found) ? found : [found as Claim]
}
