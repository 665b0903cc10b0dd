import t from 'tap'
import { readFileSync } from 'node:fs'
import { ibanChecksumOk, isIPv4, isIPv6, isSsn, luhn, maskPii, PII_KINDS, PII_MASKS } from '../lib/guard/pii.js'
import { sanitizeOutput } from '../lib/guard/output.js'
import type { PiiKind } from '../types/sanitize.js'

interface Corpus {
  positives: Array<{ kind: PiiKind, input: string, expected: string }>
  negatives: Array<{ name: string, input: string }>
}

const corpus = JSON.parse(readFileSync(new URL('./fixtures/security/pii-corpus.json', import.meta.url), 'utf8')) as Corpus

t.test('the corpus covers every kind, with enough positives and negatives', async (t) => {
  t.ok(corpus.positives.length >= 40, `${corpus.positives.length} positives`)
  t.ok(corpus.negatives.length >= 25, `${corpus.negatives.length} negatives`)
  for (const kind of PII_KINDS) {
    t.ok(corpus.positives.filter((p) => p.kind === kind).length >= 3, `at least 3 ${kind} positives`)
  }
})

t.test('positives: each is masked with its token, and nothing else changes', async (t) => {
  for (const p of corpus.positives) {
    const r = maskPii(p.input)
    t.equal(r.text, p.expected, `${p.kind}: ${p.input}`)
    t.ok((r.counts[p.kind] ?? 0) >= 1, `${p.kind} counted for ${p.input}`)
    t.ok(r.text.includes(PII_MASKS[p.kind]), `${PII_MASKS[p.kind]} in the output`)
    // The whole output guard agrees (no markup here, no secret): same text.
    t.equal(sanitizeOutput(p.input), p.expected, `sanitizeOutput: ${p.input}`)
  }
})

t.test('negatives: look-alikes survive unchanged, through maskPii and the whole guard', async (t) => {
  for (const n of corpus.negatives) {
    const r = maskPii(n.input)
    t.equal(r.text, n.input, n.name)
    t.same(r.counts, {}, `${n.name}: nothing counted`)
    t.equal(sanitizeOutput(n.input), n.input, `${n.name}: sanitizeOutput leaves it`)
  }
})

t.test('kinds: only the kinds asked for are masked', async (t) => {
  const text = 'mail a.b@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111, ip 10.1.2.3, ssn 123-45-6789, GB82 WEST 1234 5698 7654 32'
  t.equal(maskPii(text, ['email']).text, 'mail [EMAIL], call +44 20 7946 0958, card 4111 1111 1111 1111, ip 10.1.2.3, ssn 123-45-6789, GB82 WEST 1234 5698 7654 32')
  t.equal(maskPii(text, ['card', 'ip']).text, 'mail a.b@example.com, call +44 20 7946 0958, card [CARD], ip [IP], ssn 123-45-6789, GB82 WEST 1234 5698 7654 32')
  t.equal(maskPii(text, []).text, text)
  const all = maskPii(text)
  t.equal(all.text, 'mail [EMAIL], call [PHONE], card [CARD], ip [IP], ssn [SSN], [IBAN]')
  t.same(all.counts, { email: 1, phone: 1, card: 1, ip: 1, ssn: 1, iban: 1 })
  t.same(maskPii('a@example.com b@example.org 10.0.0.1 10.0.0.2 ::ffff:10.0.0.3').counts, { email: 2, ip: 3 }, 'counts are per replacement')
})

t.test('luhn', async (t) => {
  for (const ok of ['4111111111111111', '79927398713', '378282246310005', '6011111111111117', '0000000000000000', '18']) t.ok(luhn(ok), ok)
  for (const bad of ['4111111111111112', '79927398710', '1234567812345678', '', '1', 'abcd', '4111 1111 1111 1111', '4111-1111-1111-1111']) t.notOk(luhn(bad), JSON.stringify(bad))
})

t.test('ibanChecksumOk: real example IBANs from many countries', async (t) => {
  const real = [
    'GB82WEST12345698765432', 'GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000', 'DE89 3704 0044 0532 0130 00',
    'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'ES9121000418450200051332', 'CH9300762011623852957',
    'BE68539007547034', 'IT60X0542811101000000123456', 'NO9386011117947', 'PL61109010140000071219812874',
    'AT611904300234573201', 'DK5000400440116243', 'FI2112345600000785', 'IE29AIBK93115212345678',
    'PT50000201231234567890154', 'SE4550000000058398257466', 'SA0380000000608010167519', 'BR1800360305000010009795493C1',
    'LU280019400644750000', 'MT84MALT011000012345MTLCAST001S', 'GR1601101250000000012300695', 'HR1210010051863000160',
    'TR330006100519786457841326', 'IL620108000000099999999', 'AE070331234567890123456'
  ]
  for (const iban of real) t.ok(ibanChecksumOk(iban), iban)
  const bad = {
    'wrong check digits': 'GB83WEST12345698765432',
    'one digit changed': 'DE89370400440532013001',
    'two digits swapped': 'GB82WEST12345698765423',
    'too short for GB': 'GB82WEST1234569876543',
    'too long for DE': 'DE893704004405320130000',
    'unknown country': 'XX82WEST12345698765432',
    'lower case': 'gb82west12345698765432',
    'not an IBAN': 'hello world',
    empty: ''
  }
  for (const [why, iban] of Object.entries(bad)) t.notOk(ibanChecksumOk(iban), `${why}: ${iban}`)
})

