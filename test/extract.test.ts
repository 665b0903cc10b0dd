import t from 'tap'
import fc from 'fast-check'
import {
  extractClaims, extractFromLine, createClaimScanner, resolveExtractOptions, openingFence, isClosingFence
} from '../lib/index.js'
import type { ExtractResult, MathExpressionClaim } from '../lib/index.js'

function maths (r: ExtractResult): Array<{ expression: string, roundedTo?: number }> {
  return r.claims.map((c) => {
    const m = c.claim as MathExpressionClaim
    return m.roundedTo === undefined ? { expression: m.expression } : { expression: m.expression, roundedTo: m.roundedTo }
  })
}

function totalSkipped (r: ExtractResult): number {
  return Object.values(r.skipped).reduce((a, b) => a + b, 0)
}

t.test('arithmetic as LLMs write it becomes math claims', async (t) => {
  const cases: Array<[string, string, number?]> = [
    ['Your monthly payment is 1,200 / 12 = 100.', '1200 / 12 = 100'],
    ['1,000 × 1.05² = 1,102.50', '1000 * 1.05^2 = 1102.50', 2],
    ['2500 * (1 + 4.5/100)^10 = 3882.42', '2500 * (1 + 4.5 / 100) ^ 10 = 3882.42', 2],
    ['$1,200 ÷ 12 = $100', '1200 / 12 = 100'],
    ['USD 1,200 · 2 = USD 2,400', '1200 * 2 = 2400'],
    ['100 € × 3 = 300 €', '100 * 3 = 300'],
    ['£40 − £15 = £25', '40 - 15 = 25'],
    ['¥500 + ¥250 equals ¥750', '500 + 250 = 750'],
    ['Tax: 8% of $250 = $20.', '8% of 250 = 20'],
    ['2 + 2 is 4', '2 + 2 = 4'],
    ['12 divided by 4 is equal to 3', '12 / 4 = 3'],
    ['3 x 4 = 12', '3 * 4 = 12'],
    ['2 + 2 = 4 = 2 × 2', '2 + 2 = 4 = 2 * 2'],
    ['2+2==4', '2 + 2 = 4'],
    ['1/3 = 33.3%', '(1 / 3) * 100 = 33.3', 1],
    ['50 / 200 = 25%', '(50 / 200) * 100 = 25', 0],
    ['$50 × (1 - 20%) = $40', '50 * (1 - 20%) = 40'],
    ['round(2.675, 2) = 2.68', 'round(2.675, 2) = 2.68', 2],
    ['max(3, 5) = 5', 'max(3, 5) = 5'],
    ['5! = 120', '5! = 120'],
    ['√16 + π = 7.14', 'sqrt(16) + pi = 7.14', 2],
    ['(1 + 0.05)⁻¹ = 0.95', '(1 + 0.05)^(-1) = 0.95', 2],
    ['1200-200=1000', '1200 - 200 = 1000'],
    ['**Total:** $1,200 / 12 = **$100**', '1200 / 12 = 100'],
    ['- 5 + 5 = 10', '5 + 5 = 10'],
    ['3. 6 × 7 = 42', '6 * 7 = 42'],
    ['> 9 - 4 = 5', '9 - 4 = 5'],
    ['Step 1 = 5 + 3 = 8', '5 + 3 = 8'],
    ['The mean is (2 + 4 + 6) / 3 = 4.', '(2 + 4 + 6) / 3 = 4'],
    ['-3 + 5 = 2', '-3 + 5 = 2']
  ]
  for (const [text, expression, roundedTo] of cases) {
    const r = extractClaims(text)
    t.same(maths(r), [roundedTo === undefined ? { expression } : { expression, roundedTo }], text)
  }
})

t.test('a refutation covers its own sentence only', async (t) => {
  const r = extractClaims('2 + 2 = 5 is wrong. The right answer is 2 + 2 = 4.')
  t.same(maths(r), [{ expression: '2 + 2 = 4' }])
  t.equal(r.skipped.not_asserted, 1)
  // a contrast with another figure, and statistics words, are not refutations
  t.same(maths(extractClaims('6 ÷ 2 × 3 = 9, not 1.')), [{ expression: '6 / 2 * 3 = 9' }])
  t.same(maths(extractClaims('2 + 2 = 4 (not 5)')), [{ expression: '2 + 2 = 4' }])
  t.same(maths(extractClaims('False positive rate: 5 / 100 = 5%.')), [{ expression: '(5 / 100) * 100 = 5', roundedTo: 0 }])
  t.same(maths(extractClaims('Margin of error: 1.96 × 0.025 = 0.049.')), [{ expression: '1.96 * 0.025 = 0.049', roundedTo: 3 }])
})

