import type { PiiKind } from '../../types/sanitize.js'
import { applySpans, normalizedView, toOriginal, type MaskSpan } from './redact.js'

// PII detectors for the output guard. Each kind is a candidate regex (bounded, linear) plus a
// validator in code: a checksum (Luhn, IBAN mod-97), a parse (IPv4 octets, IPv6 groups), the SSN
// allocation rules, and boundary checks so that a candidate cut out of a longer token (an order
// number, a version string, a long digit run) is left alone. When in doubt a look-alike survives:
// a masked order number is a bug report, and so is a leaked card number, but only the first one
// can be avoided by a validator.

export const PII_KINDS: readonly PiiKind[] = ['email', 'phone', 'ssn', 'card', 'iban', 'ip']

export const PII_MASKS: Readonly<Record<PiiKind, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  ssn: '[SSN]',
  card: '[CARD]',
  iban: '[IBAN]',
  ip: '[IP]'
}

/** The order detectors run in: the longer, more specific shapes first (an IBAN holds digit runs, an email can hold a number). */
const ORDER: readonly PiiKind[] = ['email', 'iban', 'card', 'ssn', 'ip', 'phone']

const WORD = /[A-Za-z0-9_]/
const ALNUM_CHAR = /[A-Za-z0-9]/
const DIGIT = /[0-9]/

function charAt (text: string, i: number): string {
  return i >= 0 && i < text.length ? text.charAt(i) : ''
}

/** `c` followed by a digit at `i` (a separator that continues a number). */
function sepThenDigit (text: string, i: number, seps: string): boolean {
  const c = charAt(text, i)
  return c !== '' && seps.includes(c) && DIGIT.test(charAt(text, i + 1))
}

/** A separator preceded by a digit just before `i` (the candidate continues a number to its left). */
function digitThenSep (text: string, i: number, seps: string): boolean {
  const c = charAt(text, i - 1)
  return c !== '' && seps.includes(c) && DIGIT.test(charAt(text, i - 2))
}

// --- validators (exported for tests) ------------------------------------------------------------

/** Luhn checksum of a digit string (separators must be removed first). */
export function luhn (digits: string): boolean {
  if (!/^[0-9]{2,64}$/.test(digits)) return false
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

/** IBAN length per country (ISO 13616 registry). Only these countries are recognised. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  ('AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 ' +
    'DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 ' +
    'IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 ' +
    'MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 ' +
    'SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30')
    .split(' ').map((e) => [e.slice(0, 2), Number(e.slice(2))])
)

/**
 * The IBAN check (ISO 7064 mod 97-10): the first four characters moved to the end, letters as
 * 10..35, the number mod 97 must be 1. Spaces are ignored; the country's length must match.
 */
export function ibanChecksumOk (iban: string): boolean {
  const compact = iban.replace(/ /g, '')
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(compact)) return false
  if (IBAN_LENGTHS.get(compact.slice(0, 2)) !== compact.length) return false
  const rearranged = compact.slice(4) + compact.slice(0, 4)
  let rest = 0
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0)
    const value = code <= 57 ? code - 48 : code - 55
    rest = value > 9 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97
  }
  return rest === 1
}

/** Dotted-quad IPv4: four decimal octets 0-255, no leading zeros (`010.0.0.1` is not accepted). */
export function isIPv4 (text: string): boolean {
  const parts = text.split('.')
  if (parts.length !== 4) return false
  return parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)
}

/**
 * IPv6 by parsing (RFC 4291 text forms): eight groups of 1-4 hex digits, or fewer with one `::`
 * standing for the rest; the last 32 bits may be written as IPv4. No zone id, no prefix length.
 */
export function isIPv6 (text: string): boolean {
  if (text.length < 2 || text.length > 45) return false
  const halves = text.split('::')
  if (halves.length > 2) return false
  const compressed = halves.length === 2
  const groups: string[] = []
  for (const half of halves) {
    if (half === '') continue
    groups.push(...half.split(':'))
  }
  let count = 0
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string
    const isLast = i === groups.length - 1
    const lastOfText = isLast && text.endsWith(g)
    if (lastOfText && g.includes('.')) {
      if (!isIPv4(g)) return false
      count += 2
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) {
      count += 1
    } else {
      return false
    }
  }
  return compressed ? count <= 7 : count === 8
}

