import fc from 'fast-check'
import t, { type Test } from 'tap'
import type { StatsValueClaim as StatsClaim } from '../types/claims.js'
import type { EngineResult } from '../types/engine.js'
import { createStatsEngine } from '../lib/engines/stats.js'
import { createVerifier } from '../lib/verifier.js'
import { admissionOf } from '../lib/result.js'

// The statistics engine: exact sums (no cancellation), QWED's statistics and tolerance, BLOCKED
// rules for data it cannot judge.

const engine = createStatsEngine()
const signal = new AbortController().signal

function run (claim: Omit<StatsClaim, 'type'>): EngineResult {
  return engine.verify({ type: 'stats', ...claim } as StatsClaim, { signal }) as EngineResult
}

function id (r: EngineResult): unknown {
  return r.developer_fields.constraint_id
}

function isVerified (t: Test, r: EngineResult, what: string): void {
  t.equal(r.status, 'VERIFIED', `${what}: VERIFIED`)
  t.equal(id(r), 'stats.value_matches', `${what}: stats.value_matches`)
  t.equal(admissionOf(r), 'ADMIT', `${what}: admitted`)
  t.match(r.proof_ref, /^sha256:[0-9a-f]{64}$/, `${what}: proof_ref`)
}

function isFalse (t: Test, r: EngineResult, what: string): void {
  t.equal(r.status, 'UNVERIFIABLE', `${what}: UNVERIFIABLE`)
  t.equal(id(r), 'stats.value_mismatch', `${what}: stats.value_mismatch`)
  t.equal(r.proof_ref, null, `${what}: no proof`)
}

function isBlocked (t: Test, r: EngineResult, constraint: string, what: string): void {
  t.equal(r.status, 'BLOCKED', `${what}: BLOCKED`)
  t.equal(id(r), constraint, `${what}: ${constraint}`)
  t.equal(r.proof_ref, null, `${what}: no proof`)
  t.equal(admissionOf(r), 'BLOCKED', `${what}: not admitted`)
}

t.test('engine shape', async (t) => {
  t.equal(engine.name, 'stats')
  t.same(engine.claimTypes, ['stats'])
})

t.test('each statistic, true and false', async (t) => {
  const data = [2, 4, 4, 4, 5, 5, 7, 9]
  const cases: Array<[StatsClaim['statistic'], number | string, number | string]> = [
    ['mean', 5, 5.5],
    ['median', 4.5, 4],
    ['mode', 4, 5],
    ['variance', 4, 4.57],
    ['std', 2, 2.14],
    ['min', 2, 4],
    ['max', 9, 7],
    ['range', 7, 6],
    ['sum', 40, 41],
    ['count', 8, 7],
    ['percentile_0', 2, 4],
    ['percentile_25', 4, 3.5],
    ['percentile_75', 5.5, 5],
    ['percentile_90', 7.6, 7],
    ['percentile_100', 9, 7],
    ['percentile_12.5', 3.75, 4]
  ]
  for (const [statistic, right, wrong] of cases) {
    isVerified(t, run({ statistic, data, expected: right }), `${statistic} = ${right}`)
    isFalse(t, run({ statistic, data, expected: wrong }), `${statistic} != ${wrong}`)
  }
  isVerified(t, run({ statistic: 'median', data: [1, 3, 5, 7, 9], expected: 5 }), 'odd median')
  isVerified(t, run({ statistic: 'median', data: [1, 2, 3, 4], expected: 2.5 }), 'even median')
  isVerified(t, run({ statistic: 'median', data: [5, 1, 4, 2, 3], expected: 3 }), 'unsorted data')
  isVerified(t, run({ statistic: 'mode', data: [3, 3, 3], expected: 3 }), 'all equal: one mode')
  isVerified(t, run({ statistic: 'mode', data: [7], expected: 7 }), 'one value')
  isVerified(t, run({ statistic: 'mode', data: [1, 1.0, '1.00', 2], expected: 1 }), 'equal values written differently count together')
  isVerified(t, run({ statistic: 'std', data: [1, 2, 3, 4], expected: 1.118 }), 'irrational std within 0.001')
  isFalse(t, run({ statistic: 'std', data: [1, 2, 3, 4], expected: 1.12 }), 'irrational std outside 0.001')
})

