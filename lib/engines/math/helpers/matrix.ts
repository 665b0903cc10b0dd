/**
 * Matrix helpers in exact rational arithmetic:
 *   add, subtract, multiply, transpose   exact; compared entry by entry (exactly, or within an
 *                                        explicit tolerance)
 *   inverse                              Gauss-Jordan in rationals; singular -> BLOCKED
 *   determinant                          fraction-free elimination (Bareiss) on the integer matrix
 *                                        obtained by clearing each row's denominators; tolerance
 *                                        1e-6 by default (QWED)
 *   eigenvalues                          the claimed list must have one value per eigenvalue
 *                                        counted with multiplicity (else BLOCKED); the
 *                                        characteristic polynomial is computed exactly
 *                                        (Faddeev-LeVerrier), split into square-free factors, its
 *                                        real roots isolated with Sturm sequences, and the sorted
 *                                        roots matched with the sorted claims within the tolerance
 *                                        (1e-6 by default) by exact bisection. Complex eigenvalues
 *                                        never match a real claim (QWED compares their real parts).
 */
import type { DecimalInput, MathOperationClaim } from '../../../../types/claims.js'
import type { DiagnosticResult } from '../../../../types/result.js'
import { Q, bitLength } from '../exact.js'
import { charge } from '../limits.js'
import { Decimal } from '../numeric.js'
import { type Outcome, denseItems, effectiveTolerance, fail, malformed, readNumber, readTolerance, report, showQ } from './common.js'
import * as U from './upoly.js'

type MatrixClaim = Extract<MathOperationClaim, { operation: 'matrix' }>
type M = Q[][]
/** An unreduced fraction n/d (d != 0): large inverses are compared without reducing every entry. */
interface F { n: bigint, d: bigint }

function frac (n: bigint, d: bigint): F {
  return d < 0n ? { n: -n, d: -d } : { n, d }
}

function fromQ (m: M): F[][] {
  return m.map((row) => row.map((q) => ({ n: q.n, d: q.d })))
}

/** Exact text for small fractions, else about 15 significant digits. */
function showF (f: F): string {
  if (bitLength(f.n) + bitLength(f.d) <= 600) return showQ(Q.of(f.n, f.d))
  const shift = BigInt(Math.max(0, bitLength(f.d) - bitLength(f.n) + 64))
  const scaled = (f.n << shift) / f.d
  const v = new Decimal(scaled.toString()).div(new Decimal(2).pow(Number(shift)))
  return '~' + v.toSignificantDigits(15).toString()
}

/** Rows and columns of one matrix (add, subtract, multiply, transpose). */
export const MAX_DIMENSION = 50
/** Side of a square matrix for determinant and inverse. */
export const MAX_SQUARE = 20
/** Side of a square matrix for eigenvalues. */
export const MAX_EIGEN = 10
const DEFAULT_TOLERANCE = Q.of(1n, 1000000n)

const OPERATIONS = ['add', 'subtract', 'multiply', 'transpose', 'inverse', 'determinant', 'eigenvalues'] as const

function readMatrix (value: unknown, field: string, max: number): M {
  if (!Array.isArray(value) || value.length === 0) malformed(field, 'a matrix is a non-empty array of rows')
  if (value.length > max) fail('matrix_too_large', 'Matrix is too large to verify', { field, max_dimension: max })
  let cols = -1
  return denseItems(value, field).map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length === 0) malformed(`${field}[${i}]`, 'a row is a non-empty array')
    if (row.length > max) fail('matrix_too_large', 'Matrix is too large to verify', { field, max_dimension: max })
    if (cols === -1) cols = row.length
    if (row.length !== cols) malformed(field, 'rows of different lengths')
    return denseItems(row, `${field}[${i}]`).map((v: unknown, j) => readNumber(v, `${field}[${i}][${j}]`, { rational: true }))
  })
}

function shape (m: M): [number, number] {
  return [m.length, (m[0] as Q[]).length]
}