/** A US SSN in AAA-GG-SSSS form that could have been issued: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function isSsn (text: string): boolean {
  const m = /^([0-9]{3})-([0-9]{2})-([0-9]{4})$/.exec(text)
  if (m === null) return false
  const [, area, group, serial] = m as unknown as [string, string, string, string]
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000'
}

// --- detectors ----------------------------------------------------------------------------------

interface Detector {
  /** Global candidate regex. */
  pattern: RegExp
  /** Cheap test: skip the regex when it fails. */
  quick: (text: string) => boolean
  /**
   * Decides one candidate: null keeps it; otherwise the [start, end) span (absolute offsets within
   * the candidate) to replace with the mask.
   */
  judge: (match: string, offset: number, text: string, state: { lastVersionEnd: number }) => [number, number] | null
}

/** File extensions that follow `@` in asset names (`icon@2x.png`) and are no top-level domain. */
const NOT_TLD = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'css', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'json', 'txt', 'yml', 'yaml', 'lock'])

const email: Detector = {
  pattern: /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g,
  quick: (t) => t.includes('@'),
  judge (match, offset, text) {
    const at = match.indexOf('@')
    // Leading dots and symbols belong to the sentence, not the address.
    let start = 0
    while (start < at && '._%+-'.includes(match.charAt(start))) start++
    const local = match.slice(start, at)
    if (local === '' || local.endsWith('.') || local.includes('..')) return null
    // A run of local-part characters longer than 64 is no address.
    if (start === 0 && /[A-Za-z0-9._%+-]/.test(charAt(text, offset - 1))) return null
    const labels = match.slice(at + 1).split('.')
    if (labels.some((l) => l.startsWith('-') || l.endsWith('-'))) return null
    const tld = labels[labels.length - 1] as string
    if (!/^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/.test(tld) || NOT_TLD.has(tld.toLowerCase())) return null
    const next = charAt(text, offset + match.length)
    if (next !== '' && /[A-Za-z0-9_@-]/.test(next)) return null
    return [start, match.length]
  }
}

const iban: Detector = {
  // upper or lower case, grouped by spaces or dashes (the checksum decides)
  pattern: /[A-Za-z]{2}[0-9]{2}(?:[ -]?[A-Za-z0-9]{4}){2,7}(?:[ -]?[A-Za-z0-9]{1,4})?/g,
  quick: (t) => /[A-Za-z]{2}[0-9]{2}/.test(t),
  judge (match, offset, text) {
    if (ALNUM_CHAR.test(charAt(text, offset - 1))) return null
    const expected = IBAN_LENGTHS.get(match.slice(0, 2).toUpperCase())
    if (expected === undefined) return null
    // The candidate may run into a following group ("… 7654 32 EUR" stops by itself; "… 3200 ABCD"
    // does not): cut it where the country's length ends, if that is a group boundary.
    let seen = 0
    let end = 0
    while (end < match.length && seen < expected) {
      const c = match.charAt(end)
      if (c !== ' ' && c !== '-') seen++
      end++
    }
    if (seen !== expected) return null
    const after = end < match.length ? match.charAt(end) : charAt(text, offset + end)
    if (ALNUM_CHAR.test(after)) return null
    const compact = match.slice(0, end).replace(/[ -]/g, '').toUpperCase()
    return ibanChecksumOk(compact) ? [0, end] : null
  }
}

const card: Detector = {
  // Grouped as printed on cards (4-4-4-4, 4-4-4-4-3, 4-6-5, 4-6-4, 4-4-4-1..3) with one kind of
  // separator (space, dash, dot or slash), or 13-19 digits in a row.
  pattern: /[0-9]{4}([ ./-])(?:[0-9]{6}\1[0-9]{4,5}|[0-9]{4}\1[0-9]{4}\1[0-9]{1,4}(?:\1[0-9]{3})?)(?![0-9])|[0-9]{13,19}(?![0-9])/g,
  quick: (t) => /[0-9]{4}/.test(t),
  judge (match, offset, text) {
    const prev = charAt(text, offset - 1)
    if (prev !== '' && (WORD.test(prev) || digitThenSep(text, offset, '-.,/'))) return null
    const end = offset + match.length
    const next = charAt(text, end)
    if (next !== '' && (WORD.test(next) || sepThenDigit(text, end, '-.,/'))) return null
    const digits = match.replace(/[ ./-]/g, '')
    if (!/^[2-6]/.test(digits)) return null
    return luhn(digits) ? [0, match.length] : null
  }
}

