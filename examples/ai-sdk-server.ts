// A Node http server that streams an AI SDK answer to the browser through qwedModelMiddleware.
// `npx tsx examples/ai-sdk-server.ts` serves it on 127.0.0.1:3001 (offline: the model is a fake that
// streams explainArithmetic's answer, wrong on purpose when `a` is odd). Open http://127.0.0.1:3001/
// and try a=12 (verified, streams whole) and a=13 (the wrong figure never reaches the page).
import { createServer, type Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import { simulateReadableStream, streamText, wrapLanguageModel } from 'ai'
import { qwedModelMiddleware, QwedBlockedError, QwedUnavailableError } from '../lib/ai-sdk/index.js'
import { explainArithmetic } from './fake-llm.js'

/** A language model (AI SDK spec v3) that streams a fixed answer in small deltas. */
function fakeModel (answer: (prompt: string) => string, chunkDelayInMs: number): Parameters<typeof wrapLanguageModel>[0]['model'] {
  return {
    specificationVersion: 'v3',
    provider: 'example',
    modelId: 'fake-arithmetic',
    supportedUrls: {},
    doGenerate: async () => { throw new Error('this example only streams') },
    doStream: async ({ prompt }) => {
      const last = prompt.at(-1)
      const text = answer(last?.role === 'user' ? last.content.map((p) => p.type === 'text' ? p.text : '').join('') : '')
      const deltas = text.match(/[\s\S]{1,6}/g) ?? []
      return {
        stream: simulateReadableStream({
          chunkDelayInMs,
          chunks: [
            { type: 'stream-start', warnings: [] },
            { type: 'text-start', id: 'a' },
            ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 'a', delta })),
            { type: 'text-end', id: 'a' },
            {
              type: 'finish',
              finishReason: { unified: 'stop', raw: 'stop' },
              usage: { inputTokens: { total: 5, noCache: 5, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: deltas.length, text: deltas.length, reasoning: undefined } }
            }
          ]
        })
      }
    }
  }
}

function answerFor (prompt: string): string {
  const [a, b, c] = (prompt.match(/-?\d+/g) ?? ['12', '7', '5']).map(Number)
  const { text, calculation } = explainArithmetic(a ?? 12, b ?? 7, c ?? 5)
  return `Let me work it out.\n${calculation}\n${text}\n`
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>qwed + AI SDK</title>
<form><input name="a" value="13"> × <input name="b" value="7"> + <input name="c" value="5"> <button>Ask</button></form>
<pre id="out"></pre><script>
document.querySelector('form').onsubmit = async (e) => {
  e.preventDefault(); const f = new FormData(e.target); const out = document.getElementById('out'); out.textContent = ''
  const res = await fetch('/chat?' + new URLSearchParams(f)); const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  for (let buf = ''; ;) { const { done, value } = await reader.read(); if (done) break; buf += value
    const events = buf.split('\\n\\n'); buf = events.pop()
    for (const ev of events) { const data = ev.replace(/^data: /, ''); if (data === '[DONE]') continue; const chunk = JSON.parse(data)
      if (chunk.type === 'text-delta') out.textContent += chunk.delta
      if (chunk.type === 'error') out.textContent += '\\n[refused by qwed] ' + chunk.errorText } }
}</script>`

/** The server; `chunkDelayInMs` paces the fake model (0 in tests). */
export function buildAiServer (options: { chunkDelayInMs?: number } = {}): { server: Server, close: () => Promise<void> } {
  const qwed = qwedModelMiddleware({ audit: false })
  const model = wrapLanguageModel({ model: fakeModel(answerFor, options.chunkDelayInMs ?? 40), middleware: qwed })
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
      return
    }
    if (url.pathname !== '/chat') {
      res.writeHead(404).end()
      return
    }
    const prompt = `What is ${url.searchParams.get('a') ?? '12'} * ${url.searchParams.get('b') ?? '7'} + ${url.searchParams.get('c') ?? '5'}?`
    // The consumer's abort (the browser leaving) reaches the middleware through the stream's cancel.
    const result = streamText({ model, prompt, onError: () => {} })
    result.pipeUIMessageStreamToResponse(res, {
      // The client gets the verdict body (the 422 / 503 body), never an engine's internals.
      onError: (error) => error instanceof QwedBlockedError || error instanceof QwedUnavailableError ? JSON.stringify(error.body) : 'An error occurred.'
    })
  })
  return {
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
      await qwed.close()
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3001)
  const { server } = buildAiServer()
  server.listen(port, '127.0.0.1', () => { console.log(`listening on http://127.0.0.1:${port}`) })
}
