import { performance } from 'node:perf_hooks'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import type { DecimalInput, MathOperationClaim } from '../types/claims.js'
import type { EngineResult } from '../types/engine.js'
import { createMathEngine } from '../lib/engines/math/index.js'
import { Q } from '../lib/engines/math/exact.js'
import * as U from '../lib/engines/math/helpers/upoly.js'
import { admissionOf } from '../lib/result.js'
import { canonicalHash } from '../lib/canonical.js'

// The math library helpers (calculus, matrices, finance, percentages, units): true claims are
// VERIFIED with a proof_ref, false ones UNVERIFIABLE, and every rule that refuses a claim BLOCKED
// with a `math.*` constraint id. Hostile sizes must be refused by the cap that names them (the
// constraint id shows which check fired; times are no assertion on a shared machine).

const engine = createMathEngine()
const signal = new AbortController().signal

type Op = MathOperationClaim extends infer C ? C extends { operation: infer O } ? O : never : never
type Input<O extends Op> = Omit<Extract<MathOperationClaim, { operation: O }>, 'type' | 'operation'>

function run<O extends Op> (operation: O, input: Input<O>): EngineResult {
  return engine.verify({ type: 'math', operation, ...input } as unknown as MathOperationClaim, { signal }) as EngineResult
}

function timed<O extends Op> (operation: O, input: Input<O>): { r: EngineResult, ms: number } {
  const start = performance.now()
  const r = run(operation, input)
  return { r, ms: performance.now() - start }
}

function id (r: EngineResult): unknown {
  return r.developer_fields.constraint_id
}

function isVerified (t: Test, r: EngineResult, constraint: string, what: string): void {
  t.equal(r.status, 'VERIFIED', `${what}: VERIFIED`)
  t.equal(id(r), constraint, `${what}: ${constraint}`)
  t.equal(admissionOf(r), 'ADMIT', `${what}: admitted`)
  t.match(r.proof_ref, /^sha256:[0-9a-f]{64}$/, `${what}: proof_ref`)
}

function isFalse (t: Test, r: EngineResult, constraint: string, what: string): void {
  t.equal(r.status, 'UNVERIFIABLE', `${what}: UNVERIFIABLE`)
  t.equal(id(r), constraint, `${what}: ${constraint}`)
  t.equal(r.proof_ref, null, `${what}: no proof`)
  t.equal(admissionOf(r), 'BLOCKED', `${what}: not admitted`)
}

function isBlocked (t: Test, r: EngineResult, constraint: string, what: string): void {
  t.equal(r.status, 'BLOCKED', `${what}: BLOCKED`)
  t.equal(id(r), constraint, `${what}: ${constraint}`)
  t.equal(r.proof_ref, null, `${what}: no proof`)
}

// warm up mathjs's parser and the JIT
run('derivative', { expression: 'x^2', variable: 'x', expected: '2x' })

t.test('dispatch: claims with an operation go to the helpers, others to the expression engine', async (t) => {
  const expression = engine.verify({ type: 'math', expression: '2 + 2 = 4' }, { signal }) as EngineResult
  t.equal(id(expression), 'math.identity_true', 'an expression claim keeps the expression engine')
  isBlocked(t, engine.verify({ type: 'math', operation: 'bogus' } as unknown as MathOperationClaim, { signal }) as EngineResult, 'math.unknown_operation', 'unknown operation')
  const nullOp = engine.verify({ type: 'math', operation: null, expression: '1' } as unknown as MathOperationClaim, { signal }) as EngineResult
  t.equal(nullOp.status, 'BLOCKED', 'a null operation is not an expression claim')
})

