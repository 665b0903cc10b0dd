import { performance } from 'node:perf_hooks'
import t from 'tap'
import type { MathClaim } from '../types/claims.js'
import type { EngineResult } from '../types/engine.js'
import { createMathEngine } from '../lib/engines/math/index.js'
import { createVerifier } from '../lib/verifier.js'
import { admissionOf } from '../lib/result.js'

// Hostile math input: sandbox escapes, instance pollution, unicode look-alikes and resource bombs.
// Every one must come back BLOCKED, with the constraint that refused it, on the event loop (the
// refusal's constraint id shows the cheap check fired; times are no assertion on a shared machine).

const engine = createMathEngine()
const signal = new AbortController().signal

function timed (claim: MathClaim): { r: EngineResult, ms: number } {
  const start = performance.now()
  const r = engine.verify(claim, { signal }) as EngineResult
  return { r, ms: performance.now() - start }
}

// warm up (first parse compiles mathjs's parser)
engine.verify({ type: 'math', expression: '1+1' }, { signal })

const HOSTILE: Array<[string, string]> = [
  // sandbox escapes and instance access
  ['constructor call', 'cos.constructor("return process")()'],
  ['constructor via index', 'cos["constructor"]("return process")()'],
  ['array constructor', '[].constructor'],
  ['string constructor', '"abc".constructor'],
  ['python dunder chain', '"".__class__.__bases__[0].__subclasses__()'],
  ['proto access', 'x.__proto__'],
  ['object assignment', 'a={}'],
  ['function definition', 'f(x)=x'],
  ['function definition chain', 'f(x)=x; f.constructor'],
  ['CVE-2026-41139 shape', 'r(cb,init)=cb(cb(init,"constructor"),"constructor"); A=matrix([1]); F=A.get({length:1,"0":0,reduce:r}); G=F("globalThis.PWNED=1"); G()'],
  ['array property setter', 'a=[1,2]; a.map=5'],
  ['config', 'config({number:"BigNumber"})'],
  ['config precision', 'config({number:"BigNumber", precision:3})'],
  ['import', 'import({}, {})'],
  ['import override', 'import({add: subtract}, {override: true})'],
  ['createUnit', 'createUnit("x")'],
  ['evaluate', 'evaluate("1+1")'],
  ['parse', 'parse("1")'],
  ['simplify', 'simplify("x")'],
  ['python eval', 'eval("1+1")'],
  ['python os', 'os.system("id")'],
  ['python import', 'getattr(__import__("os"), "system")("id")'],
  // data structures and big allocations
  ['matrix literal', '[1,2]'],
  ['zeros', 'zeros(10000,10000)'],
  ['range function', 'range(1,1e8)'],
  ['range operator', '1:100000000'],
  ['ternary', '1 ? 2 : 3'],
  ['string literal', '"1"'],
  ['boolean', 'true'],
  ['unit conversion', '2 cm to inch'],
  ['comment hiding text', '2 + 2 # = 5'],
  // unicode look-alikes and invisible characters
  ['fullwidth cos', '\uff43\uff4f\uff53(0)'],
  ['zero-width space', '\u200b1+1'],
  ['zero-width inside', '1+\u200b1 = 2'],
  ['cyrillic cos', '\u0441\u043es(0) = 1'],
  ['cyrillic x', '\u0445 + 1'],
  ['greek alpha look-alike', '\u0391 + 1'],
  ['bidi override', '1+1\u202e = 2'],
  // parser and resource bombs
  ['10,000 nested parens', '('.repeat(10000) + '1' + ')'.repeat(10000)],
  ['2,000 nested parens', '('.repeat(2000) + '1' + ')'.repeat(2000)],
  ['100,000 minus signs', '-'.repeat(100000) + '1'],
  ['4,999 minus signs', '-'.repeat(4999) + '1'],
  ['power tower ^', '9^9^9^9'],
  ['power tower **', '9**9**9**9'],
  ['10^(10^7)', '10^(10^7)'],
  ['2^1000000', '2^1000000'],
  ['factorial(100000)', 'factorial(100000)'],
  ['(9!)!', '(9!)!'],
  ['1e999999999', '1e999999999'],
  ['1e999999', '1e999999'],
  ['1,000,000-char sum', Array(500000).fill('1').join('+')],
  ['exp of a huge number', 'exp(10^100) = 1'],
  ['sin of a huge number', 'sin(10^4000) = 0'],
  ['x to a huge power', 'x^(10^9) = 1'],
  ['huge polynomial', '(a+b+c+d+e+f)^20 = 1'],
  ['long polynomial product', '(x+y+z)^60 = 1'],
  ['big gcds', '(3^9000+7)/(7^5000+3) + (5^6000+1)/(11^4000+3) + (13^4000+1)/(17^3000+9) = 1'],
  ['many distinct atoms', Array(450).fill(0).map((_, i) => `sin(${i + 2})`).join('+') + ' = 1'],
  ['nested atan', 'atan('.repeat(99) + '1' + ')'.repeat(99) + ' = 1']
]

