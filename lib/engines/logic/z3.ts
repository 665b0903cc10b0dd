import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads'
import type { Arith, BitVec, Bool, Context, Expr, Model, Optimize, SMTArray, Solver, Sort as Z3Sort, Z3HighLevel, Z3LowLevel } from 'z3-solver'
import type { Rational } from './parse.js'
import type { Sort, Term } from './elaborate.js'

/**
 * Z3 (the official z3-solver WASM build), loaded on the first logic claim and initialised once per
 * process: one module, one Context, shared by every logic engine. Everything that touches the
 * Context runs one request at a time (a Z3 context is not thread-safe, and check() runs on an
 * emscripten pthread), so building terms never races a running check, and an interrupt always
 * hits the request it was meant for. Each check has a Z3 timeout and, because Z3 overshoots it on
 * nonlinear problems, a timer that interrupts the context shortly after; an aborted signal
 * interrupts too. The pthread workers are unref'd by emscripten: they do not keep a process alive.
 */

type Name = 'qwed'
type Z3Api = Z3HighLevel & Z3LowLevel
export interface Z3Module { init: () => Promise<Z3Api> }
export type Z3Loader = () => Promise<Z3Module>

interface Instance {
  api: Z3Api
  ctx: Context<Name>
  tail: Promise<unknown>
}

/** A model value as plain JSON: booleans, safe integers as numbers, everything else as a string. */
export type ModelValue = boolean | number | string

export type Optimum =
  | { kind: 'value', value: Rational, text: string }
  | { kind: 'unbounded' }
  /** The bound is approached but never reached (`x < 5`, maximise x over the reals). */
  | { kind: 'unattained', bound: string }

export type SolveOutcome =
  | { status: 'sat', model: Record<string, ModelValue>, optimum?: Optimum }
  | { status: 'unsat' }
  | { status: 'unknown', reason: string }

export interface SolveRequest {
  assertions: readonly Term[]
  objective?: { term: Term, maximize: boolean }
  /** Declared symbols, reported in the model (sorted by name). */
  symbols: ReadonlyMap<string, Sort>
  timeoutMs: number
  signal?: AbortSignal
}

/** Milliseconds after the Z3 timeout before the context is interrupted. */
const INTERRUPT_GRACE_MS = 50
const MAX_MODEL_TEXT = 1000

const defaultLoader: Z3Loader = async () => await import('z3-solver')
const instances = new Map<Z3Loader, Promise<Instance>>()

/** Loads and initialises Z3 once per loader (once per process for the default one). */
export async function loadZ3 (loader: Z3Loader = defaultLoader): Promise<Instance> {
  let pending = instances.get(loader)
  if (pending === undefined) {
    pending = (async () => {
      const mod = await loader()
      const api = await mod.init()
      keepLoadersOutOfZ3Threads()
      const ctx = new api.Context('qwed')
      const instance: Instance = { api, ctx, tail: Promise.resolve() }
      // The first real check starts Z3's pthread workers (the check itself, its timer, the SMT
      // core), and each one instantiates the wasm module again (~0.3-1 s each). Pay that now, while
      // loading, with a small arithmetic problem that needs all of them (a trivial one does not).
      await exclusive(instance, async () => {
        const solver = new ctx.Solver()
        solver.set('timeout', 10_000)
        const w = ctx.Int.const('warm_up')
        solver.add(w.gt(5), w.lt(3))
        await solver.check()
        solver.release()
      })
      return instance
    })()
    instances.set(loader, pending)
    // a failed load is not cached: the next claim tries again (the circuit breaker spaces retries)
    pending.catch(() => { if (instances.get(loader) === pending) instances.delete(loader) })
  }
  return await pending
}

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader'])

/** The process's exec flags without the ones that load code (`--import x`, `--require=x`, ...). */
export function threadExecArgv (argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    if (LOADER_FLAGS.has(eq === -1 ? arg : arg.slice(0, eq))) {
      if (eq === -1) i++ // the value is the next argument
      continue
    }
    out.push(arg)
  }
  return out
}

