const REDACTED = '[REDACTED]'

/** Replaces every occurrence of each secret in every string of `value` (deep copy). */
export function redactSecrets<T> (value: T, secrets: readonly string[]): T {
  const active = secrets.filter((s) => typeof s === 'string' && s.length > 0)
  if (active.length === 0) return value
  return scrub(value, active, 0) as T
}

function scrub (value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') {
    let out = value
    for (const secret of secrets) out = out.split(secret).join(REDACTED)
    return out
  }
  if (value === null || typeof value !== 'object') return value
  // Deeper than any record we write: drop it rather than risk an unscrubbed secret.
  if (depth > 50) return '[TRUNCATED]'
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, secrets, depth + 1)
  return out
}

// ------------------------------------------------------------------ the normalised view

/**
 * A view of a text in which formatting that hides a secret or PII from an exact pattern is undone,
 * with the offsets back into the original, so that what is found in the view is masked in the
 * original text:
 *   - HTML character references decoded (`&nbsp;` `&#8209;` `&#x2013;` `&thinsp;` `&amp;` ...)
 *   - zero-width and invisible characters removed (U+200B-U+200D, U+2060, U+FEFF, soft hyphen, ...)
 *   - every decimal digit (fullwidth, Arabic-Indic, mathematical, ...) as its ASCII digit
 *   - every dash (hyphens, non-breaking hyphen, figure dash, en and em dash, minus sign) as `-`
 *   - every space separator (no-break, thin, narrow no-break, figure, ideographic, ...) as a space
 *   - spaces around a `-`, `.` or `/` between two digits removed (`4111 - 1111` as `4111-1111`)
 * View character i came from original characters [start[i], end[i]).
 */
export interface NormalizedView {
  text: string
  start: ArrayLike<number>
  end: ArrayLike<number>
  /** The view is the original text (nothing was normalised): offsets are identities. */
  identity: boolean
}

