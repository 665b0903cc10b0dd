import { VOLATILE_FUNCTIONS, type SqlDialect } from './rules.js'

/**
 * Constant folding of node-sql-parser expressions, to find predicates that are always true
 * (`1=1`, `2>1`, `'a'<>'b'`, `x=x`, `'a' LIKE '%'`, `NOT FALSE`, ...).
 *
 * `evaluate` returns `{ v }` for an expression whose value does not depend on any row, and
 * `undefined` otherwise. SQL NULL is `{ v: null }`. Results are memoized per node, so calling it on
 * every node of a tree (children first) costs linear time.
 */

export type Value = number | string | boolean | null
export interface Const { v: Value }

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const COMPARISONS = new Set(['=', '==', '<>', '!=', '<', '>', '<=', '>=', '<=>', 'IS', 'IS NOT',
  'LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE', 'IN', 'NOT IN', 'BETWEEN', 'NOT BETWEEN', 'GLOB',
  'REGEXP', 'NOT REGEXP', 'RLIKE', 'NOT RLIKE', 'SIMILAR TO', 'NOT SIMILAR TO', '~', '~*', '!~', '!~*'])
const REFLEXIVE_TRUE = new Set(['=', '==', '<=', '>=', '<=>', 'IS', 'LIKE', 'ILIKE', 'GLOB', 'IN', 'BETWEEN'])
const REFLEXIVE_FALSE = new Set(['<>', '!=', '<', '>', 'IS NOT', 'NOT LIKE', 'NOT ILIKE', 'NOT IN', 'NOT BETWEEN'])
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i
const MAX_LIKE = 2_000
const SAME_BUDGET = 256

/** A comparison (a predicate on its own: `=`, `<`, `IN`, `LIKE`, `BETWEEN`, `IS`, ...). */
export function isComparison (node: unknown): boolean {
  return isObj(node) && node.type === 'binary_expr' && COMPARISONS.has(operatorOf(node))
}

export function operatorOf (node: Obj): string {
  return typeof node.operator === 'string' ? node.operator.toUpperCase().replace(/\s+/g, ' ') : ''
}

/** What a constant means as a condition: true, false, or null (NULL, or a string we cannot read). */
export function truthiness (value: Value): boolean | null {
  if (value === null) return null
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value !== 0
  const s = value.trim().toLowerCase()
  if (NUMERIC.test(s)) return Number(s) !== 0
  if (['t', 'true', 'y', 'yes', 'on'].includes(s)) return true
  if (['f', 'false', 'n', 'no', 'off'].includes(s)) return false
  return null
}

export class ConstantFolder {
  private readonly memo = new WeakMap<object, Const | null>()
  constructor (private readonly dialect: SqlDialect) {}

  evaluate (node: unknown): Const | undefined {
    if (!isObj(node)) return undefined
    const hit = this.memo.get(node)
    if (hit !== undefined) return hit ?? undefined
    const result = this.compute(node)
    this.memo.set(node, result ?? null)
    return result
  }

  private compute (node: Obj): Const | undefined {
    switch (node.type) {
      case 'number':
      case 'bigint': {
        const n = Number(node.value)
        return Number.isFinite(n) ? { v: n } : undefined
      }
      case 'bool':
      case 'boolean':
        return { v: node.value === true || String(node.value).toLowerCase() === 'true' }
      case 'null':
        return { v: null }
      case 'single_quote_string':
      case 'string':
      case 'natural_string':
      case 'regex_string':
      case 'double_quote_string': // a string literal wherever it is not a column_ref (MySQL, SQLite)
        return typeof node.value === 'string' ? { v: node.value } : undefined
      case 'column_ref': {
        // node-sql-parser reads MySQL's `1e3` as a column named "1e3"
        const name = typeof node.column === 'string' ? node.column : undefined
        return name !== undefined && NUMERIC.test(name) ? { v: Number(name) } : undefined
      }
      case 'cast': {
        const inner = this.evaluate(node.expr)
        return inner
      }
      case 'unary_expr':
        return this.unary(node)
      case 'binary_expr':
        return this.binary(node)
      default:
        return undefined
    }
  }

  private unary (node: Obj): Const | undefined {
    const inner = this.evaluate(node.expr)
    if (inner === undefined) return undefined
    const op = operatorOf(node)
    if (op === 'NOT' || op === '!') {
      const t = truthiness(inner.v)
      return { v: t === null ? null : !t }
    }
    if (op === '-' || op === '+') {
      const n = toNumber(inner.v)
      if (n === undefined) return undefined
      return { v: n === null ? null : (op === '-' ? -n : n) }
    }
    return undefined
  }

