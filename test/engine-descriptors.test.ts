import t from 'tap'
import type { Claim } from '../types/claims.js'
import type { Engine } from '../types/engine.js'
import { claimWeight } from '../lib/engines/descriptor.js'
import { CLAIM_TYPE_ROUTES, ENGINE_DESCRIPTORS, REMOTE_ONLY_TYPES } from '../lib/engines/descriptors.js'
import { EMBEDDED_ENGINES } from '../lib/engines/embedded.js'
import { createEngineRegistry } from '../lib/engines/index.js'
import { lazyEngine } from '../lib/engines/lazy.js'
import { PARSER_FACTORIES, mathParser, mathParserBuild } from '../lib/engines/math/mathjs.js'
import { poolOf } from '../lib/engines/pool.js'
import { CLAIM_ROUTES } from '../lib/engines/remote/mapping.js'
import { CLAIM_FIELDS, CLAIM_LIMIT_CAPS, DEFAULT_CLAIM_LIMITS, DEFAULT_MAX_CLAIM_BYTES, DEFAULT_MAX_CLAIM_DEPTH } from '../lib/guard/limits.js'
import { MAX_CODE_BYTES } from '../lib/engines/code/index.js'
import { MAX_FORMULAS } from '../lib/engines/logic/checks.js'
import { MAX_FORMULA_CHARS } from '../lib/engines/logic/parse.js'
import { MAX_CASH_FLOWS } from '../lib/engines/math/helpers/finance.js'
import { LIMITS as MATH_LIMITS } from '../lib/engines/math/limits.js'
import { DEFAULTS as SCHEMA_DEFAULTS } from '../lib/engines/schema.js'
import { MAX_QUERY_CHARS } from '../lib/engines/sql.js'
import { MAX_VALUES } from '../lib/engines/stats/compute.js'
import { createVerifier } from '../lib/verifier.js'

t.setTimeout(600_000)
const never = new AbortController().signal

t.test('the claim guard\'s limits, caps and fields are the descriptors\'', async (t) => {
  for (const descriptor of ENGINE_DESCRIPTORS) {
    for (const [type, d] of Object.entries(descriptor.claimTypes)) {
      t.same(DEFAULT_CLAIM_LIMITS[type], { maxDepth: DEFAULT_MAX_CLAIM_DEPTH, maxBytes: DEFAULT_MAX_CLAIM_BYTES, ...d.limits }, `${type}: default limits`)
      t.same(CLAIM_LIMIT_CAPS[type] ?? {}, d.caps, `${type}: caps`)
      t.same([...CLAIM_FIELDS[type] ?? []], d.fields, `${type}: fields`)
      t.same(CLAIM_ROUTES[type], d.routes, `${type}: routes`)
    }
  }
  for (const [type, d] of Object.entries(REMOTE_ONLY_TYPES)) {
    t.same([...CLAIM_FIELDS[type] ?? []], d.fields, `${type}: fields`)
    t.same(CLAIM_ROUTES[type], ['remote'], `${type}: only on a QWED server`)
  }
  t.same(CLAIM_ROUTES, CLAIM_TYPE_ROUTES)
})

t.test('the descriptors state the engines\' own caps', async (t) => {
  const limit = (type: string): Required<(typeof DEFAULT_CLAIM_LIMITS)[string]> => DEFAULT_CLAIM_LIMITS[type] as never
  t.equal(limit('math').maxLength, MATH_LIMITS.maxLength)
  t.equal(limit('math').maxArrayLength, MAX_CASH_FLOWS)
  t.equal(limit('sql').maxLength, MAX_QUERY_CHARS)
  t.equal(limit('code').maxLength, MAX_CODE_BYTES)
  t.equal(limit('schema').maxLength, SCHEMA_DEFAULTS.maxDataBytes)
  t.equal(CLAIM_LIMIT_CAPS.schema?.maxDepth?.value, SCHEMA_DEFAULTS.maxSchemaDepth + 1)
  t.equal(limit('logic').maxLength, MAX_FORMULA_CHARS)
  t.equal(limit('logic').maxArrayLength, MAX_FORMULAS)
  t.equal(limit('stats').maxArrayLength, MAX_VALUES)
})