t.test('several statements on one line, each with its own span', async (t) => {
  const text = '1. 5 + 5 = 10; 2 + 2 is 4 and the total is $250 + $20 = $270, so 3 × 3 = 9.'
  const r = extractClaims(text)
  t.same(r.claims.map((c) => text.slice(c.source.start, c.source.end)), ['5 + 5 = 10', '2 + 2 is 4', '$250 + $20 = $270', '3 × 3 = 9'])
  t.same(maths(r).map((m) => m.expression), ['5 + 5 = 10', '2 + 2 = 4', '250 + 20 = 270', '3 * 3 = 9'])
})

t.test('look-alikes and approximations yield nothing', async (t) => {
  const lookAlikes: Array<[string, string | null]> = [
    ['version 2.0 = the new API', 'not_arithmetic'],
    ['Meeting on 2024-01-05 at 10:30.', null],
    ['Released 2024-01-05 = 2024 - 01 - 05', 'ambiguous'],
    ['Call 555-123-4567 or +1 (555) 123-4567.', null],
    ['Read pages 10-20 = 11 pages.', 'ambiguous'],
    ['The final score was 3-2 = a win.', 'not_arithmetic'],
    ['The score was 3-2 = 1 goal margin', 'ambiguous'],
    ['Use a 16:9 = 1.78 aspect ratio.', 'not_arithmetic'],
    ['Step 1 = install the package.', 'not_arithmetic'],
    ['Server at 192.168.1.1 = 1 + 1?', 'not_arithmetic'],
    ['Upgrade to 2.0.1 = 2 + 0.1', 'not_arithmetic'],
    ['Open at 10:30 = 630 minutes', 'not_arithmetic'],
    ['1 USD = 0.92 EUR', 'not_arithmetic'],
    ['It costs about 1,200 / 12 = 100 a month.', 'approximate'],
    ['1,200 / 12 ≈ 100', 'approximate'],
    ['1,200 / 12 = ~100', 'approximate'],
    ['1,200 / 12 is roughly 100', 'approximate'],
    ['1/3 = 0.333...', 'approximate'],
    ['$50 - 20% = $40', 'ambiguous'],
    ['2(3 + 4) = 14', 'ambiguous'],
    ['2 + 2 = 4!', 'ambiguous'],
    ['3!! = 720', 'ambiguous'],
    ['If x - 5 + 3 = 8 then x = 10', 'not_arithmetic'],
    ['Solve 2x + 3 = 7.', 'not_arithmetic'],
    ['Use \\(2 \\times 3 = 6\\).', 'not_arithmetic'],
    ['Chapter 3 is great.', null],
    ['We shipped 3 releases in 2024.', null],
    ['Page #1 = 2 + 3', 'not_arithmetic'],
    ['A 5% raise = $2,500', 'not_arithmetic'],
    ['Europe writes 1.234,56 + 1 = 1.235,56', 'not_arithmetic'],
    ['1 200 + 300 = 1 500', 'not_arithmetic'],
    ['Profit margin: ($50 − $30) / $50 × 100 = 40%', 'ambiguous'],
    ['100 × 3 / 4 = 75%', 'ambiguous'],
    ['10 / 4 = 2 remainder 2', 'ambiguous'],
    ['(2 + 3)(4 + 5) = 45', 'ambiguous'],
    ['Net: $1,000 − 25% = $750', 'ambiguous'],
    ['2 + 2 = 5 is wrong.', 'not_asserted'],
    ['It is NOT true that 2 + 2 = 5.', 'not_asserted'],
    ['That isn’t right: 7 × 8 = 54.', 'not_asserted'],
    ['In JavaScript 0.1 + 0.2 = 0.30000000000000004.', 'not_asserted'],
    ['A common mistake: 1/2 + 1/3 = 2/5.', 'not_asserted'],
    ['The claim "2 + 2 = 5" is famous.', 'not_asserted'],
    ['In code, `5 ^ 2 = 7` is an XOR.', 'not_asserted'],
    ['`2 ** 10 = 1024`', 'not_asserted']
  ]
  for (const [text, reason] of lookAlikes) {
    const r = extractClaims(text)
    t.same(r.claims, [], text)
    if (reason === null) t.equal(totalSkipped(r), 0, `${text}: nothing to count`)
    else t.ok(r.skipped[reason as keyof ExtractResult['skipped']] >= 1, `${text}: counted as ${reason}`)
  }
})

