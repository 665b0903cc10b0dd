/** QWED's three statuses (reference/qwed-protocol.md §3.1). */
export type Status = 'VERIFIED' | 'UNVERIFIABLE' | 'BLOCKED'

/** The run/ship gate: ADMIT only when a claim is proven true or an artifact proven safe. */
export type Admission = 'ADMIT' | 'BLOCKED'

/** QWED's DiagnosticResult as it appears on the wire (flattened, snake_case). */
export interface DiagnosticResult {
  status: Status
  /** Safe to show a client: never reveals rule internals. */
  agent_message: string
  /** Evidence for developers; `constraint_id` is `engine.reason`. */
  developer_fields: DeveloperFields
  /** `sha256:<64 hex>` exactly when status is VERIFIED. */
  proof_ref: string | null
  /** `proof_ref !== null` */
  is_authoritative: boolean
}

export interface DeveloperFields extends Record<string, unknown> {
  constraint_id?: string
  is_valid?: boolean
}

/** What `verify()` returns: the diagnostic result plus admission and where it came from. */
export interface VerificationResult extends DiagnosticResult {
  admission: Admission
  /** The engine that produced the verdict (`math`, `sql`, ... or `verifier` for claims no engine saw). */
  engine: string
  /**
   * The claim's type (`math`, `sql`, ...), also when the engine serves several (`remote`). Absent
   * only when the claim has no known type.
   */
  claim_type?: string
  /** True when the verdict was served from the result cache. */
  cached: boolean
  /** Wall time of this verification in milliseconds. */
  duration_ms: number
}