const INVISIBLE = new Set([0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad, 0x180e, 0x2061, 0x2062, 0x2063, 0x2064, 0x034f])
const NAMED_REFERENCES: ReadonlyMap<string, string> = new Map([
  ['nbsp', '\u00a0'], ['ensp', '\u2002'], ['emsp', '\u2003'], ['thinsp', '\u2009'], ['hairsp', '\u200a'], ['numsp', '\u2007'],
  ['puncsp', '\u2008'], ['ndash', '\u2013'], ['mdash', '\u2014'], ['minus', '\u2212'], ['hyphen', '\u2010'], ['dash', '\u2010'],
  ['shy', '\u00ad'], ['zwsp', '\u200b'], ['zwnj', '\u200c'], ['zwj', '\u200d'], ['NoBreak', '\u2060'], ['amp', '&'], ['lt', '<'],
  ['gt', '>'], ['quot', '"'], ['apos', "'"], ['sol', '/'], ['period', '.'], ['colon', ':'], ['commat', '@'], ['plus', '+'],
  ['lowbar', '_'], ['equals', '='], ['num', '#']
])
const REFERENCE = /&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]{2,8}));?/y
const DASH = /\p{Pd}|\u2212/u
const SPACE = /\p{Zs}/u
const DIGIT = /\p{Nd}/u
const NEEDS_VIEW = /[^\x20-\x7e\t\r\n]|&[#A-Za-z]|[0-9] {1,3}[-./]|[-./] {1,3}[0-9]/

const UTF16 = new TextDecoder('utf-16le')

/** The normalised view of `text` (the identity view, cheaply, when nothing needs normalising). */
export function normalizedView (text: string): NormalizedView {
  if (!NEEDS_VIEW.test(text)) return { text, start: [], end: [], identity: true }
  const n = text.length
  // one view code unit per original code unit at most: an entity, a removed character or a
  // supplementary digit only shrink it
  const codes = new Uint16Array(n)
  const from = new Int32Array(n)
  const to = new Int32Array(n)
  let v = 0
  let i = 0
  let changed = false
  const emit = (code: number, s: number, e: number): void => {
    codes[v] = code
    from[v] = s
    to[v] = e
    v++
  }
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c < 0x80 && c !== 0x26) {
      codes[v] = c
      from[v] = i
      to[v] = i + 1
      v++
      i++
      continue
    }
    let ch: string
    let next: number
    if (c === 0x26) {
      REFERENCE.lastIndex = i
      const m = REFERENCE.exec(text)
      const decoded = m === null ? null : decodeReference(m)
      if (m === null || decoded === null) {
        emit(c, i, i + 1)
        i++
        continue
      }
      ch = decoded
      next = i + m[0].length
    } else {
      const cp = text.codePointAt(i) as number
      ch = String.fromCodePoint(cp)
      next = i + ch.length
    }
    changed = true
    const cp = ch.codePointAt(0) as number
    if (!INVISIBLE.has(cp)) {
      const mapped = cp < 0x80 ? ch : DASH.test(ch) ? '-' : SPACE.test(ch) ? ' ' : DIGIT.test(ch) ? String(digitValue(cp)) : ch
      for (let k = 0; k < mapped.length; k++) emit(mapped.charCodeAt(k), i, next)
    }
    i = next
  }
  // spaces around a separator between digits: "4111 - 1111", "123 . 45"
  const drop = new Uint8Array(v)
  let dropped = false
  for (let k = 0; k < v; k++) {
    const c = codes[k] as number
    if (c !== 0x2d && c !== 0x2e && c !== 0x2f) continue
    let l = k - 1
    while (l >= 0 && codes[l] === 0x20 && k - l <= 3) l--
    let r = k + 1
    while (r < v && codes[r] === 0x20 && r - k <= 3) r++
    if ((l === k - 1 && r === k + 1) || l < 0 || r >= v || !isDigitCode(codes[l] as number) || !isDigitCode(codes[r] as number)) continue
    for (let x = l + 1; x < r; x++) if (x !== k) drop[x] = 1
    dropped = true
  }
  if (!changed && !dropped) return { text, start: [], end: [], identity: true }
  let w = 0
  for (let k = 0; k < v; k++) {
    if (drop[k] === 1) continue
    codes[w] = codes[k] as number
    from[w] = from[k] as number
    to[w] = to[k] as number
    w++
  }
  return { text: UTF16.decode(codes.subarray(0, w)), start: from.subarray(0, w), end: to.subarray(0, w), identity: false }
}

function isDigitCode (c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

function decodeReference (m: RegExpExecArray): string | null {
  const code = m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? parseInt(m[2], 16) : null
  if (code !== null) return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : null
  if (!m[0].endsWith(';')) return null
  return NAMED_REFERENCES.get(m[3] as string) ?? null
}

/** The value of a decimal digit of any script: its offset in its run of digits (runs are 10, or 50 for the mathematical digits). */
function digitValue (cp: number): number {
  let base = cp
  while (base > cp - 50 && DIGIT.test(String.fromCodePoint(base - 1))) base--
  return (cp - base) % 10
}

/** A range of the original text to replace with a mask. */
export interface MaskSpan { start: number, end: number, mask: string }

/** Maps a [start, end) range of the view onto the original text. */
export function toOriginal (view: NormalizedView, start: number, end: number): { start: number, end: number } {
  if (view.identity) return { start, end }
  return { start: view.start[start] as number, end: view.end[end - 1] as number }
}

/** Replaces the spans (sorted or not; overlapping ones merged into the first) in `text`. */
export function applySpans (text: string, spans: readonly MaskSpan[]): string {
  if (spans.length === 0) return text
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end)
  let out = ''
  let cursor = 0
  for (const span of sorted) {
    if (span.start < cursor) continue
    out += text.slice(cursor, span.start) + span.mask
    cursor = span.end
  }
  return out + text.slice(cursor)
}
