// `npm run bench:stream` (`-- --quick` for a shorter run): streamed answers over 127.0.0.1.
// 1. A stream with no claims (prose in token-sized chunks, one event-loop turn apart, as a model
//    sends them): time to first byte and total time, bare route against the same route verified.
// 2. A stream with claims: hold time per claim (from the oldest held byte to its verdict, measured
//    inside the stream verifier), and throughput in MB/s against the bare route.
// Client and servers share this process; requests run one at a time. Compare rows of one run.
import { once } from 'node:events'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { setImmediate as turn } from 'node:timers/promises'
import express from 'express'
import Fastify from 'fastify'
import qwed from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import { createVerifier } from '../lib/verifier.js'
import { verifyStream } from '../lib/stream/verify.js'
import type { Claim } from '../types/claims.js'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 40 : 200

// The claim finder the tests use: `<arithmetic> = <number>` on a line is a math claim.
const ARITHMETIC = /([\d.]+(?:\s*[-+*/^]\s*[\d.()]+)+)\s*=\s*(-?[\d.]+)/g
const findClaims = (unit: string): Claim[] => [...unit.matchAll(ARITHMETIC)].map((m) => ({ type: 'math', expression: `${m[1] as string} = ${m[2] as string}` }))

const PROSE = 'The model explains the answer in words, one token after another, without any figure in it. '
/** An answer of `lines` lines; with claims, every `every`-th line ends with a distinct true sum (cache misses). */
function answer (lines: number, claims: boolean, salt: number, every = 1): string {
  let text = ''
  for (let i = 0; i < lines; i++) text += PROSE + (claims && i % every === 0 ? `So ${salt}${i} + ${i} = ${Number(`${salt}${i}`) + i}.` : 'So that is that.') + '\n'
  return text
}
/** Token-sized chunks (about 4 characters, as models send). */
const tokens = (text: string): Buffer[] => (text.match(/[\s\S]{1,4}/g) ?? []).map((t) => Buffer.from(t))

async function * paced (pieces: Buffer[], pace: boolean): AsyncGenerator<Buffer> {
  for (const piece of pieces) {
    yield piece
    if (pace) await turn()
  }
}

type Body = () => { pieces: Buffer[], pace: boolean }

async function fastifyServer (verified: boolean, body: Body): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify()
  if (verified) await app.register(qwed, { audit: false, metrics: { endpoint: null } })
  const config: Record<string, unknown> = verified ? { qwed: { claims: (unit: string) => findClaims(unit) } } : {}
  app.get('/s', { config }, async (_request, reply) => {
    const { pieces, pace } = body()
    reply.type('text/plain; charset=utf-8')
    return Readable.from(paced(pieces, pace))
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url: `${url}/s`, close: async () => { await app.close() } }
}

async function expressServer (verified: boolean, body: Body): Promise<{ url: string, close: () => Promise<void> }> {
  const app = express()
  const middleware = verified ? qwedExpress({ audit: false, metrics: { endpoint: null } }) : null
  const handlers: express.RequestHandler[] = middleware === null ? [] : [middleware.route({ claims: (unit: string) => findClaims(unit) })]
  app.get('/s', ...handlers, async (_req, res) => {
    const { pieces, pace } = body()
    res.type('text/plain')
    for await (const piece of paced(pieces, pace)) {
      if (!res.write(piece)) await once(res, 'drain')
    }
    res.end()
  })
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/s`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await middleware?.close()
    }
  }
}

/** One GET: time to the first body byte, total time, bytes. */
async function fetchOnce (url: string): Promise<{ ttfb: number, total: number, bytes: number }> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let ttfb = -1
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        if (ttfb < 0) ttfb = performance.now() - started
        bytes += chunk.length
      })
      res.on('end', () => { resolve({ ttfb, total: performance.now() - started, bytes }) })
    })
    req.on('error', reject)
    req.end()
  })
}

const median = (values: number[]): number => quantile(values, 0.5)
function quantile (values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}
const fmt = (n: number, digits = 2): string => n.toFixed(digits)

type Make = typeof fastifyServer
const FRAMEWORKS: Array<[string, Make]> = [['fastify', fastifyServer], ['express', expressServer]]

async function measure (make: Make, verified: boolean, body: Body, rounds: number): Promise<Array<{ ttfb: number, total: number, bytes: number }>> {
  const server = await make(verified, body)
  try {
    for (let i = 0; i < 5; i++) await fetchOnce(server.url)
    const runs = []
    for (let i = 0; i < rounds; i++) runs.push(await fetchOnce(server.url))
    return runs
  } finally {
    await server.close()
  }
}

async function noClaims (): Promise<void> {
  const text = answer(20, false, 0)
  const body: Body = () => ({ pieces: tokens(text), pace: true })
  console.log(`### A stream with no claims (${Buffer.byteLength(text)} bytes in ${tokens(text).length} token chunks, one event-loop turn apart; median of ${ROUNDS} requests)\n`)
  console.log('| server | TTFB bare ms | TTFB verified ms | bare/verified | total bare ms | total verified ms | bare/verified |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  for (const [name, make] of FRAMEWORKS) {
    // Interleave the two so that a noisy neighbour hits both alike.
    const bare: Array<{ ttfb: number, total: number }> = []
    const verified: Array<{ ttfb: number, total: number }> = []
    for (let block = 0; block < 4; block++) {
      bare.push(...await measure(make, false, body, ROUNDS / 4))
      verified.push(...await measure(make, true, body, ROUNDS / 4))
    }
    const [tb, tv] = [median(bare.map((r) => r.ttfb)), median(verified.map((r) => r.ttfb))]
    const [ab, av] = [median(bare.map((r) => r.total)), median(verified.map((r) => r.total))]
    console.log(`| ${name} | ${fmt(tb)} | ${fmt(tv)} | ${fmt(tb / tv)} | ${fmt(ab)} | ${fmt(av)} | ${fmt(ab / av)} |`)
  }
}