/**
 * Emscripten's init sets `globalThis.Worker = worker_threads.Worker` and starts each Z3 pthread as
 * `new Worker(z3-built.js, { workerData: 'em-pthread' })`, which inherits the process's exec flags:
 * every `--import` / `--require` hook of the host (tsx, an APM agent, a test runner) would then run
 * again in each of Z3's threads, which made loading 7x slower under tap (25 s instead of 3.5 s) and
 * runs code in those threads that has no business there. Z3's threads get the flags without the
 * loaders; every other Worker is created exactly as before.
 */
function keepLoadersOutOfZ3Threads (): void {
  const g = globalThis as { Worker?: unknown }
  if (g.Worker !== NodeWorker) return
  g.Worker = class Z3ThreadWorker extends NodeWorker {
    constructor (url: string | URL, options?: WorkerOptions) {
      const pthread = options?.workerData === 'em-pthread' && options.execArgv === undefined
      super(url, pthread ? { ...options, execArgv: threadExecArgv(process.execArgv) } : options)
    }
  }
}

/**
 * Terminates the Z3 pthread workers and forgets the instance (a later claim loads Z3 again). Only
 * for a process that wants its memory back; waits for the running request to finish.
 */
export async function unloadZ3 (loader: Z3Loader = defaultLoader): Promise<void> {
  const pending = instances.get(loader)
  if (pending === undefined) return
  instances.delete(loader)
  const instance = await pending.catch(() => null)
  if (instance === null) return
  await exclusive(instance, async () => {
    const { killThreads } = await import('z3-solver')
    await killThreads(instance.api.em).catch(() => {})
  })
}

function exclusive<T> (instance: Instance, fn: () => Promise<T>): Promise<T> {
  const run = instance.tail.then(fn, fn)
  instance.tail = run.catch(() => {})
  return run
}

/** A Z3 error raised while building terms: the input, not the engine, is at fault. */
export class Z3InputError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'Z3InputError'
  }
}

export async function solve (instance: Instance, request: SolveRequest): Promise<SolveOutcome> {
  return await exclusive(instance, async () => {
    if (request.signal?.aborted === true) return { status: 'unknown', reason: 'aborted' }
    const { ctx } = instance
    const deadline = performance.now() + request.timeoutMs
    const builder = new Builder(ctx)
    let assertions: Array<Bool<Name>>
    let objective: Expr<Name> | undefined
    try {
      assertions = request.assertions.map((t) => builder.build(t) as Bool<Name>)
      if (request.objective !== undefined) objective = builder.build(request.objective.term)
    } catch (err) {
      throw new Z3InputError((err as Error).message)
    }
    const solver: Solver<Name> | Optimize<Name> = objective === undefined ? new ctx.Solver() : new ctx.Optimize()
    try {
      solver.add(...assertions)
      let handle = 0
      if (objective !== undefined) {
        const opt = solver as Optimize<Name>
        handle = request.objective?.maximize === true ? opt.maximize(objective as Arith<Name>) : opt.minimize(objective as Arith<Name>)
      }
      const status = await check(ctx, solver, deadline, request.signal)
      if (status === 'interrupted') return { status: 'unknown', reason: interruptReason(request.signal) }
      if (status === 'unsat') return { status }
      if (status === 'unknown') return { status, reason: unknownReason(solver, request.signal) }
      const model = solver.model()
      const values: Record<string, ModelValue> = {}
      for (const name of [...request.symbols.keys()].sort()) {
        values[name] = modelValue(ctx, model, builder.variable(name, request.symbols.get(name) as Sort))
      }
      if (objective === undefined || request.objective === undefined) return { status, model: values }
      const opt = solver as Optimize<Name>
      const maximize = request.objective.maximize
      const optimum = optimumOf(ctx, maximize ? opt.getUpper(handle) : opt.getLower(handle), model.eval(objective, true))
      if (optimum.kind !== 'value') return { status, model: values, optimum }
      // Z3's optimizer is not sound on nonlinear problems (it reports 5/4 as the maximum of r
      // under r*r <= 2): confirm with a plain check that no assignment does better.
      const better = new ctx.Solver()
      try {
        better.add(...assertions, improves(ctx, objective, optimum.value, request.objective.term.sort, maximize))
        const confirmation = await check(ctx, better, deadline, request.signal)
        if (confirmation === 'interrupted') return { status: 'unknown', reason: interruptReason(request.signal) }
        if (confirmation === 'unknown') return { status: 'unknown', reason: unknownReason(better, request.signal) }
        if (confirmation === 'sat') return { status: 'unknown', reason: `optimizer result ${optimum.text} is not optimal` }
      } finally {
        better.release()
      }
      return { status, model: values, optimum }
    } finally {
      solver.release()
    }
  })
}

