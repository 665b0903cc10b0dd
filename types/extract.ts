import type { Claim, SqlClaim } from './claims.js'

/** Where a claim was found: `text.slice(start, end)` (UTF-16 offsets, end exclusive). */
export interface SourceSpan {
  start: number
  end: number
}

/**
 * One claim found in a text. The claim is an ordinary claim (pass `claim` to `verifier.verify`);
 * its span is kept beside it, not inside it, so the claim's cache key and the fields an engine or a
 * remote server sees do not depend on where the claim sat in the text.
 */
export interface ExtractedClaim {
  claim: Claim
  source: SourceSpan
}

/**
 * Why a candidate was left out ("precision first": when unsure, extract nothing, and count it).
 *  - approximate: `≈`, `~`, "about", "roughly", a trailing `...`: not a statement of equality
 *  - ambiguous: a notation with two readings (`100 - 10%`, `3!!`, `2(3 + 4)`, `10-20 = ...` written
 *    with a bare hyphen, `= 4!`)
 *  - not_arithmetic: an `=` (or "is" / "equals" with an operator) that is not a complete arithmetic
 *    statement on numbers (`version 2.0 = the new API`, variables, dates, times, LaTeX)
 *  - not_asserted: a statement the answer does not assert: in a sentence that refutes it (not, wrong,
 *    mistake, isn't, ≠ ...) or talks about what code does (JavaScript, float, prints ...), in quotes,
 *    or in an inline code span (program semantics: `^` is XOR there)
 *  - too_complex: a statement over the per-statement caps (length, sides, nesting, digits)
 *  - fence_unknown_language: a fenced block without an info string, or with one no engine reads
 *  - fence_unchecked: a block nothing can check as given (json without `jsonSchema`, an empty
 *    block, a Python REPL transcript)
 */
export type ExtractSkipReason =
  | 'approximate'
  | 'ambiguous'
  | 'not_arithmetic'
  | 'not_asserted'
  | 'too_complex'
  | 'fence_unknown_language'
  | 'fence_unchecked'

export interface ExtractOptions {
  /** The DDL (`CREATE TABLE ...`) sql blocks are checked against, and their dialect. */
  sql?: { schema: string, dialect?: NonNullable<SqlClaim['dialect']> }
  /** JSON Schema for json blocks; without it json blocks are not checked (counted in skipped). */
  jsonSchema?: Record<string, unknown> | boolean
  /** Longest text read, in UTF-16 units (default 100 000). A longer text is not read at all: complete is false. */
  maxLength?: number
  /** Most claims returned (default 100). Reaching it stops the scan: complete is false. */
  maxClaims?: number
  /** Work units (characters and tokens visited) allowed (default 8 x maxLength + 10 000). Exceeding it stops the scan: complete is false. */
  workBudget?: number
}

export interface ExtractResult {
  claims: ExtractedClaim[]
  /** Candidates left out, by reason (every reason is present, 0 when none). */
  skipped: Record<ExtractSkipReason, number>
  /**
   * false when a cap stopped the scan (see `limit`): part of the text was not read, so it was not
   * checked either. Fail closed: a caller must not release such a text as checked.
   */
  complete: boolean
  limit?: 'max_length' | 'max_claims' | 'work_budget'
}
