/**
 * Worker pool for CPU-bound engines (piscina). A pooled engine has the name and claim types of the
 * engine it wraps; its verify sends the claim to a worker thread that built the same engine
 * (pool-worker.ts) and returns the worker's verdict.
 *
 * - Deadline: a claim that runs longer than `deadlineMs` in a worker is answered BLOCKED with
 *   constraint_id `<engine>.timeout` (not cached) at the deadline. The work itself stops in two
 *   stages: at `deadlineMs` the engine's signal reads as aborted (an engine that watches it, like
 *   math, stops and keeps its warm worker; pool-worker.ts); a claim still running `KILL_GRACE_MS`
 *   later is ended with its worker, and piscina starts a replacement. The deadline counts from the
 *   moment the worker starts the claim, so waiting for a free worker (or for the workers to boot)
 *   does not eat into it; the caller's signal (the verifier's breaker timeout) bounds the wait.
 * - Overload is not failure: at most `maxQueue` claims wait for a slot; one more is answered busy
 *   at once (`<engine>.unavailable`, reason `busy`). The pooled engine `queues`: it tells the
 *   breaker when a worker starts the claim, so the wait (and a cold start's worker boot) is neither
 *   timed nor counted by the breaker.
 * - Warm spare: the pool runs `threads + 1` workers but lets at most `threads` claims run at once,
 *   so when a worker is ended, the next claim goes to a worker that is already loaded while the
 *   replacement boots (about 0.75 s: the engines load mathjs).
 * - Crashes are infrastructure: a worker that dies (out of memory past `resourceLimits`, an uncaught
 *   error) or cannot start makes verify throw, so the verifier's breaker counts it.
 * - Lazy: no thread starts before the first claim of a pooled engine. The engines of one registry
 *   share one pool; closing any of them closes it (the verifier closes them all together).
 */
import { existsSync } from 'node:fs'
import * as workerThreads from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { Engine, EngineContext, EngineResult } from '../../types/engine.js'
import type { PoolOptions, VerifierOptions } from '../../types/options.js'
import { RunAbandoned } from './abort-reasons.js'
import { busyResult } from './busy.js'
import { timeoutResult } from './pool-worker.js'
import { createSlots, type Release } from './slots.js'

export const POOL_DEFAULTS = { deadlineMs: 250, threads: 2, maxQueue: 256 } as const

/**
 * How long past the deadline a claim may take to stop on its own before its worker is ended. A kill
 * costs a worker boot (0.75 s idle, seconds on a loaded machine), so a worker that is only slow to
 * notice the deadline (starved of CPU) is worth waiting for; its caller has its answer already.
 */
export const KILL_GRACE_MS = 1000

/** Heap and stack of one worker. A claim that needs more ends its worker (an error), never the process. */
export const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 } as const

/** Longest wait for a worker to take a claim (boot included) when the caller sets no deadline of its own. */
export const START_TIMEOUT_MS = 60_000

export interface EnginePoolSettings extends PoolOptions {
  /** Longest wait for a worker to take a claim; default START_TIMEOUT_MS. */
  startTimeoutMs?: number
}

/** Where a worker thread finds an engine entry: `(await import(module))[exportName]`, then `[index]` if given. */
export interface WorkerSource {
  module: string
  exportName: string
  index?: number
}

/** workerData of every pool worker. */
export interface PoolWorkerData {
  sources: WorkerSource[]
  deadlineMs: number
  /** The plain-JSON part of the verifier options, passed to each entry's create(). */
  options: unknown
}

/** One claim sent to a worker; `engine` indexes PoolWorkerData.sources. */
export interface PoolTask {
  id: number
  engine: number
  claim: unknown
}

/** What a worker posts on its parentPort besides piscina's own messages. */
export type PoolMessage = { qwedPool: 'start', id: number } | { qwedPool: 'ready', threadId: number }

