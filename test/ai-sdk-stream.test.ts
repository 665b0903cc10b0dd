import t from 'tap'
import { streamText, wrapLanguageModel } from 'ai'
import { Registry } from 'prom-client'
import type { Engine, EngineResult } from '../types/engine.js'
import { qwedModelMiddleware, QwedBlockedError, QwedUnavailableError } from '../lib/ai-sdk/index.js'
import { verified } from '../lib/result.js'
import { downMathEngine, drain, manualStream, shownText, streamModel, streamParts, textParts } from './helpers/ai-sdk.js'

function middleware (options: Parameters<typeof qwedModelMiddleware>[0] = {}) {
  const m = qwedModelMiddleware({ audit: false, metrics: { registry: new Registry() }, ...options })
  t.teardown(() => m.close())
  return m
}

/** The raw V3 parts the wrapped model streams for `parts`. */
async function run (m: ReturnType<typeof middleware>, parts: any[]) {
  const model = wrapLanguageModel({ model: streamModel(parts), middleware: m })
  const { stream } = await model.doStream({ prompt: [] })
  return await drain(stream)
}

const finishOf = (parts: any[]) => parts.find((p) => p.type === 'finish')

t.test('an answer with a correct figure streams whole; finish carries the verdict', async (t) => {
  const outcomes: any[] = []
  const m = middleware({ onOutcome: (o) => outcomes.push(o) })
  const text = 'Hello. The sum is 2 + 2 = 4.\nBye.'
  const { parts, error } = await run(m, streamParts(textParts(['Hello. The', ' sum is 2 +', ' 2 = 4.\nBye.'])))
  t.equal(error, null)
  t.equal(shownText(parts), text)
  t.same(parts.map((p) => p.type), ['stream-start', 'text-start', ...parts.filter((p) => p.type === 'text-delta').map(() => 'text-delta'), 'text-end', 'finish'])
  t.equal(finishOf(parts).finishReason.unified, 'stop')
  t.equal(finishOf(parts).providerMetadata.qwed.status, 'VERIFIED')
  t.equal(outcomes[0].decision, 'admit')
})

t.test('a claim split across two deltas at every position: the right one passes, the wrong one never shows', async (t) => {
  const m = middleware()
  const right = 'Total: 12 * 3 = 36.\nDone.'
  const wrong = 'Total: 12 * 3 = 38.\nDone.'
  for (let i = 1; i < right.length; i++) {
    const ok = await run(m, streamParts(textParts([right.slice(0, i), right.slice(i)])))
    t.equal(shownText(ok.parts), right, `right, split at ${i}`)
    const bad = await run(m, streamParts(textParts([wrong.slice(0, i), wrong.slice(i)])))
    const shown = shownText(bad.parts)
    t.notOk(shown.includes('38') || shown.includes('12 *') || shown.includes('Done'), `wrong, split at ${i}: shown ${JSON.stringify(shown)}`)
    t.ok(bad.parts.some((p) => p.type === 'error' && p.error instanceof QwedBlockedError), `wrong, split at ${i}: an error part`)
  }
  const oneByOne = await run(m, streamParts(textParts([...wrong])))
  t.equal(shownText(oneByOne.parts), 'Total: ', 'one character a delta: only the text before the claim')
})

t.test('a blocked claim in the middle: the text before it flows, the claim and everything after never reach the consumer', async (t) => {
  const outcomes: any[] = []
  const m = middleware({ onOutcome: (o) => outcomes.push(o) })
  const deltas = ['Intro line.\n', 'So the total ', 'is 12 * 3 = 38', ' dollars.\n', 'Then 2 + 2 = 4.\n', 'Outro.']
  const parts = [...streamParts([...textParts(deltas), { type: 'tool-call', toolCallId: 'c1', toolName: 'pay', input: '{}' }])]
  const { parts: out, error } = await run(m, parts)
  t.equal(error, null)
  t.equal(shownText(out), 'Intro line.\nSo the total is ')
  t.notOk(out.some((p) => p.type === 'tool-call'), 'the tool call after the blocked claim is not sent')
  const types = out.map((p) => p.type)
  t.same(types.slice(-3), ['text-end', 'error', 'finish'], 'the open text block is closed, then error and finish')
  const err = out.find((p) => p.type === 'error').error as QwedBlockedError
  t.equal(err.body.statusCode, 422)
  t.equal(err.body.code, 'QWED_BLOCKED')
  t.same(JSON.parse(JSON.stringify(err)), err.body)
  const finish = finishOf(out)
  t.same(finish.finishReason, { unified: 'content-filter', raw: 'qwed-blocked' })
  t.equal(finish.providerMetadata.qwed.decision, 'block')
  t.equal(outcomes[0].stream.stopped, 'blocked')
})

