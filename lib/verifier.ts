import { performance } from 'node:perf_hooks'
import type { Claim } from '../types/claims.js'
import type { Engine, EngineResult } from '../types/engine.js'
import type { BatchOptions, Mode, UnavailablePolicy, VerifierOptions, VerifyContext } from '../types/options.js'
import type { DiagnosticResult, VerificationResult } from '../types/result.js'
import type { Decision } from '../types/route.js'
import { BREAKER_DEFAULTS, createEngineBreaker, type EngineBreaker } from './breaker.js'
import { CACHE_DEFAULTS, CHECKED_CLAIMS_MAX, CheckedClaims, createResultCache } from './cache.js'
import { createEngineRegistry } from './engines/index.js'
import { remoteSecrets, type RemoteEngine } from './engines/remote.js'
import { VerdictError } from './errors.js'
import { checkClaimShape, hashClaim, type ClaimCheck } from './guard/input.js'
import { TurnQueue } from './turn-queue.js'
import { busyResult } from './engines/busy.js'
import { resolveClaimLimits } from './guard/limits.js'
import { auditUnavailable, createAuditSink, type AuditEntry } from './observe/audit.js'
import { InFlight } from './inflight.js'
import { claimChannel, openTracing, traceClaims } from './observe/tracing.js'
import { flushDefaultAuditLog } from './observe/default-audit-log.js'
import { createMetrics, tallyOf, type QwedMetrics } from './observe/metrics.js'
import { openAuditTrail, type AuditTrail } from './observe/store/trail.js'
import { validateVerifierOptions } from './options.js'
import { decide } from './policy.js'
import { admissionOf, blocked, freezeVerdict, isUnavailable } from './result.js'

export interface Verifier {
  /** Verifies one claim. Never throws: bad claims and engine failures come back BLOCKED. */
  verify(claim: Claim, context?: VerifyContext): Promise<VerificationResult>
  /** Verifies claims with at most `concurrency` in flight; results keep the order of `claims`. */
  verifyBatch(claims: readonly Claim[], options?: BatchOptions & VerifyContext): Promise<VerificationResult[]>
  /**
   * Loads what the engines would otherwise load on their first claim, inside its deadline: the
   * engines' modules (they load lazily), Z3 for logic claims (seconds), and, with `pool`, starts
   * every worker and waits until each has built its engines. `claimTypes`: only the engines of these
   * claim types (unknown types are ignored); default every engine. Call it at startup, before
   * taking traffic (the Fastify plugin does at onReady); rejects when an engine cannot load.
   */
  warmUp(claimTypes?: readonly string[]): Promise<void>
  /** Stops the breakers, closes the engines, empties the cache and flushes the audit store. Later calls return BLOCKED. */
  close(): Promise<void>
  /** The qwed_* metrics (adapters add their response counters here). */
  readonly metrics: QwedMetrics
  /**
   * Seconds a client should wait before retrying after an unavailable engine: while a QWED server's
   * 429 Retry-After is running, what is left of it (the server's own value); otherwise the
   * breaker's reset time. Read when the 503 is written.
   */
  readonly retryAfterSeconds: number
  /** The audit store (`audit.store`): query, verifyChain, export, prune. null when none is configured. */
  readonly audit: AuditTrail | null
  /** What the readiness check reads (lib/health.ts): closing, warm-up, each engine's breaker. */
  status(): VerifierStatus
  /** Asks the QWED server's /health (null when no remote engine is configured). */
  checkRemote(timeoutMs: number): Promise<boolean | null>
}

export interface VerifierStatus {
  /** close() has begun: new claims are answered unavailable (reason `closing`). */
  closing: boolean
  /** warmUp(): never called, running, finished, or rejected (an engine could not load). */
  warmUp: 'not_started' | 'pending' | 'done' | 'failed'
  /** Verifications running now. */
  inFlight: number
  engines: Array<{ name: string, breaker: 'closed' | 'half_open' | 'open' }>
}

