/**
 * extractClaims: the claims an LLM answer (free text and Markdown) makes, as ordinary claims with
 * the span of text each came from. Deterministic and linear in the text; see docs/extract.md.
 *   options.ts     option checking (TypeError naming the bad option) and defaults
 *   scanner.ts     the line-by-line reader (fences vs prose), caps; usable on a stream
 *   fences.ts      fenced code blocks -> code / sql / schema claims
 *   tokens.ts      one line of prose -> tokens
 *   arithmetic.ts  tokens -> arithmetic statements -> math claims
 */
import type { ExtractOptions, ExtractResult } from '../../types/extract.js'
import { resolveExtractOptions } from './options.js'
import { createClaimScanner, emptySkipCounts } from './scanner.js'

export { resolveExtractOptions, EXTRACT_DEFAULTS, type ResolvedExtractOptions } from './options.js'
export { createClaimScanner, type ClaimScanner } from './scanner.js'
export { openingFence, isClosingFence, dedentLine, fenceClaim, type OpeningFence } from './fences.js'
export { extractFromLine, proseStart, ARITHMETIC_LIMITS, type LineExtraction } from './arithmetic.js'

/**
 * Finds the claims in `text`. Throws a TypeError for bad options (and for a text that is not a
 * string); never throws for any text. A text longer than maxLength is not read at all: the result
 * is empty with `complete: false` (fail closed: the caller must not release it as checked).
 */
export function extractClaims (text: string, options?: ExtractOptions): ExtractResult {
  const resolved = resolveExtractOptions(options)
  if (typeof text !== 'string') throw new TypeError('extractClaims: text must be a string')
  if (text.length > resolved.maxLength) {
    return { claims: [], skipped: emptySkipCounts(), complete: false, limit: 'max_length' }
  }
  const scanner = createClaimScanner(resolved)
  let pos = 0
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos)
    if (nl < 0) nl = text.length
    const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
    scanner.push(text.slice(pos, end), pos)
    if (scanner.stopped()) break
    pos = nl + 1
  }
  scanner.finish()
  return scanner.result()
}
