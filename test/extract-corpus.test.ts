import { readFileSync } from 'node:fs'
import t from 'tap'
import { createVerifier, extractClaims } from '../lib/index.js'
import type { ExtractOptions } from '../lib/index.js'

// The answer corpus (issue 13, item 4): LLM answers written for this test, each with the claims a
// careful reader would check in it (type, span, and whether the figure / block is right) and the
// admission the real engines must give each one. `correct` answers must come through with nothing
// blocked; every wrong figure or unsafe block must be blocked; look-alikes and claim-free answers
// must yield nothing. Prints precision and recall of extraction and the false-block rate, by class.

interface Expected { type: string, start: number, end: number, span: string, admission: 'ADMIT' | 'BLOCKED' }
interface AnswerCase {
  id: string
  class: string
  correct: boolean
  text: string
  options?: ExtractOptions
  expected: Expected[]
  note?: string
  /** 2: written after the extractor and run once before any change (see the printed batch row). */
  batch?: number
}

const cases: AnswerCase[] = readFileSync(new URL('./fixtures/answers/answers.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as AnswerCase)

interface Tally {
  cases: number
  extracted: number
  expected: number
  matched: number
  correctAnswers: number
  correctBlocked: number
  wrongAnswers: number
  wrongAdmitted: number
  /** Wrong answers whose wrong figure is in no form the extractor reads (released unchecked). */
  wrongUnchecked: number
  skipped: number
}

function tally (): Tally {
  return { cases: 0, extracted: 0, expected: 0, matched: 0, correctAnswers: 0, correctBlocked: 0, wrongAnswers: 0, wrongAdmitted: 0, wrongUnchecked: 0, skipped: 0 }
}

function pct (n: number, d: number): string {
  return d === 0 ? '   n/a' : `${((100 * n) / d).toFixed(1).padStart(5)}%`
}

t.test('the answer corpus: extraction and verdicts through the real engines', async (t) => {
  t.ok(cases.length >= 150, `${cases.length} answers (at least 150)`)
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const byClass = new Map<string, Tally>()
  const all = tally()
  const blind = tally()

  for (const c of cases) {
    const result = extractClaims(c.text, c.options)
    t.ok(result.complete, `${c.id}: read completely`)
    // the spans in the fixture are the text they name
    for (const e of c.expected) t.equal(c.text.slice(e.start, e.end), e.span, `${c.id}: fixture span`)

    const found = result.claims.map((x) => ({ type: x.claim.type, start: x.source.start, end: x.source.end }))
    const wanted = c.expected.map((e) => ({ type: e.type, start: e.start, end: e.end }))
    t.same(found, wanted, `${c.id} (${c.class}): extraction`)

    const admissions: string[] = []
    for (const x of result.claims) admissions.push((await verifier.verify(x.claim)).admission)
    const key = (x: { type: string, start: number, end: number }): string => `${x.type}@${x.start}-${x.end}`
    const wantedByKey = new Map(c.expected.map((e) => [key(e), e]))
    let matched = 0
    result.claims.forEach((x, i) => {
      const e = wantedByKey.get(key({ type: x.claim.type, ...x.source }))
      if (e === undefined) return
      matched++
      t.equal(admissions[i], e.admission, `${c.id}: ${e.type} "${e.span.slice(0, 60)}" is ${e.admission}`)
    })

    const anyBlocked = admissions.includes('BLOCKED')
    const tallies = [all, byClass.get(c.class) ?? (byClass.set(c.class, tally()), byClass.get(c.class) as Tally)]
    if (c.batch === 2) tallies.push(blind)
    for (const tl of tallies) {
      tl.cases++
      tl.extracted += result.claims.length
      tl.expected += c.expected.length
      tl.matched += matched
      tl.skipped += Object.values(result.skipped).reduce((a, b) => a + b, 0)
      if (c.correct) {
        tl.correctAnswers++
        if (anyBlocked) tl.correctBlocked++
      } else {
        tl.wrongAnswers++
        if (c.expected.length === 0) tl.wrongUnchecked++
        else if (!anyBlocked) tl.wrongAdmitted++
      }
    }
  }

  const header = 'class        answers  claims  precision  recall  correct  blocked(false)  wrong  admitted(false)  unchecked  skipped'
  const row = (name: string, x: Tally): string =>
    `${name.padEnd(12)} ${String(x.cases).padStart(7)} ${String(x.expected).padStart(7)}    ${pct(x.matched, x.extracted)}  ${pct(x.matched, x.expected)}  ` +
    `${String(x.correctAnswers).padStart(7)}  ${pct(x.correctBlocked, x.correctAnswers).padStart(14)}  ${String(x.wrongAnswers).padStart(5)}  ` +
    `${pct(x.wrongAdmitted, x.wrongAnswers).padStart(15)}  ${String(x.wrongUnchecked).padStart(9)}  ${String(x.skipped).padStart(7)}`
  t.comment(header)
  for (const [name, x] of [...byClass.entries()].sort()) t.comment(row(name, x))
  t.comment(row('all', all))
  t.comment(row('batch 2', blind))

  t.equal(all.correctBlocked, 0, 'no correct answer is blocked')
  t.equal(all.wrongAdmitted, 0, 'no wrong figure or unsafe block is admitted')
  t.equal(all.matched, all.extracted, 'extraction precision is 100%')
  t.equal(all.matched, all.expected, 'extraction recall is 100% on the claims the corpus names')
})