t.test('fenced blocks', async (t) => {
  const text = [
    'Here is the code:',
    '```python',
    'def add(a, b):',
    '    return a + b',
    '```',
    '~~~~js title="x.js"',
    'console.log(1 + 1 = 3)',
    '~~~',
    '~~~~',
    '```sql',
    'SELECT id FROM users;',
    '```',
    '```bash',
    'rm -rf /',
    '```',
    '```',
    'x = 1 + 1 = 3',
    '```',
    '```json',
    '{"a": 1}',
    '```'
  ].join('\n')
  const r = extractClaims(text, { sql: { schema: 'CREATE TABLE users (id INTEGER);', dialect: 'sqlite' } })
  t.same(r.claims.map((c) => c.claim.type), ['code', 'code', 'sql'])
  t.same(r.claims[0]?.claim, { type: 'code', code: 'def add(a, b):\n    return a + b', language: 'python' })
  t.equal(text.slice(r.claims[0]?.source.start, r.claims[0]?.source.end), 'def add(a, b):\n    return a + b')
  t.same(r.claims[1]?.claim, { type: 'code', code: 'console.log(1 + 1 = 3)\n~~~', language: 'javascript' }, 'a shorter closing fence does not close')
  t.same(r.claims[2]?.claim, { type: 'sql', query: 'SELECT id FROM users;', schema: 'CREATE TABLE users (id INTEGER);', dialect: 'sqlite' })
  t.equal(r.skipped.fence_unknown_language, 2, 'bash and a bare fence')
  t.equal(r.skipped.fence_unchecked, 1, 'json without a jsonSchema')
  t.equal(r.skipped.not_arithmetic, 0, 'nothing inside a fence is read as prose')

  const json = extractClaims('```json\n{"a": 1}\n```\n```json\n{"a": 1,}\n```', { jsonSchema: { type: 'object' } })
  t.same(json.claims.map((c) => c.claim), [
    { type: 'schema', data: { a: 1 }, schema: { type: 'object' } },
    { type: 'schema', data: undefined, schema: { type: 'object' } }
  ], 'broken JSON is a claim (that the schema engine blocks), not a skip')

  const sqlNoSchema = extractClaims('```sql\nSELECT 1;\n```')
  t.same(sqlNoSchema.claims[0]?.claim, { type: 'sql', query: 'SELECT 1;' }, 'no DDL given: still an sql claim')
  const dialect = extractClaims('```postgres\nSELECT 1;\n```')
  t.same(dialect.claims[0]?.claim, { type: 'sql', query: 'SELECT 1;', dialect: 'postgresql' })

  const unclosed = extractClaims('Start:\n```ts\nconst a: number = 1\nlet b = a + 1')
  t.same(unclosed.claims[0]?.claim, { type: 'code', code: 'const a: number = 1\nlet b = a + 1', language: 'typescript' }, 'an unclosed block runs to the end')

  const indented = '1. Install:\n   ```tsx\n   const x = <b>{1}</b>\n   ```'
  const ind = extractClaims(indented)
  t.same(ind.claims[0]?.claim, { type: 'code', code: 'const x = <b>{1}</b>', language: 'typescript' })
  t.equal(indented.slice(ind.claims[0]?.source.start, ind.claims[0]?.source.end), '   const x = <b>{1}</b>', 'span: the raw content lines')

  const repl = extractClaims('```python\n>>> 1 + 1\n2\n```')
  t.same(repl.claims, [])
  t.equal(repl.skipped.fence_unchecked, 1, 'a REPL transcript is not a program')
  t.equal(extractClaims('```python\n\n```').skipped.fence_unchecked, 1, 'an empty block')
  t.same(extractClaims('```python print(1)```').claims, [], 'a one-line ``` span is inline code, not a fence')
})

