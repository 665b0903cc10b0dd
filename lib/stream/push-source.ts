// Writes turned into a pulled stream: what a response's write()/end() hand over waits here until the
// stream verifier reads it. write() says false above the high-water mark and `onDrain` runs when the
// queue falls below it again, so a writer that respects backpressure (pipe) never buffers without bound.

export class PushSource implements AsyncIterable<Buffer> {
  private queue: Buffer[] = []
  private size = 0
  private ended = false
  private discarding = false
  private full = false
  private wake: (() => void) | null = null

  constructor (private readonly highWaterMark: number, private readonly onDrain: () => void) {}

  /** false: stop writing until onDrain. */
  write (chunk: Buffer): boolean {
    if (this.ended || this.discarding) return true
    if (chunk.length > 0) {
      this.queue.push(chunk)
      this.size += chunk.length
      this.signal()
    }
    if (this.size >= this.highWaterMark) {
      this.full = true
      return false
    }
    return true
  }

  end (): void {
    this.ended = true
    this.signal()
  }

  /** Nothing written from now on is kept (the stream was refused or its reader left). */
  discard (): void {
    this.discarding = true
    this.queue = []
    this.size = 0
    this.end()
  }

  private signal (): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = this.queue.shift()
      if (chunk !== undefined) {
        this.size -= chunk.length
        if (this.full && this.size < this.highWaterMark) {
          this.full = false
          this.onDrain()
        }
        yield chunk
        continue
      }
      if (this.ended) return
      await new Promise<void>((resolve) => { this.wake = resolve })
    }
  }
}
