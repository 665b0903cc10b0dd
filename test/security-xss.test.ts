import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
// htmlparser2 is sanitize-html's own parser (installed as its dependency): the check re-parses
// every output the way an HTML consumer would, and adds parser-independent checks on the raw text.
import { Parser } from 'htmlparser2'
import { sanitizeOutput } from '../lib/guard/output.js'
import type { HtmlAllowlist } from '../types/sanitize.js'

interface Vector { name: string, input: string, text?: string }

const vectors = JSON.parse(readFileSync(new URL('./fixtures/security/xss-vectors.json', import.meta.url), 'utf8')) as Vector[]

const ALLOWLIST: HtmlAllowlist = { allowedTags: ['a', 'b', 'i', 'p', 'img'], allowedAttributes: { a: ['href'], img: ['src'] } }
const ACTIVE = ['script', 'iframe', 'object', 'embed', 'style', 'base', 'meta', 'form', 'svg', 'math', 'link', 'frame', 'frameset', 'applet', 'template', 'noscript']
const BAD_SCHEMES = ['javascript', 'vbscript', 'data']
const TAG_START = /<[A-Za-z!/?]/
const RAW_ACTIVE_TAG = new RegExp(`<\\s*/?\\s*(?:${ACTIVE.join('|')})(?![a-z0-9-])`, 'i')

