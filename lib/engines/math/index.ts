/**
 * The embedded math engine: arithmetic and algebra claims proven with exact rational arithmetic and
 * a rational-function normal form, with a high-precision fallback for variable-free claims that
 * involve irrational constants (it evaluates and disproves, it never proves an equality). Layout:
 *   normalize.ts  text pre-processing (length, ASCII, %, **, ambiguity)
 *   parse.ts      private mathjs parser + AST allowlist -> the engine's own tree
 *   exact.ts      rationals on bigint
 *   poly.ts       polynomials over atoms
 *   symbolic.ts   rational-function normal form and function semantics
 *   numeric.ts    decimal.js evaluation with error bounds
 *   decide.ts     claim shapes -> verdicts
 *   limits.ts     caps, work budget, failure types
 *   helpers/      library helpers (calculus, matrices, finance, percentages, units), for claims
 *                 with an `operation`
 */
import type { MathClaim, MathOperationClaim } from '../../../types/claims.js'
import type { Engine } from '../../../types/engine.js'
import { verifyMathClaim } from './decide.js'
import { fastArithmetic } from './fast-path.js'
import { verifyOperationClaim } from './helpers/index.js'
import { warmUp } from './parse.js'

export function createMathEngine (): Engine<MathClaim> {
  warmUp()
  return {
    name: 'math',
    claimTypes: ['math'],
    /** The parser is loaded when the engine is created; this keeps warmUp uniform. */
    async warmUp () {
      warmUp()
    },
    fastVerify: fastArithmetic,
    verify: (claim, ctx) => {
      // A claim with an `operation` is a library-helper claim; everything else is an expression.
      const result = (claim as { operation?: unknown } | null)?.operation !== undefined
        ? verifyOperationClaim(claim as MathOperationClaim, ctx?.signal)
        : verifyMathClaim(claim, ctx?.signal)
      // A claim stopped by its deadline is not a verdict about the claim: keep it out of the cache.
      return result.developer_fields.constraint_id === 'math.aborted' ? { ...result, cacheable: false } : result
    }
  }
}
