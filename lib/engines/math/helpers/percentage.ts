/**
 * Percentages, exact in rationals (QWED's four calculations, tolerance 0.01 by default):
 *   of        percentage% of value                      = expected
 *   increase  value increased by percentage%            = expected
 *   decrease  value decreased by percentage%            = expected
 *   change    the change from value to newValue, in %   = expected  (from 0 -> BLOCKED)
 */
import type { MathOperationClaim } from '../../../../types/claims.js'
import type { DiagnosticResult } from '../../../../types/result.js'
import { Q } from '../exact.js'
import { effectiveTolerance, fail, malformed, readNumber, readTolerance, report, showQ } from './common.js'

type PercentageClaim = Extract<MathOperationClaim, { operation: 'percentage' }>

const CALCULATIONS = ['of', 'increase', 'decrease', 'change'] as const
const HUNDRED = Q.int(100)
const DEFAULT_TOLERANCE = Q.of(1n, 100n)

export function verifyPercentage (claim: PercentageClaim): DiagnosticResult {
  const calculation = claim.calculation
  if (!(CALCULATIONS as readonly unknown[]).includes(calculation)) malformed('calculation', `one of ${CALCULATIONS.join(', ')}`)
  const value = readNumber(claim.value, 'value')
  const expected = readNumber(claim.expected, 'expected')
  const given = readTolerance(claim.tolerance)
  let computed: Q
  let inputs: Record<string, unknown>
  if (calculation === 'change') {
    if (claim.newValue === undefined) malformed('newValue', 'a percentage change needs newValue')
    const newValue = readNumber(claim.newValue, 'newValue')
    inputs = { calculation, value: showQ(value), new_value: showQ(newValue) }
    if (value.isZero()) {
      fail('percentage_change_from_zero', 'A percentage change from zero is undefined', { error: 'Cannot calculate percentage change from 0' })
    }
    computed = newValue.sub(value).div(value).mul(HUNDRED)
  } else {
    if (claim.percentage === undefined) malformed('percentage', `${calculation} needs a percentage`)
    const pct = readNumber(claim.percentage, 'percentage')
    inputs = { calculation, value: showQ(value), percentage: showQ(pct) }
    const fraction = pct.div(HUNDRED)
    computed = calculation === 'of'
      ? value.mul(fraction)
      : value.mul(calculation === 'increase' ? Q.ONE.add(fraction) : Q.ONE.sub(fraction))
  }
  const tol = effectiveTolerance(given, DEFAULT_TOLERANCE, computed)
  return report(computed.sub(expected).abs().cmp(tol) <= 0 ? 'match' : 'mismatch', {
    op: 'percentage',
    subject: calculation === 'change' ? 'The percentage change' : 'The percentage result',
    computed: showQ(computed),
    expected: showQ(expected),
    tolerance: showQ(tol),
    method: 'exact_rational',
    inputs
  })
}
