/**
 * Arithmetic statements in one line of prose -> math claims `{ type: 'math', expression: 'lhs = rhs' }`.
 *
 * A statement is a maximal run of arithmetic tokens (numbers, operators, parentheses, %, "of",
 * functions, superscripts, currency marks, `=` / "is" / "equals") between breakers (words,
 * punctuation, relations, approximations). A run is kept only when all of this holds, else it is
 * counted as skipped (precision first):
 *  - it has two or more sides and at least one arithmetic operation (`1 USD = 0.92 EUR` has none);
 *  - every side is a complete expression on numbers (no variables, no implicit multiplication);
 *  - nothing approximate touches it (≈ ~ about roughly approximately, a trailing `...`);
 *  - no notation with two readings: `100 - 10%`, `n!!`, a trailing `4!`, a bare hyphen between
 *    numbers in a spaced statement (`10-20 = ...`, `3-2`, dates);
 *  - no number with a leading zero (dates, times, codes) and nothing glued to its ends (`16:9`,
 *    `#1`, `v2.0`);
 *  - the answer asserts it: its sentence does not refute it (not, wrong, mistake, isn't, ≠) or talk
 *    about how a language or floats compute, and it is not in quotes or in inline code;
 *  - within the caps (tokens, sides, nesting, digits, expression length).
 * A statement never spans a line break. A bare number before the first `=` is dropped unless it
 * starts the line and is joined by a symbol: it is a label, a list's tail or a subject
 * (`Year 1 = 1,000 × 1.05 = 1,050` states `1000 * 1.05 = 1050`; `the mean of 2, 4, 6 is (2 + 4 + 6) / 3 = 4`
 * states `(2 + 4 + 6) / 3 = 4`). A word right after the statement that says the value goes on
 * (`3 remainder 2`, `5 million`) makes it ambiguous.
 *
 * Rounding: a last side written as a decimal with k places sets `roundedTo: k` (the math engine
 * then judges the value rounded half away from zero to k places); a last side written as a
 * percentage `p%` with k places (k may be 0) is read as `(side) * 100 = p` rounded to k places,
 * unless the side before it already multiplies by 100 (`x / y × 100 = 40%`: skipped as ambiguous).
 */
import type { MathExpressionClaim } from '../../types/claims.js'
import type { ExtractedClaim, ExtractSkipReason } from '../../types/extract.js'
import { type Token, isSpace, tokenizeLine } from './tokens.js'

export const ARITHMETIC_LIMITS = {
  /** Tokens of one statement. */
  maxTokens: 150,
  /** Sides of a chain (the math engine's cap). */
  maxSides: 20,
  /** Parenthesis nesting. */
  maxNesting: 20,
  /** Digits of one number. */
  maxDigits: 40,
  /** Characters of the emitted expression. */
  maxExpression: 1000
} as const

export interface LineExtraction {
  claims: ExtractedClaim[]
  /** One entry per candidate left out. */
  skipped: ExtractSkipReason[]
}

/**
 * Words that make a sentence's equations something other than a claim of the answer: a refutation
 * (`2 + 2 = 5 is wrong`, `it is not true that ...`) or a statement about how a language or floats compute.
 */
const CUES = new Set(['not', 'never', 'nor', 'neither', 'wrong', 'wrongly', 'incorrect', 'incorrectly', 'false', 'mistake', 'mistakes',
  'mistaken', 'erroneous', 'myth', 'fallacy', 'typo', 'bug', 'buggy', 'cannot',
  'float', 'floats', 'floating', 'javascript', 'python', 'java', 'excel', 'overflow'])
/** Words right after a statement that say its last number is not the whole value. */
const CONTINUATIONS = new Set(['remainder', 'rem', 'r', 'thousand', 'million', 'billion', 'trillion', 'k', 'hundred', 'percent', 'squared', 'cubed'])
const RUN_KINDS = new Set(['num', 'atom', 'op', 'pct', 'of', 'eq', 'lp', 'rp', 'fn', 'comma', 'pow', 'bang', 'cur', 'emph'])
const BEFORE_OK = new Set(['(', '[', '{', '"', '\'', '“', '‘', '`', '*', '_', '='])
const AFTER_OK = new Set([')', ']', '}', '"', '\'', '”', '’', '`', '*', '_', ',', ';', '.', '!', '?'])

