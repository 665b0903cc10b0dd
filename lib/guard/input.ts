import type { ClaimLimits, InjectionAction, InjectionFlag, InputCheckFailure, InputCheckPass, InputRule, InputRules } from '../../types/input.js'
import type { DiagnosticResult } from '../../types/result.js'
import { canonicalize, sha256Hex } from '../canonical.js'
import { assertKnownKeys, assertObject, optionalBoolean, optionalNumber, optionalOneOf } from '../option-checks.js'
import { blocked } from '../result.js'
import { findInjection } from './injection.js'
import { CLAIM_FIELDS, SQL_SCHEMA_MAX_LENGTH, type ResolvedClaimLimits } from './limits.js'

// =============================================================================================
// User text: checkInputs (the route's `inputs(request)`, before the handler runs)
// =============================================================================================

export const DEFAULT_INPUT_RULES: Readonly<Required<InputRules>> = Object.freeze({
  maxLength: 10_000,
  allowEmpty: false,
  injection: 'flag'
})

const INJECTION_ACTIONS: readonly InjectionAction[] = ['off', 'flag', 'block']
const INPUT_RULE_KEYS = ['maxLength', 'allowEmpty', 'injection'] as const
/** Largest maxLength accepted. */
export const MAX_INPUT_LENGTH = 10_000_000

/** `rules` (validated) over `base`: an unset field keeps the base's value. */
export function resolveInputRules (rules: InputRules | undefined, base: Readonly<Required<InputRules>> = DEFAULT_INPUT_RULES): Required<InputRules> {
  return {
    maxLength: rules?.maxLength ?? base.maxLength,
    allowEmpty: rules?.allowEmpty ?? base.allowEmpty,
    injection: rules?.injection ?? base.injection
  }
}

/**
 * Checks the `input` option of an adapter or a route. Throws a QwedOptionsError naming the field,
 * e.g. `input.maxLength`. undefined is no rules ({}).
 */
export function validateInputRules (value: unknown, name: string): InputRules {
  if (value === undefined) return {}
  assertObject(value, name)
  assertKnownKeys(value, INPUT_RULE_KEYS, name)
  const rules: InputRules = {}
  const maxLength = optionalNumber(value.maxLength, `${name}.maxLength`, 1, MAX_INPUT_LENGTH, true)
  const allowEmpty = optionalBoolean(value.allowEmpty, `${name}.allowEmpty`)
  const injection = optionalOneOf(value.injection, INJECTION_ACTIONS, `${name}.injection`)
  if (maxLength !== undefined) rules.maxLength = maxLength
  if (allowEmpty !== undefined) rules.allowEmpty = allowEmpty
  if (injection !== undefined) rules.injection = injection
  return rules
}

/**
 * NFKC can make a text shorter: composing a base letter with its marks joins at most 4 code points
 * into one (U+1F85 is alpha + 3 marks), and a code point is at most 2 UTF-16 units. A text longer
 * than 8 × maxLength UTF-16 units is therefore too long after normalisation too: refused without
 * normalising it, so a 100 MB string costs nothing.
 */
const RAW_LENGTH_FACTOR = 8

// Everything the character scan may object to: the scan visits only these (most texts have none).
// eslint-disable-next-line no-control-regex, no-misleading-character-class -- control and invisible code points, listed on purpose
const SUSPICIOUS = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu
const LONE_SURROGATE = /\p{Cs}/u
const EMOJI = /\p{Extended_Pictographic}/u
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/u
// Scripts where ZWJ / ZWNJ between letters change how a word is written (Persian, Hindi, Malayalam...).
const JOINING_SCRIPT = /[\p{scx=Arabic}\p{scx=Syriac}\p{scx=Nko}\p{scx=Mongolian}\p{scx=Devanagari}\p{scx=Bengali}\p{scx=Gurmukhi}\p{scx=Gujarati}\p{scx=Oriya}\p{scx=Tamil}\p{scx=Telugu}\p{scx=Kannada}\p{scx=Malayalam}\p{scx=Sinhala}\p{scx=Khmer}\p{scx=Myanmar}\p{scx=Tibetan}\p{scx=Thaana}\p{scx=Hebrew}\p{scx=Mandaic}\p{scx=Adlam}\p{scx=Hanifi_Rohingya}\p{scx=Syloti_Nagri}\p{scx=Kaithi}]/u
const LETTER_OR_MARK = /[\p{L}\p{M}]/u
// Scripts written right to left: LRM / RLM / ALM are ordinary in such text.
const RIGHT_TO_LEFT = /[\p{sc=Hebrew}\p{sc=Arabic}\p{sc=Syriac}\p{sc=Thaana}\p{sc=Nko}\p{sc=Samaritan}\p{sc=Mandaic}\p{sc=Adlam}\p{sc=Hanifi_Rohingya}]/u

