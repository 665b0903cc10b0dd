import t from 'tap'
import type { SchemaClaim, TransactionClaim } from '../types/claims.js'
import type { EngineResult } from '../types/engine.js'
import { createSchemaEngine, type SchemaEngineOptions } from '../lib/engines/schema.js'
import { createTransactionEngine } from '../lib/engines/schema/transaction.js'
import { admissionOf } from '../lib/result.js'

type AnyClaim = SchemaClaim | TransactionClaim

function engineWith (options: SchemaEngineOptions = {}) {
  const compiled: string[] = []
  const engine = createSchemaEngine({ ...options, onCompile: (hash) => { compiled.push(hash) } })
  const transactions = createTransactionEngine()
  const run = async (claim: unknown, signal = new AbortController().signal): Promise<EngineResult & { admission: string }> => {
    const result = (claim as AnyClaim | null)?.type === 'transaction'
      ? await transactions.verify(claim as TransactionClaim, { signal })
      : await engine.verify(claim as SchemaClaim, { signal })
    return { ...result, admission: admissionOf(result) }
  }
  return { engine, run, compiled }
}

const { run } = engineWith()
const schemaClaim = (data: unknown, schema: unknown): unknown => ({ type: 'schema', data, schema })
const issuesOf = (r: EngineResult) => r.developer_fields.issues as Array<{ path: string, keyword: string, message: string }>

const person = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    age: { type: 'integer', minimum: 0 },
    tags: { type: 'array', items: { type: 'string' } }
  },
  required: ['name', 'age'],
  additionalProperties: false
}

t.test('engine identity', async (t) => {
  const { engine } = engineWith()
  t.equal(engine.name, 'schema')
  t.same(engine.claimTypes, ['schema'])
  t.equal(createTransactionEngine().name, 'transaction', 'transactions are labelled as such in results, metrics and audit records')
  t.same(createTransactionEngine().claimTypes, ['transaction'])
  t.equal((await engine.verify({ type: 'transaction' } as unknown as SchemaClaim, { signal: new AbortController().signal })).developer_fields.constraint_id, 'schema.unsupported_claim')
})

t.test('a valid document is VERIFIED, is_valid true, ADMIT', async (t) => {
  const r = await run(schemaClaim({ name: 'Ada', age: 36, tags: ['math'] }, person))
  t.equal(r.status, 'VERIFIED')
  t.equal(r.admission, 'ADMIT')
  t.equal(r.agent_message, 'Data conforms to the declared schema.')
  t.equal(r.developer_fields.constraint_id, 'schema.schema_valid')
  t.equal(r.developer_fields.is_valid, true)
  t.same(r.developer_fields.issues, [])
  t.match(r.proof_ref, /^sha256:[0-9a-f]{64}$/)
  t.match(r.developer_fields.schema_hash, /^sha256:[0-9a-f]{64}$/)
  t.match(r.developer_fields.data_hash, /^sha256:[0-9a-f]{64}$/)
})

t.test('an invalid document is VERIFIED, is_valid false, BLOCKED, with sorted JSON-pointer issues', async (t) => {
  const r = await run(schemaClaim({ name: '', tags: ['a', 3], role: 'admin' }, person))
  t.equal(r.status, 'VERIFIED')
  t.equal(r.admission, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'schema.schema_violation')
  t.equal(r.developer_fields.is_valid, false)
  t.match(r.proof_ref, /^sha256:/, 'the analysis is proven even though the document is invalid')
  t.same(issuesOf(r).map((i) => [i.path, i.keyword]), [
    ['/age', 'required'],
    ['/name', 'minLength'],
    ['/role', 'additionalProperties'],
    ['/tags/1', 'type']
  ])
  t.equal(r.agent_message, 'Data does not conform to the declared schema (4 violation(s) detected).')
  t.same(r.developer_fields.summary, { total_issues: 4, errors: 4, warnings: 0, listed: 4 })
  t.notMatch(r.agent_message, /required|additionalProperties|schema\./, 'no rule internals in agent_message')
})

t.test('pointer paths escape ~ and / in keys', async (t) => {
  const r = await run(schemaClaim({ 'a/b': 1, 'c~d': 'x' }, { properties: { 'a/b': { type: 'string' }, 'c~d': { type: 'number' } } }))
  t.same(issuesOf(r).map((i) => i.path), ['/a~1b', '/c~0d'])
  const same = await run(schemaClaim('ab', { allOf: [{ pattern: '^y' }, { pattern: '^x' }], minLength: 5 }))
  t.same(issuesOf(same).map((i) => [i.keyword, i.message]), [
    ['minLength', 'must NOT have fewer than 5 characters'],
    ['pattern', 'must match pattern "^x"'],
    ['pattern', 'must match pattern "^y"']
  ], 'issues at one path are sorted by keyword, then message')
})

t.test('the issue list is capped, the count is not', async (t) => {
  const { run } = engineWith({ maxIssues: 3 })
  const r = await run(schemaClaim(Array.from({ length: 10 }, (_, i) => i), { items: { type: 'string' } }))
  t.equal(issuesOf(r).length, 3)
  t.equal((r.developer_fields.summary as Record<string, number>).total_issues, 10)
  t.match(r.agent_message, /\(10 violation\(s\) detected\)/)
})

