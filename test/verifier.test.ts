import t from 'tap'
import { Registry } from 'prom-client'
import { createVerifier } from '../lib/verifier.js'
import { QwedOptionsError } from '../lib/errors.js'
import { writes } from '../lib/observe/audit.js'
import { captureLogger, scriptEngine, type ScriptClaim } from './helpers/engines.js'

const script = (verdict: ScriptClaim['verdict'], extra: Partial<ScriptClaim> = {}): any => ({ type: 'script', verdict, ...extra })

function setup (options: Record<string, unknown> = {}) {
  const engine = scriptEngine()
  const audit = captureLogger()
  const verifier = createVerifier({ extraEngines: [engine], audit: { logger: audit.logger }, ...options })
  t.teardown(() => verifier.close())
  return { engine, verifier, audit }
}

async function metricValue (registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
  return match?.value ?? 0
}

t.test('a proven claim is VERIFIED and ADMIT with a proof_ref and the result fields', async (t) => {
  const { verifier } = setup()
  const r = await verifier.verify(script('true', { id: 1 }))
  t.equal(r.status, 'VERIFIED')
  t.equal(r.admission, 'ADMIT')
  t.match(r.proof_ref, /^sha256:[0-9a-f]{64}$/)
  t.equal(r.is_authoritative, true)
  t.equal(r.engine, 'script')
  t.equal(r.cached, false)
  t.type(r.duration_ms, 'number')
})

t.test('a false claim is UNVERIFIABLE and BLOCKED, without proof', async (t) => {
  const { verifier } = setup()
  const r = await verifier.verify(script('false'))
  t.equal(r.status, 'UNVERIFIABLE')
  t.equal(r.admission, 'BLOCKED')
  t.equal(r.proof_ref, null)
  t.equal(r.is_authoritative, false)
})

t.test('cache: the second identical claim is a hit and never reaches the engine', async (t) => {
  const { verifier, engine } = setup()
  const first = await verifier.verify(script('true', { id: 7 }))
  // Same claim, keys in another order: same canonical form, same cache entry.
  const second = await verifier.verify({ id: 7, verdict: 'true', type: 'script' } as any)
  t.equal(engine.calls, 1)
  t.equal(first.cached, false)
  t.equal(second.cached, true)
  t.equal(second.proof_ref, first.proof_ref)
  await verifier.verify(script('true', { id: 8 }))
  t.equal(engine.calls, 2, 'a different claim is a miss')
  const registry = verifier.metrics.registry
  t.equal(await metricValue(registry, 'qwed_cache_events_total', { event: 'hit' }), 1)
  t.equal(await metricValue(registry, 'qwed_cache_events_total', { event: 'miss' }), 2)
  t.equal(await metricValue(registry, 'qwed_cache_events_total', { event: 'store' }), 2)
})

t.test('cache: verdicts are frozen; a caller writing into one throws and cannot change the cached verdict', async (t) => {
  const { verifier, engine } = setup()
  const first = await verifier.verify(script('true', { id: 1 }))
  t.ok(Object.isFrozen(first.developer_fields), 'developer_fields is frozen')
  t.throws(() => { first.developer_fields.constraint_id = 'tampered' }, TypeError, 'strict mode: the write throws')
  const second = await verifier.verify(script('true', { id: 1 }))
  t.equal(second.cached, true)
  t.equal(engine.calls, 1)
  t.equal(second.developer_fields.constraint_id, 'script.true')
  t.equal(second.developer_fields, first.developer_fields, 'the hit hands out the stored evidence, not a copy')
  t.not(second, first, 'each call has its own result object')
  // The top level is the caller's own: changing it changes nothing for the next caller.
  second.status = 'BLOCKED'
  second.proof_ref = null
  const third = await verifier.verify(script('true', { id: 1 }))
  t.equal(third.status, 'VERIFIED')
  t.match(third.proof_ref, /^sha256:/)
  // Sloppy-mode code (a CommonJS consumer) cannot change it either: the write is ignored.
  // eslint-disable-next-line no-new-func -- sloppy mode is the point: only code outside a module or class runs in it
  const sloppyWrite = new Function('r', 'r.developer_fields.constraint_id = "x"; r.developer_fields.extra = 1; return r.developer_fields.constraint_id') as (r: unknown) => unknown
  t.equal(sloppyWrite(third), 'script.true')
  t.equal((await verifier.verify(script('true', { id: 1 }))).developer_fields.extra, undefined)
})