function show (m: M): string[][] {
  return m.map((row) => row.map(showQ))
}

function transpose (a: M): M {
  const [r, c] = shape(a)
  return Array.from({ length: c }, (_, j) => Array.from({ length: r }, (_, i) => (a[i] as Q[])[j] as Q))
}

function lcmOf (values: bigint[]): bigint {
  let l = 1n
  for (const v of values) l = (l / gcdBig(l, v)) * v
  return l
}

function gcdBig (a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a < 0n ? -a : a
}

/** Each row times the lcm of its denominators: an integer matrix and the row scales. */
function integerRows (a: M): { m: bigint[][], scales: bigint[] } {
  const scales = a.map((row) => lcmOf(row.map((q) => q.d)))
  return { m: a.map((row, i) => row.map((q) => q.n * ((scales[i] as bigint) / q.d))), scales }
}

/** Product on integers: A = diag(1/ra) IA, B = IB diag(1/cb). */
function multiply (a: M, b: M): M {
  const [n, k] = shape(a)
  const m = shape(b)[1]
  charge(0.002 * n * k * m)
  const { m: IA, scales: ra } = integerRows(a)
  const { m: IBt, scales: cb } = integerRows(transpose(b))
  return Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => {
    const row = IA[i] as bigint[]
    const col = IBt[j] as bigint[]
    let s = 0n
    for (let t = 0; t < k; t++) s += (row[t] as bigint) * (col[t] as bigint)
    return Q.of(s, (ra[i] as bigint) * (cb[j] as bigint))
  }))
}

function exactDiv (a: bigint, b: bigint): bigint {
  if (a % b !== 0n) throw new Error('fraction-free elimination lost exactness')
  return a / b
}

/**
 * Inverse by fraction-free Gauss-Jordan on the integer rows [IA | I] (every division is exact, by
 * Sylvester's identity); null when singular. A = diag(1/r) IA, so A^-1 = IA^-1 diag(r).
 */
function inverse (a: M): F[][] | null {
  const n = a.length
  const { m: IA, scales } = integerRows(a)
  const m = IA.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1n : 0n))])
  let prev = 1n
  for (let k = 0; k < n; k++) {
    if ((m[k] as bigint[])[k] === 0n) {
      let swap = -1
      for (let r = k + 1; r < n; r++) if ((m[r] as bigint[])[k] !== 0n) { swap = r; break }
      if (swap < 0) return null
      ;[m[k], m[swap]] = [m[swap] as bigint[], m[k] as bigint[]]
    }
    const pivotRow = m[k] as bigint[]
    const pk = pivotRow[k] as bigint
    for (let i = 0; i < n; i++) {
      if (i === k) continue
      const row = m[i] as bigint[]
      const f = row[k] as bigint
      for (let j = 0; j < 2 * n; j++) {
        if (j === k) continue
        row[j] = exactDiv(pk * (row[j] as bigint) - f * (pivotRow[j] as bigint), prev)
      }
      row[k] = 0n
    }
    prev = pk
    charge(0.004 * n * n)
  }
  return m.map((row, i) => Array.from({ length: n }, (_, j) => frac((row[n + j] as bigint) * (scales[j] as bigint), row[i] as bigint)))
}

/** Exact determinant: rows scaled to integers, then Bareiss fraction-free elimination. */
function determinant (a: M): Q {
  const n = a.length
  const { m, scales } = integerRows(a)
  const scaleDen = scales.reduce((x, y) => x * y, 1n)
  let sign = 1n
  let prev = 1n
  for (let k = 0; k < n - 1; k++) {
    if ((m[k] as bigint[])[k] === 0n) {
      let swap = -1
      for (let r = k + 1; r < n; r++) if ((m[r] as bigint[])[k] !== 0n) { swap = r; break }
      if (swap < 0) return Q.ZERO
      ;[m[k], m[swap]] = [m[swap] as bigint[], m[k] as bigint[]]
      sign = -sign
    }
    const pk = (m[k] as bigint[])[k] as bigint
    for (let i = k + 1; i < n; i++) {
      const row = m[i] as bigint[]
      for (let j = k + 1; j < n; j++) row[j] = exactDiv((row[j] as bigint) * pk - (row[k] as bigint) * ((m[k] as bigint[])[j] as bigint), prev)
      row[k] = 0n
    }
    prev = pk
    charge(0.004 * n * n)
  }
  return Q.of(sign * ((m[n - 1] as bigint[])[n - 1] as bigint), scaleDen)
}