/** Runs one check until `deadline`: Z3's own timeout, then an interrupt shortly after. */
async function check (ctx: Context<Name>, solver: Solver<Name> | Optimize<Name>, deadline: number, signal: AbortSignal | undefined): Promise<'sat' | 'unsat' | 'unknown' | 'interrupted'> {
  const remaining = Math.max(1, Math.floor(deadline - performance.now()))
  solver.set('timeout', remaining)
  let interrupted = false
  const interrupt = (): void => {
    interrupted = true
    ctx.interrupt()
  }
  const timer = setTimeout(interrupt, remaining + INTERRUPT_GRACE_MS)
  signal?.addEventListener('abort', interrupt)
  try {
    const status = await solver.check()
    // An interrupt that lands as the check finishes leaves the context cancelled: whatever the
    // check answered, nothing more may be read from it (a model eval throws 'canceled').
    return interrupted ? 'interrupted' : status
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', interrupt)
  }
}

/** Why a check was interrupted: the caller's signal, or our own timer past the solver's timeout. */
function interruptReason (signal: AbortSignal | undefined): string {
  return signal?.aborted === true ? 'aborted' : 'interrupted'
}

function unknownReason (solver: Solver<Name> | Optimize<Name>, signal: AbortSignal | undefined): string {
  if (signal?.aborted === true) return 'aborted'
  const reason = solver.reasonUnknown()
  return reason === '' ? 'unknown' : reason
}

/** `objective` strictly better than `value` (bit-vector objectives are unsigned, as Z3 optimises them). */
function improves (ctx: Context<Name>, objective: Expr<Name>, value: Rational, sort: Sort, maximize: boolean): Bool<Name> {
  if (sort.kind === 'BitVec') {
    const o = objective as BitVec<number, Name>
    const v = ctx.BitVec.val(value.n, sort.width)
    return maximize ? o.ugt(v) : o.ult(v)
  }
  const o = objective as Arith<Name>
  const v = sort.kind === 'Int' ? ctx.Int.val(value.n) : ctx.Real.val(value.d === 1n ? value.n.toString() : `${value.n}/${value.d}`)
  return maximize ? o.gt(v) : o.lt(v)
}

function optimumOf (ctx: Context<Name>, bound: Expr<Name>, attained: Expr<Name>): Optimum {
  const text = bound.toString()
  if (/\boo\b/.test(text)) return { kind: 'unbounded' }
  const b = exactValue(ctx, bound)
  const a = exactValue(ctx, attained)
  if (b === null || a === null || b.n !== a.n || b.d !== a.d) return { kind: 'unattained', bound: text.slice(0, MAX_MODEL_TEXT) }
  return { kind: 'value', value: b, text: b.d === 1n ? b.n.toString() : `${b.n}/${b.d}` }
}

function exactValue (ctx: Context<Name>, e: Expr<Name>): Rational | null {
  if (ctx.isIntVal(e)) return { n: e.value(), d: 1n }
  if (ctx.isRealVal(e)) {
    const v = e.value()
    return { n: v.numerator, d: v.denominator }
  }
  if (ctx.isBitVecVal(e)) return { n: e.value(), d: 1n }
  return null
}

function integer (v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
}

function modelValue (ctx: Context<Name>, model: Model<Name>, e: Expr<Name>): ModelValue {
  const v = model.eval(e, true)
  if (ctx.isTrue(v)) return true
  if (ctx.isFalse(v)) return false
  if (ctx.isIntVal(v) || ctx.isBitVecVal(v)) return integer(v.value())
  if (ctx.isRealVal(v)) {
    const { numerator, denominator } = v.value()
    return denominator === 1n ? numerator.toString() : `${numerator}/${denominator}`
  }
  // arrays (`((as const (Array Int Int)) 42)`, store chains) and algebraic reals (root-obj)
  return v.sexpr().slice(0, MAX_MODEL_TEXT)
}

