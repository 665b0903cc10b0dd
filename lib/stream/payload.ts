// The answer text inside one JSON frame of a model's stream, and the same frame carrying other text.
// Shapes (field names as the providers document them): an OpenAI chat completion chunk
// (choices[].delta.content), a Responses API text delta (type response.output_text.delta, delta),
// an Anthropic text delta (type content_block_delta, delta.text), an Ollama chat or generate line
// (message.content, response). A frame of another shape carries no answer text.

export interface FrameText {
  text: string
  /** The same frame (every other field kept) carrying `part` instead. */
  with: (part: string) => unknown
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

export function textOf (value: unknown): FrameText | null {
  if (!isObject(value)) return null
  if (Array.isArray(value.choices)) return chatChunk(value, value.choices)
  if (value.type === 'response.output_text.delta' && typeof value.delta === 'string') {
    return { text: value.delta, with: (part) => ({ ...value, delta: part }) }
  }
  if (value.type === 'content_block_delta' && isObject(value.delta) && value.delta.type === 'text_delta' && typeof value.delta.text === 'string') {
    const delta = value.delta
    return { text: delta.text as string, with: (part) => ({ ...value, delta: { ...delta, text: part } }) }
  }
  if (isObject(value.message) && typeof value.message.content === 'string' && typeof value.done === 'boolean') {
    const message = value.message
    return { text: message.content as string, with: (part) => ({ ...value, message: { ...message, content: part } }) }
  }
  if (typeof value.response === 'string' && typeof value.done === 'boolean') {
    return { text: value.response, with: (part) => ({ ...value, response: part }) }
  }
  return null
}

/**
 * The choices' delta contents, in order, as one text (a stream with n > 1 choices is verified as one
 * text); a part goes back into the first choice that had content, the others carry none.
 */
function chatChunk (value: Json, choices: unknown[]): FrameText | null {
  const holders = choices.map((choice, index) => ({ choice, index }))
    .filter(({ choice }) => isObject(choice) && isObject(choice.delta) && typeof choice.delta.content === 'string')
  if (holders.length === 0) return null
  const text = holders.map(({ choice }) => ((choice as Json).delta as Json).content as string).join('')
  const first = (holders[0] as { index: number }).index
  const indexes = new Set(holders.map((h) => h.index))
  return {
    text,
    with: (part) => ({
      ...value,
      choices: choices.map((choice, index) => {
        if (!indexes.has(index)) return choice
        const c = choice as Json
        return { ...c, delta: { ...(c.delta as Json), content: index === first ? part : '' } }
      })
    })
  }
}