/**
 * Characteristic polynomial of A with integer coefficients (up to a positive factor): with
 * B = s A an integer matrix, Faddeev-LeVerrier gives det(mu I - B) = sum c_i mu^i exactly, and
 * det(lambda I - A) is proportional to sum c_i s^i lambda^i.
 */
function characteristic (a: M): U.IPoly {
  const n = a.length
  const s = lcmOf(a.flatMap((row) => row.map((q) => q.d)))
  const B = a.map((row) => row.map((q) => q.n * (s / q.d)))
  const mulInt = (x: bigint[][], y: bigint[][]): bigint[][] => x.map((row) => Array.from({ length: n }, (_, j) => {
    let acc = 0n
    for (let t = 0; t < n; t++) acc += (row[t] as bigint) * ((y[t] as bigint[])[j] as bigint)
    return acc
  }))
  const c: bigint[] = new Array<bigint>(n + 1).fill(0n)
  c[n] = 1n
  let Mk: bigint[][] = Array.from({ length: n }, () => new Array<bigint>(n).fill(0n))
  for (let k = 1; k <= n; k++) {
    const prev = c[n - k + 1] as bigint
    Mk = mulInt(B, Mk).map((row, i) => row.map((v, j) => (i === j ? v + prev : v)))
    const BM = mulInt(B, Mk)
    let trace = 0n
    for (let i = 0; i < n; i++) trace += (BM[i] as bigint[])[i] as bigint
    c[n - k] = exactDiv(-trace, BigInt(k))
    charge(0.004 * n * n * n)
  }
  let sp = 1n
  return U.primitive(c.map((ci) => {
    const v = ci * sp
    sp *= s
    return v
  }))
}

/** Entry by entry |computed - expected| <= tol, by cross-multiplication (no reduction). */
function compareMatrices (computed: F[][], expected: M, tol: Q): Outcome {
  const r = computed.length
  const c = (computed[0] as F[]).length
  const [er, ec] = shape(expected)
  if (r !== er || c !== ec) return 'mismatch'
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const f = (computed[i] as F[])[j] as F
      const e = (expected[i] as Q[])[j] as Q
      // |f.n/f.d - e.n/e.d| <= t.n/t.d  <=>  |f.n e.d - e.n f.d| t.d <= t.n f.d e.d
      let diff = f.n * e.d - e.n * f.d
      if (diff < 0n) diff = -diff
      if (diff * tol.d > tol.n * f.d * e.d) return 'mismatch'
    }
  }
  return 'match'
}

/** max |entry|, approximately (only the scale of the tolerance bound). */
function maxAbs (m: F[][]): Q {
  let max = 0
  for (const row of m) for (const f of row) max = Math.max(max, Math.abs(Number(f.n) / Number(f.d)))
  return Number.isFinite(max) ? readNumber(Number(max.toPrecision(6)), 'scale') : Q.int(10n ** 300n)
}

function readExpectedMatrix (value: unknown): M {
  // (readMatrix caps the length and refuses holes, which `every` skips)
  if (!Array.isArray(value) || (value.length <= MAX_DIMENSION && !value.every((row) => Array.isArray(row)))) malformed('expected', 'a matrix is expected')
  return readMatrix(value, 'expected', MAX_DIMENSION)
}

