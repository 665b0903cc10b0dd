import t from 'tap'
import { TurnQueue } from '../lib/turn-queue.js'
import { checkClaim } from '../lib/guard/input.js'
import { resolveClaimLimits } from '../lib/guard/limits.js'
import { createVerifier } from '../lib/verifier.js'
import type { Claim } from '../types/claims.js'
import type { Engine, EngineResult } from '../types/engine.js'
import { captureLogger } from './helpers/engines.js'

t.test('the turn queue runs one step per turn of the event loop: what else is waiting runs between two steps', async (t) => {
  const queue = new TurnQueue()
  const order: string[] = []
  const steps = ['a', 'b', 'c'].map(async (name) => await queue.run(() => { order.push(name); return name }))
  t.equal(queue.waiting, 3)
  setImmediate(() => order.push('other'))
  t.same(await Promise.all(steps), ['a', 'b', 'c'])
  t.same(order, ['a', 'other', 'b', 'c'], 'an immediate scheduled after the burst ran before its second step')
  t.equal(queue.waiting, 0)
  await t.rejects(queue.run(() => { throw new Error('step failed') }), { message: 'step failed' })
  t.equal(await queue.run(() => 7), 7, 'and goes on after a failed step')
})

// A test engine for big claims: records the order of its calls among the event loop's other work.
interface BlobClaim { type: 'blob', values: number[], verdict?: string }
function blobEngine (order: string[]): Engine<BlobClaim> {
  return {
    name: 'blob',
    claimTypes: ['blob'],
    async verify (claim): Promise<EngineResult> {
      order.push(`engine ${claim.values[0] as number}`)
      return { status: 'VERIFIED', agent_message: 'ok', developer_fields: { constraint_id: 'blob.ok' }, proof_ref: null, is_authoritative: true }
    }
  }
}
// 20,000 numbers: about 100 KB of JSON, over the verifier's heavy-claim size (64 KB)
const big = (first: number): BlobClaim => ({ type: 'blob', values: [first, ...Array.from({ length: 20_000 }, (_, i) => i + 0.5)] })

t.test('big claims are hashed one per turn, with the same verdicts and claim hashes as a claim checked at once', async (t) => {
  const order: string[] = []
  const verifier = createVerifier({ extraEngines: [blobEngine(order)], audit: false })
  t.teardown(() => verifier.close())
  const pending = [1, 2, 3].map(async (n) => await verifier.verify(big(n) as unknown as Claim))
  setImmediate(() => order.push('tick'))
  const results = await Promise.all(pending)
  t.same(results.map((r) => r.status), ['VERIFIED', 'VERIFIED', 'VERIFIED'])
  t.ok(order.indexOf('tick') < order.indexOf('engine 3'), `other work ran between the big claims (${order.join(', ')})`)

  // the cache key is the claim's usual hash: the same claim again is a hit
  const again = await verifier.verify(big(1) as unknown as Claim)
  t.equal(again.cached, true, 'a big claim is cached under its hash')
  const expected = checkClaim(big(1), new Set(['blob']), resolveClaimLimits(undefined))
  t.ok(expected.ok)
  const audit = captureLogger()
  const withAudit = createVerifier({ extraEngines: [blobEngine([])], audit: { logger: audit.logger } })
  t.teardown(() => withAudit.close())
  await withAudit.verify(big(1) as unknown as Claim)
  t.match(audit.records, [{ claim_hash: `sha256:${(expected as { hash: string }).hash}` }], 'its audit record names the same hash')
})

t.test('too many big claims waiting: the rest are answered busy at once, never admitted', async (t) => {
  const verifier = createVerifier({ extraEngines: [blobEngine([])], audit: false, cache: false })
  t.teardown(() => verifier.close())
  const results = await Promise.all(Array.from({ length: 70 }, async (_, n) => await verifier.verify(big(n) as unknown as Claim)))
  const busy = results.filter((r) => r.developer_fields.reason === 'busy')
  t.equal(busy.length, 70 - 64, 'one busy answer per claim past the 64 waiting')
  t.ok(busy.every((r) => r.status === 'BLOCKED' && r.admission === 'BLOCKED' && r.developer_fields.constraint_id === 'blob.unavailable' && r.developer_fields.waiting === 'claim_guard'))
  t.equal(results.filter((r) => r.status === 'VERIFIED').length, 64)
})

t.test('a big claim over its limits is refused by the walk as before, in its own turn or at once', async (t) => {
  const verifier = createVerifier({ extraEngines: [blobEngine([])], audit: false, limits: { blob: { maxArrayLength: 1000 } } })
  t.teardown(() => verifier.close())
  t.equal((await verifier.verify(big(1) as unknown as Claim)).developer_fields.constraint_id, 'claim.too_many_items', 'a long top-level list: walked in its turn')
  const nested = { type: 'blob', values: [1], more: { rows: Array.from({ length: 1200 }, (_, i) => i) } }
  t.equal((await verifier.verify(nested as unknown as Claim)).developer_fields.constraint_id, 'claim.too_many_items', 'a long nested list: walked at once')
})

t.test('a claim big only below its top level is found heavy by the walk and hashed in a turn of its own', async (t) => {
  const order: string[] = []
  const verifier = createVerifier({ extraEngines: [blobEngine(order)], audit: false })
  t.teardown(() => verifier.close())
  // 30 rows of 400 numbers: no long top-level list, ~100 KB in all
  const deep = (first: number): unknown => ({ type: 'blob', values: [first], rows: Array.from({ length: 30 }, (_, r) => Array.from({ length: 400 }, (_, i) => r * 1000 + i + 0.25)) })
  const pending = [1, 2].map(async (n) => await verifier.verify(deep(n) as Claim))
  setImmediate(() => order.push('tick'))
  const results = await Promise.all(pending)
  t.same(results.map((r) => r.status), ['VERIFIED', 'VERIFIED'])
  t.ok(order.indexOf('tick') < order.indexOf('engine 2'), `other work ran between the two (${order.join(', ')})`)
  t.equal((await verifier.verify(deep(1) as Claim)).cached, true, 'and it is cached under its hash')
})
