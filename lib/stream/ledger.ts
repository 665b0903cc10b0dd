import type { Frame } from './formats.js'

// The frames of a stream in their order, and how much of each one's text may leave. Released text
// goes out in the frame that carried it: a frame released whole and unchanged leaves as it came; a
// partly released one leaves as the same kind of frame with the released part, the rest later. A
// frame with no text leaves when everything before it has left.

interface Entry {
  frame: Frame
  start: number
  end: number
  /** Text of this frame released since it last left. */
  parts: string[]
  /** Some of its text already left in an earlier frame, or its text was changed (sanitized). */
  altered: boolean
}

export class FrameLedger {
  private readonly entries: Entry[] = []
  private textEnd = 0
  private released = 0

  add (frame: Frame): void {
    const length = frame.text?.length ?? 0
    this.entries.push({ frame, start: this.textEnd, end: this.textEnd + length, parts: [], altered: false })
    this.textEnd += length
  }

  /**
   * The text `start`..`end` may leave as `out`. `exact`: `out` is that text unchanged, so it is split
   * over the frames that carried it; otherwise (sanitized) all of it goes in the frame that carried
   * its last character.
   */
  release (start: number, end: number, out: string, exact: boolean): void {
    if (end <= start) return
    if (exact) {
      for (const entry of this.entries) {
        if (entry.end <= start || entry.frame.text === null) continue
        if (entry.start >= end) break
        const from = Math.max(start, entry.start)
        const to = Math.min(end, entry.end)
        entry.parts.push(out.slice(from - start, to - start))
      }
    } else {
      const last = this.entries.find((e) => e.frame.text !== null && e.start < end && e.end >= end)
      if (last !== undefined && out !== '') last.parts.push(out)
      for (const entry of this.entries) {
        if (entry.frame.text !== null && entry.end > start && entry.start < end) entry.altered = true
      }
    }
    this.released = end
  }

  /** The frames that may leave now, encoded, in order. */
  flush (): string[] {
    const out: string[] = []
    while (this.entries.length > 0) {
      const entry = this.entries[0] as Entry
      if (entry.frame.text === null) {
        out.push(entry.frame.raw)
        this.entries.shift()
        continue
      }
      const complete = this.released >= entry.end
      if (entry.parts.length > 0) {
        const part = entry.parts.join('')
        entry.parts = []
        if (complete && !entry.altered && part === entry.frame.text) out.push(entry.frame.raw)
        else if (part !== '') out.push(entry.frame.encode(part))
        entry.altered = true
      }
      if (!complete) break
      this.entries.shift()
    }
    return out
  }

  /** Drops every frame still waiting (the stream stops). */
  clear (): void {
    this.entries.length = 0
  }
}