t.test('verifyBatch of one claim is verify: same result, cache and audit, without the lanes', async (t) => {
  const { verifier, engine, audit } = setup()
  const [one] = await verifier.verifyBatch([script('true', { id: 'b' })], { route: '/r', requestId: 'req-9', concurrency: 1 })
  const direct = await verifier.verify(script('true', { id: 'b' }), { route: '/r', requestId: 'req-9' })
  t.equal(engine.calls, 1, 'the second is a hit of the first')
  t.equal(one?.cached, false)
  t.equal(direct.cached, true)
  const strip = (r: any) => { const { cached: _c, duration_ms: _d, ...rest } = r; return rest }
  t.same(strip(one), strip(direct))
  t.equal(audit.records.length, 2)
  t.match(audit.records[0], { route: '/r', request_id: 'req-9', decision: 'admit' })
  const many = await verifier.verifyBatch([script('true', { id: 'b' }), script('false')], { route: '/r' })
  t.same(many.map((r) => strip(r)), [strip(direct), strip(await verifier.verify(script('false')))], 'the batch path gives the same results')
  const refused = await verifier.verifyBatch([{ type: 'nope' } as any])
  t.equal(refused[0]?.developer_fields.constraint_id, 'claim.unknown_type')
})

t.test('audit: no record is built for a logger that would not write it', async (t) => {
  let asked = 0
  let written = 0
  const quiet = {
    isLevelEnabled: (level: string) => { asked++; return level === 'error' },
    info: () => { written++ },
    warn: () => { written++ },
    error: () => { written++ }
  }
  const v = createVerifier({ extraEngines: [scriptEngine()], audit: { logger: quiet } })
  t.teardown(() => v.close())
  await v.verify(script('true'))
  await v.verify(script('false'))
  t.equal(asked, 2, 'the logger is asked once per verification')
  t.equal(written, 0)
  // A logger whose methods do nothing (Fastify's when the app has none) is not given records either.
  t.equal(writes({ info () {}, warn () {}, error () {} }, 'info'), false)
  t.equal(writes({ info: () => {}, warn: () => {}, error: () => {} }, 'warn'), false)
  t.equal(writes({ info: (o: unknown) => { written++; return o }, warn () {}, error () {} }, 'info'), true)
  t.equal(writes(Object.assign(captureLogger().logger, { level: 'silent' }), 'warn'), false)
  t.equal(writes(captureLogger().logger, 'info'), true)
  const noop = { info () {}, warn () {}, error () {} }
  const counting = createVerifier({ extraEngines: [scriptEngine()], audit: { logger: noop } })
  t.teardown(() => counting.close())
  await counting.verify(script('true'))
  const capture = captureLogger()
  await counting.verify(script('true'), { logger: capture.logger })
  t.equal(capture.records.length, 0, 'the configured logger wins over the context one')
})

t.test('cache: results the engine marks uncacheable, failures and guard rejections are not cached', async (t) => {
  const { verifier, engine } = setup()
  await verifier.verify(script('uncacheable'))
  await verifier.verify(script('uncacheable'))
  t.equal(engine.calls, 2)
  await verifier.verify(script('throw'))
  await verifier.verify(script('throw'))
  t.equal(engine.calls, 4)
})