  private binary (node: Obj): Const | undefined {
    const op = operatorOf(node)
    const left = this.evaluate(node.left)
    if (op === 'AND' || op === 'OR' || op === '&&' || (op === '||' && this.dialect === 'mysql')) {
      return this.logical(op === 'AND' || op === '&&' ? 'AND' : 'OR', left, this.evaluate(node.right))
    }
    if (op === 'IN' || op === 'NOT IN') return this.membership(node, left, op === 'NOT IN')
    if (op === 'BETWEEN' || op === 'NOT BETWEEN') return this.between(node, left, op === 'NOT BETWEEN')
    const right = this.evaluate(node.right)
    if (left === undefined || right === undefined) {
      if (op === 'LIKE' || op === 'ILIKE') {
        // `col LIKE '%'` holds for every non-NULL value
        if (right !== undefined && typeof right.v === 'string' && /^%+$/.test(right.v)) return { v: true }
      }
      if ((REFLEXIVE_TRUE.has(op) || REFLEXIVE_FALSE.has(op)) && sameExpression(node.left, node.right)) {
        return { v: REFLEXIVE_TRUE.has(op) }
      }
      return undefined
    }
    return this.apply(op, left.v, right.v)
  }

  private logical (op: 'AND' | 'OR', a: Const | undefined, b: Const | undefined): Const | undefined {
    const ta = a === undefined ? undefined : truthiness(a.v)
    const tb = b === undefined ? undefined : truthiness(b.v)
    if (op === 'OR') {
      if (ta === true || tb === true) return { v: true }
      if (ta === undefined || tb === undefined) return undefined
      return { v: ta === false && tb === false ? false : null }
    }
    if (ta === false || tb === false) return { v: false }
    if (ta === undefined || tb === undefined) return undefined
    return { v: ta === true && tb === true ? true : null }
  }

  private membership (node: Obj, left: Const | undefined, negate: boolean): Const | undefined {
    const list = isObj(node.right) && Array.isArray(node.right.value) ? node.right.value : undefined
    if (list === undefined) return undefined
    if (left === undefined) {
      // `x IN (x, ...)`
      if (list.some((item) => sameExpression(node.left, item))) return { v: !negate }
      return undefined
    }
    let sawNull = false
    for (const item of list) {
      const c = this.evaluate(item)
      if (c === undefined) return undefined
      const eq = this.apply('=', left.v, c.v)
      if (eq === undefined) return undefined
      if (eq.v === true) return { v: !negate }
      if (eq.v === null) sawNull = true
    }
    return { v: sawNull ? null : negate }
  }

  private between (node: Obj, left: Const | undefined, negate: boolean): Const | undefined {
    const list = isObj(node.right) && Array.isArray(node.right.value) ? node.right.value : undefined
    if (left === undefined || list === undefined || list.length !== 2) return undefined
    const lo = this.evaluate(list[0])
    const hi = this.evaluate(list[1])
    if (lo === undefined || hi === undefined) return undefined
    const a = this.apply('>=', left.v, lo.v)
    const b = this.apply('<=', left.v, hi.v)
    if (a === undefined || b === undefined) return undefined
    const both = this.logical('AND', a, b)
    if (both === undefined || both.v === null) return both
    return { v: negate ? !(both.v as boolean) : both.v }
  }

  private apply (op: string, a: Value, b: Value): Const | undefined {
    switch (op) {
      case 'IS':
      case 'IS NOT': {
        const same = a === null || b === null || typeof b === 'boolean' ? isSame(a, b) : undefined
        if (same === undefined) return undefined
        return { v: op === 'IS' ? same : !same }
      }
      case '<=>':
        return { v: isSame(a, b) }
    }
    if (a === null || b === null) {
      return COMPARISONS.has(op) || ['+', '-', '*', '/', '%', '||'].includes(op) ? { v: null } : undefined
    }
    switch (op) {
      case '=': case '==': case '<>': case '!=': case '<': case '>': case '<=': case '>=': {
        const c = this.compare(a, b)
        if (c === undefined) return undefined
        const v = op === '=' || op === '=='
          ? c === 0
          : op === '<>' || op === '!='
            ? c !== 0
            : op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0
        return { v }
      }
      case 'LIKE': case 'NOT LIKE': case 'ILIKE': case 'NOT ILIKE': {
        if (typeof a !== 'string' && typeof a !== 'number') return undefined
        if (typeof b !== 'string') return undefined
        const fold = op.includes('ILIKE') || this.dialect !== 'postgresql'
        const m = likeMatch(String(a), b, fold)
        if (m === undefined) return undefined
        return { v: op.startsWith('NOT') ? !m : m }
      }
      case '+': case '-': case '*': case '/': case '%': {
        const x = toNumber(a)
        const y = toNumber(b)
        if (x === undefined || y === undefined || x === null || y === null) return undefined
        if ((op === '/' || op === '%') && y === 0) return { v: null }
        const v = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y
        return Number.isFinite(v) ? { v } : undefined
      }
      case '||':
        return { v: String(a) + String(b) }
      default:
        return undefined
    }
  }

