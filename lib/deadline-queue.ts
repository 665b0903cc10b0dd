import { performance } from 'node:perf_hooks'

/**
 * Deadlines of one length shared by one timer. Responses held for verification all wait the same
 * time (responseDeadlineMs), so their deadlines fall in the order they were set: a FIFO queue with
 * one timer for its head replaces a timer (and a Promise.race) per response. The timer is a plain
 * `setTimeout`, referenced while a deadline is pending (see lib/deadline.ts on AbortSignal.timeout).
 */
export class DeadlineQueue {
  readonly #ms: number
  readonly #entries: Entry[] = []
  #head = 0
  #timer: NodeJS.Timeout | null = null
  #armedFor = Infinity

  constructor (ms: number) {
    this.#ms = ms
  }

  /**
   * Resolves with the work's value, or with `onExpiry()` once the deadline has passed (the work
   * then runs on unheard). A rejection of the work rejects, as with lib/deadline.ts.
   */
  race<T> (work: Promise<T>, onExpiry: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { at: performance.now() + this.#ms, settled: false, expire: () => { resolve(onExpiry()) } }
      this.#entries.push(entry)
      this.#arm()
      work.then((value) => {
        if (entry.settled) return
        this.#settle(entry)
        resolve(value)
      }, (err: unknown) => {
        if (entry.settled) return
        this.#settle(entry)
        reject(err)
      })
    })
  }

  /** Deadlines pending (for tests). */
  get pending (): number {
    let n = 0
    for (let i = this.#head; i < this.#entries.length; i++) if (!(this.#entries[i] as Entry).settled) n++
    return n
  }

  #settle (entry: Entry): void {
    entry.settled = true
    // What the entry holds (the response's run, through onExpiry) must not outlive the response:
    // kept for the length of a deadline it would reach the old generation.
    entry.expire = NOTHING
    // Most work ends in the order it started: drop settled entries at the head as they go.
    this.#trim()
    if (this.#head === this.#entries.length && this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
      this.#armedFor = Infinity
    }
  }

  #trim (): void {
    while (this.#head < this.#entries.length && (this.#entries[this.#head] as Entry).settled) this.#head++
    if (this.#head === this.#entries.length) {
      this.#entries.length = 0
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head)
      this.#head = 0
    }
  }

  #arm (): void {
    const first = this.#entries[this.#head]
    if (first === undefined || (this.#timer !== null && this.#armedFor <= first.at)) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#armedFor = first.at
    // Whole milliseconds: (now + ms) - now is not always ms in floating point, and a timer that
    // fires a fraction early only re-arms (#fire checks each entry's time).
    this.#timer = setTimeout(() => { this.#fire() }, Math.max(0, Math.round(first.at - performance.now())))
  }

  #fire (): void {
    this.#timer = null
    this.#armedFor = Infinity
    const now = performance.now()
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head] as Entry
      if (!entry.settled && entry.at > now) break
      this.#head++
      if (entry.settled) continue
      entry.settled = true
      entry.expire()
    }
    this.#trim()
    this.#arm()
  }
}

const NOTHING = (): void => {}

interface Entry {
  at: number
  settled: boolean
  expire: () => void
}