t.test('cache: max bounds the entries and ttl expires them; cache:false turns it off', async (t) => {
  const bounded = setup({ cache: { max: 2 } })
  for (const id of [1, 2, 3]) await bounded.verifier.verify(script('true', { id }))
  await bounded.verifier.verify(script('true', { id: 1 }))
  t.equal(bounded.engine.calls, 4, 'the oldest entry was evicted')

  const expiring = setup({ cache: { ttl: 20 } })
  await expiring.verifier.verify(script('true'))
  await new Promise((resolve) => setTimeout(resolve, 40))
  await expiring.verifier.verify(script('true'))
  t.equal(expiring.engine.calls, 2, 'the entry expired')

  const forever = setup({ cache: { ttl: 0 } })
  await forever.verifier.verify(script('true'))
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.equal((await forever.verifier.verify(script('true'))).cached, true, 'ttl 0 keeps entries until evicted')

  const off = setup({ cache: false })
  await off.verifier.verify(script('true'))
  const again = await off.verifier.verify(script('true'))
  t.equal(off.engine.calls, 2)
  t.equal(again.cached, false)
})

t.test('fail closed: an engine that throws gives BLOCKED <engine>.unavailable, never a rejection', async (t) => {
  const { verifier } = setup()
  const r = await verifier.verify(script('throw'))
  t.equal(r.status, 'BLOCKED')
  t.equal(r.admission, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'script.unavailable')
  t.equal(r.developer_fields.reason, 'engine_error')
  t.notMatch(r.agent_message, /exploded/, 'the client message says nothing of the internals')
  t.equal(await metricValue(verifier.metrics.registry, 'qwed_engine_errors_total', { engine: 'script', reason: 'engine_error' }), 1)
  await verifier.verify(script('false'))
  t.equal(await metricValue(verifier.metrics.registry, 'qwed_engine_errors_total', { engine: 'script', reason: 'engine_error' }), 1, 'a verdict is not an engine error')
})

t.test('a VerdictError is a verdict: returned as is and not counted by the breaker', async (t) => {
  const { verifier } = setup({ breaker: { volumeThreshold: 1, errorThresholdPercentage: 1 } })
  for (let i = 0; i < 5; i++) {
    const r = await verifier.verify(script('verdict-error', { id: i }))
    t.equal(r.developer_fields.constraint_id, 'script.deep')
  }
  t.equal((await verifier.verify(script('true'))).status, 'VERIFIED', 'the breaker stayed closed')
})

t.test('breaker: a failing engine opens it; open short-circuits, then half-open lets a trial through and closes', async (t) => {
  const { verifier, engine } = setup({ breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeout: 100 } })
  for (let i = 0; i < 3; i++) await verifier.verify(script('throw', { id: i }))
  const registry = verifier.metrics.registry
  t.equal(await metricValue(registry, 'qwed_breaker_state', { engine: 'script' }), 2, 'open')
  const callsWhenOpened = engine.calls
  const r = await verifier.verify(script('true', { id: 99 }))
  t.equal(r.developer_fields.reason, 'breaker_open')
  t.equal(r.admission, 'BLOCKED')
  t.equal(engine.calls, callsWhenOpened, 'an open breaker does not call the engine')
  t.equal(verifier.retryAfterSeconds, 1)
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(await metricValue(registry, 'qwed_breaker_state', { engine: 'script' }), 1, 'half-open')
  const trial = await verifier.verify(script('true', { id: 100 }))
  t.equal(trial.status, 'VERIFIED')
  t.equal(await metricValue(registry, 'qwed_breaker_state', { engine: 'script' }), 0, 'closed again')
})

t.test('breaker timeout: a hanging engine is BLOCKED at the deadline and its work is aborted', async (t) => {
  const { verifier, engine } = setup({ breaker: { timeout: 50 } })
  const r = await verifier.verify(script('hang'))
  t.equal(r.status, 'BLOCKED')
  t.equal(r.developer_fields.reason, 'timeout')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(engine.aborted, 1, 'the engine saw the abort signal')
})

