/**
 * What the HTTP client asks of the client-side rate limit, wherever it lives: in this process
 * (TokenBucket, remote/rate-limit.ts) or in Redis for the whole fleet (remote/quota-redis.ts).
 * Times are this process's performance.now() milliseconds.
 */
export interface Quota {
  /** Reserves the next request: the time to send at, or null when that is later than `latest` (nothing reserved). */
  reserve(latest: number): number | null | Promise<number | null>
  /** The server said 429: nothing goes out before `until` (for every replica sharing the quota). */
  pause(until: number): void
  /** Requests left right now, as last known (0 while paused by a 429). */
  remaining(): number
  /** Releases what the quota holds (a Redis client it made). */
  close?(): Promise<void>
}
