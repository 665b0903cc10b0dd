import type { Admission, DeveloperFields, DiagnosticResult, VerificationResult } from '../types/result.js'
import { canonicalHash } from './canonical.js'

/**
 * A proven verdict. `proof_ref` binds the evidence: sha256 of its RFC 8785 canonical JSON.
 * `is_valid` defaults to true; SQL, code and schema engines pass `is_valid: false` for an artifact
 * proven unsafe or invalid (VERIFIED analysis, admission BLOCKED).
 */
export function verified (message: string, fields: DeveloperFields, evidence: unknown): DiagnosticResult {
  return verifiedWithProof(message, fields, canonicalHash(evidence))
}

/** verified() for a caller that wrote the canonical JSON of its evidence itself: `proofRef` is `sha256:` + its hex SHA-256. */
export function verifiedWithProof (message: string, fields: DeveloperFields, proofRef: string): DiagnosticResult {
  return {
    status: 'VERIFIED',
    agent_message: message,
    developer_fields: { is_valid: true, ...fields },
    proof_ref: proofRef,
    is_authoritative: true
  }
}

/** Could not be proven (a false claim, an identity we cannot prove). */
export function unverifiable (message: string, fields: DeveloperFields): DiagnosticResult {
  return { status: 'UNVERIFIABLE', agent_message: message, developer_fields: { is_valid: false, ...fields }, proof_ref: null, is_authoritative: false }
}

/** Verification refused or impossible (parse error, limit, policy, unavailable engine). */
export function blocked (message: string, fields: DeveloperFields): DiagnosticResult {
  return { status: 'BLOCKED', agent_message: message, developer_fields: { is_valid: false, ...fields }, proof_ref: null, is_authoritative: false }
}

/** QWED's admission rule (§3.1.3): ADMIT only for an authoritative VERIFIED result with is_valid true. */
export function admissionOf (result: DiagnosticResult): Admission {
  return result.status === 'VERIFIED' && result.proof_ref !== null && result.developer_fields.is_valid === true
    ? 'ADMIT'
    : 'BLOCKED'
}

/** A BLOCKED result decided without an engine (claims() threw, a limit, a deadline), as the verifier reports one. */
export function refusedResult (message: string, fields: DeveloperFields, engine: string, durationMs = 0): VerificationResult {
  const result = blocked(message, fields)
  return { ...result, admission: admissionOf(result), engine, cached: false, duration_ms: durationMs }
}

/**
 * Freezes a verdict and everything in it, so one object can be handed to every request that asks
 * for the same claim: a caller that writes into `developer_fields` gets a TypeError (ES modules run
 * in strict mode) instead of changing what the next caller is told. Returns the same object.
 */
export function freezeVerdict<T extends object> (result: T): T {
  deepFreeze(result, 0)
  return result
}

function deepFreeze (value: object, depth: number): void {
  Object.freeze(value)
  // Verdicts are JSON data; the depth bound is only a guard against a pathological engine.
  if (depth > 64) return
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key]
    if (typeof member === 'object' && member !== null) deepFreeze(member, depth + 1)
  }
}

/** True when the result says the engine could not be reached, not that the claim was judged. */
export function isUnavailable (result: Pick<VerificationResult, 'engine' | 'developer_fields'>): boolean {
  return result.developer_fields.constraint_id === `${result.engine}.unavailable`
}