t.test('formats are assertions: email, date-time, uuid', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['email', 'ada@example.com', true],
    ['email', 'not-an-email', false],
    ['email', 'a@b@c.com', false],
    ['date-time', '2024-02-29T12:30:00Z', true],
    ['date-time', '2024-02-30T12:30:00Z', false],
    ['date-time', '2024-01-01', false],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
    ['uuid', '123e4567-e89b-12d3-a456-42661417400', false],
    ['uuid', 'zzze4567-e89b-12d3-a456-426614174000', false]
  ]
  for (const [format, value, valid] of cases) {
    const r = await run(schemaClaim(value, { type: 'string', format }))
    t.equal(r.status, 'VERIFIED', `${format} ${value}`)
    t.equal(r.developer_fields.is_valid, valid, `${format} ${value} is ${valid ? 'valid' : 'invalid'}`)
    if (!valid) t.equal(issuesOf(r)[0]?.keyword, 'format')
  }
})

t.test('format checks stay linear and refuse oversized strings', async (t) => {
  // ajv-formats' `url` regex is quadratic on this input (80 kB took 12 s); ours is the uri check.
  const r = await run(schemaClaim('http://[' + '1:'.repeat(40_000) + ']', { format: 'url' }))
  t.equal(r.developer_fields.is_valid, false)
  t.equal((await run(schemaClaim('https://example.com/a?b=c', { format: 'url' }))).developer_fields.is_valid, true)
  t.equal((await run(schemaClaim('mailto:x@example.com', { format: 'url' }))).developer_fields.is_valid, false, 'url allows only http(s) and ftp')
  const long = 'https://example.com/' + 'a'.repeat(70_000)
  t.equal((await run(schemaClaim(long, { format: 'uri' }))).developer_fields.is_valid, false, 'a format string over 64 KiB fails')
})

t.test('JSON numbers: 1.0 is an integer', async (t) => {
  for (const data of [JSON.parse('1.0'), 1, -0, 1e20]) {
    t.equal((await run(schemaClaim(data, { type: 'integer' }))).developer_fields.is_valid, true, `${data} is an integer`)
  }
  t.equal((await run(schemaClaim(1.5, { type: 'integer' }))).developer_fields.is_valid, false)
  t.equal((await run(schemaClaim(true, { type: 'integer' }))).developer_fields.is_valid, false, 'a boolean is not an integer')
})

t.test('multipleOf is exact in decimal', async (t) => {
  const cases: Array<[number, number, boolean]> = [
    [0.3, 0.1, true],
    [0.7, 0.1, true],
    [0.35, 0.1, false],
    [19.99, 0.01, true],
    [19.995, 0.01, false],
    [10, 5, true],
    [7, 5, false],
    [4.5, 1.5, true],
    [1e21, 0.5, true],
    [1e-7, 1e-8, true],
    [1.5e-7, 1e-7, false],
    [-0.9, 0.3, true]
  ]
  for (const [value, divisor, valid] of cases) {
    const r = await run(schemaClaim(value, { multipleOf: divisor }))
    t.equal(r.developer_fields.is_valid, valid, `${value} multipleOf ${divisor}: ${valid}`)
    if (!valid) t.same(issuesOf(r)[0], { path: '', keyword: 'multipleOf', message: `must be multiple of ${divisor}` })
  }
})

t.test('pattern runs on RE2: a ReDoS pattern finishes fast', async (t) => {
  const r = await run(schemaClaim('a'.repeat(40) + 'b', { type: 'string', pattern: '^(a+)+$' }))
  t.equal(r.status, 'VERIFIED')
  t.equal(r.developer_fields.is_valid, false)
  t.equal(issuesOf(r)[0]?.keyword, 'pattern')
  t.equal((await run(schemaClaim('a'.repeat(40), { pattern: '^(a+)+$' }))).developer_fields.is_valid, true)

  const keys = await run(schemaClaim({ ['a'.repeat(40) + 'b']: 1 }, { patternProperties: { '^(a+)+$': { type: 'string' } }, additionalProperties: false }))
  t.equal(keys.developer_fields.is_valid, false, 'patternProperties keys go through RE2 too')
  t.equal(issuesOf(keys)[0]?.keyword, 'additionalProperties')
})

t.test('each pattern keeps its own regex (ajv caches patterns by toString)', async (t) => {
  const r = await run(schemaClaim({ a: 'abc', b: '123', c: 'abc' }, {
    properties: { a: { pattern: '^[a-z]+$' }, b: { pattern: '^[0-9]+$' }, c: { pattern: '^[0-9]+$' } }
  }))
  t.same(issuesOf(r).map((i) => i.path), ['/c'])
})

t.test('patterns keep their ECMAScript meaning on RE2', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['^[\\u0000-\\u007F]*$', 'plain ascii', true],
    ['^[\\u0000-\\u007F]*$', 'café', false],
    ['^\\ud83d\\ude00$', '😀', true],
    ['^\\u{1F600}$', '😀', true],
    ['^.$', '😀', true],
    ['^a.b$', 'a\rb', false],
    ['^\\S+$', 'a\u00a0b', false],
    ['^\\s$', '\ufeff', true],
    ['^[^]$', '\n', true],
    ['^\\cA$', '\u0001', true]
  ]
  for (const [pattern, value, valid] of cases) {
    t.equal(new RegExp(pattern, 'u').test(value), valid, `JavaScript: ${pattern} on ${JSON.stringify(value)}`)
    t.equal((await run(schemaClaim(value, { pattern }))).developer_fields.is_valid, valid, `RE2: ${pattern} on ${JSON.stringify(value)}`)
  }
})

