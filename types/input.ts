/** What the prompt-injection heuristics do when a rule matches. */
export type InjectionAction = 'off' | 'flag' | 'block'

/** Rules for the user-supplied text a route names with `inputs(request)` (docs/security-input.md). */
export interface InputRules {
  /**
   * Longest accepted text, in characters (Unicode code points) after NFKC normalisation.
   * An integer from 1 to 10,000,000. Default 10,000.
   */
  maxLength?: number
  /** Accept empty / whitespace-only text (and a null or missing field, read as ''). Default false. */
  allowEmpty?: boolean
  /**
   * Prompt-injection heuristics (lib/guard/injection.ts): 'flag' (default) records and counts every
   * rule that matches and lets the request through, 'block' refuses it (400) on the first match,
   * 'off' skips them.
   */
  injection?: InjectionAction
}

/**
 * The rule an input failed: `type` (not text), `empty`, `max_length`, `invalid_unicode` (a lone
 * surrogate), `control_character` (C0 except tab / LF / CR, DEL, C1), `zero_width` (an invisible
 * character), `bidi_control` (a bidirectional embedding, override or isolate), `too_many_fields`
 * (more than 1,000 texts in one input), `unreadable` (the route's `inputs()` threw), or
 * `injection.<rule id>` with `injection: 'block'`.
 */
export type InputRule =
  | 'type'
  | 'empty'
  | 'max_length'
  | 'invalid_unicode'
  | 'control_character'
  | 'zero_width'
  | 'bidi_control'
  | 'too_many_fields'
  | 'unreadable'
  | `injection.${string}`

/** A prompt-injection rule that matched one field (with `injection: 'flag'`). */
export interface InjectionFlag {
  /** The field: `input`, `input[2]`, or a key of the record `inputs(request)` returned. */
  field: string
  /** The rule's id, e.g. `ignore_instructions` (with `injection: 'block'` the failure's rule is `injection.<id>`). */
  rule: string
  /** What the rule catches, in plain words. */
  description: string
}

export interface InputCheckPass {
  ok: true
  /** Every checked field, NFKC-normalised. */
  values: Record<string, string>
  /** The injection rules that matched (empty with `injection: 'off'`). */
  flags: InjectionFlag[]
}

export interface InputCheckFailure {
  ok: false
  /** The first field that failed. */
  field: string
  rule: InputRule
  /** Names the field and the rule in plain words; never repeats the text. */
  message: string
}

/**
 * Size limits for one claim type, checked by the verifier's claim guard before any engine runs.
 * A claim over a limit is BLOCKED with `claim.too_long`, `claim.too_deep`, `claim.too_many_items`
 * or `claim.too_large`. Defaults per type and the caps a value may not exceed: docs/security-input.md.
 */
export interface ClaimLimits {
  /**
   * Longest string value anywhere in the claim, in UTF-16 code units (JavaScript string length, the
   * unit the engines' own caps count). One exception: the SQL claim's `schema` (DDL) may always be
   * as long as the SQL engine accepts (262,144). Default: per type (math 5,000, sql 65,536, ...);
   * '*' 1,048,576.
   */
  maxLength?: number
  /** Deepest nesting: the claim object is depth 0, its fields depth 1. Default 64; at most 200. */
  maxDepth?: number
  /** Longest array anywhere in the claim. Default: per type (stats 100,000, math 1,000, logic 200, ...); '*' 100,000. */
  maxArrayLength?: number
  /** Largest claim, in bytes of its canonical JSON (RFC 8785). Default 1,048,576 (`maxClaimBytes`). */
  maxBytes?: number
}

/** Claim limits per claim type; the key '*' sets the default of every type (extra engines' types too). */
export type ClaimLimitsOptions = Partial<Record<string, ClaimLimits>>
