import { TS_LOADER } from './helpers/loader.js'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { main, type CliIo } from '../bin/qwed-audit.js'
import { sha256Hex } from '../lib/canonical.js'
import { CSV_COLUMNS } from '../lib/observe/store/export.js'
import type { AuditRecord, AuditRow } from '../lib/observe/store/index.js'
import { SqliteAuditStore } from '../lib/observe/store/sqlite.js'
import { resolveVerificationContext, type VerificationContextDocument } from '../lib/observe/vc.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BASE = Date.UTC(2026, 2, 1)
const ROWS = 1500
const at = (i: number): string => new Date(BASE + i * 1000).toISOString()

function record (i: number): AuditRecord {
  const kind = i % 3
  return {
    time: at(i),
    request_id: `req-${i}`,
    route: i % 2 === 0 ? '/quote' : '/sql',
    engine: i % 2 === 0 ? 'math' : 'sql',
    claim_hash: 'sha256:' + sha256Hex(String(i)),
    status: kind === 0 ? 'VERIFIED' : kind === 1 ? 'UNVERIFIABLE' : 'BLOCKED',
    admission: kind === 0 ? 'ADMIT' : 'BLOCKED',
    constraint_id: kind === 0 ? 'math.identity' : 'math.mismatch',
    proof_ref: kind === 0 ? 'sha256:' + sha256Hex(`proof ${i}`) : null,
    duration_ms: 0.125 * i,
    mode: 'enforce',
    decision: kind === 0 ? 'admit' : 'block',
    cached: i % 5 === 0,
    // Text a CSV writer must quote, and text a spreadsheet would run as a formula.
    agent_message: i === 7 ? 'He said "no", then\nleft, twice' : i === 8 ? '=HYPERLINK("http://x")' : 'The claim holds',
    evidence: { constraint_id: 'math.identity', is_valid: kind === 0, i },
    claim: i % 4 === 0 ? { type: 'math', expression: `${i} = ${i}` } : null,
    verifier_version: '0.1.0'
  }
}

function makeDb (t: Test, rows = ROWS): string {
  const dir = mkdtempSync(join(tmpdir(), 'qwed-audit-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'audit.db')
  const store = new SqliteAuditStore(path)
  for (let i = 1; i <= rows; i += 100) store.append(Array.from({ length: Math.min(100, rows - i + 1) }, (_, k) => record(i + k)))
  store.close()
  return path
}

function stored (path: string): AuditRow[] {
  const store = new SqliteAuditStore(path, { readonly: true })
  try {
    return store.query({ limit: 100_000 })
  } finally {
    store.close()
  }
}

class Capture extends Writable {
  text = ''
  isTTY?: boolean
  columns?: number
  constructor (tty = false) {
    super()
    if (tty) {
      this.isTTY = true
      this.columns = 100
    }
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8')
    callback()
  }
}

async function run (args: string[], tty = false): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new Capture()
  const stderr = new Capture(tty)
  const code = await main(args, { stdout, stderr } as unknown as CliIo)
  return { code, stdout: stdout.text, stderr: stderr.text }
}

/** RFC 4180: quoted cells may hold commas, CRLF/LF and doubled quotes. */
function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++ } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(cell); cell = '' } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++ } else cell += c
  }
  return rows
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '')

t.test('export jsonl: every row, as stored, oldest first', async (t) => {
  const path = makeDb(t)
  const { code, stdout, stderr } = await run(['export', '--db', path])
  t.equal(code, 0, stderr)
  const exported = lines(stdout).map((l) => JSON.parse(l) as AuditRow)
  t.equal(exported.length, ROWS)
  t.same(exported, stored(path), 'the export is the stored rows, hashes included')
  t.equal(exported[6]?.agent_message, 'He said "no", then\nleft, twice')
  t.equal(stderr, '', 'no progress bar when stderr is not a terminal')
})

