/**
 * One line of prose -> tokens for the arithmetic reader. A single left-to-right pass: every
 * character is looked at a bounded number of times, no regular expression scans more than one
 * character. What is not arithmetic becomes a breaker token (word, junk, punctuation, relation,
 * approximation) so that a statement never runs across it.
 *
 * Numbers as LLMs write them: `1,200` (groups of exactly three digits), `1,102.50`, `$100`, `100 €`,
 * `USD 1,200`. A number glued to a letter (`10am`, `2nd`, `1e5`, `3x4`), a second decimal point
 * (`192.168.1.1`, `2.0.1`) or a comma outside a group of three (`1,5`, `1.234,56`) is junk: not
 * a number the reader can be sure of.
 */

export type TokenKind =
  | 'num' // a decimal number (text: canonical digits)
  | 'atom' // a value that is not a literal: π, √16
  | 'op' // + - * / ^
  | 'pct' // %
  | 'of' // "of" (after a percentage)
  | 'eq' // = == equals is "is equal to"
  | 'lp' | 'rp'
  | 'fn' // round floor ceil min max abs sqrt, directly before "("
  | 'comma'
  | 'pow' // a superscript exponent (text: ^2, ^(-1))
  | 'bang' // !
  | 'cur' // currency symbol or ISO code (dropped from the expression)
  | 'emph' // Markdown emphasis (* ** _ __), dropped
  | 'approx' // ≈ ~ about roughly ...
  | 'ellipsis' // ... or …
  | 'rel' // < > <= >= != ≠ ≤ ≥ === =>
  | 'word' | 'junk' | 'punct'

export interface Token {
  kind: TokenKind
  /** Offsets in the line (end exclusive). */
  start: number
  end: number
  /** What the token contributes to an expression. */
  text: string
  /** Whitespace right before the token. */
  ws: boolean
  /** num: decimal places written (1102.50 -> 2). */
  places?: number
  /** num: digits written (integer and fraction). */
  digits?: number
  /** num: an integer part with a leading zero (`01`, `007`): dates, times, codes. */
  leadingZero?: boolean
  /** op: written as a bare ASCII hyphen. */
  hyphen?: boolean
  /** eq: written as a symbol (= or ==), not a word. */
  symbol?: boolean
}

const CURRENCY_SYMBOLS = new Set(['$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₪', '₫'])
const CURRENCY_CODES = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'NZD', 'CNY', 'INR', 'SEK', 'NOK', 'DKK',
  'MXN', 'BRL', 'ZAR', 'SGD', 'HKD', 'KRW', 'PLN', 'CZK', 'TRY', 'ILS', 'AED', 'SAR'])
const FUNCTIONS = new Set(['round', 'floor', 'ceil', 'min', 'max', 'abs', 'sqrt'])
const APPROX_WORDS = new Set(['about', 'roughly', 'approximately', 'approx', 'around', 'nearly', 'almost', 'circa', 'ca',
  'estimated', 'approximate', 'some'])
const APPROX_SYMBOLS = new Set(['≈', '≃', '≅', '~', '∼', '≒'])
const WORD_OPS: ReadonlyMap<string, string> = new Map([['x', '*'], ['X', '*'], ['times', '*'], ['plus', '+'], ['minus', '-']])
const SUPERSCRIPTS: ReadonlyMap<string, string> = new Map([
  ['⁰', '0'], ['¹', '1'], ['²', '2'], ['³', '3'], ['⁴', '4'], ['⁵', '5'], ['⁶', '6'], ['⁷', '7'], ['⁸', '8'], ['⁹', '9'], ['⁻', '-']
])
const MULTIPLY = new Set(['×', '·', '⋅', '∙', '✕'])
const OPEN_BEFORE_EMPHASIS = new Set(['(', '[', '{', '"', '\'', '“', '‘'])
const CLOSE_AFTER_EMPHASIS = new Set([')', ']', '}', '"', '\'', '”', '’', '.', ',', ';', ':', '!', '?'])

// one character each: no quantifier, so nothing to backtrack
const LETTER = /\p{L}|\p{M}/u

function isDigit (c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9'
}

export function isSpace (c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\u00a0' || c === '\u202f' || c === '\u2009' || c === '\u2007' || c === '\r'
}

function isAsciiLetter (c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
}

function isLetter (c: string | undefined): boolean {
  if (c === undefined) return false
  if (isAsciiLetter(c)) return true
  return c.charCodeAt(0) >= 0x80 && LETTER.test(c)
}

function isWordChar (c: string | undefined): boolean {
  return isDigit(c) || isLetter(c) || c === '_'
}