t.test('guard: malformed claims are BLOCKED by the verifier, never thrown', async (t) => {
  const { verifier, engine } = setup({ maxClaimBytes: 1000 })
  const cyclic: any = { type: 'script', verdict: 'true' }
  cyclic.self = cyclic
  let deep: any = { type: 'script', verdict: 'true' }
  for (let i = 0; i < 100; i++) deep = { type: 'script', verdict: 'true', inner: deep }
  const cases: Array<[unknown, string]> = [
    [null, 'claim.invalid'],
    ['2+2=4', 'claim.invalid'],
    [[{ type: 'script' }], 'claim.invalid'],
    [{ verdict: 'true' }, 'claim.unknown_type'],
    [{ type: 'nope' }, 'claim.unknown_type'],
    [{ type: 'script', verdict: 'true', big: 'x'.repeat(5000) }, 'claim.too_large'],
    [{ type: 'script', verdict: 'true', n: Number.NaN }, 'claim.invalid'],
    [{ type: 'script', verdict: 'true', n: 10n }, 'claim.invalid']
  ]
  for (const [claim, constraint] of cases) {
    const r = await verifier.verify(claim as any)
    t.equal(r.status, 'BLOCKED', constraint)
    t.equal(r.admission, 'BLOCKED')
    t.equal(r.engine, 'verifier')
    t.equal(r.developer_fields.constraint_id, constraint)
  }
  t.equal(engine.calls, 0)
  const roomy = setup()
  for (const claim of [cyclic, deep]) {
    const r = await roomy.verifier.verify(claim)
    t.equal(r.developer_fields.constraint_id, 'claim.too_deep')
  }
  t.equal(roomy.engine.calls, 0)
})

t.test('guard: a 10 MB claim is rejected without serialising it', async (t) => {
  const { verifier } = setup()
  const r = await verifier.verify({ type: 'script', verdict: 'true', blob: 'x'.repeat(10_000_000) } as any)
  // One string past the '*' type's longest-text limit (1 MiB): the cheapest limit to see.
  t.equal(r.developer_fields.constraint_id, 'claim.too_long')
  const wide = await verifier.verify({ type: 'script', verdict: 'true', blobs: Array.from({ length: 20 }, () => 'x'.repeat(100_000)) } as any)
  t.equal(wide.developer_fields.constraint_id, 'claim.too_large', 'many strings within the text limit, too many bytes together')
})

t.test('verifyBatch keeps order, bounds concurrency and verifies every claim', async (t) => {
  const { verifier } = setup({ cache: false })
  let inFlight = 0
  let peak = 0
  const slow = {
    name: 'slow',
    claimTypes: ['slow'],
    async verify (claim: any) {
      inFlight++
      peak = Math.max(peak, inFlight)
      await new Promise((resolve) => setTimeout(resolve, 5))
      inFlight--
      return claim.n % 2 === 0 ? scriptEngine().verify({ type: 'script', verdict: 'true', id: claim.n }, { signal: new AbortController().signal }) : scriptEngine().verify({ type: 'script', verdict: 'false' }, { signal: new AbortController().signal })
    }
  }
  const batch = createVerifier({ extraEngines: [slow], audit: false, cache: false })
  t.teardown(() => batch.close())
  const claims = Array.from({ length: 10 }, (_, n) => ({ type: 'slow', n } as any))
  const results = await batch.verifyBatch(claims, { concurrency: 3 })
  t.equal(results.length, 10)
  t.same(results.map((r) => r.status), claims.map((c) => c.n % 2 === 0 ? 'VERIFIED' : 'UNVERIFIABLE'))
  t.equal(peak, 3)
  t.same(await verifier.verifyBatch([]), [])
})

t.test('close(): engines closed, later calls unavailable (reason closing), close twice is harmless', async (t) => {
  const { verifier, engine } = setup()
  await verifier.close()
  await verifier.close()
  t.equal(engine.closed, true)
  const r = await verifier.verify(script('true'))
  t.equal(r.developer_fields.constraint_id, 'verifier.unavailable')
  t.equal(r.developer_fields.reason, 'closing')
  t.equal(r.admission, 'BLOCKED')
})