t.test('derivative: symbolic differentiation on the normal form', async (t) => {
  isVerified(t, run('derivative', { expression: 'x**3', variable: 'x', expected: '3*x**2' }), 'math.derivative_verified', 'power rule')
  isVerified(t, run('derivative', { expression: 'x**4', variable: 'x', expected: '12*x**2', order: 2 }), 'math.derivative_verified', 'second order')
  isVerified(t, run('derivative', { expression: 'x^5 - 3x', variable: 'x', expected: '0', order: 6 }), 'math.derivative_verified', 'order above the degree')
  isVerified(t, run('derivative', { expression: 'x**2 + 2*x + 1', variable: 'x', expected: '2*x + 2' }), 'math.derivative_verified', 'sum')
  isVerified(t, run('derivative', { expression: 'sin(x)', variable: 'x', expected: 'cos(x)' }), 'math.derivative_verified', 'sin')
  isVerified(t, run('derivative', { expression: 'cos(x)', variable: 'x', expected: '-sin(x)' }), 'math.derivative_verified', 'cos')
  isVerified(t, run('derivative', { expression: 'tan(x)', variable: 'x', expected: 'sec(x)^2' }), 'math.derivative_verified', 'tan = sec^2')
  isVerified(t, run('derivative', { expression: 'tan(x)', variable: 'x', expected: '1 + tan(x)^2' }), 'math.derivative_verified', 'tan = 1 + tan^2')
  isVerified(t, run('derivative', { expression: 'sin(x)^2', variable: 'x', expected: 'sin(2x)' }), 'math.derivative_verified', 'chain rule and double angle')
  isVerified(t, run('derivative', { expression: 'exp(x^2)', variable: 'x', expected: '2x exp(x^2)' }), 'math.derivative_verified', 'exp of a polynomial')
  isVerified(t, run('derivative', { expression: 'e^(3x)', variable: 'x', expected: '3 e^(3x)' }), 'math.derivative_verified', 'e^u')
  isVerified(t, run('derivative', { expression: '2^x', variable: 'x', expected: '2^x log(2)' }), 'math.derivative_verified', 'a^x')
  isVerified(t, run('derivative', { expression: 'log(x)', variable: 'x', expected: '1/x' }), 'math.derivative_verified', 'log')
  isVerified(t, run('derivative', { expression: 'log(x^2 + 1)', variable: 'x', expected: '2x/(x^2+1)' }), 'math.derivative_verified', 'log of a polynomial')
  isVerified(t, run('derivative', { expression: 'sqrt(x^2+1)', variable: 'x', expected: 'x/sqrt(x^2+1)' }), 'math.derivative_verified', 'sqrt')
  isVerified(t, run('derivative', { expression: 'x^x', variable: 'x', expected: 'x^x*(log(x)+1)' }), 'math.derivative_verified', 'x^x')
  isVerified(t, run('derivative', { expression: 'atan(x)', variable: 'x', expected: '1/(1+x^2)' }), 'math.derivative_verified', 'atan')
  isVerified(t, run('derivative', { expression: 'asin(x)', variable: 'x', expected: '1/sqrt(1-x^2)' }), 'math.derivative_verified', 'asin')
  isVerified(t, run('derivative', { expression: 'acos(x)', variable: 'x', expected: '-1/sqrt(1-x^2)' }), 'math.derivative_verified', 'acos')
  isVerified(t, run('derivative', { expression: 'sinh(x)', variable: 'x', expected: 'cosh(x)' }), 'math.derivative_verified', 'sinh')
  isVerified(t, run('derivative', { expression: '(x^2+1)/(x-1)', variable: 'x', expected: '(x^2-2x-1)/(x-1)^2' }), 'math.derivative_verified', 'quotient rule')
  isVerified(t, run('derivative', { expression: 'a*x^2 + b', variable: 'x', expected: '2*a*x' }), 'math.derivative_verified', 'other variables are constants')
  isVerified(t, run('derivative', { expression: 'x*y^2', variable: 'y', expected: '2x y' }), 'math.derivative_verified', 'with respect to y')

  const wrong = run('derivative', { expression: 'x**2', variable: 'x', expected: '3*x' })
  isFalse(t, wrong, 'math.derivative_mismatch', 'wrong derivative')
  t.equal(wrong.developer_fields.computed_value, '2*x', 'the computed derivative is reported')
  t.equal(wrong.developer_fields.expected, '3*x')
  t.equal(wrong.developer_fields.method, 'symbolic_differentiation')
  isFalse(t, run('derivative', { expression: 'sin(x)', variable: 'x', expected: '-cos(x)' }), 'math.derivative_unproven', 'a wrong trig derivative is not proven (not sampled)')
  isFalse(t, run('derivative', { expression: 'factorial(x)', variable: 'x', expected: '1' }), 'math.derivative_unproven', 'no rule: unproven, never VERIFIED')

  isBlocked(t, run('derivative', { expression: 'x^2', variable: 'x2', expected: '2x' }), 'math.undefined_symbol', 'a variable name the parser does not accept')
  isBlocked(t, run('derivative', { expression: 'x^2', variable: 'x', expected: '2x', order: 0 }), 'math.invalid_claim', 'order 0')
  isBlocked(t, run('derivative', { expression: 'x^2', variable: 'x', expected: '2x', order: 11 }), 'math.invalid_claim', 'order above the cap')
  isBlocked(t, run('derivative', { expression: 'x^2 = 1', variable: 'x', expected: '2x' }), 'math.invalid_claim', 'an equation is not an expression')
  isBlocked(t, run('derivative', { expression: '__import__("os")', variable: 'x', expected: '1' }), 'math.disallowed_construct', 'the parser allowlist applies')
  isBlocked(t, run('derivative', { expression: 'sqrt(-4) + x', variable: 'x', expected: '1' }), 'math.not_real', 'a non-real constant')
})

t.test('derivative: random polynomials agree with the power rule (property)', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 8 }),
    (coeffs) => {
      const expression = coeffs.map((c, k) => `(${c})*x^${k}`).join(' + ')
      const derivative = coeffs.map((c, k) => `(${c * k})*x^${Math.max(0, k - 1)}`).join(' + ')
      const r = run('derivative', { expression, variable: 'x', expected: derivative })
      const off = run('derivative', { expression, variable: 'x', expected: `${derivative} + 1` })
      return r.status === 'VERIFIED' && off.status === 'UNVERIFIABLE'
    }
  ), { numRuns: 40, seed: 7 })
  t.pass('d/dx sum c_k x^k = sum k c_k x^(k-1), and adding 1 breaks it')
})

t.test('integral: indefinite by differentiating the claimed antiderivative', async (t) => {
  isVerified(t, run('integral', { expression: 'x**2', variable: 'x', expected: 'x**3/3' }), 'math.integral_verified', 'power')
  isVerified(t, run('integral', { expression: '2*x', variable: 'x', expected: 'x**2 + 5' }), 'math.integral_verified', 'a constant of integration is ignored')
  isVerified(t, run('integral', { expression: 'cos(x)', variable: 'x', expected: 'sin(x)' }), 'math.integral_verified', 'cos')
  isVerified(t, run('integral', { expression: 'x*exp(x)', variable: 'x', expected: '(x-1)*exp(x)' }), 'math.integral_verified', 'by parts')
  isFalse(t, run('integral', { expression: 'x**2', variable: 'x', expected: 'x**3' }), 'math.integral_mismatch', 'wrong antiderivative')
})

