/**
 * mathjs is used only as a parser, through a private instance that is never handed to anything
 * else; nothing is ever evaluated by mathjs. The parse tree is walked through an allowlist and
 * translated into the engine's own small tree, with every literal converted exactly.
 */
import type { MathNode } from 'mathjs'
import { Q, parseDecimal } from './exact.js'
import { LIMITS, MathFailure } from './limits.js'
import { mathParser } from './mathjs.js'

/** The engine's own expression tree. */
export type Ast =
  | { readonly k: 'num', readonly value: Q }
  | { readonly k: 'var', readonly name: string }
  | { readonly k: 'const', readonly name: 'pi' | 'e' }
  | { readonly k: 'op', readonly op: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'neg' | 'fact', readonly args: readonly Ast[] }
  | { readonly k: 'fn', readonly name: string, readonly args: readonly Ast[] }

const parser = mathParser

/** Loads the private mathjs instance (a few hundred ms, once per process: mathjs.ts). */
export function warmUp (): void {
  mathParser()
}

/**
 * Allowed functions and their arities (`ln` is the natural log, `log(x, b)` a logarithm to base b,
 * `round(x, n)` x rounded to n decimal places, half away from zero).
 */
export const FUNCTIONS: ReadonlyMap<string, readonly number[]> = new Map([
  ['sqrt', [1]], ['cbrt', [1]], ['abs', [1]], ['Abs', [1]], ['exp', [1]],
  ['log', [1, 2]], ['ln', [1]], ['log10', [1]], ['log2', [1]],
  ['sin', [1]], ['cos', [1]], ['tan', [1]], ['cot', [1]], ['sec', [1]], ['csc', [1]],
  ['asin', [1]], ['acos', [1]], ['atan', [1]], ['atan2', [2]],
  ['sinh', [1]], ['cosh', [1]], ['tanh', [1]],
  ['factorial', [1]], ['binomial', [2]],
  // finance answers: exact rounding (half away from zero), floor and ceiling, extremes of 2..10 values
  ['round', [1, 2]], ['floor', [1]], ['ceil', [1]],
  ['min', [2, 3, 4, 5, 6, 7, 8, 9, 10]], ['max', [2, 3, 4, 5, 6, 7, 8, 9, 10]]
])

const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu',
  'nu', 'xi', 'omicron', 'rho', 'sigma', 'tau', 'phi', 'chi', 'psi', 'omega'
])

const NON_FINITE = new Set(['oo', 'inf', 'infinity', 'Infinity', 'INF', 'nan', 'NaN', 'zoo'])
const IMAGINARY = new Set(['i', 'I'])

const OPERATORS: ReadonlyMap<string, 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'neg' | 'fact' | 'plus'> = new Map([
  ['add', 'add'], ['subtract', 'sub'], ['multiply', 'mul'], ['divide', 'div'], ['pow', 'pow'],
  ['unaryMinus', 'neg'], ['unaryPlus', 'plus'], ['factorial', 'fact']
] as const)

function disallowed (construct: string): MathFailure {
  return new MathFailure('disallowed_construct', 'Expression contains a construct that is not allowed', { construct })
}

/** What a bare name means: a variable, pi, e, or nothing we accept. */
export function classifySymbol (name: string): Ast {
  if (name === 'pi' || name === 'PI') return { k: 'const', name: 'pi' }
  if (name === 'e' || name === 'E') return { k: 'const', name: 'e' }
  if (IMAGINARY.has(name)) {
    throw new MathFailure('undefined_symbol', 'Expression uses a symbol that is not supported', { symbol: name, note: 'complex numbers are not supported' })
  }
  if (NON_FINITE.has(name)) {
    throw new MathFailure('undefined_symbol', 'Expression uses a symbol that is not supported', { symbol: name, note: 'infinity and NaN are not numbers' })
  }
  if (/^[A-Za-z]$/.test(name) || GREEK.has(name)) return { k: 'var', name }
  if (FUNCTIONS.has(name)) throw disallowed(`function ${name} used without arguments`)
  throw new MathFailure('undefined_symbol', 'Expression uses a symbol that is not supported', {
    symbol: name.length > 40 ? name.slice(0, 40) + '...' : name,
    note: 'variables are single letters or Greek letter names'
  })
}

