import { destination, pino } from 'pino'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { AuditOptions, QwedLogger } from '../../../types/options.js'
import { QwedOptionsError } from '../../errors.js'
import { redactSecrets } from '../../guard/redact.js'
import { recordableClaim, type AuditEntry } from '../audit.js'
import { reuseMetric } from '../metrics.js'
import { QWED_MIDDLEWARE_VERSION } from '../vc.js'
import { exportAuditLines, type AuditExportOptions } from './export.js'
import type { AuditQuery, AuditRecord, AuditRow, AuditStore, ChainReport, PruneReport } from './index.js'
import { MissingPeerError } from '../../optional-peer.js'
import { PostgresAuditStore } from './postgres.js'
import { BatchQueue, type DropReason, type QueueFullPolicy } from './queue.js'
import { SqliteAuditStore } from './sqlite.js'

/** What `verifier.audit` offers an auditor. Every read first writes what is still queued. */
export interface AuditTrail {
  /** The store the records go to. */
  readonly store: AuditStore
  /** Rows matching the filter (default: the first 1,000, oldest first). */
  query(filter?: AuditQuery): Promise<AuditRow[]>
  /** Walks the hash chain; `broken` names the first row that does not verify and why. */
  verifyChain(): Promise<ChainReport>
  /** The rows as lines of jsonl, csv or Verification Context documents, read a page at a time. */
  export(options?: AuditExportOptions): AsyncGenerator<string>
  /** Prunes rows older than `before` (default: now minus audit.retentionDays). */
  prune(before?: Date): Promise<PruneReport>
  /** Writes every queued record now. */
  flush(): Promise<void>
  /** Records waiting in memory. */
  readonly pending: number
  /** Whether records can be written now: the store's own probe, and no failed batch since the last good one. */
  writable(): Promise<AuditWritable>
}

export interface AuditWritable {
  writable: boolean
  /** Records waiting in memory. */
  pending: number
  /** Why not (a short code, never a connection string): `write_error`, `probe_failed`, `closed`. */
  reason?: string
}

/** `audit.durability`: when a verification's record must be stored (docs/compliance.md, "What each mode can lose"). */
export type AuditDurability = 'async' | 'before-response'
export const AUDIT_DURABILITIES: readonly AuditDurability[] = ['async', 'before-response']

/** The verifier's side: one record per verification, and close(). */
export interface AuditTrailWriter extends AuditTrail {
  /**
   * Queues the record of one verification; a promise only when the queue is full and onFull is
   * 'block', or with durability 'before-response': then it resolves once the record is stored (true)
   * or could not be (false).
   */
  record(entry: AuditEntry): void | Promise<void> | Promise<boolean>
  /** close() is coming: a store that retries writes (PostgreSQL) retries only a little longer from now on. */
  closing(): void
  /** Flushes, stops the retention timer, and closes the store when the trail opened it. */
  close(): Promise<void>
}

export const AUDIT_QUEUE_DEFAULTS = { max: 10_000, batchSize: 500, flushIntervalMs: 100, onFull: 'block' as QueueFullPolicy }
export const QUEUE_FULL_POLICIES: readonly QueueFullPolicy[] = ['block', 'drop_oldest', 'reject']
const DROP_REASONS: readonly DropReason[] = ['drop_oldest', 'reject', 'write_error', 'closed']
const DAY_MS = 86_400_000
const RETENTION_EVERY_MS = 3_600_000
const WARN_EVERY_MS = 10_000

export interface AuditTrailDeps {
  secrets: readonly string[]
  registry: Registry
}

/**
 * Opens the audit store named by `audit.store` (null when there is none): the SQLite file at
 * `audit.path`, the PostgreSQL database at `audit.url` (or `audit.pool`), or the AuditStore object given. Records go through a bounded queue (audit.queue)
 * and are written off the request path; drops are counted in qwed_audit_dropped_total{reason}.
 */
export function openAuditTrail (options: AuditOptions | false | undefined, deps: AuditTrailDeps): AuditTrailWriter | null {
  if (options === false || options === undefined || options.store === undefined) return null
  let store: AuditStore
  let owned = false
  if (options.store === 'sqlite') {
    try {
      store = new SqliteAuditStore(options.path as string)
    } catch (err) {
      // A missing better-sqlite3 is not a bad path: name the package, not the file.
      if (err instanceof MissingPeerError) throw new QwedOptionsError('audit.store', `cannot be used: ${err.message}`)
      throw new QwedOptionsError('audit.path', `cannot open the SQLite audit store: ${(err as Error).message}`)
    }
    owned = true
  } else if (options.store === 'postgres') {
    try {
      store = new PostgresAuditStore({
        ...(options.url === undefined ? {} : { url: options.url }),
        ...(options.pool === undefined ? {} : { pool: options.pool }),
        ...(options.schema === undefined ? {} : { schema: options.schema })
      })
    } catch (err) {
      if (err instanceof MissingPeerError) throw new QwedOptionsError('audit.store', `cannot be used: ${err.message}`)
      throw err
    }
    owned = true
  } else {
    store = options.store
  }
  return new Trail(store, owned, options, deps)
}

