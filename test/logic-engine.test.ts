import { TS_LOADER } from './helpers/loader.js'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { createLogicEngine, preloadLogicSolver } from '../lib/engines/logic/index.js'
import { loadZ3, unloadZ3, type Z3Loader } from '../lib/engines/logic/z3.js'
import { createVerifier } from '../lib/verifier.js'
import type { LogicClaim } from '../types/claims.js'
import type { EngineResult } from '../types/engine.js'

// The logic engine end to end, with Z3. Z3 is loaded once for the file (it is shared by the
// process); the lazy-loading test uses its own loader so it can count loads.

const ctx = () => ({ signal: new AbortController().signal })
// A generous solver budget for the shared engine: its tests are about verdicts, and a loaded machine
// once turned an optimize check into logic.timeout under the default 1.5 s (two busy loops, load 7).
// Timeouts are tested with engines of their own, with short budgets.
const engine = createLogicEngine({}, { timeoutMs: 30_000 })
const verify = async (claim: Omit<LogicClaim, 'type'>): Promise<EngineResult> => await engine.verify({ type: 'logic', ...claim } as LogicClaim, ctx())
const id = (r: EngineResult): unknown => r.developer_fields.constraint_id

const HARD = {
  check: 'satisfiable' as const,
  variables: { x: 'Int' as const, y: 'Int' as const, z: 'Int' as const },
  constraints: ['x > 1', 'y > 1', 'z > 1', 'x ** 3 + y ** 3 == z ** 3']
}

t.before(async () => {
  // load outside the tests' own timings (the first load takes seconds on a small machine)
  const started = performance.now()
  await loadZ3()
  t.comment(`Z3 loaded in ${Math.round(performance.now() - started)} ms`)
})

