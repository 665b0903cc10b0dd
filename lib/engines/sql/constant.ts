import { AGGREGATES, VOLATILE_FUNCTIONS, type SqlDialect } from './rules.js'

/**
 * Constant folding of node-sql-parser expressions, to find predicates that are always true
 * (`1=1`, `2>1`, `'a'<>'b'`, `x=x`, `'a' LIKE '%'`, `NOT FALSE`, `$$1$$ = $$1$$`, `abs(-1) = 1`,
 * `EXISTS (SELECT 1)`, ...).
 *
 * `evaluate` answers one of three things about an expression:
 * - `{ v }`: its value does not depend on any row, and is known (SQL NULL is `{ v: null }`);
 * - `OPAQUE` (`{ v: null, opaque: true }`): it does not depend on any row (no column, no parameter,
 *   no volatile or aggregate function, no subquery that reads a table), but its value is not
 *   computed here (an unknown function of constants, `now()`, `CASE` of constants, a comparison we
 *   cannot decide exactly). Such a predicate is the same for every row: fail closed, it is treated
 *   as "may be true";
 * - `undefined`: it depends on the row (a column), on a bound parameter (`$1`, `?`, `:name`), on
 *   the data (a subquery reading a table), or on chance (`random()`).
 * Results are memoized per node, so calling it on every node of a tree (children first) costs
 * linear time.
 */

export type Value = number | string | boolean | null
export interface Const { readonly v: Value, readonly opaque?: true }

/** Row-independent, value not computed. */
export const OPAQUE: Const = Object.freeze({ v: null, opaque: true })

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const COMPARISONS = new Set(['=', '==', '<>', '!=', '<', '>', '<=', '>=', '<=>', 'IS', 'IS NOT',
  'LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE', 'IN', 'NOT IN', 'BETWEEN', 'NOT BETWEEN', 'GLOB',
  'REGEXP', 'NOT REGEXP', 'RLIKE', 'NOT RLIKE', 'SIMILAR TO', 'NOT SIMILAR TO', '~', '~*', '!~', '!~*'])
const REFLEXIVE_TRUE = new Set(['=', '==', '<=', '>=', '<=>', 'IS', 'LIKE', 'ILIKE', 'GLOB', 'IN', 'BETWEEN'])
const REFLEXIVE_FALSE = new Set(['<>', '!=', '<', '>', 'IS NOT', 'NOT LIKE', 'NOT ILIKE', 'NOT IN', 'NOT BETWEEN'])
const MAX_LIKE = 2_000
const SAME_BUDGET = 256
/** Longest string a folded function may build (longer: OPAQUE). */
const MAX_FOLDED_CHARS = 10_000
const SKIP_KEYS = new Set(['loc', 'tableList', 'columnList'])
const INTEGER_TYPES = new Set(['INT', 'INTEGER', 'SMALLINT', 'BIGINT', 'TINYINT', 'MEDIUMINT', 'INT2', 'INT4', 'INT8', 'SIGNED', 'UNSIGNED'])
const EXACT_NUMBER_TYPES = new Set(['NUMERIC', 'DECIMAL', 'DOUBLE PRECISION', 'DOUBLE', 'FLOAT8'])
const TEXT_TYPES = new Set(['TEXT', 'VARCHAR', 'CHARACTER VARYING', 'STRING', 'NVARCHAR'])
/** `$$`, `$tag$`: the delimiters of a PostgreSQL dollar-quoted string (node-sql-parser: a `var`). */
const DOLLAR_QUOTE = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$$/
/** Functions that may return no row: `EXISTS (SELECT generate_series(1, 0))` is false. */
const SET_RETURNING = new Set(['generate_series', 'unnest', 'generate_subscripts', 'json_array_elements',
  'jsonb_array_elements', 'json_each', 'jsonb_each', 'regexp_matches', 'regexp_split_to_table', 'json_table'])

/**
 * `[+-]? (digits [. digits] | . digits) ([eE] [+-]? digits)?` by one left-to-right scan. (The
 * equivalent regex `\d+\.?\d*` can split a run of digits anywhere: quadratic on a long run of
 * digits followed by a character that does not match.)
 */
