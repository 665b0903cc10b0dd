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
type Kind = 'bare' | 'hit' | 'miss' | 'sql' | 'text' | 'auto'

/** The same handler everywhere: what an LLM-backed route returns. */
function answer (n: number) {
  return { text: 'Your total is 1102.5', calculation: `${n} * 1.05^2 = ${(n * 441) / 400}`, sql: `SELECT total FROM orders WHERE id = ${n}` }
}

/** A 2 KB chat answer in Markdown with three figures (different for each request: no cache hits). */
function chat (n: number): string {
  const prose = 'Here is how the plan works, step by step, with the figures you asked for. '
  // n * 1.1025 rounded half up to cents, in integers (toFixed on a float can round a half down).
  const cents = Math.round((n * 441) / 4)
  const grown = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`
  const figures = `You pay 12 × $${n}.00 = $${12 * n}.00 a year; ${n} * (1 + 5/100)^2 = ${grown}; and ${n}% of 200 = ${2 * n}.`
  return `**Your plan**\n\n${prose.repeat(12)}\n\n${figures}\n\n${prose.repeat(12)}\n`
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

function handler (kind: Kind): () => unknown {
  if (kind !== 'text' && kind !== 'auto') return counter(kind)
  let n = 0
  return () => chat(++n)
}

function routeOptions (kind: Kind) {
  return kind === 'auto' ? { claims: 'auto' as const } : { claims: claimsFor(kind) }
}

async function fastifyServer (kind: Kind): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify()
  const next = handler(kind)
  if (kind === 'bare' || kind === 'text') {
    app.get('/quote', async () => next())
  } else {
    await app.register(qwed, { audit: false })
    app.get('/quote', { config: { qwed: routeOptions(kind) } }, async () => next())
  }
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url: `${url}/quote`, close: async () => { await app.close() } }
}

async function expressServer (kind: Kind): Promise<{ url: string, close: () => Promise<void> }> {
  const app = express()
  const next = handler(kind)
  const send = (res: express.Response): void => { const body = next(); typeof body === 'string' ? res.type('text/plain').send(body) : res.json(body) }
  const middleware = kind === 'bare' || kind === 'text' ? null : qwedExpress({ audit: false })
  if (middleware === null) {
    app.get('/quote', (_req, res) => { send(res) })
  } else {
    app.get('/quote', middleware.route(routeOptions(kind)), (_req, res) => { send(res) })
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

const kinds: Array<[Kind, string]> = [['bare', 'bare'], ['hit', '+ qwed, cache hit'], ['miss', '+ qwed, math miss'], ['sql', '+ qwed, sql miss'], ['text', 'text bare'], ['auto', 'text + qwed auto']]
const servers: Record<string, { url: string, close: () => Promise<void> }> = {}
for (const [kind, label] of kinds) servers[`fastify ${label}`] = await fastifyServer(kind)
for (const [kind, label] of kinds) servers[`express ${label}`] = await expressServer(kind)

process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, s.url]))) + '\n')
process.on('SIGTERM', () => {
  Promise.all(Object.values(servers).map(async (s) => await s.close())).finally(() => process.exit(0))
})