export function verifyMatrix (claim: MatrixClaim): DiagnosticResult {
  const op = claim.matrixOperation
  if (!(OPERATIONS as readonly unknown[]).includes(op)) malformed('matrixOperation', `one of ${OPERATIONS.join(', ')}`)
  const square = op === 'determinant' || op === 'inverse' || op === 'eigenvalues'
  const max = op === 'eigenvalues' ? MAX_EIGEN : square ? MAX_SQUARE : MAX_DIMENSION
  const a = readMatrix(claim.a, 'a', max)
  const given = readTolerance(claim.tolerance)
  const name = `matrix_${op}`
  const [rows, cols] = shape(a)
  if (square && rows !== cols) fail(`${name}_not_square`, 'The matrix must be square for this operation', { rows, cols })
  const inputs: Record<string, unknown> = { operation: op, a: show(a) }

  if (op === 'determinant' || op === 'eigenvalues') {
    if (op === 'determinant') {
      const det = determinant(a)
      const expected = readNumber(claim.expected, 'expected', { rational: true })
      const tol = effectiveTolerance(given, DEFAULT_TOLERANCE, det)
      return report(det.sub(expected).abs().cmp(tol) <= 0 ? 'match' : 'mismatch', {
        op: name, subject: 'The determinant', computed: showQ(det), expected: showQ(expected), tolerance: showQ(tol), method: 'exact_bareiss', inputs
      })
    }
    return eigenvalues(a, claim.expected, given, name, inputs)
  }

  let b: M | null = null
  if (op === 'add' || op === 'subtract' || op === 'multiply') {
    if (claim.b === undefined) malformed('b', `${op} needs a second matrix`)
    b = readMatrix(claim.b, 'b', MAX_DIMENSION)
    inputs.b = show(b)
    const [br, bc] = shape(b)
    const ok = op === 'multiply' ? cols === br : rows === br && cols === bc
    if (!ok) fail(`${name}_dimension_mismatch`, 'The matrices have incompatible dimensions', { a: [rows, cols], b: [br, bc] })
  }
  let computed: F[][]
  switch (op) {
    case 'add': computed = fromQ(a.map((row, i) => row.map((v, j) => v.add(((b as M)[i] as Q[])[j] as Q)))); break
    case 'subtract': computed = fromQ(a.map((row, i) => row.map((v, j) => v.sub(((b as M)[i] as Q[])[j] as Q)))); break
    case 'multiply': computed = fromQ(multiply(a, b as M)); break
    case 'transpose': computed = fromQ(transpose(a)); break
    default: {
      const inv = inverse(a)
      if (inv === null) fail(`${name}_singular`, 'The matrix is singular and has no inverse', { determinant: '0' })
      computed = inv
    }
  }
  const expected = readExpectedMatrix(claim.expected)
  const tol = given === undefined ? Q.ZERO : effectiveTolerance(given, Q.ZERO, maxAbs(computed))
  return report(compareMatrices(computed, expected, tol), {
    op: name,
    subject: op === 'inverse' ? 'The inverse' : 'The matrix result',
    computed: JSON.stringify(computed.map((row) => row.map(showF))),
    expected: JSON.stringify(show(expected)),
    tolerance: showQ(tol),
    method: 'exact_rational',
    inputs
  })
}