const ZWNJ = 0x200C
const ZWJ = 0x200D
const BLACK_FLAG = 0x1F3F4
const CANCEL_TAG = 0xE007F

type CharProblem = { rule: 'control_character' | 'zero_width' | 'bidi_control', codePoint: number }

function isVariationSelector (cp: number): boolean {
  return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF) || (cp >= 0x180B && cp <= 0x180D) || cp === 0x180F
}

function isControl (cp: number): boolean {
  return (cp <= 0x1F && cp !== 0x09 && cp !== 0x0A && cp !== 0x0D) || (cp >= 0x7F && cp <= 0x9F)
}

function charOf (cp: number | undefined): string {
  return cp === undefined ? '' : String.fromCodePoint(cp)
}

function joiningLetter (cp: number | undefined): boolean {
  const ch = charOf(cp)
  return ch !== '' && LETTER_OR_MARK.test(ch) && JOINING_SCRIPT.test(ch)
}

/**
 * The first control, invisible or bidi character that is not part of legitimate text. Allowed:
 * tab, LF, CR; a ZWJ inside an emoji sequence (between two pictographs, after a skin tone or VS16);
 * ZWJ / ZWNJ between two letters of a script that uses them (Arabic, Indic...); one variation
 * selector after a visible character; the tag characters of an emoji flag (🏴 + tags + cancel tag);
 * LRM / RLM / ALM in a text that has right-to-left letters.
 */
function findCharProblem (s: string): CharProblem | null {
  let rtl: boolean | null = null
  // End of the last invisible character accepted: the next one right after it is not "after a visible character".
  let acceptedEnd = -1
  SUSPICIOUS.lastIndex = 0
  for (let m = SUSPICIOUS.exec(s); m !== null; m = SUSPICIOUS.exec(s)) {
    const i = m.index
    const cp = s.codePointAt(i) as number
    const prev = codePointBefore(s, i)
    if (isControl(cp)) return { rule: 'control_character', codePoint: cp }
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return { rule: 'bidi_control', codePoint: cp }
    if (cp === 0x200E || cp === 0x200F || cp === 0x061C) {
      rtl ??= RIGHT_TO_LEFT.test(s)
      if (!rtl) return { rule: 'bidi_control', codePoint: cp }
    } else if (cp === ZWJ || cp === ZWNJ) {
      const next = s.codePointAt(i + 1)
      const emoji = cp === ZWJ && prev !== undefined && next !== undefined && EMOJI.test(charOf(next)) &&
        (EMOJI.test(charOf(prev)) || EMOJI_MODIFIER.test(charOf(prev)) || prev === 0xFE0F)
      if (!emoji && !(joiningLetter(prev) && joiningLetter(next))) return { rule: 'zero_width', codePoint: cp }
    } else if (isVariationSelector(cp)) {
      if (prev === undefined || acceptedEnd === i) return { rule: 'zero_width', codePoint: cp }
    } else if (cp >= 0xE0000 && cp <= 0xE007F) {
      // An emoji tag sequence: 🏴 then tag letters / digits then CANCEL TAG (the flags of England, Scotland, Wales).
      if (prev !== BLACK_FLAG || cp < 0xE0020 || cp === CANCEL_TAG) return { rule: 'zero_width', codePoint: cp }
      let j = i
      let tag = cp
      while (tag >= 0xE0020 && tag < CANCEL_TAG) {
        j += 2
        tag = s.codePointAt(j) ?? 0
      }
      if (tag !== CANCEL_TAG) return { rule: 'zero_width', codePoint: tag >= 0xE0000 && tag <= 0xE007F ? tag : cp }
      SUSPICIOUS.lastIndex = j + 2
      acceptedEnd = j + 2
      continue
    } else {
      // every other invisible character: ZWSP, word joiner, BOM, soft hyphen, Hangul fillers, ...
      return { rule: 'zero_width', codePoint: cp }
    }
    acceptedEnd = i + (cp > 0xFFFF ? 2 : 1)
  }
  return null
}

