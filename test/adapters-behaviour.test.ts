// One behaviour table, run against both adapters: Fastify through inject, Express over a real
// loopback server. Every row asserts the same status code, qwed headers, body, outcome (req.qwed)
// and qwed_ counters for both, and that the two answers are identical to each other.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import express from 'express'
import qwed, { type QwedOutcome } from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import { scriptEngine, type ScriptEngine } from './helpers/engines.js'
import { serve } from './helpers/express.js'

interface Sent {
  status?: number
  type?: string
  body: unknown
}

interface Row {
  name: string
  plugin?: Record<string, unknown>
  route?: Record<string, unknown>
  /** What the handler sends. */
  sends: Sent
  /** Use the embedded engines only (no script engine). */
  realEngines?: boolean
  expect: {
    status: number
    headers: Partial<Record<'x-qwed-status' | 'x-qwed-proof' | 'retry-after', string | RegExp | undefined>>
    /** media type of the answer */
    type: string
    /** JSON body (parsed) or text body */
    body: unknown | ((t: Test, body: any) => void)
    outcome: Partial<QwedOutcome> | null
    engineCalls?: number
  }
}

interface Answer {
  status: number
  headers: Record<string, string | undefined>
  type: string
  body: unknown
  outcome: QwedOutcome | null | undefined
  counters: string[]
  engineCalls: number
}

const scriptClaims = (payload: { verdict: string }) => ({ type: 'script', verdict: payload.verdict }) as any
const textClaims = (payload: string) => ({ type: 'script', verdict: payload.includes('right') ? 'true' : 'false' }) as any
const mathClaims = (payload: { calculation: string }) => ({ type: 'math', expression: payload.calculation })
const PROOF = /^sha256:[0-9a-f]{64}$/
const ok = (verdict: string): Sent => ({ body: { answer: 42, verdict } })

function blockedBodyOf (status: string, agentMessage: string, engine = 'script'): Record<string, unknown> {
  return {
    statusCode: 422,
    code: 'QWED_BLOCKED',
    error: 'Unprocessable Entity',
    message: 'The response did not pass verification',
    qwed: { status, results: [{ engine, status, admission: 'BLOCKED', agent_message: agentMessage, proof_ref: null }] }
  }
}

const UNAVAILABLE = {
  statusCode: 503,
  code: 'QWED_UNAVAILABLE',
  error: 'Service Unavailable',
  message: 'The response could not be verified right now; retry later'
}

