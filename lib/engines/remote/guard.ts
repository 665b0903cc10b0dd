/**
 * The resource guard every claim passes before it is sent to a QWED server: nothing we send may
 * hurt the shared service (QWED cannot cancel work, and SymPy evaluates `9**9**9**9` until the
 * process is killed). The caps are the embedded engines' own (lengths, nesting, syntax-tree size,
 * number sizes), applied without evaluating anything unbounded:
 *
 *   math   the math engine's normaliser and parser (length, ASCII, nesting, node and depth caps);
 *          every constant sub-expression evaluated exactly under the math engine's bit cap and
 *          work budget (so `9^9^9^9` stops at the second power); powers of a variable base at
 *          most the engine's expansion degree; factorials and exp() of constants within the
 *          engine's caps; no double exponential with a variable inside (`2^(2^x)`, `exp(exp(x))`),
 *          which a server checking an identity at sample points would evaluate.
 *   logic  the logic engine's parser and sort checker (formula, token, depth and literal caps).
 *   sql    the SQL engine's query and DDL caps, and bracket nesting (sqlglot recurses per level).
 *   code   the code engine's size cap, and bracket nesting.
 * fact and natural_language carry text only: the verifier's claim guard bounds them.
 *
 * A refused claim is BLOCKED `remote.resource_limit` with the embedded engine's reason in `guard`;
 * it is never sent.
 */
import type { Claim, CodeClaim, LogicClaim, MathClaim, SqlClaim } from '../../../types/claims.js'
import type { EngineResult } from '../../../types/engine.js'
import { blocked } from '../../result.js'
import { MAX_CODE_BYTES } from '../code/index.js'
import { prepare } from '../logic/checks.js'
import { LogicInputError } from '../logic/parse.js'
import { Q, parseDecimal } from '../math/exact.js'
import { Budget, LIMITS, MathFailure, withBudget } from '../math/limits.js'
import { normalizeExpression, splitSides } from '../math/normalize.js'
import { parseSide, type Ast } from '../math/parse.js'
import { MAX_QUERY_CHARS, MAX_SCHEMA_CHARS } from '../sql.js'

/** Bracket nesting sent to a server-side parser (sqlglot and CPython stay far from their stack limits). */
export const MAX_REMOTE_NESTING = 100

/** Functions that grow exponentially (or faster) in their argument. */
const GROWTH_FUNCTIONS = new Set(['exp', 'sinh', 'cosh', 'factorial', 'binomial'])

type Guarded = { ok: true } | { ok: false, result: EngineResult }

const PASS: Guarded = { ok: true }

function refuse (guard: string, detail: Record<string, unknown> = {}): Guarded {
  return {
    ok: false,
    result: blocked('The claim exceeds the verification resource limits and was not sent to the verification service', {
      constraint_id: 'remote.resource_limit',
      guard,
      ...detail
    })
  }
}

/** Checks a claim against the embedded engines' resource caps before it goes to the server. */
export function guardRemoteClaim (claim: Claim): Guarded {
  switch (claim.type) {
    case 'math': return guardMath(claim)
    case 'logic': return guardLogic(claim)
    case 'sql': return guardSql(claim)
    case 'code': return guardCode(claim)
    default: return PASS
  }
}

// ------------------------------------------------------------------ math

function guardMath (claim: MathClaim): Guarded {
  // malformed claims and operations are never sent: the mapping refuses them
  if (claim.operation !== undefined || typeof claim.expression !== 'string') return PASS
  try {
    return withBudget(new Budget(LIMITS.maxWork), () => {
      const { text } = normalizeExpression(claim.expression)
      const expected = claim.expected
      if (typeof expected === 'string' || typeof expected === 'number') {
        if (parseDecimal(String(expected)) === null) return refuse('math.invalid_expected')
      }
      for (const side of splitSides(text)) checkTree(parseSide(side))
      return PASS
    })
  } catch (err) {
    if (err instanceof MathFailure) return refuse(`math.${err.reason}`, pickDetail(err.detail))
    if (err instanceof RangeError) return refuse('math.too_deep')
    return refuse('math.internal_error')
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

// ------------------------------------------------------------------ logic, SQL, code

function guardLogic (claim: LogicClaim): Guarded {
  try {
    prepare(claim)
    return PASS
  } catch (err) {
    if (err instanceof LogicInputError) return refuse(`logic.${err.code}`)
    return refuse('logic.internal_error')
  }
}

function guardSql (claim: SqlClaim): Guarded {
  if (typeof claim.query === 'string' && claim.query.length > MAX_QUERY_CHARS) return refuse('sql.too_large', { max_length: MAX_QUERY_CHARS })
  if (typeof claim.schema === 'string' && claim.schema.length > MAX_SCHEMA_CHARS) return refuse('sql.too_large', { max_length: MAX_SCHEMA_CHARS })
  if (typeof claim.query === 'string' && nesting(claim.query) > MAX_REMOTE_NESTING) return refuse('sql.too_deep', { max_depth: MAX_REMOTE_NESTING })
  if (typeof claim.schema === 'string' && nesting(claim.schema) > MAX_REMOTE_NESTING) return refuse('sql.too_deep', { max_depth: MAX_REMOTE_NESTING })
  return PASS
}

function guardCode (claim: CodeClaim): Guarded {
  if (typeof claim.code !== 'string') return PASS // the mapping refuses it
  if (claim.code.length > MAX_CODE_BYTES || Buffer.byteLength(claim.code, 'utf8') > MAX_CODE_BYTES) return refuse('code.too_large', { max_bytes: MAX_CODE_BYTES })
  if (nesting(claim.code) > MAX_REMOTE_NESTING) return refuse('code.too_deep', { max_depth: MAX_REMOTE_NESTING })
  return PASS
}

/** Deepest bracket nesting of a text (strings and comments are counted too: an over-estimate is safe). */
export function nesting (text: string): number {
  let depth = 0
  let deepest = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 40 || c === 91 || c === 123) {
      if (++depth > deepest) deepest = depth
    } else if ((c === 41 || c === 93 || c === 125) && depth > 0) {
      depth--
    }
  }
  return deepest
}
