import { canonicalize, sha256Hex } from '../../canonical.js'
import type { AuditRecord, AuditRow, ChainAnchor, ChainBreak, ChainHead, ChainReport } from './index.js'

/** The previous hash of the first row ever written. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * The canonical content of a row: RFC 8785 JSON of every field except the two hashes. The id is
 * part of it, so a row moved to another place in the chain no longer matches its hash.
 */
export function chainContent (row: AuditRecord & { id: number }): string {
  return contentText(row, canonicalize(row.evidence), row.claim === null || row.claim === undefined ? 'null' : canonicalize(row.claim))
}

/** hash = hex SHA-256 of (previous row's hash, as hex text) followed by the row's canonical content. */
export function chainHash (prevHash: string, row: AuditRecord & { id: number }): string {
  return sha256Hex(prevHash + chainContent(row))
}

/** The scalar fields of a row, as a store keeps them (cached may come back as 0/1). */
export type ChainFields = Omit<AuditRecord, 'evidence' | 'claim' | 'cached'> & { id: number, cached: boolean | number }

/**
 * The same bytes as canonicalize() of the row object, written field by field (keys in RFC 8785
 * order) so that hashing stays cheap; `evidenceJson` and `claimJson` are already canonical JSON.
 * A store that kept the canonical text of the evidence passes it as is: any byte changed in it
 * then shows as a content mismatch.
 */
export function contentText (row: ChainFields, evidenceJson: string, claimJson: string): string {
  const cached = row.cached === true || row.cached === 1 ? true : row.cached === false || row.cached === 0 ? false : row.cached
  return '{"admission":' + scalar(row.admission) +
    ',"agent_message":' + scalar(row.agent_message) +
    ',"cached":' + scalar(cached) +
    ',"claim":' + claimJson +
    ',"claim_hash":' + scalar(row.claim_hash) +
    ',"constraint_id":' + scalar(row.constraint_id) +
    ',"decision":' + scalar(row.decision) +
    ',"duration_ms":' + scalar(row.duration_ms) +
    ',"engine":' + scalar(row.engine) +
    ',"evidence":' + evidenceJson +
    ',"id":' + scalar(row.id) +
    ',"mode":' + scalar(row.mode) +
    ',"proof_ref":' + scalar(row.proof_ref) +
    ',"request_id":' + scalar(row.request_id) +
    ',"route":' + scalar(row.route) +
    ',"status":' + scalar(row.status) +
    ',"time":' + scalar(row.time) +
    ',"verifier_version":' + scalar(row.verifier_version) + '}'
}

const LONE_SURROGATE = /\p{Cs}/u

// canonicalize() of one scalar, without its bookkeeping for nested values (this runs per field).
function scalar (value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string' && !LONE_SURROGATE.test(value)) return JSON.stringify(value)
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return canonicalize(value)
}

/** What the walk needs of one row: its place, its two hashes and its canonical content. */
export interface ChainLink {
  id: number
  prev_hash: string
  hash: string
  content: string
}

/** A row the store could not read back (e.g. its evidence column is not JSON any more). */
export interface MalformedRow {
  id: number
  malformed: string
}

/** The link of a row object (any store): its content computed with chainContent(). */
export function linkOf (row: AuditRow): ChainLink | MalformedRow {
  try {
    return { id: row.id, prev_hash: row.prev_hash, hash: row.hash, content: chainContent(row) }
  } catch (err) {
    return { id: row.id, malformed: (err as Error).message }
  }
}

export interface ChainStart {
  /** Set after retention pruned rows: the first remaining row must follow it. */
  anchor: ChainAnchor | null
  /** The head the writer recorded with the last batch; the last row must be it. */
  head: ChainHead | null
}

/**
 * Walks rows in id order and reports the first that breaks the chain: a row whose content does
 * not hash to its stored hash was edited; a row whose previous hash is not the hash of the row (or
 * anchor) before it follows a removed, inserted or reordered row; a last row that is not the
 * recorded head means rows were cut off the end.
 */
export function verifyChainRows (rows: Iterable<ChainLink | MalformedRow>, start: ChainStart): ChainReport {
  const { anchor, head } = start
  let expected = anchor?.hash ?? GENESIS_HASH
  let previousId: number | null = anchor?.id ?? null
  let count = 0
  let firstId: number | null = null
  let lastId: number | null = null
  const report = (broken: ChainBreak | null): ChainReport => ({
    ok: broken === null,
    rows: count,
    firstId,
    lastId,
    head: lastId === null ? (anchor?.hash ?? null) : expected,
    anchor,
    broken
  })
  for (const row of rows) {
    if ('malformed' in row) {
      return report({ id: row.id, reason: 'malformed', message: `row ${row.id} cannot be read: ${row.malformed}` })
    }
    if (sha256Hex(row.prev_hash + row.content) !== row.hash) {
      return report({ id: row.id, reason: 'content', message: `row ${row.id}: its content does not match its hash (the row was changed after it was written)` })
    }
    if (row.prev_hash !== expected) {
      const before = previousId === null
        ? 'the start of the chain'
        : lastId === null && anchor !== null ? `the retention anchor (row ${anchor.id})` : `row ${previousId}`
      const gap = previousId !== null && row.id !== previousId + 1 ? ` (ids ${previousId + 1}..${row.id - 1} are missing)` : ''
      return report({ id: row.id, reason: 'link', message: `row ${row.id} does not follow ${before}${gap}: a row was removed, inserted or reordered` })
    }
    expected = row.hash
    previousId = row.id
    firstId ??= row.id
    lastId = row.id
    count++
  }
  const endId = lastId ?? anchor?.id ?? 0
  if (head !== null && (head.hash !== expected || head.id !== endId)) {
    if (endId < head.id) {
      return report({ id: endId + 1, reason: 'truncated', message: `the chain ends at ${lastId === null ? 'no row' : `row ${lastId}`}, but row ${head.id} was written last: rows were removed from the end` })
    }
    if (endId > head.id) {
      return report({ id: head.id + 1, reason: 'link', message: `rows after row ${head.id} (the last one the writer recorded) were added outside the audit writer` })
    }
    return report({ id: endId, reason: 'content', message: `row ${endId} is not the head the writer recorded: the chain was rewritten` })
  }
  return report(null)
}
