import t from 'tap'
import { DeadlineQueue } from '../lib/deadline-queue.js'

t.test('work that settles first wins; work that never settles gets onExpiry; a rejection rejects', async (t) => {
  const queue = new DeadlineQueue(30)
  const never = new Promise<string>(() => {})
  const results = await Promise.all([
    queue.race(Promise.resolve('done'), () => 'late'),
    queue.race(never, () => 'late'),
    queue.race(new Promise<string>((resolve) => setImmediate(resolve, 'soon')), () => 'late'),
    queue.race(Promise.reject(new Error('boom')), () => 'late').catch((err: Error) => err.message)
  ])
  t.same(results, ['done', 'late', 'soon', 'boom'])
  t.equal(queue.pending, 0, 'nothing is left behind')
})

t.test('many deadlines, settled out of order, share one queue and all end', async (t) => {
  const queue = new DeadlineQueue(25)
  const resolvers: Array<(v: number) => void> = []
  const races = Array.from({ length: 3000 }, (_, i) => queue.race(new Promise<number>((resolve) => { resolvers[i] = resolve }), () => -1))
  t.equal(queue.pending, 3000)
  // Settle the even ones, backwards; the odd ones are left to the deadline.
  for (let i = resolvers.length - 1; i >= 0; i--) if (i % 2 === 0) resolvers[i]?.(i)
  const values = await Promise.all(races)
  t.ok(values.every((v, i) => v === (i % 2 === 0 ? i : -1)))
  t.equal(queue.pending, 0)
  // A later batch re-arms the timer.
  t.equal(await queue.race(new Promise<number>(() => {}), () => 7), 7)
  t.equal(queue.pending, 0)
})

t.test('settling after the deadline changes nothing', async (t) => {
  const queue = new DeadlineQueue(10)
  let settle: (v: string) => void = () => {}
  const raced = queue.race(new Promise<string>((resolve) => { settle = resolve }), () => 'expired')
  t.equal(await raced, 'expired')
  settle('too late')
  t.equal(await raced, 'expired')
})
