/**
 * Counts the calls still running, so that close() can wait for them: a verification that started
 * before close() writes its audit record before the audit queue is flushed and closed.
 */
export class InFlight {
  private count = 0
  private waiters: Array<() => void> = []

  get size (): number {
    return this.count
  }

  /** Wraps an async function so that each call is counted until it settles. */
  track<A extends unknown[], R> (fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A): Promise<R> => {
      this.count++
      try {
        return await fn(...args)
      } finally {
        if (--this.count === 0) this.release()
      }
    }
  }

  /** Resolves once nothing is running (at once when nothing is). */
  async idle (): Promise<void> {
    if (this.count === 0) return
    await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  private release (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }
}