interface AuditMetrics {
  depth: Gauge
  dropped: Counter<'reason'>
  full: Counter<'policy'>
  written: Counter
  retries: Counter
}

function auditMetrics (registry: Registry): AuditMetrics {
  const reuse = <M>(name: string, make: () => M): M => reuseMetric(registry, name, make)
  const registers = [registry]
  const metrics: AuditMetrics = {
    depth: reuse('qwed_audit_queue_depth', () => new Gauge({
      name: 'qwed_audit_queue_depth',
      help: 'Audit records waiting in memory to be written to the audit store',
      registers
    })),
    dropped: reuse('qwed_audit_dropped_total', () => new Counter({
      name: 'qwed_audit_dropped_total',
      help: 'Audit records that did not reach the audit store, by reason (drop_oldest, reject, write_error, closed)',
      labelNames: ['reason'] as const,
      registers
    })),
    full: reuse('qwed_audit_queue_full_total', () => new Counter({
      name: 'qwed_audit_queue_full_total',
      help: 'Audit records that met a full queue, by the audit.queue.onFull policy applied',
      labelNames: ['policy'] as const,
      registers
    })),
    written: reuse('qwed_audit_written_total', () => new Counter({
      name: 'qwed_audit_written_total',
      help: 'Audit records written to the audit store',
      registers
    })),
    retries: reuse('qwed_audit_write_retries_total', () => new Counter({
      name: 'qwed_audit_write_retries_total',
      help: 'Audit batch writes retried because the store (PostgreSQL) was unreachable',
      registers
    }))
  }
  // Present from the start at 0, so an alert on the rate works before the first loss.
  for (const reason of DROP_REASONS) metrics.dropped.inc({ reason }, 0)
  return metrics
}

// Trails still open when the process exits: their queues are written synchronously then.
const openTrails = new Set<Trail>()
let exitHookInstalled = false

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const trail of openTrails) trail.flushOnExit()
  })
}

class Trail implements AuditTrailWriter {
  private readonly queue: BatchQueue<AuditRecord>
  private readonly metrics: AuditMetrics
  private readonly includeClaims: boolean
  private readonly retentionDays: number | undefined
  private readonly retentionTimer: NodeJS.Timeout | null = null
  private logger: QwedLogger | undefined
  private lastWarn = 0
  private lastRetryWarn = 0
  private unwarned = 0
  private closed = false
  private readonly durable: boolean
  // The last batch write failed and none has succeeded since: the store is not writable.
  private failing = false

  constructor (
    readonly store: AuditStore,
    private readonly owned: boolean,
    options: AuditOptions,
    private readonly deps: AuditTrailDeps
  ) {
    this.includeClaims = options.includeClaims === true
    this.retentionDays = options.retentionDays
    this.logger = options.logger
    this.durable = options.durability === 'before-response'
    this.metrics = auditMetrics(deps.registry)
    const queue = { ...AUDIT_QUEUE_DEFAULTS, ...options.queue }
    this.queue = new BatchQueue<AuditRecord>((batch) => store.append(batch), queue, {
      depth: (delta) => this.metrics.depth.inc(delta),
      full: (policy) => this.metrics.full.inc({ policy }),
      written: (count) => {
        this.failing = false
        this.metrics.written.inc(count)
      },
      dropped: (reason, count, error) => this.dropped(reason, count, error)
    })
    if (store instanceof PostgresAuditStore) {
      store.onRetry = (err) => {
        this.metrics.retries.inc()
        this.warnRetry(err)
      }
    }
    if (this.owned) {
      openTrails.add(this)
      installExitHook()
    }
    if (this.retentionDays !== undefined && store.prune !== undefined) {
      const prune = (): void => { this.prune().catch((err: unknown) => this.log().error({ err }, 'qwed audit: retention prune failed')) }
      setTimeout(prune, 0).unref()
      this.retentionTimer = setInterval(prune, RETENTION_EVERY_MS).unref()
    }
  }