const ssn: Detector = {
  // dashes (any dash, in the normalised view) or spaces, the same between all three groups
  pattern: /[0-9]{3}([ -])[0-9]{2}\1[0-9]{4}/g,
  quick: (t) => t.includes('-') || t.includes(' '),
  judge (match, offset, text) {
    const prev = charAt(text, offset - 1)
    if (prev !== '' && (WORD.test(prev) || '-./#+'.includes(prev))) return null
    const end = offset + match.length
    const next = charAt(text, end)
    if (next !== '' && (WORD.test(next) || sepThenDigit(text, end, '-./ '))) return null
    return isSsn(match.replace(/ /g, '-')) ? [0, match.length] : null
  }
}

/** Words after which a dotted quad is a version number, not an address ("version 1.2.3.4", "v1.2.3.4" is caught by the boundary). */
const VERSION_CONTEXT = /(?:^|[^A-Za-z])(?:v|ver|version|versions|release|releases|rel|build|builds|rev|revision|firmware|fw|patch|sdk|upgrade|upgraded|update|updated|downgrade|downgraded)\.?[ \t]{0,3}(?:(?:is|was|to|from|number|no\.?|[:=#])[ \t]{0,3})?$/i
/** What may sit between two version numbers of one list ("1.2.3.4 and 1.2.3.5", "1.2.3.4 → 1.2.3.5"). */
const VERSION_LINK = /^[ \t]{0,3}(?:,|and|or|to|->|→|-|\/|through)[ \t]{0,3}$/

const ipv4: Detector = {
  pattern: /[0-9]{1,3}(?:\.[0-9]{1,3}){3}/g,
  quick: (t) => t.includes('.'),
  judge (match, offset, text, state) {
    const prev = charAt(text, offset - 1)
    if (prev !== '' && (WORD.test(prev) || prev === '.')) return null
    const end = offset + match.length
    const next = charAt(text, end)
    if (next !== '' && (WORD.test(next) || sepThenDigit(text, end, '.'))) return null
    if (!isIPv4(match)) return null
    // What a reader takes for a version: after a version word, in a product token (Chrome/120.0.0.0),
    // with a pre-release or build suffix (1.2.3.4-beta, 1.2.3.4+build), or listed with one.
    const isVersion =
      VERSION_CONTEXT.test(text.slice(Math.max(0, offset - 32), offset)) ||
      (prev === '/' && /[A-Za-z0-9]/.test(charAt(text, offset - 2))) ||
      (next === '-' && /[A-Za-z]/.test(charAt(text, end + 1))) ||
      next === '+' ||
      (state.lastVersionEnd >= 0 && offset - state.lastVersionEnd <= 12 && VERSION_LINK.test(text.slice(state.lastVersionEnd, offset)))
    if (isVersion) {
      state.lastVersionEnd = end
      return null
    }
    return [0, match.length]
  }
}

const ipv6: Detector = {
  pattern: /[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?:\.[0-9]{1,3}){0,3}/g,
  quick: (t) => t.includes(':'),
  judge (match, offset, text) {
    const prev = charAt(text, offset - 1)
    if (prev !== '' && (WORD.test(prev) || prev === ':' || prev === '.')) return null
    // A trailing ':' or '.' is usually punctuation ("address fe80::1: unreachable").
    let candidate = match
    if (!isIPv6(candidate) && /[:.]$/.test(candidate) && !candidate.endsWith('::')) candidate = candidate.slice(0, -1)
    if (!isIPv6(candidate)) return null
    const end = offset + candidate.length
    const next = charAt(text, end)
    if (next !== '' && (WORD.test(next) || sepThenDigit(text, end, '.:'))) return null
    // Short compressed forms collide with code (A::B), ratios and times (12::30) and name no host
    // (::, ::1): an address is masked when it has a group of 3+ hex digits or an IPv4 tail.
    const meaningful = candidate.includes('.') || /[0-9A-Fa-f]{3}/.test(candidate)
    return meaningful ? [0, candidate.length] : null
  }
}

// Phone numbers. International: + and 8-15 digits with spaces, dots, dashes or an area code in
// parentheses. National, kept narrow: North American (555) 123-4567 / 555-123-4567 / 555.123.4567
// (optionally 1- first), and UK-style numbers starting with 0 written in groups (020 7946 0958).
const PHONE_INTL = /\+[1-9](?:[ .-]?(?:\([0-9]{1,5}\)|[0-9])){7,20}/g
const PHONE_NANP = /(?:1[-. ])?(?:\([2-9][0-9]{2}\) ?[0-9]{3}[-. ][0-9]{4}|[2-9][0-9]{2}([-. ])[0-9]{3}\1[0-9]{4})/g
const PHONE_UK = /\(?0[1-9][0-9]{1,3}\)?[ -][0-9]{3,6}(?:[ -][0-9]{3,4})?/g
const CURRENCY_BEFORE = /[$€£¥₹][ \t]?$/

function phoneBoundaries (match: string, offset: number, text: string): boolean {
  const prev = charAt(text, offset - 1)
  if (prev !== '' && (WORD.test(prev) || '-./#+'.includes(prev) || digitThenSep(text, offset, ','))) return false
  if (CURRENCY_BEFORE.test(text.slice(Math.max(0, offset - 2), offset))) return false
  const end = offset + match.length
  const next = charAt(text, end)
  // A longer number goes on after it: "555 123 4567 8901", "555-123-4567-2".
  const seps = match.includes(' ') ? '-./, ' : '-./,'
  if (next !== '' && (WORD.test(next) || sepThenDigit(text, end, seps))) return false
  return true
}

const phoneIntl: Detector = {
  pattern: PHONE_INTL,
  quick: (t) => t.includes('+'),
  judge (match, offset, text) {
    if (!phoneBoundaries(match, offset, text)) return null
    const digits = match.replace(/[^0-9]/g, '').length
    return digits >= 8 && digits <= 15 ? [0, match.length] : null
  }
}

const phoneNanp: Detector = {
  pattern: PHONE_NANP,
  quick: (t) => /[0-9]{3}/.test(t),
  judge (match, offset, text) {
    return phoneBoundaries(match, offset, text) ? [0, match.length] : null
  }
}

const phoneUk: Detector = {
  pattern: PHONE_UK,
  quick: (t) => /0[1-9]/.test(t),
  judge (match, offset, text) {
    // "(020 7946 0958)": an opening parenthesis with no closing one is the sentence's.
    const skip = match.startsWith('(') && !match.includes(')') ? 1 : 0
    if (skip === 0 && !match.startsWith('(') && match.includes(')')) return null
    if (!phoneBoundaries(match.slice(skip), offset + skip, text)) return null
    const digits = match.replace(/[^0-9]/g, '').length
    return digits === 10 || digits === 11 ? [skip, match.length] : null
  }
}

const DETECTORS: Readonly<Record<PiiKind, readonly Detector[]>> = {
  email: [email],
  iban: [iban],
  card: [card],
  ssn: [ssn],
  ip: [ipv6, ipv4],
  phone: [phoneIntl, phoneNanp, phoneUk]
}

/** The view spans one detector accepts, skipping candidates that overlap what is already taken. */
function runDetector (text: string, detector: Detector, kind: PiiKind, taken: Array<[number, number, PiiKind]>): void {
  if (!detector.quick(text)) return
  const state = { lastVersionEnd: -1 }
  detector.pattern.lastIndex = 0
  for (const m of text.matchAll(detector.pattern)) {
    const span = detector.judge(m[0], m.index, text, state)
    if (span === null) continue
    const start = m.index + span[0]
    const end = m.index + span[1]
    if (taken.some(([s, e]) => start < e && s < end)) continue
    taken.push([start, end, kind])
  }
}

/**
 * Masks the given kinds of PII in `text` with their tokens (`[EMAIL]`, `[PHONE]`, `[SSN]`, `[CARD]`,
 * `[IBAN]`, `[IP]`). Candidates are found on the normalised view of the text (entities decoded,
 * Unicode digits, dashes and spaces as ASCII, zero-width characters removed: redact.ts) and masked
 * in the original text. `counts` holds the number of replacements of each kind found (kinds with
 * none are absent).
 */
export function maskPii (text: string, kinds: readonly PiiKind[] = PII_KINDS): { text: string, counts: Partial<Record<PiiKind, number>> } {
  const counts: Partial<Record<PiiKind, number>> = {}
  if (text.length < 5 || kinds.length === 0) return { text, counts }
  const view = normalizedView(text)
  const taken: Array<[number, number, PiiKind]> = []
  for (const kind of ORDER) {
    if (!kinds.includes(kind)) continue
    for (const detector of DETECTORS[kind]) runDetector(view.text, detector, kind, taken)
  }
  if (taken.length === 0) return { text, counts }
  const spans: MaskSpan[] = taken.map(([s, e, kind]) => {
    counts[kind] = (counts[kind] ?? 0) + 1
    return { ...toOriginal(view, s, e), mask: PII_MASKS[kind] }
  })
  return { text: applySpans(text, spans), counts }
}