/** The code point that ends just before index i. */
function codePointBefore (s: string, i: number): number | undefined {
  if (i <= 0) return undefined
  const low = s.charCodeAt(i - 1)
  if (low >= 0xDC00 && low <= 0xDFFF && i >= 2) {
    const high = s.charCodeAt(i - 2)
    if (high >= 0xD800 && high <= 0xDBFF) return s.codePointAt(i - 2)
  }
  return low
}

function codePointCount (s: string, stopAfter: number): number {
  if (s.length <= stopAfter) return s.length // fewer units, so no more code points
  let count = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xDC00 || c > 0xDFFF || i === 0) count++
    else {
      const h = s.charCodeAt(i - 1)
      if (h < 0xD800 || h > 0xDBFF) count++
    }
  }
  return count
}

function hex (cp: number): string {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0')
}

/** Texts one input may hold: each is normalised and scanned, so their number is bounded too. */
export const MAX_INPUT_FIELDS = 1000
/** A field name (a key the client may have chosen) is shown at most this long. */
const MAX_FIELD_NAME = 64

function fail (field: string, rule: InputRule, message: string): InputCheckFailure {
  const name = field.length > MAX_FIELD_NAME ? field.slice(0, MAX_FIELD_NAME) + '…' : field
  return { ok: false, field: name, rule, message: `Input '${name}' ${message} (rule ${rule})` }
}

const WELL_FORMED = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed

function isWellFormed (s: string): boolean {
  return WELL_FORMED !== undefined ? WELL_FORMED.call(s) : !LONE_SURROGATE.test(s)
}

/** One field: the NFKC text, or the rule it failed. */
function checkText (field: string, value: unknown, rules: Required<InputRules>): { value: string } | InputCheckFailure {
  if (value === null || value === undefined) {
    return rules.allowEmpty ? { value: '' } : fail(field, 'empty', 'is missing')
  }
  if (typeof value !== 'string') return fail(field, 'type', `must be text, got ${Array.isArray(value) ? 'an array' : typeof value}`)
  const tooLong = (): InputCheckFailure => fail(field, 'max_length', `is longer than ${rules.maxLength} characters`)
  if (value.length > rules.maxLength * RAW_LENGTH_FACTOR) return tooLong()
  if (!isWellFormed(value)) return fail(field, 'invalid_unicode', 'is not valid Unicode text (it holds an unpaired surrogate)')
  const text = value.normalize('NFKC')
  if (codePointCount(text, rules.maxLength) > rules.maxLength) return tooLong()
  const problem = findCharProblem(text)
  if (problem !== null) {
    const what = problem.rule === 'control_character'
      ? 'a control character'
      : problem.rule === 'bidi_control' ? 'a bidirectional control character' : 'an invisible (zero-width) character'
    return fail(field, problem.rule, `contains ${what} (${hex(problem.codePoint)})`)
  }
  if (!rules.allowEmpty && text.trim() === '') return fail(field, 'empty', text === '' ? 'is empty' : 'is only whitespace')
  return { value: text }
}

