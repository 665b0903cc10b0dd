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
