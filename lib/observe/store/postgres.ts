import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PgClientLike, PgPoolLike } from '../../../types/options.js'
import { loadOptionalPeer } from '../../optional-peer.js'
import { chainRecords, GENESIS_HASH, verifyChainPages, type ChainedRow, type ChainFields, type ChainLink, type MalformedRow } from './chain.js'
import { readAuditRow, storedLink, type StoredColumns } from './rows.js'
import {
  normalizeQuery,
  type AuditQuery, type AuditRecord, type AuditRow, type AuditStore, type ChainAnchor, type ChainHead, type ChainReport, type NormalizedQuery, type PruneReport
} from './index.js'

/**
 * The PostgreSQL audit store: the SQLite store's rows, chain, retention and queries, for a fleet.
 *
 * One chain per database schema, shared by every writer: each batch is one transaction that
 * first takes a transaction-scoped advisory lock (pg_advisory_xact_lock), reads the recorded head
 * and chains its rows after it. Appends from many processes are therefore serialised at the
 * database, and a writer killed mid-batch leaves nothing behind (its transaction rolls back and
 * the lock goes with its session). Each batch carries an id recorded in the same transaction, so
 * a batch retried after a lost COMMIT acknowledgement is not written twice.
 *
 * PostgreSQL unreachable (restart, failover): append keeps retrying with a capped backoff while
 * the audit queue in front of it holds the records (and applies audit.queue.onFull when full).
 */

export interface PostgresAuditStoreOptions {
  /** postgres:// URL: the store makes (and ends) its own pool. Give url or pool. */
  url?: string
  /** The app's pg Pool, used as is and left open. */
  pool?: PgPoolLike
  /** Schema of the tables (created if missing, unless readonly). Default 'public'. */
  schema?: string
  /** Open an existing trail for reading only (the CLI does): no migrations, the tables must exist. */
  readonly?: boolean
  /** How long one batch is retried while PostgreSQL is unreachable, in ms. Default 120,000. */
  retryForMs?: number
  /** Once close() has begun, how long a batch is still retried, in ms. Default 10,000. */
  closeRetryForMs?: number
}

/** How a store reports a write retry (the trail counts and logs it). */
export type RetryListener = (err: unknown, attempt: number) => void

const TABLE = 'qwed_audit'
const META = 'qwed_audit_meta'
const BATCHES = 'qwed_audit_batches'
const SCHEMA_VERSION = '1'
const PAGE_ROWS = 5_000
// 20 columns a row; PostgreSQL takes at most 65,535 parameters a statement.
const INSERT_ROWS = 1_000
const BACKOFF_MIN_MS = 50
const BACKOFF_MAX_MS = 2_000
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

const COLUMNS = [
  'id', 'time', 'request_id', 'route', 'engine', 'claim_hash', 'status', 'admission', 'constraint_id', 'proof_ref',
  'duration_ms', 'mode', 'decision', 'cached', 'agent_message', 'evidence', 'claim', 'verifier_version', 'prev_hash', 'hash'
] as const

/**
 * Versioned migrations, applied in order under the advisory lock (several replicas start at once).
 * Evidence and claim are TEXT, not jsonb: the canonical text is what is hashed, byte for byte.
 * time is ISO 8601 text with the "C" collation, so text order is time order in any locale.
 */
const MIGRATIONS: ReadonlyArray<(schema: string) => string> = [
  (s) => `
CREATE TABLE IF NOT EXISTS ${s}.${TABLE} (
  id BIGINT PRIMARY KEY,
  time TEXT COLLATE "C" NOT NULL,
  request_id TEXT,
  route TEXT NOT NULL,
  engine TEXT NOT NULL,
  claim_hash TEXT,
  status TEXT NOT NULL,
  admission TEXT NOT NULL,
  constraint_id TEXT,
  proof_ref TEXT,
  duration_ms DOUBLE PRECISION NOT NULL,
  mode TEXT NOT NULL,
  decision TEXT NOT NULL,
  cached BOOLEAN NOT NULL,
  agent_message TEXT NOT NULL,
  evidence TEXT NOT NULL,
  claim TEXT,
  verifier_version TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${TABLE}_time ON ${s}.${TABLE} (time);
CREATE TABLE IF NOT EXISTS ${s}.${BATCHES} (batch_id TEXT PRIMARY KEY, last_id BIGINT NOT NULL);
`
]

/** A row as pg returns it (BIGINT comes back as a string). */
interface RawRow extends Omit<ChainFields, 'id' | 'cached'> {
  id: string | number
  cached: boolean
  evidence: string
  claim: string | null
  prev_hash: string
  hash: string
}

interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPoolLike & { on(event: 'error', listener: (err: unknown) => void): unknown, end(): Promise<void> }
}

