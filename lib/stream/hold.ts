// Where a stream's text may flow and where it must wait: the text is cut into units (a complete line
// outside code fences, or a whole fenced block), and within an incomplete line only the part that
// cannot belong to a claim is let through. Synchronous and framework-free; offsets count UTF-16 code
// units of the whole stream's text.

/**
 * How much is held back:
 * `claims`: an incomplete line flows up to the last whitespace before the first character that could
 * start a claim; a fenced block is held until it closes. `lines`: nothing flows before its line (or
 * block) is complete (sanitizing needs whole units). `none`: everything flows at once (shadow mode);
 * units are still reported for verification behind the text.
 */
export type HoldMode = 'claims' | 'lines' | 'none'

export type HoldAction =
  /** The text up to `end` may leave as it is. */
  | { kind: 'release', start: number, end: number, text: string }
  /** A complete unit, `start`..`end`: its claims decide whether the part not yet released may leave. */
  | { kind: 'unit', start: number, end: number, text: string }

// Characters that can begin an arithmetic statement or a figure: digits, currency and math symbols,
// an opening parenthesis and the operators that are not math symbols in Unicode.
const CLAIM_START = /[\p{Nd}\p{Sc}\p{Sm}(\-*/^%√π]/u
const WHITESPACE = /\s/
// CommonMark fences: up to three spaces, then three or more backticks or tildes; an info string of a
// backtick fence has no backtick. The run is taken whole (the lookaheads): one way to split it, so
// a failed match is linear, not quadratic, in the length of the run.
const FENCE_OPEN = /^ {0,3}(`{3,}(?!`)|~{3,}(?!~))([^\n]*)$/
const FENCE_PREFIX = /^ {0,3}(?:`{0,2}|~{0,2})$/
const FENCE_START = /^ {0,3}(?:`{3}|~{3})/

/**
 * How much of a line's already released text a unit keeps before its held part: a claim never starts
 * in released text, so a very long line is not kept whole, only this much context before the claim.
 */
export const LINE_CONTEXT = 1024

interface Fence { char: string, length: number, start: number, scanned: number }

export class HoldScanner {
  private buffer = ''
  /** Offset of buffer[0] in the whole text. */
  private base = 0
  private lineStart = 0
  /** Everything before this offset was handed out in an action. */
  private planned = 0
  private fence: Fence | null = null
  /** No newline before this offset in the current line or fence line: each character is searched once. */
  private searchFrom = 0
  // The text of the last push: per-push work reads it, not the buffer, which V8 would otherwise
  // flatten (copy) on every small push.
  private fresh = ''
  private freshAt = 0
  // The incomplete line, scanned once per character: the last whitespace before the first claim character.
  private lineScanned = 0
  private claimAt: number | null = null
  private lastSpace = -1

  constructor (private mode: HoldMode) {}

  /** Total text received so far. */
  get end (): number {
    return this.base + this.buffer.length
  }

  /** From now on, hold in this mode (a fail-open hold limit turns holding off). */
  setMode (mode: HoldMode): void {
    this.mode = mode
  }

  push (text: string): HoldAction[] {
    this.buffer += text
    this.fresh = text
    this.freshAt = this.end - text.length
    const actions: HoldAction[] = []
    this.scan(actions)
    this.compact()
    return actions
  }

  /** The end of the text (or of one answer in it, SSE `[DONE]`): what is left is a unit, an unclosed fence included. */
  finish (): HoldAction[] {
    const actions: HoldAction[] = []
    this.scan(actions)
    const start = this.fence?.start ?? this.lineStart
    if (start < this.end) this.unit(actions, start, this.end)
    this.fence = null
    this.resetLine(this.end)
    this.compact()
    return actions
  }

  private scan (actions: HoldAction[]): void {
    for (;;) {
      if (this.fence !== null) {
        const fence = this.fence
        const newline = this.newline(fence.scanned)
        if (newline < 0) break
        const lineEnd = this.base + newline + 1
        const line = this.buffer.slice(fence.scanned - this.base, newline)
        fence.scanned = lineEnd
        if (closesFence(line, fence)) {
          this.fence = null
          this.unit(actions, fence.start, lineEnd)
          this.resetLine(lineEnd)
        }
        continue
      }
      const newline = this.newline(this.lineStart)
      if (newline < 0) break
      const lineEnd = this.base + newline + 1
      const line = this.buffer.slice(this.lineStart - this.base, newline)
      const opening = fenceOpening(line)
      if (opening !== null) {
        this.fence = { ...opening, start: this.lineStart, scanned: lineEnd }
        this.resetLine(lineEnd)
        continue
      }
      this.unit(actions, this.lineStart, lineEnd)
      this.resetLine(lineEnd)
    }
    const cut = this.safeEnd()
    if (cut > this.planned) {
      actions.push({ kind: 'release', start: this.planned, end: cut, text: this.slice(this.planned, cut) })
      this.planned = cut
    }
  }

