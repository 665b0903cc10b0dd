import fc from 'fast-check'
import t from 'tap'
import type { Claim } from '../types/claims.js'
import type { VerificationResult } from '../types/result.js'
import { preloadLogicSolver } from '../lib/engines/logic/index.js'
import { createVerifier } from '../lib/verifier.js'

// Property-based fuzzing of every engine's claim input through the public API (issue #7): for
// random input, verify() never throws, answers within DEADLINE_MS, and never admits.
//
// "Never VERIFIED" here means never a positive verdict: never VERIFIED with is_valid true, never
// ADMIT. SQL, code and schema engines answer "proven unsafe / invalid" with VERIFIED and is_valid
// false (QWED's convention, admission BLOCKED); random code that parses is always analysed, so that
// negative VERIFIED is a legitimate answer to random input and is allowed.
//
// The generators are built so that no claim they produce can be true, whatever the random parts
// are (each generator says why); a positive verdict is therefore always a bug. A second property
// per engine checks the shape of every result, including for claims that may legitimately be
// proven (a few fixed valid claims are mixed in).
//
// Bounded runs with a fixed seed keep CI deterministic. Explore with another seed and more runs:
//   QWED_FUZZ_SEED=12345 QWED_FUZZ_RUNS=2000 npx tap test/fuzz-engines.test.ts
// (a failure prints the seed and path that reproduce it).

const DEFAULT_SEED = 20_260_707
const envSeed = Number.parseInt(process.env.QWED_FUZZ_SEED ?? '', 10)
const seed = Number.isSafeInteger(envSeed) ? envSeed : DEFAULT_SEED
const envRuns = Number.parseInt(process.env.QWED_FUZZ_RUNS ?? '', 10)
const NUM_RUNS = Number.isSafeInteger(envRuns) && envRuns > 0 ? envRuns : 200
const DEADLINE_MS = 15_000
const params = { seed, numRuns: NUM_RUNS }
t.comment(`fast-check seed ${seed} (QWED_FUZZ_SEED overrides), ${NUM_RUNS} runs per property (QWED_FUZZ_RUNS overrides)`)

// Cache off: every run reaches its engine. Audit off: TAP output only.
const verifier = createVerifier({ audit: false, cache: false })
t.teardown(() => verifier.close())

/** A marker planted in random text: it must never come back in agent_message (safe to show a client). */
const MARKER = 'Qzx7marker'

// ---------------------------------------------------------------------------------------------
// Checks shared by every property

const ENGINES = new Set(['math', 'sql', 'code', 'schema', 'transaction', 'logic', 'stats', 'verifier'])
const PROOF_REF = /^sha256:[0-9a-f]{64}$/

/** Why a result is malformed, or null. Holds for every result, positive or not. */
function malformed (r: VerificationResult): string | null {
  if (!['VERIFIED', 'UNVERIFIABLE', 'BLOCKED'].includes(r.status)) return `status ${String(r.status)}`
  const isValid = r.developer_fields?.is_valid
  const admit = r.status === 'VERIFIED' && isValid === true && r.proof_ref !== null
  if (r.admission !== (admit ? 'ADMIT' : 'BLOCKED')) return `admission ${r.admission} with status ${r.status}, is_valid ${String(isValid)}`
  if ((r.status === 'VERIFIED') !== (r.proof_ref !== null)) return `proof_ref ${String(r.proof_ref)} with status ${r.status}`
  if (r.proof_ref !== null && !PROOF_REF.test(r.proof_ref)) return `proof_ref ${r.proof_ref}`
  if (r.is_authoritative !== (r.proof_ref !== null)) return 'is_authoritative disagrees with proof_ref'
  if (r.status !== 'VERIFIED' && isValid !== false) return `is_valid ${String(isValid)} with status ${r.status}`
  if (typeof r.agent_message !== 'string' || r.agent_message === '') return 'no agent_message'
  if (r.agent_message.includes(MARKER)) return 'agent_message echoes the input'
  if (typeof r.developer_fields !== 'object' || r.developer_fields === null) return 'no developer_fields'
  const id = r.developer_fields.constraint_id
  if (typeof id !== 'string' || !/^[a-z_]+\.[a-z0-9_]+$/.test(id)) return `constraint_id ${String(id)}`
  if (!ENGINES.has(r.engine)) return `engine ${r.engine}`
  if (r.cached !== false) return 'cached with the cache off'
  if (typeof r.duration_ms !== 'number' || !Number.isFinite(r.duration_ms) || r.duration_ms < 0) return `duration_ms ${String(r.duration_ms)}`
  try { JSON.stringify(r) } catch { return 'not JSON-serialisable' }
  return null
}

