import t from 'tap'
import { createVerifier } from '../lib/verifier.js'
import { verifyStream, type StreamOutcome, type StreamVerifyOptions } from '../lib/stream/verify.js'
import { HoldScanner } from '../lib/stream/hold.js'
import type { StreamFormat } from '../lib/stream/formats.js'
import { captureLogger, scriptEngine } from './helpers/engines.js'
import { findTestClaims, fixedSplit, fromPieces, manualClock, randomSplit, seeded } from './helpers/stream.js'

// The stream verifier without a framework: bytes in, bytes out, the real engines deciding.

const audit = captureLogger()
const engine = scriptEngine()
const verifier = createVerifier({ audit: { logger: audit.logger }, extraEngines: [engine] })
t.teardown(async () => { await verifier.close() })

async function run (pieces: readonly Buffer[] | AsyncIterable<unknown>, format: StreamFormat, options: Partial<StreamVerifyOptions> = {}): Promise<{ text: string, outcome: StreamOutcome }> {
  let outcome: StreamOutcome | undefined
  const ended = new Promise<void>((resolve) => {
    options = { ...options, onEnd: (o) => { outcome = o; resolve() } }
  })
  const chunks: Buffer[] = []
  const source = Array.isArray(pieces) ? fromPieces(pieces) : pieces as AsyncIterable<unknown>
  for await (const chunk of verifyStream(source, {
    format,
    mode: 'enforce',
    findClaims: findTestClaims,
    verify: async (claims) => await verifier.verifyBatch(claims),
    onUnavailable: 'closed',
    sanitize: null,
    limits: { maxHeldBytes: 65536, maxHoldMs: 10_000 },
    exposeDetails: false,
    onEnd: () => {},
    ...options
  })) chunks.push(chunk)
  await ended
  return { text: Buffer.concat(chunks).toString('utf8'), outcome: outcome as StreamOutcome }
}

const ANSWER = [
  'Here is the bill, step by step (all prices in €):',
  '',
  'The subtotal is 12.5 + 7.5 = 20 and the tax 20 * 0.1 = 2.',
  'Grüße — naïve café ünïcödé 😀 text between the figures.',
  '```python',
  'print(sum([1, 2, 3]))',
  '```',
  'So the total is 20 + 2 = 22.',
  ''
].join('\n')
const WRONG = ANSWER.replace('20 + 2 = 22', '20 + 2 = 23')

t.test('an answer whose claims hold leaves byte for byte, at every split', async (t) => {
  const bytes = Buffer.from(ANSWER, 'utf8')
  for (const size of [1, 2, 3, 5, 64, bytes.length]) {
    const { text, outcome } = await run(fixedSplit(bytes, size), 'text')
    t.equal(text, ANSWER, `pieces of ${size} bytes`)
    t.equal(outcome.decision, 'admit')
    t.equal(outcome.stream.claims, 4, 'three sums and one code block')
  }
  const random = seeded(14)
  for (let round = 0; round < 20; round++) {
    const { text } = await run(randomSplit(bytes, random, 9), 'text')
    t.equal(text, ANSWER, `random split ${round}`)
  }
})

t.test('a false figure is never sent: the stream stops before its line, at every split', async (t) => {
  const bytes = Buffer.from(WRONG, 'utf8')
  const lineStart = WRONG.indexOf('So the total is')
  const stop = lineStart + 'So the total is '.length
  const random = seeded(7)
  const splits = [...[1, 2, 3, 7, bytes.length].map((n) => fixedSplit(bytes, n)), ...Array.from({ length: 20 }, () => randomSplit(bytes, random, 11))]
  for (const pieces of splits) {
    const { text, outcome } = await run(pieces, 'text')
    t.notOk(text.includes('23'), 'the wrong figure never leaves')
    t.notOk(text.includes('20 + 2'), 'nor the start of its statement')
    // The line's words before the figure leave when they arrive before the rest of the line.
    t.ok(text === WRONG.slice(0, stop) || text === WRONG.slice(0, lineStart), 'everything before the claim left, nothing after it')
    t.equal(outcome.decision, 'block')
    t.equal(outcome.stream.stopped, 'blocked')
    t.equal(outcome.stream.bytes_sent, Buffer.byteLength(text))
  }
})

