import { performance } from 'node:perf_hooks'

const WINDOW_MS = 60_000

/**
 * The client-side token bucket: `perMinute` tokens, each one back in the bucket one minute after it
 * was spent. That is the sliding 60-second window QWED's per-key limiter counts (§1.3), so a client
 * inside its bucket never trips the server's limit; a classic bucket refilling at a steady rate
 * would let up to twice the rate through in some minute. Tokens are handed out first come, first
 * served: a reservation is a time at which the request may go.
 */
export class TokenBucket {
  /** When each token in the window was (or will be) taken, oldest first. */
  private readonly taken: number[] = []
  private pausedUntil = 0

  constructor (private readonly perMinute: number, private readonly now: () => number = () => performance.now()) {}

  /** Reserves the next token: the time to send at, or null when that is later than `latest` (nothing reserved). */
  reserve (latest: number): number | null {
    const now = this.now()
    this.prune(now)
    let at = Math.max(now, this.pausedUntil, this.taken.at(-1) ?? 0)
    if (this.taken.length >= this.perMinute) {
      at = Math.max(at, (this.taken[this.taken.length - this.perMinute] as number) + WINDOW_MS)
    }
    if (at > latest) return null
    this.taken.push(at)
    return at
  }

  /** The server said 429: nothing goes out before `until`. */
  pause (until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until)
  }

  /** Tokens left for a request sent now (0 while paused by a 429). */
  remaining (): number {
    const now = this.now()
    this.prune(now)
    if (this.pausedUntil > now) return 0
    return Math.max(0, this.perMinute - this.taken.length)
  }

  private prune (now: number): void {
    let expired = 0
    while (expired < this.taken.length && (this.taken[expired] as number) + WINDOW_MS <= now) expired++
    if (expired > 0) this.taken.splice(0, expired)
  }
}