const rows: Row[] = [
  {
    name: 'admit: sent unchanged with x-qwed-status VERIFIED and x-qwed-proof',
    sends: ok('true'),
    expect: { status: 200, headers: { 'x-qwed-status': 'VERIFIED', 'x-qwed-proof': PROOF }, type: 'application/json', body: { answer: 42, verdict: 'true' }, outcome: { decision: 'admit', status: 'VERIFIED' }, engineCalls: 1 }
  },
  {
    name: 'block: 422 QWED_BLOCKED with client-safe results',
    sends: ok('false'),
    expect: { status: 422, headers: { 'x-qwed-status': 'UNVERIFIABLE', 'x-qwed-proof': undefined }, type: 'application/json', body: blockedBodyOf('UNVERIFIABLE', 'The claim does not hold'), outcome: { decision: 'block', status: 'UNVERIFIABLE' } }
  },
  {
    name: 'block with exposeDetails: developer_fields in the body',
    plugin: { exposeDetails: true },
    sends: ok('blocked'),
    expect: {
      status: 422,
      headers: { 'x-qwed-status': 'BLOCKED' },
      type: 'application/json',
      body: (t: Test, body: any) => t.equal(body.qwed.results[0].developer_fields.constraint_id, 'script.refused'),
      outcome: { decision: 'block', status: 'BLOCKED' }
    }
  },
  {
    name: 'shadow: a false answer is sent unchanged, unmarked; the verdict is recorded',
    plugin: { mode: 'shadow' },
    sends: ok('false'),
    expect: { status: 200, headers: { 'x-qwed-status': undefined }, type: 'application/json', body: { answer: 42, verdict: 'false' }, outcome: { mode: 'shadow', decision: 'shadow' }, engineCalls: 1 }
  },
  {
    name: 'route mode off: not verified',
    route: { mode: 'off' },
    sends: ok('false'),
    expect: { status: 200, headers: { 'x-qwed-status': undefined }, type: 'application/json', body: { answer: 42, verdict: 'false' }, outcome: { decision: 'skip', skipped: 'off' }, engineCalls: 0 }
  },
  {
    name: 'sampled out (sampleRate 0): not verified',
    plugin: { sampleRate: 0 },
    sends: ok('false'),
    expect: { status: 200, headers: { 'x-qwed-status': undefined }, type: 'application/json', body: { answer: 42, verdict: 'false' }, outcome: { decision: 'skip', skipped: 'sampled_out' }, engineCalls: 0 }
  },
  {
    name: 'flag off: not verified',
    route: { enabled: async () => false },
    sends: ok('false'),
    expect: { status: 200, headers: { 'x-qwed-status': undefined }, type: 'application/json', body: { answer: 42, verdict: 'false' }, outcome: { decision: 'skip', skipped: 'flag_off' }, engineCalls: 0 }
  },
  {
    name: 'a flag that throws keeps verification on',
    plugin: { enabled: () => { throw new Error('flag service down') } },
    sends: ok('false'),
    expect: { status: 422, headers: { 'x-qwed-status': 'UNVERIFIABLE' }, type: 'application/json', body: blockedBodyOf('UNVERIFIABLE', 'The claim does not hold'), outcome: { decision: 'block' } }
  },
  {
    name: 'fail closed: 503 QWED_UNAVAILABLE with Retry-After',
    sends: ok('throw'),
    expect: { status: 503, headers: { 'x-qwed-status': 'BLOCKED', 'retry-after': '5', 'x-qwed-proof': undefined }, type: 'application/json', body: UNAVAILABLE, outcome: { decision: 'fail_closed', status: 'BLOCKED' } }
  },
  {
    name: 'fail open: sent unchanged, marked UNVERIFIED',
    plugin: { onUnavailable: 'open' },
    sends: ok('throw'),
    expect: { status: 200, headers: { 'x-qwed-status': 'UNVERIFIED', 'retry-after': undefined }, type: 'application/json', body: { answer: 42, verdict: 'throw' }, outcome: { decision: 'fail_open', status: 'UNVERIFIED' } }
  },
  {
    name: 'string body, right: sent as text, VERIFIED',
    route: { claims: textClaims },
    sends: { type: 'text/plain', body: 'the right answer' },
    expect: { status: 200, headers: { 'x-qwed-status': 'VERIFIED', 'x-qwed-proof': PROOF }, type: 'text/plain', body: 'the right answer', outcome: { decision: 'admit' }, engineCalls: 1 }
  },
  {
    name: 'string body, wrong: the 422 answers JSON',
    route: { claims: textClaims },
    sends: { type: 'text/plain', body: 'a wrong answer' },
    expect: { status: 422, headers: { 'x-qwed-status': 'UNVERIFIABLE' }, type: 'application/json', body: blockedBodyOf('UNVERIFIABLE', 'The claim does not hold'), outcome: { decision: 'block' }, engineCalls: 1 }
  },
  {
    name: 'an error status is untouched and not verified',
    sends: { status: 404, body: { missing: true, verdict: 'false' } },
    expect: { status: 404, headers: { 'x-qwed-status': undefined }, type: 'application/json', body: { missing: true, verdict: 'false' }, outcome: { decision: 'skip', skipped: 'error_status' }, engineCalls: 0 }
  },
  {
    name: 'claims() throwing fails closed: 422 BLOCKED',
    route: { claims: (payload: any) => ({ type: 'math', expression: payload.missing.field }) },
    sends: ok('true'),
    expect: { status: 422, headers: { 'x-qwed-status': 'BLOCKED' }, type: 'application/json', body: blockedBodyOf('BLOCKED', 'The response could not be checked', 'verifier'), outcome: { decision: 'block', status: 'BLOCKED' }, engineCalls: 0 }
  },
  {
    name: 'claims() returning null: sent unchanged, not verified',
    route: { claims: () => null },
    sends: ok('false'),
    expect: { status: 200, headers: { 'x-qwed-status': undefined }, type: 'application/json', body: { answer: 42, verdict: 'false' }, outcome: { decision: 'skip', skipped: 'no_claims' }, engineCalls: 0 }
  },
  {
    name: 'claims() that never settles: the deadline answers 503 under the fail-closed policy',
    plugin: { breaker: { resetTimeout: 5000, timeout: 50 } },
    route: { claims: () => new Promise(() => {}) },
    sends: ok('true'),
    expect: { status: 503, headers: { 'x-qwed-status': 'BLOCKED', 'retry-after': '5', 'x-qwed-proof': undefined }, type: 'application/json', body: UNAVAILABLE, outcome: { decision: 'fail_closed', status: 'BLOCKED' }, engineCalls: 0 }
  },
  {
    name: 'enabled() that never settles: the deadline answers 503 under the fail-closed policy',
    plugin: { breaker: { resetTimeout: 5000, timeout: 50 } },
    route: { enabled: () => new Promise(() => {}) },
    sends: ok('true'),
    expect: { status: 503, headers: { 'x-qwed-status': 'BLOCKED', 'retry-after': '5' }, type: 'application/json', body: UNAVAILABLE, outcome: { decision: 'fail_closed', status: 'BLOCKED' }, engineCalls: 0 }
  },
  {
    name: 'claims() that never settles, fail open: sent unchanged, marked UNVERIFIED',
    plugin: { breaker: { resetTimeout: 5000, timeout: 50 }, onUnavailable: 'open' },
    route: { claims: () => new Promise(() => {}) },
    sends: ok('false'),
    expect: { status: 200, headers: { 'x-qwed-status': 'UNVERIFIED', 'retry-after': undefined }, type: 'application/json', body: { answer: 42, verdict: 'false' }, outcome: { decision: 'fail_open', status: 'UNVERIFIED' }, engineCalls: 0 }
  },
  {
    name: 'onBlocked answers instead of the default body; the status stays 422',
    route: { onBlocked: (outcome: QwedOutcome) => ({ sorry: true, status: outcome.status }) },
    sends: ok('false'),
    expect: { status: 422, headers: { 'x-qwed-status': 'UNVERIFIABLE' }, type: 'application/json', body: { sorry: true, status: 'UNVERIFIABLE' }, outcome: { decision: 'block' } }
  },
  {
    name: 'onBlocked returning undefined keeps the default body',
    plugin: { onBlocked: () => undefined },
    sends: ok('false'),
    expect: { status: 422, headers: { 'x-qwed-status': 'UNVERIFIABLE' }, type: 'application/json', body: blockedBodyOf('UNVERIFIABLE', 'The claim does not hold'), outcome: { decision: 'block' } }
  },
  {
    name: "claims: 'auto', a chat answer whose figures hold: sent as text, VERIFIED",
    realEngines: true,
    route: { claims: 'auto' },
    sends: { type: 'text/markdown', body: 'Your monthly payment is 1,200 / 12 = 100.\nOver two years: 100 × 24 = 2,400, about $2.4k.' },
    expect: { status: 200, headers: { 'x-qwed-status': 'VERIFIED', 'x-qwed-proof': /^sha256:[0-9a-f]{64},sha256:[0-9a-f]{64}$/ }, type: 'text/markdown', body: 'Your monthly payment is 1,200 / 12 = 100.\nOver two years: 100 × 24 = 2,400, about $2.4k.', outcome: { decision: 'admit', status: 'VERIFIED' } }
  },
  {
    name: "claims: 'auto', a chat answer with a wrong figure: 422 from the math engine",
    realEngines: true,
    route: { claims: 'auto' },
    sends: { type: 'text/plain', body: 'The loan costs 2500 * (1 + 4.5/100)^10 = 3882.40 in total.' },
    expect: {
      status: 422,
      headers: { 'x-qwed-status': 'UNVERIFIABLE' },
      type: 'application/json',
      body: (t: Test, body: any) => t.match(body, { code: 'QWED_BLOCKED', qwed: { results: [{ engine: 'math', admission: 'BLOCKED' }] } }),
      outcome: { decision: 'block' }
    }
  },
  {
    name: "claims: 'auto', the strings of a JSON body: a figure rounded to cents is judged as rounded",
    realEngines: true,
    route: { claims: 'auto' },
    sends: { body: { answer: 'You repay 2500 * (1 + 4.5/100)^10 = 3882.42 over ten years.', sources: ['rate sheet 2026'] } },
    expect: { status: 200, headers: { 'x-qwed-status': 'VERIFIED', 'x-qwed-proof': PROOF }, type: 'application/json', body: { answer: 'You repay 2500 * (1 + 4.5/100)^10 = 3882.42 over ten years.', sources: ['rate sheet 2026'] }, outcome: { decision: 'admit' } }
  },
  {
    name: "claims: 'auto', an answer with no claim: sent unchanged, counted as unchecked",
    realEngines: true,
    route: { claims: 'auto' },
    sends: { type: 'text/plain', body: 'Version 2.0 = the new API; call us on 2024-01-05 between 9-17.' },
    expect: { status: 200, headers: { 'x-qwed-status': undefined }, type: 'text/plain', body: 'Version 2.0 = the new API; call us on 2024-01-05 between 9-17.', outcome: { decision: 'skip', skipped: 'no_claims' } }
  },
  {
    name: "claims: 'auto', an unsafe sql block checked against the route's DDL: 422",
    realEngines: true,
    route: { claims: 'auto', extract: { sql: { schema: 'CREATE TABLE orders (id INT, total NUMERIC);' } } },
    sends: { type: 'text/markdown', body: 'Here is the query:\n```sql\nDELETE FROM orders;\n```\n' },
    expect: {
      status: 422,
      headers: { 'x-qwed-status': 'BLOCKED' },
      type: 'application/json',
      body: (t: Test, body: any) => t.match(body, { code: 'QWED_BLOCKED', qwed: { results: [{ engine: 'sql', admission: 'BLOCKED' }] } }),
      outcome: { decision: 'block' }
    }
  },
  {
    name: "claims: 'auto', an answer too long to read whole is not released as checked",
    realEngines: true,
    route: { claims: 'auto', extract: { maxLength: 1000 } },
    sends: { type: 'text/plain', body: 'x'.repeat(1001) },
    expect: {
      status: 422,
      headers: { 'x-qwed-status': 'BLOCKED' },
      type: 'application/json',
      body: (t: Test, body: any) => t.match(body, { qwed: { results: [{ engine: 'extract', admission: 'BLOCKED' }] } }),
      outcome: { decision: 'block' }
    }
  },
  {
    name: 'a real math claim that holds: VERIFIED with its proof',
    realEngines: true,
    route: { claims: mathClaims },
    sends: { body: { text: 'two and two make four', calculation: '2 + 2 = 4' } },
    expect: { status: 200, headers: { 'x-qwed-status': 'VERIFIED', 'x-qwed-proof': PROOF }, type: 'application/json', body: { text: 'two and two make four', calculation: '2 + 2 = 4' }, outcome: { decision: 'admit' } }
  },
  {
    name: 'a real math claim that is false: 422 from the math engine',
    realEngines: true,
    route: { claims: mathClaims },
    sends: { body: { text: 'two and two make five', calculation: '2 + 2 = 5' } },
    expect: {
      status: 422,
      headers: { 'x-qwed-status': 'UNVERIFIABLE' },
      type: 'application/json',
      body: (t: Test, body: any) => t.match(body, { code: 'QWED_BLOCKED', qwed: { status: 'UNVERIFIABLE', results: [{ engine: 'math', admission: 'BLOCKED', proof_ref: null }] } }),
      outcome: { decision: 'block' }
    }
  }
]