t.test('fence recognisers', async (t) => {
  t.same(openingFence('```python'), { char: '`', length: 3, indent: 0, info: 'python' })
  t.same(openingFence('~~~~ {.SQL}'), { char: '~', length: 4, indent: 0, info: 'sql' })
  t.same(openingFence('  ````'), { char: '`', length: 4, indent: 2, info: '' })
  t.equal(openingFence('``python'), null)
  t.equal(openingFence('```py `x`'), null)
  t.equal(openingFence('          ```py'), null, 'indented past 8 spaces')
  const open = openingFence('````js')
  if (open === null) throw new Error('unreachable')
  t.ok(isClosingFence('````', open))
  t.ok(isClosingFence('  `````  ', open))
  t.notOk(isClosingFence('```', open), 'shorter')
  t.notOk(isClosingFence('~~~~', open), 'other character')
  t.notOk(isClosingFence('```` x', open), 'text after')
})

t.test('offsets slice back to the claim text and re-extract to the same claim', async (t) => {
  const text = 'Intro.\r\nThe loan: **$2,500 × 1.045¹⁰ = $3,882.42** per 🎉 year; 10 − 3 = 7.\n\n| a | 6 ÷ 3 = 2 |\n'
  const r = extractClaims(text)
  t.equal(r.claims.length, 3)
  for (const c of r.claims) {
    const slice = text.slice(c.source.start, c.source.end)
    t.same(extractClaims(slice).claims.map((x) => x.claim), [c.claim], slice)
  }
  fc.assert(fc.property(
    fc.array(fc.constantFrom('1,200', ' / ', '12', ' = ', '100', ' ', 'and', '×', '(', ')', '$', '%', ' of ', '\n', '.', 'is', '2.5', '≈', '-', '`'), { maxLength: 40 }),
    (parts) => {
      const s = parts.join('')
      const out = extractClaims(s)
      for (const c of out.claims) {
        if (c.source.start < 0 || c.source.end > s.length || c.source.start >= c.source.end) return false
        const again = extractClaims(s.slice(c.source.start, c.source.end)).claims
        if (again.length !== 1 || JSON.stringify(again[0]?.claim) !== JSON.stringify(c.claim)) return false
      }
      return true
    }
  ), { seed: 13, numRuns: 400 })
})

t.test('a stream read line by line finds what the whole text finds', async (t) => {
  const text = 'A: 2 + 2 = 4\n```py\nprint(1)\n```\nB: 3 × 3 = 9 and 1/4 = 25%\n```sql\nSELECT 1;'
  const whole = extractClaims(text)
  const scanner = createClaimScanner(resolveExtractOptions())
  const streamed = []
  let pos = 0
  for (const line of text.split('\n')) {
    streamed.push(...scanner.push(line, pos))
    pos += line.length + 1
  }
  streamed.push(...scanner.finish())
  t.same(streamed, whole.claims)
  t.equal(whole.claims.length, 5)
  const crlf = createClaimScanner(resolveExtractOptions())
  t.same(crlf.push('2 + 2 = 4\r', 10), [{ claim: { type: 'math', expression: '2 + 2 = 4' }, source: { start: 10, end: 19 } }], 'a CR left on a line is dropped')
  t.same(crlf.push('```py\r', 21), [])
  t.same(crlf.push('x = 1\r', 28), [])
  t.same(crlf.push('```\r', 35), [{ claim: { type: 'code', code: 'x = 1', language: 'python' }, source: { start: 28, end: 33 } }])
  t.equal(crlf.stopped(), false)
  const single = extractFromLine('so 6 × 7 = 42.', 100)
  t.same(single.claims, [{ claim: { type: 'math', expression: '6 * 7 = 42' }, source: { start: 103, end: 113 } }])
})

