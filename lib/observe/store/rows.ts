import { contentText, type ChainFields, type ChainLink, type MalformedRow } from './chain.js'
import type { AuditRow } from './index.js'

// Stored audit rows read back, the same way for every store: the columns as the driver returns them,
// with the evidence and the claim kept as their canonical JSON text.

/** A stored row's columns, id as a number; `cached` as the driver gives it (SQLite: 0/1). */
export interface StoredColumns extends ChainFields {
  evidence: string
  claim: string | null
  prev_hash: string
  hash: string
}

/** The audit row of stored columns, or why it cannot be read (its JSON texts are damaged). */
export function auditRowOf (raw: StoredColumns): AuditRow | MalformedRow {
  let evidence: unknown
  let claim: unknown
  try {
    evidence = JSON.parse(raw.evidence)
    claim = raw.claim === null ? null : JSON.parse(raw.claim)
  } catch {
    return { id: raw.id, malformed: 'its evidence or claim is not JSON' }
  }
  if (evidence === null || typeof evidence !== 'object' || Array.isArray(evidence)) {
    return { id: raw.id, malformed: 'its evidence is not a JSON object' }
  }
  return {
    id: raw.id,
    time: raw.time,
    request_id: raw.request_id,
    route: raw.route,
    engine: raw.engine,
    claim_hash: raw.claim_hash,
    status: raw.status,
    admission: raw.admission,
    constraint_id: raw.constraint_id,
    proof_ref: raw.proof_ref,
    duration_ms: raw.duration_ms,
    mode: raw.mode,
    decision: raw.decision,
    cached: raw.cached === true || raw.cached === 1,
    agent_message: raw.agent_message,
    evidence: evidence as Record<string, unknown>,
    claim,
    verifier_version: raw.verifier_version,
    prev_hash: raw.prev_hash,
    hash: raw.hash
  }
}

/** The audit row of stored columns for a query: a row that cannot be read is an error, not skipped. */
export function readAuditRow (raw: StoredColumns): AuditRow {
  const row = auditRowOf(raw)
  if ('malformed' in row) throw new Error(`audit row ${row.id} cannot be read: ${row.malformed}`)
  return row
}

/**
 * The chain link of a stored row, from the stored canonical texts as they are (no parse, byte-exact,
 * `cached` as stored): a changed byte or an odd value shows as a content mismatch.
 */
export function storedLink (raw: StoredColumns): ChainLink {
  return { id: raw.id, prev_hash: raw.prev_hash, hash: raw.hash, content: contentText(raw, raw.evidence, raw.claim ?? 'null') }
}