t.test('through streamText: the blocked text never reaches textStream, onError gets the typed error', async (t) => {
  const m = middleware()
  const model = wrapLanguageModel({ model: streamModel(streamParts(textParts(['Fine.\n', '12 * 3 = 38\n', 'more']))), middleware: m })
  const errors: unknown[] = []
  const r = streamText({ model, prompt: 'x', onError: ({ error }) => { errors.push(error) } })
  let text = ''
  for await (const chunk of r.textStream) text += chunk
  t.equal(text, 'Fine.\n')
  t.ok(errors[0] instanceof QwedBlockedError)
  t.equal(await r.finishReason, 'content-filter')
})

t.test('a replacement text ends a blocked stream instead of the error part', async (t) => {
  const m = middleware({ replacement: '[figure removed: it did not check out]' })
  const { parts } = await run(m, streamParts(textParts(['Fine.\n', '12 * 3 = 38\n'])))
  t.equal(shownText(parts), 'Fine.\n[figure removed: it did not check out]')
  t.notOk(parts.some((p) => p.type === 'error'))
  t.equal(finishOf(parts).finishReason.unified, 'content-filter')
})

t.test('text without a claim leaves before the model has finished', async (t) => {
  const m = middleware()
  const source = manualStream()
  const model = wrapLanguageModel({ model: streamModel(() => source.stream), middleware: m })
  const { stream } = await model.doStream({ prompt: [] })
  const reader = stream.getReader()
  source.push({ type: 'text-start', id: 't' })
  source.push({ type: 'text-delta', id: 't', delta: 'Hello there, ' })
  t.same((await reader.read()).value, { type: 'text-start', id: 't' })
  t.same((await reader.read()).value, { type: 'text-delta', id: 't', delta: 'Hello there, ' })
  source.push({ type: 'text-delta', id: 't', delta: 'friend.' })
  source.push({ type: 'text-end', id: 't' })
  source.close()
  reader.releaseLock()
  const rest = await drain(stream)
  t.equal(shownText(rest.parts), 'friend.')
})

t.test('reasoning parts and tool calls pass untouched and in order', async (t) => {
  const m = middleware()
  const reasoning = [{ type: 'reasoning-start', id: 'r' }, { type: 'reasoning-delta', id: 'r', delta: 'think 12 * 3 = 38' }, { type: 'reasoning-end', id: 'r' }]
  const call = { type: 'tool-call', toolCallId: 'c1', toolName: 'lookup', input: '{"q":"x"}' }
  const input = streamParts([...reasoning, ...textParts(['2 + 2', ' = 4\n']), call])
  const { parts } = await run(m, input)
  t.same(parts.slice(0, -1), input.slice(0, -1), 'every part before finish as the model sent it')
  t.equal(finishOf(parts).providerMetadata.qwed.status, 'VERIFIED')
  t.same(parts.filter((p) => p.type.startsWith('reasoning')), reasoning, 'reasoning untouched (not verified)')
  t.same(parts.find((p) => p.type === 'tool-call'), call)
  const types = parts.map((p) => p.type)
  t.ok(types.indexOf('reasoning-end') < types.indexOf('text-start'))
  t.ok(types.indexOf('text-end') < types.indexOf('tool-call'))
  t.ok(types.indexOf('tool-call') < types.indexOf('finish'))
})

t.test('a checked tool call: its input and call wait for the verdict; a refused one never leaves', async (t) => {
  const schema = 'CREATE TABLE orders (id INT, total INT);'
  const m = middleware({ extract: { sql: { schema } }, toolCalls: { runQuery: { sql: 'query' } } })
  const tool = (query: string) => {
    const input = JSON.stringify({ query })
    return [
      { type: 'tool-input-start', id: 'c1', toolName: 'runQuery' },
      { type: 'tool-input-delta', id: 'c1', delta: input },
      { type: 'tool-input-end', id: 'c1' },
      { type: 'tool-call', toolCallId: 'c1', toolName: 'runQuery', input }
    ]
  }
  const safe = await run(m, streamParts([...textParts(['Looking it up.\n']), ...tool('SELECT id FROM orders')]))
  t.same(safe.parts.filter((p) => p.type.startsWith('tool')).map((p) => p.type), ['tool-input-start', 'tool-input-delta', 'tool-input-end', 'tool-call'])
  t.equal(finishOf(safe.parts).providerMetadata.qwed.status, 'VERIFIED')
  const unsafe = await run(m, streamParts([...textParts(['Looking it up.\n']), ...tool('DROP TABLE orders')]))
  t.notOk(unsafe.parts.some((p) => p.type.startsWith('tool')), 'no part of the refused call leaves')
  t.notOk(JSON.stringify(unsafe.parts.filter((p) => p.type !== 'error')).includes('DROP'))
  t.ok(unsafe.parts.some((p) => p.type === 'error' && p.error instanceof QwedBlockedError))
})

