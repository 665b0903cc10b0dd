import { auditRowToVerificationContext } from '../vc.js'
import type { AuditQuery, AuditRow } from './index.js'

/** jsonl: one stored row per line; csv: one row per line with a header; vc: one Verification Context document per line. */
export type AuditExportFormat = 'jsonl' | 'csv' | 'vc'
export const AUDIT_EXPORT_FORMATS: readonly AuditExportFormat[] = ['jsonl', 'csv', 'vc']

export interface AuditExportOptions extends Omit<AuditQuery, 'afterId' | 'order'> {
  /** Default 'jsonl'. */
  format?: AuditExportFormat
  /** Rows read per query. Default 1,000. */
  pageSize?: number
  /** Called after each row with the rows written so far. */
  onRow?: (written: number) => void
}

/** Anything that answers paged queries (every AuditStore does). */
export interface AuditRowSource {
  query: (filter: AuditQuery) => AuditRow[] | Promise<AuditRow[]>
}

export const CSV_COLUMNS = [
  'id', 'time', 'request_id', 'route', 'engine', 'claim_hash', 'status', 'admission', 'constraint_id', 'proof_ref',
  'duration_ms', 'mode', 'decision', 'cached', 'agent_message', 'evidence', 'claim', 'verifier_version', 'prev_hash', 'hash'
] as const

/**
 * The rows matching the filter, oldest first, as lines of text (each ends with "\n"), read a page
 * at a time so a large trail never sits in memory. `limit`, when given, caps the whole export.
 */
export async function * exportAuditLines (source: AuditRowSource, options: AuditExportOptions = {}): AsyncGenerator<string> {
  const { format = 'jsonl', pageSize = 1000, onRow, limit, ...filter } = options
  if (!AUDIT_EXPORT_FORMATS.includes(format)) throw new RangeError(`export format must be one of ${AUDIT_EXPORT_FORMATS.join(', ')}`)
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('export pageSize must be an integer >= 1')
  if (format === 'csv') yield CSV_COLUMNS.join(',') + '\r\n'
  let afterId: number | undefined
  let written = 0
  for (;;) {
    const want = limit === undefined ? pageSize : Math.min(pageSize, limit - written)
    if (want <= 0) return
    const page = await source.query({ ...filter, afterId, limit: want, order: 'asc' })
    for (const row of page) {
      yield formatAuditRow(row, format)
      onRow?.(++written)
    }
    if (page.length < want) return
    afterId = (page[page.length - 1] as AuditRow).id
  }
}

/** One row in one export format, with its line end. */
export function formatAuditRow (row: AuditRow, format: AuditExportFormat): string {
  switch (format) {
    case 'jsonl':
      return JSON.stringify(row) + '\n'
    case 'vc':
      return JSON.stringify(auditRowToVerificationContext(row)) + '\n'
    case 'csv':
      return CSV_COLUMNS.map((column) => csvCell(row[column])).join(',') + '\r\n'
  }
}

/**
 * RFC 4180 cell. Objects are written as JSON. A text cell that a spreadsheet would run as a formula
 * (it starts with = + - @ or a tab/CR) gets a leading apostrophe; the jsonl export keeps the raw text.
 */
function csvCell (value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  let text = typeof value === 'string' ? value : JSON.stringify(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = "'" + text
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text
}
