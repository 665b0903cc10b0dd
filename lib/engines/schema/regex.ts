import { RE2JS } from 're2js'

// ECMAScript white space and line terminators (what `\s` means in a JSON Schema pattern); RE2's
// `\s` is ASCII only.
const JS_SPACE = '\\t\\n\\v\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}'
// ECMAScript `.` stops at every line terminator; RE2's `.` only at \n.
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]'
const HEX4 = /^[0-9A-Fa-f]{4}$/

/**
 * Rewrites an ECMAScript (u-mode) pattern, as JSON Schema specifies them, into RE2 syntax with the
 * same meaning where the two differ: `\uXXXX` (surrogate pairs joined), `\u{...}` and `\cX`
 * become `\x{...}`; `\s`, `\S` and `.` get ECMAScript's Unicode white space and line terminators;
 * `[]` matches nothing and `[^]` anything. Everything else is passed through: constructs RE2 does
 * not have (backreferences, lookarounds) still fail to compile, and the schema is refused.
 */
export function toRe2Syntax (pattern: string): string {
  let out = ''
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1] as string
      if (next === 'u') {
        const escape = readUnicodeEscape(pattern, i)
        if (escape !== null) {
          out += `\\x{${escape.codePoint.toString(16).toUpperCase()}}`
          i = escape.end - 1
          continue
        }
      } else if (next === 'c' && /^[A-Za-z]$/.test(pattern[i + 2] ?? '')) {
        out += `\\x{${((pattern.charCodeAt(i + 2) % 32)).toString(16).toUpperCase()}}`
        i += 2
        continue
      } else if (next === 's') {
        out += inClass ? JS_SPACE : `[${JS_SPACE}]`
        i += 1
        continue
      } else if (next === 'S' && !inClass) {
        out += `[^${JS_SPACE}]`
        i += 1
        continue
      }
      out += c + next
      i += 1
      continue
    }
    if (!inClass && c === '[') {
      const negated = pattern[i + 1] === '^'
      const close = i + (negated ? 2 : 1)
      if (pattern[close] === ']') {
        // ECMAScript: [] never matches, [^] matches any character (RE2 would read `]` as a member).
        out += negated ? '[\\x{0}-\\x{10FFFF}]' : '[^\\x{0}-\\x{10FFFF}]'
        i = close
        continue
      }
      inClass = true
      out += negated ? '[^' : '['
      i = close - 1
      continue
    }
    if (inClass && c === ']') inClass = false
    out += !inClass && c === '.' ? JS_DOT : c
  }
  return out
}

function readUnicodeEscape (pattern: string, at: number): { codePoint: number, end: number } | null {
  if (pattern[at + 2] === '{') {
    const close = pattern.indexOf('}', at + 3)
    const hex = close === -1 ? '' : pattern.slice(at + 3, close)
    if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || Number.parseInt(hex, 16) > 0x10FFFF) return null
    return { codePoint: Number.parseInt(hex, 16), end: close + 1 }
  }
  const hex = pattern.slice(at + 2, at + 6)
  if (!HEX4.test(hex)) return null
  const unit = Number.parseInt(hex, 16)
  const low = pattern.slice(at + 8, at + 12)
  if (unit >= 0xD800 && unit <= 0xDBFF && pattern.slice(at + 6, at + 8) === '\\u' && HEX4.test(low)) {
    const lowUnit = Number.parseInt(low, 16)
    if (lowUnit >= 0xDC00 && lowUnit <= 0xDFFF) return { codePoint: 0x10000 + ((unit - 0xD800) << 10) + (lowUnit - 0xDC00), end: at + 12 }
  }
  return { codePoint: unit, end: at + 6 }
}

/**
 * ajv's `code.regExp`: patterns run on RE2 (linear time, `^(a+)+$` cannot backtrack). ajv caches
 * compiled patterns by `toString()`, so the RE2JS object itself is returned (its toString() is
 * the pattern); a wrapper object would make every pattern share one cache slot. Patterns RE2
 * cannot compile throw, and the schema is refused.
 */
export const re2RegExp = Object.assign((pattern: string, _flags: string) => RE2JS.compile(toRe2Syntax(pattern)), { code: 'RE2JS' })
