import type { Claim } from '../../types/claims.js'

// Test-side claim finding for streamed answers (the real extractor arrives with `claims: 'auto'`):
// a line holding `<arithmetic> = <number>` is a math claim; a ```python block is a code claim.

const ARITHMETIC = /([\d.]+(?:\s*[-+*/^]\s*[\d.()]+)+)\s*=\s*(-?[\d.]+)/g

export function findTestClaims (unit: string): Claim[] {
  if (unit.startsWith('```')) {
    const lines = unit.split('\n')
    if (lines[0]?.trim() !== '```python') return []
    const body = lines.slice(1)
    const close = body.findIndex((line) => line.trim() === '```')
    return [{ type: 'code', language: 'python', code: (close < 0 ? body : body.slice(0, close)).join('\n') }]
  }
  const claims: Claim[] = []
  for (const match of unit.matchAll(ARITHMETIC)) claims.push({ type: 'math', expression: `${match[1] as string} = ${match[2] as string}` })
  return claims
}

/** A seeded generator (mulberry32): the same split points on every run. */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `bytes` cut at random points (1 to `max` bytes a piece). */
export function randomSplit (bytes: Buffer, random: () => number, max: number): Buffer[] {
  const pieces: Buffer[] = []
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * max)
    pieces.push(bytes.subarray(at, at + size))
    at += size
  }
  return pieces
}

/** `bytes` in pieces of `size` bytes. */
export function fixedSplit (bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = []
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size))
  return pieces
}

export async function * fromPieces (pieces: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield piece
}

/** A manual clock for the hold-time bound: time moves only when the test says so. */
export function manualClock () {
  let now = 0
  let next = 1
  const timers = new Map<number, { at: number, fn: () => void }>()
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const id = next++
      timers.set(id, { at: now + ms, fn })
      return id
    },
    clearTimeout: (handle: unknown) => { timers.delete(handle as number) },
    advance (ms: number): void {
      now += ms
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id)
          timer.fn()
        }
      }
    },
    pending: () => timers.size
  }
}
