/**
 * Rounded results: `2500 * (1 + 4.5/100)^10 = 3882.42` read as "the left side, rounded to 2 decimal
 * places, is 3882.42" (the claim's `roundedTo`). Rounding is exact and half away from zero (the
 * commercial rule: 0.125 -> 0.13, -0.125 -> -0.13); a value exactly halfway is therefore decided
 * one way only. An irrational value is rounded only when its high-precision interval holds no
 * rounding boundary, which is a proof (the true value lies inside the interval); otherwise the
 * link is unproven. Nothing else is loosened: a claim without `roundedTo` stays exact.
 */
import { Q } from './exact.js'
import { MathFailure } from './limits.js'
import type { Ast } from './parse.js'
import type { Algebra, RF } from './symbolic.js'

/** Largest number of places a claim may ask for (beyond it, nobody rounds). */
export const MAX_ROUNDED_PLACES = 100

export const ROUNDING_RULE = 'half_away_from_zero'

export interface RoundedLink {
  result: 'true' | 'false' | 'unknown'
  /** The left value rounded to the places, as decimal text (absent when unknown). */
  rounded?: string
}

function malformed (error: string): never {
  throw new MathFailure('invalid_claim', 'The math claim is malformed', { field: 'roundedTo', error })
}

/** Reads the claim's `roundedTo`: undefined, or an integer 0..MAX_ROUNDED_PLACES. */
export function readRoundedTo (value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_ROUNDED_PLACES) {
    malformed(`an integer from 0 to ${MAX_ROUNDED_PLACES}`)
  }
  return value
}

/** The number a side is written as (`3882.42`, `-0.5`), or null when the side is not a bare number. */
function literalOf (ast: Ast): Q | null {
  if (ast.k === 'num') return ast.value
  if (ast.k === 'op' && ast.op === 'neg' && ast.args[0]?.k === 'num') return ast.args[0].value.neg()
  return null
}

/** Judges `value = claimed` where claimed (a bare number on the right) is the value rounded to `places`. */
export function decideRoundedLink (alg: Algebra, value: RF, claimedSide: Ast, places: number): RoundedLink {
  const claimed = literalOf(claimedSide)
  if (claimed === null) malformed('the last side of the equation must be a number')
  const scale = Q.int(10n).pow(BigInt(places))
  if (!claimed.mul(scale).isInteger()) malformed('the number has more decimal places than roundedTo')
  if (alg.hasVars(value)) malformed('a value with variables cannot be rounded')
  let rounded: RF
  try {
    rounded = alg.apply('round', [value, alg.constQ(Q.int(places))])
  } catch (err) {
    // an irrational value too close to a rounding boundary to tell: unproven, not false
    if (err instanceof MathFailure && err.reason === 'unsupported') return { result: 'unknown' }
    throw err
  }
  const q = alg.asQ(rounded) as Q
  const text = q.toFiniteDecimal() ?? q.toString()
  return { result: q.equals(claimed) ? 'true' : 'false', rounded: text }
}