export class PostgresAuditStore implements AuditStore {
  readonly schema: string
  private readonly pool: PgPoolLike
  private readonly endPool: (() => Promise<void>) | null
  private readonly readonly: boolean
  private readonly lockName: string
  private readonly retryForMs: number
  private readonly closeRetryForMs: number
  private migrated: Promise<void> | null = null
  private closingAt: number | null = null
  private closed = false
  /** Told about every retried write (the audit trail counts them). */
  onRetry: RetryListener | null = null

  constructor (options: PostgresAuditStoreOptions) {
    const schema = options.schema ?? 'public'
    if (!IDENTIFIER.test(schema)) throw new RangeError('the audit schema must be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)')
    this.schema = schema
    this.readonly = options.readonly === true
    this.lockName = `qwed_audit:${schema}`
    this.retryForMs = options.retryForMs ?? 120_000
    this.closeRetryForMs = options.closeRetryForMs ?? 10_000
    if (options.pool !== undefined) {
      this.pool = options.pool
      this.endPool = null
    } else {
      if (typeof options.url !== 'string' || options.url === '') throw new TypeError('the PostgreSQL audit store needs a url or a pool')
      const { Pool } = loadOptionalPeer<PgModule>('pg', "audit.store 'postgres'")
      const pool = new Pool({ connectionString: options.url, max: 4, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 10_000, statement_timeout: 60_000 })
      // An idle connection dropped by a server restart is not an error of ours: the next
      // checkout connects again. Without a listener it would crash the process.
      pool.on('error', () => {})
      this.pool = pool
      this.endPool = async () => { await pool.end() }
    }
    // Migrations start now; a failure (server down) is retried by the first operation that needs them.
    this.ready().catch(() => {})
  }

  /** Resolves once the tables exist (migrating them unless readonly). */
  async ready (): Promise<void> {
    this.migrated ??= (this.readonly ? this.checkTables() : this.migrate()).catch((err: unknown) => {
      this.migrated = null
      throw err
    })
    await this.migrated
  }