function pluginOptions (row: Row, engine: ScriptEngine): Record<string, unknown> {
  return { ...(row.realEngines === true ? {} : { extraEngines: [engine] }), audit: false, cache: false, breaker: { resetTimeout: 5000 }, ...row.plugin }
}

function routeOptions (row: Row): Record<string, unknown> {
  return { claims: scriptClaims, ...row.route }
}

/** The counters a row should move identically in both adapters (histograms left out: they hold timings). */
function counters (text: string): string[] {
  return text.split('\n').filter((line) => /^qwed_(verifications_total|blocked_responses_total|unavailable_total|unchecked_responses_total)\{/.test(line))
}

const pickHeaders = (get: (name: string) => string | undefined): Record<string, string | undefined> => ({
  'x-qwed-status': get('x-qwed-status'),
  'x-qwed-proof': get('x-qwed-proof'),
  'retry-after': get('retry-after')
})

const parse = (type: string, text: string): unknown => type === 'application/json' ? JSON.parse(text) : text

async function settled (read: () => QwedOutcome | null | undefined, row: Row): Promise<QwedOutcome | null | undefined> {
  // Shadow verification finishes after the response: wait for its outcome.
  for (let i = 0; i < 100 && row.expect.outcome?.decision === 'shadow' && read()?.decision !== 'shadow'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return read()
}

async function viaFastify (row: Row): Promise<Answer> {
  const engine = scriptEngine()
  const app = Fastify()
  // Engines load at onReady only for the rows that use them (the others judge with the script engine).
  await app.register(qwed, { ...pluginOptions(row, engine), warmUp: row.realEngines === true ? ['math'] : false })
  let last: any
  app.get('/answer', { config: { qwed: routeOptions(row) as any } }, async (request, reply) => {
    last = request
    if (row.sends.status !== undefined) reply.code(row.sends.status)
    if (row.sends.type !== undefined) reply.type(row.sends.type)
    return row.sends.body
  })
  try {
    const res = await app.inject({ method: 'GET', url: '/answer' })
    const type = String(res.headers['content-type']).split(';')[0] ?? ''
    const outcome = await settled(() => last?.qwed, row)
    const metrics = await app.inject({ method: 'GET', url: '/metrics' })
    return {
      status: res.statusCode,
      headers: pickHeaders((name) => res.headers[name] as string | undefined),
      type,
      body: parse(type, res.body),
      outcome,
      counters: counters(metrics.body),
      engineCalls: engine.calls
    }
  } finally {
    await app.close()
  }
}

async function viaExpress (row: Row): Promise<Answer> {
  const engine = scriptEngine()
  const app = express()
  const mw = qwedExpress({ ...pluginOptions(row, engine), warmUp: row.realEngines === true ? ['math'] : false })
  app.use(mw)
  let last: any
  app.get('/answer', mw.route(routeOptions(row) as any), (req, res) => {
    last = req
    if (row.sends.status !== undefined) res.status(row.sends.status)
    if (row.sends.type !== undefined) res.type(row.sends.type)
    if (typeof row.sends.body === 'string') res.send(row.sends.body)
    else res.json(row.sends.body)
  })
  const { base, close } = await serve(app)
  try {
    const res = await fetch(`${base}/answer`)
    const text = await res.text()
    const type = (res.headers.get('content-type') ?? '').split(';')[0] ?? ''
    const outcome = await settled(() => last?.qwed, row)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    return {
      status: res.status,
      headers: pickHeaders((name) => res.headers.get(name) ?? undefined),
      type,
      body: parse(type, text),
      outcome,
      counters: counters(metrics),
      engineCalls: engine.calls
    }
  } finally {
    await close()
    await mw.close()
  }
}

function check (t: Test, row: Row, answer: Answer): void {
  const { expect } = row
  t.equal(answer.status, expect.status, 'status code')
  for (const [name, want] of Object.entries(expect.headers)) {
    const got = answer.headers[name]
    if (want instanceof RegExp) t.match(got, want, name)
    else t.equal(got, want, name)
  }
  t.equal(answer.type, expect.type, 'content type')
  if (typeof expect.body === 'function') (expect.body as (t: Test, body: unknown) => void)(t, answer.body)
  else t.same(answer.body, expect.body, 'body')
  if (expect.outcome === null) t.equal(answer.outcome ?? null, null, 'no outcome')
  else t.match(answer.outcome, expect.outcome, 'outcome (request.qwed / req.qwed)')
  if (expect.engineCalls !== undefined) t.equal(answer.engineCalls, expect.engineCalls, 'engine calls')
}

for (const row of rows) {
  t.test(row.name, async (t) => {
    // The two adapters are independent (own app, engine, verifier, registry): asked side by side,
    // the rows that wait out a deadline wait once, not twice.
    const [fastify, expressAnswer] = await Promise.all([viaFastify(row), viaExpress(row)])
    t.test('fastify', async (t) => check(t, row, fastify))
    t.test('express', async (t) => check(t, row, expressAnswer))
    t.test('both answer alike', async (t) => {
      t.same(expressAnswer.status, fastify.status)
      t.same(expressAnswer.headers['x-qwed-status'], fastify.headers['x-qwed-status'])
      t.same(expressAnswer.headers['retry-after'], fastify.headers['retry-after'])
      t.equal(expressAnswer.headers['x-qwed-proof'] === undefined, fastify.headers['x-qwed-proof'] === undefined, 'a proof in both or in neither')
      t.same(expressAnswer.type, fastify.type)
      t.same(expressAnswer.body, fastify.body)
      t.same(expressAnswer.outcome?.decision, fastify.outcome?.decision)
      t.same(expressAnswer.outcome?.skipped, fastify.outcome?.skipped)
      t.same(expressAnswer.outcome?.status, fastify.outcome?.status)
      t.same(expressAnswer.counters, fastify.counters, 'the same qwed_ counters, same route label')
      t.equal(expressAnswer.engineCalls, fastify.engineCalls, 'the engine ran as often')
    })
  })
}
