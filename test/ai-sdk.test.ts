import t from 'tap'
import { generateText, wrapLanguageModel } from 'ai'
import { Registry } from 'prom-client'
import { qwedModelMiddleware, QwedBlockedError, QwedUnavailableError } from '../lib/ai-sdk/index.js'
import { QwedOptionsError } from '../lib/errors.js'
import { createVerifier } from '../lib/verifier.js'
import { downMathEngine, generateModel } from './helpers/ai-sdk.js'

function middleware (options: Parameters<typeof qwedModelMiddleware>[0] = {}) {
  const m = qwedModelMiddleware({ audit: false, metrics: { registry: new Registry() }, ...options })
  t.teardown(() => m.close())
  return m
}

const text = (s: string) => ({ type: 'text', text: s })

t.test('a correct answer is admitted, with the verdict in providerMetadata.qwed', async (t) => {
  const outcomes: any[] = []
  const model = wrapLanguageModel({ model: generateModel([text('The total is 2 + 2 = 4.')]), middleware: middleware({ onOutcome: (o) => outcomes.push(o) }) })
  const r = await generateText({ model, prompt: 'sum' })
  t.equal(r.text, 'The total is 2 + 2 = 4.')
  t.equal(r.providerMetadata?.qwed?.status, 'VERIFIED')
  t.equal(r.providerMetadata?.qwed?.decision, 'admit')
  t.equal((r.providerMetadata?.qwed?.proof_refs as string[]).length, 1)
  t.equal(outcomes.length, 1)
  t.equal(outcomes[0].results[0].engine, 'math')
})

t.test('a wrong figure throws QwedBlockedError with the outcome and the 422 body', async (t) => {
  const model = wrapLanguageModel({ model: generateModel([text('Fine.\nSo 12 * 3 = 38 here.')]), middleware: middleware() })
  const err = await generateText({ model, prompt: 'sum' }).then(() => null, (e: unknown) => e)
  t.ok(err instanceof QwedBlockedError, 'a typed error')
  const blocked = err as QwedBlockedError
  t.equal(blocked.code, 'QWED_BLOCKED')
  t.equal(blocked.outcome.decision, 'block')
  t.equal(blocked.results[0]?.admission, 'BLOCKED')
  t.equal(blocked.body.statusCode, 422)
  t.equal((blocked.body.qwed as any).status, blocked.outcome.status)
  t.notOk('developer_fields' in (blocked.body.qwed as any).results[0], 'client-safe body by default')
  t.same(JSON.parse(JSON.stringify(blocked)), blocked.body, 'serialises as the 422 body')
})

t.test('a replacement text stands in for a blocked answer, and its tool calls are dropped', async (t) => {
  const model = wrapLanguageModel({
    model: generateModel([text('12 * 3 = 38'), { type: 'tool-call', toolCallId: 'c1', toolName: 'pay', input: '{}' }]),
    middleware: middleware({ replacement: 'I could not check that answer.' })
  })
  const r = await generateText({ model, prompt: 'sum' })
  t.equal(r.text, 'I could not check that answer.')
  t.equal(r.toolCalls.length, 0)
  t.equal(r.finishReason, 'content-filter')
  t.equal(r.providerMetadata?.qwed?.decision, 'block')
})

t.test('an answer without claims passes, recorded as no_claims', async (t) => {
  const outcomes: any[] = []
  const model = wrapLanguageModel({ model: generateModel([text('Hello there, nothing to compute.')]), middleware: middleware({ onOutcome: (o) => outcomes.push(o) }) })
  const r = await generateText({ model, prompt: 'hi' })
  t.equal(r.text, 'Hello there, nothing to compute.')
  t.equal(outcomes[0].skipped, 'no_claims')
})

t.test('shadow mode returns the wrong answer and records the verdict behind it', async (t) => {
  let resolve!: (o: any) => void
  const recorded = new Promise<any>((_resolve) => { resolve = _resolve })
  const model = wrapLanguageModel({ model: generateModel([text('12 * 3 = 38')]), middleware: middleware({ mode: 'shadow', onOutcome: resolve }) })
  const r = await generateText({ model, prompt: 'sum' })
  t.equal(r.text, '12 * 3 = 38')
  const outcome = await recorded
  t.equal(outcome.decision, 'shadow')
  t.equal(outcome.results[0].admission, 'BLOCKED')
})

