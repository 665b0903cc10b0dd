import t from 'tap'
import type { AddressInfo } from 'node:net'
import { buildAiServer } from '../examples/ai-sdk-server.js'

/** The UI message stream chunks of one /chat answer. */
async function chat (base: string, a: number): Promise<any[]> {
  const res = await fetch(`${base}/chat?a=${a}&b=7&c=5`)
  const body = await res.text()
  return body.split('\n\n').map((e) => e.replace(/^data: /, '')).filter((d) => d !== '' && d !== '[DONE]').map((d) => JSON.parse(d))
}

t.test('the AI SDK example streams a right answer whole and stops a wrong one before its figure', async (t) => {
  const { server, close } = buildAiServer({ chunkDelayInMs: 0 })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(close)
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const text = (chunks: any[]) => chunks.filter((c) => c.type === 'text-delta').map((c) => c.delta).join('')

  const right = await chat(base, 12)
  t.match(text(right), /12 \* 7 \+ 5 = 89/)
  t.equal(right.find((c) => c.type === 'finish').finishReason, 'stop')

  const wrong = await chat(base, 13)
  t.equal(text(wrong), 'Let me work it out.\n')
  const error = wrong.find((c) => c.type === 'error')
  t.equal(JSON.parse(error.errorText).code, 'QWED_BLOCKED')
  t.equal(wrong.find((c) => c.type === 'finish').finishReason, 'content-filter')
})