t.test('text with no claim flows at once: only the word being written is held', async (t) => {
  const scanner = new HoldScanner('claims')
  const released = (actions: ReturnType<HoldScanner['push']>): string => actions.map((a) => a.kind === 'release' ? a.text : `[unit:${a.text}]`).join('')
  t.equal(released(scanner.push('Hello wor')), 'Hello ')
  t.equal(released(scanner.push('ld, how are')), 'world, how ')
  t.equal(released(scanner.push(' you: 4')), 'are you: ')
  t.equal(released(scanner.push('2 apples and round(')), '', 'a figure holds the rest of its line')
  t.equal(released(scanner.push('2.5)\nnext')), '[unit:Hello world, how are you: 42 apples and round(2.5)\n]')
  t.equal(released(scanner.finish()), '[unit:next]')
})

t.test('a claim that starts with an astral digit (U+1D7CF) is held from that digit, even when its surrogates come in two pushes', async (t) => {
  const text = 'Total: \u{1D7CF}\u{1D7D0} * 3 = 38 dollars.\n'
  for (const pieces of [text.split(''), [...text]]) {
    const scanner = new HoldScanner('claims')
    const early = pieces.flatMap((p) => scanner.push(p)).filter((a) => a.kind === 'release').map((a) => a.text).join('')
    t.equal(early, 'Total: ', pieces.length === text.length ? 'pushed by UTF-16 code unit' : 'pushed by code point')
  }
})

t.test('claims mode, no fences: what flows is every complete line and the incomplete line up to the last space before a claim could start', async (t) => {
  // The reference reads the text by code point; the scanner reads what each push brought.
  const CLAIM_START = /[\p{Nd}\p{Sc}\p{Sm}(\-*/^%√π]/u
  const FENCE_HEAD = /^ {0,3}$/
  const expected = (seen: string): string => {
    const cut = seen.lastIndexOf('\n') + 1
    const line = seen.slice(cut)
    if (FENCE_HEAD.test(line.slice(0, 7))) return seen.slice(0, cut)
    let space = -1
    let at = 0
    for (const ch of line) {
      if (CLAIM_START.test(ch)) break
      if (/\s/.test(ch)) space = at
      at += ch.length
    }
    return seen.slice(0, cut + space + 1)
  }
  const alphabet = ['a', 'b', ' ', ' ', '\t', '\n', '1', '+', '=', '$', '€', '(', '.', '√', '\u00a0', '\u3000', 'é', '\u{1F600}', '\u{1D7CF}', '-', '×']
  const random = seeded(18)
  for (let run = 0; run < 3000; run++) {
    let text = ''
    const length = 1 + Math.floor(random() * 60)
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)]
    const scanner = new HoldScanner('claims')
    let out = ''
    let seen = ''
    for (let i = 0; i < text.length;) {
      const piece = text.slice(i, i + 1 + Math.floor(random() * 5))
      i += piece.length
      seen += piece
      for (const action of scanner.push(piece)) out = action.end === action.start ? out : out.slice(0, action.start) + action.text
      // A high surrogate at the end waits for its pair: the reference, by code point, cannot split one.
      if (/[\ud800-\udbff]$/.test(seen)) continue
      if (out !== expected(seen)) {
        t.fail(`${JSON.stringify(seen)}: released ${JSON.stringify(out)}, expected ${JSON.stringify(expected(seen))}`)
        return
      }
    }
  }
  t.pass('3000 random texts in random pushes: the scanner released exactly what the reference says')
})

