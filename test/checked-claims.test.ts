import t from 'tap'
import { CheckedClaims } from '../lib/cache.js'

// The guard's memo for flat claims (lib/cache.ts): which claims it may recognise by their JSON text.
t.test('only short flat plain objects of scalars are recognised by their text', async (t) => {
  const memo = new CheckedClaims<string>(2)
  t.equal(memo.textOf({ type: 'math', expression: '2 + 2 = 4', n: 1, ok: true, none: null }), '{"type":"math","expression":"2 + 2 = 4","n":1,"ok":true,"none":null}')
  t.equal(memo.textOf({ type: 'math', nested: { a: 1 } }), undefined, 'a nested object')
  t.equal(memo.textOf({ type: 'stats', data: [1, 2] }), undefined, 'a list')
  t.equal(memo.textOf({ type: 'math', n: Number.NaN }), undefined, 'a non-finite number')
  t.equal(memo.textOf({ type: 'math', when: new Date(0) }), undefined, 'a Date')
  t.equal(memo.textOf(new (class Claim { type = 'math' })()), undefined, 'a class instance')
  t.equal(memo.textOf({ type: 'math', expression: 'x'.repeat(2000) }), undefined, 'a long text')
  const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]))
  t.equal(memo.textOf({ type: 'math', ...many }), undefined, 'many short fields: not written out before the guard')
  const inherited = Object.assign(Object.create({ hidden: 'x' }) as object, { type: 'math' })
  t.equal(memo.textOf(inherited), undefined, 'a prototype other than Object.prototype')
  t.equal(memo.textOf(null), undefined)
  t.equal(memo.textOf([]), undefined)
})

t.test('at most max entries are kept, the oldest dropped first', async (t) => {
  const memo = new CheckedClaims<string>(2)
  memo.set('a', 'A')
  memo.set('b', 'B')
  memo.set('c', 'C')
  t.equal(memo.get('a'), undefined)
  t.equal(memo.get('b'), 'B')
  t.equal(memo.get('c'), 'C')
  memo.clear()
  t.equal(memo.get('c'), undefined)
})
