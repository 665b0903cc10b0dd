import { createHash } from 'node:crypto'

const MAX_DEPTH = 200
// In unicode mode a surrogate pair is one code point, so this matches lone halves only.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * RFC 8785 (JCS) canonical JSON: keys sorted by UTF-16 code units, ECMAScript number and string
 * serialisation, no whitespace. Throws a TypeError for values JSON cannot represent exactly
 * (non-finite numbers, bigint, functions, symbols, cycles, lone surrogates).
 */
export function canonicalize (value: unknown): string {
  return write(value, 0, new Set())
}

function write (value: unknown, depth: number, seen: Set<object>): string {
  if (depth > MAX_DEPTH) throw new TypeError('value is nested too deeply to canonicalize')
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite number cannot be canonicalized')
      return JSON.stringify(value)
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError('string with a lone surrogate cannot be canonicalized')
      return JSON.stringify(value)
    case 'object':
      break
    default:
      throw new TypeError(`${typeof value} cannot be canonicalized`)
  }
  const obj = value as object
  if (seen.has(obj)) throw new TypeError('cyclic value cannot be canonicalized')
  seen.add(obj)
  let out: string
  if (Array.isArray(obj)) {
    out = '[' + obj.map((item) => write(item === undefined ? null : item, depth + 1, seen)).join(',') + ']'
  } else {
    const toJSON = (obj as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      out = write(toJSON.call(obj), depth + 1, seen)
    } else {
      const record = obj as Record<string, unknown>
      const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort()
      out = '{' + keys.map((k) => write(k, depth + 1, seen) + ':' + write(record[k], depth + 1, seen)).join(',') + '}'
    }
  }
  seen.delete(obj)
  return out
}

export function sha256Hex (text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** `sha256:` + hex SHA-256 of the canonical JSON of `value`. */
export function canonicalHash (value: unknown): string {
  return 'sha256:' + sha256Hex(canonicalize(value))
}
