import { accessSync, constants } from 'node:fs'
import type Database from 'better-sqlite3'
import { isNativeLoadFailure, loadOptionalPeer, nativeModuleError } from '../../optional-peer.js'
import { chainRecords, GENESIS_HASH, verifyChainRows, type ChainedRow } from './chain.js'
import { readAuditRow, storedLink, type StoredColumns } from './rows.js'
import {
  normalizeQuery,
  type AuditQuery, type AuditRecord, type AuditRow, type AuditStore, type ChainAnchor, type ChainHead, type ChainReport, type NormalizedQuery, type PruneReport
} from './index.js'

// better-sqlite3 is an optional peer (a native build): loaded on first use, so apps without the
// SQLite store never need it, and a missing one is named (MissingPeerError), not taken for a bad path.
// (require's own cache makes a second load cheap.)
function openDatabase (path: string, options: Database.Options): Database.Database {
  const SqliteDatabase = loadOptionalPeer<typeof Database>('better-sqlite3', "audit.store 'sqlite'")
  try {
    return new SqliteDatabase(path, options)
  } catch (err) {
    // better-sqlite3 loads its native addon here, in the constructor: a missing or mismatched
    // build surfaces now, and is the package's problem, not the file's.
    if (isNativeLoadFailure(err)) throw nativeModuleError('better-sqlite3', "audit.store 'sqlite'", err)
    throw err
  }
}

const TABLE = 'qwed_audit'
const META = 'qwed_audit_meta'
const SCHEMA_VERSION = '1'

// STRICT: SQLite refuses a value of the wrong type instead of storing it anyway.
const CREATE = `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  request_id TEXT,
  route TEXT NOT NULL,
  engine TEXT NOT NULL,
  claim_hash TEXT,
  status TEXT NOT NULL,
  admission TEXT NOT NULL,
  constraint_id TEXT,
  proof_ref TEXT,
  duration_ms REAL NOT NULL,
  mode TEXT NOT NULL,
  decision TEXT NOT NULL,
  cached INTEGER NOT NULL,
  agent_message TEXT NOT NULL,
  evidence TEXT NOT NULL,
  claim TEXT,
  verifier_version TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS ${TABLE}_time ON ${TABLE} (time);
CREATE TABLE IF NOT EXISTS ${META} (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
`

const INSERT = `INSERT INTO ${TABLE} (id, time, request_id, route, engine, claim_hash, status, admission, constraint_id,
  proof_ref, duration_ms, mode, decision, cached, agent_message, evidence, claim, verifier_version, prev_hash, hash)
  VALUES (@id, @time, @request_id, @route, @engine, @claim_hash, @status, @admission, @constraint_id,
  @proof_ref, @duration_ms, @mode, @decision, @cached, @agent_message, @evidence, @claim, @verifier_version, @prev_hash, @hash)`

/** A row as SQLite returns it. */
interface RawRow {
  id: number
  time: string
  request_id: string | null
  route: string
  engine: string
  claim_hash: string | null
  status: string
  admission: string
  constraint_id: string | null
  proof_ref: string | null
  duration_ms: number
  mode: string
  decision: string
  cached: number
  agent_message: string
  evidence: string
  claim: string | null
  verifier_version: string
  prev_hash: string
  hash: string
}

export interface SqliteAuditStoreOptions {
  /** Open an existing trail for reading only (the CLI does). */
  readonly?: boolean
  /** How long a write waits for another process's transaction, in ms. Default 5,000. */
  busyTimeoutMs?: number
}

/**
 * The built-in audit store: one SQLite file (better-sqlite3), WAL journal, synchronous=NORMAL
 * (a process crash never loses a committed batch nor corrupts the file). Each batch is one
 * BEGIN IMMEDIATE transaction that chains its rows after the recorded head, so several processes
 * may share one file. Table `qwed_audit` holds the rows, `qwed_audit_meta` the head (last id and
 * hash written), the retention anchor and the schema version.
 */
export class SqliteAuditStore implements AuditStore {
  readonly path: string
  private readonly db: Database.Database
  private readonly statements = new Map<string, Database.Statement>()
  private readonly appendBatch: (records: readonly AuditRecord[]) => void

