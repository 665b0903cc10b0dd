import { createRequire } from 'node:module'
import type SanitizeHtml from 'sanitize-html'
import type { HtmlAllowlist, PiiKind, SanitizedKind, SanitizeOptions } from '../../types/sanitize.js'
import { QwedOptionsError } from '../errors.js'
import { describe } from '../option-checks.js'
import { maskPii, PII_KINDS } from './pii.js'
import { maskSecrets } from './secrets.js'

// sanitize-html (and its HTML parser) loads on the first string that has markup, not with the
// package: most answers have none, and importing it costs as much as the rest of the guard.
const requireHere = createRequire(import.meta.url)
let sanitizer: typeof SanitizeHtml | undefined
function sanitizeHtml (html: string, options: SanitizeHtml.IOptions): string {
  sanitizer ??= requireHere('sanitize-html') as typeof SanitizeHtml
  return sanitizer(html, options)
}

// The output guard: every string of a JSON payload (or the strings at the given paths) goes through
// HTML sanitization, then secret scrubbing, then PII masking. The payload keeps its shape.
//
// HTML, text-only mode (the default), decided on purpose:
// - A string with no markup is returned exactly as it is. "Markup" means a `<` that starts a tag
//   for an HTML parser (`<` followed by a letter, `/`, `!` or `?`) or a character reference that a
//   browser decodes (`&#60;`, `&#x6A;`, `&amp;`). So "3 < 5", "x<5", "AT&T", "R&D" and
//   "a=1&b=2" come out unchanged: without such a `<` an HTML parser makes only text of a string,
//   whatever else it holds, so they are as safe to display as they are to read.
// - A string with markup becomes the text a browser would show for it (tags removed; script,
//   style, textarea, … dropped with their content; references decoded: `&amp;` → `&`), and every
//   `<` left in that text that would start a tag is written `&lt;`. The result never parses into
//   an element, whatever parser reads it, and is plain text everywhere else. A tag whose name no
//   HTML parser knows (`Promise<void>`, `List<String>` in an answer about code) is kept as text.
//   (sanitize-html alone would escape every `<` and `&` of the text: "3 &lt; 5", "AT&amp;T".)
// With an allowlist the output is HTML (sanitize-html's, text escaped as HTML), again only for
// strings with markup.

const MAX_DEPTH = 1000
/** Longer arrays (sparse ones made in code: `new Array(2 ** 32 - 1)`) would keep the loop busy for minutes. */
const MAX_ARRAY_LENGTH = 10_000_000
/**
 * The HTML parser under sanitize-html (htmlparser2) is quadratic in the depth of unclosed elements
 * ('<b>' × 50,000 takes seconds). A string with more tags than this is not parsed: its tags are
 * removed by a simple rule, and the text-only guarantee (no `<` that starts a tag) still holds.
 */
export const MAX_TAGS_PARSED = 10_000