t.test('exact arithmetic: no catastrophic cancellation', async (t) => {
  const r = run({ statistic: 'mean', data: [1e16, 1, -1e16], expected: 0.333333 })
  isVerified(t, r, 'mean of [1e16, 1, -1e16] is 1/3')
  t.equal(r.developer_fields.computed_value, '1/3', 'exact value')
  t.equal(r.developer_fields.method, 'exact_rational')
  isVerified(t, run({ statistic: 'sum', data: [0.1, 0.2], expected: 0.3, tolerance: 0 }), '0.1 + 0.2 = 0.3 exactly')
  isVerified(t, run({ statistic: 'variance', data: [1e9 + 1, 1e9 + 2, 1e9 + 3], expected: '2/3', tolerance: 0 }), 'variance of large values')
  isVerified(t, run({ statistic: 'sum', data: ['12345678901234567890.1', '0.9'], expected: '12345678901234567891', tolerance: 0 }), 'long decimals as text')
  isVerified(t, run({ statistic: 'range', data: ['1e-300', '1e300'], expected: '1e300' }), 'wide exponents')
  fc.assert(fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 50 }), (xs) => {
    const total = xs.reduce((a, b) => a + b, 0)
    return run({ statistic: 'sum', data: xs, expected: total, tolerance: 0 }).status === 'VERIFIED' &&
      run({ statistic: 'mean', data: [...xs, 1e17, -1e17], expected: `${total}/${xs.length + 2}`, tolerance: 0 }).status === 'VERIFIED'
  }), { numRuns: 50, seed: 5 })
  t.pass('sums and means of integers with huge cancelling values are exact (property)')
})

t.test('correlation', async (t) => {
  isVerified(t, run({ statistic: 'correlation', data: [1, 2, 3, 4, 5], y: [2, 4, 6, 8, 10], expected: 1 }), 'perfect positive')
  isVerified(t, run({ statistic: 'correlation', data: [1, 2, 3, 4], y: [8, 6, 4, 2], expected: -1 }), 'perfect negative')
  const r = run({ statistic: 'correlation', data: [1, 2, 3, 4, 5], y: [2, 4, 5, 4, 5], expected: 0.775 })
  isVerified(t, r, 'irrational r within 0.001')
  t.equal(r.developer_fields.method, 'high_precision')
  isFalse(t, run({ statistic: 'correlation', data: [1, 2, 3, 4], y: [8, 6, 4, 2], expected: 1 }), 'wrong sign')
  isBlocked(t, run({ statistic: 'correlation', data: [1, 1, 1], y: [1, 2, 3], expected: 0 }), 'stats.zero_variance', 'x has no variance')
  isBlocked(t, run({ statistic: 'correlation', data: [1, 2, 3], y: [5, 5, 5], expected: 0 }), 'stats.zero_variance', 'y has no variance')
  isBlocked(t, run({ statistic: 'correlation', data: [1], y: [1], expected: 0 }), 'stats.zero_variance', 'one point')
  isBlocked(t, run({ statistic: 'correlation', data: [1, 2, 3], y: [1, 2], expected: 1 }), 'stats.length_mismatch', 'lengths differ')
  isBlocked(t, run({ statistic: 'correlation', data: [1, 2, 3], expected: 1 }), 'stats.invalid_claim', 'no y')
  isBlocked(t, run({ statistic: 'mean', data: [1, 2, 3], y: [1, 2, 3], expected: 2 }), 'stats.invalid_claim', 'y for another statistic')
})

t.test('BLOCKED rules', async (t) => {
  isBlocked(t, run({ statistic: 'mean', data: [], expected: 0 }), 'stats.empty_data', 'empty data')
  const modes = run({ statistic: 'mode', data: [1, 1, 2, 2], expected: 1 })
  isBlocked(t, modes, 'stats.ambiguous_mode', 'tied modes')
  t.same(modes.developer_fields.ambiguous_modes, ['1', '2'], 'the modes are listed')
  isBlocked(t, run({ statistic: 'mode', data: [1, 2, 3, 1, 2, 3], expected: 1 }), 'stats.ambiguous_mode', 'three-way tie')
  isBlocked(t, run({ statistic: 'mode', data: [1, 2, 3], expected: 1 }), 'stats.ambiguous_mode', 'every value once')
  isBlocked(t, run({ statistic: 'geometric_mean' as 'mean', data: [1, 2, 3], expected: 1.817 }), 'stats.unknown_statistic', 'unknown statistic')
  isBlocked(t, run({ statistic: 'percentile_101' as 'mean', data: [1, 2, 3], expected: 3 }), 'stats.unknown_statistic', 'percentile above 100')
  isBlocked(t, run({ statistic: 'percentile_-5' as 'mean', data: [1, 2, 3], expected: 1 }), 'stats.unknown_statistic', 'negative percentile')
  isBlocked(t, run({ statistic: 'MEAN' as 'mean', data: [1, 2, 3], expected: 2 }), 'stats.unknown_statistic', 'names are exact')
  isBlocked(t, run({ statistic: 'mean', data: [1, NaN], expected: 1 }), 'stats.invalid_data', 'NaN')
  isBlocked(t, run({ statistic: 'mean', data: [1, Infinity], expected: 1 }), 'stats.invalid_data', 'Infinity')
  isBlocked(t, run({ statistic: 'mean', data: [1, 'abc'], expected: 1 }), 'stats.invalid_data', 'text')
  isBlocked(t, run({ statistic: 'mean', data: [1, null as unknown as number], expected: 1 }), 'stats.invalid_data', 'null')
  isBlocked(t, run({ statistic: 'mean', data: [1, '1'.repeat(101)], expected: 1 }), 'stats.invalid_data', 'a 101-character number')
  isBlocked(t, run({ statistic: 'mean', data: 'abc' as unknown as number[], expected: 1 }), 'stats.invalid_claim', 'data not an array')
  isBlocked(t, run({ statistic: 'mean', data: [1, 2], expected: 'one' }), 'stats.invalid_expected', 'expected not a number')
  isBlocked(t, run({ statistic: 'mean', data: ['1e999', '1e-999'], expected: 1 }), 'stats.too_large', 'digit span above the cap')
  isBlocked(t, engine.verify(null as unknown as StatsClaim, { signal }) as EngineResult, 'stats.invalid_claim', 'null claim')
})