t.test('mode off, a flag that says no and sampling skip verification', async (t) => {
  for (const [options, reason] of [[{ mode: 'off' }, 'off'], [{ enabled: () => false }, 'flag_off'], [{ sampleRate: 0 }, 'sampled_out']] as const) {
    const outcomes: any[] = []
    const model = wrapLanguageModel({ model: generateModel([text('12 * 3 = 38')]), middleware: middleware({ ...options, onOutcome: (o) => outcomes.push(o) }) })
    const r = await generateText({ model, prompt: 'sum' })
    t.equal(r.text, '12 * 3 = 38', reason)
    t.equal(outcomes[0].skipped, reason)
  }
  const flagged: any[] = []
  const broken = wrapLanguageModel({ model: generateModel([text('12 * 3 = 38')]), middleware: middleware({ enabled: () => { throw new Error('flag service down') }, onOutcome: (o) => flagged.push(o) }) })
  await t.rejects(generateText({ model: broken, prompt: 'sum' }), QwedBlockedError, 'a broken flag keeps verification on')
})

t.test('the verifier unavailable: closed throws QwedUnavailableError, open passes marked UNVERIFIED', async (t) => {
  const engine = downMathEngine()
  const closed = wrapLanguageModel({ model: generateModel([text('2 + 2 = 4')]), middleware: middleware({ extraEngines: [engine] }) })
  const err = await generateText({ model: closed, prompt: 'sum' }).then(() => null, (e: unknown) => e)
  t.ok(err instanceof QwedUnavailableError)
  t.equal((err as QwedUnavailableError).body.statusCode, 503)
  t.type((err as QwedUnavailableError).retryAfterSeconds, 'number')
  t.notMatch(JSON.stringify((err as QwedUnavailableError).body), /down/, 'the engine\'s error does not reach the body')
  t.ok(engine.calls > 0)

  const open = wrapLanguageModel({ model: generateModel([text('2 + 2 = 4')]), middleware: middleware({ extraEngines: [downMathEngine()], onUnavailable: 'open' }) })
  const r = await generateText({ model: open, prompt: 'sum' })
  t.equal(r.text, '2 + 2 = 4')
  t.equal(r.providerMetadata?.qwed?.status, 'UNVERIFIED')
  t.equal(r.providerMetadata?.qwed?.decision, 'fail_open')
})

t.test('tool calls: the SQL argument of a named tool is checked; other tools pass untouched', async (t) => {
  const schema = 'CREATE TABLE orders (id INT, total INT);'
  const call = (toolName: string, input: unknown) => ({ type: 'tool-call', toolCallId: toolName, toolName, input: JSON.stringify(input) })
  const options = { extract: { sql: { schema } }, toolCalls: { runQuery: { sql: 'query' } } }
  const safe = wrapLanguageModel({ model: generateModel([call('runQuery', { query: 'SELECT id, total FROM orders' }), call('other', { query: 'DROP TABLE orders' })]), middleware: middleware(options) })
  const r = await generateText({ model: safe, prompt: 'q' })
  t.equal(r.toolCalls.length, 2)
  t.equal(r.providerMetadata?.qwed?.status, 'VERIFIED')

  const unsafe = wrapLanguageModel({ model: generateModel([call('runQuery', { query: 'DROP TABLE orders' })]), middleware: middleware(options) })
  await t.rejects(generateText({ model: unsafe, prompt: 'q' }), QwedBlockedError)

  const notJson = wrapLanguageModel({ model: generateModel([{ type: 'tool-call', toolCallId: 'x', toolName: 'runQuery', input: '{not json' }]), middleware: middleware(options) })
  const err = await generateText({ model: notJson, prompt: 'q' }).then(() => null, (e: unknown) => e)
  t.ok(err instanceof QwedBlockedError, 'an unreadable tool call is not let through')
  t.equal((err as QwedBlockedError).results[0]?.developer_fields.constraint_id, 'tool_call.unreadable')
})

