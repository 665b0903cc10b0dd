/** Bounds on what a streamed answer may hold back while its claims are verified (`stream` option). */
export interface StreamOptions {
  /** Most text (UTF-8 bytes) held back at once; beyond it the unavailable policy applies. Default 65536. */
  maxHeldBytes?: number
  /** Longest time a byte may be held back; beyond it the unavailable policy applies. Default 10000 ms. */
  maxHoldMs?: number
}
