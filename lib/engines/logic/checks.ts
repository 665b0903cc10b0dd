import type { LogicClaim } from '../../../types/claims.js'
import type { EngineResult } from '../../../types/engine.js'
import type { DeveloperFields } from '../../../types/result.js'
import { blocked, unverifiable, verified } from '../../result.js'
import { BOOL, definedness, Elaborator, MAX_BITVEC_WIDTH, sortName, type Sort, type Term } from './elaborate.js'
import { LogicInputError, NAME_PATTERN, parseFormula, rational, reservedName, type Rational } from './parse.js'
import { busyResult } from '../busy.js'
import { z3Turns } from './limiter.js'
import { loadZ3, solve, Z3InputError, type ModelValue, type SolveOutcome, type Z3Loader } from './z3.js'

/**
 * The six checks of a logic claim and QWED's status conventions for each
 * (reference/qwed-protocol.md §4.2.3, conformance/README.md):
 *
 * | check        | asked to Z3                         | true (VERIFIED)   | false                     |
 * | satisfiable  | constraints                         | sat (model)       | unsat: UNVERIFIABLE       |
 * | theorem      | premises ∧ ¬conclusion              | unsat (proved)    | sat: BLOCKED (counterex.) |
 * | implication  | antecedent ∧ ¬consequent            | unsat (proved)    | sat: BLOCKED (counterex.) |
 * | equivalence  | ¬(formulas[0] = formulas[1])        | unsat (proved)    | sat: BLOCKED (counterex.) |
 * | vacuity      | antecedent                          | sat (non-vacuous) | unsat: UNVERIFIABLE       |
 * | optimize     | optimum of objective s.t. constraints, | optimum (= expected when given) | otherwise UNVERIFIABLE |
 * |              | then: nothing better (confirmation)  |                   |                           |
 *
 * Z3 answering unknown (timeout, interrupt, incomplete theory) is BLOCKED and never cached.
 * Everything refused before Z3 runs (malformed claim, unsupported sort, parse error, disallowed
 * construct, undeclared name, sort error, division by a constant zero, caps) is BLOCKED with
 * `logic.<reason>`; Z3 is not even loaded for those.
 */

export const MAX_SYMBOLS = 200
export const MAX_FORMULAS = 200
const CHECKS = new Set(['satisfiable', 'theorem', 'implication', 'equivalence', 'vacuity', 'optimize'])
/** The least solver time the vacuity check after a proof gets, even when the proof used the budget. */
const MIN_VACUITY_MS = 50
const TIMEOUT_REASONS = new Set(['timeout', 'canceled', 'cancelled', 'interrupted', 'aborted'])

export interface CheckOptions {
  timeoutMs: number
  signal?: AbortSignal
  loader?: Z3Loader
  /** Called when the check's turn at Z3 comes (the engine's ctx.started): the wait before is overload, not failure. */
  onStart?: () => void
}

type Role = 'constraints' | 'premises' | 'conclusion' | 'antecedent' | 'consequent' | 'formulas' | 'objective'

interface Formula { role: Role, text: string, normalized: string, rewrote: boolean, term: Term }