const DIRECT_ROUTE = '__direct__'

/**
 * The adapters' entry (not public): verifyBatch without a promise when every verdict is known at
 * once. Read it with verifyBatchNow(); a verifier made elsewhere falls back to verifyBatch.
 */
const VERIFY_BATCH_NOW = Symbol('qwed.verifyBatchNow')

type BatchNow = (claims: readonly Claim[], options?: BatchOptions & VerifyContext) => VerificationResult[] | Promise<VerificationResult[]>
interface InternalVerifier extends Verifier { [VERIFY_BATCH_NOW]: BatchNow }

/** Verifies a batch, synchronously when the verifier can tell every verdict at once. */
export function verifyBatchNow (verifier: Verifier, claims: readonly Claim[], options: BatchOptions & VerifyContext): VerificationResult[] | Promise<VerificationResult[]> {
  const now = (verifier as Partial<InternalVerifier>)[VERIFY_BATCH_NOW]
  return now === undefined ? verifier.verifyBatch(claims, options) : now(claims, options)
}

// The local tier's cache events: the same label objects every time.
const LOCAL_HIT = { tier: 'local', event: 'hit' } as const
const LOCAL_MISS = { tier: 'local', event: 'miss' } as const
const LOCAL_STORE = { tier: 'local', event: 'store' } as const

/** One claim's audit entry; the request id is read only by a record that is written. */
class ClaimAudit implements AuditEntry {
  constructor (
    readonly context: VerifyContext,
    readonly route: string,
    readonly claimHash: string | null,
    readonly claim: unknown,
    readonly result: VerificationResult,
    readonly mode: Mode,
    readonly decision: Decision
  ) {}

  get requestId (): string | undefined { return this.context.requestId }
}

/** A claim of a batch that its engine must decide: verified when its lane starts it. */
const LATER = Symbol('later')

/**
 * A claim at least this large (a lower bound of its JSON size, in UTF-16 units) has its canonical
 * form and hash made in a turn of its own (lib/turn-queue.ts): at the default caps one takes up to
 * ~10 ms, and a burst of them in one turn held the event loop past 50 ms (bench/event-loop.ts).
 */
const HEAVY_CLAIM_SIZE = 64 * 1024
/** A top-level list this long makes a claim heavy without a walk (a data set of numbers). */
const HEAVY_LIST_LENGTH = 8192
/** Big claims that may wait for their turn; one more is answered busy. */
const HEAVY_CLAIMS_WAITING = 64

/** A claim whose guard runs in a turn of its own; `walked`: its limits are already checked. */
interface Heavy { ok: 'heavy', type: string, walked: boolean }

/**
 * The type of a claim of a known type with a top-level list or text long enough to make it heavy
 * (checked without walking it: a claim has a handful of fields), else null.
 */
function bulkyType (claim: unknown, knownTypes: ReadonlySet<string>): string | null {
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return null
  const type = (claim as { type?: unknown }).type
  if (typeof type !== 'string' || !knownTypes.has(type)) return null
  for (const key in claim) {
    if (!Object.hasOwn(claim, key)) continue
    const value = (claim as Record<string, unknown>)[key]
    if ((Array.isArray(value) && value.length >= HEAVY_LIST_LENGTH) || (typeof value === 'string' && value.length >= HEAVY_CLAIM_SIZE)) return type
  }
  return null
}

/**
 * The guard of a claim that cannot be read (a getter or a Proxy trap that throws): refused, never a
 * rejected verify(). The error itself is not kept: its message is the application's, not ours.
 */
function readSafely<T> (read: () => T): T | Extract<ClaimCheck, { ok: false }> {
  try {
    return read()
  } catch {
    return { ok: false, result: blocked('The claim could not be read', { constraint_id: 'claim.invalid', reason: 'unreadable' }) }
  }
}