export interface PoolStats {
  /** Worker threads alive or booting: 0 before the first claim and after close, else threads + 1. */
  workers: number
  /** Workers that have built their engines. */
  ready: number
  /** Claims in workers now (at most `threads`). */
  running: number
  /** Claims waiting for a free slot. */
  queued: number
  /** Claims answered busy at once: `maxQueue` claims were already waiting. */
  busy: number
  /** Claims stopped at the deadline (by the engine, or by ending their worker). */
  timeouts: number
  /** Of those, the claims that did not stop on their own: their workers were ended. */
  killed: number
  /** Claims that failed because their worker crashed or could not start, or their engine threw. */
  errors: number
  /** Workers ended (deadline, crash) and replaced while the pool was open. */
  replaced: number
}

export interface EnginePool {
  readonly deadlineMs: number
  readonly threads: number
  /** A pooled engine with the name and claim types of `engine`, built in the workers from `source`. */
  wrap: <C extends { type: string }>(engine: Engine<C>, source: WorkerSource) => Engine<C>
  /** Starts the workers now instead of on the first claim; resolves when all of them are ready. */
  warm: () => Promise<void>
  stats: () => PoolStats
  /** Ends every worker; claims still running fail (infrastructure) and later claims throw. */
  close: () => Promise<void>
}

interface Pending {
  readonly controller: AbortController
  started: boolean
  onStart: () => void
}

interface Instance {
  readonly piscina: Piscina
  readonly ready: Set<number>
  readonly pending: Map<number, Pending>
  readonly warmWaiters: Set<{ resolve: () => void, reject: (err: Error) => void }>
}

/**
 * The pool settings of the verifier options, or null when the CPU-bound engines run on the event
 * loop (with their own caps). Off unless asked for: `pool: {}` turns it on with the defaults
 * (docs/pool.md says why it is not on by default).
 */
export function poolSettings (options: VerifierOptions): PoolOptions | null {
  const pool = options.pool
  return pool === undefined || pool === false ? null : pool
}

const pools = new WeakMap<object, EnginePool>()

/** The pool a pooled engine runs in (undefined for an engine that runs on the event loop). */
export function poolOf (engine: object): EnginePool | undefined {
  return pools.get(engine)
}

/**
 * A pool for the CPU-bound engines of one registry. `engineOptions` are the verifier options; their
 * plain-JSON part reaches each entry's create() in the workers.
 */
