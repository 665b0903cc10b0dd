// Output sanitization (lib/guard/output.ts): what a verified route's payload goes through on its way out.

/** A kind of personal data the output guard can mask. Each kind has its own mask token, e.g. `[EMAIL]`. */
export type PiiKind = 'email' | 'phone' | 'ssn' | 'card' | 'iban' | 'ip'

/** What a sanitization counts: `html` (a string whose markup changed), each PII kind, and `secret`. */
export type SanitizedKind = 'html' | PiiKind | 'secret'

/**
 * HTML to keep instead of text only. Tags and attributes outside the lists are removed (their text
 * is kept). Refused when validated: `style` and `on*` attributes, `srcdoc`, and tags that are active
 * or change how the rest is parsed (script, style, iframe, object, embed, svg, math, form, …).
 */
export interface HtmlAllowlist {
  /** Tag names kept, lower case, e.g. `['b', 'i', 'a']`. */
  allowedTags: string[]
  /** Attributes kept, by tag (or `'*'` for every tag), e.g. `{ a: ['href'] }`. Default: none. */
  allowedAttributes?: Record<string, string[]>
  /** URL schemes allowed in URL attributes (href, src, …). Default `['http', 'https', 'mailto']`. */
  allowedSchemes?: string[]
}

/** How a payload is sanitized. Every field is optional; `{}` means all the defaults. */
export interface SanitizeOptions {
  /**
   * Paths to sanitize: dot paths with `*` for any key / array index (`'answer'`, `'items.*.text'`).
   * A path selects everything beneath it. Default: every string field, at any depth. A path that
   * matches nothing is not an error.
   */
  paths?: string[]
  /**
   * HTML/XSS: `true` (default) = text only: tags removed (script/style/… with their content),
   * text kept; a string with no markup is left exactly as it is. An `HtmlAllowlist` keeps those
   * tags. `false` leaves HTML alone.
   */
  html?: boolean | HtmlAllowlist
  /** PII masking: `true` (default) = every kind; a list = only those kinds; `false` = none. */
  pii?: boolean | PiiKind[]
  /** Secret scrubbing (API-key shapes, private key blocks, JWTs, bearer tokens) to `[SECRET]`. Default `true`. */
  secrets?: boolean
}