/**
 * A claim that passed the guard: its engine, its cache key and its hash (`sha256:<hex>`, for the
 * audit record). `text`: the JSON text of a flat claim not yet in `checkedClaims`, remembered there
 * only once it hits the cache (a claim never seen again, a miss, is not worth an entry).
 */
interface Checked { ok: true, type: string, engine: Engine<Claim>, key: string, claimHash: string, text: string | undefined }

/** A verdict and where it came from. */
interface Judged { result: Readonly<DiagnosticResult>, cached: boolean }

// Closing: unavailable (503 + Retry-After under onUnavailable 'closed'), so a client retries elsewhere.
const CLOSED: Judged = { result: freezeVerdict(blocked('Verification is temporarily unavailable', { constraint_id: 'verifier.unavailable', reason: 'closing' })), cached: false }

/** The framework-free pipeline: guard -> cache -> breaker -> engine -> result -> audit + metrics. */
export function createVerifier (options?: VerifierOptions): Verifier {
  const opts = validateVerifierOptions(options)
  const limits = resolveClaimLimits(opts.limits, opts.maxClaimBytes)
  const secrets = [...(opts.secrets ?? []), ...remoteSecrets(opts)]
  const metrics = createMetrics(opts.metrics?.registry)
  const cache = createResultCache(opts.cache, (event) => { tallyOf(metrics.cacheEvents).inc({ tier: 'redis', event }) })
  const auditTrail = openAuditTrail(opts.audit, { secrets, registry: metrics.registry })
  const audit = createAuditSink(opts.audit, secrets, auditTrail)
  const tracing = openTracing(metrics, opts.tracing, secrets)

  const engines = createEngineRegistry({ ...opts, metrics: { ...opts.metrics, registry: metrics.registry } })
  for (const engine of opts.extraEngines ?? []) {
    for (const type of engine.claimTypes) engines.set(type, engine as Engine<Claim>)
  }
  const knownTypes = new Set(engines.keys())
  const breakers = new Map<Engine<Claim>, EngineBreaker>()
  for (const engine of new Set(engines.values())) {
    // The remote engine brings its own breaker timeout (past its deadline) and probes /health when half-open.
    const { breakerTimeout, onBreakerState } = engine as Partial<RemoteEngine>
    const breakerOptions = breakerTimeout === undefined ? opts.breaker : { ...opts.breaker, timeout: breakerTimeout }
    breakers.set(engine, createEngineBreaker(engine, breakerOptions, (state) => {
      metrics.breakerState.set({ engine: engine.name }, state)
      onBreakerState?.call(engine, state)
    }))
  }
  let closed = false
  let warm: VerifierStatus['warmUp'] = 'not_started'
  const inflight = new InFlight()

  // Only with a cache: a claim seen again is most likely a cache hit.
  const cacheMax = (opts.cache === false ? undefined : opts.cache?.max) ?? CACHE_DEFAULTS.max
  const checkedClaims = cache === null ? null : new CheckedClaims<Checked>(Math.min(cacheMax, CHECKED_CLAIMS_MAX))
  const heavySteps = new TurnQueue()
  const verifications = tallyOf(metrics.verifications)
  const cacheEvents = tallyOf(metrics.cacheEvents)

  /**
   * A miss: the shared tier, the engine's fast path, then the engine behind its breaker. Verdicts
   * are frozen when stored, never copied.
   */
  async function judge (claim: Claim, engine: Engine<Claim>, key: string): Promise<Judged> {
    // Only a first-tier miss pays for a round trip to the shared tier.
    if (cache?.shared != null) {
      const found = await cache.shared.lookup(key)
      if (found.kind === 'hit') return { result: found.result, cached: true }
      if (found.kind === 'unavailable' && cache.shared.onError === 'closed') {
        return { result: freezeVerdict(blocked('Verification is temporarily unavailable', { constraint_id: `${engine.name}.unavailable`, reason: 'cache_unavailable' })), cached: false }
      }
    }
    const breaker = breakers.get(engine) as EngineBreaker
    try {
      return { result: store(key, await breaker.call(claim)), cached: false }
    } catch (err) {
      if (err instanceof VerdictError) return { result: freezeVerdict(err.result), cached: false }
      return { result: unavailable(engine.name, err), cached: false }
    }
  }

  /** Freezes an engine's verdict and caches it unless the engine said not to. */
  function store (key: string, answer: EngineResult): Readonly<DiagnosticResult> {
    // A plain object without a `cacheable` field (the fast path's verdicts, most engines') is the
    // verdict as it is: no copy to leave the field out.
    let result: DiagnosticResult = answer
    let cacheable: boolean | undefined
    if (Object.hasOwn(answer, 'cacheable') || Object.getPrototypeOf(answer) !== Object.prototype) ({ cacheable, ...result } = answer)
    if (cache !== null && cacheable !== false) {
      // cache.set freezes it.
      cache.set(key, result)
      cacheEvents.inc(LOCAL_STORE)
    } else {
      freezeVerdict(result)
    }
    return result
  }

  /**
   * One claim. Synchronous when the verdict is known at once (closed, refused by the guard, a
   * first-tier cache hit, the engine's fast path), a promise otherwise.
   */
  function verifyNow (claim: Claim, context: VerifyContext): VerificationResult | Promise<VerificationResult> {
    // Published on the claim channel only when a tracer listens (lib/observe/tracing.ts).
    if (claimChannel.hasSubscribers) return inflight.add(traced(claim, context))
    return counted(verifyUntraced(claim, context, false) as VerificationResult | Promise<VerificationResult>)
  }

  /** Only a verification still running is counted: close() waits for it. */
  function counted (answer: VerificationResult | Promise<VerificationResult>): VerificationResult | Promise<VerificationResult> {
    return answer instanceof Promise ? inflight.add(answer) : answer
  }

  /**
   * `probing` (a batch asking which verdicts are known at once): a claim the engine itself must
   * decide returns LATER with nothing counted or reported, and its lane verifies it in full later.
   */
  function verifyUntraced (claim: Claim, context: VerifyContext, probing: boolean): VerificationResult | Promise<VerificationResult> | typeof LATER {
    const started = performance.now()
    if (closed) return report(claim, context, started, CLOSED, null, 'verifier', undefined)
    const checked = guard(claim)
    if (checked.ok === 'heavy') {
      // A big claim's canonical form and hash wait for their own turn of the event loop; with too
      // many waiting already, the claim is answered busy at once (docs/overload.md).
      if (probing) return LATER
      if (heavySteps.waiting >= HEAVY_CLAIMS_WAITING) {
        const engine = engines.get(checked.type) as Engine<Claim>
        const { cacheable, ...busy } = busyResult(engine.name, { waiting: 'claim_guard' })
        return report(claim, context, started, { result: freezeVerdict(busy), cached: false }, null, engine.name, checked.type)
      }
      return heavySteps.run(() => readSafely(() => checked.walked ? hashed(claim, checked.type, undefined) : walkedAndHashed(claim))).then((done) => afterGuard(claim, context, started, done, false) as VerificationResult | Promise<VerificationResult>)
    }
    return afterGuard(claim, context, started, checked, probing)
  }

  /** verifyUntraced once the claim guard has answered. */
  function afterGuard (claim: Claim, context: VerifyContext, started: number, checked: Checked | Extract<ClaimCheck, { ok: false }>, probing: boolean): VerificationResult | Promise<VerificationResult> | typeof LATER {
    if (!checked.ok) return report(claim, context, started, { result: freezeVerdict(checked.result), cached: false }, null, 'verifier', undefined)
    const { engine, key, claimHash, type } = checked
    if (cache !== null) {
      const hit = cache.get(key)
      if (hit !== undefined) {
        if (checked.text !== undefined) remember(checked)
        cacheEvents.inc(LOCAL_HIT)
        return report(claim, context, started, { result: hit, cached: true }, claimHash, engine.name, type)
      }
    }
    // A claim the engine decides at once, without its breaker (exact arithmetic on a short text),
    // unless a shared tier is asked first.
    const quick = cache?.shared == null ? fastVerdict(engine, claim) : undefined
    if (quick === undefined && probing) return LATER
    if (cache !== null) cacheEvents.inc(LOCAL_MISS)
    if (quick !== undefined) {
      return report(claim, context, started, { result: store(key, quick), cached: false }, claimHash, engine.name, type)
    }
    return judge(claim, engine, key).then((verdict) => report(claim, context, started, verdict, claimHash, engine.name, type))
  }

  /**
   * The claim guard (lib/guard/input.ts checkClaim), and what a passed claim is known by: its cache
   * key and its hash. A flat claim that hit the cache before is answered from `checkedClaims` (lib/cache.ts).
   */
  function guard (claim: Claim): Checked | Extract<ClaimCheck, { ok: false }> | Heavy {
    return readSafely(() => guardClaim(claim))
  }

  function guardClaim (claim: Claim): Checked | Extract<ClaimCheck, { ok: false }> | Heavy {
    const text = checkedClaims?.textOf(claim)
    if (text !== undefined) {
      const known = checkedClaims?.get(text)
      if (known !== undefined) return known
    }
    // A long list or text at the top (a data set, a source file) is heavy before any walk.
    const bulky = bulkyType(claim, knownTypes)
    if (bulky !== null) return { ok: 'heavy', type: bulky, walked: false }
    const shape = checkClaimShape(claim, knownTypes, limits)
    if (!shape.ok) return shape
    if (shape.size >= HEAVY_CLAIM_SIZE) return { ok: 'heavy', type: shape.type, walked: true }
    return hashed(claim, shape.type, text)
  }

  /** The whole guard of a heavy claim the walk has not seen yet, in its own turn. */
  function walkedAndHashed (claim: Claim): Checked | Extract<ClaimCheck, { ok: false }> {
    const shape = checkClaimShape(claim, knownTypes, limits)
    return shape.ok ? hashed(claim, shape.type, undefined) : shape
  }

  /** The guard's second part (canonical form, exact size, hash); `text`: remember a flat claim by it. */
  function hashed (claim: Claim, type: string, text: string | undefined): Checked | Extract<ClaimCheck, { ok: false }> {
    const checked = hashClaim(claim, type, limits)
    if (!checked.ok) return checked
    const engine = engines.get(checked.type) as Engine<Claim>
    return { ok: true, type: checked.type, engine, key: `${engine.name}:${checked.hash}`, claimHash: 'sha256:' + checked.hash, text }
  }

  /** A flat claim that hit the cache: later copies of it skip the guard. */
  function remember (checked: Checked): void {
    checkedClaims?.set(checked.text as string, checked)
    checked.text = undefined
  }

  /** The result, its metrics and its audit record. A promise only when the audit queue makes us wait. */
  function report (claim: Claim, context: VerifyContext, started: number, verdict: Judged, claimHash: string | null, engineName: string, claimType: string | undefined): VerificationResult | Promise<VerificationResult> {
    const duration = performance.now() - started
    const route = context.route ?? DIRECT_ROUTE
    const mode: Mode = context.mode ?? 'enforce'
    const durationMs = Math.round(duration * 1000) / 1000
    // Two literals rather than a spread of an empty object: the same fields in the same order.
    const result: VerificationResult = claimType === undefined
      ? { ...verdict.result, admission: admissionOf(verdict.result), engine: engineName, cached: verdict.cached, duration_ms: durationMs }
      : { ...verdict.result, admission: admissionOf(verdict.result), engine: engineName, claim_type: claimType, cached: verdict.cached, duration_ms: durationMs }
    const engineLabel = metricEngineLabel(engineName, claimType)
    verifications.inc({ engine: engineLabel, route, status: result.status, admission: result.admission, mode })
    metrics.duration.observe({ engine: engineLabel, cached: result.cached ? 'true' : 'false' }, duration / 1000)
    if (isUnavailable(result)) metrics.engineErrors.inc({ engine: engineLabel, reason: String(result.developer_fields.reason) })
    if (!audit.enabled) return result
    const onUnavailable: UnavailablePolicy = context.onUnavailable ?? 'closed'
    const queued = audit(new ClaimAudit(context, route, claimHash, claim, result, mode, decide([result], mode, onUnavailable)), context.logger)
    // A full audit queue with onFull 'block': wait until the record is queued; durability
    // 'before-response': until it is stored, and a record that could not be is unavailable.
    return queued === undefined ? result : queued.then((stored) => stored === false ? auditUnavailable(result) : result)
  }
  const traced = traceClaims(metrics, async (claim, context = {}) => await (verifyUntraced(claim, context, false) as VerificationResult | Promise<VerificationResult>))

  async function verify (claim: Claim, context: VerifyContext = {}): Promise<VerificationResult> {
    return await verifyNow(claim, context)
  }

  async function warmUp (claimTypes?: readonly string[]): Promise<void> {
    const selected = claimTypes === undefined
      ? new Set(engines.values())
      : new Set(claimTypes.flatMap((type) => engines.get(type) ?? []))
    warm = 'pending'
    const warming = Promise.all([...selected].map(async (engine) => { await engine.warmUp?.() }).concat(cache?.ready() ?? []))
    await warming.then(() => { warm = 'done' }, (err: unknown) => {
      warm = 'failed'
      throw err
    })
  }

  async function verifyBatch (claims: readonly Claim[], options: BatchOptions & VerifyContext = {}): Promise<VerificationResult[]> {
    return await verifyBatchNow(claims, options)
  }

  /**
   * verifyBatch, synchronous when every verdict is known at once. The verdicts known now (closed,
   * refused, cached, the fast path) are reported first; the claims an engine must decide then run
   * in lanes, at most `concurrency` at once, each verified in full when its lane starts it (so a
   * claim repeated in the batch can hit the verdict an earlier one stored).
   */
  function verifyBatchNow (claims: readonly Claim[], options: BatchOptions & VerifyContext = {}): VerificationResult[] | Promise<VerificationResult[]> {
    // One claim (most responses): no lanes, no workers; the same verify, so the same result.
    if (claims.length === 1) {
      const answer = verifyNow(claims[0] as Claim, options)
      return answer instanceof Promise ? answer.then((result) => [result]) : [answer]
    }
    // The options are the claims' context as they are: a copy would read requestId and logger
    // (getters of the adapters' context) before any audit record needs them.
    const context: VerifyContext = options
    const concurrency = options.concurrency ?? 4
    const width = Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 4
    const results = new Array<VerificationResult>(claims.length)
    const waits: Array<Promise<void>> = []
    const later: number[] = []
    const probing = !claimChannel.hasSubscribers
    for (let index = 0; index < claims.length; index++) {
      const answer = probing ? verifyUntraced(claims[index] as Claim, context, true) : LATER
      if (answer === LATER) later.push(index)
      else if (answer instanceof Promise) waits.push(inflight.add(answer).then((result) => { results[index] = result }))
      else results[index] = answer
    }
    if (later.length === 0 && waits.length === 0) return results
    // Claims for an engine that answers many in one request (the remote engine: one /verify/batch)
    // run up to its batch size at once, so that they travel together; the others `concurrency` at once.
    const lanes = new Map<number, number[]>()
    for (const index of later) {
      const type = (claims[index] as { type?: unknown } | null)?.type
      const size = (engines.get(typeof type === 'string' ? type : '') as Partial<RemoteEngine> | undefined)?.batchSize ?? width
      const indexes = lanes.get(size)
      if (indexes === undefined) lanes.set(size, [index])
      else indexes.push(index)
    }
    async function lane (size: number, indexes: number[]): Promise<void> {
      let next = 0
      async function worker (): Promise<void> {
        while (next < indexes.length) {
          const index = indexes[next++] as number
          results[index] = await verifyNow(claims[index] as Claim, context)
        }
      }
      await Promise.all(Array.from({ length: Math.min(size, indexes.length) }, worker))
    }
    for (const [size, indexes] of lanes) waits.push(lane(size, indexes))
    return Promise.all(waits).then(() => results)
  }

  async function close (): Promise<void> {
    if (closed) return
    closed = true
    // Verifications already running finish (bounded by their breaker's timeout) and queue their
    // records; a durable one waiting on an unreachable store waits only the store's closing grace.
    auditTrail?.closing()
    await inflight.idle()
    for (const breaker of breakers.values()) breaker.shutdown()
    await Promise.allSettled([...breakers.keys()].map(async (engine) => await engine.close?.()))
    cache?.clear()
    checkedClaims?.clear()
    await cache?.close()
    await auditTrail?.close()
    // The default audit log gathers lines (lib/observe/default-audit-log.ts): write what it holds.
    await flushDefaultAuditLog()
    tracing?.close()
  }

  const verifier: InternalVerifier = {
    [VERIFY_BATCH_NOW]: verifyBatchNow,
    verify,
    verifyBatch,
    warmUp,
    close,
    metrics,
    get retryAfterSeconds () {
      // a QWED server that said how long to wait is believed over our own breaker's guess
      for (const engine of new Set(engines.values())) {
        const seconds = (engine as Partial<RemoteEngine>).retryAfterSeconds?.call(engine)
        if (typeof seconds === 'number') return seconds
      }
      return Math.ceil((opts.breaker?.resetTimeout ?? BREAKER_DEFAULTS.resetTimeout) / 1000)
    },
    audit: auditTrail,
    status: () => ({
      closing: closed,
      warmUp: warm,
      inFlight: inflight.size,
      engines: [...breakers].map(([engine, breaker]) => ({ name: engine.name, breaker: BREAKER_STATES[breaker.state] }))
    }),
    async checkRemote (timeoutMs) {
      const remote = [...breakers.keys()].find((engine) => engine.name === 'remote') as Partial<RemoteEngine> | undefined
      return remote?.checkHealth === undefined ? null : await remote.checkHealth(timeoutMs)
    }
  }
  return verifier
}