t.test('Z3 is loaded lazily, once, and only for a claim that reaches it', async (t) => {
  let loads = 0
  // a loader of our own (its own instance) that counts calls, sharing the module already loaded
  const loader: Z3Loader = async () => {
    loads++
    const { api } = await loadZ3()
    return { init: async () => api }
  }
  const lazy = createLogicEngine({}, { loader })
  const run = async (claim: Omit<LogicClaim, 'type'>): Promise<EngineResult> => await lazy.verify({ type: 'logic', ...claim } as LogicClaim, ctx())
  t.equal(loads, 0, 'creating the engine loads nothing')
  t.equal(id(await run({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5 and x < 3'] })), 'logic.disallowed')
  t.equal(id(await run({ check: 'satisfiable', variables: {}, constraints: [] })), 'logic.no_variables')
  t.equal(id(await run({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['y > 0'] })), 'logic.undeclared')
  t.equal(loads, 0, 'refused claims do not load Z3')
  t.equal((await run({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5'] })).status, 'VERIFIED')
  t.equal((await run({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 6'] })).status, 'VERIFIED')
  t.equal(loads, 1, 'loaded once')
})

t.test('a failed load throws (engine unavailable) and is retried by the next claim', async (t) => {
  let attempts = 0
  const broken = createLogicEngine({}, { loader: async () => { attempts++; throw new Error('wasm missing') } })
  const claim: LogicClaim = { type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5'] }
  await t.rejects(async () => await broken.verify(claim, ctx()), /wasm missing/)
  await t.rejects(async () => await broken.verify(claim, ctx()), /wasm missing/)
  t.equal(attempts, 2, 'a failed load is not cached')
  const verifier = createVerifier({ audit: false, extraEngines: [broken] })
  t.teardown(() => verifier.close())
  const r = await verifier.verify(claim)
  t.equal(r.status, 'BLOCKED')
  t.equal(r.admission, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'logic.unavailable')
})

t.test('warmUp loads Z3 ahead of the first claim, through the verifier too, and reports a failed load', async (t) => {
  let loads = 0
  const loader: Z3Loader = async () => {
    loads++
    const { api } = await loadZ3()
    return { init: async () => api }
  }
  const verifier = createVerifier({ audit: false, extraEngines: [createLogicEngine({}, { loader })] })
  t.teardown(() => verifier.close())
  // warmUp of the logic claims only: all of them would load every other engine too (a second of
  // mathjs, grammars and parsers that this test does not look at)
  await verifier.warmUp(['logic'])
  t.equal(loads, 1, 'loaded by warmUp')
  t.equal((await verifier.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5'] })).status, 'VERIFIED')
  t.equal(loads, 1, 'the first claim found it loaded')
  const broken = createVerifier({ audit: false, extraEngines: [createLogicEngine({}, { loader: async () => { throw new Error('wasm missing') } })] })
  t.teardown(() => broken.close())
  await t.rejects(broken.warmUp(['logic']), /wasm missing/)
})

t.test('satisfiable: SAT is VERIFIED with a model, UNSAT is UNVERIFIABLE', async (t) => {
  const sat = await verify({ check: 'satisfiable', variables: { x: 'Int', y: 'Int' }, constraints: ['x + y == 10', 'x - y == 4'] })
  t.equal(sat.status, 'VERIFIED')
  t.equal(sat.developer_fields.is_valid, true)
  t.equal(id(sat), 'logic.sat')
  t.same(sat.developer_fields.model, { x: 7, y: 3 })
  t.same(sat.developer_fields.constraints, ['x + y == 10', 'x - y == 4'])
  t.match(sat.proof_ref, /^sha256:[0-9a-f]{64}$/)
  const again = await verify({ check: 'satisfiable', variables: { x: 'Int', y: 'Int' }, constraints: ['x + y == 10', 'x - y == 4'] })
  t.equal(again.proof_ref, sat.proof_ref, 'the proof_ref is deterministic')

  const unsat = await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5', 'x < 3'] })
  t.equal(unsat.status, 'UNVERIFIABLE')
  t.equal(id(unsat), 'logic.unsat')
  t.equal(unsat.proof_ref, null)

  const p = await verify({ check: 'satisfiable', variables: { P: 'Bool' }, constraints: ['And(P, Not(P))'] })
  t.equal(p.status, 'UNVERIFIABLE')
  const empty = await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: [] })
  t.equal(empty.status, 'VERIFIED', 'no constraints: trivially satisfiable (as QWED)')
})

t.test('model values are plain JSON', async (t) => {
  const r = await verify({
    check: 'satisfiable',
    variables: { big: 'Int', half: 'Real', flag: 'Bool', neg: 'Int' },
    constraints: ['big == 123456789012345678901234567890', 'half * 2 == 7', 'flag', 'neg == -5']
  })
  t.equal(r.status, 'VERIFIED')
  t.same(r.developer_fields.model, { big: '123456789012345678901234567890', flag: true, half: '7/2', neg: -5 })
  const real = await verify({ check: 'satisfiable', variables: { r: 'Real' }, constraints: ['r == 0.1 + 0.2', 'r == 0.3'] })
  t.equal(real.status, 'VERIFIED', 'decimals are exact')
  t.same(real.developer_fields.model, { r: '3/10' })
})

t.test('a lone = is read as ==', async (t) => {
  const r = await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x = 5', 'x > 3'] })
  t.equal(r.status, 'VERIFIED')
  t.same(r.developer_fields.constraints, ['x == 5', 'x > 3'])
  t.same(r.developer_fields.rewritten, [{ role: 'constraints', from: 'x = 5', to: 'x == 5' }])
})

t.test('theorem: proved is VERIFIED, a counterexample is BLOCKED', async (t) => {
  const mp = await verify({ check: 'theorem', variables: { P: 'Bool', Q: 'Bool' }, premises: ['Implies(P, Q)', 'P'], conclusion: 'Q' })
  t.equal(mp.status, 'VERIFIED')
  t.equal(id(mp), 'logic.proved')
  t.equal(mp.developer_fields.vacuous_premises, false)
  const ac = await verify({ check: 'theorem', variables: { P: 'Bool', Q: 'Bool' }, premises: ['Implies(P, Q)', 'Q'], conclusion: 'P' })
  t.equal(ac.status, 'BLOCKED')
  t.equal(id(ac), 'logic.counterexample')
  t.same(ac.developer_fields.counterexample, { P: false, Q: true })
  const arith = await verify({ check: 'theorem', variables: { x: 'Int', y: 'Int' }, premises: ['x > 5', 'y == x + 3'], conclusion: 'y > 8' })
  t.equal(arith.status, 'VERIFIED')
  const valid = await verify({ check: 'theorem', variables: { x: 'Int' }, premises: [], conclusion: 'x * x >= 0' })
  t.equal(valid.status, 'VERIFIED', 'no premises: the conclusion must be valid')
  const vacuous = await verify({ check: 'theorem', variables: { x: 'Int' }, premises: ['x > 5', 'x < 3'], conclusion: 'x == 100' })
  t.equal(vacuous.status, 'BLOCKED', 'contradictory premises entail anything: that proves nothing (QWED 10)')
  t.equal(id(vacuous), 'logic.vacuous_premises')
  t.equal(vacuous.developer_fields.vacuous_premises, true)
  t.equal(vacuous.proof_ref, null)
  const background = await verify({ check: 'theorem', variables: { x: 'Int' }, constraints: ['x > 5'], premises: ['x < 3'], conclusion: 'x == 100' })
  t.equal(id(background), 'logic.vacuous_premises', 'background constraints count as hypotheses')
  const undefinedDivision = await verify({ check: 'theorem', variables: { x: 'Int', y: 'Int' }, premises: ['x / y == 1', 'y == 0'], conclusion: 'x == 7' })
  t.equal(id(undefinedDivision), 'logic.vacuous_premises', 'a premise that is only defined where another fails is vacuous too')
  const missing = await verify({ check: 'theorem', variables: { x: 'Int' }, premises: ['x > 1'] })
  t.equal(id(missing), 'logic.invalid_claim')
})

t.test('implication', async (t) => {
  const yes = await verify({ check: 'implication', variables: { x: 'Int' }, antecedent: 'x > 20', consequent: 'x > 10' })
  t.equal(yes.status, 'VERIFIED')
  const no = await verify({ check: 'implication', variables: { x: 'Int' }, antecedent: 'x > 10', consequent: 'x > 20' })
  t.equal(no.status, 'BLOCKED')
  t.equal(id(no), 'logic.counterexample')
  const cx = no.developer_fields.counterexample as { x: number }
  t.ok(cx.x > 10 && cx.x <= 20, 'the counterexample is one')
  const never = await verify({ check: 'implication', variables: { age: 'Int', discount: 'Int' }, antecedent: 'And(age > 65, age < 18)', consequent: 'discount == 10' })
  t.equal(never.status, 'BLOCKED', 'a rule that can never fire is not admitted')
  t.equal(id(never), 'logic.vacuous_premises')
  t.equal(never.developer_fields.deterministic_verdict, 'VACUOUS')
  const live = await verify({ check: 'implication', variables: { age: 'Int' }, antecedent: 'And(age > 65, age < 120)', consequent: 'age > 18' })
  t.equal(live.status, 'VERIFIED')
  t.equal(live.developer_fields.vacuous_premises, false)
})

t.test('equivalence', async (t) => {
  const dm = await verify({ check: 'equivalence', variables: { P: 'Bool', Q: 'Bool' }, formulas: ['Not(And(P, Q))', 'Or(Not(P), Not(Q))'] })
  t.equal(dm.status, 'VERIFIED')
  const wrong = await verify({ check: 'equivalence', variables: { P: 'Bool', Q: 'Bool' }, formulas: ['Not(And(P, Q))', 'And(Not(P), Not(Q))'] })
  t.equal(wrong.status, 'BLOCKED')
  t.equal(wrong.developer_fields.deterministic_verdict, 'not_equivalent')
  const terms = await verify({ check: 'equivalence', variables: { x: 'Int' }, formulas: ['x + x', '2 * x'] })
  t.equal(terms.status, 'VERIFIED', 'arithmetic terms: equal for every assignment')
  const mixed = await verify({ check: 'equivalence', variables: { x: 'Int', P: 'Bool' }, formulas: ['x + 1', 'P'] })
  t.equal(id(mixed), 'logic.sort_error')
  const one = await verify({ check: 'equivalence', variables: { x: 'Int' }, formulas: ['x > 0'] as unknown as [string, string] })
  t.equal(id(one), 'logic.invalid_claim')
  const under = await verify({ check: 'equivalence', variables: { x: 'Int' }, constraints: ['x >= 0'], formulas: ['Abs(x)', 'x'] })
  t.equal(under.status, 'VERIFIED', 'background constraints restrict the assignments')
  const without = await verify({ check: 'equivalence', variables: { x: 'Int' }, formulas: ['Abs(x)', 'x'] })
  t.equal(without.status, 'BLOCKED')
  const empty = await verify({ check: 'equivalence', variables: { x: 'Int' }, constraints: ['x > 0', 'x < 0'], formulas: ['x', 'x + 1'] })
  t.equal(id(empty), 'logic.vacuous_premises', 'equal under constraints that never hold is vacuous')
})

t.test('vacuity', async (t) => {
  const vac = await verify({ check: 'vacuity', variables: { x: 'Int' }, antecedent: 'And(x > 10, x < 5)' })
  t.equal(vac.status, 'UNVERIFIABLE')
  t.equal(id(vac), 'logic.vacuous')
  const live = await verify({ check: 'vacuity', variables: { x: 'Int' }, antecedent: 'And(x > 1, x < 5)', consequent: 'x > 0' })
  t.equal(live.status, 'VERIFIED')
  t.equal(id(live), 'logic.non_vacuous')
  const bad = await verify({ check: 'vacuity', variables: { x: 'Int' }, antecedent: 'x > 1', consequent: 'x.y' })
  t.equal(id(bad), 'logic.disallowed', 'the consequent is checked too')
})

t.test('optimize', async (t) => {
  const max = await verify({ check: 'optimize', variables: { x: 'Int' }, constraints: ['x >= 0', 'x <= 10'], objective: 'x', maximize: true })
  t.equal(max.status, 'VERIFIED')
  t.equal(max.developer_fields.objective_value, '10')
  t.match(max.agent_message, /10/)
  const expected = await verify({ check: 'optimize', variables: { x: 'Int', y: 'Int' }, constraints: ['x + y <= 10', 'x >= 0', 'y >= 0', 'x <= 4'], objective: '3 * x + 2 * y', expected: 24 })
  t.equal(expected.status, 'VERIFIED', 'maximize is the default')
  const wrong = await verify({ check: 'optimize', variables: { x: 'Int' }, constraints: ['x >= 0', 'x <= 10'], objective: 'x', expected: '9' })
  t.equal(wrong.status, 'UNVERIFIABLE')
  t.equal(id(wrong), 'logic.optimum_mismatch')
  const min = await verify({ check: 'optimize', variables: { r: 'Real' }, constraints: ['r >= -1/2', 'r <= 5'], objective: 'r', maximize: false, expected: '-0.5' })
  t.equal(min.status, 'VERIFIED')
  t.equal(min.developer_fields.objective_value, '-1/2')
  const unbounded = await verify({ check: 'optimize', variables: { x: 'Int' }, constraints: ['x >= 0'], objective: 'x' })
  t.equal(unbounded.status, 'UNVERIFIABLE')
  t.equal(id(unbounded), 'logic.unbounded')
  const below = await verify({ check: 'optimize', variables: { x: 'Int' }, constraints: ['x <= 0'], objective: 'x', maximize: false })
  t.equal(id(below), 'logic.unbounded')
  const open = await verify({ check: 'optimize', variables: { r: 'Real' }, constraints: ['r < 5'], objective: 'r' })
  t.equal(open.status, 'UNVERIFIABLE', 'a supremum that is never reached is not an optimum')
  t.equal(id(open), 'logic.no_optimum')
  const infeasible = await verify({ check: 'optimize', variables: { x: 'Int' }, constraints: ['x > 5', 'x < 3'], objective: 'x' })
  t.equal(id(infeasible), 'logic.infeasible')
  const bv = await verify({ check: 'optimize', variables: { b: 8 }, constraints: ['ULT(b, 100)'], objective: 'b', expected: 99 })
  t.equal(bv.status, 'VERIFIED', 'bit-vector objectives are unsigned')
  // Z3's optimizer answers 5/4 here (the supremum is the square root of 2): the engine confirms an
  // optimum with a plain check that nothing does better, and refuses an optimum it cannot confirm
  for (const expected of [undefined, '5/4']) {
    const unsound = await verify({ check: 'optimize', variables: { r: 'Real' }, constraints: ['r * r <= 2'], objective: 'r', ...(expected === undefined ? {} : { expected }) })
    t.equal(unsound.status, 'BLOCKED', `nonlinear real optimum, expected ${String(expected)}`)
    t.equal(id(unsound), 'logic.unknown')
  }
  const boolObjective = await verify({ check: 'optimize', variables: { P: 'Bool' }, objective: 'P' })
  t.equal(id(boolObjective), 'logic.sort_error')
  const badExpected = await verify({ check: 'optimize', variables: { x: 'Int' }, constraints: ['x <= 1'], objective: 'x', expected: 'ten' })
  t.equal(id(badExpected), 'logic.invalid_claim')
  const noObjective = await verify({ check: 'optimize', variables: { x: 'Int' }, constraints: ['x <= 1'] })
  t.equal(id(noObjective), 'logic.invalid_claim')
})

t.test('bit-vectors', async (t) => {
  const sat = await verify({ check: 'satisfiable', variables: { x: 8 }, constraints: ['x == 42'] })
  t.equal(sat.status, 'VERIFIED')
  t.same(sat.developer_fields.model, { x: 42 })
  t.same(sat.developer_fields.variables, { x: 'BitVec(8)' })
  const wrap = await verify({ check: 'satisfiable', variables: { x: 8 }, constraints: ['x + 1 == 0'] })
  t.same(wrap.developer_fields.model, { x: 255 }, 'bit-vector arithmetic wraps around')
  const signed = await verify({ check: 'satisfiable', variables: { x: 8 }, constraints: ['x > 127'] })
  t.equal(signed.status, 'UNVERIFIABLE', '< and > are signed (z3py)')
  const unsigned = await verify({ check: 'satisfiable', variables: { x: 8 }, constraints: ['UGT(x, 200)', 'x & 1 == 1'] })
  t.equal(unsigned.status, 'VERIFIED')
  const qwedStyle = await verify({ check: 'satisfiable', variables: { x: 'BitVec[16]' as unknown as number }, constraints: ['x == 0xFFFF'] })
  t.same(qwedStyle.developer_fields.model, { x: 65535 })
  const theorem = await verify({ check: 'theorem', variables: { x: 32 }, premises: [], conclusion: 'x ^ x == 0' })
  t.equal(theorem.status, 'VERIFIED')
  const shift = await verify({ check: 'theorem', variables: { x: 8 }, premises: ['ULT(x, 16)'], conclusion: 'LShR(x << 4, 4) == x' })
  t.equal(shift.status, 'VERIFIED')
  const range = await verify({ check: 'satisfiable', variables: { x: 8 }, constraints: ['x == 300'] })
  t.equal(id(range), 'logic.literal_range', 'no silent wrap-around of literals')
  for (const width of [0, 65, 1.5, -8]) {
    t.equal(id(await verify({ check: 'satisfiable', variables: { x: width }, constraints: [] })), 'logic.unsupported_sort', `width ${width}`)
  }
  const w64 = await verify({ check: 'satisfiable', variables: { x: 64 }, constraints: ['x == 0xFFFFFFFFFFFFFFFF'] })
  t.same(w64.developer_fields.model, { x: '18446744073709551615' })
})

t.test('arrays', async (t) => {
  const sat = await verify({ check: 'satisfiable', variables: {}, arrays: { arr: ['Int', 'Int'] }, constraints: ['Select(arr, 0) == 42'] })
  t.equal(sat.status, 'VERIFIED')
  t.type(sat.developer_fields.model, Object)
  t.type((sat.developer_fields.model as Record<string, unknown>).arr, 'string')
  const unsat = await verify({ check: 'satisfiable', variables: {}, arrays: { arr: ['Int', 'Int'] }, constraints: ['Select(arr, 0) == 42', 'arr[0] == 100'] })
  t.equal(unsat.status, 'UNVERIFIABLE')
  const store = await verify({ check: 'theorem', variables: { i: 'Int', j: 'Int', v: 'Int' }, arrays: { a: ['Int', 'Int'] }, premises: ['i != j'], conclusion: 'Select(Store(a, i, v), j) == Select(a, j)' })
  t.equal(store.status, 'VERIFIED')
  const bools = await verify({ check: 'satisfiable', variables: { k: 'Int' }, arrays: { seen: ['Int', 'Bool'] }, constraints: ['seen[k]', 'Not(seen[k + 1])'] })
  t.equal(bools.status, 'VERIFIED')
  const bad = await verify({ check: 'satisfiable', variables: {}, arrays: { arr: ['Integer', 'Bol'] as unknown as ['Int', 'Int'] }, constraints: [] })
  t.equal(bad.status, 'BLOCKED')
  t.equal(id(bad), 'logic.unsupported_sort')
  t.equal(id(await verify({ check: 'satisfiable', variables: { a: 'Int' }, arrays: { a: ['Int', 'Int'] }, constraints: [] })), 'logic.duplicate_symbol')
  t.equal(id(await verify({ check: 'satisfiable', variables: {}, arrays: { a: ['Int'] as unknown as ['Int', 'Int'] }, constraints: [] })), 'logic.unsupported_sort')
})

t.test('division: a constant zero divisor is refused, a variable one must be non-zero', async (t) => {
  t.equal(id(await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x / 0 == 1'] })), 'logic.division_by_zero')
  t.equal(id(await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x / (3 - 3) == 1'] })), 'logic.division_by_zero')
  const undefinedModel = await verify({ check: 'satisfiable', variables: { x: 'Int', y: 'Int' }, constraints: ['x / y == 3', 'y == 0'] })
  t.equal(undefinedModel.status, 'UNVERIFIABLE', 'Z3 alone would call this SAT (division by zero is unspecified there)')
  t.equal(undefinedModel.developer_fields.definedness_conditions, 1)
  const ok = await verify({ check: 'satisfiable', variables: { x: 'Int', y: 'Int' }, constraints: ['x / y == 3'] })
  t.equal(ok.status, 'VERIFIED')
  t.not((ok.developer_fields.model as { y: number }).y, 0)
  const guarded = await verify({ check: 'theorem', variables: { x: 'Real', y: 'Real' }, premises: ['y != 0'], conclusion: '(x * y) / y == x' })
  t.equal(guarded.status, 'VERIFIED')
  const unguarded = await verify({ check: 'theorem', variables: { x: 'Real', y: 'Real' }, premises: [], conclusion: '(x * y) / y == x' })
  t.equal(unguarded.status, 'BLOCKED', 'the conclusion is undefined at y = 0')
  const shortCircuit = await verify({ check: 'theorem', variables: { x: 'Real', y: 'Real' }, premises: [], conclusion: 'Implies(y != 0, (x * y) / y == x)' })
  t.equal(shortCircuit.status, 'VERIFIED')
  const intDiv = await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x / 2 == 3', 'x % 2 == 1'] })
  t.same(intDiv.developer_fields.model, { x: 7 }, 'Int / Int is integer division (z3py)')
})

t.test('claim shape errors are BLOCKED', async (t) => {
  const cases: Array<[unknown, string]> = [
    [{ check: 'prove', variables: { x: 'Int' } }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: [] }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, constraints: 'x > 1' }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, constraints: [1] }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { 'x y': 'Int' }, constraints: [] }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { And: 'Bool' }, constraints: [] }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { __class__: 'Int' }, constraints: [] }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { x: 'Integer' }, constraints: [] }, 'logic.unsupported_sort'],
    [{ check: 'satisfiable', variables: { x: 'String' }, constraints: [] }, 'logic.unsupported_sort'],
    [{ check: 'satisfiable', variables: {}, constraints: ['1 > 0'] }, 'logic.no_variables'],
    [{ check: 'satisfiable' }, 'logic.no_variables'],
    [{ check: 'implication', variables: { x: 'Int' }, antecedent: 'x > 1' }, 'logic.invalid_claim'],
    [{ check: 'optimize', variables: { x: 'Int' }, objective: 'x', maximize: 'yes' }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`v${i}`, 'Int'])) }, 'logic.too_large'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, constraints: Array.from({ length: 201 }, () => 'x > 1') }, 'logic.too_large']
  ]
  for (const [claim, expected] of cases) {
    const r = await verify(claim as Omit<LogicClaim, 'type'>)
    t.equal(r.status, 'BLOCKED', JSON.stringify(claim).slice(0, 80))
    t.equal(id(r), expected, JSON.stringify(claim).slice(0, 80))
  }
})

t.test('arrays with holes are refused, never thrown', async (t) => {
  // Found by test/fuzz-engines.test.ts: `map` skips a hole and leaves it in its result, so the
  // engine then read `undefined.length` and threw; `new Array(1e8)` ran out of memory.
  /* eslint-disable no-sparse-arrays */
  const cases: Array<[unknown, string]> = [
    [{ check: 'satisfiable', variables: { x: 'Int' }, constraints: [, 'x > 1'] }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1', , 'x < 0'] }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, constraints: new Array(2) }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, constraints: new Array(1e8) }, 'logic.too_large'],
    [{ check: 'optimize', variables: { x: 'Int' }, constraints: [, 'x < 3'], objective: 'x' }, 'logic.invalid_claim'],
    [{ check: 'theorem', variables: { x: 'Int' }, premises: ['x > 1', ,], conclusion: 'x > 0' }, 'logic.invalid_claim'],
    [{ check: 'theorem', variables: { x: 'Int' }, premises: new Array(1e8), conclusion: 'x > 0' }, 'logic.too_large'],
    [{ check: 'equivalence', variables: { x: 'Int' }, formulas: [, 'x > 0'] }, 'logic.invalid_claim'],
    [{ check: 'equivalence', variables: { x: 'Int' }, formulas: new Array(2) }, 'logic.invalid_claim'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, arrays: { a: [, 'Int'] }, constraints: ['x > 1'] }, 'logic.unsupported_sort'],
    [{ check: 'satisfiable', variables: { x: 'Int' }, arrays: { a: new Array(2) }, constraints: ['x > 1'] }, 'logic.unsupported_sort']
  ]
  /* eslint-enable no-sparse-arrays */
  for (const [i, [claim, expected]] of cases.entries()) {
    const r = await verify(claim as Omit<LogicClaim, 'type'>)
    // (not JSON.stringify: `new Array(1e8)` would print 500 MB of nulls)
    t.equal(r.status, 'BLOCKED', `case ${i}`)
    t.equal(id(r), expected, `case ${i}`)
  }
  t.equal(id(await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1', 'x < 3'] })), 'logic.sat', 'a dense list is fine')
})

t.test('hostile input is never VERIFIED (through the verifier)', async (t) => {
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const hostile = [
    "__import__('os').system('id')",
    'x.__class__ == x',
    'x.__class__.__mro__[1].__subclasses__()',
    'lambda: True',
    '(lambda x: x)(1) == 1',
    'eval("x > 1")',
    'exec("import os")',
    'globals()',
    'x > 1 and x < 5',
    'x > 1 or True',
    'not x',
    "x == 'x'",
    'x if True else x',
    '[].append(1)',
    '{}.get(1)',
    'open("/etc/passwd")',
    'x > 1; x < 0',
    'True # comment',
    'x + '.repeat(25_000) + 'x > 0',
    '('.repeat(5_000) + 'x > 0' + ')'.repeat(5_000),
    'Not('.repeat(2_000) + 'True' + ')'.repeat(2_000),
    'y > 0',
    'x > 1\nimport os',
    'x >= 0x' + 'F'.repeat(100),
    'x ** 99999 > 0',
    '2 ** 99999 > 0'
  ]
  for (const text of hostile) {
    const r = await verifier.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: [text] })
    const label = text.slice(0, 40)
    t.equal(r.status, 'BLOCKED', label)
    t.equal(r.admission, 'BLOCKED', label)
  }
  // hostile text in every other role too
  for (const claim of [
    { check: 'theorem', premises: ['__import__("os")'], conclusion: 'x > 0' },
    { check: 'theorem', premises: [], conclusion: 'x.real > 0' },
    { check: 'implication', antecedent: 'x > 0', consequent: 'lambda: 1' },
    { check: 'equivalence', formulas: ['x > 0', 'x > 0 and True'] },
    { check: 'vacuity', antecedent: 'x.__class__' },
    { check: 'optimize', constraints: ['x < 10'], objective: 'max(x, 1)' }
  ]) {
    const r = await verifier.verify({ type: 'logic', variables: { x: 'Int' }, ...claim } as LogicClaim)
    t.equal(r.status, 'BLOCKED', claim.check)
    t.equal(r.admission, 'BLOCKED', claim.check)
  }
})

t.test('a check past its solver timeout is BLOCKED logic.timeout and not cached', async (t) => {
  const fast = createLogicEngine({}, { timeoutMs: 100 })
  const r = await fast.verify({ type: 'logic', ...HARD }, ctx())
  t.equal(r.status, 'BLOCKED')
  t.equal(id(r), 'logic.timeout')
  t.equal(r.cacheable, false)
  t.equal(r.developer_fields.timeout_ms, 100)
  // the engine is fine afterwards: an easy check is VERIFIED (a few tries, so that a loaded machine
  // spending the 100 ms budget elsewhere cannot fail the test; a broken engine never answers one)
  let next = await fast.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] }, ctx())
  for (let i = 0; i < 4 && id(next) === 'logic.timeout'; i++) next = await fast.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] }, ctx())
  t.equal(next.status, 'VERIFIED')
})

