/**
 * Replaces the global setTimeout / clearTimeout with timers that fire only when the test calls
 * advance(ms), and performance.now() with the same manual clock (code that schedules by a time
 * it computed, like the runner's shared deadline queue, sees the time the timers see): a deadline
 * is then asserted by what happens just before and at it, not by reading the wall clock. Sockets,
 * setImmediate and promises keep running for real.
 */
export interface ManualTimers {
  /** Moves the manual clock forward, firing every timer due by then in order. */
  advance: (ms: number) => void
  /** Timers armed and not yet fired or cleared, with the delay each was armed with. */
  pending: () => number[]
  restore: () => void
}

interface Entry { at: number, delay: number, fire: () => void, handle: FakeHandle }

class FakeHandle {
  ref (): this { return this }
  unref (): this { return this }
  hasRef (): boolean { return true }
  refresh (): this { return this }
}

export function manualTimers (): ManualTimers {
  const realSet = globalThis.setTimeout
  const realClear = globalThis.clearTimeout
  const realNow = Object.getOwnPropertyDescriptor(performance, 'now')
  const startedAt = performance.now()
  let now = 0
  let entries: Entry[] = []
  const fakeSet = (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): FakeHandle => {
    const handle = new FakeHandle()
    const delay = Math.max(1, Number(ms ?? 0) || 0)
    entries.push({ at: now + delay, delay, fire: () => fn(...args), handle })
    return handle
  }
  const fakeClear = (handle: unknown): void => { entries = entries.filter((e) => e.handle !== handle) }
  globalThis.setTimeout = fakeSet as unknown as typeof setTimeout
  globalThis.clearTimeout = fakeClear as unknown as typeof clearTimeout
  Object.defineProperty(performance, 'now', { value: () => startedAt + now, configurable: true, writable: true })
  return {
    advance (ms) {
      const until = now + ms
      for (;;) {
        const due = entries.filter((e) => e.at <= until).sort((a, b) => a.at - b.at)[0]
        if (due === undefined) break
        entries = entries.filter((e) => e !== due)
        now = due.at
        due.fire()
      }
      now = until
    },
    pending: () => entries.map((e) => e.delay),
    restore () {
      globalThis.setTimeout = realSet
      globalThis.clearTimeout = realClear
      if (realNow === undefined) delete (performance as { now?: unknown }).now
      else Object.defineProperty(performance, 'now', realNow)
    }
  }
}

/**
 * Lets sockets and promises make progress (setImmediate is never faked) until `check` holds, for at
 * most `turns` turns of the event loop. With no count it waits as long as it takes: on a loaded
 * machine a loopback round trip can need thousands of turns. `giveUpMs` of real time (Date, which is
 * not faked) only keeps a broken test from hanging; it is no assertion about time.
 */
export async function turnsUntil (check: () => boolean, turns = Number.POSITIVE_INFINITY, giveUpMs = 60_000): Promise<boolean> {
  const giveUpAt = Date.now() + giveUpMs
  for (let i = 0; i < turns && !check() && Date.now() < giveUpAt; i++) await new Promise((resolve) => setImmediate(resolve))
  return check()
}