interface Prepared {
  check: LogicClaim['check']
  symbols: Map<string, Sort>
  /** name -> sort, as reported (sorted by the canonical JSON of the evidence). */
  declared: Record<string, string>
  formulas: Formula[]
  maximize: boolean
  expected: Rational | null
  expectedText: string | null
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

function invalid (message: string, detail: Record<string, unknown> = {}): never {
  throw new LogicInputError('invalid_claim', message, detail)
}

/** 'Int' | 'Real' | 'Bool' (any case), a bit-vector width 1..64, or QWED's 'BitVec[N]'. */
function scalarSort (value: unknown, name: string): Sort {
  let width: number | null = null
  if (typeof value === 'number') width = value
  else if (typeof value === 'string') {
    const lower = value.trim().toLowerCase()
    if (lower === 'int') return { kind: 'Int' }
    if (lower === 'real') return { kind: 'Real' }
    if (lower === 'bool') return { kind: 'Bool' }
    const m = /^bitvec[[(](\d{1,3})[\])]$/.exec(lower)
    if (m !== null) width = Number(m[1])
  }
  if (width !== null && Number.isInteger(width) && width >= 1 && width <= MAX_BITVEC_WIDTH) return { kind: 'BitVec', width }
  throw new LogicInputError('unsupported_sort', 'A declared sort is not supported', {
    name,
    declared: typeof value === 'string' ? value.slice(0, 64) : typeof value === 'number' ? value : typeof value,
    supported: ['Int', 'Real', 'Bool', `bit-vector width 1..${MAX_BITVEC_WIDTH}`]
  })
}

function checkName (name: string): void {
  if (!NAME_PATTERN.test(name) || name.length > 64) invalid('A declared name is not a valid identifier', { name: name.slice(0, 64) })
  const reserved = reservedName(name)
  if (reserved !== null) invalid(`A declared name is ${reserved}`, { name })
}

function formulaText (value: unknown, field: string): string {
  if (typeof value !== 'string') invalid(`\`${field}\` must be a string`, { field })
  return value
}

function formulaList (value: unknown, field: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) invalid(`\`${field}\` must be an array of strings`, { field })
  // the cap comes first: `new Array(1e8)` is one allocation, walking it is not
  if (value.length > MAX_FORMULAS) throw new LogicInputError('too_large', 'The claim has too many formulas', { field, max_formulas: MAX_FORMULAS })
  const out: string[] = []
  for (let i = 0; i < value.length; i++) {
    // a hole (`[, 'x > 1']`) is not a formula; `map` would skip it and leave the hole in its result
    if (!(i in value)) invalid(`\`${field}[${i}]\` must be a string`, { field: `${field}[${i}]` })
    out.push(formulaText(value[i], `${field}[${i}]`))
  }
  return out
}

