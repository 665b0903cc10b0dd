import { hash } from 'node:crypto'

const MAX_DEPTH = 200
// In unicode mode a surrogate pair is one code point, so this matches lone halves only.
const LONE_SURROGATE = /\p{Cs}/u
// Any surrogate code unit at all: most strings have none, and only those need the lone-half test.
const SURROGATE = /[\uD800-\uDFFF]/

/**
 * RFC 8785 (JCS) canonical JSON: keys sorted by UTF-16 code units, ECMAScript number and string
 * serialisation, no whitespace. Throws a TypeError for values JSON cannot represent exactly
 * (non-finite numbers, bigint, functions, symbols, cycles, lone surrogates, holes in arrays).
 *
 * Every claim is hashed on its way to the cache, so this runs on the hot path: plain loops and
 * string concatenation, and the cycle check only remembers containers.
 */
export function canonicalize (value: unknown): string {
  return write(value, 0, [])
}

function write (value: unknown, depth: number, open: object[]): string {
  if (depth > MAX_DEPTH) throw new TypeError('value is nested too deeply to canonicalize')
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      if (SURROGATE.test(value) && LONE_SURROGATE.test(value)) throw new TypeError('string with a lone surrogate cannot be canonicalized')
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite number cannot be canonicalized')
      return JSON.stringify(value)
    case 'object':
      break
    default:
      throw new TypeError(`${typeof value} cannot be canonicalized`)
  }
  const obj = value as object
  // `open` holds the containers being written (at most MAX_DEPTH): a value met again inside itself is a cycle.
  if (open.includes(obj)) throw new TypeError('cyclic value cannot be canonicalized')
  open.push(obj)
  let out: string
  if (Array.isArray(obj)) {
    out = '['
    for (let i = 0; i < obj.length; i++) {
      // a hole is not JSON (JSON.stringify would invent a null for it)
      if (!(i in obj)) throw new TypeError('array with a hole cannot be canonicalized')
      const item: unknown = obj[i]
      if (i > 0) out += ','
      out += write(item === undefined ? null : item, depth + 1, open)
    }
    out += ']'
  } else {
    const toJSON = (obj as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      out = write(toJSON.call(obj), depth + 1, open)
    } else {
      const record = obj as Record<string, unknown>
      // Default sort compares UTF-16 code units, as RFC 8785 asks.
      const keys = Object.keys(record).sort()
      out = '{'
      let first = true
      for (const key of keys) {
        const member = record[key]
        if (member === undefined) continue
        if (!first) out += ','
        first = false
        out += write(key, depth + 1, open) + ':' + write(member, depth + 1, open)
      }
      out += '}'
    }
  }
  open.pop()
  return out
}

/** Hex SHA-256 of the UTF-8 bytes of `text` (one-shot: no Hash object per call). */
export function sha256Hex (text: string): string {
  return hash('sha256', text, 'hex')
}

/** `sha256:` + hex SHA-256 of the canonical JSON of `value`. */
export function canonicalHash (value: unknown): string {
  return 'sha256:' + sha256Hex(canonicalize(value))
}
