/** What a full queue does with one more record. */
export type QueueFullPolicy = 'block' | 'drop_oldest' | 'reject'

/** Why records did not reach the store (the `reason` label of qwed_audit_dropped_total). */
export type DropReason = 'drop_oldest' | 'reject' | 'write_error' | 'closed'

export interface BatchQueueOptions {
  /** Records held at most (waiting `block` pushes are not in it). */
  max: number
  /** Records written per call of `write`. */
  batchSize: number
  /** Longest a record waits before a batch smaller than batchSize is written, in ms. */
  flushIntervalMs: number
  onFull: QueueFullPolicy
}

export interface BatchQueueHooks {
  /** Records waiting (queued plus blocked pushes) went up or down by `delta`. */
  depth?: (delta: number) => void
  /** A push met a full queue. */
  full?: (policy: QueueFullPolicy) => void
  dropped?: (reason: DropReason, count: number, error?: unknown) => void
  written?: (count: number) => void
}

/**
 * A bounded FIFO in front of a slow writer. push() never runs the writer in the caller's stack:
 * a full batch is written on the next turn of the event loop (setImmediate), a partial one after
 * flushIntervalMs (an unref'ed timer, so it never keeps a process alive). One write runs at a time,
 * in push order. When the queue is full the policy decides: `block` makes push() return a promise
 * that settles once the record is queued (backpressure, nothing lost), `drop_oldest` evicts the
 * oldest queued record, `reject` drops the new one. Every loss goes through hooks.dropped.
 */
export class BatchQueue<T> {
  private readonly ring: Array<T | undefined>
  private head = 0
  private size = 0
  private readonly waiters: Array<{ item: T, resolve: () => void }> = []
  private timer: NodeJS.Timeout | null = null
  private immediate: NodeJS.Immediate | null = null
  private draining: Promise<void> | null = null
  private closed = false
  // Items whose pusher waits until they are stored (pushDurable): resolved true once written, false when lost.
  private readonly acks = new Map<T, (stored: boolean) => void>()

  constructor (
    private readonly write: (batch: T[]) => void | Promise<void>,
    private readonly options: BatchQueueOptions,
    private readonly hooks: BatchQueueHooks = {}
  ) {
    this.ring = new Array<T | undefined>(options.max)
  }

  /** Records waiting to be written (including blocked pushes). */
  get pending (): number {
    return this.size + this.waiters.length
  }

  push (item: T): void | Promise<void> {
    if (this.closed) {
      this.hooks.dropped?.('closed', 1)
      return
    }
    if (this.size < this.options.max) {
      this.enqueue(item)
      this.hooks.depth?.(1)
      this.schedule()
      return
    }
    this.hooks.full?.(this.options.onFull)
    switch (this.options.onFull) {
      case 'drop_oldest':
        this.settle(this.take(1), false)
        this.enqueue(item)
        this.hooks.depth?.(1)
        this.hooks.dropped?.('drop_oldest', 1)
        this.schedule()
        return
      case 'reject':
        this.hooks.dropped?.('reject', 1)
        this.settle([item], false)
        this.schedule()
        return
      case 'block':
        this.hooks.depth?.(1)
        return new Promise<void>((resolve) => {
          this.waiters.push({ item, resolve })
          this.schedule()
        })
    }
  }

  /**
   * Pushes `item` and resolves once it is stored (true) or lost (false: dropped, a write error, the
   * queue closed). The write starts on the next turn of the event loop, not after flushIntervalMs:
   * every durable push of the same turn shares one batch (one transaction).
   */
  async pushDurable (item: T): Promise<boolean> {
    if (this.closed) {
      this.hooks.dropped?.('closed', 1)
      return false
    }
    const stored = new Promise<boolean>((resolve) => { this.acks.set(item, resolve) })
    const pushed = this.push(item)
    if (pushed !== undefined) await pushed
    return await stored
  }

