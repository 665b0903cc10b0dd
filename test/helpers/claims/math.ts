import type { DecimalInput, MathClaim, MathOperationClaim } from '../../../types/claims.js'
import { numberLiteral, type ConformanceCase } from '../conformance.js'

// QWED-derived math cases (test/fixtures/qwed-cases.jsonl), run through the public API.
//
// Mapping from QWED's entry points to our claim:
// - api_verify_math {expression, context?}  -> { expression, domain: context.domain }
// - verify_math {expression, expected_value, tolerance?} -> { expression, expected, tolerance }, with
//   QWED's own default tolerance (1e-6) when the case gives none. Numbers keep the digits written in
//   the fixture (a JSON number such as 100000000000000000001 would lose its last digit as a JS
//   number, so it is passed on as its literal text).
// - verify_identity {lhs, rhs} -> { expression: 'lhs = rhs' }
//
// Where we differ from QWED 7.1 on purpose (shared/conformance/README.md), the expected verdict is
// ours and QWED's is wrong:
// - decimal literals are exact: `0.1*3 = 0.3` is true (QWED: 15-digit floats, "Identity is false");
// - `^` is a power, as LLMs write it: `(x+1)^2 = x^2+2x+1` is VERIFIED and `2^10` is 1024 (QWED: XOR);
// - `10**20 + 1` is exact (QWED's float comparison loses the 1);
// - division by zero anywhere is BLOCKED, even inside an equation (`1/0 = oo`; QWED: "Identity is false");
// - power towers such as `9**9**9**9` end in milliseconds as BLOCKED (QWED: never answers);
// - a chain `2+2=4=5` is judged link by link and a false link is BLOCKED (QWED: parse error).
// - `==` is an equality as finance answers write it: `2+2==4` is VERIFIED (QWED: internal error; the
//   case's note accepts either).

const QWED_DEFAULT_TOLERANCE = '0.000001'

/** QWED's math entry points -> our claim. */
export function toClaim (c: ConformanceCase): MathClaim {
  const input = c.input
  switch (input.method) {
    case 'api_verify_math': {
      const claim: MathClaim = { type: 'math', expression: input.expression as string }
      const domain = (input.context as { domain?: unknown } | undefined)?.domain
      if (domain === 'real' || domain === 'complex') claim.domain = domain
      return claim
    }
    case 'verify_math': {
      const expected = typeof input.expected_value === 'number'
        ? (numberLiteral(c, 'expected_value') ?? input.expected_value)
        : input.expected_value as string
      const tolerance = input.tolerance === undefined
        ? QWED_DEFAULT_TOLERANCE
        : typeof input.tolerance === 'number' ? (numberLiteral(c, 'tolerance') ?? input.tolerance) : input.tolerance as string
      return { type: 'math', expression: input.expression as string, expected, tolerance }
    }
    case 'verify_identity':
      return { type: 'math', expression: `${input.lhs as string} = ${input.rhs as string}` }
  }
  return helperClaim(c)
}

/** A number of the case, keeping the digits written in the fixture. */
function num (c: ConformanceCase, key: string): DecimalInput {
  const v = c.input[key]
  if (typeof v === 'number') return numberLiteral(c, key) ?? v
  return v as DecimalInput
}

/** An optional tolerance, passed on only when the case gives one (each helper has QWED's default). */
function withTolerance<C extends MathOperationClaim & { tolerance?: DecimalInput }> (c: ConformanceCase, claim: C): C {
  if (c.input.tolerance !== undefined) claim.tolerance = num(c, 'tolerance')
  return claim
}