t.test('a consumer abort while a claim is being verified: the wait ends, the model stream is cancelled', async (t) => {
  let started!: () => void
  const verifying = new Promise<void>((resolve) => { started = resolve })
  let finishVerdict!: (r: EngineResult) => void
  const slowMath: Engine<any> = {
    name: 'math-slow',
    claimTypes: ['math'],
    verify: async () => {
      started()
      return await new Promise<EngineResult>((resolve) => { finishVerdict = resolve })
    }
  }
  t.teardown(() => finishVerdict?.(verified('late', { constraint_id: 'late' }, { late: true })))
  let resolveOutcome!: (o: any) => void
  const recorded = new Promise<any>((resolve) => { resolveOutcome = resolve })
  const m = middleware({ extraEngines: [slowMath], onOutcome: resolveOutcome })
  const source = manualStream()
  const model = wrapLanguageModel({ model: streamModel(() => source.stream), middleware: m })
  const { stream } = await model.doStream({ prompt: [] })
  const reader = stream.getReader()
  source.push({ type: 'text-start', id: 't' })
  source.push({ type: 'text-delta', id: 't', delta: 'So 2 + 2 = 4.\n' })
  t.same((await reader.read()).value, { type: 'text-start', id: 't' })
  const held = reader.read()
  await verifying
  await reader.cancel()
  t.same(await held, { done: true, value: undefined }, 'the pending read ends')
  await source.cancelled
  const outcome = await recorded
  t.equal(outcome.stream.stopped, 'disconnect')
  t.pass('the model stream was cancelled')
})

t.test('a model error: the consumer gets it, text held for a claim is not sent; an error part passes in order', async (t) => {
  const m = middleware()
  const source = manualStream()
  const model = wrapLanguageModel({ model: streamModel(() => source.stream), middleware: m })
  const { stream } = await model.doStream({ prompt: [] })
  source.push({ type: 'text-start', id: 't' })
  source.push({ type: 'text-delta', id: 't', delta: 'Partial 12 * 3 = 3' })
  const reader = stream.getReader()
  t.same((await reader.read()).value, { type: 'text-start', id: 't' })
  t.same((await reader.read()).value, { type: 'text-delta', id: 't', delta: 'Partial ' })
  const next = reader.read()
  source.fail(new Error('provider connection reset'))
  const error = await next.then(() => null, (err: unknown) => err)
  t.match((error as Error).message, /connection reset/, 'the model\'s error reaches the consumer; the held claim text does not')

  const withPart = await run(m, streamParts([...textParts(['Fine.\n']), { type: 'error', error: 'rate limited' }]))
  t.same(withPart.parts.find((p) => p.type === 'error'), { type: 'error', error: 'rate limited' })
})

t.test('shadow mode: the wrong figure streams through; the verdict is recorded after', async (t) => {
  let resolveOutcome!: (o: any) => void
  const recorded = new Promise<any>((resolve) => { resolveOutcome = resolve })
  const m = middleware({ mode: 'shadow', onOutcome: resolveOutcome })
  const { parts } = await run(m, streamParts(textParts(['Fine.\n', '12 * 3 = 38\n', 'more'])))
  t.equal(shownText(parts), 'Fine.\n12 * 3 = 38\nmore')
  t.notOk(parts.some((p) => p.type === 'error'))
  const outcome = await recorded
  t.equal(outcome.decision, 'shadow')
  t.equal(outcome.results[0].admission, 'BLOCKED')
})

t.test('the verifier unavailable: closed ends with a 503 error part, open streams marked UNVERIFIED', async (t) => {
  const closed = middleware({ extraEngines: [downMathEngine()] })
  const c = await run(closed, streamParts(textParts(['Fine.\n', '2 + 2 = 4\n', 'more'])))
  t.equal(shownText(c.parts), 'Fine.\n')
  const err = c.parts.find((p) => p.type === 'error')?.error
  t.ok(err instanceof QwedUnavailableError)
  t.equal((err as QwedUnavailableError).body.statusCode, 503)
  t.same(finishOf(c.parts).finishReason, { unified: 'error', raw: 'qwed-unavailable' })

  const open = middleware({ extraEngines: [downMathEngine()], onUnavailable: 'open' })
  const o = await run(open, streamParts(textParts(['Fine.\n', '2 + 2 = 4\n', 'more'])))
  t.equal(shownText(o.parts), 'Fine.\n2 + 2 = 4\nmore')
  t.equal(finishOf(o.parts).providerMetadata.qwed.status, 'UNVERIFIED')
  t.equal(finishOf(o.parts).providerMetadata.qwed.decision, 'fail_open')
})