/**
 * Checks the user-supplied text a route names with `inputs(request)`:
 *  - a string is the field 'input'; an array of strings the fields 'input[0]', 'input[1]'...; a
 *    record { prompt, context } the fields 'prompt', 'context' (a record's value may be an array of
 *    strings too: 'messages[0]'...); null / undefined: nothing to check.
 *  - per field, in this order: null or missing -> empty; not a string -> type; longer than
 *    8 × maxLength UTF-16 units -> max_length (before normalising); a lone surrogate ->
 *    invalid_unicode; NFKC; more than maxLength code points -> max_length; a control character
 *    (C0 but tab/LF/CR, DEL, C1) -> control_character; a bidi embedding / override / isolate (and
 *    LRM/RLM/ALM in a text without right-to-left letters) -> bidi_control; an invisible character
 *    outside legitimate use (see findCharProblem) -> zero_width; empty or whitespace-only -> empty
 *    (unless allowEmpty); then the injection heuristics (unless 'off'): every matching rule is a
 *    flag { field, rule: <id>, description }, or with 'block' the first one a failure `injection.<id>`.
 * The first failing field fails the whole input. Messages name the field and the rule, never the text.
 */
export function checkInputs (inputs: unknown, rules: Required<InputRules>): InputCheckPass | InputCheckFailure {
  if (inputs === null || inputs === undefined) return { ok: true, values: {}, flags: [] }
  const fields: Array<[string, unknown]> = []
  // Stops collecting past the cap: an array of millions of texts costs no more than the cap.
  const add = (name: string, value: unknown): boolean => fields.push([name, value]) <= MAX_INPUT_FIELDS
  if (typeof inputs === 'string') add('input', inputs)
  else if (Array.isArray(inputs)) inputs.every((v, i) => add(`input[${i}]`, v))
  else if (isRecord(inputs)) {
    for (const [key, v] of Object.entries(inputs)) {
      const more = Array.isArray(v) ? v.every((item, i) => add(`${key}[${i}]`, item)) : add(key, v)
      if (!more) break
    }
  } else {
    return fail('input', 'type', `must be text, an array of texts or a record of texts, got ${typeof inputs === 'object' ? 'an object' : typeof inputs}`)
  }
  if (fields.length > MAX_INPUT_FIELDS) return fail('input', 'too_many_fields', `holds more than ${MAX_INPUT_FIELDS} texts`)
  const values: Record<string, string> = {}
  const flags: InjectionFlag[] = []
  for (const [field, raw] of fields) {
    const checked = checkText(field, raw, rules)
    if ('ok' in checked) return checked
    // an own property even for a field named __proto__ (inputs may come from a parsed body)
    Object.defineProperty(values, field, { value: checked.value, enumerable: true, writable: true, configurable: true })
    if (rules.injection === 'off' || checked.value === '') continue
    for (const rule of findInjection(checked.value)) {
      if (rules.injection === 'block') {
        return fail(field, `injection.${rule.id}`, `looks like a prompt-injection attempt: it ${rule.description}`)
      }
      flags.push({ field, rule: rule.id, description: rule.description })
    }
  }
  return { ok: true, values, flags }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

// =============================================================================================
// Claims: checkClaim (the verifier's first gate, before the cache and any engine)
// =============================================================================================

export type ClaimCheck =
  | { ok: true, type: string, hash: string }
  /** `type`: the claim's type when it is a known one (the claim broke one of that type's limits). */
  | { ok: false, result: DiagnosticResult, type?: string }

/**
 * The verifier's first gate: a claim must be a plain object with a known `type`, JSON-representable
 * and within its type's limits (lib/guard/limits.ts): longest string, nesting depth, longest array,
 * canonical size. The walk stops at the first violation and counts size with an early exit before
 * anything is serialised, so a huge claim costs nothing. Returns the claim's hash (SHA-256 of its
 * RFC 8785 form) for the cache.
 */
export function checkClaim (claim: unknown, knownTypes: ReadonlySet<string>, limits: ResolvedClaimLimits): ClaimCheck {
  const shape = checkClaimShape(claim, knownTypes, limits)
  return shape.ok ? hashClaim(claim as object, shape.type, limits) : shape
}

/** A claim that passed checkClaimShape: its type, and a lower bound of its JSON size in UTF-16 units. */
export type ClaimShape = { ok: true, type: string, size: number } | Extract<ClaimCheck, { ok: false }>

/**
 * checkClaim's first part, which serialises nothing: a plain object, a known type, its type's limits
 * (the walk). `size` tells the verifier whether the second part (hashClaim) is heavy.
 */
export function checkClaimShape (claim: unknown, knownTypes: ReadonlySet<string>, limits: ResolvedClaimLimits): ClaimShape {
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) {
    return reject('The claim is not an object', 'claim.invalid')
  }
  const type = (claim as { type?: unknown }).type
  if (typeof type !== 'string' || !knownTypes.has(type)) {
    return reject('The claim type is not supported', 'claim.unknown_type', { known_types: [...knownTypes].sort() })
  }
  const walked = walkClaim(claim, type, limits.forType(type))
  if (typeof walked !== 'number') return { ...(walked as Extract<ClaimCheck, { ok: false }>), type }
  return { ok: true, type, size: walked }
}

