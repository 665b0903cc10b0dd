/**
 * Text pre-processing before mathjs sees anything: length cap first, then a small map of math
 * symbols to ASCII, an ASCII-only rule, `==` read as `=`, relational operators, percentages, `**`,
 * and the ambiguity rules: QWED's `a/b(c)`, a percentage added to or taken from a plain number
 * (`100 - 10%`: 99.9, or 90 as a calculator reads it?) and `3!!` (double factorial, or (3!)!?).
 * An ambiguous text is BLOCKED (math.ambiguous), never read one way.
 */
import { LIMITS, MathFailure } from './limits.js'

/** A few symbols LLMs print for arithmetic; anything else outside printable ASCII is refused. */
const SYMBOLS: ReadonlyMap<string, string> = new Map([
  ['\u00d7', '*'], // ×
  ['\u00f7', '/'], // ÷
  ['\u2212', '-'], // − minus sign
  ['\u00b7', '*'], // · middle dot
  ['\u22c5', '*'], // ⋅ dot operator
  ['\u2217', '*'], // ∗ asterisk operator
  ['\u03c0', 'pi'], // π
  ['\u00b2', '^2'], // ²
  ['\u00b3', '^3'], // ³
  ['\t', ' '],
  ['\n', ' '],
  ['\r', ' ']
])

// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter can split a run of digits between `\d+` and `\d*`
// in many ways, so a long run not followed by `%` (or `(`) backtracks quadratically.
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`
// `15% of 200` -> `(15/100)*200`; the number must touch the `%`.
const PERCENT_OF = new RegExp(String.raw`(?<![\w.])(${NUMBER})%\s*of\b\s*`, 'g')
// `15%` not followed by another operand (so `15 % 4` and `15%4` stay modulo-like and are refused).
const PERCENT = new RegExp(String.raw`(?<![\w.])(${NUMBER})%(?!\s*[\w.(])`, 'g')
// QWED's rule: after removing spaces, `/` then a number then `(` is ambiguous (`1/2(3+1)`).
const AMBIGUOUS = new RegExp(String.raw`/${NUMBER}\(`)

export interface Normalized {
  /** The expression as it will be parsed (ASCII, `^` for powers, percentages rewritten). */
  text: string
}

function fail (reason: string, message: string, detail: Record<string, unknown> = {}): never {
  throw new MathFailure(reason, message, detail)
}

export function normalizeExpression (raw: unknown): Normalized {
  if (typeof raw !== 'string') fail('invalid_claim', 'The math claim needs an expression string', { field: 'expression' })
  if (raw.length > LIMITS.maxLength) {
    fail('too_long', 'Expression is too long to verify', { max_length: LIMITS.maxLength, length: raw.length })
  }
  let text = ''
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string
    const code = ch.charCodeAt(0)
    if (code >= 0x20 && code <= 0x7e) {
      text += ch
      continue
    }
    const mapped = SYMBOLS.get(ch)
    if (mapped === undefined) {
      fail('non_ascii', 'Expression contains characters that are not allowed', {
        position: i,
        code_point: 'U+' + (raw.codePointAt(i) ?? code).toString(16).toUpperCase().padStart(4, '0')
      })
    }
    text += mapped
  }
  text = text.trim()
  if (text === '') fail('empty_expression', 'Expression is empty')

  // `a == b` is written for `a = b` (finance answers, code-minded writers); `===`, `<=`, `!=` stay refused
  text = equalsAsEquality(text)
  // relations are not claims of equality; `#` starts a mathjs comment that would hide text
  const relational = /==|!=|<|>|#/.exec(text)
  if (relational !== null) {
    fail('disallowed_construct', 'Expression contains a construct that is not allowed', { construct: relational[0] })
  }

  if (AMBIGUOUS.test(text.replace(/\s+/g, ''))) {
    fail('ambiguous', 'Expression may be ambiguous due to implicit multiplication after division', {
      warning: 'ambiguous',
      note: 'a/b(c) can be read as (a/b)*c or a/(b*c)'
    })
  }

  const compact = text.replace(/\s+/g, '')
  if (compact.includes('!!')) {
    fail('ambiguous', 'Expression may be ambiguous: a repeated factorial', {
      warning: 'ambiguous',
      note: 'n!! can be read as the double factorial or as (n!)!'
    })
  }
  if (percentAddedToNumber(compact)) {
    fail('ambiguous', 'Expression may be ambiguous: a percentage added to or subtracted from a number', {
      warning: 'ambiguous',
      note: 'a - p% can be read as a - p/100 or as a * (1 - p/100); write a * (1 - p/100) or p% of a'
    })
  }

  text = text.replace(PERCENT_OF, '($1/100)*').replace(PERCENT, '($1/100)')
  if (text.includes('%')) {
    fail('disallowed_construct', 'Expression contains a construct that is not allowed', {
      construct: '%',
      note: 'only a number directly followed by % (as in 15% or 15% of 200) is a percentage'
    })
  }
  text = text.replace(/\*\*/g, '^')
  return { text }
}

/** `==` between two operands becomes `=`; a run of three or more `=`, or `<=`, `>=`, `!=`, is left alone (and refused). */
function equalsAsEquality (text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const prev = i > 0 ? text[i - 1] : ''
    if (text[i] === '=' && text[i + 1] === '=' && text[i + 2] !== '=' && prev !== '=' && prev !== '!' && prev !== '<' && prev !== '>') {
      out += '='
      i++
      continue
    }
    out += text[i] as string
  }
  return out
}

function isDigitOrPoint (c: string | undefined): boolean {
  return c !== undefined && ((c >= '0' && c <= '9') || c === '.')
}

/**
 * True when a `p%` that is not `p% of ...` is the right operand of a binary + or - whose left
 * operand is not itself a percentage (`100 - 10%`, `(a + b) + 5%`); `50% + 50%` and `-5%` are not
 * ambiguous. Runs on the text without spaces; linear.
 */
function percentAddedToNumber (compact: string): boolean {
  for (let p = compact.indexOf('%'); p >= 0; p = compact.indexOf('%', p + 1)) {
    if (compact.startsWith('of', p + 1)) continue
    let start = p
    while (isDigitOrPoint(compact[start - 1])) start--
    if (start === p) continue
    const op = compact[start - 1]
    if (op !== '+' && op !== '-') continue
    const before = compact[start - 2]
    if (before === undefined || before === '%') continue
    // `1 - 20%` reads the same both ways (1 * (1 - 0.2) = 1 - 0.2)
    // (only when the 1 is the whole left operand: after the start, `(`, `=` or `,`)
    const opening = compact[start - 3]
    if (before === '1' && (opening === undefined || opening === '(' || opening === '=' || opening === ',')) continue
    if (isDigitOrPoint(before) || isOperandEnd(before)) return true
  }
  return false
}

/** A character that ends an operand (a closing parenthesis, a factorial, a letter). */
function isOperandEnd (c: string | undefined): boolean {
  return c !== undefined && (c === ')' || c === '!' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
}

/** Splits `a = b = c` into its sides; an empty side is refused. */
export function splitSides (text: string): string[] {
  const sides = text.split('=')
  if (sides.length > LIMITS.maxSides) {
    throw new MathFailure('resource_limit', 'Expression exceeds the verification resource limits', { limit: 'equation sides', max_sides: LIMITS.maxSides })
  }
  sides.forEach((side, index) => {
    if (side.trim() === '') {
      fail('parse_error', 'Expression could not be parsed', { error: 'empty side of an equation', side: index })
    }
  })
  return sides.map((s) => s.trim())
}
