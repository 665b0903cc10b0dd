import t from 'tap'
import Fastify from 'fastify'
import express, { type Request } from 'express'
import qwed from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import { createVerifier } from '../lib/verifier.js'
import { validateAdapterOptions, validateRouteOptions } from '../lib/options.js'
import { runResponse, type ResponsePort, type ResponseRun } from '../lib/runner.js'
import { responseChannel } from '../lib/observe/tracing.js'
import type { QwedOutcome } from '../types/route.js'
import { captureLogger, scriptEngine } from './helpers/engines.js'
import { serve } from './helpers/express.js'

// A verdict known at once (a cache hit, a refusal, the math fast path) is answered without a
// promise (lib/runner.ts); a route whose claims() is async, a feature flag or a response tracer
// takes the promise path. Both must give the same answers, headers, request.qwed, metrics and
// audit records: each scenario runs the same requests through both and compares what they leave.

type Claimer = (payload: { verdict: string }) => unknown
const scriptClaim: Claimer = (p) => ({ type: 'script', verdict: p.verdict })
// Three claims: the script verdict, a math claim the fast path decides, and a script claim that
// stays true (a batch: verified through the lanes on a miss, all known at once on a hit).
const batchClaims: Claimer = (p) => [{ type: 'script', verdict: p.verdict }, { type: 'math', expression: '1000 * 1.05^2 = 1102.5' }, { type: 'script', verdict: 'true', id: 7 }]

interface Variant {
  claims: Claimer
  /** claims() returns a promise: the async path. */
  async?: boolean
  route?: Record<string, unknown>
  plugin?: Record<string, unknown>
  /** A response-channel subscriber listens while the requests run (the traced path). */
  traced?: boolean
}

interface Seen {
  responses: Array<{ status: number, body: unknown, headers: Record<string, string | undefined> }>
  outcomes: unknown[]
  metrics: string[]
  audit: unknown[]
  /** Express: headers already sent when res.json returned (the answer was written at once). */
  writtenAtOnce: boolean[]
}

const REQUESTS = ['true', 'true', 'false', 'false', 'blocked', 'blocked', 'true']
const HEADERS = ['x-qwed-status', 'x-qwed-proof', 'retry-after', 'content-type']

function claimsOf (variant: Variant): Claimer {
  return variant.async === true ? async (p) => await Promise.resolve(variant.claims(p)) : variant.claims
}

/** request.qwed without the timings. */
function outcomeOf (outcome: QwedOutcome | null | undefined): unknown {
  if (outcome === null || outcome === undefined) return outcome
  return { ...outcome, results: outcome.results.map(({ duration_ms: _d, ...rest }) => rest) }
}

/** The counters, not the duration histogram. */
function countersOf (text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('qwed_') && !line.startsWith('qwed_verification_duration'))
}

function auditOf (records: Array<Record<string, unknown>>, keepRequestId: boolean): unknown[] {
  return records.filter((r) => r.audit === 'qwed.verification').map(({ time: _t, pid: _p, hostname: _h, verified_at: _v, duration_ms: _d, request_id: id, ...rest }) => keepRequestId ? { ...rest, request_id: id } : rest)
}

async function traced<T> (on: boolean | undefined, work: () => Promise<T>): Promise<T> {
  if (on !== true) return await work()
  const handlers = { start () {}, end () {}, asyncStart () {}, asyncEnd () {}, error () {} }
  responseChannel.subscribe(handlers)
  try {
    return await work()
  } finally {
    responseChannel.unsubscribe(handlers)
  }
}

async function throughFastify (variant: Variant): Promise<Seen> {
  const engine = scriptEngine()
  const audit = captureLogger()
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: { logger: audit.logger }, ...variant.plugin })
  const outcomes: unknown[] = []
  app.addHook('onResponse', async (request) => { outcomes.push(outcomeOf(request.qwed)) })
  app.get('/answer', { config: { qwed: { claims: claimsOf(variant), ...variant.route } as any } }, async (request) => ({ answer: 42, verdict: (request.query as { v: string }).v }))
  try {
    const responses = await traced(variant.traced, async () => {
      const out: Seen['responses'] = []
      for (const v of REQUESTS) {
        const res = await app.inject({ method: 'GET', url: `/answer?v=${v}` })
        out.push({ status: res.statusCode, body: res.json(), headers: Object.fromEntries(HEADERS.map((h) => [h, res.headers[h] as string | undefined])) })
      }
      return out
    })
    return { responses, outcomes, metrics: countersOf(await app.qwed.metrics.registry.metrics()), audit: auditOf(audit.records, true), writtenAtOnce: [] }
  } finally {
    await app.close()
  }
}

