// In-process benchmark of the two guards: the input check on prompts of growing length and output
// sanitization on typical answers, each next to JSON.stringify of the same value (what every
// response pays anyway), side by side in one run. `npm run bench:guards`; `-- --quick` for a short run.
import { performance } from 'node:perf_hooks'
import { checkInputs, DEFAULT_INPUT_RULES } from '../lib/guard/input.js'
import { sanitizeOutput } from '../lib/guard/output.js'

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