t.test('a function name before its parenthesis is held with it', async (t) => {
  const scanner = new HoldScanner('claims')
  const out = [...scanner.push('We get sqrt'), ...scanner.push('(16) = 4\n')]
  t.same(out.map((a) => a.kind === 'release' ? a.text : 'unit'), ['We get ', 'unit'])
})

t.test('fences: held from the opening line to the closing one, whatever the chunks', async (t) => {
  const text = 'Intro\n  ~~~~ js\nlet a = 1\n~~~ not yet\n~~~~~  \nafter\n````\n```\n````\n'
  for (const size of [1, 4, text.length]) {
    const scanner = new HoldScanner('claims')
    const actions = [...fixedSplit(Buffer.from(text), size).flatMap((p) => scanner.push(p.toString())), ...scanner.finish()]
    const units = actions.filter((a) => a.kind === 'unit').map((a) => a.text)
    t.same(units, ['Intro\n', '  ~~~~ js\nlet a = 1\n~~~ not yet\n~~~~~  \n', 'after\n', '````\n```\n````\n'], `pieces of ${size}`)
    const early = actions.filter((a) => a.kind === 'release').map((a) => a.text).join('')
    t.notOk(early.includes('let'), 'nothing inside a fence flows before it closes')
  }
  const inline = new HoldScanner('claims')
  t.same(inline.push('```js``` inline code\n').map((a) => a.kind), ['unit'], 'backticks in the info string: not a fence')
})

t.test('an unclosed fence at the end is a unit, and its claim is verified', async (t) => {
  const text = 'Run this:\n```python\nimport os\nos.system("rm -rf /")\n'
  const { text: out, outcome } = await run(fixedSplit(Buffer.from(text), 3), 'text')
  t.equal(out, 'Run this:\n', 'the unclosed block never leaves')
  t.equal(outcome.decision, 'block')
  t.equal(outcome.results[0]?.engine, 'code')
})

t.test('multi-byte characters split at every byte come out whole', async (t) => {
  const text = '€€€ 😀😀 ünïcödé 1 + 1 = 2 ✓\n'
  const { text: out } = await run(fixedSplit(Buffer.from(text), 1), 'text')
  t.equal(out, text)
  t.notOk(out.includes('\uFFFD'))
})

const sse = (content: string): string => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`

t.test('SSE: chat chunks keep their envelope; a blocked claim ends with event: qwed and nothing after it', async (t) => {
  const tokens = ['The total ', 'is 20', ' + 2', ' = 23', '.\nMore text', ' after.']
  const body = ': keep-alive\n\n' + tokens.map(sse).join('') + 'data: [DONE]\n\n'
  const { text, outcome } = await run(fixedSplit(Buffer.from(body), 5), 'sse')
  t.notOk(text.includes('23'))
  t.notOk(text.includes('More text'))
  t.notOk(text.includes('[DONE]'), 'nothing after the final frame')
  const events = text.split('\n\n').filter(Boolean)
  t.equal(events[0], ': keep-alive', 'a comment keeps its place')
  t.same(JSON.parse((events[1] as string).slice('data: '.length)), { id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'The total ' } }] }, 'a frame released whole leaves unchanged')
  const data = events.slice(1, -1).map((e) => JSON.parse(e.slice('data: '.length)).choices[0].delta.content as string)
  t.equal(data.join(''), 'The total is ', 'the words before the figure, in chat chunks')
  const last = events.at(-1) as string
  t.match(last, /^event: qwed\ndata: /)
  const final = JSON.parse(last.split('\ndata: ')[1] as string)
  t.match(final, { statusCode: 422, code: 'QWED_BLOCKED', qwed: { status: 'UNVERIFIABLE', results: [{ engine: 'math', admission: 'BLOCKED' }] } })
  t.equal(outcome.decision, 'block')
})

t.test('SSE: an admitted answer re-emits held text as the same kind of frame, then event: qwed VERIFIED', async (t) => {
  const body = sse('Sum: 2 +') + sse(' 2 = 4\n') + 'data: [DONE]\n\n'
  const { text } = await run([Buffer.from(body)], 'sse')
  const events = text.split('\n\n').filter(Boolean)
  const contents = events.filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)).choices[0].delta.content)
  t.equal(contents.join(''), 'Sum: 2 + 2 = 4\n', 'the text arrives whole, in order')
  t.equal(contents[0], 'Sum: ', 'the part before the claim left in the first chunk\'s envelope')
  t.ok(events.includes('data: [DONE]'))
  const final = events.at(-1) as string
  t.match(final, /^event: qwed\n/)
  t.match(JSON.parse(final.split('\ndata: ')[1] as string), { code: 'QWED_VERIFIED', qwed: { status: 'VERIFIED' } })
})

t.test('SSE: Responses API text deltas and raw data payloads contribute their text', async (t) => {
  const delta = (d: string): string => `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', delta: d })}\n\n`
  const blockedRun = await run([Buffer.from(delta('3 * 3 = ') + delta('10\n') + 'event: response.completed\ndata: {"type":"response.completed"}\n\n')], 'sse')
  t.notOk(blockedRun.text.includes('10'))
  t.notOk(blockedRun.text.includes('response.completed'))
  const raw = await run([Buffer.from('data: 6 / 2\n\ndata:  = 4\n\n')], 'sse')
  t.notOk(raw.text.includes('= 4'), 'raw data is text too')
  t.equal(raw.outcome.decision, 'block')
})