/** Tokenises one line (no line break inside). `budget` is charged one unit per character and token. */
export function tokenizeLine (s: string, charge: (units: number) => void = () => {}): Token[] {
  const out: Token[] = []
  let ws = true
  let i = 0
  const push = (kind: TokenKind, start: number, end: number, text: string, extra?: Partial<Token>): void => {
    // one object shape for every token (no spread): a 100 KB line makes 100,000 of them
    const token: Token = { kind, start, end, text, ws }
    if (extra !== undefined) {
      if (extra.places !== undefined) token.places = extra.places
      if (extra.digits !== undefined) token.digits = extra.digits
      if (extra.leadingZero !== undefined) token.leadingZero = extra.leadingZero
      if (extra.hyphen !== undefined) token.hyphen = extra.hyphen
      if (extra.symbol !== undefined) token.symbol = extra.symbol
    }
    out.push(token)
    ws = false
    charge(end - start + 1)
  }
  while (i < s.length) {
    const c = s[i] as string
    if (isSpace(c)) {
      ws = true
      i++
      charge(1)
      continue
    }
    if (isDigit(c)) {
      i = readNumber(s, i, push)
      continue
    }
    if (isLetter(c) && c !== 'π') {
      const start = i
      while (i < s.length && isWordChar(s[i])) i++
      const word = s.slice(start, i)
      const lower = word.toLowerCase()
      if (FUNCTIONS.has(lower) && s[i] === '(') push('fn', start, i, lower)
      else if (CURRENCY_CODES.has(word)) push('cur', start, i, '')
      else if (lower === 'is' || lower === 'equals') push('eq', start, i, '=')
      else if (lower === 'of') push('of', start, i, 'of')
      else if (APPROX_WORDS.has(lower)) push('approx', start, i, '')
      else push('word', start, i, word)
      continue
    }
    const start = i
    switch (c) {
      case '=': {
        while (s[i] === '=') i++
        const n = i - start
        if (s[i] === '>' || n > 2) {
          if (s[i] === '>') i++
          push('rel', start, i, '')
        } else {
          push('eq', start, i, '=', { symbol: true })
        }
        continue
      }
      case '<': case '>': case '≤': case '≥': case '≠':
        i++
        if (s[i] === '=') i++
        push('rel', start, i, '')
        continue
      case '!':
        if (s[i + 1] === '=') {
          i += 2
          push('rel', start, i, '')
        } else {
          i++
          push('bang', start, i, '!')
        }
        continue
      case '+':
        i++
        push('op', start, i, '+')
        continue
      case '-':
        i++
        push('op', start, i, '-', { hyphen: true })
        continue
      case '\u2212': // minus sign
        i++
        push('op', start, i, '-')
        continue
      case '\u2013': // en dash: a minus only between spaces ("5 – 3"); "10–20" is a range
        i++
        if (ws && isSpace(s[i])) push('op', start, i, '-')
        else push('junk', start, i, '')
        continue
      case '/': case '÷':
        i++
        push('op', start, i, '/')
        continue
      case '^':
        i++
        push('op', start, i, '^')
        continue
      case '*': case '_': {
        while (s[i] === c) i++
        const n = i - start
        const before = start === 0 ? ' ' : s[start - 1]
        const after = i >= s.length ? ' ' : s[i]
        const spaceBefore = isSpace(before)
        const spaceAfter = isSpace(after)
        const opening = (spaceBefore || OPEN_BEFORE_EMPHASIS.has(before as string)) && !spaceAfter
        const closing = (spaceAfter || CLOSE_AFTER_EMPHASIS.has(after as string)) && !spaceBefore
        if (c === '*' && n <= 2 && !opening && !closing) push('op', start, i, n === 1 ? '*' : '^')
        else if (opening || closing) {
          // emphasis is transparent: keep the whitespace flag of what came before
          const keep: boolean = ws
          push('emph', start, i, '')
          ws = keep
        } else push('junk', start, i, '')
        continue
      }
      case '%':
        i++
        push('pct', start, i, '%')
        continue
      case '(':
        i++
        push('lp', start, i, '(')
        continue
      case ')':
        i++
        push('rp', start, i, ')')
        continue
      case ',':
        i++
        push('comma', start, i, ',')
        continue
      case '.':
        if (s[i + 1] === '.' && s[i + 2] === '.') {
          i += 3
          push('ellipsis', start, i, '')
        } else {
          i++
          push('punct', start, i, '')
        }
        continue
      case '…':
        i++
        push('ellipsis', start, i, '')
        continue
      case 'π':
        i++
        push('atom', start, i, 'pi')
        continue
      case '√': {
        i++
        if (s[i] === '(') {
          push('fn', start, i, 'sqrt')
          continue
        }
        // √16 -> sqrt(16): only a plain run of digits (no separators) is read as the radicand
        let j = i
        while (isDigit(s[j])) j++
        if (j > i && j - i <= 40 && s[j] !== '.' && s[j] !== ',' && !isWordChar(s[j])) {
          push('atom', start, j, `sqrt(${s.slice(i, j)})`)
          i = j
        } else {
          push('junk', start, i, '')
        }
        continue
      }
    }
    if (CURRENCY_SYMBOLS.has(c)) {
      i++
      push('cur', start, i, '')
      continue
    }
    if (MULTIPLY.has(c)) {
      i++
      push('op', start, i, '*')
      continue
    }
    if (APPROX_SYMBOLS.has(c)) {
      i++
      push('approx', start, i, '')
      continue
    }
    if (SUPERSCRIPTS.has(c)) {
      let exponent = ''
      while (i < s.length && SUPERSCRIPTS.has(s[i] as string)) exponent += SUPERSCRIPTS.get(s[i++] as string) as string
      const valid = exponent.length <= 4 && isDigit(exponent[exponent.length - 1]) && exponent.lastIndexOf('-') <= 0
      push(valid ? 'pow' : 'junk', start, i, exponent.startsWith('-') ? `^(${exponent})` : `^${exponent}`)
      continue
    }
    // surrogate pairs are skipped whole so that offsets stay on code point boundaries
    const code = c.charCodeAt(0)
    i += code >= 0xd800 && code <= 0xdbff && i + 1 < s.length ? 2 : 1
    push(c === ';' || c === ':' || c === '?' || c === '"' || c === '\'' || c === '`' ? 'punct' : 'junk', start, i, c === ':' ? ':' : '')
  }
  return mergeWords(out)
}