t.test('options are checked, with the bad option named', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ jsonschema: {} }, /'jsonschema' is not an option/],
    [{ sql: 'CREATE TABLE t (a INT)' }, /'sql'/],
    [{ sql: { schema: 1 } }, /'sql\.schema'/],
    [{ sql: { schema: '', dialect: 'oracle' } }, /'sql\.dialect'/],
    [{ sql: { schema: '', ddl: '' } }, /'sql\.ddl'/],
    [{ jsonSchema: 'object' }, /'jsonSchema'/],
    [{ jsonSchema: [] }, /'jsonSchema'/],
    [{ maxLength: 0 }, /'maxLength'/],
    [{ maxLength: 1.5 }, /'maxLength'/],
    [{ maxClaims: -1 }, /'maxClaims'/],
    [{ maxClaims: '5' }, /'maxClaims'/],
    [{ workBudget: Infinity }, /'workBudget'/],
    [null, /options must be a plain object/],
    [[], /options must be a plain object/]
  ]
  for (const [options, message] of bad) {
    t.throws(() => extractClaims('1 + 1 = 2', options as never), { name: 'TypeError', message }, JSON.stringify(options))
  }
  t.throws(() => extractClaims(42 as never), { name: 'TypeError' })
  t.doesNotThrow(() => extractClaims('1 + 1 = 2', { jsonSchema: true, maxLength: 10, maxClaims: 1, sql: { schema: '' } }))
})

t.test('caps fail closed', async (t) => {
  const long = extractClaims('1 + 1 = 2 '.repeat(20), { maxLength: 100 })
  t.same(long, { claims: [], skipped: long.skipped, complete: false, limit: 'max_length' }, 'a longer text is not read at all')
  const many = extractClaims('1 + 1 = 2; '.repeat(10), { maxClaims: 3 })
  t.equal(many.claims.length, 3)
  t.equal(many.complete, false)
  t.equal(many.limit, 'max_claims')
  const work = extractClaims('1 + 1 = 2\n'.repeat(100), { workBudget: 200 })
  t.equal(work.complete, false)
  t.equal(work.limit, 'work_budget')
  t.ok(work.claims.length < 100)
  const ok = extractClaims('1 + 1 = 2\n'.repeat(100))
  t.equal(ok.complete, true)
  t.equal(ok.claims.length, 100)
  t.equal(ok.limit, undefined)
})

t.test('hostile 100,000-character answers end, bounded and deterministic', async (t) => {
  const N = 100_000
  const hostile: Array<[string, string]> = [
    ['digits', '9'.repeat(N)],
    ['digits with separators', ('1,000').repeat(N / 5)],
    ['nested parentheses', '('.repeat(N / 2) + '1' + ')'.repeat(N / 2 - 1)],
    ['equals signs', '1' + '='.repeat(N - 1)],
    ['alternating', '1='.repeat(N / 2)],
    ['unclosed fences', '```python\n'.repeat(N / 10)],
    ['fence openers and closers', '```\n~~~\n'.repeat(N / 8)],
    ['operators', '1+'.repeat(N / 2)],
    ['statements', '1 + 1 = 2 '.repeat(N / 10)],
    ['percent', '10%'.repeat(N / 3)],
    ['superscripts', '2' + '²'.repeat(N - 1)],
    ['emphasis', '*'.repeat(N)],
    ['words', 'is '.repeat(N / 3)],
    ['one long line of math', ('12 × (3 + 4) = 84, ').repeat(N / 20)]
  ]
  for (const [name, text] of hostile) {
    const a = extractClaims(text.slice(0, N))
    const b = extractClaims(text.slice(0, N))
    t.same(a, b, `${name}: deterministic`)
    t.ok(a.claims.length <= 100, `${name}: at most maxClaims claims`)
    for (const c of a.claims) {
      if (c.claim.type === 'math') t.ok((c.claim as MathExpressionClaim).expression.length <= 1000, `${name}: bounded expression`)
    }
  }
  const equals = extractClaims('1' + '='.repeat(N - 1))
  t.same(equals.claims, [])
  const chain = extractClaims('1 = '.repeat(5) + '1')
  t.same(chain.claims, [], 'a run without an operation is not a claim')
  t.ok(chain.skipped.not_arithmetic >= 1)
  const deep = extractClaims('('.repeat(30) + '1 + 1' + ')'.repeat(30) + ' = 2')
  t.same(deep.claims, [])
  t.equal(deep.skipped.too_complex, 1, 'nesting over the cap is counted')
  const sides = extractClaims(Array.from({ length: 25 }, () => '1 + 1').join(' = '))
  t.equal(sides.skipped.too_complex, 1, 'more sides than the engine takes')
})
