import { ConstantFolder, functionBaseName, isComparison, isNumericText, limited, mayBeTrue, operatorOf, subqueryOf } from './constant.js'
import { classifyFunction } from './functions.js'
import { MAX_GENERATED_CHARS, MAX_GENERATED_ROWS, producedChars, seriesRows } from './resources.js'
import {
  AGGREGATES, CATALOG_SCHEMAS, CATALOG_TABLES, CREDENTIAL_CATALOGS, DESTRUCTIVE_TYPES,
  INFO_FUNCTIONS, SENSITIVE_COLUMNS, SENSITIVE_TABLE_WORDS, SYSTEM_COLUMNS, type Severity, type SqlDialect, type SqlIssue
} from './rules.js'
import { complementary, linearAlwaysTrue, relates, rowIndependent } from './tautology.js'

/**
 * The AST walk: statement kinds, scopes (tables, aliases, CTEs, derived tables), every column
 * reference, function call and condition, and the complexity metrics.
 */

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Columns of a table or of a derived relation; `null` when they cannot be known (any name is
 * accepted). `key` (tableKey) for a base table, so that its columns' sensitivity can be looked up.
 */
export interface Source { columns: Set<string> | null, key?: string }
export interface SchemaModel {
  /** Tables and views by tableKey. */
  tables: Map<string, Source>
  /** Columns the DDL declares sensitive (`qwed:sensitive`), as `tableKey.column`. */
  sensitive: Set<string>
}

/** The schema an unqualified table name belongs to (MySQL: the current database, which has no name here). */
const DEFAULT_SCHEMA: Readonly<Record<SqlDialect, string>> = { postgresql: 'public', sqlite: 'main', mysql: '' }

/**
 * The key of a table: `schema.table`, lower-cased, an unqualified name in the dialect's default
 * schema. So `tenant_b.orders` never matches a declared `orders` (public.orders), while
 * `public.orders` does. PostgreSQL folds unquoted names to lower case and keeps quoted ones:
 * a name in `quoted` (written `"Orders"` in the text) keeps its case.
 */
export function tableKey (schema: string | null, table: string, dialect: SqlDialect, quoted?: ReadonlySet<string>): string {
  const fold = (name: string): string => dialect === 'postgresql' && quoted?.has(name) === true ? name : name.toLowerCase()
  return `${schema === null ? DEFAULT_SCHEMA[dialect] : fold(schema)}.${fold(table)}`
}

/**
 * Which columns are sensitive. With a DDL: exactly those declared (claim `sensitiveColumns`, DDL
 * `qwed:sensitive` markers); a column is never flagged for its name alone. Without a DDL: the
 * declared ones plus the default word list (SENSITIVE_COLUMNS) by name.
 */
export interface SensitivityPolicy {
  /** `tableKey.column` entries (claim entries `table.column`, `schema.table.column`). */
  columns: ReadonlySet<string>
  /** Bare column names declared on the claim: sensitive in every table. */
  names: ReadonlySet<string>
  /** Use the default word list (no DDL). */
  wordList: boolean
}

export interface Metrics {
  table_count: number
  join_count: number
  /** Joins without a condition (comma, CROSS JOIN, ON TRUE): a row product. Also counted twice in join_count. */
  cross_join_count: number
  subquery_depth: number
  column_count: number
  condition_count: number
  aggregate_count: number
  predicate_count: number
}

export interface AnalyzerOptions {
  dialect: SqlDialect
  schema: SchemaModel | null
  allowDestructive: boolean
  /** Default: the word list, nothing declared. */
  sensitivity?: SensitivityPolicy
  /** Functions the claim allows beyond the dialect's allowlist (lower-cased). */
  allowFunctions?: ReadonlySet<string>
  /** PostgreSQL identifiers written double-quoted with upper-case letters (case-sensitive names). */
  quoted?: ReadonlySet<string>
}

/** Thrown when the AST is nested deeper than the walk allows (caught by the engine: BLOCKED). */
export class TooDeepError extends Error {
  constructor () {
    super('SQL nested too deeply')
    this.name = 'TooDeepError'
  }
}

const BARE_INFO_FUNCTIONS = new Set(['current_user', 'session_user', 'system_user', 'current_schema', 'current_catalog'])
const MAX_DEPTH = 400
const MAX_ISSUES = 200
const MAX_RECURSION_SCAN = 32
const SKIP_KEYS = new Set(['tableList', 'columnList', 'loc'])
const SELECT_KEYS = new Set(['type', 'with', 'from', 'columns', 'where', 'having', 'into', '_next', 'set_op', 'tableList', 'columnList', 'loc'])
const INSERT_KEYS = new Set(['type', 'table', 'columns', 'values', 'conflict', 'on_duplicate_update', 'returning', 'with'])
const UPDATE_KEYS = new Set(['type', 'table', 'from', 'set', 'where', 'with'])
const DELETE_KEYS = new Set(['type', 'table', 'from', 'where', 'with'])

class Scope {
  readonly sources = new Map<string, Source>()
  readonly ctes = new Map<string, Source>()
  readonly aliases = new Set<string>()
  constructor (readonly parent: Scope | null, readonly lenient = false) {}

