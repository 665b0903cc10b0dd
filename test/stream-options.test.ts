import { Readable } from 'node:stream'
import t from 'tap'
import Fastify from 'fastify'
import qwed, { QwedOptionsError } from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import type { StreamOutcome } from '../lib/stream/verify.js'
import { findTestClaims } from './helpers/stream.js'

// The `stream` option is checked at registration; request.qwed and the metrics after a stream.

t.test('stream options are checked at registration, naming the bad one', async (t) => {
  t.throws(() => qwedExpress({ stream: { maxHeldBytes: 10 } }), new QwedOptionsError('stream.maxHeldBytes', 'must be an integer between 64 and 67108864'))
  t.throws(() => qwedExpress({ stream: { maxHoldMs: 1.5 } }), QwedOptionsError)
  t.throws(() => qwedExpress({ stream: { maxHold: 5 } as any }), /stream\.maxHold/)
  t.throws(() => qwedExpress({ stream: 'fast' as any }), /stream/)
  const mw = qwedExpress({ audit: false, stream: { maxHoldMs: 500 } })
  t.throws(() => mw.route({ claims: () => null, stream: { maxHeldBytes: -1 } }), /routeOptions\.stream\.maxHeldBytes/)
  t.doesNotThrow(() => mw.route({ claims: () => null, stream: { maxHeldBytes: 4096 } }))
  await mw.close()

  const app = Fastify()
  await app.register(qwed, { audit: false })
  t.throws(() => app.get('/x', { config: { qwed: { claims: () => null, stream: { maxHoldMs: 0 } } } }, async () => 'x'), /config\.qwed \(route \/x\)\.stream\.maxHoldMs/)
  await app.close()
})

t.test('a route\'s maxHeldBytes applies: a fence longer than it is stopped (closed policy)', async (t) => {
  const app = Fastify()
  await app.register(qwed, { audit: false, metrics: { endpoint: '/metrics' } })
  let outcome: StreamOutcome | undefined
  app.addHook('onResponse', async (request) => { if (request.url.startsWith('/answer')) outcome = request.qwed as StreamOutcome })
  app.get('/answer', { config: { qwed: { claims: (unit: string) => findTestClaims(unit), stream: { maxHeldBytes: 256 } } } }, async (_request, reply) => {
    reply.type('text/markdown')
    return Readable.from(['Code:\n```python\n', 'x = 1\n'.repeat(100), '```\nDone 1 + 1 = 2\n'])
  })
  const res = await app.inject({ method: 'GET', url: '/answer' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'Code:\n', 'the fence never leaves')
  t.equal(outcome?.decision, 'fail_closed')
  t.equal(outcome?.stream.stopped, 'hold_limit')
  t.equal(outcome?.results[0]?.developer_fields.reason, 'stream_held_bytes')

  const ok = await app.inject({ method: 'GET', url: '/answer' })
  t.equal(ok.body, 'Code:\n')
  const metrics = await app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /qwed_stream_held_bytes_count\{route="\/answer",format="text"\} 2/)
  t.match(metrics.body, /qwed_unavailable_total\{route="\/answer",policy="closed"\} 2/)
  await app.close()
})

t.test('request.qwed holds the stream outcome; the hold time is measured per unit with claims', async (t) => {
  const app = Fastify()
  await app.register(qwed, { audit: false, metrics: { endpoint: '/metrics' } })
  let outcome: StreamOutcome | undefined
  app.addHook('onResponse', async (request) => { if (request.url === '/answer') outcome = request.qwed as StreamOutcome })
  app.get('/answer', { config: { qwed: { claims: (unit: string) => findTestClaims(unit) } } }, async (_request, reply) => {
    reply.type('text/plain')
    return Readable.from(['One: 1 + ', '1 = 2\nTwo: 2 + 2 = 4\n'])
  })
  const res = await app.inject({ method: 'GET', url: '/answer' })
  t.equal(res.body, 'One: 1 + 1 = 2\nTwo: 2 + 2 = 4\n')
  t.match(outcome, { decision: 'admit', status: 'VERIFIED', stream: { format: 'text', claims: 2, stopped: null, bytes_sent: res.rawPayload.length } })
  t.equal(outcome?.results.length, 2)
  const metrics = await app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /qwed_stream_hold_seconds_count\{route="\/answer",format="text"\} 2/)
  await app.close()
})

t.test('the example streamed chat route (claims: auto): a wrong figure in a streamed answer is never received', async (t) => {
  const { buildServer } = await import('../examples/fastify-server.js')
  const app = await buildServer({ logger: false, audit: false })
  t.teardown(() => app.close())
  // The text a chat client renders: the chunks' delta contents, before the closing event.
  const rendered = (body: string): string => body.split('event: qwed')[0]?.split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => JSON.parse(line.slice(6)).choices[0].delta.content as string).join('') ?? ''
  const right = await app.inject({ method: 'POST', url: '/chat/stream', payload: { a: 6, b: 7, c: 5 } })
  t.equal(rendered(right.body), 'Let me work it out.\nFirst 6 * 7 = 42.\nThen 42 + 5 = 47.\nHope this helps!\n')
  t.match(right.body, /event: qwed\ndata: \{"code":"QWED_VERIFIED"/)
  const wrong = await app.inject({ method: 'POST', url: '/chat/stream', payload: { a: 7, b: 7, c: 5 } })
  t.equal(rendered(wrong.body), 'Let me work it out.\nFirst ', 'neither the wrong product nor its statement')
  t.notMatch(wrong.body.split('event: qwed')[0], /50/)
  t.match(wrong.body, /event: qwed\ndata: \{"statusCode":422,"code":"QWED_BLOCKED"/)
})