async function verifyWithin (claim: unknown): Promise<VerificationResult> {
  let timer: NodeJS.Timeout | undefined
  const expiry = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS)
  })
  try {
    // verify() must never throw: a rejection here fails the property with the claim as counterexample
    return await Promise.race([verifier.verify(claim as Claim), expiry])
  } finally {
    clearTimeout(timer)
  }
}

/** The claim with every non-ASCII or control character escaped, so a counterexample can be copied exactly. */
function describe (claim: unknown): string {
  try {
    return JSON.stringify(claim, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .slice(0, 600)
  } catch {
    return String(claim)
  }
}

/** The property of random input: well formed, no engine crash hidden as "unavailable", never a positive verdict. */
async function neverPositive (claim: unknown): Promise<boolean> {
  const r = await verifyWithin(claim)
  const bad = malformed(r)
  if (bad !== null) throw new Error(`malformed result: ${bad} for ${describe(claim)}`)
  if (r.developer_fields.reason === 'engine_error') throw new Error(`the engine threw: ${String(r.developer_fields.error)} for ${describe(claim)}`)
  if (r.admission === 'ADMIT' || (r.status === 'VERIFIED' && r.developer_fields.is_valid === true)) {
    throw new Error(`positive verdict for random input: ${r.status} ${String(r.developer_fields.constraint_id)} for ${describe(claim)}`)
  }
  return true
}

/** The shape property: any claim, any verdict, but always well formed. */
async function wellFormed (claim: unknown): Promise<boolean> {
  const r = await verifyWithin(claim)
  const bad = malformed(r)
  if (bad !== null) throw new Error(`malformed result: ${bad}`)
  if (r.developer_fields.reason === 'engine_error') throw new Error(`the engine threw: ${String(r.developer_fields.error)}`)
  return true
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n))
const SPECIAL = ['\u0000', '\n', '\r', '\t', '\u2028', '\u200b', '\u202e', '\ufeff', '\ufb01', '\uff41', '\ud800', '\u{1f600}', '"', "'", '`', '\\', '/*', '*/', '#', '--', ';', '(', ')', '[', ']', '{', '}', '$', '=', MARKER]
/** Random text: any code points, raw UTF-16 units (lone surrogates), and syntax-heavy fragments. */
const noise = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: codeUnit, maxLength: 12 }),
  fc.array(fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 5 })), { maxLength: 10 }).map((p) => p.join(''))
)
const ANYTHING = { withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withNullPrototype: true, withSet: true, withTypedArray: true, withUnicodeString: true }
const anything = fc.anything({ ...ANYTHING, withSparseArray: true })
/** Without arrays with holes: they crash the schema engine today (see 'arrays with holes' below), which would stop its property at once. */
const anythingDense = fc.anything(ANYTHING)
/** Any value that is not a string (a wrong type for a text field). */
const notString = anything.filter((v) => typeof v !== 'string')
const numberish = fc.oneof(
  fc.integer(), fc.double(), fc.bigInt().map(String), fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MIN_VALUE, 1e21, '1e999999', '-0', '0x10', ' 1', '1_000', '١٢'),
  fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.nat({ max: 999_999 })).map(([i, f]) => `${i}.${f}`),
  noise
)
/** Random extra fields, merged into a claim (never overriding the fields the generator fixes). */
const extras = fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'type', 'limits', 'taint')), anything, { maxKeys: 3 })
const withExtras = <T extends Record<string, unknown>>(arb: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(arb, extras).map(([claim, more]) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(more)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
    for (const [k, v] of Object.entries(claim)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
    return out
  })
/** A random object of the right type with its required fields deleted: never a complete claim. */
const incomplete = (type: string, required: string[]): fc.Arbitrary<Record<string, unknown>> =>
  fc.dictionary(fc.string({ maxLength: 10 }), anything, { maxKeys: 5 }).map((d) => {
    const out: Record<string, unknown> = { ...d, type }
    for (const key of required) delete out[key]
    return out
  })

// ---------------------------------------------------------------------------------------------
// math

/** Balanced arithmetic from a small grammar: numbers (incl. huge), variables, functions, operators. */
const mathExpr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer({ min: 0, max: 1000 }).map(String), fc.constantFrom('0.1', '1e308', '1e-308', '9'.repeat(80), 'x', 'y', 'pi', 'e', 'i')),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '^'), tie('e')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(fc.constantFrom('sin', 'cos', 'tan', 'sqrt', 'log', 'exp', 'abs', 'factorial', 'floor', 'atan'), tie('e')).map(([f, a]) => `${f}(${a})`),
    tie('e').map((a) => `-(${a})`),
    tie('e').map((a) => `(${a})!`),
    tie('e').map((a) => `(${a})%`)
  )
})).e

