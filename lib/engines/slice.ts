/**
 * A time slice on the event loop for an engine that watches its signal on every unit of work (math,
 * stats): the signal reads as aborted once `ms` have passed by the clock (a timer could not fire
 * while the engine holds the loop) or when the caller's signal is aborted. With a pool, a light
 * claim that does not finish within its slice is sent to a worker (index.ts), so no claim holds the
 * event loop longer than the slice.
 */
import { performance } from 'node:perf_hooks'

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get as (this: AbortSignal) => boolean

export interface Slice {
  readonly signal: AbortSignal
  /** true when the slice ran out (not the caller's signal). */
  expired: () => boolean
  dispose: () => void
}

export function timeSlice (parent: AbortSignal | undefined, ms: number): Slice {
  const controller = new AbortController()
  const signal = controller.signal
  const due = performance.now() + ms
  const expired = (): boolean => performance.now() >= due
  const parentAborted = (): boolean => parent?.aborted === true
  Object.defineProperty(signal, 'aborted', { get: () => abortedGetter.call(signal) || parentAborted() || expired() })
  Object.defineProperty(signal, 'throwIfAborted', {
    value: () => { if (signal.aborted) throw new Error(`time slice of ${ms} ms used`) }
  })
  const onParent = (): void => controller.abort(parent?.reason)
  parent?.addEventListener('abort', onParent, { once: true })
  return {
    signal,
    expired: () => expired() && !parentAborted(),
    dispose: () => parent?.removeEventListener('abort', onParent)
  }
}