t.test('integral: definite through a proven antiderivative', async (t) => {
  const exact = run('integral', { expression: 'x**2', variable: 'x', expected: '8/3', lower: '0', upper: '2' })
  isVerified(t, exact, 'math.integral_verified', 'x^2 on [0, 2]')
  t.equal(exact.developer_fields.computed_value, '8/3', 'exact value')
  t.equal(exact.developer_fields.tolerance, '0.000001', 'QWED\'s tolerance 1e-6')
  isVerified(t, run('integral', { expression: 'x', variable: 'x', expected: 0.5, lower: 0, upper: 1 }), 'math.integral_verified', 'x on [0, 1]')
  isVerified(t, run('integral', { expression: 'x**2', variable: 'x', expected: '2.666667', lower: 0, upper: 2 }), 'math.integral_verified', 'within 1e-6')
  isVerified(t, run('integral', { expression: 'sin(x)', variable: 'x', expected: 2, lower: 0, upper: 'pi' }), 'math.integral_verified', 'sin on [0, pi]')
  isVerified(t, run('integral', { expression: '1/x', variable: 'x', expected: 'log(2)', lower: 1, upper: 2 }), 'math.integral_verified', '1/x')
  isVerified(t, run('integral', { expression: '1/x', variable: 'x', expected: '-log(2)', lower: -2, upper: -1 }), 'math.integral_verified', '1/x on negative numbers')
  isVerified(t, run('integral', { expression: 'exp(2x)', variable: 'x', expected: '(e^2-1)/2', lower: 0, upper: 1 }), 'math.integral_verified', 'exp of a linear term')
  isVerified(t, run('integral', { expression: 'sqrt(x)', variable: 'x', expected: '2/3', lower: 0, upper: 1 }), 'math.integral_verified', 'sqrt')
  isVerified(t, run('integral', { expression: 'sin(2x+1)', variable: 'x', expected: '(cos(1) - cos(3))/2', lower: 0, upper: 1 }), 'math.integral_verified', 'sin of a linear term')
  isVerified(t, run('integral', { expression: '3*x^2 + 2/x^2', variable: 'x', expected: 8, lower: 1, upper: 2 }), 'math.integral_verified', 'negative powers')
  isVerified(t, run('integral', { expression: '1/(2x+1)', variable: 'x', expected: 'log(3)/2', lower: 0, upper: 1 }), 'math.integral_verified', 'reciprocal of a linear term')
  isVerified(t, run('integral', { expression: '2^x', variable: 'x', expected: '1/log(2)', lower: 0, upper: 1 }), 'math.integral_verified', 'c^x')
  isVerified(t, run('integral', { expression: '1/(1+x^2)', variable: 'x', expected: 'pi/4', lower: 0, upper: 1 }), 'math.integral_verified', 'atan')
  isVerified(t, run('integral', { expression: 'x*cos(x)', variable: 'x', expected: 'pi/2 - 1', lower: 0, upper: 'pi/2' }), 'math.integral_verified', 'by parts')
  isVerified(t, run('integral', { expression: 'x', variable: 'x', expected: '0', lower: 3, upper: 3 }), 'math.integral_verified', 'empty interval')
  isVerified(t, run('integral', { expression: 'x^2', variable: 'x', expected: '-8/3', lower: 2, upper: 0 }), 'math.integral_verified', 'reversed bounds')

  isFalse(t, run('integral', { expression: 'x**2', variable: 'x', expected: '2.67', lower: 0, upper: 2 }), 'math.integral_mismatch', 'off by more than 1e-6')
  isFalse(t, run('integral', { expression: '1/x', variable: 'x', expected: 0, lower: -1, upper: 1 }), 'math.integral_unproven', 'a pole inside the interval is never integrated through')
  isFalse(t, run('integral', { expression: 'sqrt(x)', variable: 'x', expected: 0, lower: -1, upper: 1 }), 'math.integral_unproven', 'a root of negative values')
  isFalse(t, run('integral', { expression: 'exp(x^2)', variable: 'x', expected: '1.4626517', lower: 0, upper: 1 }), 'math.integral_unproven', 'no elementary antiderivative: unproven, not sampled')
  isFalse(t, run('integral', { expression: 'sqrt(x)^2', variable: 'x', expected: 0, lower: -1, upper: 1 }), 'math.integral_unproven', 'the normal form x does not hide the domain of sqrt')
  isFalse(t, run('integral', { expression: '1/(x^2-1)', variable: 'x', expected: 0, lower: -2, upper: 2 }), 'math.integral_unproven', 'a quadratic with real roots has no atan rule')
  isFalse(t, run('integral', { expression: 'x*exp(x)', variable: 'x', expected: 2, lower: 0, upper: 1 }), 'math.integral_mismatch', 'by parts, wrong value')

  isBlocked(t, run('integral', { expression: 'x', variable: 'x', expected: 1, lower: 0 }), 'math.invalid_claim', 'one bound only')
  isBlocked(t, run('integral', { expression: 'x', variable: 'x', expected: 1, lower: 0, upper: 'y' }), 'math.invalid_claim', 'a bound with a variable')
  isBlocked(t, run('integral', { expression: 'x', variable: 'x', expected: 'x', lower: 0, upper: 1 }), 'math.invalid_claim', 'a definite integral claimed as a function of x')
  isBlocked(t, run('integral', { expression: 'x', variable: 'x', expected: '1/2', lower: 0, upper: 1, tolerance: '-1' }), 'math.invalid_tolerance', 'negative tolerance')
  isBlocked(t, run('integral', { expression: 'x', variable: 'x', expected: '1/2', lower: 0, upper: 1, tolerance: 1 }), 'math.tolerance_exceeds_bound', 'tolerance above the bound')
})

