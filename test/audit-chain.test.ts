import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { canonicalize, sha256Hex } from '../lib/canonical.js'
import { chainContent, chainHash, GENESIS_HASH, linkOf, verifyChainRows } from '../lib/observe/store/chain.js'
import type { AuditRecord } from '../lib/observe/store/index.js'
import { SqliteAuditStore, verifyAuditChain } from '../lib/observe/store/sqlite.js'

// Every test works on a real SQLite file in its own temp dir, removed in teardown.
function tempDb (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'qwed-audit-chain-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'audit.db')
}

const BASE = Date.UTC(2026, 0, 1)

function record (i: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: new Date(BASE + i * 60_000).toISOString(),
    request_id: `req-${i}`,
    route: '/quote',
    engine: 'math',
    claim_hash: 'sha256:' + sha256Hex(`claim ${i}`),
    status: 'VERIFIED',
    admission: 'ADMIT',
    constraint_id: 'math.identity',
    proof_ref: 'sha256:' + sha256Hex(`proof ${i}`),
    duration_ms: 1.25,
    mode: 'enforce',
    decision: 'admit',
    cached: false,
    agent_message: 'The claim holds',
    evidence: { constraint_id: 'math.identity', is_valid: true, i, note: 'café' },
    claim: null,
    verifier_version: '0.1.0',
    ...extra
  }
}

/** A store with `n` rows written in batches of 7 (so batches do not line up with the rows tampered). */
function filled (t: Test, n: number): string {
  const path = tempDb(t)
  const store = new SqliteAuditStore(path)
  for (let i = 0; i < n; i += 7) store.append(Array.from({ length: Math.min(7, n - i) }, (_, k) => record(i + k + 1)))
  store.close()
  return path
}

/** Runs raw SQL on the file behind the store's back, as an attacker with file access would. */
function tamper (path: string, ...sql: string[]): void {
  const db = new Database(path)
  for (const statement of sql) db.exec(statement)
  db.close()
}

const verify = verifyAuditChain

t.test('chainContent is exactly the RFC 8785 JSON of the row without its hashes', async (t) => {
  const json = fc.jsonValue({ maxDepth: 3 })
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), json, fc.option(json, { nil: null }),
    (message, route, duration, cached, evidence, claim) => {
      const row = { ...record(1), id: 42, agent_message: message, route, duration_ms: duration, cached, evidence: { v: evidence }, claim }
      const { ...plain } = row
      return chainContent(row) === canonicalize({ ...plain, claim: claim ?? null })
    }), { numRuns: 300 })
  const row = { ...record(1), id: 1 }
  t.equal(chainHash(GENESIS_HASH, row), sha256Hex(GENESIS_HASH + canonicalize(row)), 'hash = SHA-256(previous hash + canonical content)')
})

t.test('an untouched trail verifies, from genesis to the recorded head', async (t) => {
  const path = filled(t, 50)
  const report = verify(path)
  t.match(report, { ok: true, rows: 50, firstId: 1, lastId: 50, anchor: null, broken: null })
  const store = new SqliteAuditStore(path, { readonly: true })
  t.teardown(() => store.close())
  const rows = store.query({ limit: 100 })
  t.equal(rows[0]?.prev_hash, GENESIS_HASH, 'the first row follows the genesis hash')
  t.equal(report.head, rows[49]?.hash)
  t.same(store.head(), { id: 50, hash: rows[49]?.hash })
  t.same(verifyChainRows(rows.map(linkOf), { anchor: null, head: store.head() }), report, 'the generic walk over row objects agrees with the store')
})

t.test('an edited row is found: content does not match its hash', async (t) => {
  const path = filled(t, 30)
  tamper(path, "UPDATE qwed_audit SET status = 'BLOCKED', admission = 'BLOCKED' WHERE id = 17")
  const report = verify(path)
  t.equal(report.ok, false)
  t.match(report.broken, { id: 17, reason: 'content', message: /row 17: its content does not match its hash/ })
  t.equal(report.rows, 16, 'the rows before it verified')
})

t.test('a changed byte inside the evidence JSON is found, even when the JSON means the same', async (t) => {
  const path = filled(t, 10)
  tamper(path, "UPDATE qwed_audit SET evidence = replace(evidence, ',', ', ') WHERE id = 4")
  t.match(verify(path).broken, { id: 4, reason: 'content' })
})

t.test('an edited row whose hash was recomputed is found at the next row', async (t) => {
  const path = filled(t, 12)
  // The attacker rewrites row 5 and gives it a hash consistent with its new content.
  const store = new SqliteAuditStore(path)
  const row = store.query({ afterId: 4, limit: 1 })[0]
  store.close()
  t.ok(row)
  const forged = { ...row!, agent_message: 'forged' }
  tamper(path, `UPDATE qwed_audit SET agent_message = 'forged', hash = '${chainHash(forged.prev_hash, forged)}' WHERE id = 5`)
  t.match(verify(path).broken, { id: 6, reason: 'link' })
})

