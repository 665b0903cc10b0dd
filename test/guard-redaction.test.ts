// Redaction by normalised matching (issue 16): cards, IBANs, SSNs, phones, emails and keys written
// with dots, thin or no-break spaces, entities, dashes of every kind, fullwidth or other digits,
// zero-width characters; keys from the gitleaks / secretlint prefix lists and keyword assignments;
// Markdown links with script or data URLs in text-only mode. Every attack of our corpus must lose
// its value, and every look-alike must come out unchanged. Rates are printed by class.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { neutralizeMarkdownLinks, sanitizeOutput } from '../lib/guard/output.js'
import { normalizedView } from '../lib/guard/redact.js'

interface Attack { class: string, text: string, value: string | null }
const { attacks } = JSON.parse(readFileSync(new URL('./fixtures/security/redaction-attacks.json', import.meta.url), 'utf8')) as { attacks: Attack[] }
const { lookalikes } = JSON.parse(readFileSync(new URL('./fixtures/security/redaction-lookalikes.json', import.meta.url), 'utf8')) as { lookalikes: string[] }

/** Letters and digits only, of the normalised view: what a reader could still recover. */
const recoverable = (text: string): string => normalizedView(text).text.replace(/[^A-Za-z0-9]/g, '').toLowerCase()
/** A link target with a script or data scheme, however it is spelled. */
const scriptLink = (text: string): boolean => /\]\(\s*<?(?:javascript|vbscript|data):|\]:\s*(?:javascript|vbscript|data):/i.test(
  normalizedView(text).text.replace(/\s/g, '').replace(/\p{Cc}/gu, '').replace(/&colon;?/gi, ':').replace(/&#0*115;?/g, 's'))

t.test('the corpora are big enough', async (t) => {
  t.ok(attacks.length >= 100, `${attacks.length} attacks`)
  t.ok(lookalikes.length >= 50, `${lookalikes.length} look-alikes`)
})

t.test('every attack loses its value', async (t) => {
  const tally = new Map<string, [number, number]>()
  for (const a of attacks) {
    const out = sanitizeOutput(a.text)
    const leaked = a.value === null ? scriptLink(out) : recoverable(out).includes(a.value.replace(/[^A-Za-z0-9]/g, '').toLowerCase())
    const [done, total] = tally.get(a.class) ?? [0, 0]
    tally.set(a.class, [done + (leaked ? 0 : 1), total + 1])
    t.notOk(leaked, `${a.class}: ${JSON.stringify(a.text)} -> ${JSON.stringify(out)}`)
  }
  for (const [cls, [done, total]] of [...tally].sort()) t.comment(`attacks ${cls}: ${done}/${total} redacted`)
})

t.test('look-alikes survive unchanged', async (t) => {
  let kept = 0
  for (const text of lookalikes) {
    const out = sanitizeOutput(text)
    if (out === text) kept++
    t.equal(out, text, JSON.stringify(text))
  }
  t.comment(`look-alikes: ${kept}/${lookalikes.length} unchanged`)
})

t.test('masks land on the original text, by offset', async (t) => {
  t.equal(sanitizeOutput('pay 4111\u2009-\u20091111 - 1111 - 1111 now'), 'pay [CARD] now', 'the whole formatted number, nothing more')
  t.equal(sanitizeOutput('key AKIA\u200bIOSFODNN7EXAMPLE!'), 'key [SECRET]!', 'zero-width characters inside go with it')
  t.equal(sanitizeOutput('SSN 123\u201145\u20116789.'), 'SSN [SSN].')
  t.equal(sanitizeOutput('x'.repeat(10) + ' 415\u2013555\u20130100 ' + 'y'.repeat(10)), 'x'.repeat(10) + ' [PHONE] ' + 'y'.repeat(10))
  const view = normalizedView('a&nbsp;\uff11\u200b2\u2013b')
  t.equal(view.text, 'a 12-b')
  t.same([Array.from(view.start), Array.from(view.end)], [[0, 1, 7, 9, 10, 11], [1, 7, 8, 10, 11, 12]])
  t.equal(normalizedView('plain ascii 1234').identity, true)
})

t.test('Markdown script links: only the target goes, in text-only mode', async (t) => {
  t.equal(sanitizeOutput('see [click](javascript:alert(document.cookie)) here'), 'see [click](#) here')
  t.equal(sanitizeOutput('![a](data:text/html;base64,AAAA)'), '![a](#)')
  t.equal(sanitizeOutput('[ref]: vbscript:msgbox(1)\nnext line'), '[ref]: #\nnext line')
  t.equal(sanitizeOutput('[ok](https://example.com/a_(b)) and [bad](javascript:x)'), '[ok](https://example.com/a_(b)) and [bad](#)')
  t.same(neutralizeMarkdownLinks('[x](java&#115;cript:1)'), { text: '[x](#)', count: 1 })
  t.equal(sanitizeOutput('[x](javascript:alert(1))', { html: false }), '[x](javascript:alert(1))', 'only text-only mode rewrites Markdown')
})
