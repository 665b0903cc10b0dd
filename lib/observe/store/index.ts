import type { Mode } from '../../../types/options.js'
import type { Admission, Status } from '../../../types/result.js'
import type { Decision } from '../../../types/route.js'

/**
 * One verification as the audit store keeps it. Field names follow the pino audit records
 * (snake_case), so a log line and a stored row read the same.
 */
export interface AuditRecord {
  /** When the verification finished: ISO 8601, UTC, milliseconds (`2026-01-02T03:04:05.678Z`). */
  time: string
  request_id: string | null
  /** Route pattern (`__direct__` for verifier.verify() calls without a route). */
  route: string
  engine: string
  /** `sha256:` + hex of the canonical claim; null when the claim was rejected before hashing. */
  claim_hash: string | null
  status: Status
  admission: Admission
  constraint_id: string | null
  proof_ref: string | null
  duration_ms: number
  mode: Mode
  decision: Decision
  cached: boolean
  agent_message: string
  /** The result's developer_fields (secrets redacted), as JSON. */
  evidence: Record<string, unknown>
  /** The claim itself, only with `audit.includeClaims`; otherwise null. */
  claim: unknown
  /** qwed-middleware version that produced the verdict. */
  verifier_version: string
}

/** A stored record: its place in the chain and the chain hashes (bare lowercase hex). */
export interface AuditRow extends AuditRecord {
  id: number
  prev_hash: string
  hash: string
}

/**
 * Which rows to read. `since` is inclusive, `until` exclusive (ISO 8601 strings, Dates or epoch ms).
 * Rows come in id order (the order they were written), ascending unless `order: 'desc'`.
 */
export interface AuditQuery {
  since?: string | Date | number
  until?: string | Date | number
  status?: Status | readonly Status[]
  admission?: Admission | readonly Admission[]
  route?: string
  engine?: string
  decision?: Decision | readonly Decision[]
  requestId?: string
  /** Only rows with a larger id (for paging through a large trail). */
  afterId?: number
  /** Most rows returned. Default 1,000. */
  limit?: number
  order?: 'asc' | 'desc'
}

/** Why a chain does not verify. */
export type ChainBreakReason =
  /** The row's content no longer matches its hash: the row was edited. */
  | 'content'
  /** The row does not follow the row (or anchor) before it: a row was removed, inserted or reordered. */
  | 'link'
  /** Rows are missing at the end: the last row is not the head recorded when the last batch was written. */
  | 'truncated'
  /** The row cannot be read back (its evidence or claim is not JSON). */
  | 'malformed'

export interface ChainBreak {
  /** The first row that does not verify (for `truncated`: the first missing id). */
  id: number
  reason: ChainBreakReason
  message: string
}

/** Where verification starts after retention pruned the oldest rows: the last pruned row. */
export interface ChainAnchor {
  id: number
  hash: string
  /** When the prune ran (ISO 8601). */
  prunedAt: string
  /** Rows pruned so far, over every prune. */
  prunedTotal: number
}

export interface ChainHead {
  id: number
  hash: string
}

export interface ChainReport {
  ok: boolean
  /** Rows checked (all of them when ok; those before the break otherwise). */
  rows: number
  firstId: number | null
  lastId: number | null
  /** Hash of the last row that verified (the anchor's or null when there is none). */
  head: string | null
  anchor: ChainAnchor | null
  broken: ChainBreak | null
}

export interface PruneReport {
  /** Rows removed by this prune. */
  pruned: number
  /** The new anchor (unchanged when nothing was pruned). */
  anchor: ChainAnchor | null
  /** Set when the rows to prune did not verify: nothing was pruned, so the evidence is kept. */
  refused?: ChainBreak
}

/**
 * Where audit records are persisted. The verifier writes through a bounded in-memory queue that
 * calls `append` with one batch at a time, never concurrently, in the order of the verifications.
 * A store computes the chain (lib/observe/store/chain.ts has the hash and the verification walk).
 * The built-in implementation is SqliteAuditStore (`audit: { store: 'sqlite', path }`).
 */
export interface AuditStore {
  /** Persists a batch atomically, chained after the current head. Throwing loses the batch (counted). */
  append(records: readonly AuditRecord[]): void | Promise<void>
  query(filter?: AuditQuery): AuditRow[] | Promise<AuditRow[]>
  verifyChain(): ChainReport | Promise<ChainReport>
  /** Removes the rows older than `before`, keeping the chain verifiable (see ChainAnchor). */
  prune?(before: Date): PruneReport | Promise<PruneReport>
  /**
   * Rejects when records cannot be written now (read-only, closed, unreachable); the readiness check
   * (lib/health.ts) calls it. Must not write a row: the chain holds verifications only.
   */
  probe?(): void | Promise<void>
  /** Called by the verifier's close() only for stores it opened itself (`store: 'sqlite'`). */
  close?(): void | Promise<void>
}

