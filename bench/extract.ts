// extractClaims on LLM answers: a realistic 2 KB answer (prose with figures, a Markdown list, a
// python and an sql block), the same kind of text at 100 KB, and hostile 100 KB texts (digit runs,
// nested parentheses, '=' signs, unclosed fences). Median and p99 ms per call, claims found.
// `npm run bench:extract` (`-- --quick` for fewer rounds).
import { performance } from 'node:perf_hooks'
import { extractClaims, type ExtractOptions } from '../lib/index.js'

const quick = process.argv.includes('--quick')

const SECTION = [
  'Sure! Here is the breakdown of your loan and the invoice you asked about.',
  '',
  '- Principal: $2,500 at 4.5% a year, compounded annually for 10 years:',
  '  2500 * (1 + 4.5/100)^10 = 3882.42, so you owe **$3,882.42** at the end.',
  '- Monthly instalments: $1,200 / 12 = $100.00 per month, with no fee.',
  '- Tax: 8.25% of $74.97 = $6.19, and the total is $74.97 + $6.19 = $81.16.',
  '',
  'The effective yield is (1 + 0.05/12)^12 − 1 = 5.12% (about 5.1% if you round to one place).',
  'Version 2.0 of the calculator shipped on 2024-01-05; call 555-123-4567 for help.',
  '',
  '```python',
  'def monthly(total, months):',
  '    return round(total / months, 2)',
  '```',
  '',
  '```sql',
  'SELECT name, SUM(total) AS spent FROM orders JOIN customers ON customers.id = orders.customer_id GROUP BY name;',
  '```',
  '',
  'Let me know if you want the amortization table as well. The mean of 4, 8 and 15 is (4 + 8 + 15) / 3 = 9.',
  ''
].join('\n')

function repeatTo (unit: string, size: number): string {
  let out = ''
  while (out.length + unit.length <= size) out += unit
  return out
}

const N = 100_000
const inputs: Array<[string, string, ExtractOptions?]> = [
  ['answer 2 KB', repeatTo(SECTION, 2048)],
  ['answer 100 KB', repeatTo(SECTION, N)],
  ['answer 100 KB, all read', repeatTo(SECTION, N), { maxClaims: 10_000 }],
  ['digits 100 KB', '9'.repeat(N)],
  ['parentheses 100 KB', '('.repeat(N / 2) + '1' + ')'.repeat(N / 2 - 1)],
  ['= signs 100 KB', '1' + '='.repeat(N - 1)],
  ['1+1=2 x 100 KB', '1 + 1 = 2 '.repeat(N / 10)],
  ['unclosed fences 100 KB', '```python\n'.repeat(N / 10)]
]

console.log(`node ${process.version}; extractClaims, default options (maxClaims 100) unless said\n`)
console.log('input                     chars   claims   median ms   p99 ms')
for (const [name, text, options] of inputs) {
  const rounds = quick ? 20 : (text.length > 10_000 ? 100 : 2000)
  for (let i = 0; i < Math.min(rounds, 20); i++) extractClaims(text, options) // warm-up
  const times: number[] = []
  let claims = 0
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now()
    claims = extractClaims(text, options).claims.length
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const at = (p: number): string => (times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0).toFixed(3)
  console.log(`${name.padEnd(24)} ${String(text.length).padStart(7)}   ${String(claims).padStart(6)}   ${at(0.5).padStart(9)}   ${at(0.99).padStart(6)}`)
}