t.test('export csv: a header and one RFC 4180 row per stored row', async (t) => {
  const path = makeDb(t)
  const { code, stdout } = await run(['export', '--db', path, '--format', 'csv'])
  t.equal(code, 0)
  const [header, ...rows] = parseCsv(stdout)
  t.same(header, [...CSV_COLUMNS])
  t.equal(rows.length, ROWS)
  const want = stored(path)
  const differing = rows.filter((cells, i) => {
    const row = Object.fromEntries(CSV_COLUMNS.map((c, k) => [c, cells[k]]))
    const w = want[i]!
    return row.id !== String(w.id) || row.hash !== w.hash || row.prev_hash !== w.prev_hash || row.status !== w.status ||
      row.proof_ref !== (w.proof_ref ?? '') || Number(row.duration_ms) !== w.duration_ms || row.cached !== String(w.cached) ||
      row.time !== w.time || JSON.stringify(JSON.parse(row.evidence!)) !== JSON.stringify(w.evidence)
  })
  t.same(differing, [], 'every cell matches the stored row')
  t.equal(rows[6]?.[CSV_COLUMNS.indexOf('agent_message')], 'He said "no", then\nleft, twice', 'quotes, commas and newlines survive')
  t.equal(rows[7]?.[CSV_COLUMNS.indexOf('agent_message')], '\'=HYPERLINK("http://x")', 'a formula is neutralised for spreadsheets')
  t.equal(rows[3]?.[CSV_COLUMNS.indexOf('claim')], '{"expression":"4 = 4","type":"math"}')
})

t.test('export vc: one Verification Context per row; VERIFIED ones resolve', async (t) => {
  const path = makeDb(t, 30)
  const { code, stdout } = await run(['export', '--db', path, '--format', 'vc'])
  t.equal(code, 0)
  const docs = lines(stdout).map((l) => JSON.parse(l) as VerificationContextDocument)
  t.equal(docs.length, 30)
  docs.forEach((doc, i) => {
    const rec = record(i + 1)
    t.equal(doc.verdict, rec.status)
    t.equal(doc.context.decision.admission, rec.admission === 'ADMIT' ? 'ADMIT' : 'DENY')
    if (doc.verdict === 'VERIFIED') t.equal(resolveVerificationContext(doc).resolved, true)
  })
  t.equal(docs[3]?.object.formal_statement, '4 = 4', 'the stored claim is the statement')
  t.equal(docs[0]?.object.formal_statement, record(1).claim_hash, 'without a stored claim, its hash is')
})

t.test('export filters: --since (inclusive) --until (exclusive) --status --admission --route --engine --limit', async (t) => {
  const path = makeDb(t, 60)
  const ids = async (...args: string[]): Promise<number[]> => {
    const { code, stdout, stderr } = await run(['export', '--db', path, ...args])
    t.equal(code, 0, stderr)
    return lines(stdout).map((l) => (JSON.parse(l) as AuditRow).id)
  }
  t.same(await ids('--since', at(10), '--until', at(14)), [10, 11, 12, 13])
  t.same(await ids('--since', at(50), '--status', 'VERIFIED'), [51, 54, 57, 60])
  t.same(await ids('--since', at(50), '--status', 'UNVERIFIABLE,BLOCKED', '--route', '/quote'), [50, 52, 56, 58])
  t.same(await ids('--until', at(8), '--admission', 'ADMIT'), [3, 6])
  t.same(await ids('--engine', 'sql', '--limit', '3'), [1, 3, 5])
  t.same(await ids('--since', '2030-01-01'), [])
})