const MATH_OPERATIONS = ['derivative', 'integral', 'limit', 'matrix', 'percentage', 'compound_interest', 'npv', 'irr', 'unit_conversion', 'constructor', '']

const mathClaims = fc.oneof(
  // `qzxfn` is not a function of the language: a claim that calls it is refused however the
  // random argument closes the call (the call is the first thing in the text).
  withExtras(noise.map((s) => ({ type: 'math', expression: `qzxfn(${s}) = 1` }))),
  withExtras(fc.tuple(noise, numberish).map(([s, expected]) => ({ type: 'math', expression: `qzxfn(${s})`, expected }))),
  // E = (E) + 1 is false for every finite E, and refused when E is undefined or not a number.
  fc.tuple(mathExpr, fc.constantFrom('real', 'complex', undefined)).map(([e, domain]) => ({ type: 'math', expression: `${e} = (${e}) + 1`, domain })),
  // (E) + 1 - (E) is exactly 1: expected 0 is wrong (the engine computes exactly).
  mathExpr.map((e) => ({ type: 'math', expression: `(${e}) + 1 - (${e})`, expected: 0 })),
  // the expression field with a wrong type
  withExtras(fc.tuple(notString, numberish).map(([expression, expected]) => ({ type: 'math', expression, expected }))),
  // a helper operation with random fields and an expected value that is not a number
  withExtras(fc.tuple(fc.constantFrom(...MATH_OPERATIONS), fc.dictionary(fc.constantFrom('expression', 'variable', 'value', 'from', 'to', 'a', 'b', 'cashFlows', 'rate', 'principal', 'years', 'point', 'lower', 'upper', 'order', 'calculation', 'percentage', 'matrixOperation', 'tolerance'), fc.oneof(numberish, anything, fc.array(fc.array(numberish, { maxLength: 3 }), { maxLength: 3 }))), noise)
    .map(([operation, fields, junk]) => ({ ...fields, type: 'math', operation, expected: `qz${junk}` }))),
  // neither an expression nor an operation
  incomplete('math', ['expression', 'operation'])
)

// ---------------------------------------------------------------------------------------------
// sql