  source (name: string): Source | undefined {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      const hit = s.sources.get(name)
      if (hit !== undefined) return hit
      if (s.lenient) return { columns: null }
    }
    return undefined
  }

  cte (name: string): Source | undefined {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      const hit = s.ctes.get(name)
      if (hit !== undefined) return hit
    }
    return undefined
  }
}

interface StatementFlags { union: boolean, catalog: boolean, info: boolean, sensitiveTable: boolean, nullProbe: boolean }

export class Analyzer {
  readonly issues: SqlIssue[] = []
  readonly kinds: string[] = []
  readonly metrics: Metrics = {
    table_count: 0, join_count: 0, cross_join_count: 0, subquery_depth: 0, column_count: 0, condition_count: 0, aggregate_count: 0, predicate_count: 0
  }

  private readonly issueKeys = new Set<string>()
  private readonly issueTypes = new Set<string>()
  private readonly folder: ConstantFolder
  private readonly schema: SchemaModel | null
  private readonly allowDestructive: boolean
  private readonly sensitivity: SensitivityPolicy
  private readonly allowFunctions: ReadonlySet<string>
  private flags: StatementFlags = freshFlags()
  private subDepth = 0
  private onRoot: unknown = null
  private tautologies = 0
  /** The WHERE and FROM names of the SELECT being read: a comma join may be related there. */
  private commaWhere: unknown = null
  private commaNames: ReadonlySet<string> = new Set()
  /** Rows the generators of the current statement produce together (their product). */
  private generatedRows = 1

  constructor (private readonly options: AnalyzerOptions) {
    this.folder = new ConstantFolder(options.dialect)
    this.schema = options.schema
    this.allowDestructive = options.allowDestructive
    this.sensitivity = options.sensitivity ?? { columns: new Set(), names: new Set(), wordList: true }
    if (options.schema !== null) for (const c of options.schema.sensitive) (this.sensitivity.columns as Set<string>).add(c)
    this.allowFunctions = options.allowFunctions ?? new Set()
  }

  /** Analyses one top-level statement. */
  statementTop (stmt: Obj): void {
    this.flags = freshFlags()
    this.generatedRows = 1
    const kind = typeof stmt.type === 'string' ? stmt.type.toLowerCase() : 'unknown'
    this.kinds.push(kind)
    if (DESTRUCTIVE_TYPES.has(kind)) {
      if (!this.allowDestructive) {
        this.add('CRITICAL', 'destructive_command', `Destructive command '${kind.toUpperCase()}' blocked: only SELECT is allowed.`,
          'Use parameterized API endpoints for data modification, or set allowDestructive for trusted callers.')
      } else if ((kind === 'delete' || kind === 'update') && stmt.where === null) {
        this.add('WARNING', 'unbounded_write', `${kind.toUpperCase()} without WHERE changes every row.`, 'Add a WHERE clause.')
      }
    } else if (kind !== 'select') {
      this.add('CRITICAL', 'admin_command', `Administrative command '${kind.toUpperCase()}' blocked.`,
        'Administrative operations must be performed through secure channels.')
    }
    this.statement(stmt, null, 0)
    const f = this.flags
    if (f.union) {
      this.add('WARNING', 'union_query', 'UNION query detected. Verify this is intentional.', 'Ensure the UNION source is trusted.')
      if (f.catalog || f.info || f.sensitiveTable || f.nullProbe) {
        this.add('CRITICAL', 'union_exfiltration',
          'UNION combines the query with a read of system catalogs, server information or credentials.',
          'Remove the UNION branch; never let query text select from catalogs.')
      }
    }
  }

  /** The output columns of a SELECT (used to build views and CREATE TABLE AS in a schema). */
  outputColumnsOf (stmt: Obj): Set<string> | null {
    return this.statement(stmt, null, 0)
  }

  // ---- statements --------------------------------------------------------------------------

  private statement (stmt: unknown, parent: Scope | null, depth: number): Set<string> | null {
    const node = unwrap(stmt)
    if (!isObj(node)) return null
    if (depth > MAX_DEPTH) throw new TooDeepError()
    const kind = typeof node.type === 'string' ? node.type.toLowerCase() : ''
    if (depth > 0 && DESTRUCTIVE_TYPES.has(kind) && !this.allowDestructive) {
      this.add('CRITICAL', 'destructive_command', `Nested destructive command '${kind.toUpperCase()}' blocked.`,
        'Only read-only queries are allowed.')
    }
    switch (kind) {
      case 'select': return this.select(node, parent, depth)
      case 'insert':
      case 'replace': this.insert(node, parent, depth); return null
      case 'update': this.update(node, parent, depth); return null
      case 'delete': this.delete(node, parent, depth); return null
      case 'create': this.create(node, depth); return null
      default: this.ddl(node, depth); return null
    }
  }

  private select (first: Obj, parent: Scope | null, depth: number): Set<string> | null {
    let out: Set<string> | null | undefined
    let cur: Obj | null = first
    // UNION / INTERSECT / EXCEPT branches are a linked list (`_next`), walked iteratively
    while (cur !== null) {
      const cols = this.singleSelect(cur, parent, depth)
      if (out === undefined) out = cols
      const next: unknown = cur._next
      if (isObj(next)) {
        if (typeof cur.set_op === 'string' && /union/i.test(cur.set_op)) {
          this.flags.union = true
          if (nullOnlyBranch(next)) this.flags.nullProbe = true
        }
        cur = next
      } else {
        cur = null
      }
    }
    return out ?? null
  }