  /** Writes everything queued (and every blocked push) and resolves when the writer is idle. */
  async flush (): Promise<void> {
    for (;;) {
      if (this.draining !== null) {
        await this.draining
        continue
      }
      if (this.pending === 0) return
      this.run()
    }
  }

  /** Flushes, then drops (and counts) whatever is pushed later. */
  async close (): Promise<void> {
    this.closed = true
    await this.flush()
    this.clearTimers()
  }

  /**
   * Last resort at process exit: hands every waiting record to the writer in one synchronous call
   * (a synchronous store such as SQLite persists them; an async one may not get the chance).
   */
  flushSync (): void {
    this.clearTimers()
    const batch = this.take(this.pending)
    if (batch.length === 0) return
    try {
      const out = this.write(batch)
      if (isThenable(out)) {
        out.then(() => this.stored(batch), (err: unknown) => this.lost(batch, err))
      } else {
        this.stored(batch)
      }
    } catch (err) {
      this.lost(batch, err)
    }
  }

  private stored (batch: T[]): void {
    this.hooks.written?.(batch.length)
    this.settle(batch, true)
  }

  private lost (batch: T[], err: unknown): void {
    this.hooks.dropped?.('write_error', batch.length, err)
    this.settle(batch, false)
  }

  private settle (items: readonly T[], stored: boolean): void {
    if (this.acks.size === 0) return
    for (const item of items) {
      const ack = this.acks.get(item)
      if (ack === undefined) continue
      this.acks.delete(item)
      ack(stored)
    }
  }

  private enqueue (item: T): void {
    this.ring[(this.head + this.size) % this.options.max] = item
    this.size++
  }

  /** Removes up to `count` records from the front, then moves blocked pushes into the space. */
  private take (count: number): T[] {
    const n = Math.min(count, this.size + this.waiters.length)
    const out: T[] = []
    while (out.length < n && this.size > 0) {
      out.push(this.ring[this.head] as T)
      this.ring[this.head] = undefined
      this.head = (this.head + 1) % this.options.max
      this.size--
    }
    // Past the queue itself (flushSync takes everything): blocked pushes, oldest first.
    while (out.length < n && this.waiters.length > 0) {
      const waiter = this.waiters.shift() as { item: T, resolve: () => void }
      out.push(waiter.item)
      waiter.resolve()
    }
    this.hooks.depth?.(-out.length)
    while (this.size < this.options.max && this.waiters.length > 0) {
      const waiter = this.waiters.shift() as { item: T, resolve: () => void }
      this.enqueue(waiter.item)
      waiter.resolve()
    }
    return out
  }

  private schedule (): void {
    if (this.draining !== null || this.immediate !== null) return
    // A durable push waits for its write: it does not wait for the interval too.
    if (this.size >= this.options.batchSize || this.waiters.length > 0 || this.acks.size > 0) {
      if (this.timer !== null) {
        clearTimeout(this.timer)
        this.timer = null
      }
      this.immediate = setImmediate(() => {
        this.immediate = null
        this.run()
      })
      return
    }
    if (this.timer === null && this.size > 0) {
      this.timer = setTimeout(() => {
        this.timer = null
        this.run()
      }, this.options.flushIntervalMs)
      this.timer.unref()
    }
  }

  private run (): void {
    if (this.draining !== null) return
    this.clearTimers()
    if (this.pending === 0) return
    this.draining = this.drain().finally(() => {
      this.draining = null
      this.schedule()
    })
  }

  private async drain (): Promise<void> {
    while (this.size > 0) {
      const batch = this.take(this.options.batchSize)
      try {
        const out = this.write(batch)
        if (isThenable(out)) await out
        this.stored(batch)
      } catch (err) {
        this.lost(batch, err)
      }
      // Let requests run between two batches of a long backlog.
      if (this.size > 0) await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }

  private clearTimers (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.immediate !== null) clearImmediate(this.immediate)
    this.timer = null
    this.immediate = null
  }
}

function isThenable (value: unknown): value is PromiseLike<void> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}
