// The servers of the HTTP benchmark, in their own process so that autocannon (in the parent) does
// not share an event loop with them. Prints one JSON line { name: url } when all are listening.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import qwed from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import type { Claim } from '../types/claims.js'

const DDL = 'CREATE TABLE orders (id INT, user_id INT, total NUMERIC)'
type Kind = 'bare' | 'hit' | 'miss' | 'sql'

/** The same handler everywhere: what an LLM-backed route returns. */
function answer (n: number) {
  return { text: 'Your total is 1102.5', calculation: `${n} * 1.05^2 = ${(n * 441) / 400}`, sql: `SELECT total FROM orders WHERE id = ${n}` }
}

function claimsFor (kind: Kind) {
  return kind === 'sql'
    ? (p: ReturnType<typeof answer>): Claim => ({ type: 'sql', query: p.sql, schema: DDL })
    : (p: ReturnType<typeof answer>): Claim => ({ type: 'math', expression: p.calculation })
}

// hit: one answer repeated, so every verification after the first is a cache hit.
function counter (kind: Kind): () => ReturnType<typeof answer> {
  let n = 0
  return () => answer(kind === 'hit' ? 1000 : ++n)
}

async function fastifyServer (kind: Kind): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify()
  const next = counter(kind)
  if (kind === 'bare') {
    app.get('/quote', async () => next())
  } else {
    await app.register(qwed, { audit: false })
    app.get('/quote', { config: { qwed: { claims: claimsFor(kind) } } }, async () => next())
  }
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url: `${url}/quote`, close: async () => { await app.close() } }
}

async function expressServer (kind: Kind): Promise<{ url: string, close: () => Promise<void> }> {
  const app = express()
  const next = counter(kind)
  const middleware = kind === 'bare' ? null : qwedExpress({ audit: false })
  if (middleware === null) {
    app.get('/quote', (_req, res) => { res.json(next()) })
  } else {
    app.get('/quote', middleware.route({ claims: claimsFor(kind) }), (_req, res) => { res.json(next()) })
  }
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/quote`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve))
      await middleware?.close()
    }
  }
}

const kinds: Array<[Kind, string]> = [['bare', 'bare'], ['hit', '+ qwed, cache hit'], ['miss', '+ qwed, math miss'], ['sql', '+ qwed, sql miss']]
const servers: Record<string, { url: string, close: () => Promise<void> }> = {}
for (const [kind, label] of kinds) servers[`fastify ${label}`] = await fastifyServer(kind)
for (const [kind, label] of kinds) servers[`express ${label}`] = await expressServer(kind)

process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, s.url]))) + '\n')
process.on('SIGTERM', () => {
  Promise.all(Object.values(servers).map(async (s) => await s.close())).finally(() => process.exit(0))
})
