import t from 'tap'
import type { ClaimLimitsOptions } from '../types/input.js'
import { checkClaim, type ClaimCheck } from '../lib/guard/input.js'
import { CLAIM_LIMIT_CAPS, DEFAULT_CLAIM_LIMITS, DEFAULT_MAX_CLAIM_BYTES, resolveClaimLimits, SQL_SCHEMA_MAX_LENGTH, validateClaimLimits } from '../lib/guard/limits.js'
import { canonicalize, sha256Hex } from '../lib/canonical.js'
import { QwedOptionsError } from '../lib/errors.js'
import { createVerifier } from '../lib/verifier.js'
import { MAX_CODE_BYTES } from '../lib/engines/code/index.js'
import { MAX_FORMULAS } from '../lib/engines/logic/checks.js'
import { MAX_FORMULA_CHARS } from '../lib/engines/logic/parse.js'
import { MAX_CASH_FLOWS } from '../lib/engines/math/helpers/finance.js'
import { LIMITS } from '../lib/engines/math/limits.js'
import { MAX_QUERY_CHARS, MAX_SCHEMA_CHARS } from '../lib/engines/sql.js'
import { MAX_VALUES } from '../lib/engines/stats/compute.js'

// Claim limits per claim type (lib/guard/limits.ts) and the verifier's claim guard that applies
// them (checkClaim in lib/guard/input.ts).

const TYPES = new Set(['math', 'sql', 'code', 'schema', 'transaction', 'logic', 'stats', 'script'])
const defaults = resolveClaimLimits(undefined)

function check (claim: unknown, limits: Parameters<typeof checkClaim>[2] = defaults): ClaimCheck {
  return checkClaim(claim, TYPES, limits)
}

/** The verdict's developer_fields, or null when the claim passed. */
function refused (claim: unknown, limits: Parameters<typeof checkClaim>[2] = defaults): Record<string, unknown> | null {
  const r = check(claim, limits)
  if (r.ok) return null
  const { is_valid: isValid, ...fields } = r.result.developer_fields
  if (r.result.status !== 'BLOCKED' || isValid !== false) throw new Error('not a BLOCKED verdict')
  return fields
}

function optionError (fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return err instanceof QwedOptionsError ? `${err.option}: ${err.message}` : `not a QwedOptionsError: ${String(err)}`
  }
}

t.test('defaults per claim type sit at the engines\' own caps', async (t) => {
  t.same(Object.keys(DEFAULT_CLAIM_LIMITS).sort(), ['*', 'code', 'logic', 'math', 'schema', 'sql', 'stats', 'transaction'])
  const base = { maxDepth: 64, maxBytes: 1_048_576 }
  t.same(DEFAULT_CLAIM_LIMITS.math, { ...base, maxLength: LIMITS.maxLength, maxArrayLength: MAX_CASH_FLOWS })
  t.same(DEFAULT_CLAIM_LIMITS.sql, { ...base, maxLength: MAX_QUERY_CHARS, maxArrayLength: 100 })
  t.same(DEFAULT_CLAIM_LIMITS.code, { ...base, maxLength: MAX_CODE_BYTES, maxArrayLength: 100 })
  t.same(DEFAULT_CLAIM_LIMITS.schema, { ...base, maxLength: 1_000_000, maxArrayLength: 100_000 })
  t.same(DEFAULT_CLAIM_LIMITS.transaction, { ...base, maxLength: 256, maxArrayLength: 100 })
  t.same(DEFAULT_CLAIM_LIMITS.logic, { ...base, maxLength: MAX_FORMULA_CHARS, maxArrayLength: MAX_FORMULAS })
  t.same(DEFAULT_CLAIM_LIMITS.stats, { ...base, maxLength: MAX_CODE_BYTES, maxArrayLength: MAX_VALUES })
  t.same(DEFAULT_CLAIM_LIMITS['*'], { ...base, maxLength: 1_048_576, maxArrayLength: 100_000 })
  t.equal(DEFAULT_MAX_CLAIM_BYTES, 1_048_576, "'*'.maxBytes is the old maxClaimBytes default")
  t.same([LIMITS.maxLength, MAX_QUERY_CHARS, MAX_CODE_BYTES, MAX_FORMULA_CHARS, MAX_VALUES, MAX_CASH_FLOWS, MAX_FORMULAS], [5000, 65_536, 204_800, 4096, 100_000, 1000, 200], 'the caps, as numbers')
  t.equal(SQL_SCHEMA_MAX_LENGTH, MAX_SCHEMA_CHARS)
  for (const [type, caps] of Object.entries(CLAIM_LIMIT_CAPS)) {
    for (const [key, cap] of Object.entries(caps)) {
      const value = (DEFAULT_CLAIM_LIMITS[type] as unknown as Record<string, number>)[key] as number
      t.ok(value <= cap.value, `${type}.${key} default ${value} <= cap ${cap.value}`)
    }
  }
  t.ok(Object.isFrozen(DEFAULT_CLAIM_LIMITS) && Object.isFrozen(DEFAULT_CLAIM_LIMITS.math), 'frozen')
})