async function throughExpress (variant: Variant): Promise<Seen> {
  const engine = scriptEngine()
  const audit = captureLogger()
  const middleware = qwedExpress({ warmUp: false, extraEngines: [engine], audit: { logger: audit.logger }, ...variant.plugin })
  const app = express()
  const outcomes: unknown[] = []
  const writtenAtOnce: boolean[] = []
  app.use(middleware)
  app.use((req: Request, res, next) => {
    res.on('finish', () => { outcomes.push(outcomeOf(req.qwed)) })
    next()
  })
  app.get('/answer', middleware.route({ claims: claimsOf(variant), ...variant.route } as any), (req, res) => {
    res.json({ answer: 42, verdict: req.query.v })
    writtenAtOnce.push(res.headersSent)
  })
  const served = await serve(app)
  try {
    const responses = await traced(variant.traced, async () => {
      const out: Seen['responses'] = []
      for (const v of REQUESTS) {
        const res = await fetch(`${served.base}/answer?v=${v}`)
        const headers = Object.fromEntries(HEADERS.map((h) => [h, res.headers.get(h) ?? undefined]))
        out.push({ status: res.status, body: await res.json(), headers })
      }
      return out
    })
    const metrics = countersOf(await middleware.verifier.metrics.registry.metrics())
    return { responses, outcomes, metrics, audit: auditOf(audit.records, false), writtenAtOnce }
  } finally {
    await served.close()
    await middleware.close()
  }
}

const scenarios: Array<{ name: string, sync: Variant, others: Array<[string, Variant]> }> = [
  {
    name: 'one claim: misses, then hits (admit, unverifiable, refused)',
    sync: { claims: scriptClaim },
    others: [['claims() async', { claims: scriptClaim, async: true }], ['a response tracer listening', { claims: scriptClaim, traced: true }]]
  },
  {
    name: 'a batch of claims: lanes on a miss, every verdict at once on a hit',
    sync: { claims: batchClaims },
    others: [['claims() async', { claims: batchClaims, async: true }], ['a response tracer listening', { claims: batchClaims, traced: true }]]
  },
  {
    name: 'onBlocked answers the blocked responses',
    sync: { claims: scriptClaim, route: { onBlocked: (outcome: QwedOutcome) => ({ sorry: true, status: outcome.status }) } },
    others: [['claims() async', { claims: scriptClaim, async: true, route: { onBlocked: (outcome: QwedOutcome) => ({ sorry: true, status: outcome.status }) } }]]
  },
  {
    name: 'a feature flag: the gate is a promise',
    sync: { claims: scriptClaim },
    others: [['enabled() always on', { claims: scriptClaim, route: { enabled: async () => true } }]]
  },
  {
    name: 'shadow mode: every response leaves, the verdict is recorded',
    sync: { claims: scriptClaim, route: { mode: 'shadow' } },
    others: [['claims() async', { claims: scriptClaim, async: true, route: { mode: 'shadow' } }]]
  },
  {
    name: 'fail open: a refused claim is sent unchanged',
    sync: { claims: scriptClaim, plugin: { onUnavailable: 'open' } },
    others: [['claims() async', { claims: scriptClaim, async: true, plugin: { onUnavailable: 'open' } }]]
  }
]

for (const [adapter, through] of [['fastify', throughFastify], ['express', throughExpress]] as const) {
  for (const scenario of scenarios) {
    t.test(`${adapter}: ${scenario.name}: the same with and without a promise`, async (t) => {
      const sync = await through(scenario.sync)
      for (const [label, variant] of scenario.others) {
        const other = await through(variant)
        t.same(other.responses, sync.responses, `${label}: status, body and headers`)
        t.same(other.outcomes, sync.outcomes, `${label}: request.qwed`)
        t.same(other.metrics, sync.metrics, `${label}: counters`)
        t.same(other.audit, sync.audit, `${label}: audit records`)
      }
      t.ok(sync.outcomes.length === REQUESTS.length, 'every response recorded an outcome')
      if (adapter === 'express' && scenario.sync.route?.mode !== 'shadow') {
        // The second request of a verdict repeats the first: answered before res.json returned.
        t.same(sync.writtenAtOnce.slice(0, 2), [false, true], 'a miss is answered later, a hit at once')
      }
    })
  }
}