  private singleSelect (sel: Obj, parent: Scope | null, depth: number): Set<string> | null {
    const scope = new Scope(parent)
    this.ctes(sel.with, scope, depth)
    const from = Array.isArray(sel.from) ? sel.from : []
    // a comma join is a product unless the WHERE relates the tables; counted as a join either way
    this.commaWhere = sel.where
    this.commaNames = new Set(from.filter(isObj).map(fromName).filter(isString))
    from.forEach((item, index) => { this.fromItem(item, scope, depth, index) })
    this.joinConditions(from, scope, depth)
    const columns = Array.isArray(sel.columns) ? sel.columns : []
    for (const col of columns) {
      const alias = isObj(col) ? identText(col.as) : null
      if (alias !== null) scope.aliases.add(alias.toLowerCase())
    }
    for (const col of columns) this.walk(col, scope, depth + 1)
    this.condition(sel.where, scope, depth, 'where')
    this.condition(sel.having, scope, depth, 'having')
    this.into(sel.into, depth)
    for (const [key, value] of Object.entries(sel)) {
      if (!SELECT_KEYS.has(key)) this.walk(value, scope, depth + 1)
    }
    return outputColumns(columns, scope)
  }

  private ctes (list: unknown, scope: Scope, depth: number): void {
    if (!Array.isArray(list)) return
    // `WITH RECURSIVE` marks the first CTE only; every CTE of the list may then read itself
    const recursive = list.some((cte) => isObj(cte) && cte.recursive === true)
    for (const cte of list) {
      if (!isObj(cte)) continue
      const name = identText(cte.name)?.toLowerCase() ?? null
      const explicit = Array.isArray(cte.columns) ? cte.columns.map(columnNameOf).filter(isString) : null
      const source: Source = { columns: explicit === null ? null : new Set(explicit.map(lower)) }
      // registered before its body is analysed: a recursive CTE reads itself (columns unknown until then)
      if (name !== null) scope.ctes.set(name, source)
      const out = this.subquery(cte.stmt, scope, depth)
      if (explicit === null) source.columns = out
      const body = subqueryOf(cte.stmt)
      if (recursive && name !== null && body !== null && this.recursion(body, name, 0) === 'unbounded') {
        this.add('CRITICAL', 'unbounded_recursion',
          `Recursive CTE '${name}' has no stop condition: its recursive member has no WHERE, join condition or LIMIT.`,
          'Bound the recursion with a WHERE condition (for example on a depth counter) or a LIMIT.')
      }
    }
  }

  /**
   * How a SELECT (a set operation's chain of branches) reads the CTE `name`: 'none', 'bounded' (every
   * branch that reads it is filtered: a WHERE or join condition that is not constant-true, or a
   * LIMIT), or 'unbounded'. Derived tables in FROM are followed; a LIMIT on the last branch bounds
   * the whole set operation. The outer query's LIMIT does not count: only PostgreSQL stops a
   * recursion early for it.
   */
  private recursion (first: Obj, name: string, depth: number): 'none' | 'bounded' | 'unbounded' {
    if (depth > MAX_RECURSION_SCAN) return 'unbounded'
    let result: 'none' | 'bounded' | 'unbounded' = 'none'
    let last: Obj = first
    for (let cur: Obj | null = first; cur !== null; cur = isObj(cur._next) ? cur._next : null) {
      last = cur
      let reads: 'none' | 'bounded' | 'unbounded' = 'none'
      for (const item of asArray(cur.from)) {
        if (!isObj(item)) continue
        if (typeof item.table === 'string' && item.table.toLowerCase() === name && identText(item.db) === null && identText(item.schema) === null) {
          reads = worst(reads, 'unbounded')
        }
        const inner = subqueryOf(item.expr)
        if (inner !== null) reads = worst(reads, this.recursion(inner, name, depth + 1))
      }
      if (reads === 'unbounded' && this.filtered(cur)) reads = 'bounded'
      result = worst(result, reads)
    }
    return result === 'unbounded' && hasLimit(last) ? 'bounded' : result
  }

  private filtered (sel: Obj): boolean {
    const filters = (cond: unknown): boolean => cond !== null && cond !== undefined && !mayBeTrue(this.folder.evaluate(cond))
    if (filters(sel.where) || hasLimit(sel)) return true
    return asArray(sel.from).some((item) => isObj(item) && (filters(item.on) || (Array.isArray(item.using) && item.using.length > 0)))
  }

