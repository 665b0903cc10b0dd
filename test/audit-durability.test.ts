import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { qwed } from '../lib/fastify.js'
import { createVerifier } from '../lib/verifier.js'
import { scriptEngine } from './helpers/engines.js'
import { countAuditRows, tempAuditDb } from './helpers/audit-db.js'

const silent = { info () {}, warn () {}, error () {} }

const tempDb = (t: Test): string => tempAuditDb(t, 'qwed-durable-')
const countRows = countAuditRows

t.test('Fastify with its logger off and no audit sink: one warning naming audit.logger', async (t) => {
  const warnings: Error[] = []
  const listen = (warning: Error): void => { if ((warning as { code?: string }).code === 'QWED_AUDIT_NO_SINK') warnings.push(warning) }
  process.on('warning', listen)
  t.teardown(() => { process.off('warning', listen) })
  const apps: Array<ReturnType<typeof Fastify>> = []
  // A sink configured, or Fastify's logger on: no warning.
  for (const [logger, audit] of [[false, { logger: silent }], [false, false], [true, undefined]] as const) {
    const app = Fastify({ logger })
    await app.register(qwed, audit === undefined ? {} : { audit })
    apps.push(app)
  }
  for (let i = 0; i < 2; i++) {
    const app = Fastify({ logger: false })
    await app.register(qwed)
    apps.push(app)
  }
  await new Promise((resolve) => setImmediate(resolve))
  t.teardown(async () => { for (const app of apps) await app.close() })
  t.equal(warnings.length, 1, 'once per process')
  t.match(warnings[0]?.message, /audit\.logger/)
})

async function app (path: string, durability?: 'async' | 'before-response', store?: unknown): Promise<ReturnType<typeof Fastify>> {
  const server = Fastify({ logger: false })
  // A flush interval far past the test: in async mode nothing is stored before the response.
  await server.register(qwed, { warmUp: false, extraEngines: [scriptEngine()], audit: { logger: silent, store: (store ?? 'sqlite') as never, ...(store === undefined ? { path } : {}), queue: { flushIntervalMs: 60_000 }, ...(durability === undefined ? {} : { durability }) } })
  server.post('/v', { config: { qwed: { claims: (body: { verdicts: string[] }) => body.verdicts.map((verdict, id) => ({ type: 'script', verdict, id }) as never) } } }, async (request) => request.body)
  return server
}

t.test('before-response: the records are in the store when the client gets the response; async: not yet', async (t) => {
  const durablePath = tempDb(t)
  const durable = await app(durablePath, 'before-response')
  t.teardown(async () => { await durable.close() })
  const res = await durable.inject({ method: 'POST', url: '/v', payload: { verdicts: ['true', 'true', 'false'] } })
  t.equal(res.statusCode, 422)
  t.equal(countRows(durablePath), 3, 'every claim of the response is stored')
  const ok = await durable.inject({ method: 'POST', url: '/v', payload: { verdicts: ['true'] } })
  t.equal(ok.statusCode, 200)
  t.equal(countRows(durablePath), 4)

  const asyncPath = tempDb(t)
  const later = await app(asyncPath)
  t.teardown(async () => { await later.close() })
  t.equal((await later.inject({ method: 'POST', url: '/v', payload: { verdicts: ['true'] } })).statusCode, 200)
  t.equal(countRows(asyncPath), 0, 'async: the record waits in the queue')
})

t.test('before-response: a record that cannot be stored is not released: 503 audit.unavailable', async (t) => {
  const failing = { append () { throw new Error('disk full') }, query: () => [], verifyChain: () => { throw new Error('unused') } }
  const server = await app('', 'before-response', failing)
  t.teardown(async () => { await server.close() })
  const res = await server.inject({ method: 'POST', url: '/v', payload: { verdicts: ['true'] } })
  t.equal(res.statusCode, 503)
  t.ok(res.headers['retry-after'])
  const direct = await server.qwed.verify({ type: 'script', verdict: 'true' } as never)
  t.equal(direct.developer_fields.constraint_id, 'audit.unavailable')
  t.equal(direct.admission, 'BLOCKED')
})

t.test('audit.durability is checked at registration', async (t) => {
  t.throws(() => createVerifier({ audit: { durability: 'before-response' } }), /audit\.durability.*needs audit\.store/)
  t.throws(() => createVerifier({ audit: { store: 'sqlite', path: '/tmp/x.db', durability: 'sync' as never } }), /audit\.durability/)
})
