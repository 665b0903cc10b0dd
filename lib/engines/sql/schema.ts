import { sha256Hex } from '../../canonical.js'
import { Analyzer, columnNameOf, identText, tableKey, type SchemaModel, type Source } from './analyze.js'
import { nonEmptyStatements, scanSql, type Span } from './lexer.js'
import { parseStatements } from './parser.js'
import { quotedNames } from './standard.js'
import type { SqlDialect } from './rules.js'

/**
 * Builds the table/column model from DDL text (`CREATE TABLE`, `CREATE VIEW`, `CREATE TABLE AS`,
 * `ALTER TABLE ... ADD COLUMN`). Statements that define no table (CREATE INDEX, CREATE EXTENSION,
 * COMMENT, ...) are skipped when the parser does not know them; a table or view definition that
 * does not parse fails the whole schema (the analysis would be incomplete).
 *
 * Tables are keyed by schema and name (tableKey): an unqualified table belongs to the dialect's
 * default schema (PostgreSQL `public`, SQLite `main`, MySQL the current database).
 *
 * Sensitive columns are declared in the DDL with the marker `qwed:sensitive`, either in a comment
 * on the column's own line (`password_hash text, -- qwed:sensitive`, or `/* qwed:sensitive *\/`),
 * or as `COMMENT ON COLUMN users.password_hash IS 'qwed:sensitive'`. A marker that names no column
 * of a table defined before it fails the schema: a declaration is never silently ignored.
 */

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface SchemaBuild {
  model: SchemaModel
  /** A table or view definition could not be parsed. */
  failed: boolean
  /** Statements that define no table and were skipped because they do not parse. */
  skipped: number
  /** More tokens than MAX_SCHEMA_TOKENS: not parsed. */
  tooLarge: boolean
}

/** About 2 s of parsing at worst (once per DDL text, thanks to the cache); 300 tables of 10 columns fit. */
export const MAX_SCHEMA_TOKENS = 30_000

// Parsed schemas, most recently used last: an application sends the same DDL with every claim.
const cache = new Map<string, SchemaBuild>()
const CACHE_SIZE = 32

/** The schema model of a DDL text (cached; callers must not change it). */
export function schemaFor (ddl: string, dialect: SqlDialect): SchemaBuild {
  const key = `${dialect}:${sha256Hex(ddl)}`
  let built = cache.get(key)
  if (built !== undefined) {
    cache.delete(key)
  } else {
    built = buildSchema(ddl, dialect)
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string)
  }
  cache.set(key, built)
  return built
}

export function buildSchema (ddl: string, dialect: SqlDialect): SchemaBuild {
  const model: SchemaModel = { tables: new Map(), sensitive: new Set() }
  const scan = scanSql(ddl, dialect, 'db')
  if (scan.tokens > MAX_SCHEMA_TOKENS) return { model, failed: true, skipped: 0, tooLarge: true }
  const quoted = quotedNames(ddl, scan.spans, dialect)
  let statements: unknown[]
  let failed = false
  let skipped = 0
  try {
    statements = parseStatements(dialect, ddl)
  } catch {
    // parse statement by statement, so that one unsupported non-table statement does not fail it all
    statements = []
    for (const st of nonEmptyStatements(scan)) {
      const text = ddl.slice(st.start, st.end)
      try {
        statements.push(...parseStatements(dialect, text))
      } catch {
        const table = definesTable(st.words) ? readCreateTable(text, dialect, quoted) : undefined
        if (table !== null && table !== undefined) model.tables.set(table.name, { columns: table.columns, key: table.name })
        else if (table === null) failed = true
        else skipped++
      }
    }
  }
  for (const stmt of statements) if (isObj(stmt)) apply(stmt, model, dialect, quoted)
  if (!markSensitive(ddl, scan, model, dialect, quoted)) failed = true
  return { model, failed, skipped, tooLarge: false }
}

const MARKER = /qwed:sensitive/i
const CREATE_HEAD = /^\s*create\s+(?:or\s+replace\s+)?(?:(?:global|local)\s+)?(?:(?:temporary|temp|unlogged)\s+)?(?:table|view)\s+(?:if\s+not\s+exists\s+)?((?:"[^"]+"|`[^`]+`|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|`[^`]+`|[A-Za-z_][\w$]*))*)/i
const COMMENT_ON_COLUMN = /^\s*comment\s+on\s+column\s+((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*)){1,2})\s+is\s+'([^']*)'/i
const LEADING_IDENT = /^[\s,(]*(?:"([^"]+)"|`([^`]+)`|([A-Za-z_][\w$]*))/

