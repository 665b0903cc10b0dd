// The remote client under load: a server that answers well inside the deadline never opens the
// breaker, however many claims queue for a connection; a claim that cannot get one in time is
// answered busy and never sent. Verdicts and counts only, no elapsed-time bounds.
import t from 'tap'
import type { Claim } from '../types/claims.js'
import { connectionsFor, CONNECTIONS_RANGE } from '../lib/engines/remote/http.js'
import { createVerifier } from '../lib/verifier.js'
import { startQwedServer } from './helpers/qwed-server.js'

t.setTimeout(300_000)

t.test('connections follow the rate: the requests in flight when each takes the whole deadline', async (t) => {
  t.equal(connectionsFor(100, 3000), CONNECTIONS_RANGE.min, 'a small rate keeps the usual pool')
  t.equal(connectionsFor(4800, 3000), 240, '80 requests a second, 3 s each')
  t.equal(connectionsFor(1_000_000, 3000), CONNECTIONS_RANGE.max, 'bounded')
})

t.test('a slow server inside the deadline, more claims than connections: VERIFIED or busy, never a failure, the breaker stays closed', async (t) => {
  const server = await startQwedServer({ perKeyLimit: 1_000_000 })
  server.always({ kind: 'delay', ms: 150 })
  const verifier = createVerifier({
    remote: { url: server.url, apiKey: server.apiKey, timeoutMs: 4000, connections: 2, ratePerMinute: 1_000_000 },
    engines: { math: 'remote' },
    breaker: { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 60_000 },
    cache: false,
    audit: false
  })
  t.teardown(async () => { await verifier.close(); await server.close() })
  const claims: Claim[] = Array.from({ length: 40 }, (_, i) => ({ type: 'math', expression: `${i} + 1 = ${i + 1}` }))
  const results = await Promise.all(claims.map(async (claim) => await verifier.verify(claim)))
  const verified = results.filter((r) => r.status === 'VERIFIED')
  const busy = results.filter((r) => r.developer_fields.reason === 'busy')
  t.equal(verified.length + busy.length, results.length, JSON.stringify(results.filter((r) => r.status !== 'VERIFIED' && r.developer_fields.reason !== 'busy').map((r) => r.developer_fields)))
  t.ok(verified.length >= 2, `${verified.length} verified, ${busy.length} busy`)
  for (const r of busy) t.match(r.developer_fields, { constraint_id: 'remote.unavailable', queue: 'connections' })
  t.equal(server.verifyCalls(), verified.length, 'a busy claim was never sent')
  t.ok(server.connections() <= 2, `at most remote.connections sockets (${server.connections()})`)
  t.match(await verifier.metrics.registry.metrics(), /qwed_breaker_state\{engine="remote"\} 0/)
  t.equal((await verifier.verify({ type: 'math', expression: '2 + 2 = 4' })).status, 'VERIFIED', 'and it still answers')
})
