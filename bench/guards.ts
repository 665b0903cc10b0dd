// In-process benchmark of the two guards: the input check on prompts of growing length and output
// sanitization on typical answers, each next to JSON.stringify of the same value (what every
// response pays anyway), side by side in one run; then hostile shapes at n and 2n. `npm run
// bench:guards`; `-- --quick` for a short run.
import { performance } from 'node:perf_hooks'
import { checkClaim, checkInputs, DEFAULT_INPUT_RULES } from '../lib/guard/input.js'
import { findInjection } from '../lib/guard/injection.js'
import { resolveClaimLimits } from '../lib/guard/limits.js'
import { sanitizeOutput } from '../lib/guard/output.js'
import { maskPii } from '../lib/guard/pii.js'

const quick = process.argv.includes('--quick')
const budgetMs = quick ? 300 : 2_000

/** Runs `fn` for about `budgetMs` after a warm-up and returns the mean time of one call, in µs. */
function time (fn: () => unknown): number {
  for (let i = 0; i < 50; i++) fn()
  let calls = 0
  const started = performance.now()
  while (performance.now() - started < budgetMs) {
    for (let i = 0; i < 20; i++) fn()
    calls += 20
  }
  return (performance.now() - started) * 1000 / calls
}

const sentence = 'Could you explain how compound interest works on a loan of 2,500 over three years? '
const prompt = (chars: number): string => sentence.repeat(Math.ceil(chars / sentence.length)).slice(0, chars)

const plainAnswer = {
  answer: 'Borrowing 2500 at 4% for 3 years, you repay 2812.16 in total. Interest is added once a year. '.repeat(12),
  totalRepaid: '2812.16',
  calculation: '2500 * (1 + 4/100)^3 = 2812.16',
  items: Array.from({ length: 10 }, (_, i) => ({ year: i + 1, note: `Year ${i + 1}: balance grows by 4% of the previous balance.` }))
}
const riskyAnswer = {
  ...plainAnswer,
  answer: '<p>Questions? Write to billing@example.com or call +1 415 555 0100.</p><script>track()</script> ' + plainAnswer.answer,
  card: 'The card on file is 4111 1111 1111 1111; key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789.'
}
const longText = { answer: plainAnswer.answer.repeat(90) }
// A typical answer of 2 KB and a long one of 100 KB: prose with numbers, a formatted amount, a date
// range and one card written with thin spaces (the normalised view is built for such text).
const paragraph = 'Your balance on 2024\u201301\u201315 was 1\u202f234,56 EUR; the statement covers 1 \u2013 31 January. ' +
  'Payments of 120.00 and 75.50 were booked; reference 2024-0042. '
const answerOf = (bytes: number): { answer: string } => ({ answer: paragraph.repeat(Math.ceil(bytes / paragraph.length)).slice(0, bytes - 40) + ' Card 4111\u20091111\u20091111\u20091111.' })
const answer2k = answerOf(2_048)
const answer100k = answerOf(102_400)

const rows: Array<[string, () => unknown, () => unknown]> = [
  ['input: 200-character prompt', () => checkInputs({ prompt: prompt(200) }, DEFAULT_INPUT_RULES), () => JSON.stringify({ prompt: prompt(200) })],
  ['input: 2,000-character prompt', () => checkInputs({ prompt: prompt(2_000) }, DEFAULT_INPUT_RULES), () => JSON.stringify({ prompt: prompt(2_000) })],
  ['input: 10,000-character prompt (the limit)', () => checkInputs({ prompt: prompt(10_000) }, DEFAULT_INPUT_RULES), () => JSON.stringify({ prompt: prompt(10_000) })],
  [`output: ${JSON.stringify(plainAnswer).length} B answer, nothing to mask`, () => sanitizeOutput(plainAnswer), () => JSON.stringify(plainAnswer)],
  [`output: ${JSON.stringify(riskyAnswer).length} B answer, markup + PII + key`, () => sanitizeOutput(riskyAnswer), () => JSON.stringify(riskyAnswer)],
  [`output: ${JSON.stringify(longText).length} B text, nothing to mask`, () => sanitizeOutput(longText), () => JSON.stringify(longText)],
  ['output: 2 KB answer, Unicode spacing + a card', () => sanitizeOutput(answer2k), () => JSON.stringify(answer2k)],
  ['output: 100 KB answer, Unicode spacing + a card', () => sanitizeOutput(answer100k), () => JSON.stringify(answer100k)]
]

