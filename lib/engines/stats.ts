/**
 * The statistics engine: a statistic of a data set (or the Pearson correlation of `data` with `y`)
 * claimed to be `expected`, computed exactly (stats/compute.ts) and compared within a tolerance.
 *
 * Statistics (QWED's library `verify_statistics` / `verify_correlation`): mean, median, mode,
 * variance and std (population), min, max, range, sum, count, percentile_N (N in 0..100, linear
 * interpolation), correlation. Default tolerance 0.001; an explicit tolerance follows the math
 * helpers' policy (negative, non-finite or unreadable -> BLOCKED; above max(0.01, 10% of
 * |computed|) -> BLOCKED). Within tolerance -> VERIFIED; outside -> UNVERIFIABLE; a value the
 * high-precision evaluator cannot place on one side of the tolerance -> UNVERIFIABLE.
 *
 * BLOCKED: empty data, a value that is not a finite decimal number, an unknown statistic, a mode
 * shared by several values (`stats.ambiguous_mode`, with the modes), a correlation with no
 * variance or with `y` of another length, more than 100 000 values (`stats.too_large`).
 *
 * Where this differs from QWED 7.1 on purpose: QWED sums binary floats, so the mean of
 * [1e16, 1, -1e16] is 0 for it and 1/3 here; QWED's verify_stats (LLM-written pandas code run in
 * a sandbox) never says VERIFIED, while here a claimed value is checked deterministically.
 */
import type { StatsClaim, StatsValueClaim } from '../../types/claims.js'
import type { Engine, EngineResult } from '../../types/engine.js'
import type { DeveloperFields, DiagnosticResult } from '../../types/result.js'
import { sha256Hex } from '../canonical.js'
import { createCodeEngine } from './code/index.js'
import { mathParser } from './math/mathjs.js'
import { judgeGeneratedCode } from './stats/generated-code.js'
import { blocked, unverifiable, verified } from '../result.js'
import { Q, parseRational } from './math/exact.js'
import { Budget, LIMITS, MathFailure, NotRealError, UndecidableError, withBudget } from './math/limits.js'
import type { Approx } from './math/numeric.js'
import { approxText, compareValue, effectiveTolerance, readTolerance, showQ, showValue } from './math/helpers/common.js'
import {
  MAX_VALUES, type Scaled, StatsFailure, correlation, fingerprint, mean, minMax, modes, percentile, readScaled, scaleAll, sqrtOf,
  total, variance
} from './stats/compute.js'

const STATISTICS = ['mean', 'median', 'mode', 'variance', 'std', 'min', 'max', 'range', 'sum', 'count', 'correlation'] as const
const PERCENTILE = /^percentile_(\d{1,3}(?:\.\d{1,6})?)$/
const DEFAULT_TOLERANCE = Q.of(1n, 1000n)
/** Modes listed in an ambiguous-mode verdict. */
const MAX_MODES_SHOWN = 20

function refuse (reason: string, message: string, detail: Record<string, unknown> = {}): never {
  throw new StatsFailure(reason, message, detail)
}

function readData (value: unknown, field: 'data' | 'y'): Scaled {
  if (!Array.isArray(value)) refuse('invalid_claim', 'The statistics claim is malformed', { field, error: 'not an array' })
  if (value.length === 0) refuse('empty_data', 'The data set is empty', { field, error: 'Empty dataset' })
  if (value.length > MAX_VALUES) refuse('too_large', 'The data set is too large to verify', { field, max_values: MAX_VALUES, count: value.length })
  const out = new Array<{ m: bigint, e: number }>(value.length)
  for (let i = 0; i < value.length; i++) {
    const v = readScaled(value[i])
    if (v === null) refuse('invalid_data', 'The data contains a value that is not a finite number', { field, index: i })
    out[i] = v
  }
  return scaleAll(out, field)
}

function readExpected (value: unknown): Q {
  let q: Q | null = null
  if (typeof value === 'number') q = Number.isFinite(value) ? parseRational(String(value)) : null
  else if (typeof value === 'string' && value.length <= 200) q = parseRational(value)
  if (q === null) refuse('invalid_expected', 'The expected value is not a number', { field: 'expected' })
  return q
}

/** `percentile_N` -> N (0..100), a known statistic -> null, anything else -> BLOCKED. */
function readStatistic (value: unknown): { name: string, p: Q | null } {
  if (typeof value !== 'string') refuse('unknown_statistic', 'The statistic is not supported', { supported: [...STATISTICS, 'percentile_N'] })
  if ((STATISTICS as readonly string[]).includes(value)) return { name: value, p: value === 'median' ? Q.int(50) : null }
  const m = PERCENTILE.exec(value)
  const p = m === null ? null : parseRational(m[1] as string)
  if (p === null || p.cmp(Q.int(100)) > 0) {
    refuse('unknown_statistic', 'The statistic is not supported', {
      error: `Unknown statistic: ${value.slice(0, 40)}`,
      supported: [...STATISTICS, 'percentile_N']
    })
  }
  return { name: value, p }
}

function digest (d: Scaled): string {
  return 'sha256:' + sha256Hex(fingerprint(d))
}