const SQL_SCHEMA = 'CREATE TABLE qz_only (qz_col int)'
const sqlClaims = fc.oneof(
  // Random text with none of the words a readable statement starts with (SELECT, WITH, VALUES,
  // TABLE): it can only fail to parse or be another statement kind (admin, destructive), never a
  // safe query. Checked on the NFKC form so fullwidth letters cannot spell them either.
  withExtras(fc.tuple(noise, fc.constantFrom('postgresql', 'mysql', 'sqlite', undefined), fc.option(noise, { nil: undefined }))
    .filter(([q]) => !/select|values|table|with/i.test(q.normalize('NFKC')))
    .map(([query, dialect, schema]) => ({ type: 'sql', query, dialect, schema }))),
  // A query whose first FROM is a table the schema does not have: the random tail cannot remove
  // that reference, so the best it can be is BLOCKED (unknown table) or proven malicious.
  fc.tuple(noise, fc.constantFrom('postgresql', 'mysql', 'sqlite')).map(([tail, dialect]) => ({ type: 'sql', query: `SELECT * FROM qz_missing WHERE ${tail}`, schema: SQL_SCHEMA, dialect })),
  // query with a wrong type
  withExtras(notString.map((query) => ({ type: 'sql', query }))),
  incomplete('sql', ['query'])
)

// ---------------------------------------------------------------------------------------------
// code (python, javascript, typescript) and stats generatedCode

// A dangerous call that cannot be shadowed: `import(...)` is a keyword form in JavaScript and
// TypeScript; in Python `import os` rebinds `os` on the line right before it is used. Placed first,
// no random text after it can turn it back into non-code; placed last, random text before it can
// only swallow it into an unterminated comment or string, which does not parse (BLOCKED).
const DANGER: Record<string, string> = {
  javascript: "import('child_process')\n",
  typescript: "import('child_process')\n",
  python: 'import os\nos.system(x)\n'
}
const language = fc.constantFrom('python', 'javascript', 'typescript')
const codeClaims = fc.oneof(
  withExtras(fc.tuple(language, noise).map(([lang, s]) => ({ type: 'code', language: lang, code: `${DANGER[lang] as string};\n${s}` }))),
  withExtras(fc.tuple(language, noise).map(([lang, s]) => ({ type: 'code', language: lang, code: `${s}\n;${DANGER[lang] as string}` }))),
  withExtras(fc.tuple(language, noise, fc.boolean()).map(([lang, s, taint]) => ({ type: 'code', language: lang, taint, code: `${s}\n${DANGER[lang] as string}` }))),
  // a language the engine does not support, or code with a wrong type
  withExtras(fc.tuple(fc.oneof(noise, notString), noise).filter(([lang]) => !(typeof lang === 'string' && ['python', 'py', 'python3', 'py3', 'javascript', 'js', 'node', 'nodejs', 'jsx', 'mjs', 'cjs', 'ecmascript', 'typescript', 'ts', 'tsx', 'mts', 'cts'].includes(lang.trim().toLowerCase())))
    .map(([lang, code]) => ({ type: 'code', language: lang, code }))),
  withExtras(fc.tuple(language, notString).map(([lang, code]) => ({ type: 'code', language: lang, code }))),
  incomplete('code', ['code'])
)

// ---------------------------------------------------------------------------------------------
// schema and transaction

const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 3 }), anythingDense)
const schemaClaims = fc.oneof(
  // `false` accepts nothing
  jsonish.map((data) => ({ type: 'schema', schema: false, data })),
  // a random schema conjoined with `false`: still accepts nothing (or the random part is refused)
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), jsonish).map(([random, data]) => ({ type: 'schema', schema: { allOf: [random, false] }, data })),
  // a required property the data never has (the generator's keys never are `qz_never`; not an
  // inherited name either, see parser-escapes for those)
  fc.tuple(fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== 'qz_never'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), fc.dictionary(fc.constantFrom('properties', 'patternProperties', 'additionalProperties', 'minProperties', 'maxProperties', 'propertyNames', 'dependentRequired', 'if', 'then', 'else', '$defs', '$ref', '$id', 'format', 'pattern'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }))
    .map(([data, keywords]) => ({ type: 'schema', schema: { ...keywords, type: 'object', required: ['qz_never'] }, data })),
  // a schema that is not a schema
  withExtras(fc.tuple(anythingDense.filter((s) => typeof s !== 'boolean' && (s === null || typeof s !== 'object' || Array.isArray(s))), jsonish).map(([schema, data]) => ({ type: 'schema', schema, data }))),
  incomplete('schema', ['schema'])
)