t.test('mode off and a flag that says no: the model stream is returned as it is', async (t) => {
  for (const options of [{ mode: 'off' as const }, { enabled: () => false }]) {
    const m = middleware(options)
    const { parts } = await run(m, streamParts(textParts(['12 * 3 = 38\n'])))
    t.equal(shownText(parts), '12 * 3 = 38\n')
    t.notOk('providerMetadata' in finishOf(parts))
  }
})

t.test('a hold bound: a fenced block longer than maxHeldBytes is refused under the closed policy', async (t) => {
  const m = middleware({ stream: { maxHeldBytes: 64 } })
  const lines = ['```python\n', ...Array.from({ length: 30 }, () => 'x = 1\n'), '```\n']
  const { parts } = await run(m, streamParts(textParts(['Here:\n', ...lines, 'end'])))
  t.equal(shownText(parts), 'Here:\n')
  t.ok(parts.some((p) => p.type === 'error' && p.error instanceof QwedUnavailableError))
})

t.test('a consumer that cancels between reads: the model stream is cancelled and the outcome recorded', async (t) => {
  let resolveOutcome!: (o: any) => void
  const recorded = new Promise<any>((resolve) => { resolveOutcome = resolve })
  const m = middleware({ onOutcome: resolveOutcome })
  const source = manualStream()
  const model = wrapLanguageModel({ model: streamModel(() => source.stream), middleware: m })
  const { stream } = await model.doStream({ prompt: [] })
  const reader = stream.getReader()
  source.push({ type: 'text-start', id: 't' })
  source.push({ type: 'text-delta', id: 't', delta: 'Hello there, ' })
  t.same((await reader.read()).value, { type: 'text-start', id: 't' })
  t.same((await reader.read()).value, { type: 'text-delta', id: 't', delta: 'Hello there, ' })
  await reader.cancel()
  await source.cancelled
  t.equal((await recorded).stream.stopped, 'disconnect')
})

t.test('a feature flag that never answers: closed refuses the stream before the model is called', async (t) => {
  const model = streamModel(streamParts(textParts(['2 + 2 = 4\n'])))
  const wrapped = wrapLanguageModel({ model, middleware: middleware({ enabled: () => new Promise<boolean>(() => {}), breaker: { timeout: 10 } }) })
  await t.rejects(Promise.resolve(wrapped.doStream({ prompt: [] })), QwedUnavailableError)
  t.equal(model.doStreamCalls.length, 0)
})

t.test('deltas keep their providerMetadata; empty deltas are dropped; an unchecked tool\'s input passes', async (t) => {
  const m = middleware({ toolCalls: { runQuery: { sql: 'query' } } })
  const meta = { provider: { logprob: -0.1 } }
  const lookup = [
    { type: 'tool-input-start', id: 'l1', toolName: 'lookup' },
    { type: 'tool-input-delta', id: 'l1', delta: '{"q":"x"}' },
    { type: 'tool-input-end', id: 'l1' },
    { type: 'tool-call', toolCallId: 'l1', toolName: 'lookup', input: '{"q":"x"}' }
  ]
  const { parts } = await run(m, streamParts([
    { type: 'text-start', id: 't' },
    { type: 'text-delta', id: 't', delta: '' },
    { type: 'text-delta', id: 't', delta: 'So 2 + 2 = 4.\n', providerMetadata: meta },
    { type: 'text-end', id: 't' },
    ...lookup
  ]))
  const deltas = parts.filter((p) => p.type === 'text-delta')
  t.same(deltas, [{ type: 'text-delta', id: 't', delta: 'So 2 + 2 = 4.\n', providerMetadata: meta }])
  t.same(parts.filter((p) => p.type.startsWith('tool')), lookup)
})

t.test('shadow mode: a refused tool call still leaves; its verdict is in the recorded outcome', async (t) => {
  let resolveOutcome!: (o: any) => void
  const recorded = new Promise<any>((resolve) => { resolveOutcome = resolve })
  const m = middleware({ mode: 'shadow', extract: { sql: { schema: 'CREATE TABLE orders (id INT);' } }, toolCalls: { runQuery: { sql: 'query' } }, onOutcome: resolveOutcome })
  const call = { type: 'tool-call', toolCallId: 'c', toolName: 'runQuery', input: JSON.stringify({ query: 'DROP TABLE orders' }) }
  const { parts } = await run(m, streamParts([call]))
  t.same(parts.find((p) => p.type === 'tool-call'), call)
  const outcome = await recorded
  t.equal(outcome.decision, 'shadow')
  t.equal(outcome.results[0].engine, 'sql')
  t.equal(outcome.results[0].admission, 'BLOCKED')
})
