import { scanSql, type Span } from './lexer.js'
import type { SqlDialect } from './rules.js'

/**
 * Standard SQL that LLMs write and node-sql-parser 5.4 does not read, rewritten to what it means
 * before parsing (PostgreSQL only: MySQL and SQLite reject these clauses themselves, so they stay
 * a parse error there):
 *   OFFSET n ROW | ROWS                       -> OFFSET n
 *   FETCH FIRST | NEXT [n] ROW | ROWS ONLY    -> LIMIT n (1 when n is left out)
 * Only these exact token sequences, outside literals and comments, with n a number or a bound
 * parameter; `FETCH ... WITH TIES` and anything else stays as written (a parse error). The
 * rewrite pads with spaces, so every other character keeps its offset.
 */

const OFFSET_ROWS = /\boffset(\s+)(\d{1,18}|\$\d{1,5}|\?)(\s+)rows?\b/gi
const FETCH_FIRST = /\bfetch(\s+)(?:first|next)(\s+)(?:(\d{1,18}|\$\d{1,5}|\?)(\s+))?rows?(\s+)only\b/gi

export function standardClauses (text: string, dialect: SqlDialect): string {
  if (dialect !== 'postgresql' || !/\b(?:offset|fetch)\b/i.test(text)) return text
  const masked = mask(text, scanSql(text, dialect, 'db').spans)
  const edits: Array<{ start: number, end: number, with: string }> = []
  for (const m of masked.matchAll(OFFSET_ROWS)) {
    edits.push({ start: m.index, end: m.index + m[0].length, with: pad(`OFFSET ${m[2] as string}`, m[0].length) })
  }
  for (const m of masked.matchAll(FETCH_FIRST)) {
    edits.push({ start: m.index, end: m.index + m[0].length, with: pad(`LIMIT ${m[3] ?? '1'}`, m[0].length) })
  }
  if (edits.length === 0) return text
  edits.sort((a, b) => a.start - b.start)
  let out = ''
  let from = 0
  for (const e of edits) {
    out += text.slice(from, e.start) + e.with
    from = e.end
  }
  return out + text.slice(from)
}

/** The text with every literal and comment blanked (same length): keywords inside them are not clauses. */
function mask (text: string, spans: readonly Span[]): string {
  let out = ''
  let from = 0
  for (const span of spans) {
    out += text.slice(from, span.start) + ' '.repeat(span.end - span.start)
    from = span.end
  }
  return out + text.slice(from)
}

function pad (replacement: string, length: number): string {
  return replacement.length >= length ? replacement : replacement + ' '.repeat(length - replacement.length)
}

/**
 * PostgreSQL names written double-quoted with an upper-case letter (`"Orders"`): case-sensitive
 * names, distinct from `orders`. Empty for the other dialects, whose table names compare without case.
 */
export function quotedNames (text: string, spans: readonly Span[], dialect: SqlDialect): Set<string> {
  const out = new Set<string>()
  if (dialect !== 'postgresql') return out
  for (const span of spans) {
    if (span.kind !== 'quote' || span.open !== '"' || span.unterminated) continue
    const name = text.slice(span.start + 1, span.end - 1).replace(/""/g, '"')
    if (name !== name.toLowerCase()) out.add(name)
  }
  return out
}
