// Overload is not failure: waiting for a worker, for Z3 or for a connection is neither timed nor
// counted by the breaker; a full queue answers busy at once; only what runs and overruns (or
// throws) counts. The engines here are driven by hand (test/helpers/queued-engine.ts): every
// assertion is about verdicts and breaker state, none about elapsed time.
import t from 'tap'
import type { Claim } from '../types/claims.js'
import type { Engine, EngineResult } from '../types/engine.js'
import { createEngineBreaker, type EngineBreaker } from '../lib/breaker.js'
import { createSlots } from '../lib/engines/slots.js'
import { LOGIC_MAX_WAITING, z3Turns } from '../lib/engines/logic/limiter.js'
import { VerdictError } from '../lib/errors.js'
import type { BreakerStateValue } from '../lib/observe/metrics.js'
import { decide } from '../lib/policy.js'
import { isUnavailable } from '../lib/result.js'
import { createVerifier } from '../lib/verifier.js'
import { validateVerifierOptions } from '../lib/options.js'
import { gateEngine, until, type GateClaim } from './helpers/queued-engine.js'

t.setTimeout(300_000)

// Opens on the first counted failure: any miscount shows.
const HAIR_TRIGGER = { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 60_000 }

function breakerFor (engine: Engine<any>, timeout: number): { breaker: EngineBreaker, states: BreakerStateValue[] } {
  const states: BreakerStateValue[] = []
  const breaker = createEngineBreaker(engine, { ...HAIR_TRIGGER, timeout }, (s) => states.push(s))
  t.teardown(() => breaker.shutdown())
  return { breaker, states }
}

async function settle (call: Promise<EngineResult>): Promise<EngineResult | Error> {
  try {
    return await call
  } catch (err) {
    return err instanceof VerdictError ? err.result : err as Error
  }
}

const fields = (r: EngineResult | Error): Record<string, unknown> => r instanceof Error ? { error: r.message, code: (r as { code?: string }).code } : r.developer_fields

t.test('slots: a fixed number run, a bounded line waits, a full line is told at once, an abort leaves the line', async (t) => {
  const slots = createSlots(1, 2)
  const first = await slots.take()
  t.type(first, 'function')
  const second = slots.take()
  const controller = new AbortController()
  const third = slots.take(controller.signal)
  t.equal(await slots.take(), null, 'the line is full: null at once')
  t.equal(slots.waiting, 2)
  controller.abort(new Error('gone'))
  await t.rejects(third, /gone/)
  t.equal(slots.waiting, 1, 'the aborted claim left the line')
  first?.()
  first?.() // a second release does nothing
  const release = await second
  t.equal(slots.running, 1, 'the slot passed to the next in line')
  release?.()
  t.equal(slots.running, 0)
  const waiting = (async () => { const r = await slots.take(); return await slots.take().then(() => r) })()
  slots.close(new Error('closed'))
  await t.rejects(slots.take(), /closed/)
  await t.rejects(waiting.then(async () => await slots.take()), /closed/)
})

t.test('a flood that waits past the deadline is answered busy and does not open the breaker', async (t) => {
  const gate = gateEngine()
  const { breaker, states } = breakerFor(gate.engine, 30)
  const occupied = await gate.occupy()
  const answers = await Promise.all(Array.from({ length: 20 }, async (_, n) => await settle(breaker.call({ type: 'gate', n }))))
  for (const answer of answers) t.match(fields(answer), { constraint_id: 'gate.unavailable', reason: 'busy', waited_ms: 30 })
  t.equal(gate.slots.waiting, 0, 'every busy claim left the line')
  t.equal(gate.runs, 0, 'none of them ran')
  t.equal(breaker.state, 0, 'the breaker stayed closed')
  t.notOk(states.includes(2))
  occupied()
  t.match(await breaker.call({ type: 'gate', n: 99 }), { status: 'VERIFIED' }, 'the engine answers as soon as it is free')
})

t.test('the same wait in an engine that does not say when it starts is timed from the call: the breaker opens (the old behaviour)', async (t) => {
  const gate = gateEngine({ queues: false })
  const { breaker } = breakerFor(gate.engine, 30)
  const occupied = await gate.occupy()
  const answers = await Promise.all(Array.from({ length: 3 }, async (_, n) => await settle(breaker.call({ type: 'gate', n }))))
  t.match(fields(answers[0] as Error), { code: 'ETIMEDOUT' })
  t.equal(breaker.state, 2, 'queue wait counted as failure')
  occupied()
})

t.test('a full queue answers busy at once, is not counted, and the queued claims are still answered', async (t) => {
  const gate = gateEngine({ maxWaiting: 2 })
  const { breaker } = breakerFor(gate.engine, 60_000)
  const occupied = await gate.occupy()
  const calls = Array.from({ length: 7 }, async (_, n) => await settle(breaker.call({ type: 'gate', n })))
  // The five that found the line full are answered before the slot is free.
  const full = await Promise.all(calls.slice(2))
  for (const answer of full) t.match(fields(answer), { constraint_id: 'gate.unavailable', reason: 'busy', queue: 'full' })
  t.equal(gate.slots.waiting, 2)
  occupied()
  for (const answer of await Promise.all(calls.slice(0, 2))) t.match(answer, { status: 'VERIFIED' })
  t.equal(breaker.state, 0)
})