t.test('patterns RE2 cannot run are refused: BLOCKED schema.parse_error', async (t) => {
  for (const schema of [
    { type: 'string', pattern: '^(a)\\1$' },
    { pattern: '(?=a)a' },
    { patternProperties: { '(x)\\1': {} } },
    { properties: { nested: { items: { pattern: '(?<!a)b' } } } }
  ]) {
    const r = await run(schemaClaim('aa', schema))
    t.equal(r.status, 'BLOCKED', JSON.stringify(schema))
    t.equal(r.admission, 'BLOCKED')
    t.equal(r.developer_fields.constraint_id, 'schema.parse_error')
    t.equal(r.developer_fields.reason, 'unsupported_pattern')
    t.equal(r.proof_ref, null)
  }
})

t.test('unknown keywords are tolerated', async (t) => {
  const r = await run(schemaClaim({ id: 1 }, {
    type: 'object',
    example: { id: 2 },
    'x-internal': true,
    properties: { id: { type: 'integer', description: 'the id', examples: [1], deprecated: false, nullable: true } }
  }))
  t.equal(r.status, 'VERIFIED')
  t.equal(r.developer_fields.is_valid, true)
})

t.test('boolean schemas', async (t) => {
  t.equal((await run(schemaClaim({ any: 'thing' }, true))).developer_fields.is_valid, true)
  const no = await run(schemaClaim(1, false))
  t.equal(no.status, 'VERIFIED')
  t.equal(no.developer_fields.is_valid, false)
})

t.test('malformed schemas are BLOCKED schema.parse_error', async (t) => {
  const bad: unknown[] = [
    'not a schema',
    ['type', 'string'],
    null,
    42,
    { type: 'not-a-real-type' },
    { type: ['string', 'banana'] },
    { type: 'number', minimum: 'zero' },
    { type: 'number', multipleOf: 0 },
    { type: 'object', required: 'name' },
    { type: 'object', properties: { a: 'str' } },
    { type: 'string', minLength: -1 },
    { type: 'array', items: [{ type: 'string' }] },
    { $ref: '#/$defs/missing' },
    { $ref: 'https://example.com/remote.json' },
    { $ref: 'other.json#/x' },
    { $schema: 'http://json-schema.org/draft-04/schema#', type: 'string' },
    { $schema: 'http://json-schema.org/draft-07/schema#', items: [{ type: 'string' }] },
    { $recursiveRef: '#' },
    { anyOf: [{ type: 'number' }, { $ref: '#' }] },
    { $defs: { a: { allOf: [{ $ref: '#/$defs/b' }] }, b: { not: { $ref: '#/$defs/a' } } }, $ref: '#/$defs/a' }
  ]
  for (const schema of bad) {
    const r = await run(schemaClaim('x', schema))
    t.equal(r.status, 'BLOCKED', JSON.stringify(schema))
    t.equal(r.developer_fields.constraint_id, 'schema.parse_error', JSON.stringify(schema))
    t.equal(r.proof_ref, null)
    t.equal(r.is_authoritative, false)
  }
  const remote = await run(schemaClaim('x', { $ref: 'https://example.com/remote.json' }))
  t.equal(remote.developer_fields.reason, 'unresolved_ref')
  const recursive = await run(schemaClaim('x', { anyOf: [{ type: 'number' }, { $ref: '#' }] }))
  t.equal(recursive.developer_fields.reason, 'infinite_recursion')
})

