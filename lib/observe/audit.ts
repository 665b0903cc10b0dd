import { pino } from 'pino'
import type { AuditOptions, Mode, QwedLogger } from '../../types/options.js'
import type { VerificationResult } from '../../types/result.js'
import type { Decision } from '../../types/route.js'
import { redactSecrets } from '../guard/redact.js'
import { refusedResult } from '../result.js'
import type { AuditTrailWriter } from './store/trail.js'

export interface AuditEntry {
  requestId: string | undefined
  route: string
  claimHash: string | null
  claim: unknown
  result: VerificationResult
  mode: Mode
  decision: Decision
}

/**
 * Returns a promise only when the audit store's queue is full with onFull 'block' (wait for it), or
 * with audit.durability 'before-response': then it resolves false when the record could not be stored.
 */
export type AuditSink = (entry: AuditEntry, fallbackLogger?: QwedLogger) => void | Promise<void> | Promise<boolean>

/**
 * One record per verification. Records go to `options.logger`, else to the logger the adapter
 * passes (Fastify's request.log), else to a pino logger on stdout. The claim text is only written
 * with includeClaims; configured secrets are scrubbed from every string of the record. With an
 * audit store (`trail`), each record is also queued for the tamper-evident store.
 */
export function createAuditSink (options: AuditOptions | false | undefined, secrets: readonly string[], trail: AuditTrailWriter | null = null): AuditSink {
  if (options === false) return () => {}
  const configured = options?.logger
  const includeClaims = options?.includeClaims === true
  let standalone: QwedLogger | undefined
  return (entry, fallbackLogger) => {
    const logger = configured ?? fallbackLogger ?? (standalone ??= pino({ name: 'qwed-audit' }))
    const { result } = entry
    const record: Record<string, unknown> = {
      audit: 'qwed.verification',
      verified_at: new Date().toISOString(),
      request_id: entry.requestId ?? null,
      route: entry.route,
      engine: result.engine,
      claim_type: result.claim_type ?? null,
      claim_hash: entry.claimHash,
      status: result.status,
      admission: result.admission,
      constraint_id: result.developer_fields.constraint_id ?? null,
      proof_ref: result.proof_ref,
      cached: result.cached,
      duration_ms: result.duration_ms,
      mode: entry.mode,
      decision: entry.decision
    }
    if (includeClaims) record.claim = entry.claim
    const safe = redactSecrets(record, secrets)
    const message = `qwed ${entry.decision}: ${result.engine} ${result.status}`
    if (entry.decision === 'admit') logger.info(safe, message)
    else logger.warn(safe, message)
    return trail?.record(entry)
  }
}

let unheardWarned = false

/**
 * One process warning (code QWED_AUDIT_NO_SINK) when audit records would go nowhere: the adapter's
 * logger is off and neither audit.logger nor audit.store takes them.
 */
export function warnIfAuditUnheard (loggerOff: boolean, audit: AuditOptions | false | undefined): void {
  if (!loggerOff || audit === false || audit?.logger !== undefined || audit?.store !== undefined || unheardWarned) return
  unheardWarned = true
  process.emitWarning('qwed-middleware: Fastify\'s logger is off and no audit sink is configured, so every audit record is dropped; ' +
    'pass audit.logger (a pino logger), configure audit.store, or set audit: false to drop them on purpose', { code: 'QWED_AUDIT_NO_SINK' })
}

/**
 * The result of a verification whose record could not be stored under durability 'before-response':
 * unavailable (the route's onUnavailable applies: 503 by default), never released unrecorded as admitted.
 */
export function auditUnavailable (result: VerificationResult): VerificationResult {
  return refusedResult('Verification is temporarily unavailable', { constraint_id: 'audit.unavailable', reason: 'audit_unavailable' }, 'audit', result.duration_ms)
}