t.test('a deleted row is found: the next row does not follow the one before it', async (t) => {
  const path = filled(t, 30)
  tamper(path, 'DELETE FROM qwed_audit WHERE id = 12')
  const report = verify(path)
  t.match(report.broken, { id: 13, reason: 'link', message: /row 13 does not follow row 11 \(ids 12\.\.12 are missing\)/ })
  t.equal(report.rows, 11)
})

t.test('a deleted first row is found', async (t) => {
  const path = filled(t, 5)
  tamper(path, 'DELETE FROM qwed_audit WHERE id = 1')
  t.match(verify(path).broken, { id: 2, reason: 'link', message: /the start of the chain/ })
})

t.test('reordered rows are found', async (t) => {
  const path = filled(t, 20)
  // Swap rows 8 and 9 completely (content and hashes), keeping the ids in place.
  const cols = 'time, request_id, route, engine, claim_hash, status, admission, constraint_id, proof_ref, duration_ms, mode, decision, cached, agent_message, evidence, claim, verifier_version, prev_hash, hash'
  const set = cols.split(', ').map((c) => `${c} = (SELECT ${c} FROM swap WHERE swap.id = 17 - qwed_audit.id)`).join(', ')
  tamper(path,
    `CREATE TABLE swap AS SELECT id, ${cols} FROM qwed_audit WHERE id IN (8, 9)`,
    `UPDATE qwed_audit SET ${set} WHERE id IN (8, 9)`,
    'DROP TABLE swap')
  const report = verify(path)
  t.equal(report.ok, false)
  t.equal(report.broken?.id, 8)
  t.equal(report.broken?.reason, 'content', 'a row moved to another id no longer matches its hash (the id is hashed)')

  // Moving whole rows, ids included: same verdict, at the first moved row.
  const path2 = filled(t, 20)
  tamper(path2, 'UPDATE qwed_audit SET id = -8 WHERE id = 8', 'UPDATE qwed_audit SET id = 8 WHERE id = 9', 'UPDATE qwed_audit SET id = 9 WHERE id = -8')
  t.match(verify(path2).broken, { id: 8 })
})

t.test('rows cut off the end are found (the head is recorded with every batch)', async (t) => {
  const path = filled(t, 20)
  tamper(path, 'DELETE FROM qwed_audit WHERE id > 18')
  const report = verify(path)
  t.match(report.broken, { id: 19, reason: 'truncated', message: /ends at row 18, but row 20 was written last/ })

  // Writing on after the cut chains onto the recorded head, so the gap stays visible.
  const store = new SqliteAuditStore(path)
  store.append([record(100)])
  t.match(store.verifyChain().broken, { id: 21, reason: 'link' })
  store.close()

  const empty = filled(t, 3)
  tamper(empty, 'DELETE FROM qwed_audit')
  t.match(verify(empty).broken, { id: 1, reason: 'truncated' })
})

t.test('rows appended outside the writer are found, even with correct hashes', async (t) => {
  const path = filled(t, 4)
  const store = new SqliteAuditStore(path)
  const last = store.query({ order: 'desc', limit: 1 })[0]!
  store.close()
  // A well-formed row 5 chained after row 4, inserted with SQL instead of through the writer.
  const extra = { ...record(5), id: 5 }
  const q = (v: string): string => `'${v.replace(/'/g, "''")}'`
  tamper(path, `INSERT INTO qwed_audit VALUES (5, ${q(extra.time)}, ${q(extra.request_id!)}, ${q(extra.route)}, ${q(extra.engine)}, ${q(extra.claim_hash!)},
    ${q(extra.status)}, ${q(extra.admission)}, ${q(extra.constraint_id!)}, ${q(extra.proof_ref!)}, ${extra.duration_ms}, ${q(extra.mode)}, ${q(extra.decision)},
    0, ${q(extra.agent_message)}, ${q(canonicalize(extra.evidence))}, NULL, ${q(extra.verifier_version)}, ${q(last.hash)}, ${q(chainHash(last.hash, extra))})`)
  const report = verify(path)
  t.equal(report.rows, 5, 'every row links correctly')
  t.match(report.broken, { id: 5, reason: 'link', message: /after row 4 \(the last one the writer recorded\) were added outside the audit writer/ })
})