t.test('what runs still counts: a run that overruns the timeout, a throw before the claim ran, a failure while running', async (t) => {
  const overrun = gateEngine()
  const a = breakerFor(overrun.engine, 30)
  const answer = await settle(a.breaker.call({ type: 'gate', hold: true }))
  // The caller's deadline and the run's own timeout are both 30 ms here; whichever answers, it is a timeout.
  t.ok(fields(answer).code === 'ETIMEDOUT' || fields(answer).reason === 'timeout', JSON.stringify(fields(answer)))
  await until(() => a.breaker.state === 2) // counted on the run's own clock
  t.pass('an overrun of what ran opens the breaker')
  overrun.finishHeld()

  const boot: Engine<GateClaim> = { name: 'boot', claimTypes: ['gate'], queues: true, verify: async () => { throw new Error('the worker cannot start') } }
  const b = breakerFor(boot, 60_000)
  t.match(fields(await settle(b.breaker.call({ type: 'gate' }))), { error: 'the worker cannot start' })
  t.equal(b.breaker.state, 2, 'an engine that throws before it runs the claim is failing')

  const broken = gateEngine()
  const c = breakerFor(broken.engine, 60_000)
  t.match(fields(await settle(c.breaker.call({ type: 'gate', fail: true }))), { error: 'engine broke' })
  t.equal(c.breaker.state, 2)
  t.match(fields(await settle(c.breaker.call({ type: 'gate' }))), { code: 'EOPENBREAKER' }, 'an open breaker refuses before the claim joins the queue')
  t.equal(broken.runs, 1)
})

t.test('a claim that starts late is answered at the deadline; its run is counted by how it ends, not by the wait', async (t) => {
  const gate = gateEngine()
  const { breaker } = breakerFor(gate.engine, 300)
  const occupied = await gate.occupy()
  const call = settle(breaker.call({ type: 'gate', hold: true }))
  await until(() => gate.slots.waiting === 1)
  // The claim starts well after it was called, so the caller's deadline comes before the run's.
  await new Promise((resolve) => setTimeout(resolve, 100))
  occupied()
  await until(() => gate.holding === 1)
  const answer = await call
  gate.finishHeld() // the run ends inside its own time
  t.match(fields(answer), { constraint_id: 'gate.unavailable', reason: 'timeout' })
  t.ok(Number(fields(answer).queued_ms) >= 100, 'the answer says how long it queued')
  await until(() => gate.slots.running === 0)
  t.equal(breaker.state, 0, 'the late start is no failure')
  t.match(await breaker.call({ type: 'gate' }), { status: 'VERIFIED' })
})

t.test('through the verifier: busy is BLOCKED, unavailable-class (onUnavailable decides), never cached, counted by reason', async (t) => {
  const gate = gateEngine({ maxWaiting: 0 })
  const verifier = createVerifier({ extraEngines: [gate.engine], breaker: { ...HAIR_TRIGGER, timeout: 60_000 }, audit: false })
  t.teardown(async () => await verifier.close())
  const occupied = await gate.occupy()
  const claim = { type: 'gate', n: 1 } as unknown as Claim
  const busy = await verifier.verify(claim)
  t.match(busy, { status: 'BLOCKED', admission: 'BLOCKED', engine: 'gate', cached: false, proof_ref: null })
  t.match(busy.developer_fields, { constraint_id: 'gate.unavailable', reason: 'busy', queue: 'full' })
  t.ok(isUnavailable(busy))
  t.equal(decide([busy], 'enforce', 'closed'), 'fail_closed')
  t.equal(decide([busy], 'enforce', 'open'), 'fail_open')
  const metrics = await verifier.metrics.registry.metrics()
  t.match(metrics, /qwed_engine_errors_total\{engine="gate",reason="busy"\} 1/)
  t.match(metrics, /qwed_breaker_state\{engine="gate"\} 0/)
  occupied()
  const again = await verifier.verify(claim)
  t.match(again, { status: 'VERIFIED', cached: false }, 'the busy answer was not cached')
  t.equal(gate.runs, 1)
})

t.test('logic: one check at a time, a capped line, extra checks answered busy and the queued ones answered', async (t) => {
  const verifier = createVerifier({ breaker: { ...HAIR_TRIGGER, timeout: 120_000 }, audit: false, cache: false })
  t.teardown(async () => await verifier.close())
  await verifier.warmUp(['logic']) // Z3 loads: seconds, and outside any claim (the other engines are not used here)
  const turns = z3Turns()
  const occupied = await turns.take() as () => void // as if a hard check held Z3
  const claim = (n: number): Claim => ({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: [`x > ${n}`] })
  const queued = Array.from({ length: LOGIC_MAX_WAITING }, async (_, n) => await verifier.verify(claim(n)))
  await until(() => turns.waiting === LOGIC_MAX_WAITING)
  const extra = await Promise.all(Array.from({ length: 3 }, async (_, n) => await verifier.verify(claim(100 + n))))
  for (const r of extra) t.match(r.developer_fields, { constraint_id: 'logic.unavailable', reason: 'busy', queue: 'full' })
  occupied()
  const answered = await Promise.all(queued)
  t.equal(answered.filter((r) => r.status === 'VERIFIED').length, LOGIC_MAX_WAITING, 'every queued check was answered')
  const metrics = await verifier.metrics.registry.metrics()
  t.match(metrics, /qwed_breaker_state\{engine="logic"\} 0/)
})

t.test('options: pool.maxQueue and remote.connections are checked with errors that name them', async (t) => {
  t.throws(() => validateVerifierOptions({ pool: { maxQueue: -1 } }), { message: /pool\.maxQueue/ })
  t.throws(() => validateVerifierOptions({ pool: { maxQueue: 1.5 } }), { message: /pool\.maxQueue/ })
  t.doesNotThrow(() => validateVerifierOptions({ pool: { maxQueue: 0 } }))
  t.throws(() => validateVerifierOptions({ remote: { url: 'http://127.0.0.1:1', apiKey: 'k', connections: 0 } }), { message: /remote\.connections/ })
  t.doesNotThrow(() => validateVerifierOptions({ remote: { url: 'http://127.0.0.1:1', apiKey: 'k', connections: 8 } }))
})
