import t, { type Test } from 'tap'
import { canonicalize, canonicalizeByWalk, canonicalizeNative } from '../lib/canonical.js'
import { seeded } from './helpers/stream.js'

// canonicalize() writes plain JSON data with native JSON.stringify (canonicalizeNative) and
// everything else with the value-by-value writer (canonicalizeByWalk), which defines the result.
// These tests compare the two on random values made here (a seeded generator, so a failure
// reproduces) and on the edge cases RFC 8785 and JSON.stringify disagree about.

// Keys whose UTF-16 order differs from code point order ('😀' is D83D DE00, below U+FFFF), that
// look like array indexes (enumerated first by Object.keys, written sorted as text), or that
// need escaping.
const KEYS = ['a', 'b', 'B', 'ab', 'é', 'e\u0301', '€', '😀', '\uFFFF', '\uFF61', '10', '9', '0', '01', '-1', '1.5', '', ' ', '"', '\\', '\n', '\u0007', 'id', 'name', 'type', 'data', 'tags', 'zz']
// Keys the native path must refuse or handle with care: found on Object.prototype, or a lone surrogate.
const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'toJSON', '\uD800', 'x\uDC00y']
const NUMBERS = [0, -0, 1, -1, 0.1, 0.5, 1e21, 1e-7, 1e-6, 1e20, 123456789012345680000, 1e300, -1e-300, 5e-324, 2 ** 53, 2 ** 53 + 2, 4.35, 0.000001, 2 ** 53 + 1, 1.7976931348623157e308]
const ODD_NUMBERS = [Number.NaN, Infinity, -Infinity]
const UNITS = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', 'é', '€', '😀', '\uD83D\uDE00', '\uFEFF', '\u{10FFFF}']
const LONE = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF']

interface Gen { rnd: () => number, odd: number }

function pick<T> (g: Gen, list: readonly T[]): T {
  return list[Math.floor(g.rnd() * list.length)] as T
}

function randomString (g: Gen): string {
  let s = ''
  const n = Math.floor(g.rnd() * 8)
  for (let i = 0; i < n; i++) s += g.rnd() < g.odd ? pick(g, LONE) : pick(g, UNITS)
  return s
}

function randomNumber (g: Gen): number {
  const r = g.rnd()
  if (r < g.odd) return pick(g, ODD_NUMBERS)
  if (r < 0.4) return pick(g, NUMBERS)
  if (r < 0.7) return Math.floor((g.rnd() - 0.5) * 2 ** (g.rnd() * 60))
  return (g.rnd() - 0.5) * 10 ** Math.floor(g.rnd() * 60 - 30)
}