  /** How far the text may flow before its unit is complete. */
  private safeEnd (): number {
    if (this.mode === 'none') return this.end
    if (this.mode === 'lines' || this.fence !== null) return this.planned
    // A line whose start was compacted away had text released already: it is no fence.
    if (this.lineStart >= this.base) {
      let head = ''
      for (let i = this.lineStart; i < Math.min(this.end, this.lineStart + 7); i++) head += this.charAt(i)
      if (FENCE_PREFIX.test(head) || FENCE_START.test(head)) return this.planned
    }
    // The new part of the line, read once: the first character that could start a claim (one
    // regex search, by code point, so an astral digit such as U+1D7CF counts), and the last
    // whitespace before it. A high surrogate at the end waits for its pair in the next push.
    const from = Math.max(this.lineScanned, this.lineStart)
    let scanned = this.end
    if (this.claimAt === null && from < this.end) {
      const text = this.slice(from, this.end)
      const tail = text.charCodeAt(text.length - 1)
      const whole = tail >= 0xd800 && tail <= 0xdbff ? text.length - 1 : text.length
      scanned = from + whole
      const claim = text.slice(0, whole).search(CLAIM_START)
      const space = lastWhitespace(text, claim < 0 ? whole : claim)
      if (space >= 0) this.lastSpace = from + space
      if (claim >= 0) this.claimAt = from + claim
    }
    this.lineScanned = scanned
    return Math.max(this.planned, this.lastSpace + 1)
  }

  private charAt (i: number): string {
    return (i >= this.freshAt ? this.fresh[i - this.freshAt] : this.buffer[i - this.base]) as string
  }

  /** Index in the buffer of the next newline at or after `from`, or -1 (remembering how far it looked). */
  private newline (from: number): number {
    const start = Math.max(from, this.searchFrom)
    if (start >= this.freshAt) {
      const inFresh = this.fresh.indexOf('\n', start - this.freshAt)
      this.searchFrom = inFresh < 0 ? this.end : this.freshAt + inFresh + 1
      return inFresh < 0 ? -1 : this.freshAt + inFresh - this.base
    }
    const index = this.buffer.indexOf('\n', start - this.base)
    this.searchFrom = index < 0 ? this.end : this.base + index + 1
    return index
  }

  private unit (actions: HoldAction[], start: number, end: number): void {
    const from = Math.max(start, this.base)
    actions.push({ kind: 'unit', start: from, end, text: this.slice(from, end) })
    this.planned = end
  }

  private resetLine (start: number): void {
    this.lineStart = start
    this.lineScanned = start
    this.claimAt = null
    this.lastSpace = start - 1
  }

  private slice (start: number, end: number): string {
    if (start >= this.freshAt) return this.fresh.slice(start - this.freshAt, end - this.freshAt)
    return this.buffer.slice(start - this.base, end - this.base)
  }

  /** Keeps only what a later unit still needs: the open fence, or the current line's held part and its context. */
  private compact (): void {
    const keep = this.fence !== null ? Math.min(this.planned, this.fence.start) : Math.max(this.lineStart, this.planned - LINE_CONTEXT)
    if (keep - this.base > 256) {
      this.buffer = this.buffer.slice(keep - this.base)
      this.base = keep
    }
  }
}

/** The index of the last whitespace (as /\s/ reads it) in `text` before `end`, or -1. */
function lastWhitespace (text: string, end: number): number {
  for (let i = end - 1; i >= 0; i--) {
    const code = text.charCodeAt(i)
    if (code < 128 ? code === 32 || (code >= 9 && code <= 13) : WHITESPACE.test(text[i] as string)) return i
  }
  return -1
}

function fenceOpening (rawLine: string): { char: string, length: number } | null {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
  const match = FENCE_OPEN.exec(line)
  if (match === null) return null
  const marks = match[1] as string
  if (marks[0] === '`' && (match[2] as string).includes('`')) return null
  return { char: marks[0] as string, length: marks.length }
}

function closesFence (rawLine: string, fence: Fence): boolean {
  const line = rawLine.trimEnd()
  const indent = line.length - line.trimStart().length
  if (indent > 3) return false
  const marks = line.slice(indent)
  return marks.length >= fence.length && [...marks].every((c) => c === fence.char)
}
