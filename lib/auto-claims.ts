import type { Claim } from '../types/claims.js'
import type { ExtractResult } from '../types/extract.js'
import { createClaimScanner, type ResolvedExtractOptions } from './extract/index.js'

// `claims: 'auto'`: the claims of a response body found by the extractor (lib/extract/), for a text
// body or for every string value of a JSON body, with one scanner so the caps hold for the body.

/** Strings of a JSON body read at the most, and how deep: beyond either the body counts as unread. */
const MAX_STRINGS = 10_000
const MAX_DEPTH = 64

export interface AutoClaims {
  claims: Claim[]
  /** false: a cap stopped the reading, so part of the body was not checked (fail closed). */
  complete: boolean
  limit?: ExtractResult['limit'] | 'json_shape'
}

/** The claims of a body: a string (JSON text is read as its values), or the strings of an object. */
export function autoClaims (body: unknown, options: ResolvedExtractOptions): AutoClaims {
  const texts: string[] = []
  const whole = collect(parsedIfJson(body), texts, 0)
  if (!whole) return { claims: [], complete: false, limit: 'json_shape' }
  return scanTexts(texts, options)
}

/** The claims of one text, read as text (a streamed unit: a line, or a fenced block). */
export function textClaims (text: string, options: ResolvedExtractOptions): AutoClaims {
  return scanTexts([text], options)
}

function scanTexts (texts: readonly string[], options: ResolvedExtractOptions): AutoClaims {
  const scanner = createClaimScanner(options)
  let read = 0
  for (const text of texts) {
    if (read + text.length > options.maxLength) return { claims: [], complete: false, limit: 'max_length' }
    read += text.length
    scanLines(scanner, text)
    // A block left open in one string must not swallow the next one.
    scanner.finish()
    if (scanner.stopped()) break
  }
  const result = scanner.result()
  return { claims: result.claims.map((c) => c.claim), complete: result.complete, ...(result.limit === undefined ? {} : { limit: result.limit }) }
}

function scanLines (scanner: ReturnType<typeof createClaimScanner>, text: string): void {
  let pos = 0
  while (pos <= text.length && !scanner.stopped()) {
    let nl = text.indexOf('\n', pos)
    if (nl < 0) nl = text.length
    const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
    scanner.push(text.slice(pos, end), pos)
    pos = nl + 1
  }
}

/** A string that holds a JSON object or array is read as that value (its strings, unescaped). */
function parsedIfJson (body: unknown): unknown {
  if (typeof body !== 'string') return body
  const first = body.trimStart()[0]
  if (first !== '{' && first !== '[') return body
  try {
    return JSON.parse(body) as unknown
  } catch {
    return body
  }
}

/** Every string of `value`, in document order; false when it is too large or too deep to read whole. */
function collect (value: unknown, into: string[], depth: number): boolean {
  if (typeof value === 'string') {
    into.push(value)
    return into.length <= MAX_STRINGS
  }
  if (value === null || typeof value !== 'object') return true
  if (depth >= MAX_DEPTH) return false
  const items = Array.isArray(value) ? value : Object.values(value)
  for (const item of items) {
    if (!collect(item, into, depth + 1)) return false
  }
  return true
}