function judge (claim: StatsValueClaim): DiagnosticResult {
  if (claim === null || typeof claim !== 'object') refuse('invalid_claim', 'The statistics claim is malformed')
  const { name, p } = readStatistic(claim.statistic)
  const data = readData(claim.data, 'data')
  if (name === 'correlation') {
    if (claim.y === undefined) refuse('invalid_claim', 'The statistics claim is malformed', { field: 'y', error: 'a correlation needs y' })
  } else if (claim.y !== undefined) {
    refuse('invalid_claim', 'The statistics claim is malformed', { field: 'y', error: 'y is only used by correlation' })
  }
  const y = claim.y === undefined ? null : readData(claim.y, 'y')
  const expected = readExpected(claim.expected)
  const given = readTolerance(claim.tolerance)

  let computed: Q | Approx
  const extra: DeveloperFields = {}
  switch (name) {
    case 'mean': computed = mean(data); break
    case 'sum': computed = total(data); break
    case 'count': computed = Q.int(data.n); break
    case 'variance': computed = variance(data); break
    case 'std': computed = sqrtOf(variance(data)); break
    case 'min': computed = minMax(data).min; break
    case 'max': computed = minMax(data).max; break
    case 'range': { const { min, max } = minMax(data); computed = max.sub(min); break }
    case 'mode': {
      const found = modes(data)
      if (found.modes.length > 1) {
        refuse('ambiguous_mode', 'The data has several modes, so a single mode cannot be verified', {
          error: `Ambiguous mode: ${found.modes.length} values share the maximum frequency (${found.frequency})`,
          ambiguous_modes: found.modes.slice(0, MAX_MODES_SHOWN).map(showQ),
          mode_count: found.modes.length,
          frequency: found.frequency
        })
      }
      computed = found.modes[0] as Q
      extra.frequency = found.frequency
      break
    }
    case 'correlation': {
      if ((y as Scaled).n !== data.n) {
        refuse('length_mismatch', 'The two data sets have different lengths', { error: 'Data arrays must have same length', x_count: data.n, y_count: (y as Scaled).n })
      }
      const r = correlation(data, y as Scaled)
      if (r === null) refuse('zero_variance', 'The correlation is undefined because a variable does not vary', { error: 'Cannot calculate correlation (no variance)' })
      computed = r
      break
    }
    default: computed = percentile(data, p as Q)
  }

  const tol = effectiveTolerance(given, DEFAULT_TOLERANCE, computed)
  const outcome = compareValue(computed, expected, tol)
  const method = computed instanceof Q ? 'exact_rational' : 'high_precision'
  const fields: DeveloperFields = {
    statistic: name,
    computed_value: showValue(computed),
    ...(computed instanceof Q && computed.toFiniteDecimal(60) === null ? { approximate_value: approxText(computed) } : {}),
    expected: showQ(expected),
    tolerance: showQ(tol),
    method,
    data_points: data.n,
    ...extra
  }
  if (outcome === 'match') {
    return verified('The statistic matches the claimed value', { constraint_id: 'stats.value_matches', result: true, ...fields }, {
      statistic: name,
      data: digest(data),
      y: y === null ? null : digest(y),
      data_points: data.n,
      computed_value: fields.computed_value,
      expected: fields.expected,
      tolerance: fields.tolerance,
      method,
      verdict: 'verified'
    })
  }
  if (outcome === 'mismatch') {
    return unverifiable('The statistic does not match the claimed value', { constraint_id: 'stats.value_mismatch', result: false, ...fields })
  }
  return unverifiable('The statistic could not be compared precisely enough', { constraint_id: 'stats.undecidable', result: null, ...fields })
}

/** Verifies one statistics claim. Never throws: every failure is a verdict. */
export function verifyStatsClaim (claim: StatsValueClaim, signal?: AbortSignal): DiagnosticResult {
  try {
    return withBudget(new Budget(LIMITS.maxWork, signal), () => judge(claim))
  } catch (err) {
    if (err instanceof StatsFailure) return blocked(err.publicMessage, { constraint_id: `stats.${err.reason}`, ...err.detail })
    if (err instanceof MathFailure) {
      // tolerance policy, work budget, number sizes (shared with the math engine)
      const reason = err.reason === 'resource_limit' ? 'too_large' : err.reason
      return blocked(err.publicMessage, { constraint_id: `stats.${reason}`, ...err.detail })
    }
    if (err instanceof UndecidableError || err instanceof NotRealError) {
      return unverifiable('The statistic could not be compared precisely enough', { constraint_id: 'stats.undecidable', result: null, detail: err.message })
    }
    return blocked('The statistics claim could not be verified', {
      constraint_id: 'stats.internal_error',
      error: err instanceof Error ? err.message.slice(0, 200) : String(err)
    })
  }
}

export function createStatsEngine (): Engine<StatsClaim> {
  // Generated analysis code (verify_stats) is judged by the code engine's Python analysis.
  let codeEngine: Engine<any> | undefined
  return {
    name: 'stats',
    claimTypes: ['stats'],
    /** Loads what the first claims would: the math parser, and the code engine for generated code. */
    async warmUp () {
      mathParser()
      codeEngine ??= createCodeEngine()
      await codeEngine.warmUp?.()
    },
    verify: (claim, ctx): EngineResult | Promise<EngineResult> => {
      if (claim !== null && typeof claim === 'object' && 'generatedCode' in claim && claim.generatedCode !== undefined) {
        codeEngine ??= createCodeEngine()
        return judgeGeneratedCode(claim, codeEngine, ctx?.signal ?? new AbortController().signal)
      }
      const result = verifyStatsClaim(claim, ctx?.signal)
      // A claim stopped by its deadline is not a verdict about the claim: keep it out of the cache.
      return result.developer_fields.constraint_id === 'stats.aborted' ? { ...result, cacheable: false } : result
    }
  }
}