t.test('hostile input is BLOCKED, fast', async (t) => {
  for (const [name, expression] of HOSTILE) {
    const { r } = timed({ type: 'math', expression })
    t.equal(r.status, 'BLOCKED', `${name}: BLOCKED (${String(r.developer_fields.constraint_id)})`)
    t.equal(admissionOf(r), 'BLOCKED', `${name}: not admitted`)
    t.match(String(r.developer_fields.constraint_id), /^math\./, `${name}: has a math constraint_id`)
  }
})

t.test('a 1,000,000-char claim is refused before anything else', async (t) => {
  const expression = '1+'.repeat(500000) + '1'
  const { r } = timed({ type: 'math', expression })
  t.equal(r.developer_fields.constraint_id, 'math.too_long')
  const fullwidth = timed({ type: 'math', expression: '\uff43\uff4f\uff53(0)' })
  t.equal(fullwidth.r.developer_fields.constraint_id, 'math.non_ascii')
  t.equal(fullwidth.r.developer_fields.code_point, 'U+FF43')
})

t.test('specific reasons for resource bombs', async (t) => {
  const reasons: Array<[string, string]> = [
    ['9^9^9^9', 'math.resource_limit'],
    ['factorial(100000)', 'math.resource_limit'],
    ['1e999999999', 'math.resource_limit'],
    ['-'.repeat(4999) + '1', 'math.too_deep'],
    ['('.repeat(2000) + '1' + ')'.repeat(2000), 'math.too_deep'],
    ['zeros(10000,10000)', 'math.disallowed_construct'],
    ['1:100000000', 'math.disallowed_construct'],
    ['\u200b1+1', 'math.non_ascii']
  ]
  for (const [expression, id] of reasons) {
    t.equal(timed({ type: 'math', expression }).r.developer_fields.constraint_id, id, expression.slice(0, 30))
  }
})

t.test('the parser instance is never polluted', async (t) => {
  for (const expression of ['config({number:"BigNumber", precision:3})', 'createUnit("evil")', 'import({add: subtract}, {override: true})']) {
    t.equal(timed({ type: 'math', expression }).r.status, 'BLOCKED', expression)
  }
  // after the attempts, claims are still judged exactly
  const third = timed({ type: 'math', expression: '1/3' }).r
  t.equal(third.developer_fields.exact_value, '1/3')
  t.equal(timed({ type: 'math', expression: '1/3 = 0.333' }).r.status, 'UNVERIFIABLE')
  t.equal(timed({ type: 'math', expression: '0.1 + 0.2 = 0.3' }).r.status, 'VERIFIED')
  t.equal(timed({ type: 'math', expression: '2 + 3 = 5' }).r.status, 'VERIFIED', 'add was not overridden')
  t.equal(timed({ type: 'math', expression: '12345678901234567890 * 98765432109876543210 = 1219326311370217952237463801111263526900' }).r.status, 'VERIFIED', 'literals keep every digit')
  t.equal(timed({ type: 'math', expression: 'evil + 1' }).r.developer_fields.constraint_id, 'math.undefined_symbol', 'no unit was created')
})

t.test('through the public API as well', async (t) => {
  const verifier = createVerifier({ audit: false, cache: false })
  t.teardown(() => verifier.close())
  for (const expression of ['cos.constructor("return process")()', '9**9**9**9', '1+'.repeat(500000) + '1', '\uff43\uff4f\uff53(0)']) {
    const r = await verifier.verify({ type: 'math', expression })
    t.equal(r.status, 'BLOCKED', expression.slice(0, 30))
    t.equal(r.admission, 'BLOCKED')
    // Past the math claim limit (5,000 characters) the verifier's claim guard refuses it before the engine.
    if (expression.length > 5000) t.match(r, { engine: 'verifier', developer_fields: { constraint_id: 'claim.too_long' } })
    else t.equal(r.engine, 'math')
  }
})