const transactionClaims = fc.oneof(
  // JPY has no minor unit: a total with a non-zero fractional digit is never a valid JPY amount,
  // so the claim is refused (invalid amount) or judged invalid (precision_exceeded), whatever the
  // other amounts are.
  withExtras(fc.tuple(numberish, numberish, fc.option(numberish, { nil: undefined }), fc.nat({ max: 1e9 }), fc.integer({ min: 1, max: 9 }))
    .map(([subtotal, tax, discount, whole, digit]) => ({ type: 'transaction', subtotal, tax, discount, total: `${whole}.${digit}`, currency: 'JPY' }))),
  // a total that is not a number at all
  withExtras(fc.tuple(numberish, numberish, fc.oneof(notString.filter((v) => typeof v !== 'number'), noise.map((s) => `qz${s}`)), fc.option(noise, { nil: undefined }))
    .map(([subtotal, tax, total, currency]) => ({ type: 'transaction', subtotal, tax, total, currency }))),
  incomplete('transaction', ['total'])
)

// ---------------------------------------------------------------------------------------------
// logic

const SORTS = fc.oneof(fc.constantFrom('Int', 'Real', 'Bool', 8, 32, 'BitVec[8]', 'String', 'int', 0, -1, 1e9), noise, anything)
const logicVariables = fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('x', 'y', 'p', '__proto__', 'And', 'True', 'qz1')), SORTS, { maxKeys: 4 })
  .map((random) => ({ ...random, qz0: 'Int' }))
const formula = fc.oneof(noise, fc.array(fc.oneof(fc.constantFrom('x', 'y', 'p', 'qz0', '1', '2.5', '(', ')', '+', '*', '**', '==', '<', '>', '!=', 'And(', 'Or(', 'Not(', 'Implies(', 'If(', ',', 'True', 'False', '__import__', '.', '"s"', 'lambda'), fc.string({ maxLength: 3 })), { maxLength: 12 }).map((p) => p.join(' ')))
// `qz0 > 0` and `qz0 < 0` are separate constraints: whatever the random constraints are, their
// conjunction is unsatisfiable (UNVERIFIABLE / infeasible) or refused (BLOCKED); the random
// variables never redeclare qz0 (it is set last).
const CONTRADICTION = ['qz0 > 0', 'qz0 < 0']
const logicClaims = fc.oneof(
  withExtras(fc.tuple(logicVariables, fc.array(formula, { maxLength: 4 })).map(([variables, random]) => ({ type: 'logic', check: 'satisfiable', variables, constraints: [...random, ...CONTRADICTION] }))),
  withExtras(fc.tuple(logicVariables, fc.array(formula, { maxLength: 3 }), formula, fc.boolean(), fc.option(numberish, { nil: undefined }))
    .map(([variables, random, objective, maximize, expected]) => ({ type: 'logic', check: 'optimize', variables, constraints: [...random, ...CONTRADICTION], objective, maximize, expected }))),
  // a check that does not exist, or fields of the wrong type
  withExtras(fc.tuple(fc.oneof(noise, notString).filter((c) => !['satisfiable', 'theorem', 'implication', 'equivalence', 'vacuity', 'optimize'].includes(c as string)), logicVariables, fc.array(formula, { maxLength: 2 }))
    .map(([check, variables, constraints]) => ({ type: 'logic', check, variables, constraints }))),
  withExtras(fc.tuple(fc.constantFrom('theorem', 'implication', 'equivalence', 'vacuity'), anything.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)))
    .map(([check, variables]) => ({ type: 'logic', check, variables, premises: ['qz0 > 0'], conclusion: 'qz0 > 0', antecedent: 'qz0 > 0', consequent: 'qz0 > 0', formulas: ['qz0 > 0', 'qz0 > 0'] }))),
  incomplete('logic', ['check'])
)

