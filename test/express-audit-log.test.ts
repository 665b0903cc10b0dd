// The Express middleware's default audit log gathers its lines into larger writes to stdout (one
// write per line cost more than the rest of a cached verification). These tests check that no
// line is lost where the docs promise it is not: close() writes what is gathered before it
// resolves (the child then kills itself with SIGKILL, so no exit handler can have written them),
// and a normal exit writes them too. Each case runs in a child process whose stdout is read here.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { TS_LOADER } from './helpers/loader.js'

t.setTimeout(120_000)
const ROOT = fileURLToPath(new URL('..', import.meta.url))

// argv: 'close' (close(), then SIGKILL), 'exit' (process.exit without close()) or 'drain' (nothing
// left to do: the event loop empties and the process ends by itself).
const CHILD = `
import express from 'express'
const { qwedExpress } = await import('./lib/express.ts')
const how = process.argv[1]
const app = express()
// the default audit log; only the math engine warmed (Z3's threads cannot start under --input-type)
const qwed = qwedExpress({ warmUp: ['math'] })
app.use(qwed)
app.get('/total', qwed.route({ claims: (p) => ({ type: 'math', expression: p.calculation }) }), (req, res) => {
  res.json({ calculation: req.query.right === '1' ? '2 + 2 = 4' : '2 + 2 = 5' })
})
const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
const base = 'http://127.0.0.1:' + server.address().port
const statuses = []
for (const query of ['right=1', 'right=1', 'right=0']) statuses.push((await fetch(base + '/total?' + query)).status)
process.stderr.write(JSON.stringify(statuses) + '\\n')
await new Promise((resolve) => server.close(resolve))
if (how === 'close') {
  await qwed.close()
  process.kill(process.pid, 'SIGKILL')
} else if (how === 'exit') {
  process.exit(0)
}
`

interface Run { stdout: string, stderr: string, code: number | null, signal: NodeJS.Signals | null }

async function runChild (how: 'close' | 'exit' | 'drain'): Promise<Run> {
  const proc = spawn(process.execPath, [...TS_LOADER, '--input-type=module', '-e', CHILD, how], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (chunk) => { stdout += String(chunk) })
  proc.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('exit', (c, s) => resolve([c, s])))
  return { stdout, stderr, code, signal }
}

const FIELDS = ['level', 'time', 'pid', 'hostname', 'name', 'audit', 'verified_at', 'request_id', 'route', 'engine', 'claim_type', 'claim_hash',
  'status', 'admission', 'constraint_id', 'proof_ref', 'cached', 'duration_ms', 'mode', 'decision', 'msg']

function auditLines (t: Test, run: Run): Array<Record<string, unknown>> {
  t.match(run.stderr, '[200,200,422]', 'right, right (a cache hit), wrong: ' + run.stderr)
  return run.stdout.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record.audit === 'qwed.verification')
}

function checkRecords (t: Test, records: Array<Record<string, unknown>>): void {
  t.equal(records.length, 3, 'one line per verification')
  t.same(Object.keys(records[0] ?? {}), FIELDS, 'the fields of a record, in their order')
  t.match(records[0], { level: 30, name: 'qwed-audit', route: '/total', engine: 'math', status: 'VERIFIED', decision: 'admit', cached: false })
  t.match(records[1], { level: 30, status: 'VERIFIED', decision: 'admit', cached: true })
  t.match(records[2], { level: 40, status: 'UNVERIFIABLE', decision: 'block' })
  for (const record of records) {
    t.match(record.verified_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'verified_at: ISO 8601 UTC with milliseconds')
    t.match(record.request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a UUID-shaped request id')
  }
  t.equal(new Set(records.map((r) => r.request_id)).size, 3, 'a request id per request')
}

t.test('close() writes the gathered audit lines before it resolves', async (t) => {
  const run = await runChild('close')
  t.equal(run.signal, 'SIGKILL', 'killed right after close(): no exit handler ran')
  checkRecords(t, auditLines(t, run))
})

t.test('a normal exit writes the gathered audit lines', async (t) => {
  const run = await runChild('exit')
  t.equal(run.code, 0, run.stderr)
  checkRecords(t, auditLines(t, run))
})

t.test('a process that ends by itself writes the gathered audit lines', async (t) => {
  const run = await runChild('drain')
  t.equal(run.code, 0, run.stderr)
  checkRecords(t, auditLines(t, run))
})

// stdout that takes nothing (a stalled pipe): close() gives up waiting for it after a bounded wait
// instead of hanging; the lines still gathered are left to the exit handler.
const STALLED = `
const { createVerifier } = await import('./lib/verifier.ts')
const verifier = createVerifier({ cache: false })
for (let i = 0; i < 3000; i++) await verifier.verify({ type: 'math', expression: i + ' + 1 = ' + (i + 1) })
process.stderr.write('verified\\n')
await verifier.close()
process.stderr.write('closed\\n')
process.kill(process.pid, 'SIGKILL')
`

t.test('close() does not wait forever for a stdout that takes nothing', async (t) => {
  const proc = spawn(process.execPath, [...TS_LOADER, '--input-type=module', '-e', STALLED], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  // Never read: once the pipe is full, every write to it waits.
  proc.stdout.pause()
  let stderr = ''
  proc.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('exit', (c, s) => resolve([c, s])))
  proc.stdout.destroy()
  t.match(stderr, 'verified\nclosed\n', 'close() resolved: ' + stderr.slice(-500))
  t.equal(signal, 'SIGKILL')
})
