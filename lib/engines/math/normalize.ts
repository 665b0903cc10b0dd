/**
 * Text pre-processing before mathjs sees anything: length cap first, then a small map of math
 * symbols to ASCII, an ASCII-only rule, relational operators, percentages, `**`, and QWED's
 * ambiguity rule for `a/b(c)`.
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
