/**
 * Heavy synchronous steps run one per turn of the event loop: each in its own setImmediate, the
 * next scheduled only once the one before has run, so timers and I/O get their turn between any
 * two. A burst of big claims (the claim guard's canonical JSON and hash of a 1 MB claim take a
 * few ms each) then delays the loop by one step at a time, not by the whole burst.
 */
export class TurnQueue {
  readonly #steps: Array<() => void> = []
  #scheduled = false

  /** Runs `step` in a later turn; resolves with what it returns, rejects with what it throws. */
  async run<T> (step: () => T): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      this.#steps.push(() => {
        try {
          resolve(step())
        } catch (err) {
          reject(err)
        }
      })
      this.#schedule()
    })
  }

  /** Steps waiting for their turn. */
  get waiting (): number {
    return this.#steps.length
  }

  #schedule (): void {
    if (this.#scheduled || this.#steps.length === 0) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#steps.shift()?.()
      this.#schedule()
    })
  }
}
