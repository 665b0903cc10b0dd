import type { Mode, UnavailablePolicy } from '../types/options.js'
import type { Decision } from '../types/route.js'
import type { Status, VerificationResult } from '../types/result.js'
import { isUnavailable } from './result.js'

/** Request-level status sent in x-qwed-status: the worst of the claims. */
export type OutcomeStatus = Status | 'UNVERIFIED'

/** The response-level decision from the claims' results (see Decision in types/route.ts). */
export function decide (results: readonly VerificationResult[], mode: Mode, onUnavailable: UnavailablePolicy): Decision {
  if (results.every((r) => r.admission === 'ADMIT')) return 'admit'
  const judged = results.some((r) => r.admission !== 'ADMIT' && !isUnavailable(r))
  if (mode === 'shadow') return 'shadow'
  if (judged) return 'block'
  return onUnavailable === 'open' ? 'fail_open' : 'fail_closed'
}

export function outcomeStatus (results: readonly VerificationResult[], decision: Decision): OutcomeStatus {
  if (decision === 'admit') return 'VERIFIED'
  if (decision === 'fail_open') return 'UNVERIFIED'
  // An artifact proven unsafe is VERIFIED with admission BLOCKED: for the request that is a block.
  const failing = results.filter((r) => r.admission !== 'ADMIT')
  return failing.every((r) => r.status === 'UNVERIFIABLE') ? 'UNVERIFIABLE' : 'BLOCKED'
}

/** True when `rate` (0..1) selects this request. */
export function sampled (rate: number, random: () => number = Math.random): boolean {
  return rate >= 1 || (rate > 0 && random() < rate)
}