/** Parenthesis nesting of the text, so mathjs's recursive parser never gets near its stack limit. */
function checkNesting (text: string): void {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 40 || c === 91 || c === 123) {
      if (++depth > LIMITS.maxNesting) {
        throw new MathFailure('too_deep', 'Expression is nested too deeply', { max_depth: LIMITS.maxNesting })
      }
    } else if (c === 41 || c === 93 || c === 125) {
      depth--
    }
  }
}

/** Parses one side of a claim (ASCII text, already normalised) into the engine's tree. */
export function parseSide (text: string): Ast {
  checkNesting(text)
  let root: MathNode
  try {
    root = parser().parse(text)
  } catch (err) {
    if (err instanceof RangeError) {
      throw new MathFailure('too_deep', 'Expression is nested too deeply', { error: 'parser stack exhausted' })
    }
    throw new MathFailure('parse_error', 'Expression could not be parsed', {
      error: err instanceof Error ? err.message.slice(0, 200) : 'syntax error'
    })
  }
  const counter = { nodes: 0 }
  return convert(root, 0, counter)
}

function convert (node: MathNode, depth: number, counter: { nodes: number }): Ast {
  if (++counter.nodes > LIMITS.maxNodes) {
    throw new MathFailure('resource_limit', 'Expression exceeds the verification resource limits', { limit: 'syntax tree nodes', max_nodes: LIMITS.maxNodes })
  }
  if (depth > LIMITS.maxDepth) {
    throw new MathFailure('too_deep', 'Expression is nested too deeply', { max_depth: LIMITS.maxDepth })
  }
  const n = node as unknown as Record<string, unknown>
  switch (node.type) {
    case 'ConstantNode':
      return { k: 'num', value: constantValue(n.value) }
    case 'SymbolNode':
      return classifySymbol(String(n.name))
    case 'ParenthesisNode':
      return convert(n.content as MathNode, depth + 1, counter)
    case 'OperatorNode': {
      const op = OPERATORS.get(String(n.fn))
      if (op === undefined) throw disallowed(`operator ${String(n.op)}`)
      const args = (n.args as MathNode[]).map((a) => convert(a, depth + 1, counter))
      if (op === 'plus') return args[0] as Ast
      if ((op === 'neg' || op === 'fact') && args.length !== 1) throw disallowed(`operator ${String(n.op)}`)
      if (op !== 'neg' && op !== 'fact' && args.length < 2) throw disallowed(`operator ${String(n.op)}`)
      // mathjs builds binary nodes; fold anything longer from the left to be safe.
      let acc: Ast = { k: 'op', op, args: args.slice(0, op === 'neg' || op === 'fact' ? 1 : 2) }
      for (const extra of args.slice(2)) acc = { k: 'op', op, args: [acc, extra] }
      return acc
    }
    case 'FunctionNode': {
      const fn = n.fn as MathNode
      if (fn.type !== 'SymbolNode') throw disallowed('computed function call')
      const name = String((fn as unknown as { name: unknown }).name)
      const arities = FUNCTIONS.get(name)
      if (arities === undefined) {
        throw disallowed(`function ${name.length > 40 ? name.slice(0, 40) + '...' : name}`)
      }
      const args = (n.args as MathNode[]).map((a) => convert(a, depth + 1, counter))
      if (!arities.includes(args.length)) throw disallowed(`function ${name} with ${args.length} argument(s)`)
      return { k: 'fn', name, args }
    }
    default:
      throw disallowed(node.type)
  }
}

function constantValue (value: unknown): Q {
  const p = parser()
  if (p.isBigNumber(value)) {
    if (!value.isFinite()) throw new MathFailure('undefined_symbol', 'Expression uses a symbol that is not supported', { note: 'infinity and NaN are not numbers' })
    // toExponential() without an argument keeps every significant digit of the literal.
    const q = parseDecimal(value.toExponential())
    if (q === null) throw new MathFailure('parse_error', 'Expression could not be parsed', { error: 'unreadable number' })
    return q
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new MathFailure('undefined_symbol', 'Expression uses a symbol that is not supported', { note: 'infinity and NaN are not numbers' })
  }
  throw disallowed(typeof value === 'string' ? 'string literal' : `${typeof value} literal`)
}