t.test('the runner answers a hit without a promise, and the same outcome as the miss before it', async (t) => {
  const engine = scriptEngine()
  const verifier = createVerifier({ extraEngines: [engine], audit: false })
  t.teardown(() => verifier.close())
  const settings = { ...validateRouteOptions({ claims: (p: { verdict: string }) => ({ type: 'script', verdict: p.verdict }) as any }, validateAdapterOptions({}).defaults, 'route'), route: '/r' }
  const headers: Array<Record<string, string>> = []
  const recorded: QwedOutcome[] = []
  const port: ResponsePort = {
    statusCode: () => 200,
    setStatus: () => {},
    setHeaders: (h) => { headers.push(h) },
    contentType: () => 'application/json',
    gone: () => false,
    handOver: () => {},
    answered: () => false
  }
  const run = (): ResponseRun<unknown, unknown> => ({ verifier, settings, request: {}, reply: {}, port, requestId: 'r1', logger: undefined, deadlineMs: 5000, record: (o) => { recorded.push(o) } })
  const first = runResponse(run(), { verdict: 'true' })
  t.ok(first instanceof Promise, 'a miss waits for the engine')
  const missed = await first
  const second = runResponse(run(), { verdict: 'true' })
  t.notOk(second instanceof Promise, 'a hit is answered at once')
  t.same(second, missed)
  t.same(headers[0], headers[1])
  t.same(recorded.map((o) => o.results.map((r) => [r.status, r.proof_ref, r.cached])), [[['VERIFIED', recorded[0]?.results[0]?.proof_ref, false]], [['VERIFIED', recorded[0]?.results[0]?.proof_ref, true]]])
  t.equal(engine.calls, 1)

  const flagged = { ...settings, enabled: () => true }
  t.ok(runResponse({ ...run(), settings: flagged }, { verdict: 'true' }) instanceof Promise, 'a feature flag is a promise')
})

t.test('a flat claim seen before skips the guard: the same key, hash and verdicts as the guard gives', async (t) => {
  const engine = scriptEngine()
  const audit = captureLogger()
  const verifier = createVerifier({ extraEngines: [engine], audit: { logger: audit.logger } })
  t.teardown(() => verifier.close())
  const first = await verifier.verify({ type: 'script', verdict: 'true', id: 1 } as any)
  const again = await verifier.verify({ type: 'script', verdict: 'true', id: 1 } as any)
  const reordered = await verifier.verify({ id: 1, verdict: 'true', type: 'script' } as any)
  t.same([first.cached, again.cached, reordered.cached], [false, true, true], 'one engine call, then hits whatever the key order')
  t.equal(engine.calls, 1)
  t.equal(again.proof_ref, first.proof_ref)
  const hashes = audit.records.filter((r) => r.audit === 'qwed.verification').map((r) => r.claim_hash)
  t.equal(hashes.length, 3)
  t.match(hashes[0], /^sha256:[0-9a-f]{64}$/)
  t.same(new Set(hashes).size, 1, 'the canonical hash, whichever way the claim was recognised')

  // Claims the guard refuses are never remembered: refused every time, for the same reason.
  for (let i = 0; i < 2; i++) {
    const bad = await verifier.verify({ type: 'script', verdict: 'true', id: Number.NaN } as any)
    t.equal(bad.developer_fields.constraint_id, 'claim.invalid')
    const unknown = await verifier.verify({ type: 'nope', verdict: 'true' } as any)
    t.equal(unknown.developer_fields.constraint_id, 'claim.unknown_type')
  }
  // A claim with a nested value takes the guard every time and still hits the cache.
  const nested = await verifier.verify({ type: 'script', verdict: 'true', id: 2, extra: { a: [1] } } as any)
  const nestedAgain = await verifier.verify({ type: 'script', verdict: 'true', id: 2, extra: { a: [1] } } as any)
  t.same([nested.cached, nestedAgain.cached], [false, true])
  t.equal(engine.calls, 2)
})