  private fromItem (item: unknown, scope: Scope, depth: number, index = 0): void {
    if (!isObj(item)) return
    const joined = item.join !== undefined && item.join !== null
    if (joined || index > 0) this.metrics.join_count++
    // a row product: a comma join, CROSS JOIN (node-sql-parser: a join without ON), ON <constant true>
    const unconditioned = index > 0 && (!joined || ((item.on === null || item.on === undefined) && !(Array.isArray(item.using) && item.using.length > 0)) ||
      (item.on !== null && item.on !== undefined && mayBeTrue(this.folder.evaluate(item.on))))
    if (unconditioned && (joined || !this.commaJoined(item))) {
      this.metrics.cross_join_count++
      this.metrics.join_count++
    }
    // `AS g(day)`: node-sql-parser keeps a column alias list in the alias text
    const { name: alias, columns: aliasColumns } = aliasOf(item.as)
    const expr = item.expr
    if (isObj(expr) && (isObj(expr.ast) || expr.type === 'select')) {
      const out = this.subquery(expr, scope, depth)
      if (alias !== null) scope.sources.set(alias, { columns: aliasColumns ?? out })
      return
    }
    if (isObj(expr)) {
      // a table function (`generate_series(1, 3) AS g`) or VALUES list: its columns are not known
      // unless the alias lists them
      this.walk(expr, scope, depth + 1)
      if (alias !== null) scope.sources.set(alias, { columns: aliasColumns })
      return
    }
    if (typeof item.table === 'string') {
      this.tableRef(item.table, identText(item.db) ?? identText(item.schema), alias, scope)
    }
  }

  private commaJoined (item: Obj): boolean {
    const name = fromName(item)
    return name !== null && relates(this.commaWhere, name, this.commaNames)
  }

  private tableRef (table: string, db: string | null, alias: string | null, scope: Scope): Source {
    const name = table.toLowerCase()
    const schemaName = db?.toLowerCase() ?? null
    this.metrics.table_count++
    this.catalog(schemaName, name)
    if (SENSITIVE_TABLE_WORDS.some((w) => name.includes(w))) this.flags.sensitiveTable = true
    let source: Source | undefined = schemaName === null ? scope.cte(name) : undefined
    if (source === undefined) {
      const key = tableKey(db, table, this.options.dialect, this.options.quoted)
      if (this.schema !== null) {
        // schema, table and quoting must match the DDL exactly: `tenant_b.orders` is not `orders`
        const def = this.schema.tables.get(key)
        if (def === undefined) {
          this.add('CRITICAL', 'schema_unknown_table', `Table '${schemaName === null ? name : `${schemaName}.${name}`}' is not in the schema.`,
            'Use only tables defined in the schema, with the schema they are declared in.')
        }
        source = { columns: def?.columns ?? null, key }
      } else {
        source = { columns: null, key }
      }
    }
    scope.sources.set(alias ?? name, source)
    return source
  }

  private catalog (db: string | null, name: string): void {
    const isCatalog = (db !== null && CATALOG_SCHEMAS.has(db)) || CATALOG_TABLES.has(name) || name.startsWith('pg_')
    if (!isCatalog) return
    this.flags.catalog = true
    if (CREDENTIAL_CATALOGS.has(name) || (db !== null && CREDENTIAL_CATALOGS.has(`${db}.${name}`))) {
      this.add('CRITICAL', 'system_catalog_access', `Read of credential catalog '${db === null ? name : `${db}.${name}`}'.`,
        'Never read server credential catalogs.')
    } else {
      this.add('WARNING', 'system_catalog_access', `Read of system catalog '${db === null ? name : `${db}.${name}`}'.`,
        'Query application tables, not the server catalogs.')
    }
  }

  private joinConditions (from: unknown[], scope: Scope, depth: number): void {
    for (const item of from) {
      if (!isObj(item)) continue
      if (item.on !== undefined && item.on !== null) this.condition(item.on, scope, depth, 'on')
      if (Array.isArray(item.using)) {
        for (const u of item.using) {
          const name = identText(u)
          if (name !== null) this.checkColumn(name, null, scope)
        }
      }
    }
  }

  private into (into: unknown, depth: number): void {
    if (!isObj(into) || into.position === null || into.position === undefined) return
    const keyword = typeof into.keyword === 'string' ? into.keyword.toLowerCase() : ''
    if (keyword === 'outfile' || keyword === 'dumpfile') {
      this.add('CRITICAL', 'file_access', `SELECT ... INTO ${keyword.toUpperCase()} writes a file on the database server.`,
        'Never write query results to server files.')
      return
    }
    const target = into.expr
    if (isObj(target) && target.type === 'var') return // MySQL `INTO @variable`
    if (!this.allowDestructive) {
      this.add('CRITICAL', 'destructive_command', 'SELECT ... INTO creates a table.', 'Only read-only queries are allowed.')
    }
    this.walk(target, new Scope(null, true), depth + 1)
  }

  private insert (stmt: Obj, parent: Scope | null, depth: number): void {
    const scope = new Scope(parent)
    this.ctes(stmt.with, scope, depth)
    const targets = Array.isArray(stmt.table) ? stmt.table : [stmt.table]
    let target: Source = { columns: null }
    let first = true
    for (const t of targets) {
      if (!isObj(t) || typeof t.table !== 'string') continue
      const src = this.tableRef(t.table, identText(t.db) ?? identText(t.schema), identText(t.as)?.toLowerCase() ?? null, scope)
      if (first) { target = src; first = false }
    }
    if (Array.isArray(stmt.columns)) {
      for (const c of stmt.columns) {
        const name = identText(c)
        if (name !== null) this.targetColumn(name, target)
      }
    }
    const values = unwrap(stmt.values)
    if (isObj(values) && values.type === 'select') this.statement(values, parent, depth + 1)
    else this.walk(stmt.values, scope, depth + 1)
    if (isObj(stmt.conflict)) {
      const conflictScope = new Scope(scope)
      conflictScope.sources.set('excluded', target)
      const action = isObj(stmt.conflict.action) ? stmt.conflict.action : null
      const update = action !== null && isObj(action.expr) ? action.expr : null
      if (update !== null) {
        this.setList(update.set, conflictScope, depth)
        this.condition(update.where, conflictScope, depth, 'where')
      }
      this.walk(stmt.conflict.target, conflictScope, depth + 1)
    }
    if (isObj(stmt.on_duplicate_update)) this.setList(stmt.on_duplicate_update.set, scope, depth)
    this.walk(stmt.returning, scope, depth + 1)
    for (const [key, value] of Object.entries(stmt)) {
      if (!INSERT_KEYS.has(key)) this.walk(value, scope, depth + 1)
    }
  }

