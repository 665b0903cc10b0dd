/**
 * A bound on how deep a recursive-descent parser must recurse to parse a JavaScript / TypeScript
 * snippet, computed in one linear pass before the native parser sees it.
 *
 * Why: oxc-parser recurses on the native stack and has no depth guard; nesting of a few thousand
 * levels (`((((…`, `a ? b : a ? b : …`, `${`${…}`}`, `if (a) if (a) …`) overflows it and
 * kills the whole process with a segmentation fault (measured: ~3,600 nested template
 * substitutions or ~7,500 parentheses on an 8 MB stack, half that in a 4 MB worker thread). The
 * analysis refuses trees deeper than 1,000 anyway, so a snippet whose bound passes the limit is
 * refused (too_deep) without parsing.
 *
 * The bound over-approximates: every open bracket counts one level (a template substitution two),
 * and every token that can open a nested construct without a bracket (`=`, `=>`, `?`, `:`, `<`,
 * `...`, `new`, `yield`, `await`, `if`, `else`, `for`, `while`, `do`, `with`, `extends`) counts one
 * more level for as long as its bracket is open; expression tokens stop counting at a `;` or `,` of
 * the same bracket, `<` and statement keywords only when the bracket closes. Strings, comments,
 * templates and regular expression literals are skipped so that their text cannot close or reset
 * anything (see hidden()).
 */

/** Depth bound above which a snippet is refused before parsing (never more than the snippet's length). */
export const MAX_NESTING_BOUND = 1000

const STATEMENT_WORDS = new Set(['if', 'else', 'for', 'while', 'do', 'with'])
const EXPRESSION_WORDS = new Set(['new', 'yield', 'await', 'extends', 'typeof', 'void', 'delete', 'keyof', 'infer', 'in', 'of', 'return', 'throw', 'case'])
/** After these words a `/` starts a regular expression (`return /x/`), not a division. */
const REGEX_AFTER_WORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await'])

interface Level { open: number, expr: number, stmt: number }

function isIdentChar (c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127
}

/**
 * The depth bound of `code`, or the limit + 1 as soon as it is passed (the scan stops there).
 * Linear in the length of `code`.
 */