const TAG_START = /<[A-Za-z!/?]/
const TAG_START_ALL = /<(?=[A-Za-z!/?])/g
/** A character reference a browser decodes: numeric (`;` optional, as browsers accept) or named with `;`. */
const CHAR_REF = /&(?:#[0-9]{1,8}|#[xX][0-9A-Fa-f]{1,8}|[A-Za-z][A-Za-z0-9]{1,31};)/

/**
 * Element names an HTML parser gives meaning to (HTML, obsolete HTML, SVG, MathML). A tag-like
 * token with any other name and no hyphen (`List<String>`, `Promise<void>`, `Map<K, V>`: type
 * parameters in an answer about code) is kept as text, its `<` escaped, instead of vanishing.
 */
const KNOWN_ELEMENTS = new Set((
  'a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink ' +
  'blockquote body br button canvas caption center cite code col colgroup data datalist dd del details ' +
  'dfn dialog dir div dl dt em embed fencedframe fieldset figcaption figure font footer form frame ' +
  'frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins isindex kbd keygen ' +
  'label legend li link listing main map mark marquee menu menuitem meta meter multicol nav nextid nobr ' +
  'noembed noframes noscript object ol optgroup option output p param picture plaintext portal pre ' +
  'progress q rb rp rt rtc ruby s samp script search section select selectedcontent slot small source ' +
  'spacer span strike strong style sub summary sup table tbody td template textarea tfoot th thead time ' +
  'title tr track tt u ul var video wbr xmp ' +
  'svg animate animatemotion animatetransform circle clippath defs desc ellipse feblend fecolormatrix ' +
  'fecomponenttransfer fecomposite feconvolvematrix fediffuselighting fedisplacementmap fedistantlight ' +
  'fedropshadow feflood fefunca fefuncb fefuncg fefuncr fegaussianblur feimage femerge femergenode ' +
  'femorphology feoffset fepointlight fespecularlighting fespotlight fetile feturbulence filter ' +
  'foreignobject g line lineargradient marker mask metadata mpath path pattern polygon polyline ' +
  'radialgradient rect set stop switch symbol text textpath tspan use view ' +
  'math annotation annotation-xml maction maligngroup malignmark menclose merror mfenced mfrac mglyph mi ' +
  'mlabeledtr mmultiscripts mn mo mover mpadded mphantom mprescripts mroot mrow ms mspace msqrt mstyle ' +
  'msub msubsup msup mtable mtd mtext mtr munder munderover none semantics'
).split(' '))
const TAG_TOKEN = /<(\/?)([A-Za-z][^\s/>]{0,64})/g

/** Elements whose content is not text a reader sees (or that would carry markup out as text): dropped whole. */
const NON_TEXT_TAGS = [
  'script', 'style', 'textarea', 'option', 'select', 'noscript', 'title', 'template', 'iframe',
  'noembed', 'noframes', 'xmp', 'plaintext', 'object', 'applet', 'frameset'
]

const TEXT_ONLY: SanitizeHtml.IOptions = {
  allowedTags: [],
  allowedAttributes: {},
  disallowedTagsMode: 'discard',
  nonTextTags: NON_TEXT_TAGS
}

/** Tags an allowlist may never keep: active content, or elements that change how the rest is parsed (mutation XSS). */
export const FORBIDDEN_TAGS: readonly string[] = [
  'script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'param', 'base',
  'basefont', 'meta', 'link', 'form', 'svg', 'math', 'template', 'noscript', 'noembed', 'noframes',
  'xmp', 'plaintext', 'listing', 'textarea', 'title', 'portal', 'fencedframe', 'isindex', 'html',
  'head', 'body', 'select', 'option', 'image'
]
/** Attributes an allowlist may never keep (besides every `on*` event handler). */
export const FORBIDDEN_ATTRIBUTES: readonly string[] = ['style', 'srcdoc', 'formaction', 'action', 'http-equiv', 'xmlns', 'is', 'autofocus']
/** Schemes an allowlist may never allow: they run script or carry a document. */
export const FORBIDDEN_SCHEMES: readonly string[] = ['javascript', 'vbscript', 'data', 'livescript', 'mocha', 'jscript']
/** Attributes whose value is a URL: the scheme allowlist applies to all of them, not only href/src/cite. */
const URL_ATTRIBUTES = [
  'href', 'src', 'cite', 'action', 'formaction', 'background', 'poster', 'data', 'codebase', 'longdesc',
  'usemap', 'xlink:href', 'ping', 'lowsrc', 'dynsrc', 'manifest', 'icon', 'profile', 'archive',
  'classid', 'itemtype', 'itemid'
]
const DEFAULT_SCHEMES = ['http', 'https', 'mailto']

const OPTION_KEYS = ['paths', 'html', 'pii', 'secrets'] as const
const ALLOWLIST_KEYS = ['allowedTags', 'allowedAttributes', 'allowedSchemes'] as const
const TAG_NAME = /^[a-z][a-z0-9-]{0,31}$/
const ATTRIBUTE_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/
const SCHEME = /^[a-z][a-z0-9+.-]{0,31}$/

/**
 * sanitize-html's options for an allowlist, opaque in the published types: a consumer's type-check
 * must not need @types/sanitize-html (a dev dependency here) to read this package's declarations.
 */
export type HtmlPolicy = object

/** Sanitize options checked and prepared once (an adapter does it at registration). */
export interface CompiledSanitizeOptions {
  /** Path patterns, split on dots; null = every string. */
  paths: string[][] | null
  html: 'text' | HtmlPolicy | null
  pii: PiiKind[]
  secrets: boolean
}

type Compiled = CompiledSanitizeOptions
type Counts = Partial<Record<SanitizedKind, number>>

// --- options ------------------------------------------------------------------------------------

function isRecord (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function stringList (value: unknown, name: string, max: number): string[] {
  if (!Array.isArray(value)) throw new QwedOptionsError(name, `must be an array of strings, got ${describe(value)}`)
  if (value.length > max) throw new QwedOptionsError(name, `must have at most ${max} entries, got ${value.length}`)
  value.forEach((v, i) => {
    if (typeof v !== 'string') throw new QwedOptionsError(`${name}[${i}]`, `must be a string, got ${describe(v)}`)
  })
  return [...value] as string[]
}

function checkPath (path: string, name: string): void {
  if (path.length === 0 || path.length > 1000) throw new QwedOptionsError(name, 'must be a dot path of 1 to 1000 characters, e.g. \'answer\' or \'items.*.text\'')
  for (const segment of path.split('.')) {
    if (segment === '') throw new QwedOptionsError(name, `has an empty segment in ${describe(path)} (a path is keys joined by single dots)`)
    if (segment !== '*' && segment.includes('*')) {
      throw new QwedOptionsError(name, `has ${describe(segment)} in ${describe(path)}: '*' stands alone for any key or index`)
    }
  }
}

function validateAllowlist (value: Record<string, unknown>, name: string): HtmlAllowlist {
  for (const key of Object.keys(value)) {
    if (!(ALLOWLIST_KEYS as readonly string[]).includes(key)) {
      throw new QwedOptionsError(`${name}.${key}`, `is not a known option (known: ${ALLOWLIST_KEYS.join(', ')})`)
    }
  }
  if (value.allowedTags === undefined) throw new QwedOptionsError(`${name}.allowedTags`, 'is required (the tags to keep, e.g. [\'b\', \'i\', \'a\'])')
  const allowedTags = stringList(value.allowedTags, `${name}.allowedTags`, 200)
  allowedTags.forEach((tag, i) => {
    const where = `${name}.allowedTags[${i}]`
    if (!TAG_NAME.test(tag)) throw new QwedOptionsError(where, `must be a lower-case tag name, got ${describe(tag)}`)
    if (FORBIDDEN_TAGS.includes(tag)) throw new QwedOptionsError(where, `may not allow <${tag}>: it is active content or changes how the markup around it is parsed`)
  })
  const result: HtmlAllowlist = { allowedTags }
  if (value.allowedAttributes !== undefined) {
    const attrs = value.allowedAttributes
    if (!isRecord(attrs)) throw new QwedOptionsError(`${name}.allowedAttributes`, `must be an object of tag → attribute names, got ${describe(attrs)}`)
    const out: Record<string, string[]> = {}
    for (const [tag, list] of Object.entries(attrs)) {
      const where = `${name}.allowedAttributes.${tag}`
      if (tag !== '*' && !TAG_NAME.test(tag)) throw new QwedOptionsError(where, 'must be keyed by a lower-case tag name or \'*\'')
      const names = stringList(list, where, 200)
      names.forEach((attr, i) => {
        const at = `${where}[${i}]`
        if (attr === 'data-*' || attr === 'aria-*') return
        if (!ATTRIBUTE_NAME.test(attr)) throw new QwedOptionsError(at, `must be a lower-case attribute name (or 'data-*', 'aria-*'), got ${describe(attr)}`)
        if (attr.startsWith('on')) throw new QwedOptionsError(at, `may not allow ${describe(attr)}: event-handler attributes run script`)
        if (FORBIDDEN_ATTRIBUTES.includes(attr) || attr.startsWith('xmlns')) throw new QwedOptionsError(at, `may not allow ${describe(attr)}`)
      })
      Object.defineProperty(out, tag, { value: names, enumerable: true, writable: true, configurable: true })
    }
    result.allowedAttributes = out
  }
  if (value.allowedSchemes !== undefined) {
    const schemes = stringList(value.allowedSchemes, `${name}.allowedSchemes`, 50)
    schemes.forEach((scheme, i) => {
      const at = `${name}.allowedSchemes[${i}]`
      if (!SCHEME.test(scheme)) throw new QwedOptionsError(at, `must be a lower-case URL scheme without ':', got ${describe(scheme)}`)
      if (FORBIDDEN_SCHEMES.includes(scheme)) throw new QwedOptionsError(at, `may not allow ${scheme}: URLs it can run script or carry a document`)
    })
    result.allowedSchemes = schemes
  }
  return result
}

/**
 * Checks sanitize options (`sanitize` of a route or of the adapter). Throws a QwedOptionsError
 * that names the option (`sanitize.paths[1]`, `sanitize.html.allowedAttributes.a[0]`); returns a
 * checked copy.
 */
export function validateSanitizeOptions (value: unknown, name: string): SanitizeOptions {
  if (value === undefined) return {}
  if (!isRecord(value)) throw new QwedOptionsError(name, `must be an object (or true / false), got ${describe(value)}`)
  for (const key of Object.keys(value)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw new QwedOptionsError(`${name}.${key}`, `is not a known option (known: ${OPTION_KEYS.join(', ')})`)
    }
  }
  const out: SanitizeOptions = {}
  if (value.paths !== undefined) {
    const paths = stringList(value.paths, `${name}.paths`, 1000)
    paths.forEach((p, i) => checkPath(p, `${name}.paths[${i}]`))
    out.paths = paths
  }
  if (value.html !== undefined) {
    if (typeof value.html === 'boolean') out.html = value.html
    else if (isRecord(value.html)) out.html = validateAllowlist(value.html, `${name}.html`)
    else throw new QwedOptionsError(`${name}.html`, `must be true, false or an allowlist { allowedTags, allowedAttributes?, allowedSchemes? }, got ${describe(value.html)}`)
  }
  if (value.pii !== undefined) {
    if (typeof value.pii === 'boolean') {
      out.pii = value.pii
    } else {
      const kinds = stringList(value.pii, `${name}.pii`, PII_KINDS.length * 2)
      kinds.forEach((k, i) => {
        if (!(PII_KINDS as readonly string[]).includes(k)) {
          throw new QwedOptionsError(`${name}.pii[${i}]`, `must be one of ${PII_KINDS.map((p) => `'${p}'`).join(' | ')}, got ${describe(k)}`)
        }
      })
      out.pii = kinds as PiiKind[]
    }
  }
  if (value.secrets !== undefined) {
    if (typeof value.secrets !== 'boolean') throw new QwedOptionsError(`${name}.secrets`, `must be a boolean, got ${describe(value.secrets)}`)
    out.secrets = value.secrets
  }
  return out
}

/** Checks (QwedOptionsError, named `sanitize...`) and prepares options for sanitizeCompiled. */
export function compileSanitizeOptions (options: SanitizeOptions | undefined): CompiledSanitizeOptions {
  const o = validateSanitizeOptions(options, 'sanitize')
  let html: Compiled['html'] = 'text'
  if (o.html === false) html = null
  else if (typeof o.html === 'object') {
    html = {
      allowedTags: o.html.allowedTags,
      allowedAttributes: o.html.allowedAttributes ?? {},
      allowedSchemes: o.html.allowedSchemes ?? DEFAULT_SCHEMES,
      allowedSchemesByTag: {},
      allowedSchemesAppliedToAttributes: URL_ATTRIBUTES,
      allowProtocolRelative: true,
      disallowedTagsMode: 'discard',
      nonTextTags: NON_TEXT_TAGS,
      allowVulnerableTags: false
    }
  }
  const pii = o.pii === false ? [] : o.pii === undefined || o.pii === true ? [...PII_KINDS] : o.pii
  return {
    paths: o.paths === undefined ? null : o.paths.map((p) => p.split('.')),
    html,
    pii,
    secrets: o.secrets !== false
  }
}

// --- one string ---------------------------------------------------------------------------------

function hasMarkup (text: string): boolean {
  return TAG_START.test(text) || CHAR_REF.test(text)
}

function tooManyTags (text: string): boolean {
  const re = new RegExp(TAG_START_ALL.source, 'g')
  let n = 0
  while (re.exec(text) !== null) {
    if (++n > MAX_TAGS_PARSED) return true
  }
  return false
}

/** Pathological markup (see MAX_TAGS_PARSED): tags removed without parsing, text left (script text too). */
function stripTagsUnparsed (text: string): string {
  return escapeTagStarts(text.replace(/<[A-Za-z!/?][^<>]{0,2048}>/g, ''))
}

function escapeTagStarts (text: string): string {
  return text.includes('<') ? text.replace(TAG_START_ALL, '&lt;') : text
}

/** `<Name` and `</Name` of a name no parser knows (and no custom element): written as text. */
function escapeUnknownTags (text: string): string {
  return text.replace(TAG_TOKEN, (m: string, slash: string, name: string) =>
    KNOWN_ELEMENTS.has(name.toLowerCase()) || name.includes('-') ? m : `&lt;${slash}${name.replace(/</g, '&lt;')}`)
}

/** The text a browser would show for `html`, with every `<` that would start a tag escaped. */
function htmlToText (html: string): string {
  // sanitize-html writes text escaped (& < > only, in that order): undo exactly that.
  const text = sanitizeHtml(escapeUnknownTags(html), TEXT_ONLY).replace(/&(amp|lt|gt);/g, (_m, name: string) => name === 'amp' ? '&' : name === 'lt' ? '<' : '>')
  return escapeTagStarts(text)
}

// --- Markdown links ------------------------------------------------------------------------------

/** Schemes a link target must not have: a Markdown renderer turns them into script or inline content. */
const SCRIPT_SCHEME = /^(?:javascript|vbscript|data|livescript):/
/** What browsers drop from a URL before reading its scheme: control characters, spaces, tabs, newlines. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what browsers drop from URLs
const URL_NOISE = /[\u0000-\u0020\u007f-\u009f\u200b-\u200d\u2060\ufeff\u00ad]/g
const LINK_OPEN = /\]\(|^[ \t]{0,3}\[[^\]\r\n]{1,999}\]:[ \t]{0,8}/gm
const MAX_DESTINATION = 4096

/**
 * Text-only mode: a Markdown link or image (`[x](javascript:…)`, `![x](data:…)`, a reference
 * definition `[x]: vbscript:…`) whose target has a script or data scheme gets `#` as its target.
 * The scheme is read as a browser reads it: entities decoded, case folded, control characters,
 * whitespace and zero-width characters removed (`java&#115;cript:`, ` JaVa\tScRiPt:`).
 */
export function neutralizeMarkdownLinks (text: string): { text: string, count: number } {
  if (!text.includes(']')) return { text, count: 0 }
  let out = ''
  let cursor = 0
  let count = 0
  LINK_OPEN.lastIndex = 0
  for (let m = LINK_OPEN.exec(text); m !== null; m = LINK_OPEN.exec(text)) {
    if (m[0].length === 0) { LINK_OPEN.lastIndex++; continue }
    const from = m.index + m[0].length
    if (from < cursor) continue
    const inline = m[0] === ']('
    const end = inline ? destinationEnd(text, from) : lineEnd(text, from)
    const target = text.slice(from, end)
    if (!SCRIPT_SCHEME.test(readAsBrowser(target))) continue
    out += text.slice(cursor, from) + '#'
    cursor = end
    count++
    LINK_OPEN.lastIndex = Math.max(LINK_OPEN.lastIndex, end)
  }
  return count === 0 ? { text, count } : { text: out + text.slice(cursor), count }
}

/** The end of an inline link destination: the `)` that balances the opening one (or the text's end). */
function destinationEnd (text: string, from: number): number {
  let depth = 0
  const limit = Math.min(text.length, from + MAX_DESTINATION)
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x5c) { i++; continue } // a backslash escape
    if (c === 0x28) depth++
    else if (c === 0x29) {
      if (depth === 0) return i
      depth--
    }
  }
  return limit
}

