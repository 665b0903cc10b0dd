/**
 * What the math engine accepts to send to a QWED server (lib/engines/remote/guard.ts): a math
 * claim's expression checked with the engine's own normaliser, parser and caps, without evaluating
 * anything unbounded. QWED cannot cancel work, and SymPy evaluates `9**9**9**9` until the process
 * is killed, so every constant sub-expression is evaluated exactly under the engine's bit cap and
 * work budget (power towers stop at the second power); powers of a variable base stay within the
 * expansion degree; factorials and exp() of constants within the engine's caps; and no double
 * exponential with a variable inside (`2^(2^x)`, `exp(exp(x))`), which a server checking an
 * identity at sample points would evaluate.
 */
import type { MathClaim } from '../../../types/claims.js'
import { Q, parseDecimal } from './exact.js'
import { Budget, LIMITS, MathFailure, withBudget } from './limits.js'
import { normalizeExpression, splitSides } from './normalize.js'
import { parseSide, type Ast } from './parse.js'

/** Functions that grow exponentially (or faster) in their argument. */
const GROWTH_FUNCTIONS = new Set(['exp', 'sinh', 'cosh', 'factorial', 'binomial'])

/** Why a math claim must not be sent: a guard name (`math.<reason>`) and the engine's detail. */
export interface MathRefusal {
  guard: string
  detail: Record<string, unknown>
}

/** null when the claim may be sent; otherwise why not. Malformed claims and operations pass: the mapping refuses them. */
export function mathRemoteRefusal (claim: MathClaim): MathRefusal | null {
  if (claim.operation !== undefined || typeof claim.expression !== 'string') return null
  try {
    return withBudget(new Budget(LIMITS.maxWork), () => {
      const { text } = normalizeExpression(claim.expression)
      const expected = claim.expected
      if (typeof expected === 'string' || typeof expected === 'number') {
        if (parseDecimal(String(expected)) === null) return { guard: 'math.invalid_expected', detail: {} }
      }
      for (const side of splitSides(text)) checkTree(parseSide(side))
      return null
    })
  } catch (err) {
    if (err instanceof MathFailure) return { guard: `math.${err.reason}`, detail: pickDetail(err.detail) }
    if (err instanceof RangeError) return { guard: 'math.too_deep', detail: {} }
    return { guard: 'math.internal_error', detail: {} }
  }
}

function pickDetail (detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of ['limit', 'max_bits', 'max_nodes', 'max_depth', 'max_length', 'construct']) {
    if (detail[key] !== undefined) out[key] = detail[key]
  }
  return out
}

function limit (what: string, extra: Record<string, unknown> = {}): MathFailure {
  return new MathFailure('resource_limit', 'Expression exceeds the verification resource limits', { limit: what, ...extra })
}

/**
 * The exact value of a constant sub-expression, or null when it is not a rational constant
 * (variables, pi, functions, a fractional power). Throws a MathFailure when a value exceeds the
 * math engine's caps: this is where power towers stop. Memoised per node (each node is asked
 * once per parent, so an unmemoised walk would recompute powers quadratically).
 */
function exact (node: Ast, memo: Map<Ast, Q | null>): Q | null {
  if (node.k === 'num') return node.value
  if (node.k !== 'op') return null
  if (memo.has(node)) return memo.get(node) as Q | null
  const value = exactOp(node, memo)
  memo.set(node, value)
  return value
}

function exactOp (node: Extract<Ast, { k: 'op' }>, memo: Map<Ast, Q | null>): Q | null {
  const x = exact(node.args[0] as Ast, memo)
  if (node.op === 'neg') return x === null ? null : x.neg()
  if (node.op === 'fact') {
    if (x !== null && x.abs().cmp(Q.int(LIMITS.maxFactorial)) > 0) throw limit('factorial argument', { max_factorial: LIMITS.maxFactorial })
    return null // bounded; its value is not needed exactly
  }
  const y = exact(node.args[1] as Ast, memo)
  if (x === null || y === null) return null
  switch (node.op) {
    case 'add': return x.add(y)
    case 'sub': return x.sub(y)
    case 'mul': return x.mul(y)
    case 'div': return y.isZero() ? null : x.div(y)
    case 'pow':
      if (!y.isInteger()) {
        if (y.bits() > 64) throw limit('power exponent', { max_bits: 64 })
        return null
      }
      if (x.isZero() && y.sign < 0) return null
      return x.pow(y.n) // refuses a result above the bit cap before computing it
  }
}

function hasVariable (node: Ast): boolean {
  if (node.k === 'var') return true
  if (node.k === 'op' || node.k === 'fn') return node.args.some(hasVariable)
  return false
}

/**
 * An exponential in something that is not an exact rational (a variable, pi, a function): a power
 * with such an exponent, exp / sinh / cosh / factorial / binomial of such an argument. One level is
 * bounded (its argument is); one inside another's argument is a double exponential, which a server
 * evaluating the claim (at sample points, or numerically) cannot bound.
 */
function isGrowth (node: Ast, memo: Map<Ast, Q | null>): boolean {
  if (node.k === 'op') {
    if (node.op === 'pow') return exact(node.args[1] as Ast, memo) === null
    if (node.op === 'fact') return exact(node.args[0] as Ast, memo) === null
    return false
  }
  return node.k === 'fn' && GROWTH_FUNCTIONS.has(node.name) && exact(node.args[0] as Ast, memo) === null
}

function containsGrowth (node: Ast, memo: Map<Ast, Q | null>): boolean {
  if (node.k !== 'op' && node.k !== 'fn') return false
  return isGrowth(node, memo) || node.args.some((arg) => containsGrowth(arg, memo))
}

/** Walks every node: exact constants within the caps, bounded powers, no double exponentials. */
function checkTree (node: Ast, memo: Map<Ast, Q | null> = new Map()): void {
  if (node.k !== 'op' && node.k !== 'fn') return
  for (const arg of node.args) checkTree(arg, memo)
  if (node.k === 'op') {
    exact(node, memo) // every constant value within the bit cap
    if (node.op === 'pow') checkPower(node.args[0] as Ast, node.args[1] as Ast, memo)
  } else if (GROWTH_FUNCTIONS.has(node.name)) {
    checkGrowthArgument(node.name, node.args[0] as Ast, memo)
  }
  if (node.k === 'op' && node.op === 'fact') checkGrowthArgument('factorial', node.args[0] as Ast, memo)
}

function checkPower (base: Ast, exponent: Ast, memo: Map<Ast, Q | null>): void {
  const k = exact(exponent, memo)
  if (k === null) {
    if (containsGrowth(exponent, memo)) throw limit('double exponential')
    return
  }
  if (!k.isInteger() || exact(base, memo) !== null) return // checked by exact()
  const magnitude = k.n < 0n ? -k.n : k.n
  const cap = hasVariable(base) ? LIMITS.maxExpandDegree : LIMITS.maxAtomExponent
  if (magnitude > BigInt(cap)) throw limit('power exponent', { max_exponent: cap })
}

function checkGrowthArgument (name: string, arg: Ast, memo: Map<Ast, Q | null>): void {
  const x = exact(arg, memo)
  if (x === null) {
    if (containsGrowth(arg, memo)) throw limit('double exponential')
    return
  }
  const cap = name === 'factorial' || name === 'binomial' ? LIMITS.maxFactorial : LIMITS.maxExpArgument
  if (x.abs().cmp(Q.int(cap)) > 0) throw limit(`${name} argument`, { max_argument: cap })
}
