#!/usr/bin/env node
import { once } from 'node:events'
import { createWriteStream, realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { AUDIT_EXPORT_FORMATS, exportAuditLines, type AuditExportFormat } from '../lib/observe/store/export.js'
import type { AuditQuery, AuditRow, ChainReport } from '../lib/observe/store/index.js'
import { PostgresAuditStore } from '../lib/observe/store/postgres.js'
import { SqliteAuditStore } from '../lib/observe/store/sqlite.js'
import { MissingPeerError } from '../lib/optional-peer.js'

const USAGE = `qwed-audit: read and check a qwed-middleware audit trail (SQLite or PostgreSQL)

  Every command takes the trail as --db <file> (SQLite) or --url <postgres://...> [--schema <name>]
  (PostgreSQL; the URL may also come from QWED_AUDIT_URL, so that its password is not on the
  command line).

  qwed-audit export --db <file> [--format jsonl|csv|vc] [--out <file>]
                    [--since <ISO time>] [--until <ISO time>] [--status VERIFIED,UNVERIFIABLE,BLOCKED]
                    [--admission ADMIT|BLOCKED] [--route <pattern>] [--engine <name>] [--limit <n>] [--quiet]
      Writes the rows (oldest first) to stdout or --out: jsonl (one row per line), csv (with a
      header), or vc (one Verification Context v1.0 document per line). --since is inclusive,
      --until exclusive. A progress bar is drawn on stderr when it is a terminal.

  qwed-audit verify --db <file> [--json]
      Checks the file (SQLite integrity_check; PostgreSQL: none) and the hash chain. Exit 0 when
      both hold; exit 1 with the first broken link (row id and why) otherwise.

Exit codes: 0 ok, 1 the trail does not verify, 2 usage or file error.
`

/** The streams the CLI writes to (process.stdout / process.stderr when run as a command). */
export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean, columns?: number }
}

class UsageError extends Error {}

const PROGRESS_MIN_ROWS = 1000
const CHUNK_BYTES = 64 * 1024

/** Runs one command; resolves with the exit code. */
export async function main (argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    }
    if (command === 'export') return await exportCommand(rest, io)
    if (command === 'verify') return await verifyCommand(rest, io)
    throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  } catch (err) {
    if (err instanceof UsageError || err instanceof RangeError || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.stderr.write(`qwed-audit: ${(err as Error).message}\n\n${USAGE}`)
    } else {
      io.stderr.write(`qwed-audit: ${(err as Error).message}\n`)
    }
    return 2
  }
}

/** What the commands need of either store. */
interface ReadableTrail {
  count(filter?: AuditQuery): number | Promise<number>
  query(filter?: AuditQuery): AuditRow[] | Promise<AuditRow[]>
  verifyChain(): ChainReport | Promise<ChainReport>
  /** SQLite's integrity_check; null where the database checks itself (PostgreSQL). */
  integrityCheck(): string[] | null
  close(): void | Promise<void>
}

/** The SQLite trail, read-only; an open error names the file (SQLite's own message does not). */
function openSqlite (path: string): SqliteAuditStore {
  try {
    return new SqliteAuditStore(path, { readonly: true })
  } catch (err) {
    if (err instanceof MissingPeerError) throw err
    throw new Error(`cannot open the audit database ${JSON.stringify(path)}: ${(err as Error).message}`, { cause: err })
  }
}

const TRAIL_OPTIONS = { db: { type: 'string' }, url: { type: 'string' }, schema: { type: 'string' } } as const

function openStore (values: { db?: string | undefined, url?: string | undefined, schema?: string | undefined }): ReadableTrail {
  const url = values.url ?? (values.db === undefined ? process.env.QWED_AUDIT_URL : undefined)
  if (values.db !== undefined && values.url !== undefined) throw new UsageError('give --db or --url, not both')
  if (url !== undefined && url !== '') {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--url must be a postgres:// URL')
    const store = new PostgresAuditStore({ url, readonly: true, ...(values.schema === undefined ? {} : { schema: values.schema }) })
    return {
      count: async (filter) => await store.count(filter),
      query: async (filter) => await store.query(filter),
      verifyChain: async () => await store.verifyChain(),
      integrityCheck: () => null,
      close: async () => { await store.close() }
    }
  }
  if (values.schema !== undefined) throw new UsageError('--schema is only used with --url')
  if (values.db === undefined || values.db === '') throw new UsageError('--db <file> is required (or --url <postgres://...> for PostgreSQL)')
  const store = openSqlite(values.db)
  return {
    count: (filter) => store.count(filter),
    query: (filter) => store.query(filter),
    verifyChain: () => store.verifyChain(),
    integrityCheck: () => store.integrityCheck(),
    close: () => store.close()
  }
}

