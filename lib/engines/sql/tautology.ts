import { isComparison, operatorOf } from './constant.js'

/**
 * Tautologies by meaning rather than by shape, beside constant folding (constant.ts):
 *
 * - rowIndependent: an OR operand whose truth cannot depend on the row (no column of the row or of
 *   an outer row, no parameter, no aggregate): `random() < 2`, `(SELECT count(*) FROM users) > 0`,
 *   `EXISTS (SELECT 1 FROM users)`. Such an operand is true for every row or for none: the filter
 *   it sits in is switched off. A subquery column is inner when its qualifier is a name of the
 *   subquery's own FROM (or when it is unqualified, as SQL resolves it first); only a qualifier
 *   that resolves outside makes the subquery correlated.
 * - linearAlwaysTrue: a comparison of two linear expressions of the same columns whose difference is
 *   a constant that satisfies it: `id + 0 = id`, `price * 1 >= price`, `a + b = b + a`.
 * - complementary: an OR of a condition and its opposite: `x IS NULL OR x IS NOT NULL`,
 *   `a = 1 OR a <> 1`, `a < 5 OR a >= 5`, `p OR NOT p`.
 */

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const MAX_NODES = 2_000
const MAX_OR_OPERANDS = 64
let oversized = 0
const IGNORED_KEYS = new Set(['loc', 'parentheses', 'tableList', 'columnList'])

/** True when nothing in `node` depends on the current (or an outer) row. `outer(q)`: q names a relation in scope. */
export function rowIndependent (node: unknown, outer: (qualifier: string) => boolean): boolean {
  const budget = { left: MAX_NODES }
  return !dependsOnRow(node, null, outer, budget)
}

/** `inner`: names a subquery's own FROM defines (null at the top: every column is the row's). */
function dependsOnRow (node: unknown, inner: Set<string> | null, outer: (q: string) => boolean, budget: { left: number }): boolean {
  // a tree too large to read is treated as depending on the row: no claim of tautology without proof
  if (--budget.left < 0) return true
  if (Array.isArray(node)) return node.some((n) => dependsOnRow(n, inner, outer, budget))
  if (!isObj(node)) return false
  const sub = isObj(node.ast) ? node.ast : node.type === 'select' && ('from' in node || 'columns' in node) ? node : null
  if (sub !== null) {
    const names = new Set(inner ?? [])
    collectFromNames(sub, names, { left: MAX_NODES })
    return Object.entries(sub).some(([k, v]) => !IGNORED_KEYS.has(k) && typeof v === 'object' && v !== null && dependsOnRow(v, names, outer, budget))
  }
  switch (node.type) {
    case 'column_ref': {
      if (inner === null) return true
      const q = typeof node.table === 'string' ? node.table.toLowerCase() : null
      return q !== null && !inner.has(q) && outer(q)
    }
    case 'param':
      return true
    case 'origin':
      if (node.value === '?') return true // a bound parameter
      break
    case 'var':
      return node.prefix !== '@@'
    case 'aggr_func':
    case 'window_func':
      if (inner === null) return true
      break
  }
  if (inner === null && isObj(node.over)) return true
  return Object.entries(node).some(([k, v]) => !IGNORED_KEYS.has(k) && typeof v === 'object' && v !== null && dependsOnRow(v, inner, outer, budget))
}

