/**
 * The shared part of taint tracking: a store of tainted names and a bounded fixpoint loop.
 *
 * Both analysers run the same flow-insensitive scheme: every assignment, loop binding, call into a
 * function defined in the snippet and `return` is a "flow" that may taint a name (keyed by its
 * scope), and the flows are replayed until nothing changes. Taint only grows, so the loop ends; it
 * is still bounded (a pathological snippet gives up and reports the analysis as incomplete, which
 * the engine turns into BLOCKED, never into "safe"). What each flow means is language specific and
 * lives in javascript.ts / python.ts.
 */

/** Where tainted data came from, e.g. `input()` or `req.query`. */
export type TaintSource = string

export class TaintStore {
  private readonly map = new Map<string, TaintSource>()
  changed = false

  get (key: string): TaintSource | undefined { return this.map.get(key) }

  /** Marks `key` tainted by `source`; returns true when this is new. */
  set (key: string, source: TaintSource | null | undefined): boolean {
    if (source === null || source === undefined || this.map.has(key)) return false
    this.map.set(key, source)
    this.changed = true
    return true
  }

  get size (): number { return this.map.size }
}

/** Upper bound of fixpoint rounds; each round can only add taint, so real code settles in a few. */
export const MAX_TAINT_ROUNDS = 256

/**
 * Replays `round` until it adds no taint. Returns false when the bound was hit before the fixpoint
 * (the caller must then fail closed).
 */
export function runToFixpoint (store: TaintStore, round: () => void): boolean {
  for (let i = 0; i < MAX_TAINT_ROUNDS; i++) {
    store.changed = false
    round()
    if (!store.changed) return true
  }
  return false
}