t.test('resolveClaimLimits: overrides, "*", maxClaimBytes', async (t) => {
  t.same(defaults.forType('math'), DEFAULT_CLAIM_LIMITS.math)
  t.same(defaults.forType('script'), DEFAULT_CLAIM_LIMITS['*'], 'a type without defaults (an extra engine) gets "*"')
  t.same(defaults.forType('toString'), DEFAULT_CLAIM_LIMITS['*'], 'no prototype lookups')

  const own = resolveClaimLimits({ math: { maxLength: 100 } })
  t.same(own.forType('math'), { ...DEFAULT_CLAIM_LIMITS.math, maxLength: 100 }, 'a type entry overrides one field')
  t.same(own.forType('sql'), DEFAULT_CLAIM_LIMITS.sql, 'other types keep their defaults')

  const star = resolveClaimLimits({ '*': { maxDepth: 10, maxBytes: 5000, maxLength: 500_000 }, sql: { maxDepth: 20 } })
  t.same(star.forType('script'), { maxLength: 500_000, maxDepth: 10, maxArrayLength: 100_000, maxBytes: 5000 }, "'*' applies to an extra engine's type")
  t.same(star.forType('math'), { maxLength: LIMITS.maxLength, maxDepth: 10, maxArrayLength: MAX_CASH_FLOWS, maxBytes: 5000 }, "'*' applies to embedded types, lowered to their caps")
  t.same(star.forType('sql'), { maxLength: MAX_QUERY_CHARS, maxDepth: 20, maxArrayLength: 100, maxBytes: 5000 }, "a type's own entry wins over '*'")
  t.same(star.forType('schema').maxLength, 500_000, "'*' under the cap is kept")

  const bytes = resolveClaimLimits(undefined, 1000)
  for (const type of ['math', 'sql', 'stats', 'script']) t.equal(bytes.forType(type).maxBytes, 1000, `maxClaimBytes sets maxBytes of ${type}`)
  const both = resolveClaimLimits({ '*': { maxBytes: 2000 }, stats: { maxBytes: 3000 } }, 1000)
  t.equal(both.forType('math').maxBytes, 2000, "limits['*'].maxBytes wins over maxClaimBytes")
  t.equal(both.forType('stats').maxBytes, 3000, "a type's maxBytes wins over both")
  t.equal(resolveClaimLimits({}, undefined).forType('code').maxBytes, 1_048_576)
  t.equal(own.forType('math'), own.forType('math'), 'resolved once per type')
})