t.test('each loaded engine has the name and claim types its descriptor declares', async (t) => {
  t.equal(EMBEDDED_ENGINES.length, ENGINE_DESCRIPTORS.length)
  for (const [index, entry] of EMBEDDED_ENGINES.entries()) {
    const descriptor = ENGINE_DESCRIPTORS[index]
    const lazy = entry.create({})
    t.equal(lazy.name, descriptor?.name)
    t.same(lazy.claimTypes, Object.keys(descriptor?.claimTypes ?? {}))
    t.equal(entry.cpuBound, descriptor?.routing.cpuBound)
    t.equal(entry.poolMinWeight, descriptor?.routing.poolMinWeight)
    await lazy.close?.()
  }
  // the modules themselves, loaded: the same names and claim types
  const loaded: Array<Engine<any>> = [
    (await import('../lib/engines/math/index.js')).createMathEngine(),
    (await import('../lib/engines/sql.js')).createSqlEngine(),
    (await import('../lib/engines/code/index.js')).createCodeEngine(),
    (await import('../lib/engines/schema.js')).createSchemaEngine(),
    (await import('../lib/engines/schema/transaction.js')).createTransactionEngine(),
    (await import('../lib/engines/logic/index.js')).createLogicEngine(),
    (await import('../lib/engines/stats.js')).createStatsEngine()
  ]
  for (const [index, engine] of loaded.entries()) {
    t.equal(engine.name, ENGINE_DESCRIPTORS[index]?.name)
    t.same(engine.claimTypes, Object.keys(ENGINE_DESCRIPTORS[index]?.claimTypes ?? {}))
  }
})

t.test('mathjs: the parser is built from the factory subset, not the whole package', async (t) => {
  const parser = mathParser()
  t.equal(mathParserBuild(), 'subset', 'every factory file was found (a mathjs upgrade that moves them fails here)')
  t.ok(PARSER_FACTORIES.some(([name]) => name === 'createParse'))
  const node = parser.parse('2^64 + 0.1') as unknown as { args: Array<{ value?: unknown }> }
  t.ok(parser.isBigNumber(node.args[1]?.value), 'literals are BigNumbers (every digit kept)')
})

t.test('claimWeight counts strings and items, and stops at the bound', async (t) => {
  t.equal(claimWeight({ type: 'math', expression: '1+1' }, 1000), (1 + 4) + (1 + 10) + 4 + 3)
  t.equal(claimWeight([1, 2, 3], 1000), 3 + 3)
  const huge = { type: 'schema', data: Array.from({ length: 100_000 }, (_, i) => ({ i })) }
  const weight = claimWeight(huge, 500)
  t.ok(weight >= 500 && weight < 1000, `a huge claim is weighed only up to the bound (${weight})`)
  t.equal(claimWeight(null, 10), 1)
})

t.test('a lazy engine that cannot load is fail-closed: BLOCKED unavailable, not cached, retried; warmUp rejects', async (t) => {
  let attempts = 0
  let broken = true
  const engine = lazyEngine<Claim>('flaky', ['flaky' as Claim['type']], async () => {
    attempts++
    if (broken) throw new Error('Cannot find module flaky-engine')
    return { name: 'flaky', claimTypes: ['flaky' as Claim['type']], verify: () => ({ status: 'VERIFIED', agent_message: 'ok', developer_fields: { constraint_id: 'flaky.ok' }, proof_ref: null, is_authoritative: false }) }
  })
  const first = await engine.verify({ type: 'flaky' } as unknown as Claim, { signal: never })
  t.equal(first.status, 'BLOCKED')
  t.equal(first.developer_fields.constraint_id, 'flaky.unavailable')
  t.equal(first.developer_fields.reason, 'engine_load_failed')
  t.equal(first.cacheable, false)
  await t.rejects(engine.warmUp?.() as Promise<void>, /flaky-engine/, 'warmUp says so')
  t.equal(attempts, 2, 'each claim (and warmUp) tries again')

  // through the verifier: BLOCKED, admission BLOCKED, not cached, and judged once it loads
  const verifier = createVerifier({ audit: false, extraEngines: [engine] })
  t.teardown(async () => await verifier.close())
  const r = await verifier.verify({ type: 'flaky' } as unknown as Claim)
  t.equal(r.status, 'BLOCKED')
  t.equal(r.admission, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'flaky.unavailable')
  broken = false
  const again = await verifier.verify({ type: 'flaky' } as unknown as Claim)
  t.equal(again.cached, false, 'the failure was not cached')
  t.equal(again.status, 'VERIFIED', 'the engine loaded on the next claim')
  t.equal(engine.loaded, true)
})