t.test('NDJSON: lines keep their shape; a blocked claim ends with a {"qwed": ...} line', async (t) => {
  const line = (content: string, done = false): string => JSON.stringify({ model: 'm', message: { role: 'assistant', content }, done }) + '\n'
  const body = line('Two and two: 2') + line(' + 2 = 5') + line('\nok') + line('', true)
  const { text, outcome } = await run(fixedSplit(Buffer.from(body), 4), 'ndjson')
  const lines = text.trim().split('\n').map((l) => JSON.parse(l))
  t.equal(lines[0].message.content, 'Two and two: ')
  t.same(Object.keys(lines.at(-1)), ['qwed'])
  t.equal(lines.at(-1).qwed.code, 'QWED_BLOCKED')
  t.notOk(text.includes('= 5'))
  t.equal(outcome.decision, 'block')
  const ok = await run([Buffer.from(line('1 + 1 = 2\n') + line('', true))], 'ndjson')
  t.equal(ok.text, line('1 + 1 = 2\n') + line('', true), 'an admitted NDJSON stream leaves unchanged')
})

t.test('sanitization works on whole units: a secret split over chunks is still caught', async (t) => {
  const { compileSanitizeOptions, sanitizeCompiled } = await import('../lib/guard/output.js')
  const options = compileSanitizeOptions({})
  const text = 'Mail me at jane.doe@example.com please.\nNo figures here.\n'
  const { text: out } = await run(fixedSplit(Buffer.from(text), 1), 'text', { findClaims: null, sanitize: (s) => sanitizeCompiled(s, options).value })
  t.notOk(out.includes('jane.doe@example.com'))
  t.match(out, /No figures here\.\n$/)
})

t.test('shadow: nothing is held, the verdicts are recorded', async (t) => {
  const bytes = Buffer.from(WRONG)
  const { text, outcome } = await run(fixedSplit(bytes, 4), 'text', { mode: 'shadow' })
  t.equal(text, WRONG)
  t.equal(outcome.decision, 'shadow')
  t.equal(outcome.results.filter((r) => r.admission === 'BLOCKED').length, 1)
})