/**
 * Where the prose of a Markdown line starts: after block-quote markers, a heading's #s, a list
 * bullet or number (`- `, `* `, `1. `, `2) `) and a task box. `- 5 + 5 = 10` is a list item, not -5.
 */
export function proseStart (line: string): number {
  let i = 0
  const spaces = (): void => { while (isSpace(line[i])) i++ }
  spaces()
  while (line[i] === '>') {
    i++
    spaces()
  }
  if (line[i] === '#') {
    let j = i
    while (line[j] === '#') j++
    if (j - i <= 6 && (isSpace(line[j]) || j === line.length)) i = j
    spaces()
  } else if ((line[i] === '-' || line[i] === '*' || line[i] === '+') && isSpace(line[i + 1])) {
    i += 1
    spaces()
  } else {
    let j = i
    while (j - i < 9 && line[j] !== undefined && line[j] as string >= '0' && line[j] as string <= '9') j++
    if (j > i && (line[j] === '.' || line[j] === ')') && (isSpace(line[j + 1]) || j + 1 === line.length)) {
      i = j + 1
      spaces()
    }
  }
  if (line[i] === '[' && (line[i + 1] === ' ' || line[i + 1] === 'x' || line[i + 1] === 'X') && line[i + 2] === ']') {
    i += 3
    spaces()
  }
  return i
}

/**
 * The arithmetic claims of one line (no line break inside), with offsets shifted by `offset` (the
 * line's start in the whole text). Streams call this once per complete line outside fenced blocks.
 * `charge` is called with the work done (characters and tokens), for a caller's work budget.
 */
export function extractFromLine (line: string, offset = 0, charge: (units: number) => void = () => {}): LineExtraction {
  const result: LineExtraction = { claims: [], skipped: [] }
  const begin = proseStart(line)
  const body = line.slice(begin)
  if (body.includes('\\')) {
    // LaTeX (\times, \frac, \( \)) is not read: an `=` there is counted, nothing is extracted
    if (body.includes('=')) result.skipped.push('not_arithmetic')
    return result
  }
  const tokens = tokenizeLine(body, charge)
  const context = lineContext(body, tokens)
  const base = offset + begin
  let from = -1
  let fnParens: boolean[] = []
  let pendingFn = false
  const flush = (to: number): void => {
    if (from >= 0) judgeRun(body, tokens, from, to, base, result, context)
    from = -1
    fnParens = []
    pendingFn = false
  }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token
    charge(1)
    let inRun = RUN_KINDS.has(t.kind)
    // a comma belongs to a statement only between the arguments of a function (max(3, 5))
    if (t.kind === 'comma' && fnParens[fnParens.length - 1] !== true) inRun = false
    if (!inRun) {
      flush(k - 1)
      continue
    }
    if (from < 0) from = k
    if (t.kind === 'fn') pendingFn = true
    else if (t.kind === 'lp') {
      fnParens.push(pendingFn)
      pendingFn = false
    } else if (t.kind === 'rp') fnParens.pop()
  }
  flush(tokens.length - 1)
  return result
}

function kindAt (tokens: Token[], k: number): string | undefined {
  return tokens[k]?.kind
}