t.test('a lazy engine of the registry loads only on its first claim', async (t) => {
  const registry = createEngineRegistry({})
  const sql = registry.get('sql') as Engine<Claim> & { loaded?: boolean }
  t.equal(sql.loaded, false, 'not loaded by the registry')
  const r = await sql.verify({ type: 'sql', query: 'SELECT 1' }, { signal: never })
  t.equal(r.status, 'VERIFIED')
  t.equal(sql.loaded, true)
  for (const engine of new Set(registry.values())) await engine.close?.()
})

// A pool worker boots every pooled engine: seconds on an idle machine, much more on a loaded one.
t.test('with a pool: warmUp starts every worker; heavy claims go to a worker, light ones stay on the event loop', async (t) => {
  const registry = createEngineRegistry({ pool: { threads: 1, deadlineMs: 60_000 } })
  t.teardown(async () => { for (const engine of new Set(registry.values())) await engine.close?.() })
  const math = registry.get('math') as Engine<Claim>
  const pool = poolOf(math)
  t.ok(pool !== undefined)
  t.equal(pool?.stats().workers, 0, 'nothing started by the registry')
  await math.warmUp?.()
  t.equal(pool?.stats().workers, 2, 'threads + 1 workers')
  t.equal(pool?.stats().ready, 2, 'warmUp resolved once every worker built its engines')

  const light = math.verify({ type: 'math', expression: '2 + 2 = 4' }, { signal: never })
  t.equal(pool?.stats().running, 0, 'a light claim runs on the event loop')
  t.equal((await light).status, 'VERIFIED')
  const terms = Array.from({ length: 120 }, () => '1').join(' + ')
  const heavy = math.verify({ type: 'math', expression: `${terms} = 120` }, { signal: never })
  t.equal(pool?.stats().running, 1, 'a heavy claim went to a worker')
  const result = await heavy
  t.equal(result.status, 'VERIFIED')
  t.equal(result.developer_fields.constraint_id, 'math.identity_true')

  // short but expensive: it uses up its slice on the event loop, then a worker judges it with the
  // engine's whole work budget (a verdict, not the slice's math.aborted)
  const state = { settled: false }
  let sawWorker = false
  const costly = Promise.resolve(math.verify({ type: 'math', expression: '(x+y+z)^60 = 1' }, { signal: never }))
  costly.finally(() => { state.settled = true }).catch(() => {})
  while (!state.settled) {
    if ((pool?.stats().running ?? 0) > 0) sawWorker = true
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  const costlyResult = await costly
  t.ok(sawWorker, 'a light claim that needs more than its slice went to a worker')
  t.equal(costlyResult.developer_fields.constraint_id, 'math.resource_limit')
})

t.test('through the verifier: with a pool, warmUp() then math claims are judged, not unavailable', async (t) => {
  const verifier = createVerifier({ audit: false, pool: { threads: 1 } })
  t.teardown(async () => await verifier.close())
  await verifier.warmUp(['math'])
  const terms = Array.from({ length: 120 }, () => '2').join(' * ')
  const r = await verifier.verify({ type: 'math', expression: `${terms} = 2^120` })
  t.not(r.developer_fields.constraint_id, 'math.unavailable')
  t.equal(r.status, 'VERIFIED')
})