/** An exact decimal ("12.5", 12.5, "1e3") or fraction ("7/2"). */
function parseExpected (value: unknown): Rational {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : null
  if (text === null || text.length > 100) invalid('`expected` must be a number or a decimal string', { field: 'expected' })
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(text)
  if (frac !== null) {
    if (BigInt(frac[2] as string) === 0n) invalid('`expected` divides by zero', { field: 'expected' })
    return rational(BigInt(frac[1] as string), BigInt(frac[2] as string))
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/.exec(text)
  if (m === null || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) invalid('`expected` must be a number or a decimal string', { field: 'expected' })
  const digits = BigInt(((m[2] ?? '') + (m[3] ?? '')) || '0') * (m[1] === '-' ? -1n : 1n)
  const scale = (m[3] ?? '').length - Number(m[4] ?? '0')
  return scale >= 0 ? rational(digits, 10n ** BigInt(scale)) : rational(digits * 10n ** BigInt(-scale))
}

/** Validates the claim, parses and sort-checks every formula. Pure: no Z3. */
export function prepare (claim: LogicClaim): Prepared {
  if (!isPlainObject(claim)) invalid('The claim is not an object')
  const check = claim.check
  if (typeof check !== 'string' || !CHECKS.has(check)) invalid('`check` must be one of ' + [...CHECKS].join(', '), { field: 'check' })
  const variables = claim.variables ?? {}
  if (!isPlainObject(variables)) invalid('`variables` must be an object of name -> sort', { field: 'variables' })
  const arrays = claim.arrays ?? {}
  if (!isPlainObject(arrays)) invalid('`arrays` must be an object of name -> [index sort, value sort]', { field: 'arrays' })
  const names = [...Object.keys(variables), ...Object.keys(arrays)]
  if (names.length > MAX_SYMBOLS) throw new LogicInputError('too_large', 'The claim declares too many symbols', { max_symbols: MAX_SYMBOLS })

  const symbols = new Map<string, Sort>()
  const declared: Record<string, string> = {}
  for (const [name, sortValue] of Object.entries(variables)) {
    checkName(name)
    const sort = scalarSort(sortValue, name)
    symbols.set(name, sort)
    declared[name] = sortName(sort)
  }
  for (const [name, pair] of Object.entries(arrays)) {
    checkName(name)
    if (symbols.has(name)) throw new LogicInputError('duplicate_symbol', 'A name is declared twice', { name })
    if (!Array.isArray(pair) || pair.length !== 2 || !(0 in pair) || !(1 in pair)) {
      throw new LogicInputError('unsupported_sort', 'An array is declared as [index sort, value sort]', { name })
    }
    const sort: Sort = { kind: 'Array', index: scalarSort(pair[0], name), value: scalarSort(pair[1], name) }
    symbols.set(name, sort)
    declared[name] = sortName(sort)
  }
  if (symbols.size === 0) {
    throw new LogicInputError('no_variables', 'Explicit variable declarations are required', {})
  }

  const raw: Array<[Role, string]> = []
  const add = (role: Role, texts: string[]): void => { for (const t of texts) raw.push([role, t]) }
  // `constraints` are the problem for satisfiable/optimize and background assumptions elsewhere
  add('constraints', formulaList(claim.constraints, 'constraints'))
  let maximize = true
  let expected: Rational | null = null
  let expectedText: string | null = null
  switch (check) {
    case 'theorem':
      add('premises', formulaList(claim.premises, 'premises'))
      add('conclusion', [formulaText(claim.conclusion, 'conclusion')])
      break
    case 'implication':
      add('antecedent', [formulaText(claim.antecedent, 'antecedent')])
      add('consequent', [formulaText(claim.consequent, 'consequent')])
      break
    case 'equivalence':
      if (!Array.isArray(claim.formulas) || claim.formulas.length !== 2) invalid('`formulas` must hold exactly two formulas', { field: 'formulas' })
      add('formulas', formulaList(claim.formulas, 'formulas'))
      break
    case 'vacuity':
      add('antecedent', [formulaText(claim.antecedent, 'antecedent')])
      if (claim.consequent !== undefined) add('consequent', [formulaText(claim.consequent, 'consequent')])
      break
    case 'optimize':
      add('objective', [formulaText(claim.objective, 'objective')])
      if (claim.maximize !== undefined && typeof claim.maximize !== 'boolean') invalid('`maximize` must be a boolean', { field: 'maximize' })
      maximize = claim.maximize ?? true
      if (claim.expected !== undefined) {
        expected = parseExpected(claim.expected)
        expectedText = String(claim.expected)
      }
      break
  }
  if (raw.length > MAX_FORMULAS) throw new LogicInputError('too_large', 'The claim has too many formulas', { max_formulas: MAX_FORMULAS })

  const elaborator = new Elaborator(symbols)
  const formulas: Formula[] = raw.map(([role, text], index) => {
    try {
      const parsed = parseFormula(text)
      let term: Term
      if (role === 'objective') {
        term = elaborator.term(parsed.node)
        if (term.sort.kind !== 'Int' && term.sort.kind !== 'Real' && term.sort.kind !== 'BitVec') {
          throw new LogicInputError('sort_error', 'The objective must be a number', { sort: sortName(term.sort) })
        }
      } else if (role === 'formulas') {
        term = elaborator.term(parsed.node)
      } else {
        term = elaborator.formula(parsed.node)
      }
      return { role, text, normalized: parsed.normalized, rewrote: parsed.rewroteAssignment, term }
    } catch (err) {
      if (err instanceof LogicInputError) {
        // say which formula failed (the text is the caller's own input, capped)
        throw new LogicInputError(err.code, err.message, { ...err.detail, role, index, formula: text.slice(0, 200) })
      }
      throw err
    }
  })
  return { check: check as LogicClaim['check'], symbols, declared, formulas, maximize, expected, expectedText }
}

const not = (t: Term): Term => ({ op: 'not', args: [t], sort: BOOL })
const andAll = (ts: Term[]): Term => ts.length === 1 ? ts[0] as Term : ts.length === 0 ? { op: 'bool', value: true, sort: BOOL } : { op: 'and', args: ts, sort: BOOL }

/** Asserts a formula together with the condition that its divisions are defined. */
function withDefinedness (ts: Term[]): { assertions: Term[], conditions: number } {
  const assertions: Term[] = []
  let conditions = 0
  for (const t of ts) {
    assertions.push(t)
    const d = definedness(t)
    if (d !== null) { assertions.push(d); conditions++ }
  }
  return { assertions, conditions }
}

/** `goal` holds, and is defined. */
function definedGoal (goal: Term): { term: Term, conditions: number } {
  const d = definedness(goal)
  return d === null ? { term: goal, conditions: 0 } : { term: andAll([d, goal]), conditions: 1 }
}

function messageOf (err: LogicInputError): string {
  switch (err.code) {
    case 'undeclared': return 'The claim uses a name that is not declared'
    case 'disallowed': return 'The claim uses a construct that is not allowed'
    case 'parse_error': return 'The claim could not be parsed'
    case 'division_by_zero': return 'The claim divides by zero'
    case 'no_variables': return 'The claim must declare its variables'
    case 'unsupported_sort': return 'The claim declares an unsupported sort'
    case 'too_large': case 'too_deep': case 'literal_too_large': return 'The claim is too large to verify'
    default: return 'The claim cannot be verified as stated'
  }
}

export function refusal (err: LogicInputError): EngineResult {
  return blocked(messageOf(err), { constraint_id: `logic.${err.code}`, error: err.message, ...err.detail })
}

/**
 * Runs one logic claim. Throws only when Z3 cannot be loaded or fails (engine unavailable). A claim
 * that finds the line in front of Z3 full (limiter.ts) is answered busy without running.
 */
export async function runCheck (claim: LogicClaim, options: CheckOptions): Promise<EngineResult> {
  let prepared: Prepared
  try {
    prepared = prepare(claim)
  } catch (err) {
    if (err instanceof LogicInputError) return refusal(err)
    throw err
  }
  const instance = await loadZ3(options.loader)
  let release
  try {
    release = await z3Turns(options.loader).take(options.signal)
  } catch {
    // Aborted before its turn: the solver answers 'aborted' at once, without running (logic.timeout).
    return await decide(prepared, instance, options)
  }
  if (release === null) return busyResult('logic', { queue: 'full' })
  try {
    options.onStart?.()
    return await decide(prepared, instance, options)
  } finally {
    release()
  }
}

async function decide (prepared: Prepared, instance: Awaited<ReturnType<typeof loadZ3>>, options: CheckOptions): Promise<EngineResult> {
  const { check, formulas, symbols } = prepared
  const of = (role: Role): Formula[] => formulas.filter((f) => f.role === role)
  const terms = (role: Role): Term[] => of(role).map((f) => f.term)

  const normalized: Record<string, unknown> = {}
  for (const role of ['constraints', 'premises', 'conclusion', 'antecedent', 'consequent', 'formulas', 'objective'] as Role[]) {
    const list = of(role).map((f) => f.normalized)
    // background constraints are listed for every check that has them, and always for the two
    // checks whose problem they are
    if (list.length === 0 && !(role === 'constraints' && (check === 'satisfiable' || check === 'optimize'))) continue
    normalized[role] = role === 'constraints' || role === 'premises' || role === 'formulas' ? list : list[0]
  }
  if (check === 'optimize') normalized.maximize = prepared.maximize
  const base: DeveloperFields = { check, variables: prepared.declared, ...normalized }
  if (formulas.some((f) => f.rewrote)) base.rewritten = formulas.filter((f) => f.rewrote).map((f) => ({ role: f.role, from: f.text.slice(0, 200), to: f.normalized }))

  // what Z3 is asked
  let assertions: Term[]
  let conditions = 0
  let objective: { term: Term, maximize: boolean } | undefined
  const background = withDefinedness(terms('constraints'))
  switch (check) {
    case 'satisfiable':
      ({ assertions, conditions } = background)
      break
    case 'theorem':
    case 'implication': {
      const hyp = withDefinedness(terms(check === 'theorem' ? 'premises' : 'antecedent'))
      const goal = definedGoal((terms(check === 'theorem' ? 'conclusion' : 'consequent')[0]) as Term)
      assertions = [...background.assertions, ...hyp.assertions, not(goal.term)]
      conditions = background.conditions + hyp.conditions + goal.conditions
      break
    }
    case 'equivalence': {
      const [f1, f2] = terms('formulas') as [Term, Term]
      const elaborator = new Elaborator(symbols)
      let same: Term
      try {
        same = elaborator.sameValue(f1, f2)
      } catch (err) {
        if (err instanceof LogicInputError) return refusal(err)
        throw err
      }
      const goal = definedGoal(same)
      assertions = [...background.assertions, not(goal.term)]
      conditions = background.conditions + goal.conditions
      break
    }
    case 'vacuity': {
      const ant = withDefinedness(terms('antecedent'))
      assertions = [...background.assertions, ...ant.assertions]
      conditions = background.conditions + ant.conditions
      break
    }
    case 'optimize': {
      const obj = terms('objective')[0] as Term
      const d = definedness(obj)
      assertions = d === null ? background.assertions : [...background.assertions, d]
      conditions = background.conditions + (d === null ? 0 : 1)
      objective = { term: obj, maximize: prepared.maximize }
      break
    }
  }
  if (conditions > 0) base.definedness_conditions = conditions

  const started = performance.now()
  let outcome: SolveOutcome
  try {
    outcome = await solve(instance, { assertions, objective, symbols, timeoutMs: options.timeoutMs, signal: options.signal })
  } catch (err) {
    if (err instanceof Z3InputError) {
      return blocked('The claim cannot be verified as stated', { ...base, constraint_id: 'logic.sort_error', error: err.message })
    }
    throw err
  }
  const solverMs = Math.round((performance.now() - started) * 1000) / 1000

  if (outcome.status === 'unknown') {
    const timedOut = TIMEOUT_REASONS.has(outcome.reason)
    return {
      ...blocked(timedOut ? 'The solver did not finish in time' : 'The solver could not decide the claim', {
        ...base,
        constraint_id: timedOut ? 'logic.timeout' : 'logic.unknown',
        deterministic_verdict: 'UNKNOWN',
        reason: outcome.reason,
        timeout_ms: options.timeoutMs
      }),
      cacheable: false
    }
  }

  const evidence = (verdict: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ engine: 'z3', check, variables: prepared.declared, ...normalized, ...(conditions > 0 ? { definedness_conditions: conditions } : {}), verdict, ...extra })
  const fields = (id: string, verdict: string, extra: Record<string, unknown> = {}): DeveloperFields =>
    ({ ...base, constraint_id: id, deterministic_verdict: verdict, ...extra, solver_ms: solverMs })
  const model: Record<string, ModelValue> | undefined = outcome.status === 'sat' ? outcome.model : undefined

  switch (check) {
    case 'satisfiable':
      if (model === undefined) return unverifiable('The constraints are unsatisfiable: no model exists', fields('logic.unsat', 'UNSAT'))
      return verified('The constraints are satisfiable: a model was found', fields('logic.sat', 'SAT', { model }), evidence('SAT', { model }))
    case 'theorem':
    case 'implication': {
      const what = check === 'theorem' ? 'conclusion' : 'consequent'
      const from = check === 'theorem' ? 'premises' : 'antecedent'
      if (model !== undefined) {
        return blocked(`The ${what} does not follow from the ${from}: a counterexample was found`, fields('logic.counterexample', 'counterexample_found', { counterexample: model }))
      }
      const hypotheses = [...background.assertions, ...withDefinedness(terms(from)).assertions]
      const refused = await refuseVacuous(instance, options, hypotheses, started, `The ${from} contradict each other: the ${what} follows from them vacuously`, fields)
      if (refused !== null) return refused
      return verified(`The ${what} follows from the ${from}`, fields('logic.proved', 'contradiction_confirmed', { vacuous_premises: false }), evidence('proved', { vacuous_premises: false }))
    }
    case 'equivalence': {
      if (model !== undefined) {
        return blocked('The formulas are not equivalent: a counterexample was found', fields('logic.counterexample', 'not_equivalent', { counterexample: model }))
      }
      // equal under constraints that can never hold is the same empty proof as a vacuous theorem
      const refused = await refuseVacuous(instance, options, background.assertions, started, 'The constraints contradict each other: the formulas are equivalent only vacuously', fields)
      if (refused !== null) return refused
      return verified('The formulas are equivalent', fields('logic.proved', 'equivalent'), evidence('equivalent'))
    }
    case 'vacuity':
      if (model === undefined) {
        return unverifiable('The rule is vacuous: its antecedent can never hold', fields('logic.vacuous', 'VACUOUS'))
      }
      return verified('The rule is not vacuous: its antecedent can hold', fields('logic.non_vacuous', 'NON_VACUOUS', { model }), evidence('NON_VACUOUS', { model }))
    case 'optimize': {
      if (outcome.status !== 'sat' || model === undefined) {
        return unverifiable('The constraints cannot be satisfied: there is no optimum', fields('logic.infeasible', 'UNSAT'))
      }
      const optimum = outcome.optimum
      if (optimum === undefined || optimum.kind === 'unbounded') {
        return unverifiable('The objective is unbounded: there is no finite optimum', fields('logic.unbounded', 'UNBOUNDED', { model }))
      }
      if (optimum.kind === 'unattained') {
        return unverifiable('The objective approaches a bound it never reaches: there is no optimum', fields('logic.no_optimum', 'UNATTAINED', { bound: optimum.bound, model }))
      }
      const extra = { objective_value: optimum.text, model }
      if (prepared.expected !== null) {
        const same = prepared.expected.n === optimum.value.n && prepared.expected.d === optimum.value.d
        if (!same) {
          return unverifiable('The claimed optimum is not the optimum', fields('logic.optimum_mismatch', 'OPTIMAL', { ...extra, expected: prepared.expectedText }))
        }
        return verified('The claimed optimum is the optimum', fields('logic.optimal', 'OPTIMAL', { ...extra, expected: prepared.expectedText }), evidence('OPTIMAL', { ...extra, expected: prepared.expectedText }))
      }
      return verified(`The optimum is ${optimum.text}`, fields('logic.optimal', 'OPTIMAL', extra), evidence('OPTIMAL', extra))
    }
  }
}

