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
 * Every claim is hashed on its way to the cache, so this runs on the hot path, on the event loop:
 * plain JSON data (what a parsed body holds) is written by the engine's own JSON.stringify in one
 * call (canonicalizeNative); anything else by the value-by-value writer (canonicalizeByWalk),
 * which defines the result. Both give the same text wherever the first applies
 * (test/canonical-native.test.ts compares them on random values).
 */
export function canonicalize (value: unknown): string {
  return canonicalizeNative(value) ?? canonicalizeByWalk(value)
}

/**
 * The value-by-value writer: the definition of canonicalize(). Plain loops and string
 * concatenation; the cycle check only remembers containers.
 */
export function canonicalizeByWalk (value: unknown): string {
  return write(value, 0, [])
}

/**
 * canonicalize() of plain JSON data written by native JSON.stringify, or undefined when the value
 * holds anything it could write differently from canonicalizeByWalk (which then decides, and
 * throws where it must). RFC 8785 numbers and strings are ECMAScript's, exactly what
 * JSON.stringify writes; what differs is key order and what JSON.stringify tolerates. So a first
 * pass (no string is built) accepts only:
 *  - null, booleans, finite numbers, strings without a lone surrogate (JSON.stringify would
 *    escape one; the writer refuses it), in keys too;
 *  - arrays without holes or undefined members and without a toJSON (JSON.stringify would call it,
 *    the writer does not look for one on an array);
 *  - objects whose prototype is Object.prototype or null, whose own string keys are all
 *    enumerable (Object.keys is what both write) and whose values are none of undefined,
 *    functions, symbols or bigints;
 *  - containers less than MAX_DEPTH - 1 deep (the writer's depth error stays the writer's).
 * Key order: when every object's keys are already sorted, JSON.stringify(value) writes them as
 * they are. Otherwise JSON.stringify(value, keys) with the sorted union of all keys as its property
 * list writes every object's keys in that order, skipping those an object lacks (an absent key
 * reads undefined: no key of the list may be found on Object.prototype, and Object.prototype has no
 * toJSON). That costs (objects × keys in the union) reads, so a value whose union is much larger
 * than its objects' own keys (many differently shaped objects) is left to the writer. A plain
 * object at the top (a claim) is written member by member, each with its own union: the keys of a
 * schema do not make the 12,000 objects of the data set beside it read them all.
 * Getters and proxies are read here and again by JSON.stringify, so one that answers differently
 * the second time could be written unlike the writer would (plain data has neither).
 */
export function canonicalizeNative (value: unknown): string | undefined {
  // A toJSON on Object.prototype (a polluted prototype) would reach every plain object.
  if ((Object.prototype as { toJSON?: unknown }).toJSON !== undefined) return undefined
  const kind = memberKind(value)
  if (kind === BAIL) return undefined
  if (kind === LEAF) return JSON.stringify(value)
  if (Array.isArray(value)) return writeNative(value, 0)
  const record = value as Record<string, unknown>
  const keys = ownKeys(record)
  if (keys === undefined) return undefined
  let out = '{'
  for (const key of keys.sort()) {
    if (hasLoneSurrogate(key)) return undefined
    const member = record[key]
    const k = memberKind(member)
    if (k === BAIL) return undefined
    const text = k === LEAF ? JSON.stringify(member) : writeNative(member as object, 1)
    if (text === undefined) return undefined
    out += (out.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + text
  }
  return out + '}'
}

/** Object.keys of a plain object, or undefined when one of its own keys is not enumerable. */
function ownKeys (record: object): string[] | undefined {
  const keys = Object.keys(record)
  return Object.getOwnPropertyNames(record).length === keys.length ? keys : undefined
}

function hasLoneSurrogate (text: string): boolean {
  return SURROGATE.test(text) && LONE_SURROGATE.test(text)
}

/** canonicalizeNative of one container at `depth` (see there), with one union of keys for all of it. */
function writeNative (root: object, rootDepth: number): string | undefined {
  const union = new Set<string>()
  let inOrder = true
  let objects = 0
  let keyCount = 0
  const stack: object[] = [root]
  const depths: number[] = [rootDepth]
  while (stack.length > 0) {
    const container = stack.pop() as object
    const depth = depths.pop() as number
    if (depth >= MAX_DEPTH - 1) return undefined
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item: unknown = container[i]
        const k = memberKind(item)
        if (k === BAIL) return undefined
        if (k === CONTAINER) {
          stack.push(item as object)
          depths.push(depth + 1)
        }
      }
      continue
    }
    const keys = ownKeys(container)
    if (keys === undefined) return undefined
    objects++
    keyCount += keys.length
    const record = container as Record<string, unknown>
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string
      if (i > 0 && inOrder && (keys[i - 1] as string) > key) inOrder = false
      // Keys repeat (12,000 objects of one shape): each distinct key is tested once.
      if (!union.has(key)) {
        if (hasLoneSurrogate(key)) return undefined
        union.add(key)
      }
      const member = record[key]
      const k = memberKind(member)
      if (k === BAIL) return undefined
      if (k === CONTAINER) {
        stack.push(member as object)
        depths.push(depth + 1)
      }
    }
  }
  if (inOrder) return JSON.stringify(root)
  // About 20 ns a read, against about 1 µs a value for the writer: give up well before that.
  if (objects * union.size > 16 * keyCount + 65_536) return undefined
  for (const key of union) if (key in Object.prototype) return undefined
  return JSON.stringify(root, [...union].sort())
}

const LEAF = 0
const CONTAINER = 1
const BAIL = 2

/** How canonicalizeNative treats one value: written as it is, walked into, or left to the writer. */
function memberKind (value: unknown): typeof LEAF | typeof CONTAINER | typeof BAIL {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? LEAF : BAIL
    case 'string':
      return hasLoneSurrogate(value) ? BAIL : LEAF
    case 'boolean':
      return LEAF
    case 'object': {
      if (value === null) return LEAF
      if (Array.isArray(value)) return (value as { toJSON?: unknown }).toJSON === undefined ? CONTAINER : BAIL
      const proto = Object.getPrototypeOf(value) as unknown
      return proto === Object.prototype || proto === null ? CONTAINER : BAIL
    }
    default:
      return BAIL
  }
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
