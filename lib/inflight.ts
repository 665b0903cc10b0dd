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

  /** Counts `running` until it settles; returns it. */
  add<R> (running: Promise<R>): Promise<R> {
    this.count++
    const done = (): void => { if (--this.count === 0) this.release() }
    running.then(done, done)
    return running
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