t.test('tolerance policy', async (t) => {
  const r = run({ statistic: 'mean', data: [1, 2, 3, 4, 5], expected: 3.0009 })
  isVerified(t, r, 'within the default 0.001')
  t.equal(r.developer_fields.tolerance, '0.001')
  isFalse(t, run({ statistic: 'mean', data: [1, 2, 3, 4, 5], expected: 3.0011 }), 'outside the default')
  isVerified(t, run({ statistic: 'std', data: [2, 4, 4, 4, 5, 5, 7, 9], expected: 2.05, tolerance: 0.1 }), 'explicit tolerance (QWED test: std +- 0.1)')
  isBlocked(t, run({ statistic: 'mean', data: [1, 2], expected: 1.5, tolerance: -1 }), 'stats.invalid_tolerance', 'negative')
  isBlocked(t, run({ statistic: 'mean', data: [1, 2], expected: 1.5, tolerance: 'x' }), 'stats.invalid_tolerance', 'unreadable')
  isBlocked(t, run({ statistic: 'mean', data: [1, 2], expected: 1.5, tolerance: Infinity }), 'stats.invalid_tolerance', 'Infinity')
  isBlocked(t, run({ statistic: 'mean', data: [1, 2], expected: 1.5, tolerance: 1 }), 'stats.tolerance_exceeds_bound', 'above max(0.01, 10% of the value)')
  isVerified(t, run({ statistic: 'mean', data: [-1, 1], expected: 0.005, tolerance: 0.01 }), 'the bound is at least 0.01')
})

t.test('developer fields and proof', async (t) => {
  const r = run({ statistic: 'variance', data: [1, 2, 3, 4], expected: 1.25 })
  t.equal(r.developer_fields.statistic, 'variance')
  t.equal(r.developer_fields.computed_value, '1.25')
  t.equal(r.developer_fields.expected, '1.25')
  t.equal(r.developer_fields.data_points, 4)
  const same = run({ statistic: 'variance', data: [1, 2.0, '3', 4], expected: '1.25' })
  t.equal(same.proof_ref, r.proof_ref, 'the proof binds the values, not how they were written')
  const other = run({ statistic: 'variance', data: [4, 3, 2, 1], expected: 1.25 })
  t.not(other.proof_ref, r.proof_ref, 'other data, other proof')
})

t.test('caps: large data is judged or refused quickly', async (t) => {
  const big = Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 1000 + 0.25)
  for (const [statistic, expected] of [['mean', 499.75], ['median', 499.75], ['std', 288.675]] as const) {
    const r = run({ statistic, data: big, expected })
    isVerified(t, r, `${statistic} of 100 000 values`)
  }
  isBlocked(t, run({ statistic: 'mean', data: [...big, 1], expected: 1 }), 'stats.too_large', '100 001 values')
  isBlocked(t, run({ statistic: 'correlation', data: [1, 2], y: new Array<number>(1_000_000).fill(1), expected: 1 }), 'stats.too_large', 'a million y values')
})

t.test('through the verifier', async (t) => {
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const r = await verifier.verify({ type: 'stats', statistic: 'mean', data: [1e16, 1, -1e16], expected: 0.333333 })
  t.equal(r.engine, 'stats')
  t.equal(r.admission, 'ADMIT')
  const blocked = await verifier.verify({ type: 'stats', statistic: 'mode', data: [1, 1, 2, 2], expected: 1 })
  t.equal(blocked.admission, 'BLOCKED')
  t.equal(blocked.developer_fields.constraint_id, 'stats.ambiguous_mode')
})