t.test('limit: substitution, L\'Hopital, poles and infinity', async (t) => {
  const sinc = run('limit', { expression: 'sin(x)/x', variable: 'x', point: '0', expected: '1' })
  isVerified(t, sinc, 'math.limit_verified', 'sin(x)/x at 0')
  t.equal(sinc.developer_fields.method, 'lhopital_1')
  isVerified(t, run('limit', { expression: 'x**2', variable: 'x', point: '2', expected: '4' }), 'math.limit_verified', 'continuous')
  isVerified(t, run('limit', { expression: '1/x', variable: 'x', point: 'oo', expected: '0' }), 'math.limit_verified', '1/x at infinity')
  isVerified(t, run('limit', { expression: '(1-cos(x))/x^2', variable: 'x', point: 0, expected: '1/2' }), 'math.limit_verified', 'L\'Hopital twice')
  isVerified(t, run('limit', { expression: '(x^2-1)/(x-1)', variable: 'x', point: 1, expected: 2 }), 'math.limit_verified', 'removable singularity')
  isVerified(t, run('limit', { expression: '(exp(x)-1)/x', variable: 'x', point: 0, expected: 1 }), 'math.limit_verified', 'exp')
  isVerified(t, run('limit', { expression: '(3x^2+1)/(x^2-2)', variable: 'x', point: 'infinity', expected: 3 }), 'math.limit_verified', 'rational function at infinity')
  isVerified(t, run('limit', { expression: '1/x^2', variable: 'x', point: 0, expected: 'oo' }), 'math.limit_verified', 'even pole')
  isVerified(t, run('limit', { expression: 'x^3 - x', variable: 'x', point: '-oo', expected: '-oo' }), 'math.limit_verified', 'minus infinity')
  isVerified(t, run('limit', { expression: 'sin(a*x)/x', variable: 'x', point: 0, expected: 'a' }), 'math.limit_verified', 'with a parameter')
  isVerified(t, run('limit', { expression: 'sin(x)', variable: 'x', point: 'pi/2', expected: 1 }), 'math.limit_verified', 'a constant point')

  isFalse(t, run('limit', { expression: 'sin(x)/x', variable: 'x', point: 0, expected: 2 }), 'math.limit_mismatch', 'wrong value')
  isFalse(t, run('limit', { expression: '1/x', variable: 'x', point: 0, expected: 'oo' }), 'math.limit_mismatch', 'odd pole: the two-sided limit does not exist')
  isFalse(t, run('limit', { expression: 'sqrt(x)', variable: 'x', point: 0, expected: 0 }), 'math.limit_unproven', 'edge of the domain: not claimed two-sided')
  isFalse(t, run('limit', { expression: 'sin(x)/x', variable: 'x', point: 'oo', expected: 0 }), 'math.limit_unproven', 'beyond the rules: unproven')

  isBlocked(t, run('limit', { expression: 'x', variable: 'x', point: 'y', expected: 0 }), 'math.invalid_claim', 'a point with a variable')
  isBlocked(t, run('limit', { expression: 'x', variable: 'x', point: 0, expected: 'x' }), 'math.invalid_claim', 'a limit that depends on the variable')
})

t.test('matrix: exact operations', async (t) => {
  isVerified(t, run('matrix', { matrixOperation: 'add', a: [[1, 2], [3, 4]], b: [[5, 6], [7, 8]], expected: [[6, 8], [10, 12]] }), 'math.matrix_add_verified', 'add')
  isVerified(t, run('matrix', { matrixOperation: 'add', a: [[0.1]], b: [[0.2]], expected: [[0.3]] }), 'math.matrix_add_verified', '0.1 + 0.2 = 0.3 exactly')
  isVerified(t, run('matrix', { matrixOperation: 'subtract', a: [[1, 2]], b: [[3, 4]], expected: [[-2, -2]] }), 'math.matrix_subtract_verified', 'subtract')
  isVerified(t, run('matrix', { matrixOperation: 'multiply', a: [[1, 2], [3, 4]], b: [[5, 6], [7, 8]], expected: [[19, 22], [43, 50]] }), 'math.matrix_multiply_verified', 'multiply')
  isVerified(t, run('matrix', { matrixOperation: 'multiply', a: [[1, 2, 3]], b: [[1], [2], [3]], expected: [[14]] }), 'math.matrix_multiply_verified', 'row times column')
  isVerified(t, run('matrix', { matrixOperation: 'transpose', a: [[1, 2, 3], [4, 5, 6]], expected: [[1, 4], [2, 5], [3, 6]] }), 'math.matrix_transpose_verified', 'transpose')
  isVerified(t, run('matrix', { matrixOperation: 'inverse', a: [[1, 2], [3, 4]], expected: [[-2, 1], [1.5, -0.5]] }), 'math.matrix_inverse_verified', 'inverse')
  isVerified(t, run('matrix', { matrixOperation: 'inverse', a: [[3]], expected: [['1/3']] }), 'math.matrix_inverse_verified', 'exact fraction')
  isVerified(t, run('matrix', { matrixOperation: 'inverse', a: [[3]], expected: [[0.3333]], tolerance: 0.001 }), 'math.matrix_inverse_verified', 'within an explicit tolerance')
  isVerified(t, run('matrix', { matrixOperation: 'determinant', a: [[1, 2], [3, 4]], expected: -2 }), 'math.matrix_determinant_verified', 'determinant')
  isVerified(t, run('matrix', { matrixOperation: 'determinant', a: [[0.1, 0.2], [0.3, 0.4]], expected: -0.02 }), 'math.matrix_determinant_verified', 'decimal determinant')
  isVerified(t, run('matrix', { matrixOperation: 'determinant', a: [[0, 1], [1, 0]], expected: -1 }), 'math.matrix_determinant_verified', 'pivoting')

  isFalse(t, run('matrix', { matrixOperation: 'multiply', a: [[1, 2], [3, 4]], b: [[5, 6], [7, 8]], expected: [[19, 22], [43, 51]] }), 'math.matrix_multiply_mismatch', 'one wrong entry')
  isFalse(t, run('matrix', { matrixOperation: 'add', a: [[1]], b: [[1]], expected: [[2, 0]] }), 'math.matrix_add_mismatch', 'wrong shape claimed')
  isFalse(t, run('matrix', { matrixOperation: 'inverse', a: [[3]], expected: [[0.333333]] }), 'math.matrix_inverse_mismatch', '1/3 is not 0.333333 without a tolerance')
  isFalse(t, run('matrix', { matrixOperation: 'determinant', a: [[1, 2], [3, 4]], expected: 2 }), 'math.matrix_determinant_mismatch', 'wrong determinant')

  isBlocked(t, run('matrix', { matrixOperation: 'inverse', a: [[1, 2], [2, 4]], expected: [[1, 0], [0, 1]] }), 'math.matrix_inverse_singular', 'singular inverse')
  isBlocked(t, run('matrix', { matrixOperation: 'multiply', a: [[1, 2]], b: [[1, 2]], expected: [[1]] }), 'math.matrix_multiply_dimension_mismatch', 'incompatible product')
  isBlocked(t, run('matrix', { matrixOperation: 'add', a: [[1, 2]], b: [[1]], expected: [[1]] }), 'math.matrix_add_dimension_mismatch', 'incompatible sum')
  isBlocked(t, run('matrix', { matrixOperation: 'determinant', a: [[1, 2, 3]], expected: 0 }), 'math.matrix_determinant_not_square', 'determinant of a non-square matrix')
  isBlocked(t, run('matrix', { matrixOperation: 'add', a: [[1, 2], [3]], b: [[1, 2], [3]], expected: [[1]] }), 'math.invalid_claim', 'ragged rows')
  isBlocked(t, run('matrix', { matrixOperation: 'add', a: [[1, 'x']], b: [[1, 2]], expected: [[1]] }), 'math.invalid_claim', 'a non-number entry')
  isBlocked(t, run('matrix', { matrixOperation: 'add', a: [[1]], expected: [[1]] }), 'math.invalid_claim', 'add without b')
  isBlocked(t, run('matrix', { matrixOperation: 'power' as 'add', a: [[1]], expected: [[1]] }), 'math.invalid_claim', 'unknown matrix operation')
})