/** Trims what cannot start or end a statement; returns the kept range, or null when nothing is left. */
function trimRun (tokens: Token[], from: number, to: number): [number, number] | null {
  let a = from
  let b = to
  for (let changed = true; changed && a <= b;) {
    changed = false
    while (a <= b) {
      const t = tokens[a] as Token
      const k = t.kind
      const leadingCur = k === 'cur' && kindAt(tokens, a + 1) !== 'num' && !(kindAt(tokens, a + 1) === 'op' && tokens[a + 1]?.text === '-')
      if (k === 'eq' || k === 'comma' || k === 'of' || k === 'pct' || k === 'pow' || k === 'bang' || k === 'rp' || k === 'emph' ||
        leadingCur || (k === 'op' && t.text !== '-' && t.text !== '+')) {
        a++
        changed = true
      } else break
    }
    while (a <= b) {
      const k = kindAt(tokens, b)
      const trailingCur = k === 'cur' && kindAt(tokens, b - 1) !== 'num'
      if (k === 'eq' || k === 'op' || k === 'comma' || k === 'lp' || k === 'fn' || k === 'of' || k === 'emph' || trailingCur) {
        b--
        changed = true
      } else break
    }
    if (a > b) return null
    let balance = 0
    for (let k = a; k <= b; k++) {
      const kind = kindAt(tokens, k)
      if (kind === 'lp') balance++
      else if (kind === 'rp') balance--
    }
    if (balance < 0 && kindAt(tokens, b) === 'rp') {
      b--
      changed = true
    } else if (balance > 0 && kindAt(tokens, a) === 'lp') {
      a++
      changed = true
    }
  }
  return a <= b ? [a, b] : null
}

interface SideCheck {
  ok: boolean
  reason?: ExtractSkipReason
  /** The side holds an operation (not just a number). */
  operation: boolean
}

function isOperand (t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'num' || t.kind === 'atom')
}

/** One side: a complete expression (a small state machine over its tokens). */
function checkSide (tokens: Token[], side: number[], lastSide: boolean): SideCheck {
  let expectOperand = true
  let operation = false
  const parens: boolean[] = []
  let unary = 0
  for (let j = 0; j < side.length; j++) {
    const t = tokens[side[j] as number] as Token
    const next = side[j + 1] === undefined ? undefined : tokens[side[j + 1] as number]
    if (expectOperand) {
      if (isOperand(t)) {
        expectOperand = false
        unary = 0
        if (t.kind === 'atom') operation = true
      } else if (t.kind === 'lp') {
        parens.push(false)
        unary = 0
      } else if (t.kind === 'fn') {
        if (next?.kind !== 'lp') return { ok: false, reason: 'not_arithmetic', operation }
        parens.push(true)
        operation = true
        j++
      } else if (t.kind === 'op' && (t.text === '-' || t.text === '+') && unary === 0) {
        unary++
      } else return { ok: false, reason: 'not_arithmetic', operation }
      if (parens.length > ARITHMETIC_LIMITS.maxNesting) return { ok: false, reason: 'too_complex', operation }
      continue
    }
    switch (t.kind) {
      case 'op':
        operation = true
        expectOperand = true
        break
      case 'pct': {
        const prev = tokens[side[j - 1] as number] as Token
        if (prev.kind !== 'num') return { ok: false, reason: 'ambiguous', operation }
        break
      }
      case 'of':
        if (tokens[side[j - 1] as number]?.kind !== 'pct') return { ok: false, reason: 'not_arithmetic', operation }
        operation = true
        expectOperand = true
        break
      case 'pow':
        operation = true
        break
      case 'bang':
        // n!! (double factorial or (n!)!) and a closing `= 4!` (24, or an exclamation?) are not guessed
        if (next?.kind === 'bang' || (lastSide && next === undefined)) return { ok: false, reason: 'ambiguous', operation }
        operation = true
        break
      case 'rp':
        if (parens.length === 0) return { ok: false, reason: 'not_arithmetic', operation }
        parens.pop()
        break
      case 'comma':
        if (parens[parens.length - 1] !== true) return { ok: false, reason: 'not_arithmetic', operation }
        expectOperand = true
        break
      case 'lp': case 'num': case 'atom': case 'fn':
        // two operands side by side: 2(3 + 4) is implicit multiplication (ambiguous after a division)
        return { ok: false, reason: t.kind === 'lp' ? 'ambiguous' : 'not_arithmetic', operation }
      default:
        return { ok: false, reason: 'not_arithmetic', operation }
    }
  }
  if (expectOperand || parens.length > 0) return { ok: false, reason: 'not_arithmetic', operation }
  return { ok: true, operation }
}