  /**
   * Appends one batch in one transaction, chained after the head, under the advisory lock.
   * PostgreSQL unreachable: retried with backoff for retryForMs (closeRetryForMs once closing).
   */
  async append (records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return
    const batchId = randomUUID()
    const started = Date.now()
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ready()
        await this.appendOnce(records, batchId)
        return
      } catch (err) {
        if (!isTransient(err) || this.givenUp(started)) throw err
        this.onRetry?.(err, attempt)
        await sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt - 1, 6)) * (0.5 + Math.random() / 2))
      }
    }
  }

  async query (filter?: AuditQuery): Promise<AuditRow[]> {
    const q = normalizeQuery(filter)
    await this.ready()
    const { sql, params } = this.select(q, '*')
    const { rows } = await this.pool.query(sql, params)
    return (rows as RawRow[]).map((raw) => readAuditRow(columnsOf(raw)))
  }

  /** Rows matching the filter (limit and afterId ignored), for progress reporting. */
  async count (filter?: AuditQuery): Promise<number> {
    await this.ready()
    const { sql, params } = this.select({ ...normalizeQuery(filter, null), afterId: null, limit: null }, 'COUNT(*) AS n')
    const { rows } = await this.pool.query(sql, params)
    return Number((rows[0] as { n: string | number }).n)
  }

  /** Walks the whole chain in one REPEATABLE READ snapshot, a page of rows at a time. */
  async verifyChain (): Promise<ChainReport> {
    await this.ready()
    return await this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
      const { head, anchor } = await this.readMeta(client)
      return await verifyChainPages(this.pages(client, null), { anchor, head })
    })
  }

  /**
   * Deletes the rows written before `before` (a prefix of the chain) after verifying them, and
   * records the last one as the anchor; under the append lock, so no batch lands in between.
   */
  async prune (before: Date): Promise<PruneReport> {
    const cutoff = before.toISOString()
    await this.ready()
    return await this.transaction('BEGIN', async (client): Promise<PruneReport> => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockName])
      const { anchor } = await this.readMeta(client)
      const keep = (await client.query(`SELECT MIN(id) AS id FROM ${this.table(TABLE)} WHERE time >= $1`, [cutoff])).rows[0] as { id: string | null }
      const lastRows = keep.id === null
        ? await client.query(`SELECT id, hash FROM ${this.table(TABLE)} ORDER BY id DESC LIMIT 1`)
        : await client.query(`SELECT id, hash FROM ${this.table(TABLE)} WHERE id < $1 ORDER BY id DESC LIMIT 1`, [keep.id])
      const lastRaw = lastRows.rows[0] as { id: string, hash: string } | undefined
      if (lastRaw === undefined) return { pruned: 0, anchor }
      const last: ChainHead = { id: Number(lastRaw.id), hash: lastRaw.hash }
      const check = await verifyChainPages(this.pages(client, last.id), { anchor, head: last })
      if (!check.ok) return { pruned: 0, anchor, refused: check.broken ?? undefined }
      const deleted = await client.query(`DELETE FROM ${this.table(TABLE)} WHERE id <= $1`, [last.id])
      await client.query(`DELETE FROM ${this.table(BATCHES)} WHERE last_id <= $1`, [last.id])
      const changes = deleted.rowCount ?? 0
      const next: ChainAnchor = { id: last.id, hash: last.hash, prunedAt: new Date().toISOString(), prunedTotal: (anchor?.prunedTotal ?? 0) + changes }
      await this.setMeta(client, 'anchor', JSON.stringify(next))
      return { pruned: changes, anchor: next }
    })
  }

  /** The last row the writers recorded (id and hash). */
  async head (): Promise<ChainHead | null> {
    await this.ready()
    return await this.metaValue('head')
  }

  async anchor (): Promise<ChainAnchor | null> {
    await this.ready()
    return await this.metaValue('anchor')
  }

  /** From now on a batch is retried only closeRetryForMs more (the trail calls it before its last flush). */
  closing (): void {
    this.closingAt ??= Date.now()
  }

  /** Rejects when the database cannot be reached or the tables are missing. Writes nothing. */
  async probe (): Promise<void> {
    if (this.closed) throw new Error('the audit store is closed')
    if (this.readonly) throw new Error('the audit store is read-only')
    await this.ready()
    await this.pool.query('SELECT 1')
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.closing()
    await this.endPool?.()
  }

  private givenUp (started: number): boolean {
    if (this.closed) return true
    const now = Date.now()
    if (this.closingAt !== null && now - this.closingAt >= this.closeRetryForMs) return true
    return now - started >= this.retryForMs
  }

  private async appendOnce (records: readonly AuditRecord[], batchId: string): Promise<void> {
    await this.transaction('BEGIN', async (client) => {
      // Every writer of this schema queues here; the lock ends with the transaction (or the session).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockName])
      const done = await client.query(`SELECT 1 FROM ${this.table(BATCHES)} WHERE batch_id = $1`, [batchId])
      // Committed on an earlier attempt whose acknowledgement was lost.
      if ((done.rowCount ?? 0) > 0) return
      const { head, anchor } = await this.readMeta(client)
      const max = (await client.query(`SELECT MAX(id) AS id FROM ${this.table(TABLE)}`)).rows[0] as { id: string | null }
      // Chain onto the recorded head, not onto the last row: rows cut off the end stay detectable.
      const prev = head?.hash ?? anchor?.hash ?? GENESIS_HASH
      const rows = chainRecords(records, prev, Math.max(head?.id ?? 0, anchor?.id ?? 0, Number(max.id ?? 0)) + 1)
      for (let i = 0; i < rows.length; i += INSERT_ROWS) await this.insert(client, rows.slice(i, i + INSERT_ROWS))
      const last = rows[rows.length - 1] as ChainedRow
      await this.setMeta(client, 'head', JSON.stringify({ id: last.id, hash: last.hash }))
      await client.query(`INSERT INTO ${this.table(BATCHES)} (batch_id, last_id) VALUES ($1, $2)`, [batchId, last.id])
    })
  }

  private async insert (client: PgClientLike, rows: readonly ChainedRow[]): Promise<void> {
    const params: unknown[] = []
    const tuples = rows.map((row) => {
      const start = params.length
      for (const column of COLUMNS) params.push(row[column])
      return '(' + COLUMNS.map((_, i) => `$${start + i + 1}`).join(', ') + ')'
    })
    await client.query(`INSERT INTO ${this.table(TABLE)} (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params)
  }

  /** Runs `work` in one transaction on one pooled connection; a broken connection is discarded. */
  private async transaction<T> (begin: string, work: (client: PgClientLike) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    // A server that goes away mid-transaction makes the client emit 'error' besides failing the
    // query; without a listener that would crash the process. The query's own error is handled below.
    const events = client as { on?: (event: 'error', listener: () => void) => unknown, off?: (event: 'error', listener: () => void) => unknown }
    const ignore = (): void => {}
    events.on?.('error', ignore)
    let failure: unknown = null
    try {
      await client.query(begin)
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      failure = err
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release(failure !== null && isTransient(failure) ? (failure as Error) : undefined)
      events.off?.('error', ignore)
    }
  }

  private async * pages (client: PgClientLike, throughId: number | null): AsyncGenerator<Array<ChainLink | MalformedRow>> {
    let after = -1
    for (;;) {
      const { rows } = throughId === null
        ? await client.query(`SELECT * FROM ${this.table(TABLE)} WHERE id > $1 ORDER BY id LIMIT ${PAGE_ROWS}`, [after])
        : await client.query(`SELECT * FROM ${this.table(TABLE)} WHERE id > $1 AND id <= $2 ORDER BY id LIMIT ${PAGE_ROWS}`, [after, throughId])
      if (rows.length === 0) return
      yield (rows as RawRow[]).map((raw) => storedLink(columnsOf(raw)))
      if (rows.length < PAGE_ROWS) return
      after = Number((rows[rows.length - 1] as RawRow).id)
    }
  }

  private async readMeta (client: PgClientLike): Promise<{ head: ChainHead | null, anchor: ChainAnchor | null }> {
    const { rows } = await client.query(`SELECT key, value FROM ${this.table(META)} WHERE key IN ('head', 'anchor')`)
    const value = (key: string): string | undefined => (rows as Array<{ key: string, value: string }>).find((r) => r.key === key)?.value
    const head = value('head')
    const anchor = value('anchor')
    return {
      head: head === undefined ? null : JSON.parse(head) as ChainHead,
      anchor: anchor === undefined ? null : JSON.parse(anchor) as ChainAnchor
    }
  }

  private async metaValue<T> (key: string): Promise<T | null> {
    const { rows } = await this.pool.query(`SELECT value FROM ${this.table(META)} WHERE key = $1`, [key])
    const value = (rows[0] as { value: string } | undefined)?.value
    return value === undefined ? null : JSON.parse(value) as T
  }

  private async setMeta (client: PgClientLike, key: string, value: string): Promise<void> {
    await client.query(`INSERT INTO ${this.table(META)} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value])
  }

  private async migrate (): Promise<void> {
    await this.transaction('BEGIN', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockName])
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`)
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table(META)} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
      const current = (await client.query(`SELECT value FROM ${this.table(META)} WHERE key = 'schema_version'`)).rows[0] as { value: string } | undefined
      const from = current === undefined ? 0 : Number(current.value)
      if (!Number.isInteger(from) || from > MIGRATIONS.length) {
        throw new Error(`the audit schema ${this.schema} has version ${String(current?.value)}; this qwed-middleware knows versions up to ${MIGRATIONS.length}`)
      }
      for (let version = from; version < MIGRATIONS.length; version++) {
        await client.query((MIGRATIONS[version] as (s: string) => string)(this.schema))
      }
      await this.setMeta(client, 'schema_version', String(MIGRATIONS.length))
    })
  }

  private async checkTables (): Promise<void> {
    const { rows } = await this.pool.query('SELECT to_regclass($1) AS t', [`${this.schema}.${TABLE}`])
    if ((rows[0] as { t: string | null }).t === null) throw new Error(`schema ${this.schema} holds no qwed audit trail (no ${TABLE} table)`)
    const version = await this.metaValue<number>('schema_version')
    if (String(version) !== SCHEMA_VERSION) throw new Error(`the audit schema ${this.schema} has version ${String(version)}; this qwed-middleware reads version ${SCHEMA_VERSION}`)
  }

  private table (name: string): string {
    return `${this.schema}.${name}`
  }

  private select (q: NormalizedQuery, columns: string): { sql: string, params: unknown[] } {
    const where: string[] = []
    const params: unknown[] = []
    const param = (value: unknown): string => {
      params.push(value)
      return `$${params.length}`
    }
    if (q.since !== null) where.push(`time >= ${param(q.since)}`)
    if (q.until !== null) where.push(`time < ${param(q.until)}`)
    if (q.route !== null) where.push(`route = ${param(q.route)}`)
    if (q.engine !== null) where.push(`engine = ${param(q.engine)}`)
    if (q.requestId !== null) where.push(`request_id = ${param(q.requestId)}`)
    if (q.afterId !== null) where.push(`id ${q.order === 'desc' ? '<' : '>'} ${param(q.afterId)}`)
    for (const column of ['status', 'admission', 'decision'] as const) {
      const values = q[column]
      if (values !== null) where.push(`${column} = ANY(${param([...values])})`)
    }
    let sql = `SELECT ${columns} FROM ${this.table(TABLE)}`
    if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`
    if (columns === '*') sql += ` ORDER BY id ${q.order === 'desc' ? 'DESC' : 'ASC'}`
    if (q.limit !== null) sql += ` LIMIT ${param(q.limit)}`
    return { sql, params }
  }
}

/** Opens (and migrates, unless readonly) the PostgreSQL audit trail. */
export function openPostgresAuditStore (options: PostgresAuditStoreOptions): PostgresAuditStore {
  return new PostgresAuditStore(options)
}

// Connection-level failures: the server restarting, failing over, or not reachable yet.
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', '40001', '40P01'])

/** True for errors worth retrying: the connection, not the statement, failed. */
export function isTransient (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return true
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(String((err as Error)?.message))
}

/** The stored columns of a row as PostgreSQL returns them (a BIGSERIAL id may come back as text). */
function columnsOf (raw: RawRow): StoredColumns {
  return { ...raw, id: Number(raw.id) }
}