// QWED's library helpers (VerificationEngine methods) -> our MathOperationClaim:
// - verify_derivative {expression, variable, expected, order?} -> { operation: 'derivative', ... }
// - verify_integral {expression, variable, expected, lower_bound?, upper_bound?} -> { operation: 'integral', lower, upper }
// - verify_limit {expression, variable, point, expected} -> { operation: 'limit', ... }
// - verify_matrix_operation {operation, matrices: {A, B}, expected} -> { operation: 'matrix', matrixOperation, a: A, b: B }
// - verify_percentage {value, percentage, expected, operation} -> { operation: 'percentage', calculation };
//   for QWED's `change`, `expected` is the new value and `percentage` the claimed change, so they
//   become newValue and expected
// - verify_compound_interest {principal, rate, time, n} -> { compoundsPerYear: n, years: time }
// - verify_npv {rate, cash_flows} / verify_irr {cash_flows} -> { cashFlows }
// - verify_unit_conversion {value, from_unit, to_unit} -> { from, to }
// Where we differ from QWED on purpose: matrices with complex eigenvalues never match a list of
// real numbers (QWED compares real parts), and an incomplete eigenvalue list is BLOCKED (QWED:
// CORRECTION_NEEDED).
function helperClaim (c: ConformanceCase): MathClaim {
  const input = c.input
  switch (input.method) {
    case 'verify_derivative': {
      const claim: MathOperationClaim = { type: 'math', operation: 'derivative', expression: input.expression as string, variable: input.variable as string, expected: String(input.expected) }
      if (input.order !== undefined) claim.order = input.order as number
      return claim
    }
    case 'verify_integral': {
      const claim: MathOperationClaim = { type: 'math', operation: 'integral', expression: input.expression as string, variable: input.variable as string, expected: num(c, 'expected') }
      if (input.lower_bound !== undefined) claim.lower = num(c, 'lower_bound')
      if (input.upper_bound !== undefined) claim.upper = num(c, 'upper_bound')
      return claim
    }
    case 'verify_limit':
      return { type: 'math', operation: 'limit', expression: input.expression as string, variable: input.variable as string, point: num(c, 'point'), expected: num(c, 'expected') }
    case 'verify_matrix_operation': {
      const matrices = Object.values(input.matrices as Record<string, DecimalInput[][]>)
      const claim: MathOperationClaim = {
        type: 'math',
        operation: 'matrix',
        matrixOperation: input.operation as Extract<MathOperationClaim, { operation: 'matrix' }>['matrixOperation'],
        a: matrices[0] as DecimalInput[][],
        expected: input.expected as DecimalInput[][]
      }
      if (matrices[1] !== undefined) claim.b = matrices[1]
      return withTolerance(c, claim)
    }
    case 'verify_percentage': {
      const calculation = (input.operation ?? 'of') as 'of' | 'increase' | 'decrease' | 'change'
      if (calculation === 'change') {
        return withTolerance(c, { type: 'math', operation: 'percentage', calculation, value: num(c, 'value'), newValue: num(c, 'expected'), expected: num(c, 'percentage') })
      }
      return withTolerance(c, { type: 'math', operation: 'percentage', calculation, value: num(c, 'value'), percentage: num(c, 'percentage'), expected: num(c, 'expected') })
    }
    case 'verify_compound_interest':
      return withTolerance(c, {
        type: 'math',
        operation: 'compound_interest',
        principal: num(c, 'principal'),
        rate: num(c, 'rate'),
        years: num(c, 'time'),
        compoundsPerYear: input.n as number,
        expected: num(c, 'expected')
      })
    case 'verify_npv':
      return withTolerance(c, { type: 'math', operation: 'npv', rate: num(c, 'rate'), cashFlows: input.cash_flows as DecimalInput[], expected: num(c, 'expected') })
    case 'verify_irr':
      return withTolerance(c, { type: 'math', operation: 'irr', cashFlows: input.cash_flows as DecimalInput[], expected: num(c, 'expected') })
    case 'verify_unit_conversion':
      return withTolerance(c, { type: 'math', operation: 'unit_conversion', value: num(c, 'value'), from: input.from_unit as string, to: input.to_unit as string, expected: num(c, 'expected') })
  }
  throw new Error(`unknown math method ${String(input.method)}`)
}
