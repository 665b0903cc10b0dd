import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { textOf } from './payload.js'

// The stream formats, by content type, parsed into frames; each frame can be written again as the
// same kind of frame carrying another part of its text.

export type StreamFormat = 'sse' | 'ndjson' | 'text'

/**
 * One frame of the stream. `text` is its share of the answer (null: a frame with no answer text,
 * which keeps its place in the order); `raw` is the frame as it came; `encode(part)` is the same
 * frame carrying `part` instead of its text. `done` marks SSE `[DONE]`: the end of the answer.
 */
export interface Frame {
  text: string | null
  raw: string
  encode: (part: string) => string
  done?: boolean
}

export interface FrameParser {
  push: (chunk: string) => Frame[]
  end: () => Frame[]
  /** Bytes received but not yet part of a frame. */
  pending: () => number
}

/** The format of a content type, or null when it is not a text stream this library reads. */
export function formatOf (contentType: string | undefined): StreamFormat | null {
  if (contentType === undefined) return null
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'text/event-stream') return 'sse'
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') return 'ndjson'
  if (type === 'text/plain' || type === 'text/markdown') return 'text'
  return null
}

export function createFrameParser (format: StreamFormat, maxPendingBytes: number): FrameParser {
  switch (format) {
    case 'sse': return sseParser(maxPendingBytes)
    case 'ndjson': return ndjsonParser()
    case 'text': return textParser()
  }
}

/** A frame with no answer text: it goes out as it came. */
function opaque (raw: string, done = false): Frame {
  return { text: null, raw, encode: () => raw, done }
}

function textParser (): FrameParser {
  return {
    push: (chunk) => chunk === '' ? [] : [{ text: chunk, raw: chunk, encode: (part) => part }],
    end: () => [],
    pending: () => 0
  }
}

/** One JSON value a line; a line that is not JSON is text itself (its newline included). */
function ndjsonParser (): FrameParser {
  let rest = ''
  const line = (raw: string, ending: string): Frame => {
    const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (source.trim() === '') return opaque(raw + ending)
    let value: unknown
    try {
      value = JSON.parse(source)
    } catch {
      const whole = raw + ending
      return { text: whole, raw: whole, encode: (part) => part }
    }
    const found = textOf(value)
    if (found === null || found.text === '') return opaque(raw + ending)
    return { text: found.text, raw: raw + ending, encode: (part) => JSON.stringify(found.with(part)) + '\n' }
  }
  return {
    push: (chunk) => {
      rest += chunk
      if (!chunk.includes('\n')) return []
      const lines = rest.split('\n')
      rest = lines.pop() as string
      return lines.map((l) => line(l, '\n'))
    },
    end: () => {
      const last = rest
      rest = ''
      return last === '' ? [] : [line(last, '')]
    },
    pending: () => rest.length
  }
}

/** SSE through eventsource-parser: events, comments and retry fields become frames in their order. */
function sseParser (maxPendingBytes: number): FrameParser {
  let frames: Frame[] = []
  let overflow = false
  let size = 0
  const parser = createParser({
    maxBufferSize: maxPendingBytes,
    onEvent: (event) => { frames.push(sseFrame(event)) },
    onComment: (comment) => { frames.push(opaque(`: ${comment}\n\n`)) },
    onRetry: (retry) => { frames.push(opaque(`retry: ${retry}\n\n`)) },
    onError: (error) => {
      // A line too long to hold is a hold limit; other parse errors drop the line, as a browser does.
      if (error.type === 'max-buffer-size-exceeded') overflow = true
    }
  })
  const take = (): Frame[] => {
    const out = frames
    frames = []
    size = 0
    return out
  }
  return {
    push: (chunk) => {
      parser.feed(chunk)
      size += chunk.length
      if (overflow) {
        // The parser dropped the overlong event and stopped: it resumes with the next line.
        overflow = false
        parser.reset()
        throw new HoldOverflow()
      }
      return take()
    },
    end: () => {
      parser.reset({ consume: true })
      return take()
    },
    // The parser's own buffer is not visible: what was fed since the last frame bounds it.
    pending: () => frames.length === 0 ? size : 0
  }
}

/** The SSE parser met a line longer than the hold limit. */
export class HoldOverflow extends Error {
  constructor () {
    super('qwed: an SSE line is longer than the hold bound')
  }
}

export function serializeSse (event: EventSourceMessage): string {
  let out = ''
  if (event.event !== undefined) out += `event: ${event.event}\n`
  if (event.id !== undefined) out += `id: ${event.id}\n`
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`
  return out + '\n'
}

function sseFrame (event: EventSourceMessage): Frame {
  const raw = serializeSse(event)
  if (event.data.trim() === '[DONE]') return opaque(raw, true)
  const data = event.data.trimStart()
  if (data.startsWith('{') || data.startsWith('[')) {
    let value: unknown
    try {
      value = JSON.parse(data)
    } catch {
      value = undefined
    }
    if (value !== undefined) {
      const found = textOf(value)
      if (found === null || found.text === '') return opaque(raw)
      return { text: found.text, raw, encode: (part) => serializeSse({ ...event, data: JSON.stringify(found.with(part)) }) }
    }
  }
  if (event.data === '') return opaque(raw)
  return { text: event.data, raw, encode: (part) => serializeSse({ ...event, data: part }) }
}