t.test('validateClaimLimits: errors name the option', async (t) => {
  t.equal(optionError(() => validateClaimLimits(undefined, 'limits')), null)
  t.equal(optionError(() => validateClaimLimits({}, 'limits')), null)
  const good: ClaimLimitsOptions = {
    '*': { maxLength: 50_000_000, maxDepth: 200, maxArrayLength: 10_000_000, maxBytes: 100_000_000 },
    script: { maxLength: 50_000_000 },
    math: { maxLength: 5000, maxArrayLength: 1000, maxDepth: 8, maxBytes: 10_000 },
    sql: { maxLength: 65_536 },
    schema: { maxDepth: 129 },
    stats: { maxArrayLength: 100_000 },
    logic: { maxLength: 4096, maxArrayLength: 200 },
    code: { maxLength: 204_800 },
    transaction: { maxLength: 1_000_000 },
    fact: undefined
  }
  t.equal(optionError(() => validateClaimLimits(good, 'limits')), null, "valid limits, '*' and extra types above the embedded caps included")

  const bad: Array<[unknown, string, RegExp?]> = [
    [null, 'limits'],
    [[], 'limits'],
    [{ sql: 5 }, 'limits.sql'],
    [{ sql: null }, 'limits.sql'],
    [{ sql: { maxChars: 10 } }, 'limits.sql.maxChars', /not a known option \(known: maxLength, maxDepth, maxArrayLength, maxBytes\)/],
    [{ math: { maxLength: 0 } }, 'limits.math.maxLength'],
    [{ math: { maxLength: -5 } }, 'limits.math.maxLength'],
    [{ math: { maxDepth: 2.5 } }, 'limits.math.maxDepth'],
    [{ script: { maxArrayLength: 'many' } }, 'limits.script.maxArrayLength'],
    [{ '*': { maxBytes: Number.POSITIVE_INFINITY } }, 'limits.*.maxBytes'],
    [{ '*': { maxDepth: 201 } }, 'limits.*.maxDepth', /between 1 and 200/],
    [{ '': { maxDepth: 2 } }, 'limits.'],
    [{ sql: { maxLength: 65_537 } }, 'limits.sql.maxLength', /at most 65536 \(the engine's own cap: the SQL engine refuses longer queries\), got 65537/],
    [{ math: { maxLength: 5001 } }, 'limits.math.maxLength', /at most 5000/],
    [{ math: { maxArrayLength: 1001 } }, 'limits.math.maxArrayLength', /at most 1000/],
    [{ code: { maxLength: 204_801 } }, 'limits.code.maxLength', /at most 204800/],
    [{ logic: { maxLength: 4097 } }, 'limits.logic.maxLength', /at most 4096/],
    [{ logic: { maxArrayLength: 201 } }, 'limits.logic.maxArrayLength', /at most 200/],
    [{ stats: { maxArrayLength: 100_001 } }, 'limits.stats.maxArrayLength', /stats engine refuses larger data sets/],
    [{ stats: { maxLength: 300_000 } }, 'limits.stats.maxLength', /at most 204800/],
    [{ schema: { maxLength: 1_000_001 } }, 'limits.schema.maxLength', /at most 1000000/],
    [{ schema: { maxDepth: 130 } }, 'limits.schema.maxDepth', /at most 129/]
  ]
  for (const [value, option, message] of bad) {
    const err = optionError(() => validateClaimLimits(value, 'limits'))
    t.ok(err?.startsWith(`${option}: qwed: option "${option}" `), `${JSON.stringify(value)} -> ${option} (${String(err)})`)
    if (message !== undefined) t.match(err, message)
  }
})

t.test('checkClaim: every constraint id', async (t) => {
  const ok = check({ type: 'math', expression: '2 + 2 = 4' })
  t.same(ok, { ok: true, type: 'math', hash: sha256Hex(canonicalize({ type: 'math', expression: '2 + 2 = 4' })) }, 'a claim within limits: its canonical hash')

  t.same(refused(null), { constraint_id: 'claim.invalid' })
  t.same(refused([{ type: 'math' }]), { constraint_id: 'claim.invalid' })
  t.match(refused({ type: 'nope' }), { constraint_id: 'claim.unknown_type', known_types: [...TYPES].sort() })
  t.match(refused({ type: 'math', expression: '1', n: Number.NaN }), { constraint_id: 'claim.invalid' })

  t.same(refused({ type: 'math', expression: '1+'.repeat(2500) + '1' }), { constraint_id: 'claim.too_long', field: 'expression', max_length: 5000 }, 'math expression over 5,000')
  const typed = check({ type: 'math', expression: 'x'.repeat(6000) })
  t.equal(!typed.ok && typed.type, 'math', 'a failure names the claim type when it is known (the verifier can name its engine)')
  const untyped = check({ type: 'nope' })
  t.equal(!untyped.ok && untyped.type, undefined, 'not for an unknown type')
  t.equal(refused({ type: 'math', expression: '1+'.repeat(2499) + '1' }), null, 'exactly 4,999 characters pass')
  t.same(refused({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1', 'x < '.repeat(1100) + '1'] }),
    { constraint_id: 'claim.too_long', field: 'constraints[1]', max_length: 4096 }, 'the path of an array item')
  t.same(refused({ type: 'code', language: 'python', code: 'x'.repeat(204_801) }), { constraint_id: 'claim.too_long', field: 'code', max_length: 204_800 })

  t.same(refused({ type: 'math', expression: '1', a: [[1, 2], [3, 4]], cashFlows: new Array(1001).fill(1) }),
    { constraint_id: 'claim.too_many_items', field: 'cashFlows', max_array_length: 1000 })
  t.same(refused({ type: 'stats', statistic: 'mean', data: [1], y: new Array(100_001).fill(1), expected: 1 }),
    { constraint_id: 'claim.too_many_items', field: 'y', max_array_length: 100_000 })
  t.equal(refused({ type: 'stats', statistic: 'mean', data: new Array(100_000).fill(1), expected: 1 }), null, '100,000 values pass')
  t.same(refused({ type: 'logic', check: 'satisfiable', variables: {}, constraints: new Array(201).fill('x > 1') }),
    { constraint_id: 'claim.too_many_items', field: 'constraints', max_array_length: 200 })

  let deep: unknown = 1
  for (let i = 0; i < 64; i++) deep = [deep]
  t.same(refused({ type: 'schema', data: deep, schema: true }), { constraint_id: 'claim.too_deep', max_depth: 64 }, 'nested deeper than 64')
  t.equal(refused({ type: 'schema', data: (deep as unknown[])[0], schema: true }), null, 'a leaf at depth 64 passes')

  t.same(refused({ type: 'schema', data: 'x'.repeat(900_000), schema: { type: 'string', description: 'y'.repeat(200_000) } }),
    { constraint_id: 'claim.too_large', max_bytes: 1_048_576 }, 'over 1 MiB in total')
  t.same(refused({ type: 'schema', data: 'é'.repeat(600_000), schema: true }), { constraint_id: 'claim.too_large', max_bytes: 1_048_576 },
    '600,000 characters but 1.2 MB of UTF-8: the exact size is checked after canonicalisation')
})

t.test('the SQL DDL keeps the SQL engine\'s own, larger cap', async (t) => {
  const ddl = 'CREATE TABLE t (a INT);\n'.repeat(8000) // 192,000 characters
  t.equal(refused({ type: 'sql', query: 'SELECT a FROM t', schema: ddl }), null, 'a 192 KB schema passes although sql.maxLength is 65,536')
  t.same(refused({ type: 'sql', query: 'SELECT a FROM t', schema: 'x'.repeat(MAX_SCHEMA_CHARS + 1) }),
    { constraint_id: 'claim.too_long', field: 'schema', max_length: MAX_SCHEMA_CHARS })
  t.same(refused({ type: 'sql', query: 'SELECT ' + 'a'.repeat(MAX_QUERY_CHARS) }), { constraint_id: 'claim.too_long', field: 'query', max_length: MAX_QUERY_CHARS })
  const small = resolveClaimLimits({ sql: { maxLength: 100 } })
  t.equal(refused({ type: 'sql', query: 'SELECT a FROM t', schema: ddl }, small), null, 'a smaller sql.maxLength leaves the DDL at its cap')
  t.same(refused({ type: 'sql', query: 'SELECT a FROM t', dialect: 'x'.repeat(101) }, small), { constraint_id: 'claim.too_long', field: 'dialect', max_length: 100 })
  t.same(refused({ type: 'sql', query: 'SELECT 1', limits: { schema: 'x'.repeat(70_000) } }), { constraint_id: 'claim.too_long', field: 'limits.*', max_length: MAX_QUERY_CHARS },
    'only the top-level `schema` field is the DDL')
})

t.test('a verdict never carries a key the client chose', async (t) => {
  const secret = 'customer_ssn_123-45-6789'
  const cases = [
    { type: 'math', expression: '1', [secret]: 'x'.repeat(6000) },
    { type: 'schema', schema: true, data: { [secret]: { [secret]: new Array(100_001).fill(0) } } },
    { type: 'script', [secret]: ['x'.repeat(2_000_000)] }
  ]
  const paths = ['*', 'data.*.*', '*[0]']
  cases.forEach((claim, i) => {
    const r = check(claim)
    t.equal(r.ok, false)
    const text = JSON.stringify(r)
    t.notOk(text.includes(secret), `case ${i}: no key in the verdict`)
    if (!r.ok) t.equal(r.result.developer_fields.field, paths[i], `case ${i}: the path uses *`)
  })
})

/** The array behind a proxy that counts reads of its items (not of its length). */
function countingArray (items: number[]): { array: number[], reads: () => number } {
  let reads = 0
  const array = new Proxy(items, {
    get (target, key, receiver) {
      if (typeof key === 'string' && /^[0-9]+$/.test(key)) reads++
      return Reflect.get(target, key, receiver)
    },
    has (target, key) {
      if (typeof key === 'string' && /^[0-9]+$/.test(key)) reads++
      return Reflect.has(target, key)
    }
  })
  return { array, reads: () => reads }
}

t.test('early exits: a huge claim costs nothing', async (t) => {
  const huge = new Array<number>(10_000_000).fill(0)
  const counted = countingArray(huge)
  t.match(refused({ type: 'stats', statistic: 'mean', data: counted.array, expected: 0 }), { constraint_id: 'claim.too_many_items' })
  t.equal(counted.reads(), 0, 'a 10^7-item array is refused before any item is read')
  const sized = countingArray(huge)
  t.match(refused({ type: 'script', data: sized.array }, resolveClaimLimits({ '*': { maxArrayLength: 20_000_000 } })), { constraint_id: 'claim.too_large' }, 'an array within the item limit, too large in bytes')
  t.equal(sized.reads(), 0, 'too large before pushing its items')
  const wide = Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, i]))
  t.match(refused({ type: 'script', data: wide }), { constraint_id: 'claim.too_large' }, 'a wide object')
  const long = 'x'.repeat(50_000_000)
  const stringify = JSON.stringify
  let serialised = 0
  JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) => { serialised++; return stringify(...args) }) as typeof JSON.stringify
  try {
    t.match(refused({ type: 'script', text: long }), { constraint_id: 'claim.too_long', field: '*', max_length: 1_048_576 }, "a 50 MB string under '*'")
  } finally {
    JSON.stringify = stringify
  }
  t.equal(serialised, 0, 'without serialising it')
})

