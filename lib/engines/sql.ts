import type { SqlClaim, SqlLimits } from '../../types/claims.js'
import type { Engine, EngineContext, EngineResult } from '../../types/engine.js'
import type { DiagnosticResult } from '../../types/result.js'
import { VerdictError } from '../errors.js'
import { blocked, verified } from '../result.js'
import { Analyzer, tableKey, TooDeepError, type Metrics, type SensitivityPolicy } from './sql/analyze.js'
import { nonEmptyStatements, sameSpans, scanSql, type Scan, type Span } from './sql/lexer.js'
import { parserFor, parseStatements } from './sql/parser.js'
import {
  ADMIN_KEYWORDS, DANGEROUS_FUNCTIONS, DESTRUCTIVE_KEYWORDS, MALICIOUS_TYPES, RESOURCE_TYPES, type SqlDialect, type SqlIssue
} from './sql/rules.js'
import { MAX_SCHEMA_TOKENS, schemaFor } from './sql/schema.js'
import { quotedNames, standardClauses } from './sql/standard.js'
import { MAX_QUERY_CHARS, MAX_SCHEMA_CHARS } from './sql/descriptor.js'

/**
 * The SQL safety engine: statically analyses one SQL text (and optionally a DDL schema) on the
 * node-sql-parser AST, with QWED 7.1's result model (reference/qwed-protocol.md §4.4):
 *
 * - safe -> VERIFIED, is_valid true (admission ADMIT), constraint `sql.sql_valid`;
 * - proven unsafe (destructive or admin command, stacked statements, tautology, comment injection,
 *   sensitive column, dangerous function, UNION exfiltration, ...) -> VERIFIED with is_valid false and
 *   malicious_classification true (admission BLOCKED), constraint `sql.malicious`;
 * - anything that fails admission without proving malice -> BLOCKED: a parse error
 *   (`sql.parse_error`), a DDL that does not parse (`sql.schema_parse_error`, which takes precedence
 *   over everything, as in QWED), an unknown table or column (`sql.schema_mismatch`), a complexity
 *   limit (`sql.complexity_limit_exceeded`), oversize input (`sql.too_large`), nesting too deep
 *   (`sql.too_deep`), quoting the parser and the database would read differently
 *   (`sql.ambiguous_quoting`), a malformed claim (`sql.invalid_claim`).
 *
 * Decisions:
 * - Default dialect: PostgreSQL. node-sql-parser's PostgreSQL grammar is its most complete
 *   (CTEs, RETURNING, ON CONFLICT, dollar quotes), and it is QWED's library default (`postgres`).
 * - Every write or schema change is destructive, as in QWED: INSERT, UPDATE, DELETE (with or
 *   without WHERE), CREATE, ALTER, DROP, TRUNCATE, RENAME, MERGE, and SELECT ... INTO a table.
 *   `allowDestructive` admits them all (DELETE/UPDATE without WHERE then still warn).
 * - GRANT, REVOKE, SET, transactions, SHOW, CALL and every other statement kind are admin commands,
 *   blocked even with `allowDestructive` (QWED: ADMIN_COMMANDS are checked unconditionally).
 * - Unknown tables and columns (against a given DDL) fail admission as BLOCKED, not as malice: the
 *   query is not proven harmful, it is about a database we were not told about. (QWED 7.1 only
 *   warns about unknown tables and never checks columns; we check both, on purpose.)
 * - Every statement is analysed, not only the first; more than one statement is `stacked_queries`.
 */

const ENGINE = 'node-sql-parser-ast'
export { MAX_QUERY_CHARS, MAX_SCHEMA_CHARS }
const MAX_PAREN_DEPTH = 100
/**
 * node-sql-parser costs 50-130 µs per token (a 60 KB query of short literals takes 1.5 s), so the
 * token count is capped too: 3000 tokens parse in about 200 ms at worst. That is still a large
 * query (a 100-column SELECT with CASE expressions is under 2000).
 */
const MAX_QUERY_TOKENS = 3000
/** More statements than this are not parsed: being stacked already decides the verdict. */
const MAX_PARSED_STATEMENTS = 16
const MAX_COST = 1000
const MAX_CROSS_JOINS = 1
const WARN_COLUMNS = 50
const WARN_CONDITIONS = 20