export function createEnginePool (options: EnginePoolSettings = {}, engineOptions: VerifierOptions = {}): EnginePool {
  const deadlineMs = options.deadlineMs ?? POOL_DEFAULTS.deadlineMs
  const startTimeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS
  const threads = options.threads ?? POOL_DEFAULTS.threads
  const maxQueue = options.maxQueue ?? POOL_DEFAULTS.maxQueue
  const workerCount = threads + 1
  const sources: WorkerSource[] = []
  const workerOptions = plainJson(engineOptions, 0, WORKER_SKIPPED_OPTIONS)
  const slots = createSlots(threads, maxQueue)
  const counts = { timeouts: 0, killed: 0, errors: 0, replaced: 0, busy: 0 }
  let seq = 0
  let current: Instance | null = null
  const retiring = new Set<Promise<void>>()
  let closed = false

  function instance (): Instance {
    if (current !== null) return current
    const file = workerFile()
    if (file === null) throw new Error('qwed pool: pool-worker.js (or .ts) not found next to pool module')
    const piscina = new Piscina({
      filename: file.href,
      minThreads: workerCount,
      maxThreads: workerCount,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      resourceLimits: { ...WORKER_RESOURCE_LIMITS },
      workerData: { sources, deadlineMs, options: workerOptions } satisfies PoolWorkerData,
      execArgv: workerExecArgv(file)
    })
    const inst: Instance = { piscina, ready: new Set(), pending: new Map(), warmWaiters: new Set() }
    piscina.on('message', (message: PoolMessage) => {
      if (message?.qwedPool === 'start') inst.pending.get(message.id)?.onStart()
      else if (message?.qwedPool === 'ready') {
        inst.ready.add(message.threadId)
        checkWarm(inst)
      }
    })
    piscina.on('workerDestroy', () => { if (!closed && current === inst) counts.replaced++ })
    // A worker that fails to start (or errors with no claim on it): this pool cannot be trusted to
    // heal, so claims that have not started fail now and the next claim starts a fresh pool.
    piscina.on('error', (err: unknown) => retire(inst, toError(err)))
    current = inst
    return inst
  }

  function retire (inst: Instance, err: Error): void {
    if (current === inst) current = null
    for (const pending of inst.pending.values()) {
      if (!pending.started) pending.controller.abort(err)
    }
    for (const waiter of inst.warmWaiters) waiter.reject(err)
    inst.warmWaiters.clear()
    const done: Promise<void> = inst.piscina.destroy().catch(() => {}).finally(() => retiring.delete(done))
    retiring.add(done)
  }

  function readyCount (inst: Instance): number {
    return inst.piscina.threads.filter((worker) => inst.ready.has(worker.threadId)).length
  }

  function checkWarm (inst: Instance): void {
    if (readyCount(inst) < workerCount) return
    for (const waiter of inst.warmWaiters) waiter.resolve()
    inst.warmWaiters.clear()
  }

  async function run (engine: number, name: string, claim: unknown, signal: AbortSignal | undefined, started: (() => void) | undefined): Promise<EngineResult> {
    if (closed) throw new Error('qwed pool: closed')
    if (signal?.aborted === true) throw abortError(signal)
    instance()
    const release = await slots.take(signal)
    if (release === null) {
      counts.busy++
      return busyResult(name, { queue: 'full', max_queue: maxQueue })
    }
    try {
      // The instance may have been retired while this claim waited for its slot.
      return await dispatch(instance(), engine, name, claim, signal, release, started)
    } catch (err) {
      release()
      throw err
    }
  }

  /**
   * Runs one claim in a worker. The caller is answered at the deadline (BLOCKED timeout) even if the
   * worker is still busy; the slot is freed then, so the next claim goes to another worker, while the
   * busy one gets KILL_GRACE_MS to stop on its own before it is ended.
   */
  async function dispatch (inst: Instance, engine: number, name: string, claim: unknown, signal: AbortSignal | undefined, release: Release, started: (() => void) | undefined): Promise<EngineResult> {
    if (closed) throw new Error('qwed pool: closed')
    return await new Promise<EngineResult>((resolve, reject) => {
      const id = ++seq
      const controller = new AbortController()
      let answered = false
      let killed = false
      const timers: NodeJS.Timeout[] = []
      const onCallerAbort = (): void => {
        // An abandoned run ends at the pool's own deadline: ending its worker now would cost a boot.
        if (pending.started && signal?.reason instanceof RunAbandoned) return
        controller.abort(abortError(signal))
      }
      const answer = (settle: () => void): void => {
        if (answered) return
        answered = true
        signal?.removeEventListener('abort', onCallerAbort)
        release()
        settle()
      }
      timers.push(setTimeout(() => {
        controller.abort(new Error(`qwed pool: no worker took the claim within ${startTimeoutMs} ms`))
      }, startTimeoutMs))
      const pending: Pending = {
        controller,
        started: false,
        onStart: () => {
          if (pending.started) return
          pending.started = true
          clearTimeout(timers[0])
          started?.()
          timers.push(setTimeout(() => {
            counts.timeouts++
            answer(() => resolve(timeoutResult(name, deadlineMs)))
          }, deadlineMs))
          timers.push(setTimeout(() => {
            killed = true
            controller.abort(new Error('deadline'))
          }, deadlineMs + KILL_GRACE_MS))
        }
      }
      signal?.addEventListener('abort', onCallerAbort, { once: true })
      inst.pending.set(id, pending)
      const task: PoolTask = { id, engine, claim }
      inst.piscina.run(task, { signal: controller.signal }).then((result: EngineResult) => {
        // Stopped at the deadline by the worker itself, before the main thread's timer fired.
        const fields = result.developer_fields
        if (!answered && fields.constraint_id === `${name}.timeout` && fields.deadline_ms === deadlineMs) counts.timeouts++
        answer(() => resolve(result))
      }, (err: unknown) => {
        if (killed) {
          counts.killed++
          answer(() => resolve(timeoutResult(name, deadlineMs)))
          return
        }
        if (!answered) counts.errors++
        answer(() => reject(toError(controller.signal.aborted ? controller.signal.reason : err)))
      }).finally(() => {
        for (const timer of timers) clearTimeout(timer)
        signal?.removeEventListener('abort', onCallerAbort)
        inst.pending.delete(id)
        release()
      })
    })
  }

  async function close (): Promise<void> {
    if (closed) return
    closed = true
    slots.close(new Error('qwed pool: closed'))
    const inst = current
    current = null
    if (inst !== null) {
      for (const waiter of inst.warmWaiters) waiter.reject(new Error('qwed pool: closed'))
      inst.warmWaiters.clear()
      await inst.piscina.destroy()
    }
    await Promise.all(retiring)
  }

  const pool: EnginePool = {
    deadlineMs,
    threads,
    wrap<C extends { type: string }>(inner: Engine<C>, source: WorkerSource): Engine<C> {
      if (current !== null || closed) throw new Error('qwed pool: engines must be added before the pool starts')
      const index = sources.push(source) - 1
      const pooled: Engine<C> = {
        name: inner.name,
        claimTypes: inner.claimTypes,
        queues: true,
        verify: async (claim: C, ctx: EngineContext) => await run(index, inner.name, claim, ctx?.signal, ctx?.started),
        close: async () => {
          await Promise.allSettled([inner.close?.(), close()])
        }
      }
      pools.set(pooled, pool)
      return pooled
    },
    async warm (): Promise<void> {
      if (closed) throw new Error('qwed pool: closed')
      const inst = instance()
      if (readyCount(inst) >= workerCount) return
      // No timer: a worker that fails to boot retires the pool, which rejects this; close() does too.
      await new Promise<void>((resolve, reject) => { inst.warmWaiters.add({ resolve, reject }) })
    },
    stats (): PoolStats {
      const inst = current
      return {
        workers: inst?.piscina.threads.length ?? 0,
        ready: inst === null ? 0 : readyCount(inst),
        running: slots.running,
        queued: slots.waiting,
        ...counts
      }
    },
    close
  }
  return pool
}