t.test('isIPv4: octets 0-255, exactly four, no leading zeros', async (t) => {
  for (const ok of ['0.0.0.0', '1.2.3.4', '10.0.0.1', '192.168.1.255', '255.255.255.255']) t.ok(isIPv4(ok), ok)
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', '', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1.2.3.1000']) t.notOk(isIPv4(bad), JSON.stringify(bad))
})

t.test('isIPv6: parsed, with one :: at most and an optional IPv4 tail', async (t) => {
  const ok = [
    '::', '::1', '1::', '2001:db8::1', 'fe80::1ff:fe23:4567:890a', '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '::ffff:192.0.2.1', '1:2:3:4:5:6:1.2.3.4', 'FE80::ABCD'
  ]
  for (const a of ok) t.ok(isIPv6(a), a)
  const bad = [
    '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12:30', '12:30:45', '::ffff:256.0.2.1', '1:2:3:4:5:6:7:1.2.3.4',
    'g::1', '12345::1', '::1.2.3.4:1', '1.2.3.4::', 'fe80::1%eth0', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '', ':', '1:2:3:4:5:6:7:8::'
  ]
  for (const a of bad) t.notOk(isIPv6(a), JSON.stringify(a))
})

t.test('isSsn: the allocation rules', async (t) => {
  for (const ok of ['123-45-6789', '078-05-1121', '899-99-9999', '001-01-0001']) t.ok(isSsn(ok), ok)
  for (const bad of ['000-12-3456', '666-12-3456', '900-12-3456', '999-12-3456', '123-00-4567', '123-45-0000', '123456789', '123 45 6789', '12-345-6789']) t.notOk(isSsn(bad), bad)
})

t.test('IP judgement: what a reader takes for a version is not masked', async (t) => {
  const cases: Array<[string, string]> = [
    ['version 1.2.3.4', 'version 1.2.3.4'],
    ['Version: 1.2.3.4', 'Version: 1.2.3.4'],
    ['v1.2.3.4', 'v1.2.3.4'],
    ['ver. 10.0.0.1', 'ver. 10.0.0.1'],
    ['release 2.0.0.1 and 2.0.0.2', 'release 2.0.0.1 and 2.0.0.2'],
    ['Mozilla/5.0 Chrome/120.0.0.0', 'Mozilla/5.0 Chrome/120.0.0.0'],
    ['1.2.3.4-rc1', '1.2.3.4-rc1'],
    ['host 1.2.3.4', 'host [IP]'],
    ['the server (10.0.0.1) is up', 'the server ([IP]) is up'],
    ['http://192.168.0.1/admin', 'http://[IP]/admin'],
    ['range 10.0.0.1-10.0.0.9', 'range [IP]-[IP]'],
    ['10.0.0.0/8', '[IP]/8'],
    ['version 1.2.3.4, host 10.0.0.1', 'version 1.2.3.4, host [IP]']
  ]
  for (const [input, expected] of cases) t.equal(maskPii(input, ['ip']).text, expected, input)
})

t.test('phones: conservative national patterns', async (t) => {
  const kept = ['2024-03-15', '555-1234', '12/03/2024', '1234 5678', '0800 12', 'page 020', '$555-123-4567', 'ORD-555-123-4567', '555-123-45678', '#555-123-4567', '555-123-4567-89']
  for (const k of kept) t.equal(maskPii(k, ['phone']).text, k, k)
  t.equal(maskPii('call 555-123-4567 or (555) 987-6543', ['phone']).text, 'call [PHONE] or [PHONE]')
  t.equal(maskPii('(020 7946 0958)', ['phone']).text, '([PHONE])')
})

t.test('emails: addresses, not asset names or package specs', async (t) => {
  t.equal(maskPii('first.last@sub.example.com', ['email']).text, '[EMAIL]')
  t.equal(maskPii('...x@example.com', ['email']).text, '...[EMAIL]')
  for (const k of ['logo@2x.png', 'a@b', 'user@localhost', 'pkg@1.2.3', '@handle', 'a..b@example.com', 'a.@example.com', 'x@-bad.com']) {
    t.equal(maskPii(k, ['email']).text, k, k)
  }
})

t.test('cards: grouping, separators and neighbours', async (t) => {
  t.equal(maskPii('4111111111111111 and 5555555555554444', ['card']).text, '[CARD] and [CARD]', 'two cards separated by a space')
  t.equal(maskPii('4111-1111-1111-1111.', ['card']).text, '[CARD].')
  for (const k of ['4111 1111-1111 1111', 'x4111111111111111', '4111111111111111x', '4111111111111111.5', '8111111111111116', '9111111111111115']) {
    t.equal(maskPii(k, ['card']).text, k, k)
  }
})

// The time of each detector on 100 KB of these shapes: the security lane (every regex of lib/,
// test/security-redos.test.ts) and `npm run bench:guards`. Here: no detector fires on them, at two sizes.
t.test('adversarial repetitions mask nothing, at 10 KB and 20 KB', async (t) => {
  const units = ['1', '1 ', '1-', '1.', ':', 'a:', '+1', '@', 'a@', 'a.', 'GB82', 'GB82 ', '(0', '0 ', 'f:', '123-45-', 'a@a.']
  for (const u of units) {
    for (const size of [10_000, 20_000]) {
      const s = u.repeat(Math.ceil(size / u.length)).slice(0, size)
      for (const text of [s, s + '!']) {
        const r = maskPii(text)
        t.ok(r.text === text, `${JSON.stringify(u)} x ${size}: unchanged`)
        t.same(r.counts, {}, `${JSON.stringify(u)} x ${size}: nothing counted`)
      }
    }
  }
})
