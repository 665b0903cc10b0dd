import type { Claim } from '../../types/claims.js'
import type { ClaimsResult } from '../../types/route.js'
import type { RouteSettings } from '../outcome.js'
import type { UnitFinder } from './verify.js'
import { textClaims } from '../auto-claims.js'
import { resolveExtractOptions } from '../extract/index.js'

// Where a route's claims come from in a stream: the extractor behind `claims: 'auto'`, or the
// route's own claims() called on each unit.

/**
 * The route's claim finder for one request, or null when the route verifies no claims. A route whose
 * `claims` is a function gets each complete unit of text as its payload: a line outside code fences,
 * or a fenced block from its opening to its closing fence line (an unclosed one at the end of the
 * stream too).
 */
export function streamFinder<Req> (settings: RouteSettings<Req, any>): ((request: Req) => UnitFinder) | null {
  const claims = settings.claims
  if (claims === undefined) return null
  if (claims === 'auto') {
    // The extractor of the buffered path, on one unit: statements never span a line and fences are
    // whole units, so a stream finds the claims the whole text would. A unit it cannot read whole is
    // refused (the finder throws: the unit is not admitted).
    const options = settings.extract ?? resolveExtractOptions()
    return () => (unit) => {
      const found = textClaims(unit, options)
      if (!found.complete) throw new Error(`qwed: a streamed unit could not be read whole (${found.limit ?? 'limit'})`)
      return found.claims
    }
  }
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
