import t from 'tap'
import { canonicalHash, canonicalize, sha256Hex } from '../lib/canonical.js'
import { redactSecrets } from '../lib/guard/redact.js'

t.test('RFC 8785: sorted keys, ECMAScript numbers and strings, no whitespace', async (t) => {
  t.equal(canonicalize({ b: 1, a: [true, false, null], c: 'x' }), '{"a":[true,false,null],"b":1,"c":"x"}')
  t.equal(canonicalize({ '€': 1, a: 2, B: 3, ab: 4 }), '{"B":3,"a":2,"ab":4,"€":1}', 'UTF-16 code unit order')
  t.equal(canonicalize([1e21, 1e-7, -0, 0.1, 100, 1.5]), '[1e+21,1e-7,0,0.1,100,1.5]')
  t.equal(canonicalize('line\n"quoted"\u0001é'), '"line\\n\\"quoted\\"\\u0001é"')
  t.equal(canonicalize({ skip: undefined, keep: 1 }), '{"keep":1}', 'undefined members are left out')
  t.equal(canonicalize([undefined, 1]), '[null,1]', 'undefined in an array is null')
  t.equal(canonicalize({ when: new Date('2026-11-26T00:00:00.000Z') }), '{"when":"2026-11-26T00:00:00.000Z"}', 'toJSON is honoured')
  t.equal(canonicalize('😀'), '"😀"', 'a surrogate pair is fine')
  const shared = { x: 1 }
  t.equal(canonicalize([shared, shared]), '[{"x":1},{"x":1}]', 'a repeated (not cyclic) object is fine')
})

t.test('values JSON cannot represent exactly are refused', async (t) => {
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  let deep: unknown = 1
  for (let i = 0; i < 300; i++) deep = [deep]
  for (const [value, why] of [
    [Number.NaN, /non-finite/], [Infinity, /non-finite/], [10n, /bigint/], [() => 1, /function/],
    [Symbol('s'), /symbol/], [cyclic, /cyclic/], [deep, /too deeply/], ['\ud800', /lone surrogate/],
    // eslint-disable-next-line no-sparse-arrays
    [[1, , 2], /hole/], [{ toJSON: () => new Array(2) }, /hole/]
  ] as Array<[unknown, RegExp]>) {
    t.throws(() => canonicalize(value), why)
  }
})

t.test('hashes are sha256 of the canonical form', async (t) => {
  t.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  t.equal(canonicalHash({ b: 2, a: 1 }), canonicalHash({ a: 1, b: 2 }))
  t.match(canonicalHash([1]), /^sha256:[0-9a-f]{64}$/)
})

t.test('redactSecrets replaces every occurrence, deeply, and leaves other values alone', async (t) => {
  const value = { a: 'key=s3cr3t and s3cr3t', list: ['s3cr3t', 1, null, { inner: 'xs3cr3tx' }], n: 5 }
  t.same(redactSecrets(value, ['s3cr3t']), { a: 'key=[REDACTED] and [REDACTED]', list: ['[REDACTED]', 1, null, { inner: 'x[REDACTED]x' }], n: 5 })
  t.equal(redactSecrets(value, []), value, 'no secrets: the same object')
  t.equal(redactSecrets(value, ['']), value, 'an empty secret redacts nothing')
  let deep: unknown = 's3cr3t'
  for (let i = 0; i < 60; i++) deep = { d: deep }
  t.notMatch(JSON.stringify(redactSecrets(deep, ['s3cr3t'])), 's3cr3t', 'too deep is dropped, never left unscrubbed')
})