/** pool-worker next to this module: the same extension as this module first (.ts under tap/tsx, .js when built). */
function workerFile (): URL | null {
  const here = import.meta.url
  const order = here.endsWith('.ts') ? ['.ts', '.js'] : ['.js', '.ts']
  for (const ext of order) {
    const url = new URL(`./pool-worker${ext}`, here)
    if (existsSync(url)) return url
  }
  return null
}

/**
 * Worker threads inherit process.execArgv, so a TypeScript loader given on the command line (tap's,
 * `node --import tsx`) loads pool-worker.ts in the worker too. One exception: tsx registers its ESM
 * hooks only in the main thread on Node versions without `worker_threads.isInternalThread` (Node 20),
 * so there the worker registers them itself first.
 */
function workerExecArgv (file: URL): string[] | undefined {
  if (!file.pathname.endsWith('.ts')) return undefined
  if ('isInternalThread' in workerThreads) return undefined
  if (!process.execArgv.some((arg) => /(^|[\\/=])tsx([\\/]|$)/.test(arg))) return undefined
  let api: string
  try {
    api = import.meta.resolve('tsx/esm/api')
  } catch {
    return undefined
  }
  const bootstrap = `import { register } from ${JSON.stringify(api)}; register()`
  return [...process.execArgv, '--import', 'data:text/javascript,' + encodeURIComponent(bootstrap)]
}

/** Options no engine needs in a worker: secrets stay in the main thread, extra engines run there. */
const WORKER_SKIPPED_OPTIONS: readonly string[] = ['secrets', 'extraEngines']

/** The plain-JSON part of a value: no functions, no class instances (loggers, registries), no `skip` keys at the top. */
function plainJson (value: unknown, depth: number, skip: readonly string[] = []): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'object' || depth > 20) return undefined
  if (Array.isArray(value)) return value.map((item) => plainJson(item, depth + 1) ?? null)
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return undefined
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (skip.includes(key)) continue
    const plain = plainJson(item, depth + 1)
    if (plain !== undefined) out[key] = plain
  }
  return out
}

function abortError (signal: AbortSignal | undefined): Error {
  const reason = signal?.reason as unknown
  return reason instanceof Error ? reason : new Error('qwed pool: the caller stopped waiting for the claim')
}

function toError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