t.test('audit: one record per verification, warn when not admitted, claim only with includeClaims, secrets redacted', async (t) => {
  const { verifier, audit } = setup({ secrets: ['secret-key-123'] })
  await verifier.verify(script('true', { id: 'a' }), { route: '/quote', mode: 'enforce', requestId: 'req-1' })
  await verifier.verify(script('throw', { id: 'secret-key-123' }), { route: '/quote', mode: 'shadow', requestId: 'req-2' })
  t.equal(audit.records.length, 2)
  const [ok, failed] = audit.records as [Record<string, any>, Record<string, any>]
  t.match(ok, { level: 30, audit: 'qwed.verification', request_id: 'req-1', route: '/quote', engine: 'script', status: 'VERIFIED', admission: 'ADMIT', cached: false, mode: 'enforce', decision: 'admit' })
  t.match(ok.claim_hash, /^sha256:[0-9a-f]{64}$/)
  t.match(ok.proof_ref, /^sha256:/)
  t.type(ok.duration_ms, 'number')
  t.type(ok.verified_at, 'string')
  t.notOk('claim' in ok, 'claims are not logged by default')
  t.match(failed, { level: 40, decision: 'shadow', status: 'BLOCKED', constraint_id: 'script.unavailable' })
  t.notOk(audit.lines.some((line) => line.includes('secret-key-123')), 'the secret appears in no line')

  const withClaims = setup({ audit: { logger: captureLogger().logger, includeClaims: true }, secrets: ['secret-key-123'] })
  const capture = captureLogger()
  const v = createVerifier({ extraEngines: [withClaims.engine], audit: { logger: capture.logger, includeClaims: true }, secrets: ['secret-key-123'] })
  t.teardown(() => v.close())
  await v.verify(script('false', { id: 'token secret-key-123 here' }))
  t.equal(capture.records[0]?.claim.id, 'token [REDACTED] here')
})

t.test('audit: a context logger is used when none is configured; audit:false writes nothing', async (t) => {
  const engine = scriptEngine()
  const fallback = captureLogger()
  const v = createVerifier({ extraEngines: [engine] })
  t.teardown(() => v.close())
  await v.verify(script('true'), { logger: fallback.logger })
  t.equal(fallback.records.length, 1)
  const silent = createVerifier({ extraEngines: [engine], audit: false })
  t.teardown(() => silent.close())
  await silent.verify(script('true'), { logger: fallback.logger })
  t.equal(fallback.records.length, 1)
})

t.test('metrics: verifications counted by engine, route, status, admission and mode; a shared registry works twice', async (t) => {
  const registry = new Registry()
  const a = createVerifier({ extraEngines: [scriptEngine()], audit: false, metrics: { registry } })
  const b = createVerifier({ extraEngines: [scriptEngine()], audit: false, metrics: { registry } })
  t.teardown(async () => { await a.close(); await b.close() })
  await a.verify(script('true'), { route: '/r', mode: 'shadow' })
  await b.verify(script('false'), { route: '/r', mode: 'enforce' })
  t.equal(await metricValue(registry, 'qwed_verifications_total', { engine: 'script', route: '/r', status: 'VERIFIED', admission: 'ADMIT', mode: 'shadow' }), 1)
  t.equal(await metricValue(registry, 'qwed_verifications_total', { engine: 'script', route: '/r', status: 'UNVERIFIABLE', admission: 'BLOCKED', mode: 'enforce' }), 1)
  const text = await registry.metrics()
  t.match(text, /qwed_verification_duration_seconds_bucket\{le="0.005",engine="script",cached="false"\}/)
})

t.test('options are validated with errors that name the option', async (t) => {
  const bad: Array<[unknown, string]> = [
    ['nope', 'options'],
    [{ cache: { max: 0 } }, 'cache.max'],
    [{ cache: { size: 1 } }, 'cache.size'],
    [{ breaker: { timeout: -1 } }, 'breaker.timeout'],
    [{ breaker: { errorThresholdPercentage: 101 } }, 'breaker.errorThresholdPercentage'],
    [{ metrics: { registry: {} } }, 'metrics.registry'],
    [{ audit: { logger: {} } }, 'audit.logger'],
    [{ audit: { includeClaims: 'yes' } }, 'audit.includeClaims'],
    [{ maxClaimBytes: 1.5 }, 'maxClaimBytes'],
    [{ extraEngines: [{}] }, 'extraEngines[0]'],
    [{ extraEngines: {} }, 'extraEngines'],
    [{ secrets: [1] }, 'secrets'],
    [{ typo: 1 }, 'typo']
  ]
  for (const [options, name] of bad) {
    let thrown: unknown
    try {
      createVerifier(options as any)
    } catch (err) {
      thrown = err
    }
    t.ok(thrown instanceof QwedOptionsError, name)
    t.equal((thrown as QwedOptionsError).option, name)
    t.match((thrown as Error).message, `"${name}"`)
  }
})

