// The servers of the HTTP benchmark, in their own process so that autocannon (in the parent) does
// not share an event loop with them. Sends { urls: { name: url } } over IPC when all are listening,
// then answers { cpu } (user + system microseconds since the last `mark`) when asked. stdout is
// /dev/null: the default audit trail of the Express servers writes its pino lines there.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { rateLimit as expressRateLimit } from 'express-rate-limit'
import Fastify from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import qwed from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import type { Claim } from '../types/claims.js'

const DDL = 'CREATE TABLE orders (id INT, user_id INT, total NUMERIC)'
type Kind = 'bare' | 'ratelimit' | 'hit' | 'miss' | 'sql' | 'text' | 'auto'

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

const plain = (kind: Kind): boolean => kind === 'bare' || kind === 'text' || kind === 'ratelimit'
// A limit no benchmark reaches: the limiter's bookkeeping is measured, never a 429.
const NEVER_LIMITED = { max: 1e9, timeWindow: 60_000 }

/** Default options: metrics on (they always are), the default audit trail (Fastify's request.log, here a logger that writes nothing). */
async function fastifyServer (kind: Kind): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify()
  const next = handler(kind)
  if (kind === 'ratelimit') await app.register(fastifyRateLimit, NEVER_LIMITED)
  if (plain(kind)) {
    app.get('/quote', async () => next())
  } else {
    await app.register(qwed)
    app.get('/quote', { config: { qwed: routeOptions(kind) } }, async () => next())
  }
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url: `${url}/quote`, close: async () => { await app.close() } }
}

/** Default options: the default audit trail is a pino logger on stdout (/dev/null here). */
async function expressServer (kind: Kind): Promise<{ url: string, close: () => Promise<void> }> {
  const app = express()
  const next = handler(kind)
  const send = (res: express.Response): void => { const body = next(); typeof body === 'string' ? res.type('text/plain').send(body) : res.json(body) }
  const middleware = plain(kind) ? null : qwedExpress()
  if (kind === 'ratelimit') app.use(expressRateLimit({ windowMs: NEVER_LIMITED.timeWindow, limit: NEVER_LIMITED.max, standardHeaders: 'draft-8', legacyHeaders: false }))
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

const skipped = process.argv.includes('--no-text') ? new Set<Kind>(['text', 'auto']) : new Set<Kind>()
const kinds: Array<[Kind, string]> = ([
  ['bare', 'bare'], ['ratelimit', '+ rate-limit'], ['hit', '+ qwed, cache hit'], ['miss', '+ qwed, math miss'], ['sql', '+ qwed, sql miss'],
  ['text', 'text bare'], ['auto', 'text + qwed auto']
] as Array<[Kind, string]>).filter(([kind]) => !skipped.has(kind))
// --only=express / --only=fastify: one framework's rows (a shorter run when only one binding changed).
const framework = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length)
if (framework !== undefined && framework !== 'express' && framework !== 'fastify') throw new Error(`--only takes express or fastify, not ${framework}`)
const servers: Record<string, { url: string, close: () => Promise<void> }> = {}
if (framework !== 'express') for (const [kind, label] of kinds) servers[`fastify ${label}`] = await fastifyServer(kind)
if (framework !== 'fastify') for (const [kind, label] of kinds) servers[`express ${label}`] = await expressServer(kind)

let mark = process.cpuUsage()
process.on('message', (message: { kind: string }) => {
  if (message.kind === 'mark') {
    mark = process.cpuUsage()
    process.send?.({ kind: 'marked' })
  } else if (message.kind === 'cpu') {
    const used = process.cpuUsage(mark)
    process.send?.({ kind: 'cpu', micros: used.user + used.system })
  } else if (message.kind === 'close') {
    Promise.all(Object.values(servers).map(async (s) => await s.close())).finally(() => process.exit(0))
  }
})
process.send?.({ kind: 'urls', urls: Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, s.url])) })
