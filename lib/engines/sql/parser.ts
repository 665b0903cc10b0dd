import { createRequire } from 'node:module'
import type { Parser as NodeSqlParser } from 'node-sql-parser'
import type { SqlDialect } from './rules.js'

const require = createRequire(import.meta.url)

/** node-sql-parser's names for our dialects. */
export const DATABASE: Readonly<Record<SqlDialect, string>> = {
  postgresql: 'PostgresQL',
  mysql: 'MySQL',
  sqlite: 'Sqlite'
}

// Each dialect has its own build (about 60 ms to load instead of about 250 ms for the bundle of
// every dialect). A build is loaded on first use and its Parser is kept for the process lifetime.
const parsers = new Map<SqlDialect, NodeSqlParser>()

function load (dialect: SqlDialect): NodeSqlParser {
  let mod: { Parser: new () => NodeSqlParser }
  switch (dialect) {
    case 'postgresql': mod = require('node-sql-parser/build/postgresql') as typeof mod; break
    case 'mysql': mod = require('node-sql-parser/build/mysql') as typeof mod; break
    case 'sqlite': mod = require('node-sql-parser/build/sqlite') as typeof mod; break
  }
  return new mod.Parser()
}

/** The shared Parser for a dialect. Throws only if node-sql-parser itself cannot be loaded. */
export function parserFor (dialect: SqlDialect): NodeSqlParser {
  let parser = parsers.get(dialect)
  if (parser === undefined) {
    parser = load(dialect)
    parsers.set(dialect, parser)
  }
  return parser
}

/**
 * Parses SQL text into a list of statement ASTs (empty statements dropped). Syntax errors and
 * RangeError (nesting too deep for the generated parser) are thrown to the caller.
 *
 * `exact`: parse the text as it is. node-sql-parser otherwise trims it with String.prototype.trim,
 * which also drops a BOM, no-break spaces and every other Unicode space at either end; the
 * databases do not (they read those characters as part of an identifier), and neither does our
 * lexer, so a query is parsed exactly.
 */
export function parseStatements (dialect: SqlDialect, sql: string, exact = false): unknown[] {
  const ast: unknown = parserFor(dialect).astify(sql, { database: DATABASE[dialect], trimQuery: !exact })
  const list = Array.isArray(ast) ? ast : [ast]
  return list.filter((s) => s !== null && typeof s === 'object' && !Array.isArray(s))
}