t.test('metrics: counts tallied on the hot path reach prom-client when read; a reset drops what was pending', async (t) => {
  const registry = new Registry()
  const v = createVerifier({ extraEngines: [scriptEngine()], audit: false, metrics: { registry } })
  t.teardown(() => v.close())
  const labels = { engine: 'script', route: '/t', status: 'VERIFIED', admission: 'ADMIT', mode: 'enforce' }
  for (let i = 0; i < 3; i++) await v.verify(script('true', { id: 't' }), { route: '/t' })
  t.equal(await metricValue(registry, 'qwed_verifications_total', labels), 3)
  t.equal(await metricValue(registry, 'qwed_cache_events_total', { tier: 'local', event: 'hit' }), 2)
  await v.verify(script('true', { id: 't' }), { route: '/t' })
  registry.resetMetrics()
  t.equal(await metricValue(registry, 'qwed_verifications_total', labels), 0, 'the pending count went with the reset')
  await v.verify(script('true', { id: 't' }), { route: '/t' })
  t.equal(await metricValue(registry, 'qwed_verifications_total', labels), 1)
  t.match(await registry.metrics(), /qwed_verifications_total\{engine="script",route="\/t",status="VERIFIED",admission="ADMIT",mode="enforce"\} 1/)
})

t.test('a claim that cannot be read (a throwing getter, a throwing Proxy trap) is refused, never a rejected verify()', async (t) => {
  const verifier = createVerifier({ audit: false, extraEngines: [scriptEngine()] })
  t.teardown(async () => { await verifier.close() })
  const getter: Record<string, unknown> = { type: 'script' }
  Object.defineProperty(getter, 'verdict', { enumerable: true, get () { throw new Error('secret-in-message') } })
  const trap = new Proxy({ type: 'script', verdict: 'true' }, { ownKeys () { throw new Error('no keys') } })
  const typeGetter = { get type (): string { throw new Error('no type') } }
  // A list long enough to be a heavy claim: its guard runs in a turn of its own.
  const heavy: Record<string, unknown> = { type: 'script', verdict: 'true', items: Array.from({ length: 9000 }, (_, i) => i) }
  Object.defineProperty(heavy.items as unknown[], 4000, { enumerable: true, get () { throw new Error('late') } })
  for (const claim of [getter, trap, typeGetter, heavy]) {
    const result = await verifier.verify(claim as never)
    t.equal(result.status, 'BLOCKED')
    t.equal(result.admission, 'BLOCKED')
    t.same(result.developer_fields, { is_valid: false, constraint_id: 'claim.invalid', reason: 'unreadable' }, 'the error message is not kept')
    const [batched] = await verifier.verifyBatch([claim as never])
    t.equal(batched?.developer_fields.constraint_id, 'claim.invalid')
  }
  t.equal((await verifier.verify({ type: 'script', verdict: 'true' } as never)).admission, 'ADMIT', 'the verifier goes on')

  // Its audit record (includeClaims, secrets scrubbed) keeps the claim as null, the one thing it can write.
  const capture = captureLogger()
  const recorded = createVerifier({ secrets: ['k-123'], audit: { includeClaims: true, logger: capture.logger }, extraEngines: [scriptEngine()] })
  t.teardown(async () => { await recorded.close() })
  for (const claim of [getter, { type: 'script', verdict: 'true', n: 1n }]) t.equal((await recorded.verify(claim as never)).developer_fields.constraint_id, 'claim.invalid')
  await recorded.verify({ type: 'script', verdict: 'true', key: 'k-123' } as never)
  t.same(capture.records.map((r) => r.claim), [null, null, { type: 'script', verdict: 'true', key: '[REDACTED]' }])
})
