// `npm run bench:ai-sdk` (`-- --quick` for a shorter run): the AI SDK middleware's cost on a stream.
// A model streams an answer in token-sized text deltas (about 4 characters, one event-loop turn
// apart, as a provider's parts arrive); the same model is read bare and through
// wrapLanguageModel + qwedModelMiddleware. Measured per answer: time to the first text-delta part and
// time to the last part, for an answer without claims and for one with several (distinct figures
// each round, so every claim is a cache miss). In-process, one answer at a time.
import { performance } from 'node:perf_hooks'
import { setImmediate as turn } from 'node:timers/promises'
import { Registry } from 'prom-client'
import { wrapLanguageModel } from 'ai'
import { qwedModelMiddleware } from '../lib/ai-sdk/index.js'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 40 : 200
const WARMUP = 10

const PROSE = 'The model explains the answer in words, one token after another, without any figure in it. '
/** About 2 KB of prose; with `claims`, that many lines end with a distinct true sum. */
function answer (claims: number, salt: number): string {
  let text = ''
  for (let i = 0; i < 20; i++) text += PROSE + (i < claims ? `So ${salt}${i} + ${i} = ${Number(`${salt}${i}`) + i}.` : 'So that is that.') + '\n'
  return text
}

function pacedParts (text: string): ReadableStream<any> {
  const deltas = text.match(/[\s\S]{1,4}/g) ?? []
  const parts = [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    ...deltas.map((delta) => ({ type: 'text-delta', id: 't', delta })),
    { type: 'text-end', id: 't' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: { inputTokens: { total: 1 }, outputTokens: { total: deltas.length } } }
  ]
  let i = 0
  return new ReadableStream({
    async pull (controller) {
      if (i > 0) await turn()
      if (i < parts.length) controller.enqueue(parts[i++])
      else controller.close()
    }
  })
}

let current = ''
const model: any = {
  specificationVersion: 'v3',
  provider: 'bench',
  modelId: 'paced',
  supportedUrls: {},
  doGenerate: async () => { throw new Error('stream only') },
  doStream: async () => ({ stream: pacedParts(current) })
}
const middleware = qwedModelMiddleware({ audit: false, metrics: { registry: new Registry() } })
const wrapped = wrapLanguageModel({ model, middleware })

async function once (m: any, text: string): Promise<{ first: number, total: number, shown: number }> {
  current = text
  const started = performance.now()
  const { stream } = await m.doStream({ prompt: [] })
  const reader = stream.getReader()
  let first = -1
  let shown = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (value.type === 'text-delta') {
      if (first < 0) first = performance.now() - started
      shown += value.delta.length
    }
  }
  return { first, total: performance.now() - started, shown }
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number
}
const f = (n: number): string => n.toFixed(2)

console.log(`AI SDK middleware on a stream, ${ROUNDS} answers per row (Node ${process.version}, ai@6)`)
console.log('| answer | model | first text p50 ms | p90 | total p50 ms | p90 | ratio first (p50) | ratio total (p50) |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const claims of [0, 8]) {
  const rows: Record<string, { first: number[], total: number[] }> = { bare: { first: [], total: [] }, qwed: { first: [], total: [] } }
  for (let round = -WARMUP; round < ROUNDS; round++) {
    const text = answer(claims, 1000 + round + (claims * 100_000))
    // Alternate the order so neither side always runs on a warmer process.
    const order = round % 2 === 0 ? ['bare', 'qwed'] : ['qwed', 'bare']
    for (const name of order) {
      const r = await once(name === 'bare' ? model : wrapped, text)
      if (r.shown !== text.length) throw new Error(`${name}: ${r.shown} of ${text.length} characters shown`)
      if (round >= 0) {
        rows[name]?.first.push(r.first)
        rows[name]?.total.push(r.total)
      }
    }
  }
  const label = claims === 0 ? '2 KB, no claims' : `2 KB, ${claims} claims (cache miss)`
  const bare = rows.bare as { first: number[], total: number[] }
  const qwed = rows.qwed as { first: number[], total: number[] }
  for (const [name, row] of [['bare', bare], ['qwed', qwed]] as const) {
    const ratioFirst = name === 'bare' ? '1.00' : f(pct(qwed.first, 0.5) / pct(bare.first, 0.5))
    const ratioTotal = name === 'bare' ? '1.00' : f(pct(qwed.total, 0.5) / pct(bare.total, 0.5))
    console.log(`| ${label} | ${name} | ${f(pct(row.first, 0.5))} | ${f(pct(row.first, 0.9))} | ${f(pct(row.total, 0.5))} | ${f(pct(row.total, 0.9))} | ${ratioFirst} | ${ratioTotal} |`)
  }
}
await middleware.close()
