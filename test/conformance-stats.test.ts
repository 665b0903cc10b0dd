import t from 'tap'
import type { StatsClaim, StatsValueClaim, StatisticName } from '../types/claims.js'
import { createVerifier } from '../lib/verifier.js'
import { runConformance, type ConformanceCase } from './helpers/conformance.js'

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

function toClaim (c: ConformanceCase): StatsClaim | { pending: string } {
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

t.test('QWED stats conformance cases', async (t) => {
  await runConformance(t, { engine: 'stats', toClaim })
})

t.test('generated analysis code is never VERIFIED: safe code is UNVERIFIABLE, unsafe code BLOCKED', async (t) => {
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const safe = await verifier.verify({ type: 'stats', generatedCode: "result = df['x'].mean()" })
  t.equal(safe.status, 'UNVERIFIABLE')
  t.equal(safe.admission, 'BLOCKED')
  t.equal(safe.developer_fields.constraint_id, 'stats.code_not_executed')
  const unsafe = await verifier.verify({ type: 'stats', generatedCode: 'import subprocess\nsubprocess.run(cmd, shell=True)\nresult = 1' })
  t.equal(unsafe.status, 'BLOCKED')
  t.equal(unsafe.developer_fields.constraint_id, 'stats.unsafe_code')
  const broken = await verifier.verify({ type: 'stats', generatedCode: 'result = (' })
  t.equal(broken.status, 'BLOCKED')
  t.equal(broken.developer_fields.constraint_id, 'stats.code_unchecked')
  const malformed = await verifier.verify({ type: 'stats', generatedCode: 42 } as unknown as StatsClaim)
  t.equal(malformed.status, 'BLOCKED')
})