/**
 * Reads the `qwed:sensitive` markers into model.sensitive (`schema.table.column`). False when a
 * marker cannot be tied to a declared column.
 */
function markSensitive (ddl: string, scan: ReturnType<typeof scanSql>, model: SchemaModel, dialect: SqlDialect, quoted: ReadonlySet<string>): boolean {
  let ok = true
  const mark = (parts: string[]): void => {
    const column = (parts.pop() as string).toLowerCase()
    const table = parts.pop()?.toLowerCase() ?? null
    const schema = parts.pop()?.toLowerCase() ?? null
    const key = table === null ? null : tableKey(schema, table, dialect, quoted)
    const source = key === null ? undefined : model.tables.get(key)
    if (source === undefined || source.columns === null || !source.columns.has(column)) { ok = false; return }
    model.sensitive.add(`${key as string}.${column}`)
  }
  for (const st of nonEmptyStatements(scan)) {
    if (st.words[0] !== 'comment') continue
    const m = COMMENT_ON_COLUMN.exec(ddl.slice(st.start, st.end))
    if (m !== null && MARKER.test(m[2] as string)) mark(splitName(m[1] as string))
  }
  for (const span of scan.spans) {
    if (span.kind === 'quote' || !MARKER.test(ddl.slice(span.start, span.end))) continue
    // the statement the comment sits in, and the column definition it follows
    const st = scan.statements.find((s) => s.start <= span.start && span.start <= s.end)
    const head = st === undefined ? null : CREATE_HEAD.exec(ddl.slice(st.start, st.end))
    const name = st === undefined ? null : LEADING_IDENT.exec(definitionBefore(ddl, st.start, span.start))
    if (head === null || name === null) { ok = false; continue }
    mark([...splitName(head[1] as string), name[1] ?? name[2] ?? name[3] ?? ''])
  }
  return ok
}

/**
 * The column definition a comment follows: the text back to the previous `,` or `(` at the same
 * depth (so `numeric(12,2)` stays whole). When the comment comes after the column's comma
 * (`ssn text, -- qwed:sensitive`), the definition before that comma.
 */
function definitionBefore (ddl: string, from: number, at: number): string {
  let end = at
  for (let round = 0; round < 2; round++) {
    let depth = 0
    let i = end - 1
    for (; i >= from; i--) {
      const c = ddl[i]
      if (c === ')') depth++
      else if (c === '(') { if (depth === 0) break; depth-- } else if (c === ',' && depth === 0) break
    }
    const text = ddl.slice(i + 1, end)
    if (text.trim() !== '' || i < from) return text
    end = i
  }
  return ''
}

function splitName (qualified: string): string[] {
  const out: string[] = []
  const re = /"([^"]+)"|`([^`]+)`|([A-Za-z_][\w$]*)/g
  for (let m = re.exec(qualified); m !== null; m = re.exec(qualified)) out.push(m[1] ?? m[2] ?? m[3] ?? '')
  return out
}

function definesTable (words: readonly string[]): boolean {
  if (words[0] === 'create') return words.includes('table') || words.includes('view')
  return words[0] === 'alter' && words[1] === 'table'
}