t.test('a proof whose hypotheses Z3 cannot decide in time is not admitted', async (t) => {
  const fast = createLogicEngine({}, { timeoutMs: 100 })
  // the proof is immediate (x > 1 contradicts x <= 1); whether the premises can hold at all is
  // the hard cubic problem, which Z3 does not settle in 100 ms
  const r = await fast.verify({ type: 'logic', check: 'theorem', variables: HARD.variables, premises: HARD.constraints, conclusion: 'x > 1' }, ctx())
  t.equal(r.status, 'BLOCKED')
  t.equal(id(r), 'logic.timeout')
  t.equal(r.cacheable, false)
})

t.test('an aborted signal interrupts the running check', async (t) => {
  const slow = createLogicEngine({}, { timeoutMs: 20_000 })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 200)
  const r = await slow.verify({ type: 'logic', ...HARD }, { signal: controller.signal })
  t.equal(r.status, 'BLOCKED')
  t.equal(id(r), 'logic.timeout')
  t.equal(r.developer_fields.reason, 'aborted')
  t.equal(r.cacheable, false)
  const pre = new AbortController()
  pre.abort()
  const before = await slow.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] }, { signal: pre.signal })
  t.equal(id(before), 'logic.timeout', 'a claim aborted before its turn does not run')
})