const BREAKER_STATES = ['closed', 'half_open', 'open'] as const

/** The engine's fast path; one that throws (it must not) leaves the claim to verify() and its breaker. */
function fastVerdict (engine: Engine<Claim>, claim: Claim): EngineResult | undefined {
  try {
    return engine.fastVerify?.(claim)
  } catch {
    return undefined
  }
}

/**
 * The `engine` label of the per-claim metrics: the engine's name, and for an engine that serves
 * several claim types on behalf of others (the remote engine) also the claim type, `remote:math`,
 * so dashboards keep the claim type. Bounded: engine names times the registered claim types.
 */
function metricEngineLabel (engine: string, claimType: string | undefined): string {
  return engine === 'remote' && claimType !== undefined ? `remote:${claimType}` : engine
}

/** An engine that could not answer: fail closed, and say why only in developer_fields. */
function unavailable (engine: string, err: unknown): DiagnosticResult {
  const code = (err as { code?: unknown } | null)?.code
  const reason = code === 'EOPENBREAKER' ? 'breaker_open' : code === 'ETIMEDOUT' ? 'timeout' : 'engine_error'
  const fields: Record<string, unknown> = { constraint_id: `${engine}.unavailable`, reason }
  if (reason === 'engine_error') fields.error = err instanceof Error ? err.message : String(err)
  return freezeVerdict(blocked('Verification is temporarily unavailable', fields))
}