console.log(`node ${process.version}, ~${budgetMs} ms per measurement\n`)
console.log(`${'case'.padEnd(44)} ${'guard µs'.padStart(10)} ${'stringify µs'.padStart(13)} ${'ratio'.padStart(7)}`)
for (const [label, guard, stringify] of rows) {
  const g = time(guard)
  const s = time(stringify)
  console.log(`${label.padEnd(44)} ${g.toFixed(1).padStart(10)} ${s.toFixed(1).padStart(13)} ${(g / s).toFixed(1).padStart(6)}x`)
}

// Hostile shapes the unit tests check for verdicts only (test/guard-*.test.ts): each at n and 2n,
// side by side, the median of a few calls. Linear work shows a ratio near 2; a quadratic one near 4.
const fill = (unit: string, size: number): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
const INJECTION_UNITS = ['a', ' ', 'a ', 'ignore ', 'ignore all ', 'you are now ', '<|', '< | ', '[inst', '\n### system', '\nsystem: ',
  'send the password ', 'http://', 'a@', 'aA0', 'aA0/', '![a](//x?', 'decode base64 and ', 'i g n o r e ', '1gn0r3 ', 'й',
  '\u200b', '😀\u200d', 'rules of ', 'dan ']
const PII_UNITS = ['1', '1 ', '1-', '1.', ':', 'a:', '+1', '@', 'a@', 'a.', 'GB82', 'GB82 ', '(0', '0 ', 'f:', '123-45-', 'a@a.']
const MIXED = 'Hello <b>world</b> alice@example.com 4111 1111 1111 1111 +44 20 7946 0958 10.0.0.1 AKIAIOSFODNN7EXAMPLE. '

/** Median ms of `runs` calls of fn(). */
function median (fn: () => unknown, runs = quick ? 3 : 7): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    fn()
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] as number
}

const hostile: Array<[string, (scale: number) => () => unknown]> = [
  ['injection: 25 repeated shapes, 50 KB', (k) => { const texts = INJECTION_UNITS.flatMap((u) => [fill(u, 50_000 * k), fill(u, 50_000 * k) + '!']); return () => texts.forEach((s) => findInjection(s)) }],
  ['pii: 17 repeated shapes, 50 KB', (k) => { const texts = PII_UNITS.flatMap((u) => [fill(u, 50_000 * k), fill(u, 50_000 * k) + '!']); return () => texts.forEach((s) => maskPii(s)) }],
  ['output: mixed text, 0.5 MB', (k) => { const s = MIXED.repeat(5_000 * k); return () => sanitizeOutput(s) }],
  ['output: unclosed tags, 100,000', (k) => { const s = '<b><i>'.repeat(50_000 * k) + 'text'; return () => sanitizeOutput(s, { pii: false, secrets: false }) }],
  ['output: rows with an email, 25,000', (k) => { const rows = Array.from({ length: 25_000 * k }, (_, i) => ({ id: i, text: `row ${i} mail u${i}@example.com` })); return () => sanitizeOutput(rows) }],
  ['input: prompt refused by length, 25 MB', (k) => { const s = 'a'.repeat(25_000_000 * k); return () => checkInputs({ prompt: s }, DEFAULT_INPUT_RULES) }],
  ['claim: array refused by item count, 5*10^6', (k) => { const data = new Array<number>(5_000_000 * k).fill(0); return () => checkClaim({ type: 'stats', statistic: 'mean', data, expected: 0 }, new Set(['stats']), resolveClaimLimits(undefined)) }]
]

console.log(`\nhostile shapes at n and 2n (median of ${quick ? 3 : 7} calls)\n`)
console.log(`${'case (n)'.padEnd(44)} ${'n ms'.padStart(10)} ${'2n ms'.padStart(10)} ${'2n/n'.padStart(7)}`)
for (const [label, make] of hostile) {
  const one = median(make(1))
  const two = median(make(2))
  console.log(`${label.padEnd(44)} ${one.toFixed(2).padStart(10)} ${two.toFixed(2).padStart(10)} ${(two / one).toFixed(2).padStart(7)}`)
}