t.test('close() interrupts running checks and refuses new ones', async (t) => {
  const closing = createLogicEngine({}, { timeoutMs: 20_000 })
  const running = closing.verify({ type: 'logic', ...HARD }, ctx())
  setTimeout(() => { closing.close?.() }, 200)
  const r = await running
  t.equal(r.status, 'BLOCKED')
  t.equal(id(r), 'logic.timeout')
  const after = await closing.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] }, ctx())
  t.equal(id(after), 'logic.closed')
  // other engines share Z3 and keep working
  t.equal((await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] })).status, 'VERIFIED')
})

t.test('concurrent claims are answered correctly', async (t) => {
  const claims = Array.from({ length: 12 }, (_, i) => verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: [`x == ${i}`, 'x % 2 == 0'] }))
  const results = await Promise.all(claims)
  results.forEach((r, i) => {
    t.equal(r.status, i % 2 === 0 ? 'VERIFIED' : 'UNVERIFIABLE', `claim ${i}`)
    if (i % 2 === 0) t.same(r.developer_fields.model, { x: i })
  })
})

t.test('a process that used Z3 exits on its own (pthread workers do not keep it alive)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qwed-logic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const script = join(dir, 'exit.mts')
  const engineUrl = new URL('../lib/engines/logic/index.ts', import.meta.url).href
  writeFileSync(script, [
    `const { createLogicEngine } = await import(${JSON.stringify(engineUrl)})`,
    '// a generous budget for the easy check (a loaded machine must not turn it into a timeout), a short one for the hard check',
    'const engine = createLogicEngine({}, { timeoutMs: 30000 })',
    'const short = createLogicEngine({}, { timeoutMs: 300 })',
    'const signal = new AbortController().signal',
    '// Z3 loaded first: the budgets are for the checks, not for loading the solver',
    'await engine.warmUp()',
    "const a = await engine.verify({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 5'] }, { signal })",
    `const b = await short.verify(${JSON.stringify({ type: 'logic', ...HARD })}, { signal })`,
    'console.log(a.status, b.developer_fields.constraint_id)',
    '// no close(), no killThreads: the process must end by itself'
  ].join('\n'))
  const started = performance.now()
  const { code, stdout } = await new Promise<{ code: number | null, stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [...TS_LOADER, script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const killer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the child process did not exit within 60 s')) }, 60_000)
    child.on('error', reject)
    child.on('exit', (exitCode) => { clearTimeout(killer); resolve({ code: exitCode, stdout: out }) })
  })
  t.equal(code, 0)
  t.equal(stdout.trim(), 'VERIFIED logic.timeout')
  t.comment(`child process ran and exited in ${Math.round(performance.now() - started)} ms`)
})

