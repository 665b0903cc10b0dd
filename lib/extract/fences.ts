/**
 * Fenced code blocks (CommonMark): recognising an opening and a closing fence line, and turning a
 * block's content into a claim. Fences are line-delimited, so a caller that receives text line by
 * line (a stream) can use these directly:
 *   const open = openingFence(line)           // on each line outside a block
 *   if (open !== null) ...collect lines until isClosingFence(line, open)
 *   fenceClaim(open.info, content, options)   // on the closing line (or at the end of the text)
 * Departures from CommonMark, both on the side of reading a block: an opening fence may be indented
 * up to 8 spaces (LLMs indent fences inside list items, whose containers are not tracked here), and
 * content lines lose up to that many leading spaces; fences inside block quotes are not recognised.
 */
import type { Claim } from '../../types/claims.js'
import type { ExtractSkipReason } from '../../types/extract.js'
import type { ResolvedExtractOptions } from './options.js'

/** An opening fence: its character, its length, its indentation and the block's language. */
export interface OpeningFence {
  char: '`' | '~'
  length: number
  indent: number
  /** The first word of the info string, lower-cased ('' when there is none). */
  info: string
}

const MAX_FENCE_INDENT = 8

/** Leading spaces of a line (tabs count as one: a tab-indented fence is rare and read the same). */
function indentOf (line: string): number {
  let i = 0
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++
  return i
}

/** The opening fence a line is, or null: 3+ backticks or tildes, then an info string. */
export function openingFence (line: string): OpeningFence | null {
  const indent = indentOf(line)
  if (indent > MAX_FENCE_INDENT) return null
  const char = line[indent]
  if (char !== '`' && char !== '~') return null
  let end = indent
  while (line[end] === char) end++
  const length = end - indent
  if (length < 3) return null
  const rest = line.slice(end)
  // CommonMark: a backtick fence's info string may not contain a backtick (that is inline code)
  if (char === '`' && rest.includes('`')) return null
  return { char, length, indent, info: infoWord(rest) }
}

/** `python title="x.py"` -> python; `{.sql}` -> sql. */
function infoWord (rest: string): string {
  let i = 0
  while (i < rest.length && (rest[i] === ' ' || rest[i] === '\t' || rest[i] === '{' || rest[i] === '.')) i++
  let j = i
  while (j < rest.length && rest[j] !== ' ' && rest[j] !== '\t' && rest[j] !== '}' && rest[j] !== ',') j++
  return rest.slice(i, j).toLowerCase()
}

/** True when the line closes the block: the same character, at least as many, nothing after but spaces. */
export function isClosingFence (line: string, open: OpeningFence): boolean {
  const indent = indentOf(line)
  if (indent > MAX_FENCE_INDENT) return false
  let end = indent
  while (line[end] === open.char) end++
  if (end - indent < open.length) return false
  for (let i = end; i < line.length; i++) {
    if (line[i] !== ' ' && line[i] !== '\t') return false
  }
  return true
}

/** A content line with the opening fence's indentation removed (at most that many leading spaces). */
export function dedentLine (line: string, open: OpeningFence): string {
  let i = 0
  while (i < open.indent && i < line.length && line[i] === ' ') i++
  return line.slice(i)
}

type BlockKind = { kind: 'code', language: 'python' | 'javascript' | 'typescript' } | { kind: 'sql', dialect?: 'postgresql' | 'mysql' | 'sqlite' } | { kind: 'json' }

const LANGUAGES: ReadonlyMap<string, BlockKind> = new Map<string, BlockKind>([
  ['python', { kind: 'code', language: 'python' }],
  ['py', { kind: 'code', language: 'python' }],
  ['python3', { kind: 'code', language: 'python' }],
  ['py3', { kind: 'code', language: 'python' }],
  ['javascript', { kind: 'code', language: 'javascript' }],
  ['js', { kind: 'code', language: 'javascript' }],
  ['mjs', { kind: 'code', language: 'javascript' }],
  ['cjs', { kind: 'code', language: 'javascript' }],
  ['jsx', { kind: 'code', language: 'javascript' }],
  ['node', { kind: 'code', language: 'javascript' }],
  ['typescript', { kind: 'code', language: 'typescript' }],
  ['ts', { kind: 'code', language: 'typescript' }],
  ['mts', { kind: 'code', language: 'typescript' }],
  ['cts', { kind: 'code', language: 'typescript' }],
  ['tsx', { kind: 'code', language: 'typescript' }],
  ['sql', { kind: 'sql' }],
  ['postgresql', { kind: 'sql', dialect: 'postgresql' }],
  ['postgres', { kind: 'sql', dialect: 'postgresql' }],
  ['mysql', { kind: 'sql', dialect: 'mysql' }],
  ['sqlite', { kind: 'sql', dialect: 'sqlite' }],
  ['json', { kind: 'json' }]
])

/** True when blocks with this info word are read at all (the content of other blocks is not kept). */
export function isCheckedLanguage (info: string): boolean {
  return LANGUAGES.has(info)
}

function isBlank (text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return false
  }
  return true
}

/** A Python interactive session (`>>> x = 1`) is a transcript, not a program. */
function isReplTranscript (code: string): boolean {
  let i = 0
  while (i < code.length && (code[i] === ' ' || code[i] === '\t' || code[i] === '\n' || code[i] === '\r')) i++
  return code.startsWith('>>>', i)
}

/**
 * The claim a block's content makes, or why it makes none. json: a schema claim only with
 * `jsonSchema`; text that is not JSON still becomes a schema claim, with no data (the schema
 * engine BLOCKS it as schema.invalid_data): a broken JSON answer is a failure, not a skip.
 */
export function fenceClaim (info: string, content: string, options: ResolvedExtractOptions): Claim | { skip: ExtractSkipReason } {
  const kind = LANGUAGES.get(info)
  if (kind === undefined) return { skip: 'fence_unknown_language' }
  if (isBlank(content)) return { skip: 'fence_unchecked' }
  switch (kind.kind) {
    case 'code':
      if (kind.language === 'python' && isReplTranscript(content)) return { skip: 'fence_unchecked' }
      return { type: 'code', code: content, language: kind.language }
    case 'sql': {
      const claim: Claim = { type: 'sql', query: content }
      if (options.sql !== undefined) claim.schema = options.sql.schema
      const dialect = options.sql?.dialect ?? kind.dialect
      if (dialect !== undefined) claim.dialect = dialect
      return claim
    }
    case 'json': {
      if (options.jsonSchema === undefined) return { skip: 'fence_unchecked' }
      let data: unknown
      try {
        data = JSON.parse(content)
      } catch {
        data = undefined
      }
      return { type: 'schema', data, schema: options.jsonSchema }
    }
  }
}
