// Deadlines are plain timers, strongly held until they fire or are cleared: Node 20 can collect an
// AbortSignal.timeout() before it fires (issue #18: 1 of 100 fired once GC ran), and a deadline
// that never fires leaves a claim waiting for the breaker's backstop. A child process with
// --expose-gc runs the three deadlines a claim meets (the response deadline, the breaker's deadline
// for a queued claim, the remote client's deadline) while collecting garbage every few ms; every
// one of them must answer. It asserts answers, not how long they took.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { TS_LOADER } from './helpers/loader.js'

t.setTimeout(300_000)
const ROOT = fileURLToPath(new URL('..', import.meta.url))

const CHILD = `
import { createServer } from 'node:net'
const { withDeadline } = await import('./lib/deadline.ts')
const { createEngineBreaker } = await import('./lib/breaker.ts')
const { VerdictError } = await import('./lib/errors.ts')
const { createRemoteEngine } = await import('./lib/engines/remote.ts')
const { gateEngine } = await import('./test/helpers/queued-engine.ts')
const collect = setInterval(() => globalThis.gc(), 2)
const never = new Promise(() => {})
const out = {}

// 1. the response deadline (lib/deadline.ts), 100 at once
out.response = (await Promise.all(Array.from({ length: 100 }, () => withDeadline(never, 20, () => 'late')))).filter((v) => v === 'late').length

// 2. the breaker's deadline for claims queued behind a slot that never frees
const gate = gateEngine()
await gate.occupy()
const breaker = createEngineBreaker(gate.engine, { timeout: 20 }, () => {})
const answers = await Promise.all(Array.from({ length: 100 }, (_, n) => breaker.call({ type: 'gate', n }).then(() => 'ran', (err) => err instanceof VerdictError ? err.result.developer_fields.reason : 'error')))
out.queued = answers.filter((r) => r === 'busy').length
breaker.shutdown()

// 3. the remote client's deadline against a server that accepts and never answers
const sockets = new Set()
const server = createServer((socket) => { sockets.add(socket) })
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const engine = createRemoteEngine({ url: 'http://127.0.0.1:' + server.address().port, apiKey: 'k', timeoutMs: 200, retries: 0, ratePerMinute: 100000 }, ['math'])
const remote = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.verify({ type: 'math', expression: i + ' = ' + i }, { signal: new AbortController().signal }).then((r) => r.developer_fields.reason, (err) => err.code)))
// ETIMEDOUT: sent, no answer in time; busy: the stalled child found less than half the deadline left
out.remote = remote.filter((r) => r === 'ETIMEDOUT' || r === 'busy').length
await engine.close()
for (const socket of sockets) socket.destroy()
server.close()
clearInterval(collect)
process.stdout.write(JSON.stringify(out))
`

t.test('every deadline fires while the garbage collector runs', async (t) => {
  const proc = spawn(process.execPath, ['--expose-gc', ...TS_LOADER, '--input-type=module', '-e', CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (chunk) => { stdout += String(chunk) })
  proc.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const code = await new Promise((resolve) => proc.on('exit', resolve))
  t.equal(code, 0, stderr)
  t.same(JSON.parse(stdout), { response: 100, queued: 100, remote: 20 })
})