async function exportCommand (args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      ...TRAIL_OPTIONS,
      format: { type: 'string', default: 'jsonl' },
      out: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      status: { type: 'string' },
      admission: { type: 'string' },
      route: { type: 'string' },
      engine: { type: 'string' },
      limit: { type: 'string' },
      quiet: { type: 'boolean', default: false }
    },
    strict: true
  })
  const format = values.format as AuditExportFormat
  if (!AUDIT_EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${AUDIT_EXPORT_FORMATS.join(', ')}`)
  const filter: AuditQuery = {}
  if (values.since !== undefined) filter.since = isoArg(values.since, '--since')
  if (values.until !== undefined) filter.until = isoArg(values.until, '--until')
  if (values.status !== undefined) filter.status = list(values.status) as AuditQuery['status']
  if (values.admission !== undefined) filter.admission = list(values.admission) as AuditQuery['admission']
  if (values.route !== undefined) filter.route = values.route
  if (values.engine !== undefined) filter.engine = values.engine
  if (values.limit !== undefined) {
    const limit = Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be an integer >= 1')
    filter.limit = limit
  }
  const store = openStore(values)
  try {
    const total = Math.min(await store.count(filter), filter.limit ?? Number.POSITIVE_INFINITY)
    const progress = values.quiet !== true && io.stderr.isTTY === true && total >= PROGRESS_MIN_ROWS
      ? progressBar(io.stderr, total)
      : null
    const out = values.out === undefined ? io.stdout : createWriteStream(values.out)
    const sink = new Sink(out)
    let written = 0
    try {
      for await (const line of exportAuditLines(store, { ...filter, format, onRow: (n) => { written = n; progress?.update(n) } })) {
        if (!await sink.write(line)) break
      }
      await sink.end(values.out !== undefined)
    } finally {
      progress?.done(written)
    }
    if (sink.error !== null) {
      // A closed pipe (`qwed-audit export ... | head`) is the reader's choice, not a failure.
      if ((sink.error as { code?: unknown }).code === 'EPIPE') return 0
      throw sink.error
    }
    if (values.out !== undefined && values.quiet !== true) io.stderr.write(`qwed-audit: ${written} row(s) written to ${values.out}\n`)
    return 0
  } finally {
    await store.close()
  }
}

async function verifyCommand (args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { ...TRAIL_OPTIONS, json: { type: 'boolean', default: false } },
    strict: true
  })
  const store = openStore(values)
  try {
    const integrity = store.integrityCheck()
    const fileOk = integrity === null || (integrity.length === 1 && integrity[0] === 'ok')
    const report = await store.verifyChain()
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ ok: fileOk && report.ok, integrity, chain: report }) + '\n')
    } else if (!fileOk) {
      io.stdout.write(`FAILED: the SQLite file is damaged (integrity_check: ${(integrity ?? []).slice(0, 5).join('; ')})\n`)
    } else if (report.broken !== null) {
      io.stdout.write(`BROKEN at row ${report.broken.id} (${report.broken.reason}): ${report.broken.message}\n`)
      io.stdout.write(`${report.rows} row(s) verified before it.\n`)
    } else {
      const span = report.firstId === null ? 'no rows' : `rows ${report.firstId}..${report.lastId}`
      const anchored = report.anchor === null ? '' : `; starts after the retention anchor (row ${report.anchor.id}, ${report.anchor.prunedTotal} row(s) pruned)`
      io.stdout.write(`OK: ${report.rows} row(s) verified (${span})${anchored}; head ${report.head ?? 'none'}\n`)
    }
    return fileOk && report.ok ? 0 : 1
  } finally {
    await store.close()
  }
}

function isoArg (value: string, name: string): string {
  const date = new Date(value)
  if (value.trim() === '' || Number.isNaN(date.getTime())) throw new UsageError(`${name} must be an ISO 8601 time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z`)
  return date.toISOString()
}

function list (value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '')
}

/** Collects lines into chunks and writes them with backpressure; remembers the first stream error. */
class Sink {
  error: Error | null = null
  private buffer = ''
  private readonly failed: Promise<void>

  constructor (private readonly stream: NodeJS.WritableStream) {
    this.failed = new Promise((resolve) => {
      stream.once('error', (err: Error) => {
        this.error = err
        resolve()
      })
    })
  }

  /** False once the stream has failed (stop writing). */
  async write (text: string): Promise<boolean> {
    if (this.error !== null) return false
    this.buffer += text
    if (this.buffer.length >= CHUNK_BYTES) await this.drain()
    return this.error === null
  }

  async end (close: boolean): Promise<void> {
    if (this.error === null && this.buffer !== '') await this.drain()
    if (!close || this.error !== null) return
    this.stream.end()
    await Promise.race([once(this.stream, 'finish'), this.failed])
  }

  private async drain (): Promise<void> {
    const chunk = this.buffer
    this.buffer = ''
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.failed])
  }
}

/** `exporting [########------------]  42% 4200/10000` on one terminal line, redrawn at most every 100 ms. */
function progressBar (stream: CliIo['stderr'], total: number): { update: (n: number) => void, done: (n: number) => void } {
  let last = 0
  const draw = (n: number): void => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 40))
    const share = total === 0 ? 1 : Math.min(1, n / total)
    const filled = Math.round(share * width)
    stream.write(`\rexporting [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${n}/${total}`)
  }
  return {
    update (n) {
      const now = Date.now()
      if (now - last < 100) return
      last = now
      draw(n)
    },
    done (n) {
      draw(n)
      stream.write('\n')
    }
  }
}

function invokedDirectly (): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
    process.stderr.write(`qwed-audit: ${(err as Error).message}\n`)
    process.exitCode = 2
  })
}