function lineEnd (text: string, from: number): number {
  const nl = text.indexOf('\n', from)
  return Math.min(nl === -1 ? text.length : nl, from + MAX_DESTINATION)
}

function readAsBrowser (target: string): string {
  let t = target.trim()
  if (t.startsWith('<')) t = t.slice(1)
  else if (t.startsWith('&lt;')) t = t.slice(4)
  return decodeReferences(t.slice(0, 64)).replace(URL_NOISE, '').toLowerCase()
}

/** Numeric character references and the few named ones a scheme can be spelled with. */
function decodeReferences (s: string): string {
  return s.replace(/&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|(colon|tab|newline|nbsp));?/g, (ref, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return name === 'colon' ? ':' : ' '
    const code = dec !== undefined ? Number(dec) : parseInt(hex as string, 16)
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : ref
  })
}

function add (counts: Counts, kind: SanitizedKind, n: number): void {
  if (n > 0) counts[kind] = (counts[kind] ?? 0) + n
}

function sanitizeString (text: string, c: Compiled, counts: Counts): string {
  let out = text
  const markup = c.html !== null && hasMarkup(out)
  if (markup) {
    const clean = tooManyTags(out)
      ? stripTagsUnparsed(out)
      : c.html === 'text' ? htmlToText(out) : sanitizeHtml(escapeUnknownTags(out), c.html as SanitizeHtml.IOptions)
    if (clean !== out) add(counts, 'html', 1)
    out = clean
  }
  if (c.html === 'text') {
    const links = neutralizeMarkdownLinks(out)
    add(counts, 'html', links.count)
    out = links.text
  }
  let masked = 0
  if (c.secrets) {
    const r = maskSecrets(out)
    add(counts, 'secret', r.count)
    masked += r.count
    out = r.text
  }
  if (c.pii.length > 0) {
    const r = maskPii(out, c.pii)
    for (const [kind, n] of Object.entries(r.counts)) {
      add(counts, kind as PiiKind, n ?? 0)
      masked += n ?? 0
    }
    out = r.text
  }
  // Masking only removes characters, but the guarantee is kept by construction, not by argument:
  // text-only output gets its tag starts escaped again, allowlisted HTML goes through sanitize-html again.
  if (c.html === 'text') out = escapeTagStarts(out)
  else if (c.html !== null && masked > 0 && hasMarkup(out)) out = tooManyTags(out) ? stripTagsUnparsed(out) : sanitizeHtml(out, c.html)
  return out
}