t.test('export --out writes a file; the progress bar is drawn only on a terminal', async (t) => {
  const path = makeDb(t)
  const out = join(path, '..', 'export.jsonl')
  const tty = await run(['export', '--db', path, '--out', out], true)
  t.equal(tty.code, 0)
  t.equal(tty.stdout, '', 'nothing on stdout with --out')
  t.equal(lines(readFileSync(out, 'utf8')).length, ROWS)
  t.match(tty.stderr, /\rexporting \[#+\] 100% 1500\/1500\n/, 'progress reaches 100% and ends its line')
  t.match(tty.stderr, /1500 row\(s\) written to /)

  const quiet = await run(['export', '--db', path, '--out', out, '--quiet'], true)
  t.equal(quiet.stderr, '')
  const small = await run(['export', '--db', path, '--limit', '10'], true)
  t.equal(small.stderr, '', 'no bar for a short export')
  const missingDir = await run(['export', '--db', path, '--out', join(path, '..', 'no', 'such', 'dir.jsonl')])
  t.equal(missingDir.code, 2)
  t.match(missingDir.stderr, /ENOENT/)
})

t.test('verify: exit 0 when the chain holds, 1 with the first broken link', async (t) => {
  const path = makeDb(t)
  const ok = await run(['verify', '--db', path])
  t.equal(ok.code, 0)
  t.match(ok.stdout, /^OK: 1500 row\(s\) verified \(rows 1\.\.1500\); head [0-9a-f]{64}\n$/)
  const json = await run(['verify', '--db', path, '--json'])
  t.match(JSON.parse(json.stdout), { ok: true, integrity: ['ok'], chain: { ok: true, rows: 1500 } })

  const db = new Database(path)
  db.exec("UPDATE qwed_audit SET decision = 'admit' WHERE id = 700")
  db.close()
  const broken = await run(['verify', '--db', path])
  t.equal(broken.code, 1)
  t.match(broken.stdout, /^BROKEN at row 700 \(content\): row 700: its content does not match its hash/)
  t.match(broken.stdout, /699 row\(s\) verified before it/)
  const brokenJson = await run(['verify', '--db', path, '--json'])
  t.equal(brokenJson.code, 1)
  t.match(JSON.parse(brokenJson.stdout), { ok: false, chain: { broken: { id: 700, reason: 'content' } } })
})

t.test('usage and file errors exit 2 with a message', async (t) => {
  const path = makeDb(t, 3)
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['export'], /--db <file> is required/],
    [['verify', '--db', join(path, '..', 'missing.db')], /qwed-audit: .*(unable to open|does not exist)/i],
    [['export', '--db', path, '--format', 'xml'], /--format must be one of jsonl, csv, vc/],
    [['export', '--db', path, '--since', 'last week'], /--since must be an ISO 8601 time/],
    [['export', '--db', path, '--limit', '0'], /--limit must be an integer >= 1/],
    [['export', '--db', path, '--status', 'GOOD'], /status must be one or more of/],
    [['verify', '--db', path, '--fast'], /Unknown option '--fast'/]
  ]
  for (const [args, message] of cases) {
    const r = await run(args)
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
  }
  const none = await run([])
  t.equal(none.code, 2)
  t.match(none.stdout, /qwed-audit export --db <file>/)
  const help = await run(['--help'])
  t.equal(help.code, 0)
})

/** Runs the command as a user would (`node bin/qwed-audit.ts ...` with the tests' TypeScript loader); dist runs the compiled file. */
async function cli (args: string[], onStdout?: (proc: ReturnType<typeof spawn>) => void): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const env = process.env
  const proc = spawn(process.execPath, [...TS_LOADER, join(ROOT, 'bin', 'qwed-audit.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (chunk) => { stdout += String(chunk) })
  proc.stderr.on('data', (chunk) => { stderr += String(chunk) })
  onStdout?.(proc)
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve))
  return { code, stdout, stderr }
}

t.test('the command itself: exit codes of verify, and an export through a pipe', async (t) => {
  const path = makeDb(t)
  const ok = await cli(['verify', '--db', path])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /^OK: 1500 row\(s\)/)
  const exported = await cli(['export', '--db', path, '--format', 'csv', '--since', at(1001)])
  t.equal(exported.code, 0, exported.stderr)
  t.equal(parseCsv(exported.stdout).length, 501, 'header + rows 1001..1500')

  // A reader that stops early (`| head`) is not an error.
  const early = await cli(['export', '--db', path], (proc) => proc.stdout?.once('data', () => proc.stdout?.destroy()))
  t.equal(early.code, 0, early.stderr)

  const db = new Database(path)
  db.exec('DELETE FROM qwed_audit WHERE id = 1200')
  db.close()
  const broken = await cli(['verify', '--db', path])
  t.equal(broken.code, 1)
  t.match(broken.stdout, /BROKEN at row 1201 \(link\)/)
})
