import { canonicalize, sha256Hex } from '../../canonical.js'
import { toJsonSafe, type AuditRecord, type AuditRow, type ChainAnchor, type ChainBreak, type ChainHead, type ChainReport } from './index.js'

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
  const walk = new ChainWalk(start.anchor)
  for (const row of rows) {
    if (!walk.step(row)) return walk.report()
  }
  return walk.finish(start.head)
}

/** verifyChainRows for rows read a page at a time (a database cursor): same checks, same report. */
export async function verifyChainPages (pages: AsyncIterable<ReadonlyArray<ChainLink | MalformedRow>>, start: ChainStart): Promise<ChainReport> {
  const walk = new ChainWalk(start.anchor)
  for await (const page of pages) {
    for (const row of page) {
      if (!walk.step(row)) return walk.report()
    }
  }
  return walk.finish(start.head)
}

/** The walk itself, one row at a time (what both entry points share). */
class ChainWalk {
  private expected: string
  private previousId: number | null
  private count = 0
  private firstId: number | null = null
  private lastId: number | null = null
  private broken: ChainBreak | null = null

  constructor (private readonly anchor: ChainAnchor | null) {
    this.expected = anchor?.hash ?? GENESIS_HASH
    this.previousId = anchor?.id ?? null
  }

  /** False once the row breaks the chain (report() then says where). */
  step (row: ChainLink | MalformedRow): boolean {
    const { anchor, previousId, lastId } = this
    if ('malformed' in row) {
      this.broken = { id: row.id, reason: 'malformed', message: `row ${row.id} cannot be read: ${row.malformed}` }
      return false
    }
    if (sha256Hex(row.prev_hash + row.content) !== row.hash) {
      this.broken = { id: row.id, reason: 'content', message: `row ${row.id}: its content does not match its hash (the row was changed after it was written)` }
      return false
    }
    if (row.prev_hash !== this.expected) {
      const before = previousId === null
        ? 'the start of the chain'
        : lastId === null && anchor !== null ? `the retention anchor (row ${anchor.id})` : `row ${previousId}`
      const gap = previousId !== null && row.id !== previousId + 1 ? ` (ids ${previousId + 1}..${row.id - 1} are missing)` : ''
      this.broken = { id: row.id, reason: 'link', message: `row ${row.id} does not follow ${before}${gap}: a row was removed, inserted or reordered` }
      return false
    }
    this.expected = row.hash
    this.previousId = row.id
    this.firstId ??= row.id
    this.lastId = row.id
    this.count++
    return true
  }

  report (): ChainReport {
    const { anchor, lastId } = this
    return {
      ok: this.broken === null,
      rows: this.count,
      firstId: this.firstId,
      lastId,
      head: lastId === null ? (anchor?.hash ?? null) : this.expected,
      anchor,
      broken: this.broken
    }
  }

  /** After the last row: the chain must end at the head the writer recorded. */
  finish (head: ChainHead | null): ChainReport {
    const { anchor, lastId, expected } = this
    const endId = lastId ?? anchor?.id ?? 0
    if (head !== null && (head.hash !== expected || head.id !== endId)) {
      if (endId < head.id) {
        this.broken = { id: endId + 1, reason: 'truncated', message: `the chain ends at ${lastId === null ? 'no row' : `row ${lastId}`}, but row ${head.id} was written last: rows were removed from the end` }
      } else if (endId > head.id) {
        this.broken = { id: head.id + 1, reason: 'link', message: `rows after row ${head.id} (the last one the writer recorded) were added outside the audit writer` }
      } else {
        this.broken = { id: endId, reason: 'content', message: `row ${endId} is not the head the writer recorded: the chain was rewritten` }
      }
    }
    return this.report()
  }
}

/** One record as a store writes it: scalar fields, the canonical texts of evidence and claim, and its links. */
export interface ChainedRow extends Omit<ChainFields, 'cached'> {
  cached: boolean
  /** Canonical JSON of the evidence (what is stored and hashed). */
  evidence: string
  /** Canonical JSON of the claim, or null. */
  claim: string | null
  prev_hash: string
  hash: string
}

/**
 * Chains `records` after `prevHash`, numbering them from `firstId`: what every store writes, so
 * that SQLite and PostgreSQL rows hash the same way. One odd value (a lone surrogate, a bigint)
 * is made JSON-safe instead of costing the whole batch.
 */
export function chainRecords (records: readonly AuditRecord[], prevHash: string, firstId: number): ChainedRow[] {
  let prev = prevHash
  let id = firstId
  return records.map((record) => {
    const safe = toJsonSafe(record) as AuditRecord
    const fields = {
      id,
      time: safe.time,
      request_id: safe.request_id ?? null,
      route: safe.route,
      engine: safe.engine,
      claim_hash: safe.claim_hash ?? null,
      status: safe.status,
      admission: safe.admission,
      constraint_id: safe.constraint_id ?? null,
      proof_ref: safe.proof_ref ?? null,
      duration_ms: typeof safe.duration_ms === 'number' ? safe.duration_ms : 0,
      mode: safe.mode,
      decision: safe.decision,
      cached: safe.cached === true,
      agent_message: safe.agent_message,
      verifier_version: safe.verifier_version
    }
    const evidence = canonicalize(safe.evidence ?? {})
    const claim = safe.claim === null || safe.claim === undefined ? null : canonicalize(safe.claim)
    const hash = sha256Hex(prev + contentText(fields, evidence, claim ?? 'null'))
    const row: ChainedRow = { ...fields, evidence, claim, prev_hash: prev, hash }
    prev = hash
    id++
    return row
  })
}
