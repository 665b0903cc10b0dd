import { writeSync } from 'node:fs'
import { destination as pinoDestination } from 'pino'

type Destination = ReturnType<typeof pinoDestination>

/**
 * A pino destination that gathers log lines and hands them to stdout's sonic-boom destination in
 * batches of at least `batchBytes`: one write (and one string join) per batch instead of one per
 * line. (sonic-boom's own minLength appends each line to one growing string and measures it, which
 * copies the whole gathered text once per line.)
 *
 * Gathered lines go out when a batch is full, every `flushMs` (an unref'd timer), on flush(), and
 * at process exit (synchronously, after what the sonic-boom destination still holds).
 */
export class GatheredLines {
  #lines: string[] = []
  #chars = 0
  readonly #out: Destination
  readonly #fd: number

  constructor (fd: number, readonly batchBytes: number, flushMs: number) {
    this.#fd = fd
    // Registered before the destination exists, so these run before pino's own exit handlers
    // (which flush and end the destination): the gathered lines are not left behind.
    process.on('beforeExit', () => { this.#release() })
    process.on('exit', () => { this.#writeAtExit() })
    // minLength 1: sonic-boom writes at once when idle, gathers while a write is in flight, and its
    // flush(cb) waits for the write in flight (with minLength 0 it would not).
    this.#out = pinoDestination({ dest: fd, sync: false, minLength: 1 })
    setInterval(() => { this.#release() }, flushMs).unref()
  }

  /** pino's destination method: one serialized line. */
  write (line: string): void {
    this.#lines.push(line)
    this.#chars += line.length
    if (this.#chars >= this.batchBytes) this.#release()
  }

  /** Resolves when every line written so far is out (or could not be written: stdout closed). */
  async flush (): Promise<void> {
    this.#release()
    await new Promise<void>((resolve) => {
      // sonic-boom fsyncs after the write: a pipe or a TTY answers EINVAL, which changes nothing here.
      try {
        this.#out.flush(() => { resolve() })
      } catch {
        resolve()
      }
    })
  }

  #take (): string {
    const text = this.#lines.length === 1 ? this.#lines[0] as string : this.#lines.join('')
    this.#lines = []
    this.#chars = 0
    return text
  }

  #release (): void {
    if (this.#lines.length === 0) return
    const text = this.#take()
    try {
      this.#out.write(text)
    } catch {
      // The destination has ended (after beforeExit): the lines are written at exit.
      this.#lines.push(text)
      this.#chars += text.length
    }
  }

  /** No event loop left: what the destination holds goes first, then the gathered lines, both synchronously. */
  #writeAtExit (): void {
    try {
      this.#out.flushSync()
    } catch {
      // Ended or not open: nothing of its own is left to write.
    }
    if (this.#lines.length === 0) return
    const bytes = Buffer.from(this.#take())
    let offset = 0
    let busy = 0
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.#fd, bytes, offset)
      } catch (err) {
        // A non-blocking pipe that is full answers EAGAIN: try again a bounded number of times.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++busy > 10_000) return
      }
    }
  }
}