  private update (stmt: Obj, parent: Scope | null, depth: number): void {
    const scope = new Scope(parent)
    this.ctes(stmt.with, scope, depth)
    const items = [...asArray(stmt.table), ...asArray(stmt.from)]
    for (const item of items) this.fromItem(item, scope, depth)
    this.joinConditions(items, scope, depth)
    this.setList(stmt.set, scope, depth)
    this.condition(stmt.where, scope, depth, 'where')
    for (const [key, value] of Object.entries(stmt)) {
      if (!UPDATE_KEYS.has(key)) this.walk(value, scope, depth + 1)
    }
  }

  private delete (stmt: Obj, parent: Scope | null, depth: number): void {
    const scope = new Scope(parent)
    this.ctes(stmt.with, scope, depth)
    // node-sql-parser lists the target in `table` and again in `from`
    const from = asArray(stmt.from)
    const items = from.length > 0 ? from : asArray(stmt.table)
    for (const item of items) this.fromItem(item, scope, depth)
    this.joinConditions(items, scope, depth)
    this.condition(stmt.where, scope, depth, 'where')
    for (const [key, value] of Object.entries(stmt)) {
      if (!DELETE_KEYS.has(key)) this.walk(value, scope, depth + 1)
    }
  }

  private create (stmt: Obj, depth: number): void {
    this.countTables(stmt.table)
    const query = stmt.query_expr ?? stmt.select
    if (isObj(query)) this.statement(query, null, depth + 1)
    const lenient = new Scope(null, true)
    for (const [key, value] of Object.entries(stmt)) {
      if (key !== 'table' && key !== 'query_expr' && key !== 'select') this.walk(value, lenient, depth + 1)
    }
  }

  /** DROP, TRUNCATE, ALTER, GRANT, SET, ...: count tables, look for functions and subqueries. */
  private ddl (stmt: Obj, depth: number): void {
    this.countTables(stmt.table)
    this.countTables(stmt.name)
    const lenient = new Scope(null, true)
    for (const [key, value] of Object.entries(stmt)) {
      if (key !== 'table' && key !== 'name') this.walk(value, lenient, depth + 1)
    }
  }

  private countTables (list: unknown): void {
    for (const t of asArray(list)) if (isObj(t) && typeof t.table === 'string') this.metrics.table_count++
  }

  private setList (list: unknown, scope: Scope, depth: number): void {
    for (const item of asArray(list)) {
      if (!isObj(item)) continue
      if (item.type === 'column_ref') { this.walk(item, scope, depth + 1); continue }
      // MySQL shape: { column: 'a', table: null, value }
      const name = identText(item.column)
      if (name !== null) {
        this.sensitive(name, identText(item.table), scope)
        this.checkColumn(name, identText(item.table), scope)
      }
      this.walk(item.value, scope, depth + 1)
    }
  }

  private targetColumn (name: string, target: Source): void {
    this.sensitive(name, null, null)
    this.declared(target, name.toLowerCase())
    const n = name.toLowerCase()
    if (this.schema !== null && target.columns !== null && !target.columns.has(n) && !SYSTEM_COLUMNS.has(n)) {
      this.add('CRITICAL', 'schema_unknown_column', `Column '${n}' is not in the target table.`, 'Use only columns defined in the schema.')
    }
  }

  // ---- expressions -------------------------------------------------------------------------

  private subquery (stmt: unknown, scope: Scope, depth: number): Set<string> | null {
    this.subDepth++
    if (this.subDepth > this.metrics.subquery_depth) this.metrics.subquery_depth = this.subDepth
    try {
      return this.statement(stmt, scope, depth + 1)
    } finally {
      this.subDepth--
    }
  }

  private condition (node: unknown, scope: Scope, depth: number, where: 'where' | 'having' | 'on'): void {
    if (node === null || node === undefined) return
    if (where !== 'on') this.metrics.condition_count++
    const saved = this.onRoot
    const before = this.tautologies
    // `JOIN ... ON TRUE` / `ON 1=1` is a cross join, not a filter bypass
    if (where === 'on') this.onRoot = node
    try {
      this.walk(node, scope, depth + 1)
    } finally {
      this.onRoot = saved
    }
    if (where === 'on' || isComparison(node) || this.tautologies !== before) return
    if (mayBeTrue(this.folder.evaluate(node))) {
      this.add('CRITICAL', 'injection_tautology', `The ${where.toUpperCase()} condition is always true (tautology). Likely injection attempt.`,
        'Validate input before constructing SQL.')
    }
  }