// ---------------------------------------------------------------------------------------------
// stats

// Data values: numbers up to 1e6, decimals, and text without an exponent (so no value is above
// 1e100: MAX_VALUE_TEXT is 100 characters), plus values the engine must refuse (NaN, Infinity, junk).
const dataValue = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e6, max: 1e6 }), fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MIN_VALUE, null, true, [1], {}),
  fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.nat({ max: 999_999 })).map(([i, f]) => `${i}.${f}`),
  noise.filter((s) => !/[eE]/.test(s))
)
const STATISTICS = ['mean', 'median', 'mode', 'variance', 'std', 'min', 'max', 'range', 'sum', 'count', 'correlation', 'percentile_0', 'percentile_50', 'percentile_99.5', 'percentile_101', 'percentile_', 'percentile_1e2', 'constructor', '__proto__']
const statsClaims = fc.oneof(
  // a count is an integer: n + 0.5 is never within a tolerance below 0.5
  withExtras(fc.tuple(fc.array(dataValue, { maxLength: 20 }), fc.option(fc.double({ min: 0, max: 0.4, noNaN: true }), { nil: undefined }))
    .map(([data, tolerance]) => ({ type: 'stats', statistic: 'count', data, expected: data.length + 0.5, tolerance }))),
  // every statistic of such data is far below 1e300 (default tolerance)
  withExtras(fc.tuple(fc.constantFrom(...STATISTICS), fc.array(dataValue, { maxLength: 20 }), fc.option(fc.array(dataValue, { maxLength: 20 }), { nil: undefined }))
    .map(([statistic, data, y]) => ({ type: 'stats', statistic, data, y, expected: '1e300' }))),
  // LLM-written analysis code is never run, so it is never VERIFIED (by design)
  withExtras(fc.tuple(noise, fc.option(noise, { nil: undefined })).map(([generatedCode, query]) => ({ type: 'stats', generatedCode, query }))),
  // data that is not an array
  withExtras(fc.tuple(fc.constantFrom(...STATISTICS), anything.filter((v) => !Array.isArray(v)), numberish).map(([statistic, data, expected]) => ({ type: 'stats', statistic, data, expected }))),
  incomplete('stats', ['statistic', 'generatedCode'])
)

// ---------------------------------------------------------------------------------------------
// Properties

const ENGINE_CLAIMS: Array<[string, fc.Arbitrary<unknown>]> = [
  ['math', mathClaims],
  ['sql', sqlClaims],
  ['code', codeClaims],
  ['schema', schemaClaims],
  ['transaction', transactionClaims],
  ['logic', logicClaims],
  ['stats', statsClaims]
]

/** Claims that may legitimately be proven: the shape property sees positive verdicts too. */
const VALID: unknown[] = [
  { type: 'math', expression: '2 + 3 = 5' },
  { type: 'sql', query: 'SELECT qz_col FROM qz_only', schema: SQL_SCHEMA },
  { type: 'code', language: 'python', code: 'print(1)\n' },
  { type: 'code', language: 'javascript', code: 'const a = 1\n' },
  { type: 'schema', schema: { type: 'integer' }, data: 1 },
  { type: 'transaction', subtotal: '10.00', tax: '1.00', total: '11.00', currency: 'USD' },
  { type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] },
  { type: 'stats', statistic: 'mean', data: [1, 2, 3], expected: 2 }
]

const notAClaim = fc.oneof(anything, fc.record({ type: fc.oneof(noise, notString, fc.constantFrom('fact', 'natural_language', 'Math', 'constructor', '__proto__')) }, { requiredKeys: [] }))

