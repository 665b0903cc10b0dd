import type { SqlDialect } from './rules.js'

/**
 * A linear scan of SQL text that knows only quotes, comments, parentheses and `;`.
 *
 * node-sql-parser drops comments, so they are found here. The scan runs in two modes:
 * - `db`: how the database itself reads the text (PostgreSQL and SQLite take `\` literally inside
 *   quotes, MySQL needs whitespace after `--`, ...);
 * - `parser`: how node-sql-parser 5.4 reads it (backslash escapes in every dialect, no `""` doubling
 *   in its PostgreSQL grammar, ...).
 * When the two disagree on where a literal or comment starts or ends, the AST does not describe
 * what the database would run, and the engine refuses to judge the query.
 */

export type LexMode = 'db' | 'parser'

export interface Span {
  kind: 'quote' | 'line_comment' | 'block_comment'
  start: number
  end: number
  /** The opening character(s): `'`, `"`, `` ` ``, `$tag$`, `--`, `#`, `/*`. */
  open: string
  /** A MySQL `/*! ... *\/` comment: MySQL runs its content. */
  executable: boolean
  /** The literal or comment runs to the end of the text. */
  unterminated: boolean
}

export interface Statement {
  start: number
  end: number
  /** The first few bare words, lower-cased (`['select']`, `['create', 'table', 'x']`). */
  words: string[]
  /** Holds something other than whitespace and comments. */
  code: boolean
}

export interface Scan {
  spans: Span[]
  statements: Statement[]
  /** Deepest parenthesis nesting outside literals and comments. */
  maxDepth: number
  /** Tokens outside comments (words, numbers, literals, punctuation): the parser's cost grows with them. */
  tokens: number
  /** Words directly followed by `(` (function calls), lower-cased, without duplicates. */
  calls: Set<string>
}

const WORD_START = /[A-Za-z_]/
const WORD_CHAR = /[A-Za-z0-9_$]/
const DIGIT = /[0-9]/
const NUMBER_CHAR = /[0-9.eE]/
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y
const MAX_WORDS = 4
const MAX_CALLS = 256

export function scanSql (text: string, dialect: SqlDialect, mode: LexMode): Scan {
  const n = text.length
  const spans: Span[] = []
  const statements: Statement[] = []
  let current: Statement = { start: 0, end: n, words: [], code: false }
  let depth = 0
  let maxDepth = 0
  let tokens = 0
  const calls = new Set<string>()
  let i = 0

  const quote = (open: string, backslash: boolean, doubled: boolean): void => {
    let j = i + 1
    let end = -1
    while (j < n) {
      const ch = text[j]
      if (backslash && ch === '\\') { j += 2; continue }
      if (ch === open) {
        if (doubled && text[j + 1] === open) { j += 2; continue }
        end = j + 1
        break
      }
      j++
    }
    spans.push({ kind: 'quote', start: i, end: end === -1 ? n : end, open, executable: false, unterminated: end === -1 })
    current.code = true
    tokens++
    i = end === -1 ? n : end
  }

  while (i < n) {
    const c = text[i] as string
    const next = text[i + 1]
    if (c === '\'') {
      quote(c, mode === 'parser' || dialect === 'mysql', true)
    } else if (c === '"') {
      quote(c, mode === 'parser' || dialect === 'mysql', mode === 'db' || dialect !== 'postgresql')
    } else if (c === '`' && (mode === 'parser' || dialect !== 'postgresql')) {
      quote(c, false, mode === 'db' || dialect === 'mysql')
    } else if ((c === '-' && next === '-' && (mode === 'parser' || dialect !== 'mysql' || isMysqlCommentGap(text[i + 2]))) ||
      (c === '#' && (dialect === 'mysql' || (mode === 'parser' && dialect === 'sqlite')))) {
      // a line comment ends at \n; PostgreSQL and node-sql-parser also end it at \r
      const crEnds = mode === 'parser' || dialect === 'postgresql'
      // (stopping before the \r of a \r\n ending is the same line for both)
      const endsLine = (j: number): boolean => text[j] === '\n' || (text[j] === '\r' && (crEnds || text[j + 1] === '\n'))
      let j = i
      while (j < n && !endsLine(j)) j++
      spans.push({ kind: 'line_comment', start: i, end: j, open: c === '#' ? '#' : '--', executable: false, unterminated: false })
      i = j
    } else if (c === '/' && next === '*') {
      const nested = dialect === 'postgresql'
      let level = 1
      let j = i + 2
      while (j < n && level > 0) {
        if (text[j] === '*' && text[j + 1] === '/') { level--; j += 2; continue }
        if (nested && text[j] === '/' && text[j + 1] === '*') { level++; j += 2; continue }
        j++
      }
      spans.push({ kind: 'block_comment', start: i, end: j, open: '/*', executable: text[i + 2] === '!', unterminated: level > 0 })
      i = j
    } else if (c === '$' && dialect === 'postgresql' && (i === 0 || !WORD_CHAR.test(text[i - 1] as string))) {
      DOLLAR_TAG.lastIndex = i
      const m = DOLLAR_TAG.exec(text)
      if (m === null) { i++; continue }
      const tag = m[0]
      const close = text.indexOf(tag, i + tag.length)
      const end = close === -1 ? n : close + tag.length
      spans.push({ kind: 'quote', start: i, end, open: tag, executable: false, unterminated: close === -1 })
      current.code = true
      tokens++
      i = end
    } else if (c === '(') {
      current.code = true
      tokens++
      depth++
      if (depth > maxDepth) maxDepth = depth
      i++
    } else if (c === ')') {
      if (depth > 0) depth--
      current.code = true
      tokens++
      i++
    } else if (c === ';') {
      current.end = i
      statements.push(current)
      current = { start: i + 1, end: n, words: [], code: false }
      tokens++
      i++
    } else if (WORD_START.test(c)) {
      let j = i + 1
      while (j < n && WORD_CHAR.test(text[j] as string)) j++
      const word = text.slice(i, j).toLowerCase()
      if (current.words.length < MAX_WORDS) current.words.push(word)
      let k = j
      while (k < n && (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r')) k++
      if (text[k] === '(' && calls.size < MAX_CALLS) calls.add(word)
      current.code = true
      tokens++
      i = j
    } else if (DIGIT.test(c)) {
      let j = i + 1
      while (j < n && NUMBER_CHAR.test(text[j] as string)) j++
      current.code = true
      tokens++
      i = j
    } else {
      if (c.charCodeAt(0) > 0x20) {
        current.code = true
        tokens++
      }
      i++
    }
  }
  statements.push(current)
  return { spans, statements, maxDepth, tokens, calls }
}

// MySQL starts a `--` comment only when a space or control character (or the end) follows.
function isMysqlCommentGap (ch: string | undefined): boolean {
  return ch === undefined || ch.charCodeAt(0) <= 0x20
}

/** True when both scans put every literal and comment at the same place. */
export function sameSpans (a: Scan, b: Scan): boolean {
  if (a.spans.length !== b.spans.length) return false
  for (let k = 0; k < a.spans.length; k++) {
    const x = a.spans[k] as Span
    const y = b.spans[k] as Span
    if (x.kind !== y.kind || x.start !== y.start || x.end !== y.end) return false
  }
  return true
}

/** Statements with something other than whitespace and comments in them. */
export function nonEmptyStatements (scan: Scan): Statement[] {
  return scan.statements.filter((s) => s.code)
}