  private walk (node: unknown, scope: Scope, depth: number): void {
    if (depth > MAX_DEPTH) throw new TooDeepError()
    if (Array.isArray(node)) {
      for (const item of node) this.walk(item, scope, depth)
      return
    }
    if (!isObj(node)) return
    if (isObj(node.ast)) { this.subquery(node.ast, scope, depth); return }
    switch (node.type) {
      case 'select':
        if ('columns' in node || 'from' in node) { this.subquery(node, scope, depth); return }
        break
      case 'insert':
      case 'replace':
      case 'update':
      case 'delete':
        if ('table' in node) { this.subquery(node, scope, depth); return }
        break
      case 'column_ref':
        this.columnRef(node, scope, depth)
        return
      case 'function':
        this.functionCall(node)
        break
      case 'aggr_func':
      case 'window_func':
        if (typeof node.name === 'string' && AGGREGATES.has(node.name.toLowerCase())) this.metrics.aggregate_count++
        this.allowedFunction(node)
        break
      case 'var':
        if (node.prefix === '@@') this.flags.info = true
        break
      case 'binary_expr':
        this.binary(node, scope, depth)
        return
    }
    for (const [key, value] of Object.entries(node)) {
      if (!SKIP_KEYS.has(key) && typeof value === 'object' && value !== null) this.walk(value, scope, depth + 1)
    }
  }

  private binary (node: Obj, scope: Scope, depth: number): void {
    this.metrics.condition_count++
    const comparison = isComparison(node)
    if (comparison) this.metrics.predicate_count++
    this.walk(node.left, scope, depth + 1)
    this.walk(node.right, scope, depth + 1)
    if (comparison && node !== this.onRoot && (this.folder.evaluate(node)?.v === true || linearAlwaysTrue(node))) {
      this.add('CRITICAL', 'injection_tautology', `Always-true comparison '${operatorOf(node)}' (tautology). Likely injection attempt.`,
        'Validate input before constructing SQL.')
    }
    const op = operatorOf(node)
    if (op === 'OR' || (op === '||' && this.options.dialect === 'mysql')) {
      if (complementary(node)) {
        this.add('CRITICAL', 'injection_tautology', 'An OR of a condition and its opposite holds for every row (tautology). Likely injection attempt.',
          'Validate input before constructing SQL.')
      }
      for (const side of [node.left, node.right]) {
        // an operand that reads no row and is not provably false makes the whole OR hold for every
        // row (fail closed: a constant we do not compute counts as true); a comparison known to be
        // true was reported above
        const c = this.folder.evaluate(side)
        if (c === undefined) {
          // not a constant, but its truth may still not depend on the row: `random() < 2`, a
          // scalar subquery over another table, `EXISTS (SELECT 1 FROM users)`
          if (rowIndependent(side, (q) => scope.source(q) !== undefined)) {
            this.add('CRITICAL', 'injection_or_true', 'An OR operand does not depend on the row: the condition holds for every row or for none. Likely injection attempt.',
              'Validate input before constructing SQL.')
          }
          continue
        }
        if (!mayBeTrue(c)) continue
        if (c?.opaque === true) {
          this.add('CRITICAL', 'injection_or_true', 'An OR operand does not depend on the row and may always be true. Likely injection attempt.',
            'Validate input before constructing SQL.')
        } else if (!isComparison(side)) {
          this.add('CRITICAL', 'injection_or_true', "'OR TRUE' pattern: an OR operand is always true. Likely injection attempt.",
            'Validate input before constructing SQL.')
        }
      }
    }
  }

  private functionCall (node: Obj): void {
    const name = functionBaseName(node)
    this.allowedFunction(node)
    if (INFO_FUNCTIONS.has(name)) this.flags.info = true
    if (name === 'generate_series') this.generator(node)
    const chars = producedChars(name, node, this.folder)
    if (chars !== null && chars > MAX_GENERATED_CHARS) {
      this.add('CRITICAL', 'unbounded_generator', `Function '${name}' builds a value of ${chars} characters (limit: ${MAX_GENERATED_CHARS}).`,
        'Build large values in the application, not in the database.')
    }
  }

  /** generate_series: constant bounds whose span (times that of the statement's other generators) is under the cap. */
  private generator (node: Obj): void {
    const verdict = seriesRows(node, this.folder, this.options.dialect)
    const advice = 'Use constant bounds that span at most a few million rows.'
    if ('unbounded' in verdict) {
      this.add('CRITICAL', 'unbounded_generator', `generate_series has no known bound: ${verdict.unbounded}.`, advice)
      return
    }
    this.generatedRows *= Math.max(1, verdict.rows)
    if (this.generatedRows > MAX_GENERATED_ROWS) {
      const what = verdict.rows > MAX_GENERATED_ROWS ? 'generate_series produces' : 'The generators of the statement produce together'
      this.add('CRITICAL', 'unbounded_generator', `${what} more than ${MAX_GENERATED_ROWS} rows.`, advice)
    }
  }