export const DEFAULT_SQL_LIMITS: Required<SqlLimits> = {
  maxTables: 10,
  maxJoins: 5,
  maxSubqueryDepth: 3,
  maxPredicates: 100
}

const DIALECTS: ReadonlySet<string> = new Set(['postgresql', 'mysql', 'sqlite'])
const LONE_SURROGATE = /\p{Cs}/u

// `AND owner_id = 5`, `OR x IN (...)`: SQL conditions inside a comment (code that was cut off)
const COMMENTED_CONDITION = /\b(?:and|or|where|having)\s+[\w."`]+\s*(?:=|<>|!=|<=|>=|<|>|\blike\b|\bin\s*\(|\bbetween\b|\bis\s+(?:not\s+)?null\b)/i

// A quote followed by more SQL (or by nothing): the closing quote of a literal whose rest was cut
// off, as in `' AND pw = 'x'`. Apostrophes in prose (`don't`, `users' ids`) do not match.
const CUT_OFF_QUOTE = /['"`]\s*(?:and\b|or\b|limit\b|order\b|group\b|union\b|select\b|from\b|where\b|having\b|[);,=]|--|#|\/\*|$)/i

const MSG_VALID = 'The SQL query passed verification and is safe to execute.'
const MSG_MALICIOUS = 'The SQL query failed security verification and is not safe to execute.'
const MSG_ADMISSION = 'The SQL query failed admission checks and is not safe to execute.'
const MSG_PARSE = 'SQL verification could not be completed because the query could not be parsed.'

export function createSqlEngine (): Engine<SqlClaim> {
  return {
    name: 'sql',
    claimTypes: ['sql'],
    /** Loads the default dialect's parser build (the others load on their first claim). */
    async warmUp () {
      parserFor('postgresql')
    },
    verify: (claim: SqlClaim, ctx: EngineContext): EngineResult => {
      const input = checkClaim(claim)
      if ('status' in input) return input
      // loading node-sql-parser is the one failure that is the engine's, not the claim's: it throws
      parserFor(input.dialect)
      try {
        return verifySql(input, ctx)
      } catch (err) {
        if (err instanceof VerdictError) return { ...err.result, cacheable: false }
        if (err instanceof TooDeepError || err instanceof RangeError) return tooDeep()
        return blocked('SQL verification could not be completed due to an internal error.', {
          constraint_id: 'sql.execution_error',
          error_type: err instanceof Error ? err.name : typeof err
        })
      }
    }
  }
}

interface Input {
  query: string
  schema: string | null
  dialect: SqlDialect
  allowDestructive: boolean
  limits: Required<SqlLimits>
  sensitiveColumns: string[]
  allowFunctions: string[]
}

const MAX_POLICY_NAMES = 100
// `column`, `table.column`, `schema.table.column`: plain or double-quoted names
const POLICY_NAME = /^(?:[A-Za-z_][\w$]{0,62}|"[^"]{1,63}")(?:\.(?:[A-Za-z_][\w$]{0,62}|"[^"]{1,63}")){0,2}$/

function checkClaim (claim: SqlClaim): Input | DiagnosticResult {
  const c = claim as unknown as Record<string, unknown>
  const invalid = (why: string): DiagnosticResult =>
    blocked('SQL verification could not be completed because the claim is malformed.', { constraint_id: 'sql.invalid_claim', reason: why })
  if (c === null || typeof c !== 'object') return invalid('claim is not an object')
  if (typeof c.query !== 'string') return invalid('query must be a string')
  if (c.schema !== undefined && c.schema !== null && typeof c.schema !== 'string') return invalid('schema must be a string')
  if (c.dialect !== undefined && (typeof c.dialect !== 'string' || !DIALECTS.has(c.dialect))) {
    return invalid('dialect must be postgresql, mysql or sqlite')
  }
  if (c.allowDestructive !== undefined && typeof c.allowDestructive !== 'boolean') return invalid('allowDestructive must be a boolean')
  const limits = { ...DEFAULT_SQL_LIMITS }
  if (c.limits !== undefined) {
    if (c.limits === null || typeof c.limits !== 'object' || Array.isArray(c.limits)) return invalid('limits must be an object')
    for (const [key, value] of Object.entries(c.limits)) {
      if (!Object.hasOwn(limits, key)) return invalid(`unknown limit ${key}`)
      if (value === undefined) continue
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return invalid(`${key} must be a non-negative integer`)
      limits[key as keyof SqlLimits] = value
    }
  }
  const names = (field: 'sensitiveColumns' | 'allowFunctions'): string[] | string => {
    const v = c[field]
    if (v === undefined) return []
    if (!Array.isArray(v) || v.length > MAX_POLICY_NAMES) return `${field} must be an array of at most ${MAX_POLICY_NAMES} names`
    for (const item of v) if (typeof item !== 'string' || !POLICY_NAME.test(item)) return `${field} must hold names like table.column`
    return v as string[]
  }
  const sensitiveColumns = names('sensitiveColumns')
  if (typeof sensitiveColumns === 'string') return invalid(sensitiveColumns)
  const allowFunctions = names('allowFunctions')
  if (typeof allowFunctions === 'string') return invalid(allowFunctions)
  const query = c.query
  const schema = typeof c.schema === 'string' && c.schema.trim() !== '' ? c.schema : null
  if (query.length > MAX_QUERY_CHARS || (schema !== null && schema.length > MAX_SCHEMA_CHARS)) {
    return blocked('SQL verification could not be completed because the input is too large.', {
      constraint_id: 'sql.too_large',
      query_chars: query.length,
      max_query_chars: MAX_QUERY_CHARS,
      schema_chars: schema?.length ?? 0,
      max_schema_chars: MAX_SCHEMA_CHARS
    })
  }
  if (LONE_SURROGATE.test(query) || (schema !== null && LONE_SURROGATE.test(schema))) return invalid('text has a lone surrogate')
  if (query.trim() === '') return invalid('query is empty')
  return {
    query,
    schema,
    dialect: (c.dialect as SqlDialect | undefined) ?? 'postgresql',
    allowDestructive: c.allowDestructive === true,
    limits,
    sensitiveColumns,
    allowFunctions
  }
}

/** The claim's sensitivity declarations; the word list only when there is no DDL. */
function sensitivityOf (input: Input): SensitivityPolicy {
  const columns = new Set<string>()
  const names = new Set<string>()
  for (const entry of input.sensitiveColumns) {
    // a double-quoted part keeps its case (PostgreSQL); the others fold to lower case
    const raw = entry.split('.')
    const quoted = new Set(raw.filter((p) => p.startsWith('"')).map((p) => p.slice(1, -1)))
    const parts = raw.map((p) => p.startsWith('"') ? p.slice(1, -1) : p.toLowerCase())
    const column = (parts.pop() as string).toLowerCase()
    if (parts.length === 0) { names.add(column); continue }
    const table = parts.pop() as string
    columns.add(`${tableKey(parts.pop() ?? null, table, input.dialect, quoted)}.${column}`)
  }
  return { columns, names, wordList: input.schema === null }
}

function verifySql (input: Input, ctx: EngineContext): EngineResult {
  const { query, dialect } = input
  const dbScan = scanSql(query, dialect, 'db')
  if (dbScan.maxDepth > MAX_PAREN_DEPTH) return tooDeep()
  if (dbScan.tokens > MAX_QUERY_TOKENS) {
    return blocked('SQL verification could not be completed because the input is too large.', {
      constraint_id: 'sql.too_large',
      query_tokens: dbScan.tokens,
      max_query_tokens: MAX_QUERY_TOKENS
    })
  }
  if (!sameSpans(dbScan, scanSql(query, dialect, 'parser'))) {
    return blocked('SQL verification could not be completed because the query could not be parsed unambiguously.', {
      constraint_id: 'sql.ambiguous_quoting',
      dialect,
      reason: 'the parser and the database would read a quoted literal or a comment differently'
    })
  }
  const lexStatements = nonEmptyStatements(dbScan)
  if (lexStatements.length === 0) {
    return blocked(MSG_PARSE, { constraint_id: 'sql.parse_error', dialect, reason: 'no statement' })
  }

  let parsed: unknown[] | null = null
  let parseError = 'TooManyStatements'
  if (lexStatements.length <= MAX_PARSED_STATEMENTS) {
    try {
      // FETCH FIRST / OFFSET ... ROWS, which node-sql-parser does not read, as the LIMIT / OFFSET they mean
      parsed = parseStatements(dialect, standardClauses(withoutComments(query, dbScan.spans), dialect), true)
    } catch (err) {
      if (err instanceof RangeError) return tooDeep()
      parseError = err instanceof Error ? err.name : 'Error'
    }
  }
  abortIfNeeded(ctx)

  // the schema binds table and column checks; a DDL that does not parse is reported, and wins
  const built = input.schema === null ? null : schemaFor(input.schema, dialect)
  if (built?.tooLarge === true) {
    return blocked('SQL verification could not be completed because the input is too large.', {
      constraint_id: 'sql.too_large',
      max_schema_tokens: MAX_SCHEMA_TOKENS
    })
  }
  const analyzer = new Analyzer({
    dialect,
    schema: built === null || built.failed ? null : built.model,
    allowDestructive: input.allowDestructive,
    sensitivity: sensitivityOf(input),
    allowFunctions: new Set(input.allowFunctions.map((f) => f.toLowerCase())),
    quoted: quotedNames(query, dbScan.spans, dialect)
  })
  if (built?.failed === true) {
    analyzer.add('CRITICAL', 'schema_parse_error', 'Could not parse the DDL schema; schema verification is incomplete.', 'Fix the schema DDL.')
  }
  const extra: Record<string, unknown> = {}
  if (built !== null && built.skipped > 0) extra.schema_statements_skipped = built.skipped
  if (parsed !== null && parsed.length === 0) {
    // the lexer saw code that the parser reads as nothing: never "safe SQL"
    return blocked(MSG_PARSE, { constraint_id: 'sql.parse_error', dialect, reason: 'no statement' })
  }
  if (parsed !== null) return finish(input, analyzer, parsed, lexStatements.length, dbScan, ctx, extra)

  // the text did not parse (or has too many statements): judge what the tokens alone prove
  const kinds = lexStatements.map((s) => s.words[0] ?? '')
  if (lexStatements.length > 1) {
    analyzer.add('CRITICAL', 'stacked_queries', `Multiple statements detected (${lexStatements.length}, stacked queries).`,
      'Only single statements are allowed.')
  }
  for (const kind of new Set(kinds)) {
    if (ADMIN_KEYWORDS.has(kind)) {
      analyzer.add('CRITICAL', 'admin_command', `Administrative command '${kind.toUpperCase()}' blocked.`,
        'Administrative operations must be performed through secure channels.')
    } else if (DESTRUCTIVE_KEYWORDS.has(kind) && !input.allowDestructive) {
      analyzer.add('CRITICAL', 'destructive_command', `Destructive command '${kind.toUpperCase()}' blocked: only SELECT is allowed.`,
        'Use parameterized API endpoints for data modification.')
    }
  }
  for (const name of dbScan.calls) {
    const why = DANGEROUS_FUNCTIONS.get(name)
    if (why !== undefined) {
      analyzer.add('CRITICAL', 'dangerous_function', `Function '${name}' ${why}.`, 'Remove the call; it has no place in application queries.')
    }
  }
  commentIssues(query, dbScan.spans, analyzer)
  const malicious = analyzer.issues.some(isMaliciousIssue)
  if (!malicious) {
    return blocked(MSG_PARSE, {
      constraint_id: 'sql.parse_error',
      is_valid: false,
      malicious_classification: false,
      error_type: parseError,
      issues: analyzer.issues,
      dialect
    })
  }
  // statements whose kind (or number) alone is never admitted: proven unsafe without a full parse
  return conclude(input, analyzer, kinds, emptyMetrics(), { ...extra, parsed: false, parse_error: parseError })
}

function finish (
  input: Input, analyzer: Analyzer, parsed: unknown[], lexCount: number, dbScan: Scan, ctx: EngineContext, extra: Record<string, unknown>
): EngineResult {
  const count = Math.max(parsed.length, lexCount)
  if (count > 1) {
    analyzer.add('CRITICAL', 'stacked_queries', `Multiple statements detected (${count}, stacked queries).`, 'Only single statements are allowed.')
  }
  for (const stmt of parsed) analyzer.statementTop(stmt as Record<string, unknown>)
  abortIfNeeded(ctx)
  commentIssues(input.query, dbScan.spans, analyzer)
  const metrics = analyzer.metrics
  const cost = estimatedCost(metrics)
  const { limits } = input
  const over = (type: string, value: number, limit: number, what: string, advice: string): void => {
    if (value > limit) analyzer.add('CRITICAL', type, `Query has ${value} ${what} (limit: ${limit}).`, advice)
  }
  over('complexity_tables', metrics.table_count, limits.maxTables, 'table references', 'Reduce query scope or use materialized views.')
  over('complexity_joins', metrics.join_count, limits.maxJoins, 'joins (a join without a condition counts twice)', 'Break the query up or use denormalized tables.')
  // two row products in one statement multiply three tables: rows explode whatever the join limit
  over('complexity_cross_joins', metrics.cross_join_count, MAX_CROSS_JOINS, 'joins without a condition (row products)', 'Relate the tables with join conditions.')
  over('complexity_subqueries', metrics.subquery_depth, limits.maxSubqueryDepth, 'levels of subqueries', 'Flatten subqueries.')
  over('complexity_predicates', metrics.predicate_count, limits.maxPredicates, 'predicates', 'Simplify the conditions.')
  if (cost > MAX_COST) {
    analyzer.add('CRITICAL', 'complexity_cost', `Estimated query cost ${Math.round(cost)} exceeds limit ${MAX_COST}.`, 'Simplify the query or add pagination.')
  }
  if (metrics.column_count > WARN_COLUMNS) {
    analyzer.add('WARNING', 'complexity_columns', `Query references ${metrics.column_count} columns (limit: ${WARN_COLUMNS}).`, 'Select only necessary columns.')
  }
  if (metrics.condition_count > WARN_CONDITIONS) {
    analyzer.add('WARNING', 'complexity_conditions', `Query has ${metrics.condition_count} conditions (limit: ${WARN_CONDITIONS}).`, null)
  }
  return conclude(input, analyzer, analyzer.kinds, metrics, extra)
}

function conclude (input: Input, analyzer: Analyzer, kinds: string[], metrics: Metrics, extra: Record<string, unknown>): EngineResult {
  const issues = analyzer.issues
  const critical = issues.filter((i) => i.severity === 'CRITICAL')
  const criticalCount = critical.length
  const warningCount = issues.length - criticalCount
  const isValid = criticalCount === 0
  const malicious = critical.some(isMaliciousIssue)
  const schemaFailed = issues.some((i) => i.type === 'schema_parse_error')
  const mismatch = critical.some((i) => i.type.startsWith('schema_unknown'))
  const resource = critical.find((i) => RESOURCE_TYPES.has(i.type))
  const constraintId = schemaFailed
    ? 'sql.schema_parse_error'
    : malicious
      ? 'sql.malicious'
      : resource !== undefined
        ? `sql.${resource.type}`
        : mismatch
          ? 'sql.schema_mismatch'
          : isValid ? 'sql.sql_valid' : 'sql.complexity_limit_exceeded'
  const fields = {
    constraint_id: constraintId,
    is_valid: isValid,
    malicious_classification: malicious,
    issues,
    complexity: { ...metrics, estimated_cost: Math.round(estimatedCost(metrics) * 100) / 100 },
    critical_count: criticalCount,
    warning_count: warningCount,
    dialect: input.dialect,
    statement_kinds: kinds,
    limits: input.limits,
    engine: ENGINE,
    ...extra
  }
  if (isValid || (malicious && !schemaFailed)) {
    const evidence = {
      engine: ENGINE,
      query: input.query,
      dialect: input.dialect,
      schema: input.schema,
      statement_kinds: kinds,
      is_valid: isValid,
      issue_types: [...new Set(issues.map((i) => i.type))].sort(),
      allow_destructive: input.allowDestructive,
      limits: input.limits,
      ...(input.sensitiveColumns.length > 0 ? { sensitive_columns: [...input.sensitiveColumns].sort() } : {}),
      ...(input.allowFunctions.length > 0 ? { allow_functions: [...input.allowFunctions].sort() } : {})
    }
    return verified(isValid ? MSG_VALID : MSG_MALICIOUS, fields, evidence)
  }
  return blocked(MSG_ADMISSION, fields)
}

/**
 * The text the parser sees: every comment (as the lexer found it, outside literals) becomes one
 * space. Comments are whitespace to the database and node-sql-parser drops them anyway; blanking
 * them keeps the parser's cost independent of what they hold (node-sql-parser overflows its
 * stack on a long unterminated comment of `*`).
 */
function withoutComments (query: string, spans: readonly Span[]): string {
  let out = ''
  let from = 0
  for (const span of spans) {
    if (span.kind === 'quote') continue
    out += query.slice(from, span.start) + ' '
    from = span.end
  }
  return from === 0 ? query : out + query.slice(from)
}

function isMaliciousIssue (issue: SqlIssue): boolean {
  return issue.severity === 'CRITICAL' && MALICIOUS_TYPES.has(issue.type)
}

/**
 * Comments (found by the lexer, outside literals). Most are harmless (`-- list ids`, a WARNING as in
 * QWED). A comment is an injection when it cuts off the rest of a query (its text holds a quote or a
 * `;`, or it starts right after a string literal, as in `'admin'--`), splits tokens (`UNION/**\/SELECT`),
 * or is a MySQL executable comment (`/*! ... *\/`, which MySQL runs).
 */
function commentIssues (query: string, spans: readonly Span[], analyzer: Analyzer): void {
  let previous: Span | null = null
  for (const span of spans) {
    if (span.kind === 'quote') { previous = span; continue }
    const bodyStart = span.start + span.open.length
    const bodyEnd = span.kind === 'block_comment' && !span.unterminated ? span.end - 2 : span.end
    const body = query.slice(bodyStart, Math.max(bodyStart, bodyEnd))
    const before = query[span.start - 1]
    const after = query[span.end]
    let reason: string | null = null
    if (span.executable) {
      reason = 'a MySQL executable comment (/*! ... */) hides code that MySQL runs'
    } else if (body.includes(';') || CUT_OFF_QUOTE.test(body)) {
      reason = 'the comment holds the cut-off rest of a query (a closing quote or a statement separator)'
    } else if (previous !== null && previous.end === span.start) {
      reason = 'the comment starts right after a string literal: it cuts off the rest of the query'
    } else if (span.kind === 'line_comment' && /;[ \t]*$/.test(query.slice(Math.max(0, span.start - 64), span.start))) {
      reason = 'the statement is terminated and the rest of the line commented out'
    } else if (COMMENTED_CONDITION.test(body)) {
      reason = 'the comment holds a commented-out SQL condition'
    } else if (span.kind === 'block_comment' && before !== undefined && after !== undefined && /\w/.test(before) && /\w/.test(after)) {
      reason = 'an inline comment splits tokens (obfuscation)'
    } else if (span.unterminated) {
      reason = 'an unterminated comment hides the rest of the query'
    }
    if (reason !== null) {
      analyzer.add('CRITICAL', 'comment_injection', `SQL comment injection: ${reason}.`, 'Reject queries built by string concatenation.')
    } else {
      analyzer.add('WARNING', 'comment_detected', 'SQL comment detected. May indicate an injection attempt.', null)
    }
    previous = span
  }
}

/** QWED's cost estimate: tables² × 2·(joins+1) × 2^depth × ln(columns+1) × aggregates. */
function estimatedCost (m: Metrics): number {
  return Math.max(1, m.table_count) ** 2 *
    Math.max(1, m.join_count + 1) * 2 *
    2 ** m.subquery_depth *
    Math.log(Math.max(1, m.column_count) + 1) *
    Math.max(1, m.aggregate_count)
}

function emptyMetrics (): Metrics {
  return { table_count: 0, join_count: 0, cross_join_count: 0, subquery_depth: 0, column_count: 0, condition_count: 0, aggregate_count: 0, predicate_count: 0 }
}

function tooDeep (): DiagnosticResult {
  return blocked('SQL verification could not be completed because the query is nested too deeply.', {
    constraint_id: 'sql.too_deep',
    max_paren_depth: MAX_PAREN_DEPTH
  })
}

function abortIfNeeded (ctx: EngineContext): void {
  if (ctx.signal.aborted) throw new VerdictError(blocked('SQL verification did not finish in time.', { constraint_id: 'sql.aborted' }))
}