t.test('matrix: inverse times matrix is the identity (property)', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 3, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
    (a) => {
      const det = run('matrix', { matrixOperation: 'determinant', a, expected: 0 })
      const inv = run('matrix', { matrixOperation: 'inverse', a, expected: [[0]] })
      if (det.status === 'VERIFIED') return inv.status === 'BLOCKED' && id(inv) === 'math.matrix_inverse_singular'
      // A^-1 from the result, then A * A^-1 must be verified as I by the multiply helper
      const x = JSON.parse(inv.developer_fields.computed_value as string) as string[][]
      const ok = run('matrix', { matrixOperation: 'multiply', a, b: x, expected: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] })
      return ok.status === 'VERIFIED'
    }
  ), { numRuns: 60, seed: 11 })
  t.pass('A A^-1 = I for every non-singular integer 3x3 matrix, and singular ones are BLOCKED')
})

t.test('matrix: eigenvalues', async (t) => {
  isVerified(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 3]], expected: [3, 2] }), 'math.matrix_eigenvalues_verified', 'diagonal, any order')
  isVerified(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 2]], expected: [2, 2] }), 'math.matrix_eigenvalues_verified', 'repeated eigenvalue')
  isVerified(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[5]], expected: [5] }), 'math.matrix_eigenvalues_verified', '1x1')
  isVerified(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[1, 2], [3, 4]], expected: [5.3722813, -0.3722813] }), 'math.matrix_eigenvalues_verified', 'irrational eigenvalues within 1e-6')
  isVerified(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 1, 0], [1, 2, 1], [0, 1, 2]], expected: [2, 0.5857864, 3.4142136] }), 'math.matrix_eigenvalues_verified', '3x3')
  isVerified(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[4, 1, 0], [0, 4, 0], [0, 0, 1]], expected: [4, 4, 1] }), 'math.matrix_eigenvalues_verified', 'defective matrix, multiplicity 2')
  isVerified(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[1, 2], [3, 4]], expected: [5.37, -0.37], tolerance: 0.01 }), 'math.matrix_eigenvalues_verified', 'explicit tolerance')

  isFalse(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 3]], expected: [2, 4] }), 'math.matrix_eigenvalues_mismatch', 'a wrong eigenvalue')
  isFalse(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 3]], expected: [2, 2] }), 'math.matrix_eigenvalues_mismatch', 'a repeated claim for distinct eigenvalues')
  isFalse(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[1, 2], [3, 4]], expected: [5.37, -0.37] }), 'math.matrix_eigenvalues_mismatch', 'outside 1e-6')
  // QWED compares the real parts of complex eigenvalues, so it verifies [0, 0] here
  isFalse(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[0, -1], [1, 0]], expected: [0, 0] }), 'math.matrix_eigenvalues_mismatch', 'complex eigenvalues never match real claims')

  const incomplete = run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 3]], expected: [2] })
  isBlocked(t, incomplete, 'math.matrix_eigenvalues_count_mismatch', 'incomplete list')
  t.equal(incomplete.developer_fields.calculated_count, 2)
  t.equal(incomplete.developer_fields.claimed_count, 1)
  isBlocked(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 2]], expected: [2] }), 'math.matrix_eigenvalues_count_mismatch', 'multiplicity not counted')
  isBlocked(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 3]], expected: [2, 3, 5] }), 'math.matrix_eigenvalues_count_mismatch', 'too many')
  isBlocked(t, run('matrix', { matrixOperation: 'eigenvalues', a: [[2, 0], [0, 3]], expected: ['2+i', 3] }), 'math.invalid_claim', 'complex numbers are not accepted')
})

t.test('upoly: Sturm counting and isolation', async (t) => {
  // (x - 1)(x - 2)(x + 3) = x^3 - 7x + 6
  const p: U.IPoly = [6n, -7n, 0n, 1n]
  const seq = U.sturm(p)
  t.equal(U.countRoots(seq, Q.int(-10), Q.int(10)), 3, 'three real roots')
  t.equal(U.countRoots(seq, Q.int(0), Q.int(1)), 1, 'a root at the right end of (a, b] is counted')
  t.equal(U.countRoots(seq, Q.int(1), Q.int(2)), 1, 'a root at the left end is not')
  const roots = U.isolate(p, seq)
  t.equal(roots.length, 3)
  t.ok(roots.every((iv, i) => i === 0 || (roots[i - 1] as U.Interval).hi.cmp(iv.lo) <= 0), 'sorted, disjoint intervals')
  // x^2 + 1 has none; (x - 1)^2 (x + 1) has square-free part x^2 - 1
  t.equal(U.isolate([1n, 0n, 1n]).length, 0, 'x^2 + 1 has no real root')
  t.same(U.squareFreePart([1n, -1n, -1n, 1n]).map(String), ['-1', '0', '1'], 'square-free part of (x-1)^2 (x+1)')
})