async function holdTimes (): Promise<void> {
  const verifier = createVerifier({ audit: false })
  const holds: number[] = []
  const rounds = quick ? 10 : 40
  let claims = 0
  let sent = 0
  for (let r = 0; r < rounds; r++) {
    const text = answer(25, true, 1000 + r)
    const source = paced(tokens(text), false)
    for await (const chunk of verifyStream(source, {
      format: 'text',
      mode: 'enforce',
      findClaims,
      verify: async (c) => await verifier.verifyBatch(c),
      onUnavailable: 'closed',
      sanitize: null,
      limits: { maxHeldBytes: 65536, maxHoldMs: 10_000 },
      exposeDetails: false,
      onHold: (ms) => { holds.push(ms) },
      onEnd: (outcome) => { claims += outcome.stream.claims }
    })) sent += chunk.length
  }
  await verifier.close()
  console.log(`\n### Hold time per claim (arithmetic, cache misses, ${claims} claims in ${sent} bytes, token chunks as fast as they come)\n`)
  console.log('| p50 ms | p90 ms | p99 ms | max ms |')
  console.log('| --- | --- | --- | --- |')
  console.log(`| ${fmt(quantile(holds, 0.5), 3)} | ${fmt(quantile(holds, 0.9), 3)} | ${fmt(quantile(holds, 0.99), 3)} | ${fmt(Math.max(...holds), 3)} |`)
}

async function throughput (): Promise<void> {
  const lines = quick ? 1000 : 4000
  const rounds = quick ? 3 : 6
  console.log(`\n### Throughput with claims (${lines} lines of about 110 bytes, in 256-byte chunks; median of ${rounds})\n`)
  console.log('| server | a claim on | bare MB/s | verified MB/s | verified/bare | claims/s |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const every of [1, 20]) {
    // Fresh answers (distinct figures, so every claim is a cache miss), cut before the clock starts.
    const chunked = (salt: number): Buffer[] => {
      const text = Buffer.from(answer(lines, true, salt, every))
      const pieces: Buffer[] = []
      for (let at = 0; at < text.length; at += 256) pieces.push(text.subarray(at, at + 256))
      return pieces
    }
    const pool = Array.from({ length: 2 * (rounds + 5) }, (_, i) => chunked(5000 + i))
    let next = 0
    const body: Body = () => ({ pieces: pool[next++ % pool.length] as Buffer[], pace: false })
    for (const [name, make] of FRAMEWORKS) {
      const bare = await measure(make, false, body, rounds)
      const verified = await measure(make, true, body, rounds)
      const mbs = (runs: typeof bare): number => median(runs.map((r) => r.bytes / 1e6 / (r.total / 1000)))
      const claimsPerSecond = median(verified.map((r) => Math.ceil(lines / every) / (r.total / 1000)))
      console.log(`| ${name} | ${every === 1 ? 'every line' : `one line in ${every}`} | ${fmt(mbs(bare))} | ${fmt(mbs(verified))} | ${fmt(mbs(verified) / mbs(bare), 3)} | ${fmt(claimsPerSecond, 0)} |`)
    }
  }
}

console.log(`Node ${process.version}, ${quick ? 'quick' : 'full'} run\n`)
await noClaims()
await holdTimes()
await throughput()
