// Unsafe-HTML checker for sanitizer output (used by test/fuzz-guards.test.ts).
//
// The output is re-parsed with htmlparser2 (sanitize-html's own parser, installed as its
// dependency), the way an HTML consumer would read it, and every element, attribute and URL that
// can run script is reported. A few parser-independent checks on the raw text back it up, so that
// a parser difference cannot hide a tag a browser would see.

import { Parser } from 'htmlparser2'

/** Elements that run script, load content or change how the rest of the page is read. */
export const ACTIVE_ELEMENTS: readonly string[] = [
  'script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'link', 'meta',
  'form', 'svg', 'math', 'template', 'noscript', 'xmp', 'plaintext', 'noembed', 'noframes', 'portal'
]
/** Attributes that take script or markup whatever their name's prefix. */
const ACTIVE_ATTRIBUTES = new Set(['style', 'srcdoc', 'formaction', 'action', 'http-equiv'])
/** URL schemes that run script or inline a document. */
const ACTIVE_SCHEMES = new Set(['javascript', 'vbscript', 'data', 'livescript', 'mocha'])

const NAMED_REFS: Readonly<Record<string, string>> = {
  colon: ':', tab: '\t', newline: '\n', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", sol: '/', lpar: '(', rpar: ')', nbsp: '\u00a0'
}

/** Decodes numeric and the usual named character references (';' optional, as browsers allow). */
function decode (text: string): string {
  return text
    .replace(/&#[xX]0*([0-9a-fA-F]{1,6});?/g, (_m, hex: string) => String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)))
    .replace(/&#0*([0-9]{1,7});?/g, (_m, dec: string) => String.fromCodePoint(Math.min(parseInt(dec, 10), 0x10ffff)))
    .replace(/&([A-Za-z]{2,8});?/g, (m, name: string) => NAMED_REFS[name.toLowerCase()] ?? m)
}

/** The URL scheme a browser would see in an attribute value (references decoded, controls and spaces dropped). */
export function schemeOf (value: string): string | null {
  let v = value
  for (let i = 0; i < 3; i++) v = decode(v)
  // eslint-disable-next-line no-control-regex
  v = v.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase()
  const m = /^([a-z][a-z0-9+.-]{0,30}):/.exec(v)
  return m === null ? null : m[1] as string
}

export interface HtmlSafetyOptions {
  /** Tags that may appear at all (anything else is reported); default: any tag that is not active. */
  allowedTags?: readonly string[]
}

/** Everything in `html` that could run script once parsed. Empty when the text is inert. */
export function unsafeHtml (html: string, options: HtmlSafetyOptions = {}): string[] {
  const found: string[] = []
  const parser = new Parser({
    onopentag (name, attributes) {
      if (ACTIVE_ELEMENTS.includes(name)) found.push(`<${name}> element`)
      if (options.allowedTags !== undefined && !options.allowedTags.includes(name)) found.push(`<${name}> outside the allowlist`)
      for (const [attribute, value] of Object.entries(attributes)) {
        if (attribute.startsWith('on')) found.push(`${attribute} attribute on <${name}>`)
        if (ACTIVE_ATTRIBUTES.has(attribute)) found.push(`${attribute} attribute on <${name}>`)
        const scheme = schemeOf(value)
        if (scheme !== null && ACTIVE_SCHEMES.has(scheme)) found.push(`${scheme}: URL in ${attribute} of <${name}>`)
      }
    }
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true })
  parser.write(html)
  parser.end()

  // Parser-independent backups on the raw text.
  const active = new RegExp(`<\\s*/?\\s*(?:${ACTIVE_ELEMENTS.join('|')})(?![a-z0-9-])`, 'i')
  if (active.test(html)) found.push('an active element name right after "<"')
  for (const tag of html.match(/<[A-Za-z][^<>]{0,4096}>?/g) ?? []) {
    const outsideQuotes = tag.replace(/"[^"]*"|'[^']*'/g, '""')
    if (/[\s/"']on[a-z]{1,40}\s{0,10}=/i.test(outsideQuotes)) found.push(`an on* attribute in ${JSON.stringify(tag.slice(0, 60))}`)
  }
  return found
}

/** True when the text has no '<' that a parser could read as the start of a tag, comment or directive. */
export function hasNoTagStart (text: string): boolean {
  return !/<[A-Za-z!/?]/.test(text)
}
