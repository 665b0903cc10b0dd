import { MockLanguageModelV3, simulateReadableStream } from 'ai/test'
import type { Engine, EngineResult } from '../../types/engine.js'

// Mock AI SDK models for the middleware tests: a generated answer, or a stream of text deltas.

export const USAGE = {
  inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined }
}
export const STOP = { unified: 'stop' as const, raw: 'stop' }

export function generateModel (content: any[]): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doGenerate: async () => ({ content, finishReason: STOP, usage: USAGE, warnings: [] })
  })
}

/** The parts of one text block cut into `deltas`, framed as a model streams them. */
export function textParts (deltas: readonly string[], id = 't1'): any[] {
  return [
    { type: 'text-start', id },
    ...deltas.map((delta) => ({ type: 'text-delta', id, delta })),
    { type: 'text-end', id }
  ]
}

export function streamParts (middle: any[]): any[] {
  return [{ type: 'stream-start', warnings: [] }, ...middle, { type: 'finish', finishReason: STOP, usage: USAGE }]
}

export function streamModel (parts: any[] | (() => ReadableStream<any>)): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doStream: async () => ({ stream: typeof parts === 'function' ? parts() : simulateReadableStream({ chunks: parts }) })
  })
}

/** A math engine that is down: every claim makes it throw, as an engine outage does. */
export function downMathEngine (): Engine<any> & { calls: number } {
  const engine = {
    name: 'math-down',
    claimTypes: ['math'],
    calls: 0,
    async verify (): Promise<EngineResult> {
      engine.calls++
      throw new Error('math engine is down')
    }
  }
  return engine
}

/** A model stream the test drives part by part; `cancelled` settles when the middleware cancels it. */
export function manualStream (): { stream: ReadableStream<any>, push: (part: any) => void, fail: (err: Error) => void, close: () => void, cancelled: Promise<void> } {
  let controller!: ReadableStreamDefaultController<any>
  let onCancel!: () => void
  const cancelled = new Promise<void>((resolve) => { onCancel = resolve })
  const stream = new ReadableStream<any>({
    start: (c) => { controller = c },
    cancel: () => { onCancel() }
  })
  return { stream, push: (part) => { controller.enqueue(part) }, fail: (err) => { controller.error(err) }, close: () => { controller.close() }, cancelled }
}

/** Every part a stream yields, and the error it ended with (if any). */
export async function drain (stream: ReadableStream<any>): Promise<{ parts: any[], error: unknown }> {
  const parts: any[] = []
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { parts, error: null }
      parts.push(value)
    }
  } catch (error) {
    return { parts, error }
  }
}

/** The text the consumer saw: every text-delta, joined. */
export function shownText (parts: readonly any[]): string {
  return parts.filter((p) => p.type === 'text-delta').map((p) => p.delta as string).join('')
}
