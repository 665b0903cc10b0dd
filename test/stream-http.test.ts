import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { setImmediate as turn } from 'node:timers/promises'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import express from 'express'
import { createParser } from 'eventsource-parser'
import qwed from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import { captureLogger, scriptEngine } from './helpers/engines.js'
import { findTestClaims, fixedSplit, randomSplit, seeded } from './helpers/stream.js'
import { read, until } from './helpers/stream-http.js'

// Streamed answers through both adapters over 127.0.0.1: the bytes a client receives.

type Format = 'text' | 'sse' | 'ndjson'
const CONTENT_TYPES: Record<Format, string> = { text: 'text/plain; charset=utf-8', sse: 'text/event-stream', ndjson: 'application/x-ndjson' }

const ANSWERS: Record<string, string> = {
  ok: 'Your invoice (in €, naïve estimate 😀):\nThe subtotal is 12.5 + 7.5 = 20.\n```python\nprint(20 * 1.1)\n```\nThe total is 20 + 2 = 22.\nThanks!\n',
  wrong: 'Your invoice (in €, naïve estimate 😀):\nThe subtotal is 12.5 + 7.5 = 20.\nThe total is 20 + 2 = 23.\nThanks!\n',
  fence: 'Try this:\n```python\nimport os\nos.system("rm -rf /")\n',
  slow: 'Checking: x = 1\nafter\n',
  plain: 'No figures in this answer, only words.\n'
}