type Push = (kind: TokenKind, start: number, end: number, text: string, extra?: Partial<Token>) => void

/** Swallows the rest of a glued chunk (digits, letters, points, commas between digits) as junk. */
function junkFrom (s: string, start: number, i: number, push: Push): number {
  while (i < s.length && (isWordChar(s[i]) || ((s[i] === '.' || s[i] === ',') && isDigit(s[i + 1])))) i++
  push('junk', start, i, '')
  return i
}

/** Reads a number at s[i] (a digit); pushes a num or a junk token; returns the index after it. */
function readNumber (s: string, i: number, push: Push): number {
  const start = i
  while (isDigit(s[i])) i++
  let integer = s.slice(start, i)
  // thousands separators: 1-3 digits, then groups of exactly three
  if (s[i] === ',' && isDigit(s[i + 1])) {
    if (integer.length > 3) return junkFrom(s, start, i, push)
    while (s[i] === ',' && isDigit(s[i + 1])) {
      if (!(isDigit(s[i + 2]) && isDigit(s[i + 3]) && !isDigit(s[i + 4]))) return junkFrom(s, start, i, push)
      integer += s.slice(i + 1, i + 4)
      i += 4
    }
  }
  let fraction = ''
  if (s[i] === '.' && isDigit(s[i + 1])) {
    const f = i + 1
    i = f
    while (isDigit(s[i])) i++
    fraction = s.slice(f, i)
    // a second point or a decimal comma after it: a version, an address, a European number
    if ((s[i] === '.' || s[i] === ',') && isDigit(s[i + 1])) return junkFrom(s, start, i, push)
  }
  if (isWordChar(s[i])) return junkFrom(s, start, i, push)
  push('num', start, i, fraction === '' ? integer : `${integer}.${fraction}`, {
    places: fraction.length,
    digits: integer.length + fraction.length,
    leadingZero: integer.length > 1 && integer[0] === '0'
  })
  return i
}

function isOperandEnd (t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'num' || t.kind === 'atom' || t.kind === 'rp' || t.kind === 'pct' || t.kind === 'pow' || t.kind === 'cur')
}

function isOperandStart (t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'num' || t.kind === 'atom' || t.kind === 'lp' || t.kind === 'fn' || t.kind === 'cur')
}

/**
 * Words that are operators only between two operands, with spaces around ("3 x 4", "2 plus 2",
 * "12 divided by 4"), and "is equal to". Anything else stays a word (a breaker).
 */
function mergeWords (tokens: Token[]): Token[] {
  const out: Token[] = []
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token
    const next = tokens[k + 1]
    if (t.kind === 'word') {
      const prev = out[out.length - 1]
      const lower = t.text.toLowerCase()
      const op = WORD_OPS.get(t.text) ?? (lower === 'times' || lower === 'plus' || lower === 'minus' ? WORD_OPS.get(lower) : undefined)
      if (op !== undefined && t.ws && next?.ws === true && isOperandEnd(prev) && isOperandStart(next)) {
        out.push({ ...t, kind: 'op', text: op })
        continue
      }
      if ((lower === 'divided' || lower === 'multiplied') && next?.kind === 'word' && next.text.toLowerCase() === 'by' &&
        t.ws && isOperandEnd(prev) && isOperandStart(tokens[k + 2]) && tokens[k + 2]?.ws === true) {
        out.push({ ...t, kind: 'op', text: lower === 'divided' ? '/' : '*', end: next.end })
        k++
        continue
      }
    }
    if (t.kind === 'eq' && !(t.symbol ?? false) && t.text === '=' && next?.kind === 'word' && next.text.toLowerCase() === 'equal' &&
      tokens[k + 2]?.kind === 'word' && tokens[k + 2]?.text.toLowerCase() === 'to') {
      out.push({ ...t, end: (tokens[k + 2] as Token).end })
      k += 2
      continue
    }
    out.push(t)
  }
  return out
}