const NAMED: Record<string, string> = { colon: ':', tab: '\t', newline: '\n', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", sol: '/', lpar: '(', rpar: ')', nbsp: ' ' }

/** Decodes character references (more generously than a browser: ';' optional everywhere). */
function decodeRefs (s: string): string {
  return s
    .replace(/&#[xX]([0-9a-fA-F]{1,8});?/g, (_m, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff)))
    .replace(/&#([0-9]{1,10});?/g, (_m, d: string) => String.fromCodePoint(Math.min(parseInt(d, 10), 0x10ffff)))
    .replace(/&([A-Za-z]{2,10});?/g, (m, n: string) => NAMED[n.toLowerCase()] ?? m)
}

/** The scheme of a URL-ish attribute value, after entities are decoded and whitespace/control characters removed. */
function schemeOf (value: string): string | null {
  let v = value
  for (let i = 0; i < 3; i++) v = decodeRefs(v)
  // eslint-disable-next-line no-control-regex
  v = v.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase()
  const m = /^([a-z][a-z0-9+.-]*):/.exec(v)
  return m === null ? null : m[1] as string
}

/** Everything unsafe in `html` once an HTML parser reads it. Empty = safe. */
function problems (html: string, allowedTags?: readonly string[]): string[] {
  const found: string[] = []
  const parser = new Parser({
    onopentag (name, attribs) {
      if (ACTIVE.includes(name)) found.push(`<${name}> element`)
      if (allowedTags !== undefined && !allowedTags.includes(name)) found.push(`<${name}> is not in the allowlist`)
      for (const [attr, value] of Object.entries(attribs)) {
        if (attr.startsWith('on')) found.push(`${attr} on <${name}>`)
        if (attr === 'style' || attr === 'srcdoc' || attr === 'formaction') found.push(`${attr} on <${name}>`)
        const scheme = schemeOf(value)
        if (scheme !== null && BAD_SCHEMES.includes(scheme)) found.push(`${scheme}: in ${attr} of <${name}>`)
      }
    }
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  parser.write(html)
  parser.end()
  // Parser-independent: no active tag name right after '<', no event handler inside any tag.
  if (RAW_ACTIVE_TAG.test(html)) found.push('an active tag name follows a raw <')
  for (const tag of html.match(/<[A-Za-z][^>]{0,100000}>?/g) ?? []) {
    const unquoted = tag.replace(/"[^"]*"|'[^']*'/g, '""')
    if (/[\s/"']on[a-z]{1,40}\s{0,10}=/i.test(unquoted)) found.push(`an on* attribute inside ${JSON.stringify(tag.slice(0, 80))}`)
  }
  return found
}

t.test('the corpus has enough vectors, each named once', async (t) => {
  t.ok(vectors.length >= 60, `${vectors.length} vectors`)
  t.equal(new Set(vectors.map((v) => v.name)).size, vectors.length)
  // The checker itself must catch what it is meant to catch.
  for (const bad of ['<script>x</script>', '<img src=x onerror=alert(1)>', '<a href="jav&#x09;ascript:x">', '<a href="&#106;avascript:x">', '<svg>', '<a href=" data:text/html,x">', '<p onclick=x>']) {
    t.not(problems(bad).length, 0, `the checker flags ${bad}`)
  }
  t.same(problems('<p><b>x</b> <a href="https://example.com">y</a></p>'), [], 'and passes benign markup')
})

t.test('text-only mode: every vector comes out as inert text', async (t) => {
  for (const v of vectors) {
    const out = sanitizeOutput(v.input, { pii: false, secrets: false })
    t.same(problems(out), [], `${v.name}: no active content`)
    t.notOk(TAG_START.test(out), `${v.name}: no '<' that starts a tag (${JSON.stringify(out.slice(0, 80))})`)
    if (v.text !== undefined) t.equal(out, v.text, `${v.name}: the text is kept`)
    // Sanitizing twice stays inert. (It is not always a no-op: each pass decodes one level of
    // character references, so '&amp;lt;b&amp;gt;' gives '&lt;b&gt;' and then '&lt;b>'.)
    const again = sanitizeOutput(out, { pii: false, secrets: false })
    t.ok(problems(again).length === 0 && !TAG_START.test(again), `${v.name}: sanitizing again stays inert`)
  }
})

t.test('allowlist mode: only allowlisted, inert markup survives', async (t) => {
  for (const v of vectors) {
    const out = sanitizeOutput(v.input, { html: ALLOWLIST, pii: false, secrets: false })
    t.same(problems(out, ALLOWLIST.allowedTags), [], `${v.name}: ${JSON.stringify(out.slice(0, 100))}`)
  }
})

t.test('the defaults (html + secrets + PII) are as safe', async (t) => {
  for (const v of vectors) {
    t.same(problems(sanitizeOutput(v.input)), [], v.name)
    t.same(problems(sanitizeOutput(v.input, { html: ALLOWLIST }), ALLOWLIST.allowedTags), [], `${v.name} (allowlist)`)
  }
})

t.test('allowlisted markup is kept, and text escaped as HTML', async (t) => {
  const out = sanitizeOutput('<p>Hi <b>there</b> <a href="https://example.com/x" onclick="x()">link</a> <img src="https://example.com/a.png" onerror="x()"> 3 &lt; 5</p>', { html: ALLOWLIST, pii: false })
  t.equal(out, '<p>Hi <b>there</b> <a href="https://example.com/x">link</a> <img src="https://example.com/a.png" /> 3 &lt; 5</p>')
  t.equal(sanitizeOutput('<a href="mailto:x@example.com">mail</a>', { html: ALLOWLIST, pii: false }), '<a href="mailto:x@example.com">mail</a>')
  t.equal(sanitizeOutput('<a href="ftp://example.com/">f</a>', { html: ALLOWLIST }), '<a>f</a>', 'a scheme outside allowedSchemes is dropped')
})

t.test('a mask never opens an attribute or a tag (masking runs after HTML)', async (t) => {
  // A key block that starts inside an attribute and ends in the text: masking it must not leave the
  // quote open so that the text's own quote and attributes land in the tag.
  const input = '<a href="-----BEGIN PRIVATE KEY-----">x</a>-----END PRIVATE KEY-----" onmouseover="alert(1)'
  for (const html of [true, ALLOWLIST]) {
    const out = sanitizeOutput(input, { html })
    t.same(problems(out, html === true ? undefined : ALLOWLIST.allowedTags), [], JSON.stringify(out))
  }
})

const FRAGMENTS = [
  '<', '>', '/', '"', "'", '=', ' ', '\t', '\n', '\u0000', '&', '#', ';', 'x', '1',
  'script', 'img', 'svg', 'math', 'style', 'iframe', 'a', 'p', 'b', 'noscript', 'template', 'textarea', 'title',
  'src', 'href', 'onerror', 'onload', 'style', 'xlink:href', 'formaction',
  'javascript:', 'java&#x09;script:', '&#106;avascript:', 'JaVaScRiPt&colon;', 'data:text/html,', 'vbscript:',
  '<!--', '-->', '<![CDATA[', ']]>', '</', '/>', 'alert(1)', '&lt;', '&gt;', '&amp;', '&#60;', '&#x3C;'
]

t.test('property: random markup built from hostile fragments is always inert', async (t) => {
  const markup = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 40 }).map((parts) => parts.join(''))
  fc.assert(fc.property(markup, (input) => {
    const text = sanitizeOutput(input, { pii: false, secrets: false })
    const html = sanitizeOutput(input, { html: ALLOWLIST, pii: false, secrets: false })
    return problems(text).length === 0 && !TAG_START.test(text) && problems(html, ALLOWLIST.allowedTags).length === 0
  }), { numRuns: 400, seed: 7 })
  t.pass('400 random inputs')
})
