import { createSlots, type Slots } from '../slots.js'
import type { Z3Loader } from './z3.js'

/**
 * The cap on logic checks. Z3 decides one check at a time per process (z3.ts: one context), so one
 * check runs and at most LOGIC_MAX_WAITING wait their turn; one more is answered busy at once.
 * Shared per Z3 instance (per loader), like the context itself: every logic engine of the process
 * waits in the same line.
 */
export const LOGIC_MAX_WAITING = 32

const DEFAULT_LOADER = {}
const lines = new WeakMap<object, Slots>()

/** The line in front of Z3 for checks loaded through `loader` (default: the process's z3-solver). */
export function z3Turns (loader?: Z3Loader): Slots {
  const key = loader ?? DEFAULT_LOADER
  let slots = lines.get(key)
  if (slots === undefined) {
    slots = createSlots(1, LOGIC_MAX_WAITING)
    lines.set(key, slots)
  }
  return slots
}
