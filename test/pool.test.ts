import { performance } from 'node:perf_hooks'
import t from 'tap'
import type { Claim } from '../types/claims.js'
import type { Engine, EngineResult } from '../types/engine.js'
import type { PoolOptions } from '../types/options.js'
import { createEngineRegistry, EMBEDDED_ENGINES, type EngineEntry } from '../lib/engines/index.js'
import { createTaskHandler, timeoutResult } from '../lib/engines/pool-worker.js'
import { createMathEngine } from '../lib/engines/math/index.js'
import { createEnginePool, KILL_GRACE_MS, poolOf, POOL_DEFAULTS, type EnginePool, type EnginePoolSettings, type PoolMessage, type WorkerSource } from '../lib/engines/pool.js'
import { createVerifier } from '../lib/verifier.js'

// Each pool worker loads the TypeScript loader and the engines anew: about a second on an idle
// machine, but a shared, loaded one was measured at 7 s per boot (and over 30 s with every engine).
// So this file keeps the number of pools small, reuses them across tests, and asks for more time
// than the default. No assertion reads the clock: verdicts, pool counters and the order of events
// show what happened (the file's timeout catches a hang); elapsed times are only printed.
t.setTimeout(600_000)

// Test-only engines, written as a module the workers can import (a data: URL needs no file).
// `spin` busy-waits `ms` milliseconds and never yields (the hostile claim), `polite` busy-waits too but
// watches its signal (as the math engine does), `waits` waits for the signal's abort event (as an
// engine waiting on another thread, like Z3, does), `oom` allocates until the
// worker's heap limit, `throw` is an engine failure, `verdict` throws a VerdictError from deep inside,
// `options` echoes the options the engine was built with.
const ERRORS_URL = new URL(`../lib/errors${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href
const TEST_ENGINES = `
import { threadId } from 'node:worker_threads'
import { VerdictError } from ${JSON.stringify(ERRORS_URL)}
const result = (id, extra) => ({ status: 'BLOCKED', agent_message: 'done', developer_fields: { constraint_id: id, thread: threadId, ...extra }, proof_ref: null, is_authoritative: false })
export const ENTRIES = [{
  cpuBound: true,
  create: (options) => ({
    name: 'spin',
    claimTypes: ['spin'],
    async verify (claim, { signal }) {
      if (claim.mode === 'spin') { const end = Date.now() + claim.ms; while (Date.now() < end) {} }
      if (claim.mode === 'polite') { const end = Date.now() + claim.ms; while (Date.now() < end && !signal.aborted) {} }
      if (claim.mode === 'waits') await new Promise((resolve) => signal.addEventListener('abort', resolve))
      if (claim.mode === 'oom') { const keep = []; for (;;) keep.push(new Array(1e6).fill(keep.length + 0.5)) }
      if (claim.mode === 'throw') throw new Error('engine broke')
      if (claim.mode === 'verdict') throw new VerdictError(result('spin.deep', {}))
      if (claim.mode === 'options') return result('spin.options', { options })
      return result('spin.done', {})
    }
  })
}]
export const BROKEN = [{ cpuBound: true, create: () => { throw new Error('cannot build this engine') } }]
`
const TEST_MODULE = 'data:text/javascript,' + encodeURIComponent(TEST_ENGINES)
const { ENTRIES } = await import(TEST_MODULE) as { ENTRIES: EngineEntry[] }
const SPIN_ENTRY = ENTRIES[0] as EngineEntry
const SPIN_SOURCE: WorkerSource = { module: TEST_MODULE, exportName: 'ENTRIES', index: 0 }

interface SpinClaim { type: 'spin', mode?: 'spin' | 'polite' | 'waits' | 'oom' | 'throw' | 'verdict' | 'options', ms?: number, n?: number }
const spinClaim = (extra: Omit<SpinClaim, 'type'> = {}): SpinClaim => ({ type: 'spin', ...extra })
const never = new AbortController().signal
const BOOT_WAIT = 300_000

function spinPool (options: EnginePoolSettings, engineOptions: Record<string, unknown> = {}): { pool: EnginePool, spin: Engine<SpinClaim> } {
  const pool = createEnginePool({ startTimeoutMs: BOOT_WAIT, ...options }, engineOptions)
  const spin = pool.wrap(SPIN_ENTRY.create({}) as Engine<SpinClaim>, SPIN_SOURCE)
  t.teardown(async () => await pool.close())
  return { pool, spin }
}

async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

async function timed<T> (fn: () => Promise<T>): Promise<{ value: T, ms: number }> {
  const start = performance.now()
  const value = await fn()
  return { value, ms: performance.now() - start }
}

const id = (r: EngineResult): unknown => r.developer_fields.constraint_id
/** The pooled engine without its close(): a verifier that closes it leaves the shared pool open. */
const borrowed = (engine: Engine<SpinClaim>): Engine<SpinClaim> => ({ name: engine.name, claimTypes: engine.claimTypes, queues: engine.queues, verify: engine.verify })
const ask = async (engine: Engine<SpinClaim>, claim: SpinClaim, signal = never): Promise<EngineResult> => await engine.verify(claim, { signal })

// Two shared pools (workers start on their first claim): `fast` with a 1 s deadline, `slow` with a
// deadline no test reaches, built with options that show what reaches the workers.
class Logger { info (): void {} }
const fast = spinPool({ threads: 1, deadlineMs: 1000 })
const slow = spinPool({ threads: 1, deadlineMs: BOOT_WAIT }, {
  pool: { threads: 1 },
  breaker: { timeout: 1234 },
  secrets: ['s3cret'],
  audit: { logger: new Logger(), includeClaims: true },
  extraEngines: [{ name: 'x', claimTypes: [], verify: () => null }],
  engines: { math: 'local', odd: [1, () => 1, Number.NaN] }
})

t.test('nothing starts before the first claim; the first claim boots threads + 1 workers', async (t) => {
  const { pool, spin } = fast
  t.same(pool.stats(), { workers: 0, ready: 0, running: 0, queued: 0, timeouts: 0, killed: 0, errors: 0, replaced: 0, busy: 0 })
  const first = await timed(async () => await spin.verify(spinClaim(), { signal: never }))
  t.equal(id(first.value), 'spin.done')
  t.not(first.value.developer_fields.thread, 0, 'ran in a worker thread, not the main thread')
  t.equal(pool.stats().workers, 2, 'one worker per thread plus a warm spare')
  await pool.warm()
  t.equal(pool.stats().ready, 2)
  t.comment(`first claim (worker boot) ${first.ms.toFixed(0)} ms`)
})

t.test('a claim past the deadline is BLOCKED <engine>.timeout; its worker is replaced off the request path', async (t) => {
  const { pool, spin } = fast
  await pool.warm()
  const hostile = await timed(async () => await spin.verify(spinClaim({ mode: 'spin', ms: 600_000 }), { signal: never }))
  t.equal(hostile.value.status, 'BLOCKED')
  t.equal(id(hostile.value), 'spin.timeout')
  t.equal(hostile.value.developer_fields.deadline_ms, 1000)
  t.equal(hostile.value.cacheable, false, 'a timeout is not a verdict about the claim: never cached')
  t.comment(`stopped after ${hostile.ms.toFixed(0)} ms (deadline 1000 ms)`)

  // Right after the timeout another worker takes the next claim, while the stuck one gets
  // KILL_GRACE_MS to stop on its own, then is ended and replaced.
  const after = await timed(async () => await ask(spin, spinClaim()))
  t.equal(id(after.value), 'spin.done')
  t.equal(pool.stats().timeouts, 1)
  t.comment(`the next claim took ${after.ms.toFixed(1)} ms; the stuck worker gets ${KILL_GRACE_MS} ms`)
  await until(() => pool.stats().killed === 1)
  // After the kill the spare takes the next claim; the replacement boots meanwhile.
  const afterKill = await ask(spin, spinClaim())
  t.equal(id(afterKill), 'spin.done')
  const stats = pool.stats()
  t.equal(stats.replaced, 1, 'one worker was ended')
  t.equal(stats.workers, 2, 'and a replacement started')
  const rewarm = await timed(async () => { await pool.warm() })
  t.equal(pool.stats().ready, 2, 'the replacement becomes the new spare')
  t.comment(`replacement ready ${rewarm.ms.toFixed(0)} ms after the next claim was answered`)
})

t.test('an engine that watches its signal stops at the deadline and keeps its warm worker', async (t) => {
  const { pool, spin } = fast
  await pool.warm()
  const before = pool.stats()
  for (const mode of ['polite', 'waits'] as const) {
    const r = await timed(async () => await ask(spin, spinClaim({ mode, ms: 600_000 })))
    t.equal(id(r.value), 'spin.timeout', `${mode}: BLOCKED spin.timeout`)
    t.equal(r.value.cacheable, false)
    // The timeout verdict says the deadline stopped it, not the end of its 600 s.
    t.comment(`${mode}: stopped at ${r.ms.toFixed(0)} ms`)
  }
  const after = pool.stats()
  t.equal(after.timeouts, before.timeouts + 2)
  t.equal(after.killed, before.killed, 'no worker was ended')
  t.equal(after.replaced, before.replaced)
  t.equal(after.ready, 2)
})

t.test('the deadline counts from the start of the claim in a worker, not from the queue', async (t) => {
  const { pool, spin } = fast
  await pool.warm()
  const before = pool.stats().timeouts
  // One thread: the third claim waits about 800 ms for its turn, then runs 400 ms, within its 1 s.
  const results = await Promise.all([1, 2, 3].map(async (n) => await spin.verify(spinClaim({ mode: 'spin', ms: 400, n }), { signal: never })))
  t.same(results.map(id), ['spin.done', 'spin.done', 'spin.done'])
  t.equal(pool.stats().timeouts, before)
  t.equal(pool.stats().running, 0)
})

t.test('the event loop keeps turning while a claim runs in a worker', async (t) => {
  const { pool, spin } = fast
  await pool.warm()
  // Timers fire while the claim runs: the loop is free (how often depends on the machine's load).
  // The claim busy-waits in the worker until the deadline and stops there (polite): the worker is
  // busy all along, and is not ended and booted again (the previous test covers that).
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 10)
  const r = await spin.verify(spinClaim({ mode: 'polite', ms: 600_000 }), { signal: never })
  clearInterval(timer)
  t.equal(id(r), 'spin.timeout')
  t.ok(ticks > 0, `${ticks} ticks of a 10 ms interval while the claim ran`)

  // The same engine on the event loop: not one tick until it is done.
  ticks = 0
  const interval = setInterval(() => { ticks++ }, 10)
  SPIN_ENTRY.create({}).verify(spinClaim({ mode: 'spin', ms: 300 }) as never, { signal: never })
  clearInterval(interval)
  t.equal(ticks, 0, 'on the event loop the same claim blocks every timer')
})

t.test('a worker that crashes (out of memory) is an infrastructure error: verify throws, the breaker counts it', async (t) => {
  const { pool, spin } = slow
  await pool.warm()
  const err = await ask(spin, spinClaim({ mode: 'oom' })).then(() => null, (e: unknown) => e as Error & { code?: string })
  t.ok(err instanceof Error, 'rejects')
  t.equal(err?.code, 'ERR_WORKER_OUT_OF_MEMORY', String(err?.message))
  t.equal(pool.stats().errors, 1)
  t.equal(id(await spin.verify(spinClaim(), { signal: never })), 'spin.done', 'the spare goes on')

  // Through the verifier: an engine failure is BLOCKED `spin.unavailable` (engine_error).
  const verifier = createVerifier({ extraEngines: [borrowed(spin)], audit: false, cache: false, breaker: { timeout: BOOT_WAIT } })
  t.teardown(async () => await verifier.close())
  const r = await verifier.verify(spinClaim({ mode: 'throw' }) as unknown as Claim)
  t.equal(r.status, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'spin.unavailable')
  t.equal(r.developer_fields.reason, 'engine_error')
  t.equal(r.developer_fields.error, 'engine broke')
})

t.test('a VerdictError thrown in a worker comes back as its verdict', async (t) => {
  t.equal(id(await slow.spin.verify(spinClaim({ mode: 'verdict' }), { signal: never })), 'spin.deep')
})

t.test('workers get the plain-JSON part of the options, without secrets', async (t) => {
  const r = await slow.spin.verify(spinClaim({ mode: 'options' }), { signal: never })
  t.same(r.developer_fields.options, { pool: { threads: 1 }, breaker: { timeout: 1234 }, audit: { includeClaims: true }, engines: { math: 'local', odd: [1, null, null] } })
})

t.test('the caller\'s signal stops a waiting or a running claim', async (t) => {
  const { pool, spin } = slow
  await pool.warm()
  const controller = new AbortController()
  const running = ask(spin, spinClaim({ mode: 'spin', ms: 600_000 }), controller.signal)
  const waiting = ask(spin, spinClaim(), controller.signal)
  setTimeout(() => controller.abort(new Error('breaker timeout')), 100)
  await t.rejects(running, { message: 'breaker timeout' })
  await t.rejects(waiting, { message: 'breaker timeout' })
  await t.rejects(ask(spin, spinClaim(), controller.signal), { message: 'breaker timeout' }, 'an aborted signal is refused at once')
  t.match(pool.stats(), { running: 0, queued: 0, timeouts: 0 })
  t.equal(id(await spin.verify(spinClaim(), { signal: never })), 'spin.done')
})

t.test('a worker that cannot start makes verify throw, never hang; the next claim tries a fresh pool', async (t) => {
  const pool = createEnginePool({ threads: 1, startTimeoutMs: BOOT_WAIT })
  t.teardown(async () => await pool.close())
  const broken = pool.wrap(SPIN_ENTRY.create({}) as Engine<SpinClaim>, { module: TEST_MODULE, exportName: 'BROKEN', index: 0 })
  await t.rejects(ask(broken, spinClaim()), { message: /cannot build this engine/ })
  await t.rejects(ask(broken, spinClaim()), { message: /cannot build this engine/ }, 'again, from a fresh pool')
  t.ok(pool.stats().errors >= 2)
})

t.test('the worker side, run in the main thread: deadline signal, late results, verdict errors', async (t) => {
  const messages: PoolMessage[] = []
  const handler = await createTaskHandler({ sources: [SPIN_SOURCE], deadlineMs: 200, options: { x: 1 } }, (m) => messages.push(m))
  t.match(messages, [{ qwedPool: 'ready' }])
  t.same((await handler({ id: 1, engine: 0, claim: spinClaim({ mode: 'options' }) })).developer_fields.options, { x: 1 })
  t.match(messages[1], { qwedPool: 'start', id: 1 })
  t.equal(id(await handler({ id: 2, engine: 0, claim: spinClaim({ mode: 'verdict' }) })), 'spin.deep')
  await t.rejects(handler({ id: 3, engine: 0, claim: spinClaim({ mode: 'throw' }) }), { message: 'engine broke' })
  await t.rejects(handler({ id: 4, engine: 7, claim: spinClaim() }), { message: /no engine #7/ })
  // A busy engine sees the deadline through signal.aborted (read against the clock) and stops.
  const polite = await timed(async () => await handler({ id: 5, engine: 0, claim: spinClaim({ mode: 'polite', ms: 60_000 }) }))
  t.same(polite.value, timeoutResult('spin', 200))
  t.comment(`stopped after ${polite.ms.toFixed(0)} ms of its 60 s`)
  // An engine waiting on something else gets the abort event.
  t.equal(id(await handler({ id: 6, engine: 0, claim: spinClaim({ mode: 'waits' }) })), 'spin.timeout')
  // A result that comes back past the deadline is replaced by the timeout verdict.
  t.equal(id(await handler({ id: 7, engine: 0, claim: spinClaim({ mode: 'spin', ms: 250 }) })), 'spin.timeout')
  t.equal(id(await handler({ id: 8, engine: 0, claim: spinClaim({ mode: 'spin', ms: 10 }) })), 'spin.done')
  await t.rejects(createTaskHandler({ sources: [{ module: TEST_MODULE, exportName: 'ENTRIES', index: 9 }], deadlineMs: 1, options: {} }), { message: /no engine entry at ENTRIES\[9\]/ })
  await t.rejects(createTaskHandler({ sources: [{ module: TEST_MODULE, exportName: 'NOTHING' }], deadlineMs: 1, options: {} }), { message: /no engine entry at NOTHING$/ })
})

// Math claims, in the pool and on the event loop: same verdicts, same proofs.
const MATH: string[] = [
  '2 + 2 = 4', '2 + 2 = 5', '0.1 + 0.2 = 0.3', '15% of 80 = 12', '1/3 + 1/6 = 1/2', '2^64 + 1 = 18446744073709551617',
  '(x+1)^2 = x^2 + 2x + 1', '(x+1)^2 = x^2 + 1', '(a+b)*(a-b) = a^2 - b^2', 'sin(x)^2 + cos(x)^2 = 1', '12! = 479001600',
  '100/3 = 33.33', 'sqrt(144) = 12', 'sqrt(-4) = 2', '1/0 = 1', 'cos.constructor("return process")()', '9^9^9^9',
  '(x+y+z)^60 = 1', 'log(e) = 1', 'x + 1', '2 +* 3', '10/4 = 2.5'
]

t.test('math in the pool: the same results as on the event loop, one by one and concurrently', async (t) => {
  // The registry createVerifier uses, with pool options; its workers load the sources through the
  // test loader (transpiled output cached on disk). A deadline no claim reaches: this test compares
  // verdicts, not speed.
  const registry = createEngineRegistry({ pool: { threads: 1, deadlineMs: BOOT_WAIT } })
  const math = registry.get('math') as Engine<Claim>
  t.teardown(async () => { for (const engine of new Set(registry.values())) await engine.close?.() })
  const boot = await timed(async () => { await poolOf(math)?.warm() })
  t.comment(`a worker with every pooled engine ready in ${boot.ms.toFixed(0)} ms`)
  const inline = createMathEngine()
  for (const expression of MATH) {
    const claim: Claim = { type: 'math', expression }
    t.same(await math.verify(claim, { signal: never }), inline.verify(claim as never, { signal: never }), expression)
  }
  const pooled = await Promise.all(MATH.map(async (expression) => await math.verify({ type: 'math', expression }, { signal: never })))
  t.same(pooled, MATH.map((expression) => inline.verify({ type: 'math', expression }, { signal: never })), 'concurrently too')
  t.equal(poolOf(math)?.stats().timeouts, 0)
})

t.test('through the verifier: a claim past the deadline is BLOCKED, not admitted, never cached, not a breaker failure', async (t) => {
  const { pool, spin } = fast
  await pool.warm()
  const verifier = createVerifier({ extraEngines: [borrowed(spin)], audit: false, breaker: { timeout: BOOT_WAIT, volumeThreshold: 1 } })
  t.teardown(async () => await verifier.close())
  // A claim that waits past the deadline: the verifier gets the same timeout verdict as for a claim
  // that never yields, without a worker to end and boot again each time (covered above).
  const hostile = spinClaim({ mode: 'waits' }) as unknown as Claim
  const r = await verifier.verify(hostile)
  t.equal(r.status, 'BLOCKED')
  t.equal(r.admission, 'BLOCKED')
  t.equal(r.engine, 'spin')
  t.equal(r.developer_fields.constraint_id, 'spin.timeout')
  t.equal(r.proof_ref, null)
  const again = await verifier.verify(hostile)
  t.equal(again.cached, false, 'timeouts are not cached')
  t.equal(again.developer_fields.constraint_id, 'spin.timeout', 'and the breaker stays closed (a verdict, not a failure)')
  t.equal((await verifier.verify(spinClaim() as unknown as Claim)).developer_fields.constraint_id, 'spin.done')
})

t.test('cold start and a full queue are overload, not failure: answered busy, the breaker stays closed', async (t) => {
  // A fresh pool: its workers boot while the claims wait, far longer than this breaker's deadline.
  // The pool's own deadline (100 ms) ends every run well inside the breaker's timeout (300 ms), so
  // only waiting can reach the breaker's deadline.
  const { pool, spin } = spinPool({ threads: 1, maxQueue: 2, deadlineMs: 100 })
  const verifier = createVerifier({ extraEngines: [borrowed(spin)], audit: false, cache: false, breaker: { timeout: 300, volumeThreshold: 1, errorThresholdPercentage: 1 } })
  t.teardown(async () => await verifier.close())
  const results = await Promise.all(Array.from({ length: 6 }, async (_, n) => await verifier.verify(spinClaim({ n }) as never)))
  // one claim holds the only slot, two wait, three find the line full
  t.equal(pool.stats().busy, 3)
  t.equal(results.filter((r) => r.developer_fields.queue === 'full').length, 3)
  for (const r of results) {
    // done, busy while the workers boot, or `timeout` for one that started too late to finish by the deadline
    t.ok(r.developer_fields.constraint_id === 'spin.done' || ['busy', 'timeout'].includes(String(r.developer_fields.reason)), JSON.stringify(r.developer_fields))
  }
  t.match(await verifier.metrics.registry.metrics(), /qwed_breaker_state\{engine="spin"\} 0/)
  await pool.warm()
  t.equal(id(await verifier.verify(spinClaim() as never)), 'spin.done', 'once booted, the claims run')
})

t.test('the registry wraps cpuBound entries only when pool options are given', async (t) => {
  const registry = createEngineRegistry({ pool: {} })
  const math = registry.get('math') as Engine<Claim>
  const pool = poolOf(math)
  t.ok(pool !== undefined, 'math runs in the pool')
  t.equal(math.name, 'math')
  t.same(math.claimTypes, ['math'])
  t.equal(pool?.deadlineMs, POOL_DEFAULTS.deadlineMs)
  t.equal(pool?.threads, POOL_DEFAULTS.threads)
  t.equal(pool?.stats().workers, 0, 'lazy: no worker before the first claim')
  const pooledNames = EMBEDDED_ENGINES.filter((entry) => entry.cpuBound === true).map((entry) => entry.create({}).name)
  for (const engine of new Set(registry.values())) {
    const cpuBound = pooledNames.includes(engine.name)
    t.equal(poolOf(engine) === pool, cpuBound, `${engine.name}: ${cpuBound ? 'pooled' : 'on the event loop'}`)
    await engine.close?.()
  }
  for (const options of [{}, { pool: false as const }]) {
    for (const engine of new Set(createEngineRegistry(options).values())) t.equal(poolOf(engine), undefined, `${engine.name} with ${JSON.stringify(options)}: on the event loop`)
  }
  t.throws(() => createEngineRegistry({ pool: {} }, [{ ...SPIN_ENTRY, source: undefined }]), /needs a source/, 'a custom cpuBound entry must say where workers find it')
  const custom = createEngineRegistry({ pool: {} }, [{ ...SPIN_ENTRY, source: SPIN_SOURCE }])
  t.ok(poolOf(custom.get('spin') as Engine<Claim>) !== undefined)
  await custom.get('spin')?.close?.()
})

t.test('close() ends the workers; later claims throw; engines cannot join a started pool', async (t) => {
  const { pool, spin } = fast
  await pool.warm()
  t.equal(pool.stats().workers, 2)
  t.throws(() => pool.wrap(createMathEngine(), { module: TEST_MODULE, exportName: 'ENTRIES' }), /before the pool starts/)
  const running = t.rejects(ask(spin, spinClaim({ mode: 'spin', ms: 500 })), 'a claim still running fails (infrastructure) when the pool closes')
  await new Promise((resolve) => setTimeout(resolve, 50))
  await spin.close?.()
  await running
  t.equal(pool.stats().workers, 0)
  await t.rejects(ask(spin, spinClaim()), { message: /closed/ })
  await t.rejects(pool.warm(), { message: /closed/ })
  await pool.close()
})

t.test('pool options are checked', async (t) => {
  const closing: Array<Promise<void>> = []
  const good: Array<false | PoolOptions> = [false, {}, { deadlineMs: 1 }, { threads: 1 }, { threads: 16, deadlineMs: 10_000 }]
  for (const pool of good) {
    t.doesNotThrow(() => { closing.push(createVerifier({ audit: false, pool }).close()) }, JSON.stringify(pool))
  }
  await Promise.all(closing)
  const bad: Array<[unknown, string]> = [
    [true, 'pool'], ['on', 'pool'], [null, 'pool'], [[], 'pool'], [{ size: 2 }, 'pool.size'],
    [{ deadlineMs: 0 }, 'pool.deadlineMs'], [{ deadlineMs: 2.5 }, 'pool.deadlineMs'], [{ deadlineMs: '250' }, 'pool.deadlineMs'],
    [{ threads: 0 }, 'pool.threads'], [{ threads: 17 }, 'pool.threads'], [{ threads: 1.5 }, 'pool.threads']
  ]
  for (const [pool, option] of bad) {
    t.throws(() => createVerifier({ audit: false, pool } as never), { name: 'QwedOptionsError', option }, `${JSON.stringify(pool)} -> ${option}`)
  }
})