t.test('percentage', async (t) => {
  isVerified(t, run('percentage', { calculation: 'of', value: 200, percentage: 15, expected: 30 }), 'math.percentage_verified', '15% of 200')
  isVerified(t, run('percentage', { calculation: 'increase', value: 100, percentage: 20, expected: 120 }), 'math.percentage_verified', 'increase')
  isVerified(t, run('percentage', { calculation: 'decrease', value: 100, percentage: 20, expected: 80 }), 'math.percentage_verified', 'decrease')
  isVerified(t, run('percentage', { calculation: 'change', value: 50, newValue: 75, expected: 50 }), 'math.percentage_verified', 'change')
  isVerified(t, run('percentage', { calculation: 'change', value: 3, newValue: 4, expected: 33.33 }), 'math.percentage_verified', 'change within 0.01')
  isVerified(t, run('percentage', { calculation: 'of', value: '0.1', percentage: '10', expected: '0.01', tolerance: 0 }), 'math.percentage_verified', 'exact decimals')
  isFalse(t, run('percentage', { calculation: 'increase', value: 80, percentage: 25, expected: 90 }), 'math.percentage_mismatch', 'wrong increase')
  isFalse(t, run('percentage', { calculation: 'change', value: 3, newValue: 4, expected: 33.3 }), 'math.percentage_mismatch', 'change off by more than 0.01')
  isBlocked(t, run('percentage', { calculation: 'change', value: 0, newValue: 10, expected: 5 }), 'math.percentage_change_from_zero', 'change from zero')
  isBlocked(t, run('percentage', { calculation: 'change', value: 10, expected: 5 }), 'math.invalid_claim', 'change without newValue')
  isBlocked(t, run('percentage', { calculation: 'of', value: 10, expected: 5 }), 'math.invalid_claim', 'of without percentage')
  isBlocked(t, run('percentage', { calculation: 'ratio' as 'of', value: 10, percentage: 1, expected: 5 }), 'math.invalid_claim', 'unknown calculation')
  isBlocked(t, run('percentage', { calculation: 'of', value: 'NaN', percentage: 1, expected: 5 }), 'math.invalid_claim', 'NaN text')
  isBlocked(t, run('percentage', { calculation: 'of', value: Infinity, percentage: 1, expected: 5 }), 'math.invalid_claim', 'Infinity')
})

t.test('compound interest', async (t) => {
  const annual = run('compound_interest', { principal: 1000, rate: 0.05, years: 10, compoundsPerYear: 1, expected: 1628.89 })
  isVerified(t, annual, 'math.compound_interest_verified', 'annual')
  t.equal(annual.developer_fields.computed_value, '1628.89', 'rounded to cents')
  t.equal(annual.developer_fields.tolerance, '0.01', 'QWED default tolerance')
  t.equal(annual.developer_fields.method, 'exact_rational')
  isVerified(t, run('compound_interest', { principal: 1000, rate: 0.05, years: 10, compoundsPerYear: 12, expected: 1647.01, tolerance: 1 }), 'math.compound_interest_verified', 'monthly')
  isVerified(t, run('compound_interest', { principal: 10000, rate: 0.05, years: 5, expected: 12762.82 }), 'math.compound_interest_verified', 'annual by default; half-up rounding of ...815625')
  isVerified(t, run('compound_interest', { principal: '1000.1', rate: '0.05', years: 1, expected: '1050.11', tolerance: 0 }), 'math.compound_interest_verified', 'an exact half cent rounds up')
  isVerified(t, run('compound_interest', { principal: 10000, rate: 0.05, years: 30, compoundsPerYear: 365, expected: 44812.29 }), 'math.compound_interest_verified', 'daily for 30 years, exactly')
  const fractional = run('compound_interest', { principal: 1000, rate: 0.05, years: 2.5, expected: 1129.73 })
  isVerified(t, fractional, 'math.compound_interest_verified', 'fractional periods')
  t.equal(fractional.developer_fields.method, 'high_precision')
  isFalse(t, run('compound_interest', { principal: 100000, rate: 0.05, years: 10, compoundsPerYear: 1, expected: 150000, tolerance: 0.01 }), 'math.compound_interest_mismatch', 'wrong amount')
  isFalse(t, run('compound_interest', { principal: 1000, rate: 0.05, years: 10, expected: 1628.87 }), 'math.compound_interest_mismatch', 'two cents off')
  isBlocked(t, run('compound_interest', { principal: 1000, rate: -2, years: 1, expected: 0 }), 'math.compound_interest_invalid_rate', 'a growth factor below zero')
  isBlocked(t, run('compound_interest', { principal: 1000, rate: 0.05, years: -1, expected: 0 }), 'math.invalid_claim', 'negative years')
  isBlocked(t, run('compound_interest', { principal: 1000, rate: 0.05, years: 1, compoundsPerYear: 0.5, expected: 0 }), 'math.invalid_claim', 'fractional compounding')
  const huge = timed('compound_interest', { principal: 1, rate: 1, years: 1e9, expected: 0 })
  isBlocked(t, huge.r, 'math.compound_interest_too_large', 'an amount with a billion digits')
  isBlocked(t, run('compound_interest', { principal: 1000, rate: 0.05, years: 10, expected: 1628.89, tolerance: 500 }), 'math.tolerance_exceeds_bound', 'tolerance above 10% of the amount')
})