/**
 * After a proof: a proof from hypotheses that can never hold proves nothing (a rule that can never
 * fire is not "verified"; QWED 10 stopped admitting it). Returns the refusal, or null when the
 * hypotheses can hold. Shares the claim's solver budget with the proof that ran first; when Z3
 * cannot tell in the time left, the proof is not admitted either (fail closed, not cached).
 */
async function refuseVacuous (
  instance: Awaited<ReturnType<typeof loadZ3>>,
  options: CheckOptions,
  hypotheses: Term[],
  started: number,
  message: string,
  fields: (id: string, verdict: string, extra?: Record<string, unknown>) => DeveloperFields
): Promise<EngineResult | null> {
  if (hypotheses.length === 0) return null
  const left = Math.max(MIN_VACUITY_MS, Math.floor(options.timeoutMs - (performance.now() - started)))
  const outcome = await solve(instance, { assertions: hypotheses, symbols: new Map(), timeoutMs: left, signal: options.signal })
  if (outcome.status === 'sat') return null
  if (outcome.status === 'unsat') {
    return blocked(message, fields('logic.vacuous_premises', 'VACUOUS', { vacuous_premises: true }))
  }
  const timedOut = TIMEOUT_REASONS.has(outcome.reason)
  return {
    ...blocked('The solver could not confirm that the hypotheses can hold', fields(timedOut ? 'logic.timeout' : 'logic.unknown', 'UNKNOWN', { reason: outcome.reason, timeout_ms: options.timeoutMs })),
    cacheable: false
  }
}
