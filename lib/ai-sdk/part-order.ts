import type { StreamPart } from './model-types.js'

// The AI SDK stream as one text plus the other parts at their places in it. The stream verifier
// sees only the text (the concatenated text deltas); what it releases comes back here as a length
// of text, and leaves as text-delta parts of the ids that carried it, with every other part that
// arrived before the text after it. A part that arrived after text still held waits for that text.

interface Segment { start: number, end: number, id: string, providerMetadata: unknown }
interface Placed { at: number, part: StreamPart }

type TextDelta = Extract<StreamPart, { type: 'text-delta' }>

export class PartOrder {
  private readonly segments: Segment[] = []
  private readonly waiting: Placed[] = []
  private received = 0
  private released = 0
  /** Text blocks started and not ended on the consumer's side. */
  readonly open = new Set<string>()

  constructor (private readonly emit: (part: StreamPart) => void) {}

  /** A text delta from the model: its text goes to the verifier (returned), its id is remembered. */
  text (part: TextDelta): string {
    if (part.delta === '') return ''
    this.segments.push({ start: this.received, end: this.received + part.delta.length, id: part.id, providerMetadata: part.providerMetadata })
    this.received += part.delta.length
    return part.delta
  }

  /** Any other part: it leaves now if no text before it is held, else once that text is released. */
  other (part: StreamPart): void {
    this.waiting.push({ at: this.received, part })
    this.flushWaiting()
  }

  /** The verifier released `text`, the next stretch of the answer: out as deltas of the ids that carried it. */
  release (text: string): void {
    let offset = 0
    while (offset < text.length) {
      this.flushWaiting()
      const segment = this.segments[0]
      if (segment === undefined) break
      const take = Math.min(segment.end - this.released, text.length - offset)
      const delta = text.slice(offset, offset + take)
      this.emitPart(segment.providerMetadata === undefined
        ? { type: 'text-delta', id: segment.id, delta }
        : { type: 'text-delta', id: segment.id, delta, providerMetadata: segment.providerMetadata } as TextDelta)
      offset += take
      this.released += take
      if (this.released >= segment.end) this.segments.shift()
    }
    this.flushWaiting()
  }

  /** The stream stopped: what waits behind held text is dropped; returns the ids of blocks left open. */
  drop (): string[] {
    this.waiting.length = 0
    this.segments.length = 0
    return [...this.open]
  }

  private flushWaiting (): void {
    while (this.waiting.length > 0 && (this.waiting[0] as Placed).at <= this.released) {
      this.emitPart((this.waiting.shift() as Placed).part)
    }
  }

  private emitPart (part: StreamPart): void {
    if (part.type === 'text-start') this.open.add(part.id)
    else if (part.type === 'text-end') this.open.delete(part.id)
    this.emit(part)
  }
}