  get pending (): number {
    return this.queue.pending
  }

  record (entry: AuditEntry): void | Promise<void> | Promise<boolean> {
    const { result } = entry
    const constraint = result.developer_fields.constraint_id
    const record: AuditRecord = {
      time: new Date().toISOString(),
      request_id: entry.requestId === undefined || entry.requestId === null ? null : String(entry.requestId),
      route: entry.route,
      engine: result.engine,
      claim_hash: entry.claimHash,
      status: result.status,
      admission: result.admission,
      constraint_id: typeof constraint === 'string' ? constraint : null,
      proof_ref: result.proof_ref,
      duration_ms: result.duration_ms,
      mode: entry.mode,
      decision: entry.decision,
      cached: result.cached,
      agent_message: result.agent_message,
      evidence: result.developer_fields,
      claim: this.includeClaims ? recordableClaim(entry.claim) : null,
      verifier_version: QWED_MIDDLEWARE_VERSION
    }
    const safe = redactSecrets(record, this.deps.secrets)
    return this.durable ? this.queue.pushDurable(safe) : this.queue.push(safe)
  }

  async writable (): Promise<AuditWritable> {
    const pending = this.queue.pending
    if (this.closed) return { writable: false, pending, reason: 'closed' }
    if (this.failing) return { writable: false, pending, reason: 'write_error' }
    try {
      await (this.store as { probe?: () => unknown }).probe?.()
    } catch {
      return { writable: false, pending, reason: 'probe_failed' }
    }
    return { writable: true, pending }
  }

  async query (filter?: AuditQuery): Promise<AuditRow[]> {
    await this.queue.flush()
    return await this.store.query(filter)
  }

  async verifyChain (): Promise<ChainReport> {
    await this.queue.flush()
    return await this.store.verifyChain()
  }

  async * export (options?: AuditExportOptions): AsyncGenerator<string> {
    await this.queue.flush()
    yield * exportAuditLines(this.store, options)
  }

  async prune (before?: Date): Promise<PruneReport> {
    if (this.store.prune === undefined) throw new Error('this audit store does not prune')
    let cutoff = before
    if (cutoff === undefined) {
      if (this.retentionDays === undefined) throw new RangeError('prune() needs a date when audit.retentionDays is not set')
      cutoff = new Date(Date.now() - this.retentionDays * DAY_MS)
    }
    await this.queue.flush()
    const report = await this.store.prune(cutoff)
    if (report.refused !== undefined) {
      this.log().error({ broken: report.refused }, 'qwed audit: retention did not prune rows whose chain does not verify')
    }
    return report
  }

  async flush (): Promise<void> {
    await this.queue.flush()
  }

  closing (): void {
    ;(this.store as { closing?: () => void }).closing?.()
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer)
    // A store that retries writes (PostgreSQL) retries only a little longer from here on.
    this.closing()
    await this.queue.close()
    openTrails.delete(this)
    if (this.owned) await this.store.close?.()
  }

  /** process 'exit': nothing async runs any more; a synchronous store (SQLite) takes the queue now. */
  flushOnExit (): void {
    this.queue.flushSync()
  }

  private dropped (reason: DropReason, count: number, error: unknown): void {
    this.metrics.dropped.inc({ reason }, count)
    if (reason === 'write_error') {
      this.failing = true
      this.log().error({ err: error, count }, 'qwed audit: a batch of audit records could not be written')
      return
    }
    // Losses are counted one by one; the log says so at most every 10 s.
    this.unwarned += count
    const now = Date.now()
    if (now - this.lastWarn >= WARN_EVERY_MS) {
      this.log().warn({ reason, count: this.unwarned }, `qwed audit: ${this.unwarned} audit record(s) dropped (${reason}); see qwed_audit_dropped_total`)
      this.lastWarn = now
      this.unwarned = 0
    }
  }

  /** A write is being retried: at most one log line every 10 s (the counter has them all). */
  private warnRetry (err: unknown): void {
    const now = Date.now()
    if (now - this.lastRetryWarn < WARN_EVERY_MS) return
    this.lastRetryWarn = now
    const code = (err as { code?: unknown } | null)?.code
    this.log().warn({ code: typeof code === 'string' ? code : undefined, pending: this.queue.pending },
      'qwed audit: the audit store is unreachable; records wait in the queue and the write is retried')
  }

  private log (): QwedLogger {
    this.logger ??= pino({ name: 'qwed-audit' }, destination(2))
    return this.logger
  }
}
