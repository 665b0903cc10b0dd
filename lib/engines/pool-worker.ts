/**
 * The worker-thread side of the engine pool (see pool.ts). A worker builds every pooled engine once,
 * from its workerData, before it takes a claim: piscina awaits the default export (a promise of the
 * task handler) before it hands the worker any work, so a replacement worker is warm when it starts.
 *
 * Claims and results are plain JSON and cross the thread boundary as they are. The worker tells the
 * main thread when a claim starts (the hard deadline counts from there, not from the queue) and
 * when the worker is ready.
 *
 * The deadline, first stage: the engine gets a signal that reads as aborted once the deadline has
 * passed (checked against the clock, so an engine busy in synchronous code sees it too: the math
 * engine polls it on every unit of work) and that also fires 'abort' when the thread is free to run
 * a timer. An engine that stops returns in time and keeps its warm worker; a result that comes back
 * past the deadline is replaced by the timeout verdict. The second stage is the main thread's: it
 * ends a worker whose claim runs on past the grace period (pool.ts).
 */
import { performance } from 'node:perf_hooks'
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads'
import type { Engine, EngineResult } from '../../types/engine.js'
import { VerdictError } from '../errors.js'
import { blocked } from '../result.js'
import type { PoolMessage, PoolTask, PoolWorkerData, WorkerSource } from './pool.js'

export type PoolTaskHandler = (task: PoolTask) => Promise<EngineResult>

/** The verdict of a claim stopped at its deadline: BLOCKED `<engine>.timeout`, never cached. */
export function timeoutResult (engine: string, deadlineMs: number): EngineResult {
  return { ...blocked('Verification took too long', { constraint_id: `${engine}.timeout`, deadline_ms: deadlineMs }), cacheable: false }
}

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get as (this: AbortSignal) => boolean

/** A signal that is aborted from `deadlineMs` on: by the clock when read, by a timer when the thread is free. */
function deadlineSignal (deadlineMs: number): { signal: AbortSignal, dispose: () => void } {
  const controller = new AbortController()
  const signal = controller.signal
  const due = performance.now() + deadlineMs
  const late = (): boolean => performance.now() >= due
  const reason = (): Error => new Error(`deadline of ${deadlineMs} ms passed`)
  Object.defineProperty(signal, 'aborted', { get: () => abortedGetter.call(signal) || late() })
  Object.defineProperty(signal, 'throwIfAborted', {
    value: () => { if (abortedGetter.call(signal) || late()) throw reason() }
  })
  const timer = setTimeout(() => controller.abort(reason()), deadlineMs)
  return { signal, dispose: () => clearTimeout(timer) }
}

async function build (source: WorkerSource, options: unknown): Promise<Engine<any>> {
  const mod = await import(source.module) as Record<string, unknown>
  let entry = mod[source.exportName]
  if (source.index !== undefined) entry = Array.isArray(entry) ? entry[source.index] : undefined
  const create = (entry as { create?: unknown } | undefined)?.create
  if (typeof create !== 'function') {
    throw new Error(`qwed pool worker: no engine entry at ${source.exportName}${source.index === undefined ? '' : `[${source.index}]`}`)
  }
  const engine = await (create as (options: unknown) => Engine<any> | Promise<Engine<any>>)(options)
  // Embedded engines are lazy (embedded.ts): load them now, so that no claim in this worker waits for
  // a module inside the pool's deadline and the worker reports ready only when it is.
  await engine.warmUp?.()
  return engine
}

function postToParent (message: PoolMessage): void {
  parentPort?.postMessage(message)
}

/** Builds the engines of `data` and returns the task handler (exported for tests in the main thread). */
export async function createTaskHandler (data: PoolWorkerData, post: (message: PoolMessage) => void = postToParent): Promise<PoolTaskHandler> {
  const engines: Array<Engine<any>> = []
  for (const source of data.sources) engines.push(await build(source, data.options))
  post({ qwedPool: 'ready', threadId })
  return async function runClaim (task: PoolTask): Promise<EngineResult> {
    post({ qwedPool: 'start', id: task.id })
    const engine = engines[task.engine]
    if (engine === undefined) throw new Error(`qwed pool worker: no engine #${task.engine}`)
    const { signal, dispose } = deadlineSignal(data.deadlineMs)
    // Late: past the deadline by the clock, or aborted by the deadline's timer, which can fire a
    // millisecond before the clock agrees (an engine woken by that abort must not be on time).
    const late = (): boolean => signal.aborted
    try {
      const result = await engine.verify(task.claim, { signal })
      return late() ? timeoutResult(engine.name, data.deadlineMs) : result
    } catch (err) {
      if (late()) return timeoutResult(engine.name, data.deadlineMs)
      // A verdict thrown from deep inside the analysis is still a verdict.
      if (err instanceof VerdictError) return err.result
      throw err
    } finally {
      dispose()
    }
  }
}

const handler: Promise<PoolTaskHandler> | null = isMainThread ? null : createTaskHandler(workerData as PoolWorkerData)
// piscina awaits the handler and reports a failed start to the pool; this only keeps the rejection
// from being reported as unhandled in the short gap before it does.
handler?.catch(() => {})
export default handler