t.test('an unavailable engine: closed stops with the 503 body, open lets the text through as UNVERIFIED', async (t) => {
  const finder = (unit: string) => unit.includes('=') ? [{ type: 'script', verdict: 'throw' } as any] : []
  const body = sse('a = ') + sse('b\nrest\n')
  const closed = await run([Buffer.from(body)], 'sse', { findClaims: finder })
  t.match(closed.text, /event: qwed\ndata: \{"statusCode":503,"code":"QWED_UNAVAILABLE"/)
  t.notOk(closed.text.includes('rest'))
  t.equal(closed.outcome.decision, 'fail_closed')
  const open = await run([Buffer.from(body)], 'sse', { findClaims: finder, onUnavailable: 'open' })
  t.ok(open.text.includes('rest'))
  t.match(open.text, /"code":"QWED_UNVERIFIED"/)
  t.equal(open.outcome.status, 'UNVERIFIED')
})

t.test('a claims finder that throws blocks the unit', async (t) => {
  const { text, outcome } = await run([Buffer.from('x 1'), Buffer.from('\ny\n')], 'text', { findClaims: () => { throw new Error('boom') } })
  t.equal(text, 'x ')
  t.equal(outcome.decision, 'block')
  t.equal(outcome.stream.stopped, 'claims_error')
})

/** A source the test feeds by hand; return() closes it at once, as it does a Readable. */
function manualSource () {
  const queue: Array<Buffer | null> = []
  let waiting: ((result: IteratorResult<Buffer>) => void) | null = null
  let closed = false
  const take = (resolve: (result: IteratorResult<Buffer>) => void): void => {
    const next = queue.shift()
    if (next === undefined) { waiting = resolve; return }
    resolve(next === null ? { done: true, value: undefined } : { done: false, value: next })
  }
  return {
    closed: () => closed,
    push (text: string | null) {
      queue.push(text === null ? null : Buffer.from(text))
      const resolve = waiting
      waiting = null
      if (resolve !== null) take(resolve)
    },
    [Symbol.asyncIterator] () {
      return {
        next: async () => await new Promise<IteratorResult<Buffer>>((resolve) => { closed ? resolve({ done: true, value: undefined }) : take(resolve) }),
        return: async () => {
          closed = true
          waiting?.({ done: true, value: undefined })
          return { done: true as const, value: undefined }
        }
      }
    }
  }
}

t.test('hold time bound: a claim that never completes is stopped (closed) or let through (open)', async (t) => {
  for (const policy of ['closed', 'open'] as const) {
    const clock = manualClock()
    const source = manualSource()
    const out: string[] = []
    let outcome: StreamOutcome | undefined
    const consumer = (async () => {
      for await (const chunk of verifyStream(source, {
        format: 'text',
        mode: 'enforce',
        findClaims: findTestClaims,
        verify: async (c) => await verifier.verifyBatch(c),
        onUnavailable: policy,
        sanitize: null,
        limits: { maxHeldBytes: 65536, maxHoldMs: 5000 },
        exposeDetails: false,
        clock,
        onEnd: (o) => { outcome = o }
      })) out.push(chunk.toString())
    })()
    source.push('Total: 7 * 6 = ')
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(out.join(''), 'Total: ', `${policy}: only the text before the figure left`)
    clock.advance(4999)
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(out.join(''), 'Total: ', `${policy}: still held before the bound`)
    clock.advance(1)
    await new Promise((resolve) => setImmediate(resolve))
    if (policy === 'closed') {
      await consumer
      t.equal(out.join(''), 'Total: ')
      t.equal(outcome?.decision, 'fail_closed')
      t.equal(outcome?.stream.stopped, 'hold_limit')
      t.ok(source.closed(), 'the source is closed')
    } else {
      t.equal(out.join(''), 'Total: 7 * 6 = ', 'fail open: the held text leaves unverified')
      source.push('42\n')
      source.push(null)
      await consumer
      t.equal(outcome?.status, 'UNVERIFIED')
    }
  }
})

t.test('held bytes bound: a line longer than maxHeldBytes applies the policy', async (t) => {
  const long = '1 + ' + '1 + '.repeat(100) + '1 = 102\n'
  const { text, outcome } = await run(fixedSplit(Buffer.from(long), 16), 'text', { limits: { maxHeldBytes: 128, maxHoldMs: 10_000 } })
  t.equal(text, '')
  t.equal(outcome.decision, 'fail_closed')
  t.ok(outcome.stream.held_bytes_max > 128)
})

t.test('disconnect: pending verification is abandoned and the source closed', async (t) => {
  const source = manualSource()
  const left = new AbortController()
  let outcome: StreamOutcome | undefined
  const out: string[] = []
  const finder = (unit: string) => unit.includes('=') ? [{ type: 'script', verdict: 'true', delayMs: 200 } as any] : []
  const consumer = (async () => {
    for await (const chunk of verifyStream(source, {
      format: 'text',
      mode: 'enforce',
      findClaims: finder,
      verify: async (c) => await verifier.verifyBatch(c),
      onUnavailable: 'closed',
      sanitize: null,
      limits: { maxHeldBytes: 65536, maxHoldMs: 10_000 },
      exposeDetails: false,
      signal: left.signal,
      onEnd: (o) => { outcome = o }
    })) out.push(chunk.toString())
  })()
  source.push('a = b\nmore')
  await new Promise((resolve) => setImmediate(resolve))
  left.abort()
  await consumer
  t.equal(out.join(''), '')
  t.equal(outcome?.stream.stopped, 'disconnect')
  t.ok(source.closed())
})

t.test('a pulled stream reads its source only as fast as it is read', async (t) => {
  let produced = 0
  async function * source () {
    for (let i = 0; i < 1000; i++) {
      produced++
      yield Buffer.from(`line ${i} without claims\n`.replace(/\d/g, 'x'))
    }
  }
  const iterator = verifyStream(source(), {
    format: 'text',
    mode: 'enforce',
    findClaims: findTestClaims,
    verify: async (c) => await verifier.verifyBatch(c),
    onUnavailable: 'closed',
    sanitize: null,
    limits: { maxHeldBytes: 65536, maxHoldMs: 10_000 },
    exposeDetails: false,
    onEnd: () => {}
  })
  for (let i = 0; i < 5; i++) await iterator.next()
  t.ok(produced <= 6, `produced ${produced} chunks for 5 read`)
  await iterator.return()
})

t.test('a line far longer than the hold bound flows while it holds no claim; its claim is still found', async (t) => {
  const line = 'word '.repeat(50_000) + 'and 2 + 2 = 5 at the end\n'
  const { text, outcome } = await run(fixedSplit(Buffer.from(line), 1000), 'text', { limits: { maxHeldBytes: 1024, maxHoldMs: 10_000 } })
  // The last piece completes the line, so the words it brings wait with the claim.
  t.ok('word '.repeat(50_000).startsWith(text) && text.length > 50_000 * 5 - 1000, `released ${text.length} bytes of words`)
  t.equal(outcome.decision, 'block')
  t.ok(outcome.stream.held_bytes_max < 1024)
})

t.test('a slow reader does not count against the hold-time bound', async (t) => {
  const clock = manualClock()
  const iterator = verifyStream(fromPieces([Buffer.from('Start then 6 * 7'), Buffer.from(' = 42\nend\n')]), {
    format: 'text',
    mode: 'enforce',
    findClaims: findTestClaims,
    verify: async (c) => await verifier.verifyBatch(c),
    onUnavailable: 'closed',
    sanitize: null,
    limits: { maxHeldBytes: 65536, maxHoldMs: 1000 },
    exposeDetails: false,
    clock,
    onEnd: () => {}
  })
  const first = await iterator.next()
  t.equal(first.value?.toString(), 'Start then ')
  // The reader pauses far past the bound while '6 * 7' is held.
  clock.advance(60_000)
  let rest = ''
  for await (const chunk of { [Symbol.asyncIterator]: () => iterator }) rest += chunk.toString()
  t.equal(rest, '6 * 7 = 42\nend\n')
})
