import type { StatsClaim, StatsValueClaim, StatisticName } from '../../../types/claims.js'
import type { ConformanceCase } from '../conformance.js'

// QWED-derived statistics cases (test/fixtures/qwed-cases.jsonl), run through the public API.
//
// Mapping from QWED's entry points to our claim:
// - verify_statistics {data, statistic, expected, tolerance?} -> { statistic, data, expected, tolerance }
// - verify_correlation {x_data, y_data, expected, tolerance?} -> { statistic: 'correlation', data: x_data, y: y_data, expected }
// - verify_stats {query, data, generated_code} -> { generatedCode, query }: QWED's stats verifier has
//   an LLM write pandas code and judges only that code's safety; it never says VERIFIED. Unsafe
//   code is BLOCKED, safe code UNVERIFIABLE (nothing runs it here).
//
// Where we differ from QWED 7.1 on purpose: the mean of [1e16, 1, -1e16] is 1/3 (exact sums);
// QWED sums binary floats, gets 0 and answers CORRECTION_NEEDED (stats-012).

export function toClaim (c: ConformanceCase): StatsClaim | { pending: string } {
  const input = c.input
  switch (input.method) {
    case 'verify_statistics': {
      const claim: StatsValueClaim = {
        type: 'stats',
        statistic: input.statistic as StatisticName,
        data: input.data as StatsValueClaim['data'],
        expected: input.expected as StatsValueClaim['expected']
      }
      if (input.tolerance !== undefined) claim.tolerance = input.tolerance as StatsValueClaim['expected']
      return claim
    }
    case 'verify_correlation': {
      const claim: StatsValueClaim = {
        type: 'stats',
        statistic: 'correlation',
        data: input.x_data as StatsValueClaim['data'],
        y: input.y_data as StatsValueClaim['data'],
        expected: input.expected as StatsValueClaim['expected']
      }
      if (input.tolerance !== undefined) claim.tolerance = input.tolerance as StatsValueClaim['expected']
      return claim
    }
    case 'verify_stats':
      return { type: 'stats', generatedCode: input.generated_code as string, query: input.query as string }
  }
  throw new Error(`unknown stats method ${String(input.method)}`)
}