t.test('$schema, $defs, $id, $anchor and recursive refs resolve inside the document', async (t) => {
  const draft7 = await run(schemaClaim('x', { $schema: 'http://json-schema.org/draft-07/schema#', definitions: { s: { type: 'string' } }, $ref: '#/definitions/s' }))
  t.equal(draft7.developer_fields.is_valid, true, 'draft-07 $schema and definitions are accepted')
  const s2020 = await run(schemaClaim(3, { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'string' }))
  t.equal(s2020.developer_fields.is_valid, false)

  const withIds = {
    $id: 'https://example.com/schemas/order.json',
    type: 'object',
    properties: {
      sku: { $ref: 'sku.json' },
      qty: { $ref: '#qty' },
      note: { $ref: '#/$defs/note' }
    },
    $defs: {
      sku: { $id: 'sku.json', type: 'string', pattern: '^SKU-[0-9]+$' },
      qty: { $anchor: 'qty', type: 'integer', minimum: 1 },
      note: { type: 'string', maxLength: 5 }
    }
  }
  t.equal((await run(schemaClaim({ sku: 'SKU-1', qty: 2, note: 'ok' }, withIds))).developer_fields.is_valid, true)
  const bad = await run(schemaClaim({ sku: 'X', qty: 0, note: 'too long' }, withIds))
  t.same(issuesOf(bad).map((i) => [i.path, i.keyword]), [['/note', 'maxLength'], ['/qty', 'minimum'], ['/sku', 'pattern']])

  const tree = {
    $defs: { node: { type: 'object', properties: { value: { type: 'number' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['value'] } },
    $ref: '#/$defs/node'
  }
  t.equal((await run(schemaClaim({ value: 1, children: [{ value: 2, children: [{ value: 3 }] }] }, tree))).developer_fields.is_valid, true)
  const broken = await run(schemaClaim({ value: 1, children: [{ value: 2, children: [{}] }] }, tree))
  t.same(issuesOf(broken).map((i) => i.path), ['/children/0/children/0/value'])
})

t.test('more reference forms: array pointers, $dynamicRef, dependentRequired; node and anchor limits', async (t) => {
  const pointer = await run(schemaClaim(5, { allOf: [{ type: 'integer' }], $ref: '#/allOf/0' }))
  t.equal(pointer.developer_fields.is_valid, true)
  const missingAnchor = await run(schemaClaim(5, { $ref: '#nowhere' }))
  t.equal(missingAnchor.developer_fields.constraint_id, 'schema.parse_error')

  const dynamic = {
    $id: 'https://example.com/list.json',
    $dynamicAnchor: 'item',
    type: 'array',
    items: { $dynamicRef: '#item' },
    $defs: { leaf: { $dynamicAnchor: 'item', type: 'string' } }
  }
  t.equal((await run(schemaClaim([[], [[]]], dynamic))).status, 'VERIFIED', '$dynamicRef compiles and is costed')

  const dependent = { dependentRequired: { card: ['cvv', 'expiry'] } }
  const r = await run(schemaClaim({ card: '4111' }, dependent))
  t.same(issuesOf(r).map((i) => [i.path, i.keyword]), [['/cvv', 'dependentRequired'], ['/expiry', 'dependentRequired']])

  const { run: few } = engineWith({ maxSchemaNodes: 5 })
  const many = await few(schemaClaim({}, { properties: { a: {}, b: {}, c: {}, d: {}, e: {}, f: {} } }))
  t.equal(many.developer_fields.constraint_id, 'schema.too_large')
  t.equal(many.developer_fields.reason, 'too_many_nodes')
})

t.test('uniqueItems compares JSON values, not object identity or key order', async (t) => {
  const dup = await run(schemaClaim([{ a: 1, b: [2, 3] }, { b: [2, 3], a: 1 }], { uniqueItems: true }))
  t.equal(dup.developer_fields.is_valid, false)
  t.match(issuesOf(dup)[0]?.message, /items ## 0 and 1 are identical/)
  t.equal((await run(schemaClaim([1, JSON.parse('1.0')], { uniqueItems: true }))).developer_fields.is_valid, false)
  t.equal((await run(schemaClaim([{ a: 1 }, { a: 2 }, [1], '1', 1], { uniqueItems: true }))).developer_fields.is_valid, true)
  t.equal((await run(schemaClaim([1, 1], { uniqueItems: false }))).developer_fields.is_valid, true)
})

t.test('compiled schemas are cached by canonical hash', async (t) => {
  const { run, compiled } = engineWith()
  await run(schemaClaim({ name: 'a', age: 1 }, person))
  await run(schemaClaim({ name: 'b', age: 2 }, JSON.parse(JSON.stringify(person))))
  const reordered = { additionalProperties: false, required: ['name', 'age'], properties: person.properties, type: 'object' }
  await run(schemaClaim({ name: 'c' }, reordered))
  t.equal(compiled.length, 1, 'equal schemas (any key order, any object identity) compile once')
  await run(schemaClaim('x', { type: 'string' }))
  t.equal(compiled.length, 2, 'a different schema compiles')
  await run(schemaClaim('x', { type: 'bogus' }))
  await run(schemaClaim('y', { type: 'bogus' }))
  t.equal(compiled.length, 3, 'a refused schema is remembered too')

  const small = engineWith({ cacheSize: 1 })
  await small.run(schemaClaim(1, { type: 'number' }))
  await small.run(schemaClaim(1, { type: 'integer' }))
  await small.run(schemaClaim(1, { type: 'number' }))
  t.equal(small.compiled.length, 3, 'the LRU evicts beyond cacheSize')
})

t.test('the proof binds schema, data and verdict', async (t) => {
  const a = await run(schemaClaim({ b: 1, a: [1, 2] }, { type: 'object', properties: { a: { type: 'array' } } }))
  const b = await run(schemaClaim({ a: [1, 2], b: 1 }, { properties: { a: { type: 'array' } }, type: 'object' }))
  const c = await run(schemaClaim({ a: [1, 3], b: 1 }, { properties: { a: { type: 'array' } }, type: 'object' }))
  t.equal(a.proof_ref, b.proof_ref, 'key order does not change the proof')
  t.not(a.proof_ref, c.proof_ref, 'other data, other proof')
  t.not(a.developer_fields.data_hash, c.developer_fields.data_hash)
  t.equal(a.developer_fields.schema_hash, c.developer_fields.schema_hash)
})

t.test('data is validated as the JSON it serialises to', async (t) => {
  const r = await run(schemaClaim({ when: new Date('2024-01-02T03:04:05Z') }, { properties: { when: { type: 'string', format: 'date-time' } } }))
  t.equal(r.developer_fields.is_valid, true, 'toJSON applied, as in the hash')
})

t.test('size, depth and non-JSON limits are BLOCKED', async (t) => {
  const big = await run(schemaClaim('x'.repeat(1_100_000), { type: 'string' }))
  t.equal(big.status, 'BLOCKED')
  t.equal(big.developer_fields.constraint_id, 'schema.too_large')
  t.equal(big.developer_fields.target, 'data')

  const many = await run(schemaClaim(Array.from({ length: 300_000 }, () => 'abc'), { type: 'array' }))
  t.equal(many.developer_fields.constraint_id, 'schema.too_large', '300 000 short strings pass 1 MB')

  const small = engineWith({ maxDataBytes: 100 })
  t.equal((await small.run(schemaClaim({ text: 'y'.repeat(120) }, true))).developer_fields.constraint_id, 'schema.too_large')
  t.equal((await small.run(schemaClaim({ text: 'y'.repeat(50) }, true))).developer_fields.constraint_id, 'schema.schema_valid')

  let deep: unknown = 1
  for (let i = 0; i < 70; i++) deep = [deep]
  const tooDeep = await run(schemaClaim(deep, true))
  t.equal(tooDeep.status, 'BLOCKED')
  t.equal(tooDeep.developer_fields.constraint_id, 'schema.too_deep')
  let ok: unknown = 1
  for (let i = 0; i < 60; i++) ok = { a: ok }
  t.equal((await run(schemaClaim(ok, true))).developer_fields.constraint_id, 'schema.schema_valid', '60 levels are fine')

  const bigSchema: Record<string, unknown> = { type: 'object', properties: {} }
  for (let i = 0; i < 3000; i++) (bigSchema.properties as Record<string, unknown>)['property' + i] = { type: 'string' }
  const schemaTooLarge = await run(schemaClaim({}, bigSchema))
  t.equal(schemaTooLarge.developer_fields.constraint_id, 'schema.too_large')
  t.equal(schemaTooLarge.developer_fields.target, 'schema')

  let deepSchema: Record<string, unknown> = { type: 'string' }
  for (let i = 0; i < 70; i++) deepSchema = { type: 'object', properties: { a: deepSchema } }
  t.equal((await run(schemaClaim({}, deepSchema))).developer_fields.constraint_id, 'schema.too_deep')

  const cyclic: Record<string, unknown> = { a: 1 }
  cyclic.self = cyclic
  t.equal((await run(schemaClaim(cyclic, true))).developer_fields.constraint_id, 'schema.invalid_data')
  t.equal((await run(schemaClaim(Number.NaN, { type: 'number' }))).developer_fields.constraint_id, 'schema.invalid_data')
  t.equal((await run(schemaClaim({ f: () => 1 }, true))).developer_fields.constraint_id, 'schema.invalid_data')
  t.equal((await run({ type: 'schema', schema: true })).developer_fields.constraint_id, 'schema.invalid_data', 'missing data')
  t.equal((await run(schemaClaim('\ud800', true))).developer_fields.constraint_id, 'schema.invalid_data', 'lone surrogate')
  const cyclicSchema: Record<string, unknown> = { type: 'object' }
  cyclicSchema.properties = { self: cyclicSchema }
  t.equal((await run(schemaClaim({}, cyclicSchema))).developer_fields.constraint_id, 'schema.parse_error')
})

t.test('only own properties are present: inherited names never satisfy a schema', async (t) => {
  // Found by test/security-parser-escapes.test.ts: `required` naming Object.prototype members was
  // met by `{}` (ajv read `data.constructor !== undefined`), so an empty object was ADMITted.
  const inherited = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'isPrototypeOf']
  for (const name of inherited) {
    const schema = JSON.parse(`{"type":"object","required":[${JSON.stringify(name)}]}`)
    const r = await run(schemaClaim({}, schema))
    t.equal(r.developer_fields.constraint_id, 'schema.schema_violation', `required ${name} is not met by {}`)
    t.equal(r.admission, 'BLOCKED')
    t.same(issuesOf(r).map((i) => [i.path, i.keyword]), [[`/${name}`, 'required']])
  }
  const both = await run(schemaClaim({}, { type: 'object', required: ['constructor', 'toString'] }))
  t.equal(issuesOf(both).length, 2)
  // present as own properties (JSON.parse makes `__proto__` an own key): met
  t.equal((await run(schemaClaim(JSON.parse('{"__proto__": 1, "constructor": 2}'), JSON.parse('{"required":["__proto__","constructor"]}')))).admission, 'ADMIT')
  // dependentRequired: an inherited trigger does not fire, an inherited dependency is not present
  t.equal((await run(schemaClaim({}, { dependentRequired: { toString: ['zz'] } }))).admission, 'ADMIT')
  t.equal((await run(schemaClaim({ a: 1 }, { dependentRequired: { a: ['hasOwnProperty'] } }))).developer_fields.constraint_id, 'schema.schema_violation')
  t.equal((await run(schemaClaim({}, { dependentSchemas: { toString: false } }))).admission, 'ADMIT', 'an inherited name does not trigger dependentSchemas')
  t.equal((await run(schemaClaim({}, { if: { required: ['constructor'] }, then: false }))).admission, 'ADMIT', 'if/then sees no constructor either')
  // properties: an inherited value is not the property's value (Object is not a string)
  t.equal((await run(schemaClaim({}, { properties: { constructor: { type: 'string' } } }))).admission, 'ADMIT')
  t.equal((await run(schemaClaim({ constructor: 5 }, { properties: { constructor: { type: 'string' } } }))).developer_fields.constraint_id, 'schema.schema_violation')
  t.equal((await run(schemaClaim(JSON.parse('{"__proto__": 1}'), { properties: { a: {} }, additionalProperties: false }))).developer_fields.constraint_id, 'schema.schema_violation', 'an own __proto__ key is an additional property')
  // ajv would silently skip a `__proto__` subschema: refused instead of half-honoured
  for (const keyword of ['properties', 'patternProperties', 'dependentSchemas']) {
    const schema = JSON.parse(`{"${keyword}":{"__proto__":{"type":"string"}}}`)
    const r = await run(schemaClaim(JSON.parse('{"__proto__": 5}'), schema))
    t.equal(r.developer_fields.constraint_id, 'schema.parse_error', `${keyword} with a __proto__ key`)
    t.equal(r.developer_fields.reason, 'unsupported_property_name')
  }
  const nested = JSON.parse('{"items":{"dependentRequired":{"__proto__":["a"]}}}')
  t.equal((await run(schemaClaim([], nested))).developer_fields.constraint_id, 'schema.parse_error', 'anywhere in the schema')
})

t.test('arrays with holes are not JSON: BLOCKED, never a throw', async (t) => {
  /* eslint-disable no-sparse-arrays */
  const holey: unknown[] = [[, ,], [1, , 2], new Array(3), { a: [1, , 3] }, [[, 1]]]
  /* eslint-enable no-sparse-arrays */
  for (const data of holey) {
    for (const schema of [true, false, { type: 'array' }, {}]) {
      const r = await run(schemaClaim(data, schema))
      t.equal(r.status, 'BLOCKED', `data ${String(JSON.stringify(data))} against ${JSON.stringify(schema)}`)
      t.equal(r.developer_fields.constraint_id, 'schema.invalid_data')
    }
  }
  // a hole produced by toJSON (not shape-checked before canonicalisation)
  // eslint-disable-next-line no-sparse-arrays
  const r = await run(schemaClaim({ toJSON: () => [1, , 2] }, true))
  t.equal(r.developer_fields.constraint_id, 'schema.invalid_data', 'toJSON returning a sparse array')
  // a hole in the schema
  // eslint-disable-next-line no-sparse-arrays
  const s = await run(schemaClaim(1, { enum: [1, , 2] }))
  t.equal(s.status, 'BLOCKED')
  t.equal(s.developer_fields.constraint_id, 'schema.parse_error')
  // eslint-disable-next-line no-sparse-arrays
  t.equal((await run(schemaClaim({}, { required: [, 'a'] }))).status, 'BLOCKED')
  t.equal((await run(schemaClaim([1, 2], { type: 'array' }))).admission, 'ADMIT', 'a dense array is fine')
})

t.test('validation that would take too long is refused before it runs', async (t) => {
  // 40 levels of allOf [$ref next, $ref next]: 2^40 evaluations of one string.
  const defs: Record<string, unknown> = {}
  for (let i = 0; i < 40; i++) defs['d' + i] = { allOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] }
  defs.d40 = { type: 'string' }
  const bomb = await run(schemaClaim('x', { $defs: defs, $ref: '#/$defs/d0' }))
  t.equal(bomb.status, 'BLOCKED')
  t.equal(bomb.developer_fields.constraint_id, 'schema.too_complex')

  // The same amplification through the data: every level of nesting doubles the work.
  const doubling = { $defs: { n: { allOf: [{ items: { $ref: '#/$defs/n' } }, { items: { $ref: '#/$defs/n' } }] } }, $ref: '#/$defs/n' }
  let nested: unknown = []
  for (let i = 0; i < 40; i++) nested = [nested]
  t.equal((await run(schemaClaim(nested, doubling))).developer_fields.constraint_id, 'schema.too_complex')

  // A big enum against a big array.
  const enumSchema = { type: 'array', items: { enum: Array.from({ length: 3000 }, (_, i) => 'value-' + i) } }
  const data = Array.from({ length: 50_000 }, (_, i) => 'v' + i)
  t.equal((await run(schemaClaim(data, enumSchema))).developer_fields.constraint_id, 'schema.too_complex')

  // Many failing oneOf branches per element (each failure builds an error object).
  const oneOf = { type: 'array', items: { oneOf: Array.from({ length: 200 }, (_, i) => ({ const: i })) } }
  t.equal((await run(schemaClaim(Array.from({ length: 20_000 }, (_, i) => -i), oneOf))).developer_fields.constraint_id, 'schema.too_complex')

  const { run: tight } = engineWith({ workBudget: 50 })
  t.equal((await tight(schemaClaim([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { items: { type: 'integer', minimum: 0 } }))).developer_fields.constraint_id, 'schema.too_complex', 'the budget is an option')
})

t.test('a large ordinary document is within the budget', async (t) => {
  const orders = Array.from({ length: 3000 }, (_, i) => ({
    id: i,
    sku: 'SKU-' + i,
    email: `buyer${i}@example.com`,
    qty: (i % 7) + 1,
    price: 9.99,
    created: '2024-01-01T00:00:00Z',
    tags: ['a', 'b']
  }))
  const schema = {
    type: 'array',
    items: {
      type: 'object',
      required: ['id', 'sku'],
      additionalProperties: false,
      properties: {
        id: { type: 'integer', minimum: 0 },
        sku: { type: 'string', pattern: '^SKU-[0-9]+$' },
        email: { type: 'string', format: 'email' },
        qty: { type: 'integer', minimum: 1 },
        price: { type: 'number', multipleOf: 0.01 },
        created: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { enum: ['a', 'b', 'c'] }, uniqueItems: true }
      }
    }
  }
  const r = await run(schemaClaim(orders, schema))
  t.equal(r.developer_fields.constraint_id, 'schema.schema_valid')
  orders[2999]!.qty = 0
  t.same(issuesOf(await run(schemaClaim(orders, schema))).map((i) => i.path), ['/2999/qty'])
})

t.test('QWED inline arithmetic on declared total / tax fields', async (t) => {
  const invoice = { type: 'object', properties: { subtotal: { type: 'number' }, tax: { type: 'number' }, discount: { type: 'number' }, total: { type: 'number' } } }
  t.equal((await run(schemaClaim({ subtotal: 100, tax: 10, total: 110 }, invoice))).developer_fields.is_valid, true)
  t.equal((await run(schemaClaim({ subtotal: 0.1, tax: 0.2, total: 0.3 }, invoice))).developer_fields.is_valid, true, 'decimal, not float')
  t.equal((await run(schemaClaim({ subtotal: 100, tax: 10, discount: 5, total: 105 }, invoice))).developer_fields.is_valid, true)
  const wrong = await run(schemaClaim({ subtotal: 100, tax: 10, discount: 5, total: 115 }, invoice))
  t.equal(wrong.status, 'VERIFIED')
  t.equal(wrong.developer_fields.is_valid, false)
  t.same(issuesOf(wrong), [{ path: '/total', keyword: 'arithmetic', message: 'total must equal subtotal + tax - discount = 105, got 115' }])

  t.equal((await run(schemaClaim({ subtotal: 100, tax: 10, total: 115 }, { type: 'object' }))).developer_fields.is_valid, true, 'undeclared fields are not checked')
  const untyped = { properties: { subtotal: {}, tax: {}, total: {} } }
  t.equal((await run(schemaClaim({ subtotal: '100', tax: 10, total: 115 }, untyped))).developer_fields.is_valid, true, 'only JSON numbers take part')
  t.equal((await run(schemaClaim({ subtotal: 100, tax: 10, total: 115 }, untyped))).developer_fields.is_valid, false)

  const nested = { type: 'object', properties: { orders: { type: 'array', items: invoice } } }
  const r = await run(schemaClaim({ orders: [{ subtotal: 1, tax: 1, total: 2 }, { subtotal: 1, tax_amount: 1, total: 3 }] }, nested))
  t.same(issuesOf(r).map((i) => [i.path, i.keyword]), [['/orders/1/total', 'arithmetic']])

  // One subschema set meeting an object and an array: undeclared keys and array elements are
  // different children (a shared cache slot once made array elements inherit `total`).
  const mixed = { items: { additionalProperties: invoice, items: {} } }
  const sameFrame = await run(schemaClaim([{ k: { subtotal: 1, tax: 1, total: 2 } }, [{ subtotal: 1, tax: 1, total: 5 }]], mixed))
  t.equal(sameFrame.developer_fields.is_valid, true)
  const inObject = await run(schemaClaim([{ k: { subtotal: 1, tax: 1, total: 5 } }, [{ subtotal: 1, tax: 1, total: 2 }]], mixed))
  t.same(issuesOf(inObject).map((i) => i.path), ['/0/k/total'])

  const taxed = { properties: { subtotal: {}, tax_rate: {}, tax: {} } }
  t.equal((await run(schemaClaim({ subtotal: 100, tax_rate: 0.08, tax: 8 }, taxed))).developer_fields.is_valid, true)
  t.equal((await run(schemaClaim({ subtotal: 100, tax_rate: 0.08, tax: 9 }, taxed))).developer_fields.is_valid, false)
  t.equal((await run(schemaClaim({ subtotal: 19.99, tax_rate: 0.0825, tax: 1.65 }, taxed))).developer_fields.is_valid, true, 'tax rounded to the cent')
  t.equal((await run(schemaClaim({ subtotal: 19.99, tax_rate: 0.0825, tax: 1.64 }, taxed))).developer_fields.is_valid, false)
  t.equal((await run(schemaClaim({ subtotal: 84, tax_rate: 0.1, tax: 8 }, taxed))).developer_fields.is_valid, false, '8.4 is not 8 to the cent')
})

t.test('transactions: subtotal + tax = total, exactly', async (t) => {
  const tx = (fields: Record<string, unknown>): unknown => ({ type: 'transaction', ...fields })
  const ok = await run(tx({ subtotal: 100, tax: 10, total: 110, currency: 'USD' }))
  t.equal(ok.status, 'VERIFIED')
  t.equal(ok.admission, 'ADMIT')
  t.equal(ok.developer_fields.constraint_id, 'transaction.valid')
  t.match(ok.proof_ref, /^sha256:/)
  t.equal((await run(tx({ subtotal: 0.1, tax: 0.2, total: 0.3 }))).admission, 'ADMIT', '0.1 + 0.2 = 0.3')
  t.equal((await run(tx({ subtotal: '19.99', tax: '1.65', total: '21.64' }))).admission, 'ADMIT', 'decimal strings')
  t.equal((await run(tx({ subtotal: 100, tax: 10, discount: 5, total: 105 }))).admission, 'ADMIT', 'with a discount')
  t.equal((await run(tx({ subtotal: 0, tax: 0, total: 0 }))).admission, 'ADMIT')

  const wrong = await run(tx({ subtotal: 100, tax: 10, total: 111 }))
  t.equal(wrong.status, 'VERIFIED', 'the arithmetic is proven; the transaction is wrong')
  t.equal(wrong.admission, 'BLOCKED')
  t.equal(wrong.developer_fields.is_valid, false)
  t.equal(wrong.developer_fields.constraint_id, 'transaction.total_mismatch')
  t.equal(wrong.developer_fields.expected_total, '110')
  t.equal(wrong.developer_fields.actual_total, '111')
  t.not(wrong.proof_ref, ok.proof_ref)
  t.equal((await run(tx({ subtotal: 0.1, tax: 0.2, total: 0.30000000000000004 }))).admission, 'BLOCKED', 'the float sum is not the decimal sum')
})

t.test('transactions: currency precision', async (t) => {
  const tx = (fields: Record<string, unknown>): unknown => ({ type: 'transaction', ...fields })
  const jpy = await run(tx({ subtotal: 100.5, tax: 0, total: 100.5, currency: 'JPY' }))
  t.equal(jpy.status, 'VERIFIED')
  t.equal(jpy.admission, 'BLOCKED')
  t.equal(jpy.developer_fields.constraint_id, 'transaction.precision_exceeded')
  t.same((jpy.developer_fields.issues as Array<{ field: string }>).map((i) => i.field), ['subtotal', 'total'])
  t.equal(jpy.developer_fields.minor_units, 0)
  t.equal((await run(tx({ subtotal: 1000, tax: 100, total: 1100, currency: 'jpy' }))).admission, 'ADMIT', 'codes are case-insensitive')
  t.equal((await run(tx({ subtotal: '10.50', tax: '0.00', total: '10.5', currency: 'USD' }))).admission, 'ADMIT', 'trailing zeros are not extra precision')
  t.equal((await run(tx({ subtotal: 1.005, tax: 0, total: 1.005, currency: 'USD' }))).developer_fields.constraint_id, 'transaction.precision_exceeded')
  t.equal((await run(tx({ subtotal: 1.005, tax: 0, total: 1.005 }))).admission, 'ADMIT', 'no currency, no precision rule')
  t.equal((await run(tx({ subtotal: 0.12345678, tax: 0, total: 0.12345678, currency: 'BTC' }))).admission, 'ADMIT')
  t.equal((await run(tx({ subtotal: 0.123456789, tax: 0, total: 0.123456789, currency: 'BTC' }))).admission, 'BLOCKED')
  t.equal((await run(tx({ subtotal: '0.000000000000000001', tax: '0', total: '0.000000000000000001', currency: 'ETH' }))).admission, 'ADMIT')
  const xyz = await run(tx({ subtotal: 1.005, tax: 0, total: 1.005, currency: 'XYZ' }))
  t.equal(xyz.developer_fields.minor_units, 2, 'unknown currencies have 2 minor digits')
  t.equal(xyz.admission, 'BLOCKED')
  for (const currency of ['US Dollar', '', 12, 'U$D']) {
    const r = await run(tx({ subtotal: 1, tax: 0, total: 1, currency }))
    t.equal(r.status, 'BLOCKED', `currency ${JSON.stringify(currency)}`)
    t.equal(r.developer_fields.constraint_id, 'transaction.invalid_currency')
  }
})

t.test('transactions: negative and unusable amounts', async (t) => {
  const tx = (fields: Record<string, unknown>): unknown => ({ type: 'transaction', ...fields })
  const negative = await run(tx({ subtotal: -100, tax: 10, total: -90 }))
  t.equal(negative.status, 'VERIFIED', 'a negative amount is a judged, invalid transaction')
  t.equal(negative.admission, 'BLOCKED')
  t.equal(negative.developer_fields.constraint_id, 'transaction.negative_amount')
  t.equal((await run(tx({ subtotal: 10, tax: 0, discount: -5, total: 15 }))).developer_fields.constraint_id, 'transaction.negative_amount')
  t.equal((await run(tx({ subtotal: '-0.00', tax: 0, total: 0 }))).admission, 'ADMIT', 'minus zero is zero')

  const unusable: Array<Record<string, unknown>> = [
    { subtotal: null, tax: 10, total: 110 },
    { subtotal: 'abc', tax: 10, total: 110 },
    { subtotal: Number.NaN, tax: 10, total: 110 },
    { subtotal: Number.POSITIVE_INFINITY, tax: 10, total: 110 },
    { subtotal: true, tax: 10, total: 110 },
    { subtotal: 100, total: 110 },
    { subtotal: 100, tax: 10 },
    { subtotal: '1e3', tax: 10, total: 1010 },
    { subtotal: ' 100', tax: 10, total: 110 },
    { subtotal: '1'.repeat(65), tax: 0, total: '1'.repeat(65) },
    { subtotal: 100, tax: 10, discount: 'bad', total: 110 },
    { subtotal: { value: 100 }, tax: 10, total: 110 }
  ]
  for (const fields of unusable) {
    const r = await run(tx(fields))
    t.equal(r.status, 'BLOCKED', JSON.stringify(fields))
    t.equal(r.developer_fields.constraint_id, 'transaction.invalid_amount')
    t.equal(r.proof_ref, null)
  }
})

t.test('unknown claims and deadlines', async (t) => {
  const r = await run({ type: 'math', expression: '1+1' })
  t.equal(r.status, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'schema.unsupported_claim')
  t.equal((await run(null)).status, 'BLOCKED')

  const controller = new AbortController()
  controller.abort()
  const { run: fresh } = engineWith()
  const aborted = await fresh(schemaClaim(1, { type: 'number', minimum: 0 }), controller.signal)
  t.equal(aborted.status, 'BLOCKED')
  t.equal(aborted.developer_fields.constraint_id, 'schema.aborted')
  t.equal(aborted.cacheable, false, 'a deadline verdict is not cached')
})