/** checkClaim's second part, for a claim that passed checkClaimShape: its canonical form, exact size and hash. */
export function hashClaim (claim: object, type: string, limits: ResolvedClaimLimits): ClaimCheck {
  const { maxBytes } = limits.forType(type)
  let canonical: string
  try {
    canonical = canonicalize(claim)
  } catch (err) {
    return { ...reject('The claim is not valid JSON data', 'claim.invalid', { error: (err as Error).message }), type }
  }
  if (Buffer.byteLength(canonical, 'utf8') > maxBytes) {
    return { ...reject('The claim is too large to verify', 'claim.too_large', { max_bytes: maxBytes }), type }
  }
  return { ok: true, type, hash: sha256Hex(canonical) }
}

function reject (message: string, constraintId: string, extra: Record<string, unknown> = {}): Extract<ClaimCheck, { ok: false }> {
  return { ok: false, result: blocked(message, { constraint_id: constraintId, ...extra }) }
}

interface Frame { value: unknown, depth: number, parent: Frame | null, name: string | number }

/** 'data[3].*', 'constraints[0]': built only for a verdict. */
function pathOf (frame: Frame): string {
  const parts: Array<string | number> = []
  for (let f: Frame | null = frame; f !== null && f.parent !== null; f = f.parent) parts.push(f.name)
  let out = ''
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] as string | number
    out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`
  }
  return out
}

/** What visit() adds to the size of a number, boolean, null or string within maxLength; -1 for anything else. */
function leafSize (value: unknown, maxLength: number): number {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return 5
  return typeof value === 'string' && value.length <= maxLength ? value.length + 2 : -1
}

/** A container being walked: its frame (for paths) and the next member to visit. */
interface Level { frame: Frame, items: readonly unknown[] | null, keys: readonly string[] | null, next: number }

/**
 * One iterative walk: depth, string lengths, array lengths and a lower bound of the JSON size (in
 * UTF-16 units; the exact UTF-8 size is checked after canonicalisation) that stops as soon as it
 * passes maxBytes. Nothing is pushed for an array or object that is too long or too large. Returns
 * the first problem, or the size counted.
 * Paths name top-level fields the claim type defines, array indexes and '*' for any other key:
 * never a key the client chose (it is claim text).
 *
 * Values are visited in document order, each container's own size counted when it is reached and
 * its members after that, so the first limit broken is the first in that order. A leaf (a number,
 * a string) costs no allocation: only containers get a frame, since a 100,000-number array is a
 * legal stats claim and this walk runs on the event loop.
 */
function walkClaim (claim: object, type: string, limits: Required<ClaimLimits>): ClaimCheck | number {
  const { maxLength, maxDepth, maxBytes } = limits
  const known = Object.hasOwn(CLAIM_FIELDS, type) ? CLAIM_FIELDS[type] : undefined
  const walk: Walk = { type, limits, total: 0, levels: [] }
  const { levels } = walk
  let problem = visit(walk, claim, 0, null, '')
  while (problem === null && levels.length > 0) {
    const level = levels[levels.length - 1] as Level
    const { frame, items, keys } = level
    const record = frame.value as Record<string, unknown>
    const length = items !== null ? items.length : (keys as string[]).length
    // A run of numbers, booleans, nulls and short strings (a data set, an object's scalar fields) is
    // counted right here, with visit's checks in visit's order; anything else goes through visit
    // (a longer string too: visit knows the SQL DDL's bound).
    if (frame.depth < maxDepth) {
      let i = level.next
      let total = walk.total
      for (; i < length && total <= maxBytes; i++) {
        const size = leafSize(items !== null ? items[i] : record[(keys as string[])[i] as string], maxLength)
        if (size < 0) break
        total += size
      }
      walk.total = total
      level.next = i
      if (total > maxBytes) {
        problem = tooLarge(maxBytes)
        continue
      }
    }
    if (level.next >= length) {
      levels.pop()
      continue
    }
    const i = level.next++
    if (items !== null) {
      problem = visit(walk, items[i], frame.depth + 1, frame, i)
    } else {
      const key = (keys as string[])[i] as string
      problem = visit(walk, record[key], frame.depth + 1, frame, frame.depth === 0 && known?.has(key) === true ? key : '*')
    }
  }
  return problem ?? walk.total
}

/** The state of one walkClaim: the size counted so far and the containers being walked. */
interface Walk { readonly type: string, readonly limits: Required<ClaimLimits>, total: number, readonly levels: Level[] }

function tooLarge (maxBytes: number): ClaimCheck {
  return reject('The claim is too large to verify', 'claim.too_large', { max_bytes: maxBytes })
}

/**
 * walkClaim's checks of one value; a container is entered (pushed on `walk.levels`) and its
 * members come next. A function of its own, not a closure made per claim.
 */
function visit (walk: Walk, value: unknown, depth: number, parent: Frame | null, name: string | number): ClaimCheck | null {
  const { maxLength, maxDepth, maxArrayLength, maxBytes } = walk.limits
  if (depth > maxDepth) return reject('The claim is nested too deeply', 'claim.too_deep', { max_depth: maxDepth })
  if (typeof value === 'string') {
    // The SQL claim's DDL may always be as long as the SQL engine accepts.
    const bound = walk.type === 'sql' && depth === 1 && name === 'schema' ? Math.max(maxLength, SQL_SCHEMA_MAX_LENGTH) : maxLength
    if (value.length > bound) {
      return reject('The claim has a text field too long to verify', 'claim.too_long', { field: pathOf({ value, depth, parent, name }), max_length: bound })
    }
    walk.total += value.length + 2
  } else if (value !== null && typeof value === 'object') {
    const frame: Frame = { value, depth, parent, name }
    if (Array.isArray(value)) {
      if (value.length > maxArrayLength) {
        return reject('The claim has a list too long to verify', 'claim.too_many_items', { field: pathOf(frame), max_array_length: maxArrayLength })
      }
      walk.total += 2 + value.length
      if (walk.total > maxBytes) return tooLarge(maxBytes)
      for (let i = value.length - 1; i >= 0; i--) {
        // A hole (`[, 1]`, `new Array(3)`) is not JSON data: engines would see undefined where a value must be.
        if (!(i in value)) return reject('The claim is not valid JSON data', 'claim.invalid', { field: pathOf({ value: undefined, depth: depth + 1, parent: frame, name: i }), reason: 'sparse_array' })
      }
      walk.levels.push({ frame, items: value, keys: null, next: 0 })
    } else {
      const keys = Object.keys(value)
      walk.total += 2 + keys.length
      if (walk.total > maxBytes) return tooLarge(maxBytes)
      for (let i = keys.length - 1; i >= 0; i--) {
        walk.total += (keys[i] as string).length + 3
        if (walk.total > maxBytes) return tooLarge(maxBytes)
      }
      walk.levels.push({ frame, items: null, keys, next: 0 })
    }
  } else {
    walk.total += 5
  }
  return walk.total > maxBytes ? tooLarge(maxBytes) : null
}
