import { Readable } from 'node:stream'
import t from 'tap'
import Fastify from 'fastify'
import qwed from '../lib/index.js'
import { createFrameParser, formatOf } from '../lib/stream/formats.js'
import { textOf } from '../lib/stream/payload.js'

// Stream formats and the provider shapes whose text is the answer.

t.test('the format comes from the content type', async (t) => {
  t.equal(formatOf('text/event-stream; charset=utf-8'), 'sse')
  t.equal(formatOf('application/x-ndjson'), 'ndjson')
  t.equal(formatOf('application/jsonl'), 'ndjson')
  t.equal(formatOf('TEXT/Markdown'), 'text')
  t.equal(formatOf('text/plain'), 'text')
  t.equal(formatOf('application/octet-stream'), null)
  t.equal(formatOf('text/html'), null)
  t.equal(formatOf(undefined), null)
})

t.test('provider shapes: the text, and the same frame carrying another part', async (t) => {
  const chat = textOf({ id: 'x', choices: [{ index: 0, delta: { role: 'assistant' } }, { index: 1, delta: { content: 'a' } }, { index: 2, delta: { content: 'b' } }] })
  t.equal(chat?.text, 'ab')
  t.same(chat?.with('Z'), { id: 'x', choices: [{ index: 0, delta: { role: 'assistant' } }, { index: 1, delta: { content: 'Z' } }, { index: 2, delta: { content: '' } }] })
  t.equal(textOf({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }), null, 'no content: no text')
  const responses = textOf({ type: 'response.output_text.delta', item_id: 'i', delta: 'hi' })
  t.same(responses?.with('yo'), { type: 'response.output_text.delta', item_id: 'i', delta: 'yo' })
  const anthropic = textOf({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hey' } })
  t.equal(anthropic?.text, 'hey')
  t.same(anthropic?.with('h'), { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'h' } })
  t.equal(textOf({ type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json: '{' } }), null)
  t.same(textOf({ model: 'm', message: { role: 'assistant', content: 'c' }, done: false })?.with('d'), { model: 'm', message: { role: 'assistant', content: 'd' }, done: false })
  t.same(textOf({ model: 'm', response: 'r', done: false })?.with('s'), { model: 'm', response: 's', done: false })
  t.equal(textOf({ type: 'response.completed', response: { output: [] } }), null)
  t.equal(textOf([1, 2]), null)
  t.equal(textOf('text'), null)
})

t.test('NDJSON frames: JSON lines with text, lines without, lines that are not JSON', async (t) => {
  const parser = createFrameParser('ndjson', 1024)
  const frames = [...parser.push('{"response":"a","done":false}\r\n\n{"usage":1}\nnot json\n{"respo'), ...parser.push('nse":"b","done":true}'), ...parser.end()]
  t.same(frames.map((f) => f.text), ['a', null, null, 'not json\n', 'b'])
  t.equal(frames[0]?.encode('z'), '{"response":"z","done":false}\n')
  t.equal(frames[1]?.raw, '\n', 'a blank line keeps its place')
  t.equal(frames[3]?.encode('not'), 'not', 'a line that is not JSON is text, newline included')
})

t.test('SSE frames: events, comments, retry; an overlong line is a hold overflow', async (t) => {
  const parser = createFrameParser('sse', 64)
  const frames = parser.push('retry: 500\n\n: hi\n\nevent: delta\nid: 7\ndata: line one\ndata: line two\n\ndata:\n\n')
  t.same(frames.map((f) => f.raw), ['retry: 500\n\n', ': hi\n\n', 'event: delta\nid: 7\ndata: line one\ndata: line two\n\n', 'data: \n\n'])
  t.equal(frames[2]?.text, 'line one\nline two')
  t.equal(frames[2]?.encode('x\ny'), 'event: delta\nid: 7\ndata: x\ndata: y\n\n')
  t.equal(frames[3]?.text, null, 'an empty data field carries no text')
  t.throws(() => parser.push('data: ' + 'x'.repeat(200)), { message: /longer than the hold bound/ }, 'a line longer than the bound')
  t.same(parser.push('\n\ndata: after\n\n').map((f) => f.text), ['after'], 'the parser resumes after the dropped event')
})

t.test('streams that are not verified: error status, mode off, other types', async (t) => {
  const app = Fastify()
  // no claim is ever verified here: nothing to warm
  await app.register(qwed, { audit: false, warmUp: false })
  const outcomes: Record<string, unknown> = {}
  app.addHook('onResponse', async (request) => { outcomes[request.url] = request.qwed })
  const claims = (): never => { throw new Error('claims() must not run') }
  const wrong = (): Readable => Readable.from(['2 + 2 = 5\n'])
  app.get('/error', { config: { qwed: { claims } } }, async (_request, reply) => reply.code(500).type('text/plain').send(wrong()))
  app.get('/off', { config: { qwed: { claims, mode: 'off' } } }, async (_request, reply) => reply.type('text/plain').send(wrong()))
  app.get('/binary', { config: { qwed: { claims } } }, async (_request, reply) => reply.type('application/octet-stream').send(wrong()))
  app.get('/flag', { config: { qwed: { claims, enabled: () => false } } }, async (_request, reply) => reply.type('text/plain').send(wrong()))
  for (const url of ['/error', '/off', '/binary', '/flag']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.body, '2 + 2 = 5\n', `${url}: sent as it came`)
  }
  t.match(outcomes, { '/error': { skipped: 'error_status' }, '/off': { skipped: 'off' }, '/binary': { skipped: 'unsupported_payload' }, '/flag': { skipped: 'flag_off' } })
  await app.close()
})