t.test('expected optimum: decimals, fractions and exponents are exact', async (t) => {
  const claim = (expected: unknown): Omit<LogicClaim, 'type'> => ({ check: 'optimize', variables: { r: 'Real' }, constraints: ['2 * r <= 7'], objective: 'r', expected: expected as string })
  t.equal((await verify(claim('7/2'))).status, 'VERIFIED')
  t.equal((await verify(claim('3.5'))).status, 'VERIFIED')
  t.equal((await verify(claim(3.5))).status, 'VERIFIED')
  t.equal((await verify(claim('35e-1'))).status, 'VERIFIED')
  t.equal((await verify(claim('3.50000000000000000001'))).status, 'UNVERIFIABLE', 'no float rounding')
  for (const bad of ['1/0', 'NaN', Number.NaN, Number.POSITIVE_INFINITY, '', '.', '1.2.3', 'x'.repeat(200), {}, true]) {
    t.equal(id(await verify(claim(bad))), 'logic.invalid_claim', String(bad).slice(0, 20))
  }
})

t.test('algebraic model values and engine defaults', async (t) => {
  const root = await verify({ check: 'satisfiable', variables: { r: 'Real' }, constraints: ['r * r == 2', 'r > 0'] })
  t.equal(root.status, 'VERIFIED')
  t.match((root.developer_fields.model as { r: string }).r, /root-obj/, 'an irrational value is reported as a Z3 term')
  // no context: the engine still works (the verifier always passes one)
  const bare = await (engine.verify as (c: LogicClaim) => Promise<EngineResult>)({ type: 'logic', check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] })
  t.equal(bare.status, 'VERIFIED')
  t.equal(id(await engine.verify(null as unknown as LogicClaim, ctx())), 'logic.invalid_claim')
  t.equal(id(await verify({ check: 'satisfiable', variables: { x: 'Int' }, arrays: [] as unknown as Record<string, ['Int', 'Int']> })), 'logic.invalid_claim')
  // the solver timeout stays under the breaker's deadline
  const tight = createLogicEngine({ breaker: { timeout: 600 } })
  const r = await tight.verify({ type: 'logic', ...HARD }, ctx())
  t.equal(r.developer_fields.timeout_ms, 100)
})

// Keep this test last: it unloads the file's shared Z3 instance (as an app calling
// unloadLogicSolver() would), then the next claim loads it again. A second instance of its own
// would cost two more loads of Z3 (a few seconds) for the same check.
t.test('the Z3 instance can be unloaded and is loaded again by the next claim', async (t) => {
  const claim = { check: 'satisfiable' as const, variables: { x: 'Int' as const }, constraints: ['x > 5'] }
  t.equal((await verify(claim)).status, 'VERIFIED')
  const before = await loadZ3()
  const { api } = before
  await unloadZ3()
  t.equal(api.em.PThread.runningWorkers.length + api.em.PThread.unusedWorkers.length, 0, 'its threads are gone')
  await unloadZ3() // a second unload is a no-op
  t.equal((await verify(claim)).status, 'VERIFIED', 'loaded again')
  // preload is idempotent: the instance the claim loaded stays
  const reloaded = await loadZ3()
  t.not(reloaded, before, 'a new instance')
  await preloadLogicSolver()
  t.equal(await loadZ3(), reloaded, 'preload kept the loaded instance')
  t.equal((await verify({ check: 'satisfiable', variables: { x: 'Int' }, constraints: ['x > 1'] })).status, 'VERIFIED')
})
