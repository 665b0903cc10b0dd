// The servers of the HTTP benchmark, in their own process so that autocannon (in the parent) does
// not share an event loop with them. Prints one JSON line { name: url } when all are listening.
import Fastify, { type FastifyInstance } from 'fastify'
import qwed from '../lib/index.js'

const DDL = 'CREATE TABLE orders (id INT, user_id INT, total NUMERIC)'

/** The same handler everywhere: what an LLM-backed route returns. */
function answer (n: number) {
  return { text: 'Your total is 1102.5', calculation: `${n} * 1.05^2 = ${(n * 441) / 400}`, sql: `SELECT total FROM orders WHERE id = ${n}` }
}

async function bare (): Promise<FastifyInstance> {
  const app = Fastify()
  let n = 0
  app.get('/quote', async () => answer(++n))
  return app
}

async function withPlugin (kind: 'hit' | 'miss' | 'sql'): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(qwed, { audit: false })
  let n = 0
  const claims = kind === 'sql'
    ? (p: ReturnType<typeof answer>) => ({ type: 'sql' as const, query: p.sql, schema: DDL })
    : (p: ReturnType<typeof answer>) => ({ type: 'math' as const, expression: p.calculation })
  // hit: one answer repeated, so every verification after the first is a cache hit.
  app.get('/quote', { config: { qwed: { claims } } }, async () => answer(kind === 'hit' ? 1000 : ++n))
  return app
}

const servers: Record<string, FastifyInstance> = {
  'fastify bare': await bare(),
  'fastify + qwed, cache hit': await withPlugin('hit'),
  'fastify + qwed, math miss': await withPlugin('miss'),
  'fastify + qwed, sql miss': await withPlugin('sql')
}
const urls: Record<string, string> = {}
for (const [name, app] of Object.entries(servers)) {
  urls[name] = (await app.listen({ host: '127.0.0.1', port: 0 })) + '/quote'
}
process.stdout.write(JSON.stringify(urls) + '\n')
process.on('SIGTERM', () => {
  Promise.all(Object.values(servers).map(async (app) => await app.close())).finally(() => process.exit(0))
})