  private compare (a: Exclude<Value, null>, b: Exclude<Value, null>): number | undefined {
    if (typeof a === 'string' && typeof b === 'string') {
      // MySQL's default collations ignore case; PostgreSQL and SQLite compare bytes
      const x = this.dialect === 'mysql' ? a.toLowerCase() : a
      const y = this.dialect === 'mysql' ? b.toLowerCase() : b
      return x < y ? -1 : x > y ? 1 : 0
    }
    const x = toNumber(a)
    const y = toNumber(b)
    if (x === undefined || y === undefined || x === null || y === null) return undefined
    return x < y ? -1 : x > y ? 1 : 0
  }
}

function toNumber (v: Value): number | null | undefined {
  if (v === null) return null
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  const s = v.trim()
  return NUMERIC.test(s) ? Number(s) : undefined
}

function isSame (a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b
  if (typeof b === 'boolean') return truthiness(a) === b
  return a === b
}

/** SQL LIKE (`%`, `_`, backslash escape) by dynamic programming: no regular expression, no backtracking. */
export function likeMatch (value: string, pattern: string, fold: boolean): boolean | undefined {
  if (value.length > MAX_LIKE || pattern.length > MAX_LIKE) return undefined
  const s = fold ? value.toLowerCase() : value
  const tokens: Array<{ any: boolean, one: boolean, ch: string }> = []
  const p = fold ? pattern.toLowerCase() : pattern
  for (let i = 0; i < p.length; i++) {
    const ch = p[i] as string
    if (ch === '\\' && i + 1 < p.length) { tokens.push({ any: false, one: false, ch: p[++i] as string }); continue }
    tokens.push({ any: ch === '%', one: ch === '_', ch })
  }
  let row = new Array<boolean>(s.length + 1).fill(false)
  row[0] = true
  for (const t of tokens) {
    const nextRow = new Array<boolean>(s.length + 1).fill(false)
    if (t.any) {
      let seen = false
      for (let j = 0; j <= s.length; j++) { seen = seen || (row[j] as boolean); nextRow[j] = seen }
    } else {
      for (let j = 1; j <= s.length; j++) nextRow[j] = (row[j - 1] as boolean) && (t.one || s[j - 1] === t.ch)
    }
    row = nextRow
  }
  return row[s.length] as boolean
}

/** Structural equality of two expressions that read the same row values (no volatile calls). */
export function sameExpression (a: unknown, b: unknown): boolean {
  const budget = { left: SAME_BUDGET }
  return deterministic(a) && same(a, b, budget)
}

function same (a: unknown, b: unknown, budget: { left: number }): boolean {
  if (--budget.left < 0) return false
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : false
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => same(x, b[i], budget))
  }
  const x = a as Obj
  const y = b as Obj
  const keys = new Set([...Object.keys(x), ...Object.keys(y)])
  for (const k of keys) {
    if (k === 'loc' || k === 'parentheses') continue
    if (!same(x[k] ?? null, y[k] ?? null, budget)) return false
  }
  return true
}

function deterministic (node: unknown): boolean {
  const stack: unknown[] = [node]
  let budget = SAME_BUDGET
  while (stack.length > 0) {
    if (--budget < 0) return false
    const cur = stack.pop()
    if (Array.isArray(cur)) { stack.push(...cur); continue }
    if (!isObj(cur)) continue
    if (cur.ast !== undefined) return false // a subquery
    if (cur.type === 'function' || cur.type === 'aggr_func' || cur.type === 'window_func') {
      const name = functionBaseName(cur)
      if (name === '' || VOLATILE_FUNCTIONS.has(name) || cur.type !== 'function') return false
    }
    if (cur.type === 'param' || cur.type === 'var') return false
    for (const v of Object.values(cur)) if (typeof v === 'object' && v !== null) stack.push(v)
  }
  return true
}

/** The last part of a function's name, lower-cased (`pg_catalog.pg_sleep` -> `pg_sleep`). */
export function functionBaseName (node: Obj): string {
  const name = node.name
  if (typeof name === 'string') return name.toLowerCase()
  if (isObj(name) && Array.isArray(name.name)) {
    const last: unknown = name.name[name.name.length - 1]
    if (isObj(last) && typeof last.value === 'string') return last.value.toLowerCase()
    if (typeof last === 'string') return last.toLowerCase()
  }
  return ''
}