t.test('unreadable rows are reported, not thrown', async (t) => {
  const path = filled(t, 3)
  tamper(path, "UPDATE qwed_audit SET evidence = 'not json' WHERE id = 2")
  t.match(verify(path).broken, { id: 2, reason: 'content' })
  const store = new SqliteAuditStore(path)
  t.teardown(() => store.close())
  t.throws(() => store.query(), /audit row 2 cannot be read/)
  t.match(verifyChainRows([{ id: 9, malformed: 'bad' }], { anchor: null, head: null }).broken, { id: 9, reason: 'malformed' })
})

t.test('two connections (two processes) appending to one file keep one chain', async (t) => {
  const path = tempDb(t)
  const a = new SqliteAuditStore(path)
  const b = new SqliteAuditStore(path)
  for (let i = 0; i < 20; i++) (i % 2 === 0 ? a : b).append([record(i * 2), record(i * 2 + 1)])
  t.match(a.verifyChain(), { ok: true, rows: 40 })
  a.close()
  b.close()
})

t.test('retention prunes a prefix, records an anchor, and the rest still verifies', async (t) => {
  const path = filled(t, 40) // row i at BASE + i minutes
  const store = new SqliteAuditStore(path)
  t.teardown(() => store.close())
  const rows = store.query({ limit: 100 })
  const report = store.prune(new Date(BASE + 15.5 * 60_000))
  t.equal(report.pruned, 15)
  t.match(report.anchor, { id: 15, hash: rows[14]?.hash, prunedTotal: 15 })
  t.match(store.verifyChain(), { ok: true, rows: 25, firstId: 16, lastId: 40, anchor: { id: 15 } })
  t.equal(store.count(), 25)

  store.append([record(41)])
  t.match(store.verifyChain(), { ok: true, rows: 26 })
  t.same(store.prune(new Date(BASE)), { pruned: 0, anchor: report.anchor }, 'nothing older: nothing pruned')

  // Pruning everything leaves only the anchor, which is also the head.
  const all = store.prune(new Date(BASE + 10_000 * 60_000))
  t.equal(all.pruned, 26)
  t.match(all.anchor, { id: 41, prunedTotal: 41 })
  t.match(store.verifyChain(), { ok: true, rows: 0, head: all.anchor?.hash })
  store.append([record(42)])
  t.match(store.verifyChain(), { ok: true, rows: 1, firstId: 42 })
})

t.test('a row deleted right after the anchor is found', async (t) => {
  const path = filled(t, 10)
  const store = new SqliteAuditStore(path)
  store.prune(new Date(BASE + 3.5 * 60_000))
  store.close()
  tamper(path, 'DELETE FROM qwed_audit WHERE id = 4')
  t.match(verify(path).broken, { id: 5, reason: 'link', message: /row 5 does not follow the retention anchor \(row 3\)/ })
})

t.test('retention refuses to prune rows whose chain is broken (the evidence is kept)', async (t) => {
  const path = filled(t, 10)
  tamper(path, "UPDATE qwed_audit SET route = '/other' WHERE id = 2")
  const store = new SqliteAuditStore(path)
  t.teardown(() => store.close())
  const report = store.prune(new Date(BASE + 5.5 * 60_000))
  t.equal(report.pruned, 0)
  t.match(report.refused, { id: 2, reason: 'content' })
  t.equal(store.count(), 10)
})

t.test('odd values in a record cannot lose the batch', async (t) => {
  const path = tempDb(t)
  const store = new SqliteAuditStore(path)
  t.teardown(() => store.close())
  const cyclic: Record<string, unknown> = { a: 1 }
  cyclic.self = cyclic
  store.append([
    record(1, { agent_message: 'lone \uD800 surrogate', evidence: { big: 10n as unknown, nan: Number.NaN, cyclic, fn: () => 1, date: new Date(0) } as Record<string, unknown> }),
    record(2, { evidence: { ['__proto__']: { polluted: true } } })
  ])
  const [first, second] = store.query()
  t.equal(first?.agent_message, 'lone \uFFFD surrogate')
  t.same(first?.evidence, { big: '10', nan: 'NaN', cyclic: { a: 1, self: '[CIRCULAR]' }, date: '1970-01-01T00:00:00.000Z' })
  t.same(Object.keys(second?.evidence ?? {}), ['__proto__'], 'a __proto__ key stays data')
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.match(store.verifyChain(), { ok: true, rows: 2 })
})

t.test('a file from a newer schema or another program is refused', async (t) => {
  const path = tempDb(t)
  tamper(path, 'CREATE TABLE other (x)')
  t.throws(() => new SqliteAuditStore(path, { readonly: true }), /not a qwed audit trail/)
  const path2 = filled(t, 1)
  tamper(path2, "UPDATE qwed_audit_meta SET value = '99' WHERE key = 'schema_version'")
  t.throws(() => new SqliteAuditStore(path2), /schema version 99/)
  t.throws(() => new SqliteAuditStore(''), /file path/)
})