  constructor (path: string, options: SqliteAuditStoreOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new TypeError('the audit store needs a file path')
    this.path = path
    const timeout = options.busyTimeoutMs ?? 5000
    if (options.readonly === true) {
      this.db = openDatabase(path, { readonly: true, fileMustExist: true, timeout })
      const table = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(TABLE)
      if (table === undefined) {
        this.db.close()
        throw new Error(`${path} is not a qwed audit trail (no ${TABLE} table)`)
      }
    } else {
      this.db = openDatabase(path, { timeout })
      try {
        this.db.pragma('journal_mode = WAL')
        this.db.pragma('synchronous = NORMAL')
        this.db.transaction(() => {
          this.db.exec(CREATE)
          this.db.prepare(`INSERT INTO ${META} (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING`).run(SCHEMA_VERSION)
        }).immediate()
      } catch (err) {
        this.db.close()
        throw err
      }
    }
    const version = this.meta('schema_version')
    if (version !== SCHEMA_VERSION) {
      this.db.close()
      throw new Error(`${path} has audit schema version ${String(version)}; this qwed-middleware reads version ${SCHEMA_VERSION}`)
    }
    this.appendBatch = this.db.transaction((records: readonly AuditRecord[]) => { this.write(records) }).immediate
  }

  /** Throws when a record could not be written now: closed, opened read-only, or the file not writable. Writes nothing. */
  probe (): void {
    if (!this.db.open) throw new Error('the audit store is closed')
    if (this.db.readonly) throw new Error('the audit store is read-only')
    accessSync(this.path, constants.W_OK)
  }

  /** Appends records in one transaction, chained after the head. */
  append (records: readonly AuditRecord[]): void {
    if (records.length > 0) this.appendBatch(records)
  }

  query (filter?: AuditQuery): AuditRow[] {
    const q = normalizeQuery(filter)
    const { sql, params } = select(q, '*')
    return (this.statement(sql).all(params) as RawRow[]).map((raw) => readAuditRow(columnsOf(raw)))
  }

  /** Rows matching the filter (limit and afterId ignored), for progress reporting. */
  count (filter?: AuditQuery): number {
    const { sql, params } = select({ ...normalizeQuery(filter, null), afterId: null, limit: null }, 'COUNT(*) AS n')
    return (this.statement(sql).get(params) as { n: number }).n
  }

  verifyChain (): ChainReport {
    // One read transaction: the rows, the head and the anchor come from the same snapshot.
    return this.db.transaction(() => {
      const rows = this.statement(`SELECT * FROM ${TABLE} ORDER BY id`).iterate() as IterableIterator<RawRow>
      return verifyChainRows(mapIterable(rows, (raw: RawRow) => storedLink(columnsOf(raw))), { anchor: this.anchor(), head: this.head() })
    }).deferred()
  }

  /**
   * Deletes the rows written before `before` (a prefix of the chain: it stops at the first row that
   * is recent enough) and records the last deleted row as the anchor from which verification
   * starts. The rows are verified before they are deleted; if they do not verify nothing is pruned.
   */
  prune (before: Date): PruneReport {
    const cutoff = before.toISOString()
    return this.db.transaction((): PruneReport => {
      const anchor = this.anchor()
      const keep = this.statement(`SELECT MIN(id) AS id FROM ${TABLE} WHERE time >= ?`).get(cutoff) as { id: number | null }
      const last = (keep.id === null
        ? this.statement(`SELECT id, hash FROM ${TABLE} ORDER BY id DESC LIMIT 1`).get()
        : this.statement(`SELECT id, hash FROM ${TABLE} WHERE id < ? ORDER BY id DESC LIMIT 1`).get(keep.id)) as ChainHead | undefined
      if (last === undefined) return { pruned: 0, anchor }
      const doomed = this.statement(`SELECT * FROM ${TABLE} WHERE id <= ? ORDER BY id`).iterate(last.id) as IterableIterator<RawRow>
      const check = verifyChainRows(mapIterable(doomed, (raw: RawRow) => storedLink(columnsOf(raw))), { anchor, head: last })
      if (!check.ok) return { pruned: 0, anchor, refused: check.broken ?? undefined }
      const { changes } = this.statement(`DELETE FROM ${TABLE} WHERE id <= ?`).run(last.id)
      const next: ChainAnchor = { id: last.id, hash: last.hash, prunedAt: new Date().toISOString(), prunedTotal: (anchor?.prunedTotal ?? 0) + changes }
      this.setMeta('anchor', JSON.stringify(next))
      return { pruned: changes, anchor: next }
    }).immediate()
  }

