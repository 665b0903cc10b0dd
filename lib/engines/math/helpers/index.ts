/**
 * The math library helpers (QWED's VerificationEngine methods), one family per file:
 *   calculus.ts    derivative, integral, limit (normal form, differentiate.ts, substitute.ts)
 *   matrix.ts      add, subtract, multiply, transpose, inverse, determinant, eigenvalues (upoly.ts)
 *   finance.ts     compound interest, NPV, IRR
 *   percentage.ts  of, increase, decrease, change
 *   units.ts       length, mass, volume, time, temperature
 *   common.ts      exact inputs, tolerance policy, verdicts
 * A claim is dispatched on `claim.operation`. Every helper runs under the math engine's work
 * budget, and every failure is a verdict: MathFailure -> BLOCKED `math.<reason>`.
 */
import type { MathOperationClaim } from '../../../../types/claims.js'
import type { DiagnosticResult } from '../../../../types/result.js'
import { blocked } from '../../../result.js'
import { Budget, LIMITS, MathFailure, NotRealError, withBudget } from '../limits.js'
import { verifyDerivative, verifyIntegral, verifyLimit } from './calculus.js'
import { verifyCompoundInterest, verifyIrr, verifyNpv } from './finance.js'
import { verifyMatrix } from './matrix.js'
import { verifyPercentage } from './percentage.js'
import { verifyUnitConversion } from './units.js'

export const OPERATIONS = ['derivative', 'integral', 'limit', 'matrix', 'percentage', 'compound_interest', 'npv', 'irr', 'unit_conversion'] as const

function describeOperation (operation: unknown): string {
  return typeof operation === 'string' ? operation.slice(0, 40) : typeof operation
}

function dispatch (claim: MathOperationClaim): DiagnosticResult {
  switch (claim.operation) {
    case 'derivative': return verifyDerivative(claim)
    case 'integral': return verifyIntegral(claim)
    case 'limit': return verifyLimit(claim)
    case 'matrix': return verifyMatrix(claim)
    case 'percentage': return verifyPercentage(claim)
    case 'compound_interest': return verifyCompoundInterest(claim)
    case 'npv': return verifyNpv(claim)
    case 'irr': return verifyIrr(claim)
    case 'unit_conversion': return verifyUnitConversion(claim)
  }
  return blocked('The math operation is not supported', {
    constraint_id: 'math.unknown_operation',
    operation: describeOperation((claim as { operation?: unknown }).operation),
    supported: [...OPERATIONS]
  })
}

/** Verifies a helper claim. Never throws: every failure is a verdict. */
export function verifyOperationClaim (claim: MathOperationClaim, signal?: AbortSignal): DiagnosticResult {
  const operation: unknown = claim?.operation
  const op = typeof operation === 'string' && (OPERATIONS as readonly string[]).includes(operation) ? { operation } : {}
  try {
    return withBudget(new Budget(LIMITS.maxWork, signal), () => dispatch(claim))
  } catch (err) {
    if (err instanceof MathFailure) {
      return blocked(err.publicMessage, { constraint_id: `math.${err.reason}`, ...op, ...err.detail })
    }
    if (err instanceof NotRealError) {
      return blocked('Expression is not a real number', { constraint_id: 'math.not_real', ...op, error: 'domain error', detail: err.message })
    }
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      return blocked('Expression is nested too deeply', { constraint_id: 'math.too_deep', ...op, error: 'stack exhausted' })
    }
    return blocked('The claim could not be verified', {
      constraint_id: 'math.internal_error',
      ...op,
      error: err instanceof Error ? err.message.slice(0, 200) : String(err)
    })
  }
}