export const AUDIT_STATUSES: readonly Status[] = ['VERIFIED', 'UNVERIFIABLE', 'BLOCKED']
export const AUDIT_ADMISSIONS: readonly Admission[] = ['ADMIT', 'BLOCKED']
export const AUDIT_DECISIONS: readonly Decision[] = ['admit', 'block', 'shadow', 'fail_closed', 'fail_open']
export const DEFAULT_QUERY_LIMIT = 1000

/** A query with its values checked and normalised (times as ISO strings, lists as arrays). */
export interface NormalizedQuery {
  since: string | null
  until: string | null
  status: readonly string[] | null
  admission: readonly string[] | null
  decision: readonly string[] | null
  route: string | null
  engine: string | null
  requestId: string | null
  afterId: number | null
  limit: number | null
  order: 'asc' | 'desc'
}

/** Checks a query; throws a RangeError naming the bad field. `limit: null` means no limit (exports). */
export function normalizeQuery (filter: AuditQuery = {}, defaultLimit: number | null = DEFAULT_QUERY_LIMIT): NormalizedQuery {
  if (filter === null || typeof filter !== 'object') throw new RangeError('audit query must be an object')
  const limit = filter.limit ?? defaultLimit
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw new RangeError('audit query limit must be an integer >= 1')
  const afterId = filter.afterId ?? null
  if (afterId !== null && !Number.isInteger(afterId)) throw new RangeError('audit query afterId must be an integer')
  const order = filter.order ?? 'asc'
  if (order !== 'asc' && order !== 'desc') throw new RangeError("audit query order must be 'asc' or 'desc'")
  return {
    since: toIsoTime(filter.since, 'since'),
    until: toIsoTime(filter.until, 'until'),
    status: oneOrMany(filter.status, AUDIT_STATUSES, 'status'),
    admission: oneOrMany(filter.admission, AUDIT_ADMISSIONS, 'admission'),
    decision: oneOrMany(filter.decision, AUDIT_DECISIONS, 'decision'),
    route: optionalString(filter.route, 'route'),
    engine: optionalString(filter.engine, 'engine'),
    requestId: optionalString(filter.requestId, 'requestId'),
    afterId,
    limit,
    order
  }
}

/** An ISO 8601 UTC time with milliseconds, the only form stored, so text order is time order. */
export function toIsoTime (value: string | Date | number | undefined | null, name: string): string | null {
  if (value === undefined || value === null) return null
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime()) || (typeof value === 'string' && value.trim() === '')) {
    throw new RangeError(`audit query ${name} must be an ISO 8601 time, a Date or epoch milliseconds`)
  }
  return date.toISOString()
}

function oneOrMany (value: string | readonly string[] | undefined, allowed: readonly string[], name: string): readonly string[] | null {
  if (value === undefined) return null
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => !allowed.includes(v))) {
    throw new RangeError(`audit query ${name} must be one or more of ${allowed.join(', ')}`)
  }
  return list
}

function optionalString (value: unknown, name: string): string | null {
  if (value === undefined) return null
  if (typeof value !== 'string') throw new RangeError(`audit query ${name} must be a string`)
  return value
}

/**
 * A deep copy that canonical JSON can always encode: bigints and non-finite numbers become strings,
 * lone surrogates U+FFFD, functions and symbols are left out, cycles and very deep values are cut.
 * Evidence is written as it was seen; this only keeps one odd value from losing a whole batch.
 */
export function toJsonSafe (value: unknown): unknown {
  return copy(value, 0, new Set())
}

const LONE_SURROGATE = /\p{Cs}/gu

function copy (value: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return value.replace(LONE_SURROGATE, '\uFFFD')
    case 'number':
      return Number.isFinite(value) ? value : String(value)
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value
    case 'object':
      break
    default:
      return undefined
  }
  if (value === null) return null
  if (depth >= 64) return '[TRUNCATED]'
  if (seen.has(value)) return '[CIRCULAR]'
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') return copy(toJSON.call(value), depth + 1, seen)
  seen.add(value)
  let out: unknown
  if (Array.isArray(value)) {
    out = value.map((item) => copy(item, depth + 1, seen) ?? null)
  } else {
    const obj: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const safe = copy(item, depth + 1, seen)
      // defineProperty: a `__proto__` key stays a plain property, as JSON.parse makes it.
      if (safe !== undefined) Object.defineProperty(obj, key.replace(LONE_SURROGATE, '\uFFFD'), { value: safe, enumerable: true, writable: true, configurable: true })
    }
    out = obj
  }
  seen.delete(value)
  return out
}