/** Term -> Z3 expression, sharing the translation of shared sub-terms. */
class Builder {
  private readonly ctx: Context<Name>
  private readonly memo = new Map<Term, Expr<Name>>()
  private readonly vars = new Map<string, Expr<Name>>()

  constructor (ctx: Context<Name>) {
    this.ctx = ctx
  }

  sort (s: Sort): Z3Sort<Name> {
    const { ctx } = this
    switch (s.kind) {
      case 'Bool': return ctx.Bool.sort()
      case 'Int': return ctx.Int.sort()
      case 'Real': return ctx.Real.sort()
      case 'BitVec': return ctx.BitVec.sort(s.width)
      case 'Array': return ctx.Array.sort(this.sort(s.index), this.sort(s.value))
    }
  }

  variable (name: string, sort: Sort): Expr<Name> {
    let v = this.vars.get(name)
    if (v === undefined) {
      v = this.ctx.Const(name, this.sort(sort))
      this.vars.set(name, v)
    }
    return v
  }

  build (t: Term): Expr<Name> {
    const known = this.memo.get(t)
    if (known !== undefined) return known
    const e = this.make(t)
    this.memo.set(t, e)
    return e
  }

  private make (t: Term): Expr<Name> {
    const { ctx } = this
    switch (t.op) {
      case 'var': return this.variable(t.name, t.sort)
      case 'bool': return ctx.Bool.val(t.value)
      case 'num': return t.sort.kind === 'Int' ? ctx.Int.val(t.value.n) : ctx.Real.val(t.value.d === 1n ? t.value.n.toString() : `${t.value.n}/${t.value.d}`)
      case 'bv': return ctx.BitVec.val(t.value, (t.sort as { width: number }).width)
    }
    const args = t.args.map((a) => this.build(a))
    const [a, b, c] = args as [Expr<Name>, Expr<Name>, Expr<Name>]
    const bv = t.args[0]?.sort.kind === 'BitVec'
    const A = a as Arith<Name>
    const B = b as Arith<Name>
    const X = a as BitVec<number, Name>
    const Y = b as BitVec<number, Name>
    switch (t.op) {
      case 'not': return ctx.Not(a as Bool<Name>)
      case 'and': return ctx.And(...(args as Array<Bool<Name>>))
      case 'or': return ctx.Or(...(args as Array<Bool<Name>>))
      case 'implies': return ctx.Implies(a as Bool<Name>, b as Bool<Name>)
      case 'xor': return ctx.Xor(a as Bool<Name>, b as Bool<Name>)
      case 'ite': return ctx.If(a as Bool<Name>, b, c) as Expr<Name>
      case 'distinct': return ctx.Distinct(...args)
      case 'eq': return a.eq(b)
      case 'lt': return bv ? X.slt(Y) : A.lt(B)
      case 'le': return bv ? X.sle(Y) : A.le(B)
      case 'gt': return bv ? X.sgt(Y) : A.gt(B)
      case 'ge': return bv ? X.sge(Y) : A.ge(B)
      case 'ult': return X.ult(Y)
      case 'ule': return X.ule(Y)
      case 'ugt': return X.ugt(Y)
      case 'uge': return X.uge(Y)
      case 'add': return bv ? X.add(Y) : A.add(B)
      case 'sub': return bv ? X.sub(Y) : A.sub(B)
      case 'mul': return bv ? X.mul(Y) : A.mul(B)
      case 'div': return bv ? X.sdiv(Y) : A.div(B)
      case 'mod': return bv ? X.smod(Y) : A.mod(B)
      case 'neg': return bv ? X.neg() : A.neg()
      case 'toreal': return ctx.ToReal(A)
      case 'abs': return ctx.If(A.lt(0), A.neg(), A) as Expr<Name>
      case 'udiv': return X.udiv(Y)
      case 'urem': return X.urem(Y)
      case 'bvand': return X.and(Y)
      case 'bvor': return X.or(Y)
      case 'bvxor': return X.xor(Y)
      case 'bvnot': return X.not()
      case 'shl': return X.shl(Y)
      case 'ashr': return X.shr(Y)
      case 'lshr': return X.lshr(Y)
      case 'select': return (a as SMTArray<Name>).select(b as never) as Expr<Name>
      case 'store': return (a as SMTArray<Name>).store(b as never, c as never) as Expr<Name>
    }
  }
}