  /** The last row the writer recorded (id and hash): publish it elsewhere to anchor the trail. */
  head (): ChainHead | null {
    const value = this.meta('head')
    return value === undefined ? null : JSON.parse(value) as ChainHead
  }

  anchor (): ChainAnchor | null {
    const value = this.meta('anchor')
    return value === undefined ? null : JSON.parse(value) as ChainAnchor
  }

  /** SQLite's own check of the file (`PRAGMA integrity_check`): ['ok'] when the file is sound. */
  integrityCheck (): string[] {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>
    return rows.map((r) => r.integrity_check)
  }

  get open (): boolean {
    return this.db.open
  }

  close (): void {
    if (this.db.open) this.db.close()
  }

  private write (records: readonly AuditRecord[]): void {
    const head = this.head()
    const seq = this.statement('SELECT seq FROM sqlite_sequence WHERE name = ?').get(TABLE) as { seq: number } | undefined
    // Chain onto the recorded head, not onto the last row: rows cut off the end stay detectable.
    const prev = head?.hash ?? this.anchor()?.hash ?? GENESIS_HASH
    const rows = chainRecords(records, prev, Math.max(head?.id ?? 0, seq?.seq ?? 0) + 1)
    const insert = this.statement(INSERT)
    for (const row of rows) insert.run({ ...row, cached: row.cached ? 1 : 0 })
    const last = rows[rows.length - 1] as ChainedRow
    this.setMeta('head', JSON.stringify({ id: last.id, hash: last.hash }))
  }

  private meta (key: string): string | undefined {
    return (this.statement(`SELECT value FROM ${META} WHERE key = ?`).get(key) as { value: string } | undefined)?.value
  }

  private setMeta (key: string, value: string): void {
    this.statement(`INSERT INTO ${META} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, value)
  }

  private statement (sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }
}

/** Opens (and creates, unless readonly) the SQLite audit trail at `path`. */
export function openSqliteAuditStore (path: string, options?: SqliteAuditStoreOptions): SqliteAuditStore {
  return new SqliteAuditStore(path, options)
}

/** Opens the trail at `path` read-only, verifies its chain and closes it (what `qwed-audit verify` checks, without integrity_check). */
export function verifyAuditChain (path: string): ChainReport {
  const store = new SqliteAuditStore(path, { readonly: true })
  try {
    return store.verifyChain()
  } finally {
    store.close()
  }
}

function select (q: NormalizedQuery, columns: string): { sql: string, params: Record<string, unknown> } {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (q.since !== null) { where.push('time >= @since'); params.since = q.since }
  if (q.until !== null) { where.push('time < @until'); params.until = q.until }
  if (q.route !== null) { where.push('route = @route'); params.route = q.route }
  if (q.engine !== null) { where.push('engine = @engine'); params.engine = q.engine }
  if (q.requestId !== null) { where.push('request_id = @requestId'); params.requestId = q.requestId }
  if (q.afterId !== null) { where.push(q.order === 'desc' ? 'id < @afterId' : 'id > @afterId'); params.afterId = q.afterId }
  for (const column of ['status', 'admission', 'decision'] as const) {
    const values = q[column]
    if (values === null) continue
    const names = values.map((value, i) => {
      params[`${column}${i}`] = value
      return `@${column}${i}`
    })
    where.push(`${column} IN (${names.join(', ')})`)
  }
  let sql = `SELECT ${columns} FROM ${TABLE}`
  if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`
  if (columns === '*') sql += ` ORDER BY id ${q.order === 'desc' ? 'DESC' : 'ASC'}`
  if (q.limit !== null) { sql += ' LIMIT @limit'; params.limit = q.limit }
  return { sql, params }
}

/** SQLite's columns are untyped text and numbers: the stored values, read as the row's fields. */
function columnsOf (raw: RawRow): StoredColumns {
  return raw as unknown as StoredColumns
}

function * mapIterable<A, B> (items: Iterable<A>, map: (item: A) => B): Generator<B> {
  for (const item of items) yield map(item)
}
