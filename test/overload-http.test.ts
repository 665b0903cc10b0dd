// Overload in both adapters: an engine with no room answers busy at once, and the route's
// onUnavailable policy decides (closed: 503 with Retry-After; open: the body, marked UNVERIFIED);
// a claim still queued at the deadline is answered busy by the breaker, not left to the response
// deadline. Fastify through inject, Express over 127.0.0.1. Verdicts, statuses and breaker state only.
import t from 'tap'
import Fastify from 'fastify'
import express from 'express'
import qwed, { type QwedOutcome } from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import { serve } from './helpers/express.js'
import { gateEngine, type GateEngine } from './helpers/queued-engine.js'

t.setTimeout(300_000)

interface Answer { status: number, headers: Record<string, string | undefined>, body: any, outcome: QwedOutcome | undefined, metrics: string }
type Adapter = (gate: GateEngine, options: Record<string, unknown>) => Promise<Answer>

const HEADERS = ['x-qwed-status', 'retry-after'] as const
const claims = () => ({ type: 'gate', n: 1 }) as any

const viaFastify: Adapter = async (gate, options) => {
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [gate.engine], audit: false, ...options })
  let last: any
  app.get('/answer', { config: { qwed: { claims } as any } }, async (request) => {
    last = request
    return { answer: 42 }
  })
  try {
    const res = await app.inject({ method: 'GET', url: '/answer' })
    const metrics = await app.inject({ method: 'GET', url: '/metrics' })
    return {
      status: res.statusCode,
      headers: Object.fromEntries(HEADERS.map((h) => [h, res.headers[h] as string | undefined])),
      body: res.json(),
      outcome: last?.qwed,
      metrics: metrics.body
    }
  } finally {
    await app.close()
  }
}

const viaExpress: Adapter = async (gate, options) => {
  const app = express()
  const mw = qwedExpress({ warmUp: false, extraEngines: [gate.engine], audit: false, ...options } as any)
  app.use(mw)
  let last: any
  app.get('/answer', mw.route({ claims } as any), (req, res) => {
    last = req
    res.json({ answer: 42 })
  })
  const { base, close } = await serve(app)
  try {
    const res = await fetch(`${base}/answer`)
    const body = await res.json()
    const metrics = await (await fetch(`${base}/metrics`)).text()
    return { status: res.status, headers: Object.fromEntries(HEADERS.map((h) => [h, res.headers.get(h) ?? undefined])), body, outcome: last?.qwed, metrics }
  } finally {
    await close()
    await mw.close()
  }
}

const HAIR_TRIGGER = { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 7000 }

for (const [name, adapter] of [['fastify', viaFastify], ['express', viaExpress]] as const) {
  t.test(`${name}: a full queue answers at once, onUnavailable closed -> 503 with Retry-After`, async (t) => {
    const gate = gateEngine({ maxWaiting: 0 })
    const occupied = await gate.occupy()
    const answer = await adapter(gate, { breaker: { ...HAIR_TRIGGER, timeout: 120_000 } })
    occupied()
    t.equal(answer.status, 503)
    t.match(answer.body, { code: 'QWED_UNAVAILABLE' })
    t.equal(answer.headers['x-qwed-status'], 'BLOCKED')
    t.equal(answer.headers['retry-after'], '7')
    t.match(answer.outcome, { decision: 'fail_closed' })
    t.match(answer.outcome?.results[0]?.developer_fields, { constraint_id: 'gate.unavailable', reason: 'busy', queue: 'full' })
    t.match(answer.metrics, /qwed_breaker_state\{engine="gate"\} 0/)
    t.equal(gate.runs, 0)
  })

  t.test(`${name}: a full queue under onUnavailable open -> the body, marked UNVERIFIED`, async (t) => {
    const gate = gateEngine({ maxWaiting: 0 })
    const occupied = await gate.occupy()
    const answer = await adapter(gate, { breaker: { ...HAIR_TRIGGER, timeout: 120_000 }, onUnavailable: 'open' })
    occupied()
    t.equal(answer.status, 200)
    t.same(answer.body, { answer: 42 })
    t.equal(answer.headers['x-qwed-status'], 'UNVERIFIED')
    t.match(answer.outcome, { decision: 'fail_open' })
  })

  t.test(`${name}: a claim still queued at the breaker's deadline is answered busy by it, and the breaker stays closed`, async (t) => {
    const gate = gateEngine()
    const occupied = await gate.occupy()
    const answer = await adapter(gate, { breaker: { ...HAIR_TRIGGER, timeout: 40 } })
    occupied()
    t.equal(answer.status, 503)
    t.match(answer.outcome?.results[0]?.developer_fields, { constraint_id: 'gate.unavailable', reason: 'busy', waited_ms: 40 })
    t.match(answer.metrics, /qwed_breaker_state\{engine="gate"\} 0/)
    t.equal(gate.slots.waiting, 0, 'the claim left the queue')
  })
}