function eigenvalues (a: M, value: DecimalInput | DecimalInput[] | DecimalInput[][], given: Q | undefined, name: string, inputs: Record<string, unknown>): DiagnosticResult {
  const n = a.length
  // (a list longer than any matrix is a count mismatch below, without walking it)
  if (!Array.isArray(value) || (value.length <= MAX_DIMENSION && value.some((v) => Array.isArray(v)))) malformed('expected', 'a list of eigenvalues is expected')
  if (value.length !== n) {
    fail(`${name}_count_mismatch`, 'The claimed eigenvalues are incomplete or too many', {
      error: 'Eigenvalue cardinality mismatch: every eigenvalue, counted with multiplicity, must be claimed',
      calculated_count: n,
      claimed_count: value.length
    })
  }
  const claimed = denseItems(value, 'expected').map((v, i) => readNumber(v as DecimalInput, `expected[${i}]`, { rational: true })).sort((x, y) => x.cmp(y))
  const p = characteristic(a)
  // Rows bound the spectral radius (|lambda| <= max row sum), the scale of the tolerance bound.
  let radius = Q.ZERO
  for (const row of a) {
    let s = Q.ZERO
    for (const q of row) s = s.add(q.abs())
    if (s.cmp(radius) > 0) radius = s
  }
  const tol = effectiveTolerance(given, DEFAULT_TOLERANCE, radius)
  const base = {
    op: name,
    subject: 'The eigenvalues',
    expected: JSON.stringify(claimed.map(showQ)),
    tolerance: showQ(tol),
    method: 'characteristic_polynomial_sturm',
    inputs
  }
  const polyText = JSON.stringify(p.map(String))
  // distinct roots: the square-free part; all real when its Sturm count equals its degree
  const q = U.squareFreePart(p)
  const seq = U.sturm(q)
  const intervals = U.isolate(q, seq)
  if (intervals.length !== U.degree(q)) {
    return report('mismatch', { ...base, computed: 'not all eigenvalues are real', extra: { characteristic_polynomial: polyText, distinct_real_eigenvalues: intervals.length, distinct_eigenvalues: U.degree(q) } })
  }
  // multiplicity of a root r: 1 + the number of iterated gcds g_k = gcd(g_(k-1), g_(k-1)') that vanish at r
  const chain: U.IPoly[][] = []
  for (let g = U.gcd(p, U.derivative(p)); U.degree(g) > 0; g = U.gcd(g, U.derivative(g))) chain.push(U.sturm(U.squareFreePart(g)))
  const roots = intervals.map((iv) => ({ seq, iv, mult: 1 + chain.filter((sq) => U.countRoots(sq, iv.lo, iv.hi) === 1).length }))
  const sorted = roots.flatMap((r) => Array.from({ length: r.mult }, () => r))
  if (sorted.length !== n) throw new Error('eigenvalue multiplicities do not add up')
  let outcome: Outcome = 'match'
  for (let i = 0; i < n && outcome === 'match'; i++) {
    outcome = within(sorted[i] as typeof roots[0], claimed[i] as Q, tol)
  }
  const approx = sorted.map((r) => showApproxRoot(r))
  return report(outcome, { ...base, computed: JSON.stringify(approx), extra: { characteristic_polynomial: polyText } })
}

/** Is the root isolated in (lo, hi] within tol of c? Decided exactly by bisection. */
function within (root: { seq: U.IPoly[], iv: U.Interval }, c: Q, tol: Q): Outcome {
  const L = c.sub(tol)
  const H = c.add(tol)
  const f = root.seq[0] as U.IPoly
  for (let step = 0; step < 2000; step++) {
    const { lo, hi } = root.iv
    if (lo.cmp(L) >= 0 && hi.cmp(H) <= 0) return 'match'
    if (hi.cmp(L) < 0 || lo.cmp(H) >= 0) return 'mismatch'
    // a root exactly on the boundary of [L, H]
    for (const edge of [L, H]) if (edge.cmp(lo) > 0 && edge.cmp(hi) <= 0 && U.signAt(f, edge) === 0) return 'match'
    root.iv = U.refine(root.seq, root.iv)
    charge(0.02)
  }
  return 'unknown'
}

/** A root to about 12 significant digits, for display (the interval is refined first). */
function showApproxRoot (root: { seq: U.IPoly[], iv: U.Interval }): string {
  const width = Q.of(1n, 10n ** 13n)
  for (let i = 0; i < 200 && root.iv.hi.sub(root.iv.lo).cmp(width) > 0; i++) {
    if (U.signAt(root.seq[0] as U.IPoly, root.iv.hi) === 0) return showQ(root.iv.hi)
    root.iv = U.refine(root.seq, root.iv)
    charge(0.02)
  }
  const mid = root.iv.lo.add(root.iv.hi).mul(Q.of(1n, 2n))
  return Number(mid.toNumber().toPrecision(12)).toString()
}