t.test('NPV', async (t) => {
  const npv = run('npv', { rate: 0.1, cashFlows: [-1000, 300, 400, 500], expected: -21.04, tolerance: 1 })
  isVerified(t, npv, 'math.npv_verified', 'QWED example')
  t.equal(npv.developer_fields.computed_value, '-21.04')
  isVerified(t, run('npv', { rate: 0.1, cashFlows: [-1000, 300, 400, 500], expected: -21.04 }), 'math.npv_verified', 'default tolerance 0.01')
  isVerified(t, run('npv', { rate: 0.10, cashFlows: [-1000, 300, 300, 300, 300, 300], expected: 136.78, tolerance: 1 }), 'math.npv_verified', 'within 1')
  isVerified(t, run('npv', { rate: 0, cashFlows: [-1, 1], expected: 0 }), 'math.npv_verified', 'zero rate')
  isFalse(t, run('npv', { rate: 0.1, cashFlows: [-1000, 300, 400, 500], expected: -20 }), 'math.npv_mismatch', 'wrong NPV')
  isBlocked(t, run('npv', { rate: -1, cashFlows: [-1, 1], expected: 0 }), 'math.npv_invalid_rate', 'rate -1')
  isBlocked(t, run('npv', { rate: 0.1, cashFlows: [], expected: 0 }), 'math.invalid_claim', 'no flows')
  isBlocked(t, run('npv', { rate: 0.1, cashFlows: [-1000, 300, 400, 500], expected: -21.04, tolerance: 5 }), 'math.tolerance_exceeds_bound', 'tolerance above 10% of |NPV|')
  const million = timed('npv', { rate: 0.1, cashFlows: new Array<DecimalInput>(1_000_000).fill(1), expected: 0 })
  isBlocked(t, million.r, 'math.npv_too_large', '10^6 cash flows')
  const long = timed('npv', { rate: '0.0123456789', cashFlows: Array.from({ length: 1000 }, (_, i): DecimalInput => (i === 0 ? -1e6 : 1234.56)), expected: 0 })
  isFalse(t, long.r, 'math.npv_mismatch', '1000 flows at a long rate are computed exactly')
  isBlocked(t, run('npv', { rate: '0.' + '1'.repeat(150), cashFlows: new Array<DecimalInput>(1000).fill(1), expected: 0 }), 'math.npv_too_large', 'exact numbers too large')
})

t.test('IRR', async (t) => {
  const irr = run('irr', { cashFlows: [-1000, 300, 400, 400, 300], expected: 0.149, tolerance: 0.001 })
  isVerified(t, irr, 'math.irr_verified', 'one sign change')
  t.equal(irr.developer_fields.method, 'exact_sign_test')
  t.match(irr.developer_fields.computed_value, /^0\.1489/, 'the IRR is shown')
  isVerified(t, run('irr', { cashFlows: [-1000, 500, 400, 300], expected: 0.1065, tolerance: 0.01 }), 'math.irr_verified', 'QWED example')
  isVerified(t, run('irr', { cashFlows: [-100, 0, 0, 100], expected: 0, tolerance: 0.01 }), 'math.irr_verified', 'zero IRR with zeros between')
  isVerified(t, run('irr', { cashFlows: [-100, 110], expected: 0.1, tolerance: 0 }), 'math.irr_verified', 'exact root on the edge of the tolerance')
  isVerified(t, run('irr', { cashFlows: [100, -110], expected: 0.1 }), 'math.irr_verified', 'borrowing (positive first)')
  isFalse(t, run('irr', { cashFlows: [-1000, 300, 400, 400, 300], expected: 0.5, tolerance: 0.001 }), 'math.irr_mismatch', 'wrong IRR')
  isFalse(t, run('irr', { cashFlows: [-100, 110], expected: -5 }), 'math.irr_mismatch', 'no IRR below -1')
  isBlocked(t, run('irr', { cashFlows: [-100, 230, -132], expected: 0.1 }), 'math.irr_ambiguous', 'two sign changes')
  isBlocked(t, run('irr', { cashFlows: [-100, 0, 230, -132], expected: 0.1 }), 'math.irr_ambiguous', 'zeros do not hide sign changes')
  isBlocked(t, run('irr', { cashFlows: [0, 0, 0], expected: 0 }), 'math.irr_undefined', 'all zero')
  isBlocked(t, run('irr', { cashFlows: [100, 200], expected: 0 }), 'math.irr_no_root', 'no sign change')
  isBlocked(t, run('irr', { cashFlows: [-100], expected: 0 }), 'math.irr_too_few_flows', 'one flow')
  const million = timed('irr', { cashFlows: new Array<DecimalInput>(1_000_000).fill(-1), expected: 0 })
  isBlocked(t, million.r, 'math.irr_too_large', '10^6 cash flows')
})

t.test('unit conversion', async (t) => {
  isVerified(t, run('unit_conversion', { value: 100, from: 'c', to: 'f', expected: 212 }), 'math.unit_conversion_verified', 'C to F')
  isVerified(t, run('unit_conversion', { value: 0, from: 'Celsius', to: 'F', expected: 32 }), 'math.unit_conversion_verified', 'names are case-insensitive')
  isVerified(t, run('unit_conversion', { value: 0, from: 'K', to: 'C', expected: -273.15 }), 'math.unit_conversion_verified', 'K to C')
  isVerified(t, run('unit_conversion', { value: 32, from: 'f', to: 'k', expected: 273.15 }), 'math.unit_conversion_verified', 'F to K (QWED only converts through C)')
  isVerified(t, run('unit_conversion', { value: 10, from: 'ft', to: 'm', expected: 3.048 }), 'math.unit_conversion_verified', 'feet to metres')
  isVerified(t, run('unit_conversion', { value: 1, from: 'km', to: 'mi', expected: 0.621, tolerance: 0.01 }), 'math.unit_conversion_verified', 'relative tolerance')
  isVerified(t, run('unit_conversion', { value: 1, from: 'lb', to: 'kg', expected: 0.4536, tolerance: 0.001 }), 'math.unit_conversion_verified', 'pounds')
  isVerified(t, run('unit_conversion', { value: 3.78541, from: 'l', to: 'gal', expected: 1, tolerance: 0.01 }), 'math.unit_conversion_verified', 'litres to gallons')
  isVerified(t, run('unit_conversion', { value: 2, from: 'hours', to: 'min', expected: 120 }), 'math.unit_conversion_verified', 'time')
  const exact = run('unit_conversion', { value: 1, from: 'mile', to: 'ft', expected: 5280, tolerance: 0 })
  isVerified(t, exact, 'math.unit_conversion_verified', 'exact factors: a mile is 5280 feet')
  t.equal(exact.developer_fields.tolerance_kind, 'relative')
  isFalse(t, run('unit_conversion', { value: 1, from: 'mile', to: 'km', expected: 1.5 }), 'math.unit_conversion_mismatch', 'wrong conversion')
  isFalse(t, run('unit_conversion', { value: 100, from: 'f', to: 'c', expected: 37.78 }), 'math.unit_conversion_mismatch', 'temperature tolerance is absolute 0.001')
  isBlocked(t, run('unit_conversion', { value: 1, from: 'mile', to: 'kg', expected: 1 }), 'math.unit_conversion_dimension_mismatch', 'length to mass')
  isBlocked(t, run('unit_conversion', { value: 1, from: 'c', to: 'm', expected: 1 }), 'math.unit_conversion_dimension_mismatch', 'temperature to length')
  isBlocked(t, run('unit_conversion', { value: 1, from: 'parsec', to: 'km', expected: 1 }), 'math.unit_conversion_unknown_unit', 'unknown unit')
  isBlocked(t, run('unit_conversion', { value: 1, from: 'km', to: 'mi', expected: 0.621, tolerance: 0.5 }), 'math.tolerance_exceeds_bound', 'relative tolerance above 10%')
})