function bodyOf (format: Format, text: string): Buffer {
  if (format === 'text') return Buffer.from(text)
  const tokens = text.match(/[\s\S]{1,6}/gu) ?? []
  if (format === 'sse') return Buffer.from(tokens.map((c) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: c } }] })}\n\n`).join('') + 'data: [DONE]\n\n')
  return Buffer.from(tokens.map((c) => JSON.stringify({ message: { role: 'assistant', content: c }, done: false }) + '\n').join('') + JSON.stringify({ message: { role: 'assistant', content: '' }, done: true }) + '\n')
}

/** The answer text a client renders from what it received, and the final verdict frame if any. */
function render (format: Format, body: Buffer): { text: string, final: any } {
  const raw = body.toString('utf8')
  if (format === 'text') return { text: raw, final: null }
  if (format === 'sse') {
    let text = ''
    let final: any = null
    const parser = createParser({
      onEvent: (event) => {
        if (event.event === 'qwed') final = JSON.parse(event.data)
        else if (event.data !== '[DONE]') text += JSON.parse(event.data).choices[0].delta.content
      }
    })
    parser.feed(raw)
    return { text, final }
  }
  const lines = raw.split('\n').filter(Boolean).map((l) => JSON.parse(l))
  const final = lines.at(-1)?.qwed ?? null
  return { text: lines.filter((l) => l.qwed === undefined).map((l) => l.message.content).join(''), final }
}

/** The bytes received before the final verdict frame (whose proof_refs are hex and may hold any digits). */
function answerBytes (format: Format, body: Buffer): Buffer {
  const raw = body.toString('utf8')
  if (format === 'sse') return Buffer.from(raw.split('event: qwed\n')[0] as string)
  if (format === 'ndjson') return Buffer.from(raw.split('\n').filter((l) => !l.startsWith('{"qwed":')).join('\n'))
  return body
}

interface Source {
  produced: number
  closed: boolean
}

/** The "LLM": yields the pieces one event-loop turn apart, and says how far it got. */
async function * produce (pieces: Buffer[], source: Source): AsyncGenerator<Buffer> {
  try {
    for (const piece of pieces) {
      source.produced += piece.length
      yield piece
      await turn()
    }
  } finally {
    source.closed = true
  }
}

function piecesOf (query: Record<string, string | undefined>): Buffer[] {
  const format = (query.format ?? 'text') as Format
  const body = query.size === 'big' ? Buffer.from('words without any figure at all, '.repeat(Number(query.repeat ?? 1000)) + '\n') : bodyOf(format, ANSWERS[query.answer ?? 'ok'] as string)
  if (query.split === 'random') return randomSplit(body, seeded(Number(query.seed ?? 1)), 13)
  return fixedSplit(body, Number(query.split ?? body.length))
}

const slowFinder = (unit: string) => unit.includes('x = 1') ? [{ type: 'script', verdict: 'true', delayMs: 300 } as any] : findTestClaims(unit)

interface Server {
  url: string
  sources: Source[]
  records: Array<Record<string, any>>
  engine: ReturnType<typeof scriptEngine>
}

async function fastifyServer (t: Test): Promise<Server> {
  const log = captureLogger()
  const engine = scriptEngine()
  const sources: Source[] = []
  const app = Fastify({ loggerInstance: log.logger })
  await app.register(qwed, { warmUp: false, extraEngines: [engine], audit: { logger: log.logger }, metrics: { endpoint: null } })
  app.get('/answer', { config: { qwed: { claims: (unit: string) => slowFinder(unit), sanitize: false } } }, async (request, reply) => {
    const query = request.query as Record<string, string>
    reply.type(CONTENT_TYPES[(query.format ?? 'text') as Format])
    const source: Source = { produced: 0, closed: false }
    sources.push(source)
    return Readable.from(produce(piecesOf(query), source))
  })
  app.get('/sanitized', { config: { qwed: { sanitize: true } } }, async (_request, reply) => {
    reply.type('text/plain')
    return Readable.from(produce(fixedSplit(Buffer.from('Write to jane.doe@example.com today.\n'), 1), { produced: 0, closed: false }))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close() })
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, sources, records: log.records, engine }
}

async function expressServer (t: Test): Promise<Server> {
  const log = captureLogger()
  const engine = scriptEngine()
  const sources: Source[] = []
  const app = express()
  const middleware = qwedExpress({ warmUp: false, extraEngines: [engine], audit: { logger: log.logger }, metrics: { endpoint: null } })
  app.use(middleware)
  const route = middleware.route({ claims: (unit: string) => slowFinder(unit) })
  // res.write / res.end, respecting backpressure.
  app.get('/answer', route, async (req, res) => {
    const query = req.query as Record<string, string>
    res.type(CONTENT_TYPES[(query.format ?? 'text') as Format])
    const source: Source = { produced: 0, closed: false }
    sources.push(source)
    if (query.pipe === '1') {
      const readable = Readable.from(produce(piecesOf(query), source))
      res.once('close', () => { readable.destroy() })
      readable.pipe(res)
      return
    }
    for await (const piece of produce(piecesOf(query), source)) {
      if (!res.write(piece)) {
        await new Promise<void>((resolve) => {
          const done = (): void => { res.off('drain', done); res.off('close', done); resolve() }
          res.on('drain', done)
          res.on('close', done)
        })
      }
      if (res.destroyed) return
    }
    res.end()
  })
  app.get('/sanitized', middleware.route({ sanitize: true }), async (_req, res) => {
    res.type('text/plain')
    for (const piece of fixedSplit(Buffer.from('Write to jane.doe@example.com today.\n'), 1)) {
      res.write(piece)
      await turn()
    }
    res.end()
  })
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await middleware.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sources, records: log.records, engine }
}

const ADAPTERS = { fastify: fastifyServer, express: expressServer }

for (const [name, start] of Object.entries(ADAPTERS)) {
  t.test(`${name}: streamed answers`, async (t) => {
    const server = await start(t)
    const variants = name === 'express' ? ['', '&pipe=1'] : ['']

    t.test('every format, every split: the admitted answer arrives whole; a wrong figure never arrives', async (t) => {
      for (const format of ['text', 'sse', 'ndjson'] as const) {
        for (const split of ['1', '5', 'random&seed=3', 'random&seed=11', '100000']) {
          for (const variant of variants) {
            const label = `${format}, split ${split}${variant}`
            const ok = await read(`${server.url}/answer?format=${format}&answer=ok&split=${split}${variant}`).done
            t.equal(ok.status, 200, label)
            const okView = render(format, ok.body)
            t.equal(okView.text, ANSWERS.ok, `${label}: the whole answer`)
            if (format === 'text') t.equal(ok.trailers['x-qwed-status'], 'VERIFIED', `${label}: trailer`)
            if (format === 'sse') t.equal(okView.final?.code, 'QWED_VERIFIED', `${label}: closing event`)

            const wrong = await read(`${server.url}/answer?format=${format}&answer=wrong&split=${split}${variant}`).done
            const view = render(format, wrong.body)
            t.notOk(answerBytes(format, wrong.body).includes('23'), `${label}: the wrong figure is not in the bytes received`)
            t.notOk(view.text.includes('20 + 2'), `${label}: nor its statement`)
            t.notOk(view.text.includes('Thanks'), `${label}: nor anything after it`)
            t.ok(ANSWERS.wrong?.startsWith(view.text), `${label}: what arrived is the answer up to the claim`)
            t.ok(view.text.includes('12.5 + 7.5 = 20.'), `${label}: the admitted line before it arrived`)
            if (format === 'text') t.equal(wrong.trailers['x-qwed-status'], 'BLOCKED', `${label}: trailer`)
            else t.match(view.final, { statusCode: 422, code: 'QWED_BLOCKED', qwed: { status: 'UNVERIFIABLE' } }, `${label}: final frame`)
          }
        }
      }
    })

    t.test('a fence that never closes is never sent', async (t) => {
      for (const variant of variants) {
        const res = await read(`${server.url}/answer?answer=fence&split=2${variant}`).done
        t.equal(res.body.toString(), 'Try this:\n')
        t.equal(res.trailers['x-qwed-status'], 'BLOCKED')
      }
    })

    t.test('the stream outcome is logged: decision, claims, bytes sent before the stop', async (t) => {
      const before = server.records.length
      const res = await read(`${server.url}/answer?answer=wrong&split=3`).done
      await until(() => server.records.slice(before).some((r) => r.msg === 'qwed: stream stopped before its end'), 'the outcome record')
      const record = server.records.slice(before).find((r) => r.msg === 'qwed: stream stopped before its end') as Record<string, any>
      t.match(record, { decision: 'block', status: 'UNVERIFIABLE', format: 'text', stopped: 'blocked', claims: 2 })
      t.equal(record.bytes_sent, res.body.length, 'bytes sent before the stop')
      t.notOk(JSON.stringify(record).includes('20 + 2'), 'never the text')
      const audits = server.records.slice(before).filter((r) => r.audit === 'qwed.verification')
      t.equal(audits.length, 2, 'one audit record per claim')
    })

    t.test('a slow reader holds the producer back (backpressure)', async (t) => {
      const bytes = 'words without any figure at all, '.length * 1_000_000 + 1
      for (const variant of variants) {
        const reading = read(`${server.url}/answer?size=big&repeat=1000000&split=16384${variant}`, { pauseAfter: 64 * 1024 })
        await until(() => reading.paused(), 'the reader to pause')
        const source = server.sources.at(-1) as Source
        // Let the pipeline fill every buffer it has, then look at how far the producer got.
        let last = -1
        await until(() => {
          const now = source.produced
          const still = now === last
          last = now
          return still
        }, 'the producer to stop')
        t.ok(source.produced < bytes / 2, `${name}${variant}: produced ${source.produced} of ${bytes} bytes while the reader paused`)
        reading.resume()
        const res = await reading.done
        t.equal(res.body.length, bytes, 'then the whole stream arrives')
      }
    })

    t.test('a client that leaves while a claim is held: verification abandoned, the source closed', async (t) => {
      const before = server.records.length
      const calls = server.engine.calls
      let request: import('node:http').ClientRequest | undefined
      const reading = read(`${server.url}/answer?answer=slow&split=4`, { onRequest: (r) => { request = r } })
      await until(() => server.engine.calls > calls, 'the slow verification to start')
      request?.destroy()
      const res = await reading.done
      t.notOk(res.body.includes('x = 1'), 'the held claim never arrived')
      await until(() => server.records.slice(before).some((r) => r.msg === 'qwed: stream outcome'), 'the outcome record')
      const record = server.records.slice(before).find((r) => r.msg === 'qwed: stream outcome') as Record<string, any>
      t.equal(record.stopped, 'disconnect')
      await until(() => (server.sources.at(-1) as Source).closed, 'the source to close')
      t.ok((server.sources.at(-1) as Source).closed)
    })

    t.test('sanitization applies to streamed text, even written one byte at a time', async (t) => {
      const res = await read(`${server.url}/sanitized`).done
      t.equal(res.status, 200)
      t.notOk(res.body.includes('jane.doe@example.com'))
      t.match(res.body.toString(), /^Write to .+ today\.\n$/)
    })
  })
}