t.test("'*' limits apply to every type that has no entry of its own", async (t) => {
  t.same(refused({ type: 'script', big: 'x'.repeat(5000) }, resolveClaimLimits({ '*': { maxBytes: 1000 } })), { constraint_id: 'claim.too_large', max_bytes: 1000 })
  let deep: unknown = { type: 'script' }
  for (let i = 0; i < 100; i++) deep = { type: 'script', inner: deep }
  t.same(refused(deep), { constraint_id: 'claim.too_deep', max_depth: 64 }, 'the default depth of 64')
  t.equal(check({ type: 'sql', query: 'SELECT 1' }, resolveClaimLimits({ '*': { maxBytes: 5000 } })).ok, true)
})

t.test('through the verifier: the `limits` option', async (t) => {
  const verifier = createVerifier({ audit: false, limits: { math: { maxLength: 10 }, '*': { maxDepth: 4 } } })
  t.teardown(() => verifier.close())
  const long = await verifier.verify({ type: 'math', expression: '1+1+1+1+1+1 = 6' })
  t.match(long, { status: 'BLOCKED', admission: 'BLOCKED', developer_fields: { constraint_id: 'claim.too_long', field: 'expression', max_length: 10 } })
  const short = await verifier.verify({ type: 'math', expression: '2+2 = 4' })
  t.equal(short.admission, 'ADMIT')
  const deep = await verifier.verify({ type: 'schema', schema: true, data: [[[[1]]]] })
  t.match(deep.developer_fields, { constraint_id: 'claim.too_deep', max_depth: 4 })
  t.throws(() => createVerifier({ limits: { sql: { maxLength: 100_000 } } }), /limits\.sql\.maxLength.*at most 65536/)
})