  /** Functions: the dialect's allowlist, the claim's own additions; dangerous families never. */
  private allowedFunction (node: Obj): void {
    const name = functionBaseName(node)
    if (name === '') return
    const nameNode = isObj(node.name) ? node.name : null
    const qualifier = identText(nameNode?.schema) ??
      (Array.isArray(nameNode?.name) && nameNode.name.length > 1 ? identText(nameNode.name[nameNode.name.length - 2]) : null)
    const verdict = classifyFunction(name, qualifier, this.options.dialect, this.allowFunctions)
    if (verdict.allowed) return
    const shown = qualifier === null ? name : `${qualifier.toLowerCase()}.${name}`
    if (verdict.dangerous) {
      this.add('CRITICAL', 'dangerous_function', `Function '${shown}' ${verdict.why}.`, 'Remove the call; it has no place in application queries.')
    } else {
      this.add('CRITICAL', 'function_not_allowed', `Function '${shown}' is not on the ${this.options.dialect} allowlist of pure row-level functions.`,
        'Use an allowed function, or allow this one by name (allowFunctions) if it is pure.')
    }
  }

  private columnRef (node: Obj, scope: Scope, depth: number): void {
    const name = columnNameOf(node)
    const qualifier = identText(node.table)
    if (name !== null && !scope.lenient) {
      if (name === '*') {
        if (qualifier !== null) this.checkColumn('*', qualifier, scope)
        this.starSensitive(qualifier, scope)
      } else {
        this.metrics.column_count++
        this.sensitive(name, qualifier, scope)
        const lowered = name.toLowerCase()
        // PostgreSQL's parenthesis-less functions (`SELECT current_user`) can surface as column names
        if (BARE_INFO_FUNCTIONS.has(lowered) && qualifier === null) this.flags.info = true
        this.checkColumn(name, qualifier, scope)
      }
    }
    // UPDATE ... SET col = value keeps the value on the column_ref
    this.walk(node.value, scope, depth + 1)
  }

  /**
   * A named column: sensitive when the policy says so for a table it may come from (a qualified
   * column's table; else every base table in scope that has, or may have, that column).
   */
  private sensitive (name: string, qualifier: string | null, scope: Scope | null): void {
    const n = name.toLowerCase()
    const policy = this.sensitivity
    let hit = policy.names.has(n) || (policy.wordList && SENSITIVE_COLUMNS.has(n))
    if (!hit && scope !== null && policy.columns.size > 0) {
      for (const src of this.candidates(n, qualifier, scope)) {
        if (src.key !== undefined && policy.columns.has(`${src.key}.${n}`)) { hit = true; break }
      }
    }
    if (hit) {
      this.add('CRITICAL', 'sensitive_column_access', `Access to sensitive column '${n}' is forbidden.`,
        'Remove the sensitive column from the query or request elevated permissions.')
    }
  }

  /** `*` and `t.*` read every column of the tables they cover: each one is checked. */
  private starSensitive (qualifier: string | null, scope: Scope): void {
    const sources = qualifier === null ? [...scope.sources.values()] : [scope.source(qualifier.toLowerCase())]
    const policy = this.sensitivity
    for (const src of sources) {
      if (src === undefined) continue
      if (src.columns !== null) {
        for (const c of src.columns) {
          this.sensitive(c, null, null)
          this.declared(src, c)
        }
        continue
      }
      // columns unknown (no DDL): any column declared sensitive for this table is read
      if (src.key === undefined) continue
      for (const entry of policy.columns) {
        if (entry.startsWith(`${src.key}.`)) this.declared(src, entry.slice(src.key.length + 1))
      }
    }
  }

  private declared (src: Source, column: string): void {
    if (src.key !== undefined && this.sensitivity.columns.has(`${src.key}.${column}`)) {
      this.add('CRITICAL', 'sensitive_column_access', `Access to sensitive column '${column}' is forbidden (read through *).`,
        'Select the columns you need by name, without the sensitive ones.')
    }
  }

  /** Sources a column may come from. */
  private candidates (column: string, qualifier: string | null, scope: Scope): Source[] {
    if (qualifier !== null) {
      const src = scope.source(qualifier.toLowerCase())
      return src === undefined ? [] : [src]
    }
    const out: Source[] = []
    for (let s: Scope | null = scope; s !== null; s = s.parent) {
      for (const src of s.sources.values()) if (src.columns === null || src.columns.has(column)) out.push(src)
    }
    return out
  }

  /** A column must exist in a table in scope (only when a schema was given). */
  private checkColumn (name: string, qualifier: string | null, scope: Scope): void {
    if (this.schema === null) return
    const n = name.toLowerCase()
    if (qualifier !== null) {
      const q = qualifier.toLowerCase()
      const src = scope.source(q)
      if (src === undefined) {
        this.add('CRITICAL', 'schema_unknown_table', `Table or alias '${q}' is not in scope.`, 'Use only tables defined in the schema.')
        return
      }
      if (n !== '*' && src.columns !== null && !src.columns.has(n) && !SYSTEM_COLUMNS.has(n)) {
        this.add('CRITICAL', 'schema_unknown_column', `Column '${q}.${n}' is not in the schema.`, 'Use only columns defined in the schema.')
      }
      return
    }
    if (SYSTEM_COLUMNS.has(n) || isNumericText(n)) return
    for (let s: Scope | null = scope; s !== null; s = s.parent) {
      if (s.lenient || s.aliases.has(n)) return
      for (const src of s.sources.values()) if (src.columns === null || src.columns.has(n)) return
    }
    this.add('CRITICAL', 'schema_unknown_column', `Column '${n}' is not in the schema.`, 'Use only columns defined in the schema.')
  }