t.before(async () => {
  // Z3 loads on the first logic claim (seconds on a cold machine): load it first, so that the
  // logic properties meet the solver, not a BLOCKED logic.unavailable.
  await preloadLogicSolver()
})

for (const [name, arb] of ENGINE_CLAIMS) {
  t.test(`${name}: random claims never throw, never hang, never get a positive verdict`, async (t) => {
    await fc.assert(fc.asyncProperty(arb, neverPositive), params)
    t.pass(`${NUM_RUNS} runs`)
  })
}

t.test('every result is well formed (random claims of every type, valid claims, non-claims)', async (t) => {
  const all = fc.oneof(...ENGINE_CLAIMS.map(([, arb]) => arb), fc.constantFrom(...VALID), notAClaim)
  await fc.assert(fc.asyncProperty(all, wellFormed), params)
  // the fixed valid claims are admitted: the shape property did see positive verdicts
  for (const claim of VALID) {
    const r = await verifyWithin(claim)
    t.equal(r.admission, 'ADMIT', `valid claim admitted: ${JSON.stringify(claim).slice(0, 60)}`)
  }
})

const KNOWN_TYPES = new Set(['math', 'sql', 'code', 'schema', 'transaction', 'logic', 'stats'])
const isKnownTyped = (v: unknown): boolean => v !== null && typeof v === 'object' && KNOWN_TYPES.has((v as { type?: unknown }).type as string)

t.test('anything at all is refused by the claim guard, never thrown', async (t) => {
  // without a known type, nothing can be verified (a random object that happens to carry one is left out)
  await fc.assert(fc.asyncProperty(notAClaim.filter((v) => !isKnownTyped(v)), neverPositive), params)
  t.pass(`${NUM_RUNS} runs`)
})

t.test('arrays with holes (not JSON, but reachable through verify()) never make an engine throw', async (t) => {
  // Found by this fuzz test: the claim guard accepts sparse arrays, and some engines then throw
  // (the breaker counts each as an engine failure: ten such claims can open an engine's breaker).
  // Kept here as explicit cases until the guard or the engines handle them.
  /* eslint-disable no-sparse-arrays */
  const claims: unknown[] = [
    { type: 'schema', schema: false, data: [, ,] },
    { type: 'schema', schema: { type: 'array' }, data: [1, , 2] },
    { type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1', , 'x < 0'] },
    { type: 'math', operation: 'npv', rate: 0.1, cashFlows: [1, , 2], expected: 1 },
    { type: 'stats', statistic: 'mean', data: [1, , 2], expected: 1 }
  ]
  /* eslint-enable no-sparse-arrays */
  for (const claim of claims) {
    const r = await verifyWithin(claim)
    t.equal(r.admission, 'BLOCKED', `${JSON.stringify(claim)}: not admitted`)
    t.not(r.developer_fields.reason, 'engine_error', `${JSON.stringify(claim)}: the engine did not throw (${String(r.developer_fields.constraint_id)} ${String(r.developer_fields.error ?? '')})`)
  }
})

t.test('false identities between huge transcendental values are never proven', async (t) => {
  // Found by this fuzz test (seed 4): E = E + 1 was VERIFIED (math.identity_true, method
  // high_precision) when E is about 10^96 or more and transcendental: the +1 is below the
  // evaluator's relative precision and the difference reads as 0. A false claim admitted.
  for (const expression of [
    'pi * 10^100 = pi * 10^100 + 1',
    'e * 10^100 = e * 10^100 + 1',
    'pi * 10^100 + 1 = pi * 10^100',
    'pi * 10^200 = pi * 10^200 + 10^100',
    '(-(' + '9'.repeat(80) + ')) * (exp(38)) = ((-(' + '9'.repeat(80) + ')) * (exp(38))) + 1'
  ]) {
    const r = await verifyWithin({ type: 'math', expression })
    t.equal(r.admission, 'BLOCKED', `${expression.slice(0, 60)}: not admitted (${r.status} ${String(r.developer_fields.constraint_id)})`)
  }
})