t.test('tool calls: the code argument of a named tool is checked in its language', async (t) => {
  const call = (source: string) => ({ type: 'tool-call', toolCallId: 'p', toolName: 'runPython', input: JSON.stringify({ source }) })
  const options = { toolCalls: { runPython: { code: 'source', language: 'python' as const } } }
  const safe = wrapLanguageModel({ model: generateModel([call('print(sum([1, 2, 3]))')]), middleware: middleware(options) })
  t.equal((await generateText({ model: safe, prompt: 'q' })).toolCalls.length, 1)
  const unsafe = wrapLanguageModel({ model: generateModel([call('import os\nos.system("rm -rf /")')]), middleware: middleware(options) })
  await t.rejects(generateText({ model: unsafe, prompt: 'q' }), QwedBlockedError)
  const missing = wrapLanguageModel({ model: generateModel([{ type: 'tool-call', toolCallId: 'p', toolName: 'runPython', input: '{"code":"x"}' }]), middleware: middleware(options) })
  const err = await generateText({ model: missing, prompt: 'q' }).then(() => null, (e: unknown) => e) as QwedBlockedError
  t.ok(err instanceof QwedBlockedError, 'a call without the named argument is refused')
  t.equal(err.results[0]?.developer_fields.constraint_id, 'tool_call.unreadable')
})

t.test('tool calls: a function maps a call to claims', async (t) => {
  const seen: any[] = []
  const toolCalls = (call: any) => {
    seen.push(call)
    return call.toolName === 'calc' ? { type: 'math' as const, expression: call.input.expression } : null
  }
  const call = { type: 'tool-call', toolCallId: 'c', toolName: 'calc', input: JSON.stringify({ expression: '2 + 2 = 5' }) }
  const model = wrapLanguageModel({ model: generateModel([call]), middleware: middleware({ claims: false, toolCalls }) })
  await t.rejects(generateText({ model, prompt: 'q' }), QwedBlockedError)
  t.same(seen[0].input, { expression: '2 + 2 = 5' }, 'the function gets the parsed input')
})

t.test('a shared verifier: the middleware uses it and does not close it', async (t) => {
  const verifier = createVerifier({ metrics: { registry: new Registry() } })
  t.teardown(() => verifier.close())
  const m = qwedModelMiddleware({ verifier })
  t.equal(m.verifier, verifier)
  await m.close()
  const r = await verifier.verify({ type: 'math', expression: '2 + 2 = 4' })
  t.equal(r.status, 'VERIFIED', 'still open after the middleware closed')
})

t.test('options are checked at creation, errors name the option', async (t) => {
  const shared = createVerifier({ metrics: { registry: new Registry() } })
  t.teardown(() => shared.close())
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ mode: 'loud' }, 'mode'],
    [{ sampleRate: 2 }, 'sampleRate'],
    [{ onUnavailable: 'maybe' }, 'onUnavailable'],
    [{ claims: 'all' }, 'claims'],
    [{ claims: false }, 'claims'],
    [{ extract: { sql: 'x' } }, 'extract'],
    [{ toolCalls: { runQuery: { sql: '' } } }, 'toolCalls.runQuery'],
    [{ toolCalls: { run: { code: 'src' } } }, 'toolCalls.run.language'],
    [{ replacement: 3 }, 'replacement'],
    [{ route: 'has spaces and {braces}' }, 'route'],
    [{ verifier: {} }, 'verifier'],
    [{ verifier: shared, cache: false }, 'cache'],
    [{ breaker: { timeout: -1 } }, 'breaker.timeout'],
    [{ stream: { maxHoldMs: 0 } }, 'stream.maxHoldMs'],
    [{ unknownOption: 1 }, 'unknownOption']
  ]
  for (const [options, name] of cases) {
    let caught: unknown = null
    try {
      qwedModelMiddleware(options as any)
    } catch (err) {
      caught = err
    }
    t.ok(caught instanceof QwedOptionsError, `${name}: a QwedOptionsError`)
    t.equal((caught as QwedOptionsError | null)?.option, name)
  }
})

t.test('a feature flag that never answers: the unavailable policy decides at the deadline', async (t) => {
  const never = () => new Promise<boolean>(() => {})
  const closed = wrapLanguageModel({ model: generateModel([text('2 + 2 = 4')]), middleware: middleware({ enabled: never, breaker: { timeout: 10 } }) })
  await t.rejects(generateText({ model: closed, prompt: 'sum' }), QwedUnavailableError)
  const open = wrapLanguageModel({ model: generateModel([text('2 + 2 = 4')]), middleware: middleware({ enabled: never, breaker: { timeout: 10 }, onUnavailable: 'open' }) })
  const r = await generateText({ model: open, prompt: 'sum' })
  t.equal(r.text, '2 + 2 = 4')
  t.equal(r.providerMetadata?.qwed?.status, 'UNVERIFIED')
})