export function nestingBound (code: string, limit = MAX_NESTING_BOUND): number {
  const stack: Level[] = [{ open: 0, expr: 0, stmt: 0 }]
  let total = 0 // sum over the stack of (1 per bracket) + expr + stmt
  /** Kinds of open brackets: 40 (, 91 [, 123 {, 36 ${ (template substitution). */
  let regexAllowed = true
  const n = code.length
  let i = 0
  const count = (kind: 'expr' | 'stmt'): boolean => {
    (stack[stack.length - 1] as Level)[kind]++
    total++
    return total > limit
  }
  const push = (open: number): boolean => {
    stack.push({ open, expr: 0, stmt: 0 })
    total += open === 36 ? 2 : 1
    return total > limit
  }
  const pop = (): void => {
    const top = stack.pop() as Level
    total -= top.expr + top.stmt + (top.open === 36 ? 2 : 1)
  }
  /**
   * Text the scan skips (strings, comments, regular expressions, template text) may really be code
   * when the scan guessed wrong (an apostrophe in JSX text, a division taken for a regex): what in
   * it could open a level still counts, and nothing in it closes or resets one.
   */
  const hidden = (from: number, to: number): boolean => {
    for (let k = from; k < to; k++) {
      const d = code.charCodeAt(k)
      if (d === 40 || d === 91 || d === 123 || d === 60 || d === 61 || d === 63 || d === 58) {
        (stack[stack.length - 1] as Level).stmt++
        if (++total > limit) return true
      }
    }
    return false
  }
  /** Skips template text from i (after a backtick or a `}` closing a substitution); returns true when a `${` was entered. */
  const templateText = (): boolean | null => {
    const from = i
    let opened = false
    while (i < n) {
      const c = code.charCodeAt(i)
      if (c === 92) { i += 2; continue }
      if (c === 96) { i++; break }
      if (c === 36 && code.charCodeAt(i + 1) === 123) { i += 2; opened = true; break }
      i++
    }
    return hidden(from, i) ? null : opened
  }
  while (i < n) {
    const c = code.charCodeAt(i)
    // whitespace
    if (c === 32 || c === 9 || c === 10 || c === 13) { i++; continue }
    // comments
    if (c === 47 && code.charCodeAt(i + 1) === 47) {
      const e = code.indexOf('\n', i)
      const end = e < 0 ? n : e
      if (hidden(i, end)) return limit + 1
      i = end
      continue
    }
    if (c === 47 && code.charCodeAt(i + 1) === 42) {
      const e = code.indexOf('*/', i + 2)
      const end = e < 0 ? n : e + 2
      if (hidden(i, end)) return limit + 1
      i = end
      continue
    }
    // strings
    if (c === 39 || c === 34) {
      const from = i
      i++
      while (i < n) {
        const d = code.charCodeAt(i)
        if (d === 92) { i += 2; continue }
        i++
        if (d === c || d === 10) break
      }
      if (hidden(from, i)) return limit + 1
      regexAllowed = false
      continue
    }
    // templates
    if (c === 96) {
      i++
      const opened = templateText()
      if (opened === null || (opened && push(36))) return limit + 1
      regexAllowed = false
      continue
    }
    // regular expression literal
    if (c === 47 && regexAllowed) {
      const from = i
      i++
      let inClass = false
      while (i < n) {
        const d = code.charCodeAt(i)
        if (d === 92) { i += 2; continue }
        i++
        if (d === 10) break
        if (d === 91) inClass = true
        else if (d === 93) inClass = false
        else if (d === 47 && !inClass) break
      }
      while (i < n && isIdentChar(code.charCodeAt(i))) i++ // flags
      if (hidden(from, i)) return limit + 1
      regexAllowed = false
      continue
    }
    // words
    if (isIdentChar(c) || c === 92) {
      const start = i
      while (i < n && (isIdentChar(code.charCodeAt(i)) || code.charCodeAt(i) === 92)) i += code.charCodeAt(i) === 92 ? 2 : 1
      const word = code.slice(start, i)
      if (STATEMENT_WORDS.has(word)) { if (count('stmt')) return limit + 1 } else if (EXPRESSION_WORDS.has(word) && count('expr')) return limit + 1
      regexAllowed = REGEX_AFTER_WORDS.has(word)
      continue
    }
    i++
    switch (c) {
      case 40: case 91: case 123:
        if (push(c)) return limit + 1
        regexAllowed = true
        continue
      case 41: case 93: case 125: {
        const top = stack[stack.length - 1] as Level
        const match = c === 41 ? 40 : c === 93 ? 91 : 123
        if (stack.length > 1 && top.open === match) pop()
        else if (stack.length > 1 && c === 125 && top.open === 36) {
          // the end of a template substitution: back into the template's text
          pop()
          const opened = templateText()
          if (opened === null || (opened && push(36))) return limit + 1
        }
        // a `/` after `)` or `}` may start a regular expression (`if (a) /x/`, a block then `/x/`):
        // taken as one, whatever it hides still counts (see hidden)
        regexAllowed = c !== 93
        continue
      }
      case 59: case 44: { // `;` and `,` end the expressions of their bracket
        const top = stack[stack.length - 1] as Level
        total -= top.expr
        top.expr = 0
        regexAllowed = true
        continue
      }
      case 60: // `<` (type arguments, JSX) nests without a bracket and a `,` does not end it
        if (count('stmt')) return limit + 1
        regexAllowed = true
        continue
      case 61: case 63: case 58: // = ? :
        if (c === 61 && (code.charCodeAt(i) === 61)) { i++; regexAllowed = true; continue } // == / ===
        if (c === 63 && (code.charCodeAt(i) === 46 || code.charCodeAt(i) === 63)) { i++; regexAllowed = true; continue } // ?. ??
        if (count('expr')) return limit + 1
        regexAllowed = true
        continue
      case 46: // `...`
        if (code.charCodeAt(i) === 46 && code.charCodeAt(i + 1) === 46) { i += 2; if (count('expr')) return limit + 1 }
        regexAllowed = true
        continue
      default:
        regexAllowed = true
    }
  }
  return total
}