/** Table names and aliases a SELECT (and the SELECTs inside it) defines in FROM. */
function collectFromNames (node: unknown, names: Set<string>, budget: { left: number }): void {
  if (--budget.left < 0) return
  if (Array.isArray(node)) { for (const n of node) collectFromNames(n, names, budget); return }
  if (!isObj(node)) return
  if (Array.isArray(node.from)) {
    for (const item of node.from) {
      if (!isObj(item)) continue
      if (typeof item.table === 'string') names.add(item.table.toLowerCase())
      const alias = typeof item.as === 'string' ? item.as : isObj(item.as) && typeof item.as.value === 'string' ? item.as.value : null
      // `AS t(a, b)`: the alias is the name before the column list
      if (alias !== null) names.add(alias.replace(/\(.*$/s, '').toLowerCase())
    }
  }
  for (const [k, v] of Object.entries(node)) {
    if (!IGNORED_KEYS.has(k) && typeof v === 'object' && v !== null) collectFromNames(v, names, budget)
  }
}

// ---------------------------------------------------------------- linear comparisons

/** `seen`: a column took part (even if it cancelled out, as in `id - id`). */
interface Linear { coef: Map<string, number>, c: number, seen: boolean }

const LINEAR_CMP: Readonly<Record<string, (d: number) => boolean>> = {
  '=': (d) => d === 0,
  '==': (d) => d === 0,
  '<>': (d) => d !== 0,
  '!=': (d) => d !== 0,
  '<': (d) => d < 0,
  '<=': (d) => d <= 0,
  '>': (d) => d > 0,
  '>=': (d) => d >= 0
}

/** A comparison of linear expressions over the same columns that holds whatever their values. */
export function linearAlwaysTrue (node: unknown): boolean {
  if (!isObj(node) || node.type !== 'binary_expr') return false
  const test = LINEAR_CMP[operatorOf(node)]
  if (test === undefined) return false
  const budget = { left: MAX_NODES }
  const l = linear(node.left, budget)
  const r = linear(node.right, budget)
  if (l === null || r === null || (!l.seen && !r.seen)) return false
  for (const key of new Set([...l.coef.keys(), ...r.coef.keys()])) {
    if (Math.abs((l.coef.get(key) ?? 0) - (r.coef.get(key) ?? 0)) > 1e-12) return false
  }
  return test(round(l.c - r.c))
}

function round (x: number): number {
  return Math.abs(x) < 1e-12 ? 0 : x
}

function linear (node: unknown, budget: { left: number }): Linear | null {
  if (--budget.left < 0 || !isObj(node)) return null
  if (node.type === 'number' && typeof node.value === 'number' && Number.isFinite(node.value)) return { coef: new Map(), c: node.value, seen: false }
  if (node.type === 'column_ref') {
    const column = isObj(node.column) && isObj(node.column.expr) ? node.column.expr.value : node.column
    if (typeof column !== 'string' || column === '*') return null
    const key = `${typeof node.table === 'string' ? node.table.toLowerCase() : ''}.${column.toLowerCase()}`
    return { coef: new Map([[key, 1]]), c: 0, seen: true }
  }
  if (node.type === 'unary_expr' && node.operator === '-') {
    const inner = linear(node.expr, budget)
    return inner === null ? null : scale(inner, -1)
  }
  if (node.type !== 'binary_expr') return null
  const op = operatorOf(node)
  const a = linear(node.left, budget)
  const b = linear(node.right, budget)
  if (a === null || b === null) return null
  switch (op) {
    case '+': return combine(a, b, 1)
    case '-': return combine(a, b, -1)
    case '*':
      if (!a.seen) return scale(b, a.c)
      if (!b.seen) return scale(a, b.c)
      return null
    case '/':
      return !b.seen && b.c !== 0 ? scale(a, 1 / b.c) : null
    default: return null
  }
}

function combine (a: Linear, b: Linear, sign: number): Linear {
  const coef = new Map(a.coef)
  for (const [k, v] of b.coef) coef.set(k, (coef.get(k) ?? 0) + sign * v)
  for (const [k, v] of coef) if (Math.abs(v) < 1e-12) coef.delete(k)
  return { coef, c: a.c + sign * b.c, seen: a.seen || b.seen }
}

function scale (a: Linear, k: number): Linear {
  const coef = new Map<string, number>()
  if (k !== 0) for (const [key, v] of a.coef) coef.set(key, v * k)
  return { coef, c: a.c * k, seen: a.seen }
}

// ---------------------------------------------------------------- complementary operands

const OPPOSITE: Readonly<Record<string, string>> = Object.fromEntries([
  ['IS', 'IS NOT'], ['IS NOT', 'IS'], ['=', '<>'], ['<>', '='], ['!=', '='], ['<', '>='], ['>=', '<'], ['>', '<='], ['<=', '>'],
  ['LIKE', 'NOT LIKE'], ['NOT LIKE', 'LIKE'], ['ILIKE', 'NOT ILIKE'], ['NOT ILIKE', 'ILIKE'], ['IN', 'NOT IN'], ['NOT IN', 'IN'],
  ['BETWEEN', 'NOT BETWEEN'], ['NOT BETWEEN', 'BETWEEN']
])
/** The same comparison with its sides swapped. */
const MIRROR: Readonly<Record<string, string>> = { '=': '=', '<>': '<>', '!=': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' }

/** An OR chain holding a condition and its negation. */
export function complementary (node: unknown): boolean {
  const operands: unknown[] = []
  flattenOr(node, operands)
  const keys = operands.map((o) => canonical(o))
  for (let i = 0; i < operands.length; i++) {
    for (let j = i + 1; j < operands.length; j++) {
      if (opposite(operands[i], keys[i] as string, operands[j], keys[j] as string)) return true
    }
  }
  return false
}

function flattenOr (node: unknown, out: unknown[]): void {
  if (out.length >= MAX_OR_OPERANDS) return
  if (isObj(node) && node.type === 'binary_expr' && operatorOf(node) === 'OR') {
    flattenOr(node.left, out)
    flattenOr(node.right, out)
  } else {
    out.push(node)
  }
}

function opposite (a: unknown, ka: string, b: unknown, kb: string): boolean {
  if (isNot(a) && canonical((a as Obj).expr) === kb) return true
  if (isNot(b) && canonical((b as Obj).expr) === ka) return true
  if (!isComparison(a) || !isComparison(b)) return false
  const x = a as Obj
  const y = b as Obj
  const ox = operatorOf(x)
  const oy = operatorOf(y)
  const lx = canonical(x.left)
  const rx = canonical(x.right)
  const ly = canonical(y.left)
  const ry = canonical(y.right)
  if (OPPOSITE[ox] === normal(oy) && lx === ly && rx === ry) return true
  const mirrored = MIRROR[oy]
  return mirrored !== undefined && OPPOSITE[ox] === normal(mirrored) && lx === ry && rx === ly
}

function normal (op: string): string {
  return op === '!=' ? '<>' : op
}

function isNot (node: unknown): boolean {
  return isObj(node) && node.type === 'unary_expr' && typeof node.operator === 'string' && node.operator.toUpperCase() === 'NOT'
}

/** A structural key of an expression (positions and parentheses left out), capped in size. */
function canonical (node: unknown): string {
  const text = JSON.stringify(node, (k, v: unknown) => IGNORED_KEYS.has(k) ? undefined : typeof v === 'string' && k !== 'value' ? v.toLowerCase() : v) ?? 'undefined'
  return text.length > 20_000 ? `oversize#${++oversized}` : text
}

/**
 * Whether a WHERE relates the FROM item named `name` to another one (`o.customer_id = c.id`): a
 * comparison with a column of `name` on one side and a column of another relation, or an
 * unqualified column (which may be either), on the other. A comma join nothing relates is a
 * row product.
 */
export function relates (where: unknown, name: string, others: ReadonlySet<string>): boolean {
  const budget = { left: MAX_NODES }
  const visit = (node: unknown): boolean => {
    if (--budget.left < 0) return true
    if (Array.isArray(node)) return node.some(visit)
    if (!isObj(node)) return false
    if (isObj(node.ast)) return false
    if (isComparison(node)) {
      const l = qualifiers(node.left)
      const r = qualifiers(node.right)
      const mine = (q: Set<string>): boolean => q.has(name) || q.has('')
      const theirs = (q: Set<string>): boolean => q.has('') || [...q].some((x) => x !== name && others.has(x))
      if ((mine(l) && theirs(r)) || (mine(r) && theirs(l))) return true
    }
    return Object.entries(node).some(([k, v]) => !IGNORED_KEYS.has(k) && typeof v === 'object' && v !== null && visit(v))
  }
  return visit(where)
}

/** Qualifiers of the columns in an expression ('' for an unqualified column). */
function qualifiers (node: unknown, out = new Set<string>(), budget = { left: MAX_NODES }): Set<string> {
  if (--budget.left < 0) return out
  if (Array.isArray(node)) { for (const n of node) qualifiers(n, out, budget); return out }
  if (!isObj(node) || isObj(node.ast)) return out
  if (node.type === 'column_ref') {
    out.add(typeof node.table === 'string' ? node.table.toLowerCase() : '')
    return out
  }
  for (const [k, v] of Object.entries(node)) if (!IGNORED_KEYS.has(k) && typeof v === 'object' && v !== null) qualifiers(v, out, budget)
  return out
}