/** `a - p%` / `a + p%` where a is not a percentage, nor the number 1 on its own: two readings. */
function ambiguousPercent (tokens: Token[], side: number[]): boolean {
  for (let j = 0; j < side.length; j++) {
    const t = tokens[side[j] as number] as Token
    if (t.kind !== 'pct' || tokens[side[j + 1] as number]?.kind === 'of') continue
    const op = tokens[side[j - 2] as number]
    const left = tokens[side[j - 3] as number]
    if (op?.kind !== 'op' || (op.text !== '+' && op.text !== '-') || left === undefined) continue
    if (left.kind === 'pct') continue
    const beforeLeft = tokens[side[j - 4] as number]
    if (left.kind === 'num' && left.text === '1' && (beforeLeft === undefined || beforeLeft.kind === 'lp' || beforeLeft.kind === 'comma')) continue
    if (left.kind === 'num' || left.kind === 'atom' || left.kind === 'rp' || left.kind === 'pow' || left.kind === 'bang') return true
  }
  return false
}

/** The side starts with `100 ×` or ends with `× 100`. */
function timesHundred (tokens: Token[], side: number[]): boolean {
  const at = (j: number): Token | undefined => tokens[side[j] as number]
  const hundred = (x: Token | undefined): boolean => x?.kind === 'num' && x.text === '100'
  const times = (x: Token | undefined): boolean => x?.kind === 'op' && x.text === '*'
  const n = side.length
  return (hundred(at(n - 1)) && times(at(n - 2))) || (hundred(at(0)) && times(at(1)))
}

function sideText (tokens: Token[], side: number[]): string {
  let out = ''
  let glue = true
  for (const k of side) {
    const t = tokens[k] as Token
    const attach = t.kind === 'pct' || t.kind === 'pow' || t.kind === 'rp' || t.kind === 'comma' || t.kind === 'bang'
    if (!glue && !attach) out += ' '
    out += t.text
    glue = t.kind === 'lp' || t.kind === 'fn' || (t.kind === 'op' && out.length === 1)
  }
  return out
}

/**
 * Per token: is its sentence one that says something is wrong or talks about how a language or
 * floats compute (a cue word anywhere in it; sentences end at . ; ! ?), and is it inside an inline
 * code span. One pass over the tokens.
 */
interface LineContext {
  refuted: Uint8Array
  code: Uint8Array
}

function isSentenceEnd (line: string, t: Token): boolean {
  if (t.kind !== 'punct' && t.kind !== 'bang') return false
  const c = line[t.start]
  return (c === '.' || c === '!' || c === '?' || c === ';') && (t.end >= line.length || isSpace(line[t.end]))
}

function lineContext (line: string, tokens: Token[]): LineContext {
  const refuted = new Uint8Array(tokens.length)
  const code = new Uint8Array(tokens.length)
  let inCode = false
  let sentenceStart = 0
  let cue = false
  const close = (end: number): void => {
    if (cue) refuted.fill(1, sentenceStart, end)
    sentenceStart = end
    cue = false
  }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token
    if (t.kind === 'punct' && line[t.start] === '`') inCode = !inCode
    code[k] = inCode ? 1 : 0
    if (t.kind === 'word') {
      const w = t.text.toLowerCase()
      // `= 9, not 1` and `= 4 (not 5)` contrast the figure with another one: not a refutation
      const contrast = (w === 'not' && (tokens[k - 1]?.kind === 'comma' || tokens[k - 1]?.kind === 'lp')) ||
        // a false positive / negative rate is statistics, not a refutation
        (w === 'false' && /^(positive|negative)s?$/i.test(tokens[k + 1]?.text ?? ''))
      // isn't, doesn't, can't: the word, an apostrophe, then "t"
      if ((CUES.has(w) && !contrast) || (w === 't' && (line[t.start - 1] === '\'' || line[t.start - 1] === '’'))) cue = true
    } else if (t.kind === 'rel' && line[t.start] === '≠') cue = true
    if (isSentenceEnd(line, t)) close(k + 1)
  }
  close(tokens.length)
  return { refuted, code }
}