// --- the payload --------------------------------------------------------------------------------

function notJson (reason: string, path: string): TypeError {
  return new TypeError(`qwed: the payload is not JSON data: ${reason} at ${path}`)
}

function pathText (segments: readonly string[]): string {
  let s = '$'
  for (const seg of segments) s += /^[0-9]+$/.test(seg) ? `[${seg}]` : `.${seg}`
  return s
}

/** The value JSON.stringify would write for `value` under `key` (toJSON, boxed primitives). */
function jsonView (value: unknown, key: string): unknown {
  let v = value
  if ((typeof v === 'object' && v !== null) || typeof v === 'bigint') {
    const toJSON = (v as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') v = toJSON.call(v, key)
  }
  if (typeof v === 'object' && v !== null) {
    if (v instanceof Number) return Number(v)
    if (v instanceof String) return String(v)
    if (v instanceof Boolean) return v.valueOf()
    if (typeof BigInt === 'function' && v instanceof BigInt) return v.valueOf()
  }
  return v
}

/** Pattern positions still alive at a node: 'all' when a whole path already matched (its subtree is selected). */
type Selection = 'all' | Array<[number, number]> | null

function step (selection: Selection, c: Compiled, key: string): Selection {
  if (selection === 'all' || selection === null) return selection
  const next: Array<[number, number]> = []
  for (const [p, i] of selection) {
    const pattern = c.paths?.[p]
    const segment = pattern?.[i]
    if (pattern === undefined || segment === undefined) continue
    if (segment === '*' || segment === key) {
      if (i + 1 === pattern.length) return 'all'
      next.push([p, i + 1])
    }
  }
  return next.length === 0 ? null : next
}

interface Frame {
  source: object
  keys: string[] | null // null: an array
  index: number
  length: number
  out: unknown[] | Record<string, unknown>
  selection: Selection
}

function setKey (out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

/**
 * Sanitizes `value` as JSON data and reports what was changed. Returns a new value of the same
 * shape (what JSON.stringify would write: toJSON honoured, undefined and functions dropped from
 * objects and null in arrays); only strings change. Throws a TypeError for a value that is not JSON
 * data (a cycle, nesting deeper than 1000, a BigInt, a function or symbol at the top).
 */
export function sanitizeWithReport<T> (value: T, options?: SanitizeOptions): { value: T, counts: Counts } {
  return sanitizeCompiled(value, compileSanitizeOptions(options))
}

/** sanitizeWithReport with options prepared by compileSanitizeOptions: nothing is re-checked per call. */
export function sanitizeCompiled<T> (value: T, c: CompiledSanitizeOptions): { value: T, counts: Counts } {
  const counts: Counts = {}
  const rootSelection: Selection = c.paths === null ? 'all' : c.paths.length === 0 ? null : c.paths.map((_, p) => [p, 0] as [number, number])
  const root = jsonView(value, '')
  const leaf = (v: unknown, selection: Selection, path: () => string): { value: unknown, drop: boolean } | null => {
    if (typeof v === 'string') return { value: selection === 'all' ? sanitizeString(v, c, counts) : v, drop: false }
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return { value: v, drop: false }
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return { value: undefined, drop: true }
    if (typeof v === 'bigint') throw notJson('a BigInt', path())
    return null
  }
  if (typeof root === 'function' || typeof root === 'symbol') throw notJson(`a ${typeof root}`, '$')
  // A string payload is sanitized whole: paths address fields inside objects and arrays.
  const top = leaf(root, 'all', () => '$')
  if (top !== null) return { value: top.value as T, counts }

  const stack: Frame[] = []
  const segments: string[] = []
  const ancestors = new Set<object>()
  const open = (source: object, selection: Selection): Frame => {
    if (ancestors.has(source)) throw notJson('a cycle', pathText(segments))
    if (stack.length >= MAX_DEPTH) throw notJson(`nesting deeper than ${MAX_DEPTH}`, pathText(segments))
    const isArray = Array.isArray(source)
    if (isArray && (source as unknown[]).length > MAX_ARRAY_LENGTH) throw notJson(`an array of more than ${MAX_ARRAY_LENGTH} elements`, pathText(segments))
    ancestors.add(source)
    const keys = isArray ? null : Object.keys(source)
    const frame: Frame = {
      source,
      keys,
      index: 0,
      length: isArray ? (source as unknown[]).length : (keys as string[]).length,
      out: isArray ? new Array<unknown>((source as unknown[]).length) : {},
      selection
    }
    stack.push(frame)
    return frame
  }
  const result = open(root as object, rootSelection).out

  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame
    if (frame.index >= frame.length) {
      stack.pop()
      ancestors.delete(frame.source)
      segments.pop()
      continue
    }
    const i = frame.index++
    const key = frame.keys === null ? String(i) : frame.keys[i] as string
    const raw = frame.keys === null ? (frame.source as unknown[])[i] : (frame.source as Record<string, unknown>)[key]
    const v = jsonView(raw, key)
    const selection = step(frame.selection, c, key)
    const done = leaf(v, selection, () => pathText([...segments, key]))
    if (done !== null) {
      if (frame.keys === null) (frame.out as unknown[])[i] = done.drop ? null : done.value
      else if (!done.drop) setKey(frame.out as Record<string, unknown>, key, done.value)
      continue
    }
    segments.push(key)
    const child = open(v as object, selection)
    if (frame.keys === null) (frame.out as unknown[])[i] = child.out
    else setKey(frame.out as Record<string, unknown>, key, child.out)
  }
  return { value: result as T, counts }
}

/** Sanitizes `value` (a JSON payload or a string); see sanitizeWithReport. */
export function sanitizeOutput<T> (value: T, options?: SanitizeOptions): T {
  return sanitizeWithReport(value, options).value
}
