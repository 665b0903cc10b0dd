import t from 'tap'
import { createCodeEngine } from '../lib/engines/code/index.js'
import { MAX_NESTING_BOUND, nestingBound } from '../lib/engines/code/nesting.js'

// oxc-parser recurses on the native stack without a guard. Fed to the bare parser in a child
// process (8 MB main-thread stack), 19 of the shapes below, at the depth used here, killed it with
// a segmentation fault in at least one of the two languages; the conditional type survived at
// 10,500 levels there and is kept for worker threads, whose stack is 4 MB. The nesting bound must
// refuse them all first (too_deep); reaching the end of this file proves this process survived.
// Each is nested as deep as fits under the 200 KB claim cap (at least 10,000 levels).
const N = 20_000
const fit = (unit: string): number => Math.min(N, Math.floor(190_000 / unit.length))
/** `head`, then `open` k times, `middle`, `close` k times, as deep as fits. */
const nest = (head: string, open: string, middle: string, close = ''): string => {
  const k = fit(open + close)
  return head + open.repeat(k) + middle + close.repeat(k)
}
const SHAPES: Record<string, string> = {
  parens: nest('x = ', '(', '1', ')'),
  ternary: nest('x = ', 'a ? b : ', 'c'),
  assign: nest('', 'a = ', '1'),
  assignLines: nest('', 'a =\n', '1'),
  arrow: nest('f = ', 'a => ', '1'),
  ifElse: nest('', 'if (a) x(); else ', 'y()'),
  ifNest: nest('', 'if (a) ', 'y()'),
  jsx: nest('x = ', '<a>', '', '</a>'),
  template: nest('x = ', '`${', '1', '}`'),
  newNew: nest('x = ', 'new ', 'A'),
  generic: nest('let x: ', 'A<', 'B', '>'),
  genericCommas: nest('let x: ', 'A<B, ', 'B', '>'),
  labels: nest('', 'a: ', 'x()'),
  conditionalType: nest('type T = ', 'A extends B ? C : ', 'D'),
  spread: nest('x = ', '[...', 'a', ']'),
  braces: nest('', '{', '', '}'),
  // a string, a regex or a comment between the levels must not reset or close anything
  ternaryStrings: nest('x = ', "a ? ';' : ", 'c'),
  regexAfterBlock: nest('', 'function g () {\n{}\n/}/\n', '', '}'),
  regexAfterIf: nest('', 'function g () { if (a) /}/\n', '', '}'),
  commentClose: nest('', 'f(/* ) */ ', '', ')')
}

t.test('shapes that overflow the native parser are refused before it', async (t) => {
  const engine = createCodeEngine()
  for (const [name, code] of Object.entries(SHAPES)) {
    t.ok(nestingBound(code) > MAX_NESTING_BOUND, `${name}: bound above the limit`)
    for (const language of ['javascript', 'typescript']) {
      const r = await engine.verify({ type: 'code', language: language as 'javascript', code }, { signal: new AbortController().signal })
      t.equal(r.developer_fields.constraint_id, 'code.too_deep', `${name} (${language}): too_deep`)
    }
  }
})

t.test('ordinary code stays far below the bound', async (t) => {
  const fn = [
    'export async function handler (req, res) {',
    '  const items = req.body.items.map((item) => ({ id: item.id, total: item.qty * item.price }))',
    "  if (items.length === 0) return res.status(400).json({ error: 'empty; nothing to do, isn\\'t it?' })",
    '  const ok = /^[a-z]+$/.test(req.query.name) ? `hi $' + '{req.query.name}` : null',
    '  return res.json({ sum, ok })',
    '}'
  ].join('\n')
  const big = Array.from({ length: 400 }, (_, i) => fn.replace('handler', `handler${i}`)).join('\n')
  t.ok(nestingBound(fn) < 40, `one handler: ${nestingBound(fn)}`)
  t.ok(nestingBound(big) < 100, `400 handlers in one module: ${nestingBound(big)}`)
})

t.test('the bound never exceeds the length of the snippet (so short snippets skip the scan)', async (t) => {
  for (const code of [...Object.values(SHAPES).map((c) => c.slice(0, 900)), '`$' + '{`$' + '{1}`}`', "'(((('", '/* {{{{ */', '/[(]/', 'a ? b : c ? d : e', '<a><b><c>']) {
    t.ok(nestingBound(code) <= code.length, `${JSON.stringify(code.slice(0, 30))}: ${nestingBound(code)} <= ${code.length}`)
  }
})