export function isNumericText (s: string): boolean {
  const n = s.length
  let i = 0
  if (s[i] === '+' || s[i] === '-') i++
  let digits = 0
  while (i < n && isDigit(s.charCodeAt(i))) { i++; digits++ }
  if (s[i] === '.') {
    i++
    while (i < n && isDigit(s.charCodeAt(i))) { i++; digits++ }
  }
  if (digits === 0) return false
  if (s[i] === 'e' || s[i] === 'E') {
    i++
    if (s[i] === '+' || s[i] === '-') i++
    const from = i
    while (i < n && isDigit(s.charCodeAt(i))) i++
    if (i === from) return false
  }
  return i === n
}

function isDigit (code: number): boolean {
  return code >= 48 && code <= 57
}

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
  if (isNumericText(s)) return Number(s) !== 0
  if (['t', 'true', 'y', 'yes', 'on'].includes(s)) return true
  if (['f', 'false', 'n', 'no', 'off'].includes(s)) return false
  return null
}

/** A row-independent condition that is not provably false or NULL: true, or not computed, or unreadable. */
export function mayBeTrue (c: Const | undefined): boolean {
  if (c === undefined) return false
  if (c.opaque === true) return true
  return c.v !== null && truthiness(c.v) !== false
}

type Truth = boolean | null | 'opaque'