const CREATE_TABLE_HEAD = /^\s*create\s+(?:(?:global|local)\s+)?(?:(?:temporary|temp|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?((?:"[^"]+"|`[^`]+`|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|`[^`]+`|[A-Za-z_][\w$]*))*)\s*\(/i
const NOT_A_COLUMN = new Set(['constraint', 'primary', 'unique', 'foreign', 'check', 'exclude', 'index', 'key', 'fulltext', 'spatial', 'period'])
const IDENT = /^(?:"([^"]+)"|`([^`]+)`|([A-Za-z_][\w$]*))/

/**
 * The table name and column names of a `CREATE TABLE name (...)` the parser does not support (a
 * custom type, `GENERATED ALWAYS AS IDENTITY`, ...): only names are needed, not types. Null when the
 * text is not a well-formed column list (unbalanced parentheses, no columns): the schema then fails.
 */
function readCreateTable (text: string, dialect: SqlDialect, quoted: ReadonlySet<string>): { name: string, columns: Set<string> | null } | null {
  const head = CREATE_TABLE_HEAD.exec(text)
  if (head === null) return null
  const parts = (head[1] as string).split('.').map((p) => unquote(p.trim()))
  const name = tableKey(parts.length > 1 ? parts[parts.length - 2] as string : null, parts[parts.length - 1] as string, dialect, quoted)
  const spans = scanSql(text, dialect, 'db').spans
  const items: string[] = []
  let depth = 0
  let start = head[0].length
  let closed = false
  let k = 0
  for (let i = start; i < text.length && !closed; i++) {
    while (k < spans.length && (spans[k] as Span).end <= i) k++
    const span = spans[k]
    if (span !== undefined && i >= span.start) { i = span.end - 1; continue }
    const c = text[i]
    if (c === '(') {
      depth++
    } else if (c === ')' && depth > 0) {
      depth--
    } else if ((c === ',' || c === ')') && depth === 0) {
      items.push(withoutComments(text, spans, start, i))
      start = i + 1
      closed = c === ')'
    }
  }
  if (!closed) return null
  const columns = new Set<string>()
  for (const item of items) {
    const trimmed = item.trim()
    if (trimmed === '') continue
    const m = IDENT.exec(trimmed)
    if (m === null) return null
    const word = (m[1] ?? m[2] ?? m[3] ?? '').toLowerCase()
    if (m[3] !== undefined && NOT_A_COLUMN.has(word)) continue
    if (m[3] !== undefined && word === 'like') return { name, columns: null }
    columns.add(word)
  }
  return columns.size > 0 ? { name, columns } : null
}

function withoutComments (text: string, spans: readonly Span[], from: number, to: number): string {
  let out = ''
  let i = from
  for (const span of spans) {
    if (span.end <= from || span.kind === 'quote') continue
    if (span.start >= to) break
    out += text.slice(i, span.start) + ' '
    i = span.end
  }
  return out + text.slice(i, to)
}

function unquote (ident: string): string {
  const m = IDENT.exec(ident)
  return (m?.[1] ?? m?.[2] ?? m?.[3] ?? ident).toLowerCase()
}

function apply (stmt: Obj, model: SchemaModel, dialect: SqlDialect, quoted: ReadonlySet<string>): void {
  if (stmt.type === 'create' && stmt.keyword === 'table') {
    const name = firstTableName(stmt.table, dialect, quoted)
    if (name === null) return
    const query = stmt.query_expr
    if (isObj(query)) {
      model.tables.set(name, { columns: derive(query, model, dialect), key: name })
      return
    }
    const columns = new Set<string>()
    let known = true
    for (const def of Array.isArray(stmt.create_definitions) ? stmt.create_definitions : []) {
      if (!isObj(def)) continue
      if (def.resource === 'column') {
        const col = columnNameOf(def.column)
        if (col !== null) columns.add(col.toLowerCase())
      } else if (def.resource !== 'constraint' && def.resource !== 'index') {
        known = false // e.g. `LIKE other_table`
      }
    }
    model.tables.set(name, { columns: known ? columns : null, key: name })
  } else if (stmt.type === 'create' && stmt.keyword === 'view') {
    const view = isObj(stmt.view) ? stmt.view : null
    const bare = identText(view?.view) ?? identText(view?.table)
    if (bare === null) return
    const name = tableKey(identText(view?.db) ?? identText(view?.schema), bare, dialect, quoted)
    const explicit = Array.isArray(stmt.columns) ? stmt.columns.map(columnNameOf) : null
    const columns = explicit !== null && explicit.every((c) => c !== null)
      ? new Set(explicit.map((c) => (c as string).toLowerCase()))
      : isObj(stmt.select) ? derive(stmt.select, model, dialect) : null
    model.tables.set(name, { columns, key: name })
  } else if (stmt.type === 'alter') {
    const name = firstTableName(stmt.table, dialect, quoted)
    const table: Source | undefined = name === null ? undefined : model.tables.get(name)
    if (table === undefined || table.columns === null) return
    for (const action of Array.isArray(stmt.expr) ? stmt.expr : []) {
      if (isObj(action) && action.action === 'add' && action.resource === 'column') {
        const col = columnNameOf(action.column)
        if (col !== null) table.columns.add(col.toLowerCase())
      }
    }
  }
}

function firstTableName (list: unknown, dialect: SqlDialect, quoted: ReadonlySet<string>): string | null {
  const first: unknown = Array.isArray(list) ? list[0] : list
  if (!isObj(first) || typeof first.table !== 'string') return null
  return tableKey(identText(first.db) ?? identText(first.schema), first.table, dialect, quoted)
}

/** Output columns of a view or CREATE TABLE AS query, resolved against the tables defined so far. */
function derive (select: Obj, model: SchemaModel, dialect: SqlDialect): Set<string> | null {
  try {
    return new Analyzer({ dialect, schema: model, allowDestructive: true }).outputColumnsOf(select)
  } catch {
    return null
  }
}