  // ---- issues ------------------------------------------------------------------------------

  add (severity: Severity, type: string, description: string, recommendation: string | null): void {
    const key = `${severity}|${type}|${description}`
    if (this.issueKeys.has(key)) return
    // bounded output; the first issue of each type is always kept
    if (this.issues.length >= MAX_ISSUES && this.issueTypes.has(`${severity}|${type}`)) return
    this.issueKeys.add(key)
    this.issueTypes.add(`${severity}|${type}`)
    if (type.startsWith('injection_')) this.tautologies++
    this.issues.push({ severity, type, description, recommendation })
  }
}

/** The name a FROM item is referred to by: its alias, else its table name. */
function fromName (item: Obj): string | null {
  return aliasOf(item.as).name ?? (typeof item.table === 'string' ? item.table.toLowerCase() : null)
}

const ALIAS_WITH_COLUMNS = /^([A-Za-z_][\w$]{0,62})\(([^()]{0,4000})\)$/

/** A FROM alias, lower-cased, and the column names it lists (`g(day)`, `t(a, b)`), if any. */
function aliasOf (as: unknown): { name: string | null, columns: Set<string> | null } {
  const text = identText(as)
  if (text === null) return { name: null, columns: null }
  const m = ALIAS_WITH_COLUMNS.exec(text)
  if (m === null) return { name: text.toLowerCase(), columns: null }
  const columns = (m[2] as string).split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').toLowerCase()).filter((c) => c !== '')
  return { name: (m[1] as string).toLowerCase(), columns: columns.length > 0 ? new Set(columns) : null }
}

function freshFlags (): StatementFlags {
  return { union: false, catalog: false, info: false, sensitiveTable: false, nullProbe: false }
}

type Reach = 'none' | 'bounded' | 'unbounded'
const REACH_ORDER: Record<Reach, number> = { none: 0, bounded: 1, unbounded: 2 }
function worst (a: Reach, b: Reach): Reach {
  return REACH_ORDER[a] >= REACH_ORDER[b] ? a : b
}

/** A LIMIT other than `LIMIT ALL`. */
function hasLimit (sel: Obj): boolean {
  if (!limited(sel)) return false
  const values = isObj(sel.limit) && Array.isArray(sel.limit.value) ? sel.limit.value : []
  return !values.every((v) => isObj(v) && v.type === 'origin' && String(v.value).toLowerCase() === 'all')
}

function unwrap (node: unknown): unknown {
  return isObj(node) && isObj(node.ast) ? node.ast : node
}

function asArray (v: unknown): unknown[] {
  if (Array.isArray(v)) return v
  return v === null || v === undefined ? [] : [v]
}

const isString = (v: string | null): v is string => v !== null
const lower = (s: string): string => s.toLowerCase()

/** The text of an identifier in any of node-sql-parser's shapes. */
export function identText (v: unknown): string | null {
  if (typeof v === 'string') return v
  if (isObj(v)) {
    if (typeof v.value === 'string') return v.value
    if (v.expr !== undefined) return identText(v.expr)
  }
  return null
}

/** The column name of a column_ref (`*` for a star), or null. */
export function columnNameOf (node: unknown): string | null {
  if (!isObj(node)) return identText(node)
  const c = node.column
  if (c === '*') return '*'
  if (typeof c === 'string') return c
  if (isObj(c)) {
    if (isObj(c.expr) && c.expr.type === 'star') return '*'
    return identText(c)
  }
  return identText(node)
}

/** Names a SELECT list produces; null when one of them cannot be known. */
function outputColumns (columns: unknown[], scope: Scope): Set<string> | null {
  const out = new Set<string>()
  for (const col of columns) {
    if (col === '*') return starColumns(scope, null)
    if (!isObj(col)) continue
    const alias = identText(col.as)
    if (alias !== null) { out.add(alias.toLowerCase()); continue }
    const expr = isObj(col.expr) ? col.expr : col
    if (expr.type === 'column_ref') {
      const name = columnNameOf(expr)
      if (name === '*') {
        const star = starColumns(scope, identText(expr.table))
        if (star === null) return null
        for (const c of star) out.add(c)
      } else if (name !== null) {
        out.add(name.toLowerCase())
      }
    } else if (expr.type === 'function' || expr.type === 'aggr_func' || expr.type === 'window_func') {
      const name = functionBaseName(expr)
      if (name !== '') out.add(name)
    }
  }
  return out
}

function starColumns (scope: Scope, qualifier: string | null): Set<string> | null {
  if (qualifier !== null) return scope.source(qualifier.toLowerCase())?.columns ?? null
  const out = new Set<string>()
  for (const src of scope.sources.values()) {
    if (src.columns === null) return null
    for (const c of src.columns) out.add(c)
  }
  return out
}

/** A UNION branch that selects nothing but NULLs: the classic column-count probe. */
function nullOnlyBranch (sel: Obj): boolean {
  const cols = Array.isArray(sel.columns) ? sel.columns : []
  return cols.length > 0 && cols.every((c) => isObj(c) && isObj(c.expr) && c.expr.type === 'null')
}
