import type { AuditOptions, Mode, QwedLogger } from '../../types/options.js'
import type { VerificationResult } from '../../types/result.js'
import type { Decision } from '../../types/route.js'
import { canonicalize } from '../canonical.js'
import { redactSecrets } from '../guard/redact.js'
import { refusedResult } from '../result.js'
import { defaultAuditLogger } from './default-audit-log.js'
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
export interface AuditSink {
  (entry: AuditEntry, fallbackLogger?: QwedLogger): void | Promise<void> | Promise<boolean>
  /** False with `audit: false`: the verifier need not even make an entry. */
  readonly enabled: boolean
}

const DISABLED: AuditSink = Object.assign(() => {}, { enabled: false })

/**
 * One record per verification. Records go to `options.logger`, else to the logger the adapter
 * passes (Fastify's request.log), else to the default audit log on stdout (defaultAuditLogger). The
 * claim text is only written with includeClaims; configured secrets are scrubbed from every string
 * of the record. With an audit store (`trail`), each record is also queued for the tamper-evident store.
 *
 * The log record is built only when the logger will write it: a logger below the record's level
 * (pino's isLevelEnabled, `level: 'silent'`) or one whose methods do nothing (Fastify's logger when
 * the app has none) costs nothing per verification.
 */
export function createAuditSink (options: AuditOptions | false | undefined, secrets: readonly string[], trail: AuditTrailWriter | null = null): AuditSink {
  if (options === false) return DISABLED
  const configured = options?.logger
  const includeClaims = options?.includeClaims === true
  // Without secrets a record is written as built: no scrub walk over it.
  const scrubs = secrets.some((s) => typeof s === 'string' && s.length > 0)
  const sink = (entry: AuditEntry, fallbackLogger?: QwedLogger): void | Promise<void> | Promise<boolean> => {
    const logger = configured ?? fallbackLogger ?? defaultAuditLogger()
    const level = entry.decision === 'admit' ? 'info' : 'warn'
    if (writes(logger, level)) {
      const { result } = entry
      const record: Record<string, unknown> = {
        audit: 'qwed.verification',
        verified_at: isoNow(),
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
      if (includeClaims) record.claim = recordableClaim(entry.claim)
      logger[level](scrubs ? redactSecrets(record, secrets) : record, `qwed ${entry.decision}: ${result.engine} ${result.status}`)
    }
    return trail?.record(entry)
  }
  return Object.assign(sink, { enabled: true })
}

let isoMs = Number.NaN
let isoText = ''

/** The time as ISO 8601 UTC with milliseconds (`verified_at`), formatted once per millisecond. */
function isoNow (): string {
  const ms = Date.now()
  if (ms !== isoMs) {
    isoMs = ms
    isoText = new Date(ms).toISOString()
  }
  return isoText
}

/**
 * The claim as an audit record keeps it (includeClaims): null when it cannot be written as JSON (a
 * BigInt, a cycle, a getter or Proxy trap that throws: claims the guard refused). Such a claim made
 * the secret scrub throw (verify() rejected) and failed the audit store's whole batch in the chain.
 */
export function recordableClaim (claim: unknown): unknown {
  try {
    canonicalize(claim)
    return claim
  } catch {
    return null
  }
}

/** Whether `logger` writes a record at `level`: asked of the logger when it can say, else assumed. */
export function writes (logger: QwedLogger, level: 'info' | 'warn'): boolean {
  const probe = logger as QwedLogger & { isLevelEnabled?: (level: string) => boolean, level?: unknown }
  if (typeof probe.isLevelEnabled === 'function') return probe.isLevelEnabled(level)
  if (probe.level === 'silent') return false
  return !doesNothing(logger[level])
}

const emptiness = new WeakMap<object, boolean>()
const EMPTY_FUNCTION = /^(?:function\s*)?[\w$]*\s*\(\s*\)\s*(?:=>\s*)?\{\s*\}$/

/** A method with an empty body (abstract-logging's `function noop () { }`, `() => {}`, `info () {}`): remembered per function. */
function doesNothing (method: unknown): boolean {
  if (typeof method !== 'function') return false
  let empty = emptiness.get(method)
  if (empty === undefined) {
    empty = EMPTY_FUNCTION.test(Function.prototype.toString.call(method))
    emptiness.set(method, empty)
  }
  return empty
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