function setKey (target: object, key: string, value: unknown): void {
  // As JSON.parse does: an own property even for '__proto__'.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** Something canonicalizeByWalk refuses or writes unlike JSON.stringify. */
function oddValue (g: Gen, depth: number): unknown {
  switch (Math.floor(g.rnd() * 16)) {
    case 0: return undefined
    case 1: return () => 1
    case 2: return Symbol('s')
    case 3: return 10n
    case 4: return new Date(Math.floor(g.rnd() * 2e12))
    case 5: return new Number(1.5) // eslint-disable-line no-new-wrappers
    case 6: return new String('ab') // eslint-disable-line no-new-wrappers
    case 7: return new Map([[1, 2]])
    case 8: return new (class Point { x = 1 })()
    case 9: { const inner = randomValue(g, depth + 1); return { toJSON: () => inner } }
    case 10: return Object.assign([1, 2], { toJSON: () => 'array toJSON' })
    case 11: { const holes = [1, 2, 3]; delete holes[1]; return holes }
    case 12: { const o = { a: 1 }; Object.defineProperty(o, pick(g, KEYS), { value: 2, enumerable: false }); return o }
    case 13: { const o = { a: 1 }; Object.defineProperty(o, 'b', { get: () => 3, enumerable: true }); return o }
    case 14: return [undefined, 1]
    default: return pick(g, LONE)
  }
}

function randomValue (g: Gen, depth: number): unknown {
  const r = g.rnd()
  if (r < g.odd) return oddValue(g, depth)
  const leaf = depth >= 5 || r < 0.45
  if (leaf) {
    const k = g.rnd()
    return k < 0.35 ? randomNumber(g) : k < 0.7 ? randomString(g) : k < 0.8 ? true : k < 0.9 ? false : null
  }
  if (g.rnd() < 0.4) return Array.from({ length: Math.floor(g.rnd() * 6) }, () => randomValue(g, depth + 1))
  const target: Record<string, unknown> = g.rnd() < 0.15 ? Object.create(null) as Record<string, unknown> : {}
  let keys = Array.from({ length: Math.floor(g.rnd() * 6) }, () => g.rnd() < g.odd ? pick(g, ODD_KEYS) : pick(g, KEYS))
  // Half the objects have their keys in canonical order already.
  if (g.rnd() < 0.5) keys = [...new Set(keys)].sort()
  for (const key of keys) setKey(target, key, randomValue(g, depth + 1))
  return target
}

type Outcome = { text: string } | { error: string }

function outcome (fn: () => string): Outcome {
  try {
    return { text: fn() }
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` }
  }
}

/** canonicalize() and canonicalizeNative() agree with the writer on `value`; true when the native path answered. */
function agree (t: Test, value: unknown, label: string): boolean {
  const reference = outcome(() => canonicalizeByWalk(value))
  const native = canonicalizeNative(value)
  if (native !== undefined && !('text' in reference && reference.text === native)) {
    t.fail(`${label}: native ${JSON.stringify(native)} but the writer gives ${JSON.stringify(reference)}`)
  }
  const full = outcome(() => canonicalize(value))
  if (JSON.stringify(full) !== JSON.stringify(reference)) t.fail(`${label}: canonicalize ${JSON.stringify(full)}, writer ${JSON.stringify(reference)}`)
  return native !== undefined
}

t.test('random plain JSON data: the native path answers and matches the writer', async (t) => {
  const g: Gen = { rnd: seeded(18_003), odd: 0 }
  let native = 0
  const N = 3000
  for (let i = 0; i < N; i++) if (agree(t, randomValue(g, 0), `plain #${i}`)) native++
  // Lone surrogates and non-finite numbers come only with odd > 0: every plain value takes the native path.
  t.equal(native, N, 'the native path answered for every plain value')
})

t.test('random values with odd members: same text or same error as the writer', async (t) => {
  for (const odd of [0.01, 0.05, 0.2]) {
    const g: Gen = { rnd: seeded(Math.round(odd * 1000)), odd }
    let native = 0
    const N = 3000
    for (let i = 0; i < N; i++) if (agree(t, randomValue(g, 0), `odd ${odd} #${i}`)) native++
    t.ok(native > 0 && native < N, `odd ${odd}: both paths exercised (native ${native} of ${N})`)
  }
})

t.test('edge cases of RFC 8785 against JSON.stringify', async (t) => {
  const protoKey = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as unknown
  const hidden = Object.defineProperty({ a: 1 }, 'name', { value: 2, enumerable: false })
  const nullProto = Object.assign(Object.create(null) as object, { b: 1, a: [1, { d: 2, c: 3 }] })
  const cases: Array<[string, unknown, string | null]> = [
    ['UTF-16 code unit order', { '\uFFFF': 1, '😀': 2, '€': 3, a: 4, B: 5 }, '{"B":5,"a":4,"€":3,"😀":2,"\uFFFF":1}'],
    ['index-like keys sort as text', { b: 1, 10: 2, 9: 3, 1: 4 }, '{"1":4,"10":2,"9":3,"b":1}'],
    ['numbers', [-0, 1e21, 1e-7, 1e-6, 1e20, 0.1, 5e-324, 1.7976931348623157e308], '[0,1e+21,1e-7,0.000001,100000000000000000000,0.1,5e-324,1.7976931348623157e+308]'],
    ['escapes', ['\u0000\u001f"\\/\n\u2028😀'], '["\\u0000\\u001f\\"\\\\/\\n\u2028😀"]'],
    ['own __proto__ key', protoKey, '{"__proto__":{"x":1},"a":2}'],
    ['constructor key', { b: { constructor: 1 }, a: {} }, '{"a":{},"b":{"constructor":1}}'],
    ['null prototype', nullProto, '{"a":[1,{"c":3,"d":2}],"b":1}'],
    ['a non-function toJSON member is data', { toJSON: 1, a: 2 }, '{"a":2,"toJSON":1}'],
    ['a non-enumerable key another object has', { b: { name: 1 }, a: hidden }, '{"a":{"a":1},"b":{"name":1}}'],
    ['empty containers', { b: [], a: {} }, '{"a":{},"b":[]}'],
    ['lone surrogate in a value', ['\uD800'], null],
    ['lone surrogate in a key', { '\uDC00': 1 }, null],
    ['NaN', { a: Number.NaN }, null],
    ['hole', [1, , 2], null], // eslint-disable-line no-sparse-arrays
    ['array with toJSON', Object.assign([1], { toJSON: () => 'x' }), '[1]']
  ]
  for (const [label, value, expected] of cases) {
    agree(t, value, label)
    if (expected === null) t.throws(() => canonicalize(value), TypeError, label)
    else t.equal(canonicalize(value), expected, label)
  }
})

t.test('nesting around the writer\'s depth limit', async (t) => {
  for (let depth = 190; depth <= 205; depth++) {
    let arrays: unknown = 1
    let objects: unknown = { z: 1, a: 2 }
    let empty: unknown = []
    for (let i = 0; i < depth; i++) {
      arrays = [arrays]
      objects = { k: objects }
      empty = [empty]
    }
    for (const [label, value] of [['arrays', arrays], ['objects', objects], ['empty', empty]] as const) {
      agree(t, value, `${label} ${depth}`)
      t.same(outcome(() => canonicalize(value)), outcome(() => canonicalizeByWalk(value)), `${label} ${depth}`)
    }
  }
})

t.test('many differently shaped objects are left to the writer (the property list would cost objects × keys)', async (t) => {
  const value = Array.from({ length: 2000 }, (_, i) => ({ [`k${i}`]: i, a: 1 }))
  t.equal(canonicalizeNative(value), undefined)
  agree(t, value, 'unique keys')
  t.equal(canonicalizeNative({ type: 'schema', data: value }), undefined, 'as a member of a claim too')
  agree(t, { type: 'schema', data: value }, 'unique keys in a claim')
  // Each member of a claim has its own union: the schema's keys do not count against the data's objects.
  const claim = { type: 'schema', data: Array.from({ length: 2000 }, (_, i) => ({ id: i, name: 'n' })), schema: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, { type: 'string' }])) }
  t.type(canonicalizeNative(claim), 'string', 'a wide schema beside a long data set')
  agree(t, claim, 'wide schema beside a long data set')
  const sorted = Array.from({ length: 2000 }, (_, i) => ({ a: 1, [`k${i}`]: i }))
  t.type(canonicalizeNative(sorted), 'string', 'keys already in order need no property list')
  agree(t, sorted, 'unique keys in order')
})

t.test('a toJSON on Object.prototype reaches every object: left to the writer', async (t) => {
  const proto = Object.prototype as { toJSON?: unknown }
  proto.toJSON = () => 'polluted'
  try {
    t.equal(canonicalizeNative({ a: 1 }), undefined)
    agree(t, { b: { a: 1 } }, 'polluted toJSON')
  } finally {
    delete proto.toJSON
  }
  const key = Object.prototype as Record<string, unknown>
  key.polluted = 1
  try {
    agree(t, [{ polluted: 2, b: 1 }, { a: 1 }], 'polluted key in the union')
    t.equal(canonicalize([{ polluted: 2, b: 1 }, { a: 1 }]), '[{"b":1,"polluted":2},{"a":1}]')
  } finally {
    delete key.polluted
  }
})
