/**
 * The line-by-line reader behind extractClaims, usable as is on a stream: feed each complete line
 * (without its line break) with its offset in the whole text, then call finish(). Outside a fenced
 * block a line is read for arithmetic statements; an opening fence starts collecting a block,
 * which becomes a claim on its closing fence (or at finish(): CommonMark closes an unclosed block
 * at the end of the document, and an answer cut off inside a code block still gets its code
 * checked). Blocks in languages no engine reads are skipped without keeping their text.
 *
 * Caps (fail closed): past maxLength characters, maxClaims claims or the work budget, the scanner
 * stops reading and `complete` turns false; what was not read was not checked, and a caller must
 * not release it as checked.
 */
import type { ExtractedClaim, ExtractResult, ExtractSkipReason } from '../../types/extract.js'
import { extractFromLine } from './arithmetic.js'
import { type OpeningFence, dedentLine, fenceClaim, isCheckedLanguage, isClosingFence, openingFence } from './fences.js'
import type { ResolvedExtractOptions } from './options.js'

export interface ClaimScanner {
  /** Reads one line (without its \n; a trailing \r is dropped) starting at `offset` in the text; returns the claims it completed. */
  push(line: string, offset: number): ExtractedClaim[]
  /** Ends the text (closes an open block); returns the claims that completes. */
  finish(): ExtractedClaim[]
  /** True once a cap stopped the scan (later lines are not read). */
  stopped(): boolean
  /** Everything so far: claims, skip counts, completeness. */
  result(): ExtractResult
}

export function emptySkipCounts (): Record<ExtractSkipReason, number> {
  return { approximate: 0, ambiguous: 0, not_arithmetic: 0, not_asserted: 0, too_complex: 0, fence_unknown_language: 0, fence_unchecked: 0 }
}

interface OpenBlock {
  fence: OpeningFence
  /** Content lines kept (only for a language an engine reads). */
  lines: string[] | null
  start: number
  end: number
}

export function createClaimScanner (options: ResolvedExtractOptions): ClaimScanner {
  const claims: ExtractedClaim[] = []
  const skipped = emptySkipCounts()
  let limit: ExtractResult['limit']
  let read = 0
  let work = 0
  let block: OpenBlock | null = null

  const stop = (why: NonNullable<ExtractResult['limit']>): void => {
    limit ??= why
  }
  const charge = (units: number): void => {
    work += units
  }
  /** Adds claims up to the cap; returns those added. */
  const keep = (found: ExtractedClaim[]): ExtractedClaim[] => {
    const added: ExtractedClaim[] = []
    for (const c of found) {
      if (claims.length >= options.maxClaims) {
        stop('max_claims')
        break
      }
      claims.push(c)
      added.push(c)
    }
    return added
  }
  const closeBlock = (): ExtractedClaim[] => {
    const open = block as OpenBlock
    block = null
    if (open.lines === null) {
      skipped.fence_unknown_language++
      return []
    }
    const content = open.lines.join('\n')
    charge(content.length)
    const made = fenceClaim(open.fence.info, content, options)
    if ('skip' in made) {
      skipped[made.skip]++
      return []
    }
    return keep([{ claim: made, source: { start: open.start, end: open.end } }])
  }

  return {
    push (line, offset) {
      if (limit !== undefined) return []
      // a line handed over with its CR (from CRLF text) is read without it
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1)
      read += line.length + 1
      if (read > options.maxLength + 1) {
        stop('max_length')
        return []
      }
      if (block !== null) {
        if (isClosingFence(line, block.fence)) return closeBlock()
        if (block.lines !== null) {
          if (block.lines.length === 0) block.start = offset
          block.lines.push(dedentLine(line, block.fence))
          block.end = offset + line.length
        }
        charge(line.length)
        if (work > options.workBudget) stop('work_budget')
        return []
      }
      const fence = openingFence(line)
      if (fence !== null) {
        const start = offset + line.length + 1
        block = { fence, lines: isCheckedLanguage(fence.info) ? [] : null, start, end: start }
        return []
      }
      const found = extractFromLine(line, offset, charge)
      for (const reason of found.skipped) skipped[reason]++
      if (work > options.workBudget) {
        stop('work_budget')
        return []
      }
      return keep(found.claims)
    },
    finish () {
      if (limit !== undefined || block === null) return []
      return closeBlock()
    },
    stopped () {
      return limit !== undefined
    },
    result () {
      const out: ExtractResult = { claims: [...claims], skipped: { ...skipped }, complete: limit === undefined }
      if (limit !== undefined) out.limit = limit
      return out
    }
  }
}