t.test('tolerance policy and evidence', async (t) => {
  isBlocked(t, run('percentage', { calculation: 'of', value: 200, percentage: 15, expected: 30, tolerance: 'abc' }), 'math.invalid_tolerance', 'unreadable')
  isBlocked(t, run('percentage', { calculation: 'of', value: 200, percentage: 15, expected: 30, tolerance: -0.01 }), 'math.invalid_tolerance', 'negative')
  isBlocked(t, run('percentage', { calculation: 'of', value: 200, percentage: 15, expected: 30, tolerance: NaN }), 'math.invalid_tolerance', 'NaN')
  isVerified(t, run('percentage', { calculation: 'of', value: 200, percentage: 15, expected: 30.5, tolerance: 0.5 }), 'math.percentage_verified', 'within 10% of the value')
  isBlocked(t, run('percentage', { calculation: 'of', value: 200, percentage: 15, expected: 30, tolerance: 3.01 }), 'math.tolerance_exceeds_bound', 'above 10% of the value')
  isVerified(t, run('percentage', { calculation: 'of', value: 0, percentage: 15, expected: 0, tolerance: 0.01 }), 'math.percentage_verified', 'the bound is at least 0.01')

  const r = run('npv', { rate: 0.1, cashFlows: [-1000, 300, 400, 500], expected: -21.04 })
  const evidence = {
    operation: 'npv',
    inputs: { rate: '0.1', cash_flows: ['-1000', '300', '400', '500'] },
    computed_value: '-21.04',
    expected: '-21.04',
    tolerance: '0.01',
    method: 'exact_rational',
    verdict: 'verified'
  }
  t.equal(r.proof_ref, canonicalHash(evidence), 'proof_ref binds operation, inputs, computed value and verdict')
  t.equal(r.developer_fields.operation, 'npv')
  t.equal(typeof r.developer_fields.computed_value, 'string', 'computed values are strings')
})

t.test('hostile sizes are refused before any work', async (t) => {
  const big = Array.from({ length: 51 }, () => new Array<DecimalInput>(51).fill(1))
  const cases: Array<[string, () => EngineResult, string]> = [
    ['51x51 product', () => run('matrix', { matrixOperation: 'multiply', a: big, b: big, expected: [[1]] }), 'math.matrix_too_large'],
    ['21x21 inverse', () => run('matrix', { matrixOperation: 'inverse', a: big.slice(0, 21).map((row) => row.slice(0, 21)), expected: [[1]] }), 'math.matrix_too_large'],
    ['11x11 eigenvalues', () => run('matrix', { matrixOperation: 'eigenvalues', a: big.slice(0, 11).map((row) => row.slice(0, 11)), expected: [1] }), 'math.matrix_too_large'],
    ['a million rows', () => run('matrix', { matrixOperation: 'transpose', a: new Array<DecimalInput[]>(1_000_000).fill([1]), expected: [[1]] }), 'math.matrix_too_large'],
    ['a 10^6-digit entry', () => run('matrix', { matrixOperation: 'determinant', a: [['9'.repeat(1_000_000)]], expected: 1 }), 'math.invalid_claim'],
    ['exponent bomb entry', () => run('matrix', { matrixOperation: 'determinant', a: [['1e999999999']], expected: 1 }), 'math.resource_limit'],
    ['huge derivative order', () => run('derivative', { expression: 'x', variable: 'x', expected: '0', order: 1e9 }), 'math.invalid_claim'],
    ['expression bomb', () => run('derivative', { expression: '9^9^9^9', variable: 'x', expected: '0' }), 'math.resource_limit']
  ]
  for (const [what, fn, constraint] of cases) {
    const r = fn()
    isBlocked(t, r, constraint, what)
  }
  // the largest accepted inputs still finish
  const mk = (n: number): DecimalInput[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => 1 / (i + j + 1)))
  for (const [what, fn] of [
    ['20x20 Hilbert-like inverse', () => run('matrix', { matrixOperation: 'inverse', a: mk(20), expected: [[0]] })],
    ['10x10 Hilbert-like eigenvalues', () => run('matrix', { matrixOperation: 'eigenvalues', a: mk(10), expected: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })],
    ['50x50 product', () => run('matrix', { matrixOperation: 'multiply', a: mk(50), b: mk(50), expected: [[0]] })]
  ] as Array<[string, () => EngineResult]>) {
    const r = fn()
    t.not(r.status, 'VERIFIED', `${what}: judged (${String(id(r))})`)
  }
})