function judgeRun (line: string, tokens: Token[], from: number, to: number, base: number, result: LineExtraction, context: LineContext): void {
  let hasEqSymbol = false
  let hasEqWord = false
  let hasOp = false
  let hasNum = false
  for (let k = from; k <= to; k++) {
    const t = tokens[k] as Token
    if (t.kind === 'eq') {
      if (t.symbol === true) hasEqSymbol = true
      else hasEqWord = true
    } else if (t.kind === 'op' || t.kind === 'fn') hasOp = true
    else if (t.kind === 'num') hasNum = true
  }
  // a candidate worth counting when left out: an `=` next to a number, or "is"/"equals" with an operation
  const candidate = hasNum && (hasEqSymbol || (hasEqWord && hasOp))
  const skip = (reason: ExtractSkipReason): void => {
    if (candidate || reason === 'approximate') result.skipped.push(reason)
  }
  // far over the token cap even before trimming: no need to look closer
  if (to - from + 1 > 2 * ARITHMETIC_LIMITS.maxTokens) {
    skip('too_complex')
    return
  }
  const range = trimRun(tokens, from, to)
  const approxNear = (a: number, b: number): boolean =>
    kindAt(tokens, a - 1) === 'approx' || kindAt(tokens, b + 1) === 'approx' ||
    (kindAt(tokens, b + 1) === 'eq' && kindAt(tokens, b + 2) === 'approx') ||
    (kindAt(tokens, b + 1) === 'ellipsis' && tokens[b + 1]?.ws === false)
  if (range === null) {
    skip('not_arithmetic')
    return
  }
  let [a, b] = range
  // the math tokens (currency marks and emphasis dropped), split into sides at each `=`
  const sides: number[][] = [[]]
  for (let k = a; k <= b; k++) {
    const kind = kindAt(tokens, k)
    if (kind === 'cur' || kind === 'emph') continue
    if (kind === 'eq') sides.push([])
    else (sides[sides.length - 1] as number[]).push(k)
  }
  if (sides.length === 1) {
    if (hasOp && approxNear(a, b)) skip('approximate')
    else skip('not_arithmetic')
    return
  }
  if (approxNear(a, b)) {
    skip('approximate')
    return
  }
  // `17 divided by 5 is 3 remainder 2`: the last side is not the whole value
  const after = tokens[b + 1]
  if (after?.kind === 'word' && CONTINUATIONS.has(after.text.toLowerCase())) {
    skip('ambiguous')
    return
  }
  if (b - a + 1 > ARITHMETIC_LIMITS.maxTokens || sides.length > ARITHMETIC_LIMITS.maxSides) {
    skip('too_complex')
    return
  }
  if (sides.some((side) => side.length === 0)) {
    skip('not_arithmetic')
    return
  }
  // A bare number before the first `=` that is not the start of the line is prose, not a side:
  // a label (`Step 1 = ...`, `Year 2 = ...`), the tail of a list (`the mean of 2, 4, 6 is (2 + 4 + 6) / 3`)
  // or a subject (`so 42 is ...`); so is a bare number joined by "is" or "equals".
  const first = sides[0] as number[]
  const firstEq = tokens.slice(a, b + 1).find((x) => x.kind === 'eq')
  if (first.length === 1 && kindAt(tokens, first[0] as number) === 'num' && (a > 0 || firstEq?.symbol !== true)) {
    sides.shift()
    const start = (sides[0] as number[])[0] as number
    a = kindAt(tokens, start - 1) === 'cur' ? start - 1 : start
    if (sides.length < 2) {
      skip('not_arithmetic')
      return
    }
  }
  // a leading sign right after a word is a variable's term (`x - 5 + 3 = 8`), not a negative number
  if (kindAt(tokens, (sides[0] as number[])[0] as number) === 'op' && (tokens[a - 1]?.kind === 'word' || tokens[a - 1]?.kind === 'junk')) {
    skip('not_arithmetic')
    return
  }
  // boundaries: nothing glued to the statement's ends (16:9, #1, v2.0, 10:30)
  const startChar = (tokens[a] as Token).start
  const endChar = (tokens[b] as Token).end
  const charBefore = line[startChar - 1]
  const charAfter = line[endChar]
  if ((charBefore !== undefined && !isSpace(charBefore) && !BEFORE_OK.has(charBefore)) ||
    (charAfter !== undefined && !isSpace(charAfter) && !AFTER_OK.has(charAfter) &&
      !(charAfter === ':' && (line[endChar + 1] === undefined || isSpace(line[endChar + 1]))))) {
    skip('not_arithmetic')
    return
  }
  // a statement refuted, quoted or about code is not asserted (`2 + 2 = 5 is wrong`, "`5 ^ 2 = 7`"
  // in code, where ^ is XOR, `in JavaScript 0.1 + 0.2 = 0.30000000000000004`)
  const quoted = (charBefore === '"' || charBefore === '“' || charBefore === '\'' || charBefore === '‘') &&
    (charAfter === '"' || charAfter === '”' || charAfter === '\'' || charAfter === '’')
  if (context.refuted[a] === 1 || context.code[a] === 1 || quoted) {
    skip('not_asserted')
    return
  }
  let operation = false
  let spaced = false
  for (let k = a + 1; k <= b; k++) if ((tokens[k] as Token).ws) spaced = true
  for (let s = 0; s < sides.length; s++) {
    const side = sides[s] as number[]
    const check = checkSide(tokens, side, s === sides.length - 1)
    if (!check.ok) {
      skip(check.reason ?? 'not_arithmetic')
      return
    }
    operation ||= check.operation
    for (let j = 0; j < side.length; j++) {
      const t = tokens[side[j] as number] as Token
      if (t.kind === 'num' && (t.leadingZero === true || (t.digits ?? 0) > ARITHMETIC_LIMITS.maxDigits)) {
        skip(t.leadingZero === true ? 'not_arithmetic' : 'too_complex')
        return
      }
      // 10-20, 3-2, 2024-01-05: a bare hyphen between numbers in a spaced statement is a range or a score
      if (t.kind === 'op' && t.hyphen === true && !t.ws && j > 0 && j + 1 < side.length && !(tokens[side[j + 1] as number] as Token).ws &&
        spaced && isOperand(tokens[side[j - 1] as number]) && isOperand(tokens[side[j + 1] as number])) {
        skip('ambiguous')
        return
      }
    }
    if (ambiguousPercent(tokens, side)) {
      skip('ambiguous')
      return
    }
  }
  if (!operation) {
    skip('not_arithmetic')
    return
  }
  // the expression, with the rounding the last side was written with
  const last = sides[sides.length - 1] as number[]
  const lastTok = tokens[last[0] as number] as Token
  let texts = sides.map((side) => sideText(tokens, side))
  let roundedTo: number | undefined
  if (last.length === 1 && lastTok.kind === 'num' && (lastTok.places ?? 0) > 0) {
    roundedTo = lastTok.places
  } else if (last.length === 2 && lastTok.kind === 'num' && kindAt(tokens, last[1] as number) === 'pct') {
    // `(50 - 30) / 50 × 100 = 40%`: the % is a label there (read as written it says 4000%)
    if (timesHundred(tokens, sides[sides.length - 2] as number[])) {
      skip('ambiguous')
      return
    }
    // `= 33.3%`: each side times 100, the last written as the number it shows
    texts = [...texts.slice(0, -1).map((text) => `(${text}) * 100`), lastTok.text]
    roundedTo = lastTok.places ?? 0
  }
  const expression = texts.join(' = ')
  if (expression.length > ARITHMETIC_LIMITS.maxExpression) {
    skip('too_complex')
    return
  }
  let end = b
  if (kindAt(tokens, end + 1) === 'cur' && end + 1 <= to) end++
  const claim: MathExpressionClaim = { type: 'math', expression }
  if (roundedTo !== undefined) claim.roundedTo = roundedTo
  result.claims.push({ claim, source: { start: base + startChar, end: base + (tokens[end] as Token).end } })
}