function truthOf (c: Const): Truth {
  return c.opaque === true ? 'opaque' : truthiness(c.v)
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
    if (isObj(node.ast)) return this.scalarSubquery(node.ast) // `(SELECT ...)` in an expression
    if (node.over !== undefined && node.over !== null) return undefined // a window function
    switch (node.type) {
      case 'number':
      case 'bigint': {
        const n = Number(node.value)
        return Number.isFinite(n) ? { v: n } : OPAQUE
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
        return typeof node.value === 'string' ? { v: node.value } : OPAQUE
      case 'column_ref': {
        // node-sql-parser reads MySQL's `1e3` as a column named "1e3"
        const name = typeof node.column === 'string' ? node.column : undefined
        return name !== undefined && isNumericText(name) ? { v: Number(name) } : undefined
      }
      case 'var':
        return this.variable(node)
      case 'param':
        return undefined // `:name`: bound at run time
      case 'origin':
        // `?` is a placeholder; other origins are keywords (`BOTH`, `FROM`, `AT TIME ZONE`)
        return node.value === '?' ? undefined : OPAQUE
      case 'aggr_func':
      case 'window_func':
        return undefined
      case 'cast':
        return this.cast(node)
      case 'unary_expr':
        return this.unary(node)
      case 'binary_expr':
        return this.binary(node)
      case 'function':
        return this.call(node)
      case 'select':
        return this.scalarSubquery(node)
      default:
        return this.parts(node)
    }
  }

  /**
   * OPAQUE when no part of the node depends on a row, a parameter or the data (checked through
   * `evaluate` on every child node); undefined otherwise.
   */
  private parts (node: Obj): Const | undefined {
    for (const [key, value] of Object.entries(node)) {
      if (SKIP_KEYS.has(key) || typeof value !== 'object' || value === null) continue
      if (!this.independent(value)) return undefined
    }
    return OPAQUE
  }

  private independent (value: unknown): boolean {
    if (Array.isArray(value)) return value.every((item) => typeof item !== 'object' || item === null || this.independent(item))
    return this.evaluate(value) !== undefined
  }

  private variable (node: Obj): Const | undefined {
    const prefix = typeof node.prefix === 'string' ? node.prefix : ''
    // `$$text$$`, `$tag$text$tag$`: a PostgreSQL string literal
    if (DOLLAR_QUOTE.test(prefix) && node.suffix === prefix) {
      return typeof node.name === 'string' || typeof node.name === 'number' ? { v: String(node.name) } : OPAQUE
    }
    // `$t$a$$b$t$` comes out as a variable `t$a$$b$t$`: a dollar-quoted string read wrongly
    if (prefix === '$' && typeof node.name === 'string' && node.name.includes('$')) return OPAQUE
    // `@@version`: a server variable, the same for every row
    if (prefix === '@@') return OPAQUE
    return undefined // `$1`, `@user_var`: bound at run time
  }

  private call (node: Obj): Const | undefined {
    const name = functionBaseName(node)
    if (name === 'exists') return this.exists(firstArg(node))
    if (VOLATILE_FUNCTIONS.has(name) || AGGREGATES.has(name)) return undefined
    for (const [key, value] of Object.entries(node)) {
      if (key === 'name' || key === 'args' || SKIP_KEYS.has(key) || typeof value !== 'object' || value === null) continue
      if (!this.independent(value)) return undefined
    }
    const args = node.args
    if (args === undefined || args === null) return name === '' ? undefined : OPAQUE // `CURRENT_DATE`
    const list = isObj(args) && Array.isArray(args.value) ? args.value : null
    if (list === null) return this.independent(args) ? OPAQUE : undefined
    const values: Value[] = []
    let opaque = false
    for (const arg of list) {
      const c = this.evaluate(arg)
      if (c === undefined) return undefined
      if (c.opaque === true) opaque = true
      values.push(c.v)
    }
    if (opaque) return OPAQUE
    const v = this.builtin(name, values)
    return v === undefined ? OPAQUE : { v }
  }

  /**
   * Deterministic built-ins of constants, where JavaScript computes exactly what the database
   * would; undefined (the caller makes it OPAQUE) for anything else.
   */
  private builtin (name: string, a: Value[]): Value | undefined {
    const first = a[0]
    const num = (v: Value | undefined): number | undefined => typeof v === 'number' ? v : undefined
    const str = (v: Value | undefined): string | undefined => typeof v === 'string' ? v : undefined
    const nullIn = a.includes(null)
    switch (name) {
      case 'abs': case 'sign': case 'floor': case 'ceil': case 'ceiling': case 'round': {
        if (a.length !== 1) return undefined
        if (first === null) return null
        const x = num(first)
        if (x === undefined) return undefined
        if (name === 'abs') return Math.abs(x)
        if (name === 'sign') return Math.sign(x)
        if (name === 'floor') return Math.floor(x)
        if (name === 'round') return Math.sign(x) * Math.round(Math.abs(x)) // half away from zero (numeric)
        return Math.ceil(x)
      }
      case 'mod': {
        if (a.length !== 2) return undefined
        if (nullIn) return null
        const [x, y] = [num(a[0]), num(a[1])]
        if (x === undefined || y === undefined || y === 0 || !Number.isInteger(x) || !Number.isInteger(y)) return undefined
        return x % y
      }
      case 'lower': case 'upper': case 'trim': case 'ltrim': case 'rtrim': case 'reverse': {
        if (a.length !== 1) return undefined
        if (first === null) return null
        const s = str(first)
        if (s === undefined || !isAscii(s)) return undefined
        if (name === 'lower') return s.toLowerCase()
        if (name === 'upper') return s.toUpperCase()
        if (name === 'trim') return trimEndSpaces(s.replace(/^ +/, ''))
        if (name === 'ltrim') return s.replace(/^ +/, '')
        if (name === 'rtrim') return trimEndSpaces(s)
        return [...s].reverse().join('')
      }
      case 'length': case 'char_length': case 'character_length': {
        if (a.length !== 1) return undefined
        if (first === null) return null
        const s = str(first)
        if (s === undefined) return undefined
        // MySQL's LENGTH counts bytes
        return name === 'length' && this.dialect === 'mysql' ? Buffer.byteLength(s, 'utf8') : [...s].length
      }
      case 'coalesce': case 'ifnull': case 'nvl': {
        if (a.length === 0) return undefined
        return a.find((v) => v !== null) ?? null
      }
      case 'nullif': {
        if (a.length !== 2) return undefined
        const eq = this.apply('=', a[0] as Value, a[1] as Value)
        if (eq === undefined) return undefined
        return eq.v === true ? null : a[0] as Value
      }
      case 'concat': {
        if (a.length === 0) return undefined
        if (nullIn && this.dialect === 'mysql') return null
        let out = ''
        for (const v of a) {
          if (v === null) continue
          if (typeof v === 'string') out += v
          else if (typeof v === 'number' && Number.isSafeInteger(v)) out += String(v)
          else return undefined
          if (out.length > MAX_FOLDED_CHARS) return undefined
        }
        return out
      }
      case 'greatest': case 'least': {
        if (a.length === 0) return undefined
        if (nullIn && this.dialect === 'mysql') return null
        const nums = a.filter((v) => v !== null)
        if (nums.length === 0) return null
        if (!nums.every((v) => typeof v === 'number')) return undefined
        return name === 'greatest' ? Math.max(...(nums as number[])) : Math.min(...(nums as number[]))
      }
      default:
        return undefined
    }
  }

  /** EXISTS (subquery): true, false, OPAQUE, or undefined when it depends on a row or on the data. */
  private exists (arg: unknown): Const | undefined {
    const sel = subqueryOf(arg)
    if (sel === null) return this.evaluate(arg) === undefined ? undefined : OPAQUE
    if (asArray(sel.from).length > 0) {
      // `EXISTS (SELECT 1 FROM t)`: no filter and no correlation, the same for every row, and true
      // unless the table is empty: OPAQUE (so `NOT EXISTS` of it is not taken for false either)
      return plainScan(sel) ? OPAQUE : undefined
    }
    if (this.parts(sel) === undefined) return undefined // correlated with the outer query
    const rows = this.fromlessRows(sel)
    return rows === 'opaque' ? OPAQUE : { v: rows === 1 }
  }

  /** Rows of a FROM-less SELECT (already known to be row-independent): 0, 1, or not computed. */
  private fromlessRows (sel: Obj): 0 | 1 | 'opaque' {
    if (isObj(sel._next) || present(sel.having) || present(sel.groupby) || limited(sel) || present(sel.with)) return 'opaque'
    if (asArray(sel.columns).some((c) => callsSetReturning(c))) return 'opaque'
    if (!present(sel.where)) return 1
    const w = this.evaluate(sel.where)
    if (w === undefined) return 'opaque'
    const t = truthOf(w)
    return t === 'opaque' ? 'opaque' : t === true ? 1 : 0
  }

  /** `(SELECT expr)` as a value. */
  private scalarSubquery (sel: Obj): Const | undefined {
    if (asArray(sel.from).length > 0) return undefined // reads the data
    if (this.parts(sel) === undefined) return undefined
    const columns = asArray(sel.columns)
    const only = columns.length === 1 && isObj(columns[0]) ? columns[0] : null
    if (only === null || this.fromlessRows(sel) !== 1) return OPAQUE
    return this.evaluate(isObj(only.expr) ? only.expr : only) ?? OPAQUE
  }

  /**
   * A cast keeps the value only where no database changes it: integers to an integer type, numbers
   * to an unconstrained numeric or double type, text (and integers) to an unbounded text type,
   * booleans. Anything else (rounding `1.5::int`, truncating `'abc'::char`, dates, JSON) is OPAQUE.
   */
  private cast (node: Obj): Const | undefined {
    const inner = this.evaluate(node.expr)
    if (inner === undefined || inner.opaque === true || inner.v === null) return inner
    const target = Array.isArray(node.target) && isObj(node.target[0]) ? node.target[0] : null
    const type = target !== null && typeof target.dataType === 'string' ? target.dataType.toUpperCase() : ''
    const sized = target !== null && (target.length !== undefined || target.scale !== undefined)
    const n = toNumber(inner.v)
    if (INTEGER_TYPES.has(type)) {
      if (n === undefined || n === null || !Number.isSafeInteger(n) || (type === 'UNSIGNED' && n < 0)) return OPAQUE
      return { v: n }
    }
    if (EXACT_NUMBER_TYPES.has(type)) return n === undefined || n === null || sized ? OPAQUE : { v: n }
    if (TEXT_TYPES.has(type) || (type === 'CHAR' && this.dialect === 'mysql')) {
      if (sized) return OPAQUE
      if (typeof inner.v === 'string') return inner
      return typeof inner.v === 'number' && Number.isSafeInteger(inner.v) ? { v: String(inner.v) } : OPAQUE
    }
    if (type === 'BOOLEAN' || type === 'BOOL') {
      const t = truthiness(inner.v)
      return t === null ? OPAQUE : { v: t }
    }
    return OPAQUE
  }

  private unary (node: Obj): Const | undefined {
    const op = operatorOf(node)
    if (op === 'EXISTS' || op === 'NOT EXISTS') {
      const e = this.exists(node.expr)
      if (e === undefined || e.opaque === true || op === 'EXISTS') return e
      return { v: e.v !== true }
    }
    const inner = this.evaluate(node.expr)
    if (inner === undefined || inner.opaque === true) return inner
    if (op === 'NOT' || op === '!') {
      const t = truthiness(inner.v)
      return { v: t === null ? null : !t }
    }
    if (op === '-' || op === '+') {
      const n = toNumber(inner.v)
      if (n === undefined) return OPAQUE
      return { v: n === null ? null : (op === '-' ? -n : n) }
    }
    return OPAQUE
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
    if (left === undefined || right === undefined || left.opaque === true || right.opaque === true) {
      if (op === 'LIKE' || op === 'ILIKE') {
        // `col LIKE '%'` holds for every non-NULL value
        if (right !== undefined && typeof right.v === 'string' && /^%+$/.test(right.v)) return { v: true }
      }
      if ((REFLEXIVE_TRUE.has(op) || REFLEXIVE_FALSE.has(op)) && sameExpression(node.left, node.right)) {
        return { v: REFLEXIVE_TRUE.has(op) }
      }
      return left === undefined || right === undefined ? undefined : OPAQUE
    }
    return this.apply(op, left.v, right.v) ?? OPAQUE
  }

  private logical (op: 'AND' | 'OR', a: Const | undefined, b: Const | undefined): Const | undefined {
    const ta = a === undefined ? undefined : truthOf(a)
    const tb = b === undefined ? undefined : truthOf(b)
    if (op === 'OR') {
      if (ta === true || tb === true) return { v: true }
      if (ta === undefined || tb === undefined) return undefined
      if (ta === 'opaque' || tb === 'opaque') return OPAQUE
      return { v: ta === false && tb === false ? false : null }
    }
    if (ta === false || tb === false) return { v: false }
    if (ta === undefined || tb === undefined) return undefined
    if (ta === 'opaque' || tb === 'opaque') return OPAQUE
    return { v: ta === true && tb === true ? true : null }
  }

  private membership (node: Obj, left: Const | undefined, negate: boolean): Const | undefined {
    const list = isObj(node.right) && Array.isArray(node.right.value) ? node.right.value : undefined
    if (list === undefined) {
      // `x IN (subquery)` and other shapes: only row independence is known
      return left === undefined || this.evaluate(node.right) === undefined ? undefined : OPAQUE
    }
    if (left === undefined || left.opaque === true) {
      // `x IN (x, ...)`
      if (list.some((item) => sameExpression(node.left, item))) return { v: !negate }
      if (left === undefined) return undefined
    }
    let sawNull = false
    let sawOpaque = left.opaque === true
    for (const item of list) {
      const c = this.evaluate(item)
      if (c === undefined) return undefined
      if (sawOpaque || c.opaque === true) { sawOpaque = true; continue }
      const eq = this.apply('=', left.v, c.v)
      if (eq === undefined) { sawOpaque = true; continue }
      if (eq.v === true) return { v: !negate }
      if (eq.v === null) sawNull = true
    }
    if (sawOpaque) return OPAQUE
    return { v: sawNull ? null : negate }
  }

  private between (node: Obj, left: Const | undefined, negate: boolean): Const | undefined {
    const list = isObj(node.right) && Array.isArray(node.right.value) ? node.right.value : undefined
    if (left === undefined) return undefined
    if (list === undefined || list.length !== 2) return this.evaluate(node.right) === undefined ? undefined : OPAQUE
    const lo = this.evaluate(list[0])
    const hi = this.evaluate(list[1])
    if (lo === undefined || hi === undefined) return undefined
    if (left.opaque === true || lo.opaque === true || hi.opaque === true) return OPAQUE
    const a = this.apply('>=', left.v, lo.v)
    const b = this.apply('<=', left.v, hi.v)
    if (a === undefined || b === undefined) return OPAQUE
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
        const c = this.compare(a, b, ['=', '==', '<>', '!='].includes(op))
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
        // MySQL's LIKE also ignores accents: decided on ASCII text only
        if (this.dialect === 'mysql' && (!isAscii(String(a)) || !isAscii(b))) return undefined
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

  /**
   * Ordering of two constants, or undefined when the database may order them otherwise. Strings:
   * only equality is decided (the order depends on the collation: `'a' < 'B'` holds under en_US, not
   * under C); PostgreSQL and SQLite compare them byte for byte, MySQL's default collations ignore
   * case, accents and (PAD SPACE) trailing spaces, so MySQL is decided on ASCII text without
   * trailing spaces only.
   */
  private compare (a: Exclude<Value, null>, b: Exclude<Value, null>, equality: boolean): number | undefined {
    if (typeof a === 'string' && typeof b === 'string') {
      if (!equality) return undefined
      if (this.dialect !== 'mysql') return a === b ? 0 : 1
      if (!isAscii(a) || !isAscii(b) || a.endsWith(' ') || b.endsWith(' ')) return undefined
      return a.toLowerCase() === b.toLowerCase() ? 0 : 1
    }
    const x = toNumber(a)
    const y = toNumber(b)
    if (x === undefined || y === undefined || x === null || y === null) return undefined
    return x < y ? -1 : x > y ? 1 : 0
  }
}

/** Case mapping and trimming agree with every database's only on ASCII text. */
function isAscii (s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

function trimEndSpaces (s: string): string {
  let end = s.length
  while (end > 0 && s[end - 1] === ' ') end--
  return s.slice(0, end)
}

function present (v: unknown): boolean {
  if (v === null || v === undefined) return false
  if (Array.isArray(v)) return v.length > 0
  if (isObj(v) && Array.isArray(v.columns)) return v.columns.length > 0 // GROUP BY { columns }
  return true
}

/** A LIMIT / OFFSET with a value (node-sql-parser keeps `{ seperator, value: [] }` for none). */
export function limited (sel: Obj): boolean {
  const limit = sel.limit
  if (!isObj(limit)) return false
  return Array.isArray(limit.value) ? limit.value.length > 0 : limit.value !== null && limit.value !== undefined
}

function asArray (v: unknown): unknown[] {
  if (Array.isArray(v)) return v
  return v === null || v === undefined ? [] : [v]
}

function firstArg (node: Obj): unknown {
  const args = node.args
  if (isObj(args) && Array.isArray(args.value)) return args.value[0]
  return args
}

/** The SELECT of a subquery node (`{ ast }` or a bare select), or null. */
export function subqueryOf (node: unknown): Obj | null {
  if (!isObj(node)) return null
  if (isObj(node.ast)) return node.ast.type === 'select' ? node.ast : null
  return node.type === 'select' ? node : null
}

/** A SELECT that reads whole tables: no filter, join condition, grouping, limit or set operation. */
function plainScan (sel: Obj): boolean {
  if (isObj(sel._next) || present(sel.where) || present(sel.having) || present(sel.groupby) || limited(sel) || present(sel.with)) return false
  return asArray(sel.from).every((item) => isObj(item) && typeof item.table === 'string' &&
    (item.expr === undefined || item.expr === null) && !present(item.on) && !present(item.using))
}

function callsSetReturning (node: unknown): boolean {
  return anyNode(node, (cur) => cur.type === 'function' && SET_RETURNING.has(functionBaseName(cur)), SKIP_KEYS)
}

function toNumber (v: Value): number | null | undefined {
  if (v === null) return null
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  const s = v.trim()
  return isNumericText(s) ? Number(s) : undefined
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
  return !anyNode(node, (cur) => {
    if (cur.ast !== undefined) return true // a subquery
    if (cur.type === 'function' || cur.type === 'aggr_func' || cur.type === 'window_func') {
      const name = functionBaseName(cur)
      if (name === '' || VOLATILE_FUNCTIONS.has(name) || cur.type !== 'function') return true
    }
    return cur.type === 'param' || cur.type === 'var'
  })
}

/**
 * Whether some object in the tree under `node` passes `test` (keys in `skip` are not entered).
 * Past SAME_BUDGET nodes the answer is yes: an unread tree is assumed to hold what is looked for.
 */
function anyNode (node: unknown, test: (node: Obj) => boolean, skip: ReadonlySet<string> = NO_KEYS): boolean {
  const stack: unknown[] = [node]
  let budget = SAME_BUDGET
  while (stack.length > 0) {
    if (--budget < 0) return true
    const cur = stack.pop()
    if (Array.isArray(cur)) { stack.push(...cur); continue }
    if (!isObj(cur)) continue
    if (test(cur)) return true
    for (const [key, v] of Object.entries(cur)) if (!skip.has(key) && typeof v === 'object' && v !== null) stack.push(v)
  }
  return false
}
const NO_KEYS: ReadonlySet<string> = new Set()

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
