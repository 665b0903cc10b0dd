import { LogicInputError, rational, type CompareOp, type Node, type Rational } from './parse.js'

/**
 * Sort checking and elaboration: an AST of parse.ts becomes a typed term (the IR that z3.ts
 * translates), without touching Z3. Coercions follow z3py: Int meets Real as Real, an integer
 * literal takes the sort it meets (a bit-vector literal must fit its width: no silent wrap-around).
 * Sub-expressions made only of literals are folded exactly, as Python would fold them before Z3 saw
 * them (`7/2` is 7/2, `2**10` is 1024), but in exact rationals instead of floats. A constant zero
 * divisor is refused (`logic.division_by_zero`); a divisor that is a variable gets a definedness
 * condition instead (see `definedness`).
 */

export type Sort =
  | { kind: 'Bool' }
  | { kind: 'Int' }
  | { kind: 'Real' }
  | { kind: 'BitVec', width: number }
  | { kind: 'Array', index: Sort, value: Sort }

export const BOOL: Sort = { kind: 'Bool' }
export const INT: Sort = { kind: 'Int' }
export const REAL: Sort = { kind: 'Real' }

export type App =
  | 'not' | 'and' | 'or' | 'implies' | 'xor' | 'ite' | 'distinct' | 'eq'
  | 'lt' | 'le' | 'gt' | 'ge' | 'ult' | 'ule' | 'ugt' | 'uge'
  | 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'neg' | 'toreal' | 'abs'
  | 'udiv' | 'urem' | 'bvand' | 'bvor' | 'bvxor' | 'bvnot' | 'shl' | 'ashr' | 'lshr'
  | 'select' | 'store'

export type Term =
  | { op: 'var', name: string, sort: Sort }
  | { op: 'bool', value: boolean, sort: Sort }
  /** A numeric constant folded from literals; Int when integral and no decimal/real was involved. */
  | { op: 'num', value: Rational, sort: Sort }
  /** A bit-vector constant, unsigned. */
  | { op: 'bv', value: bigint, sort: Sort }
  | { op: App, args: Term[], sort: Sort }

export const MAX_TERMS = 20_000
/** `x ** n` with a variable base is expanded into multiplications up to this exponent. */
export const MAX_POWER = 16
/** Folded constants stay below this many bits (numerator and denominator). */
export const MAX_CONSTANT_BITS = 4096
export const MAX_BITVEC_WIDTH = 64

export function sortName (s: Sort): string {
  switch (s.kind) {
    case 'BitVec': return `BitVec(${s.width})`
    case 'Array': return `Array(${sortName(s.index)}, ${sortName(s.value)})`
    default: return s.kind
  }
}

export function sameSort (a: Sort, b: Sort): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'BitVec') return a.width === (b as { width: number }).width
  if (a.kind === 'Array') {
    const o = b as { index: Sort, value: Sort }
    return sameSort(a.index, o.index) && sameSort(a.value, o.value)
  }
  return true
}

const isNumeric = (s: Sort): boolean => s.kind === 'Int' || s.kind === 'Real'

function sortError (message: string, detail: Record<string, unknown> = {}): never {
  throw new LogicInputError('sort_error', message, detail)
}

function bits (v: bigint): number {
  return (v < 0n ? -v : v).toString(2).length
}

function checkConstant (r: Rational): Rational {
  if (bits(r.n) > MAX_CONSTANT_BITS || bits(r.d) > MAX_CONSTANT_BITS) {
    throw new LogicInputError('literal_too_large', 'A constant in the formula is too large', { max_bits: MAX_CONSTANT_BITS })
  }
  return r
}

function floorDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

/** Elaborates formulas against one symbol table, counting terms against MAX_TERMS. */
export class Elaborator {
  private readonly symbols: ReadonlyMap<string, Sort>
  private terms = 0

  constructor (symbols: ReadonlyMap<string, Sort>) {
    this.symbols = symbols
  }

  /** A formula that must be Bool (a constraint, premise, conclusion, ...). */
  formula (node: Node): Term {
    const t = this.term(node)
    if (t.sort.kind !== 'Bool') sortError(`The formula is a ${sortName(t.sort)} expression, not a condition`, { sort: sortName(t.sort) })
    return t
  }

  /** Any expression (objectives, the two sides of an equivalence). */
  term (node: Node): Term {
    if (++this.terms > MAX_TERMS) throw new LogicInputError('too_large', 'The claim has too many terms', { max_terms: MAX_TERMS })
    switch (node.kind) {
      case 'num': return { op: 'num', value: checkConstant(node.value), sort: node.decimal || node.value.d !== 1n ? REAL : INT }
      case 'bool': return { op: 'bool', value: node.value, sort: BOOL }
      case 'name': {
        const sort = this.symbols.get(node.name)
        if (sort === undefined) throw new LogicInputError('undeclared', 'The formula uses a name that is not declared', { name: node.name })
        return { op: 'var', name: node.name, sort }
      }
      case 'index': {
        const target = this.term(node.target)
        if (target.sort.kind !== 'Array') sortError('Only arrays can be indexed', { sort: sortName(target.sort) })
        return this.select(target, this.term(node.index))
      }
      case 'unary': return this.unary(node.op, this.term(node.arg))
      case 'binary': return this.binary(node.op, this.term(node.left), this.term(node.right))
      case 'compare': return this.compare(node.ops, node.operands.map((o) => this.term(o)))
      case 'call': return this.call(node.fn, node.args.map((a) => this.term(a)))
    }
  }

  /** `a` and `b` have the same value (for conditions: each holds exactly when the other does). */
  sameValue (a: Term, b: Term): Term {
    const [x, y] = this.unify([a, b]) as [Term, Term]
    return this.app('eq', [x, y], BOOL)
  }

  private app (op: App, args: Term[], sort: Sort): Term {
    if (++this.terms > MAX_TERMS) throw new LogicInputError('too_large', 'The claim has too many terms', { max_terms: MAX_TERMS })
    return { op, args, sort }
  }

  private bool (t: Term, where: string): Term {
    if (t.sort.kind !== 'Bool') sortError(`${where} needs a condition, not a ${sortName(t.sort)} expression`, { sort: sortName(t.sort) })
    return t
  }

  /** Converts a term to `target`, or refuses (no silent truncation, no Int -> BitVec of variables). */
  coerce (t: Term, target: Sort): Term {
    if (sameSort(t.sort, target)) return t
    if (t.sort.kind === 'Int' && target.kind === 'Real') {
      return t.op === 'num' ? { op: 'num', value: t.value, sort: REAL } : this.app('toreal', [t], REAL)
    }
    if (t.op === 'num' && t.sort.kind === 'Int' && target.kind === 'BitVec') {
      const v = t.value.n
      const w = BigInt(target.width)
      if (v < -(1n << (w - 1n)) || v >= (1n << w)) {
        throw new LogicInputError('literal_range', 'A number does not fit the bit-vector width', { value: v.toString(), width: target.width })
      }
      return { op: 'bv', value: ((v % (1n << w)) + (1n << w)) % (1n << w), sort: target }
    }
    return sortError(`A ${sortName(t.sort)} expression is used where a ${sortName(target)} is expected`, { found: sortName(t.sort), expected: sortName(target) })
  }

  /** The common sort of operands that must agree (z3py's coercion rules). */
  private unify (terms: Term[]): Term[] {
    const bv = terms.find((t) => t.sort.kind === 'BitVec')
    let target: Sort
    if (bv !== undefined) target = bv.sort
    else if (terms.every((t) => isNumeric(t.sort))) target = terms.some((t) => t.sort.kind === 'Real') ? REAL : INT
    else target = (terms.find((t) => t.op !== 'num') ?? terms[0] as Term).sort
    return terms.map((t) => this.coerce(t, target))
  }

  private unary (op: '-' | '+' | '~', a: Term): Term {
    if (op === '~') {
      if (a.op === 'num' && a.sort.kind === 'Int') return { op: 'num', value: rational(-a.value.n - 1n), sort: INT }
      if (a.sort.kind !== 'BitVec') sortError('`~` needs a bit-vector; use Not(a) for conditions', { sort: sortName(a.sort) })
      return this.app('bvnot', [a], a.sort)
    }
    if (!isNumeric(a.sort) && a.sort.kind !== 'BitVec') sortError(`Unary ${op} needs a number`, { sort: sortName(a.sort) })
    if (op === '+') return a
    if (a.op === 'num') return { op: 'num', value: rational(-a.value.n, a.value.d), sort: a.sort }
    return this.app('neg', [a], a.sort)
  }

  private binary (op: string, a: Term, b: Term): Term {
    if (op === '**') return this.power(a, b)
    if (['&', '|', '^', '<<', '>>'].includes(op)) return this.bitwise(op, a, b)
    for (const t of [a, b]) {
      if (!isNumeric(t.sort) && t.sort.kind !== 'BitVec') {
        sortError(`Arithmetic (${op}) needs numbers, not a ${sortName(t.sort)} expression`, { sort: sortName(t.sort) })
      }
    }
    if (a.op === 'num' && b.op === 'num') return this.fold(op, a, b)
    const [x, y] = this.unify([a, b]) as [Term, Term]
    const sort = x.sort
    switch (op) {
      case '+': return this.app('add', [x, y], sort)
      case '-': return this.app('sub', [x, y], sort)
      case '*': return this.app('mul', [x, y], sort)
      case '/':
      case '%':
        if (isZero(y)) throw new LogicInputError('division_by_zero', 'The formula divides by zero', { operator: op })
        if (op === '%' && sort.kind === 'Real') sortError('`%` needs integers or bit-vectors', { sort: 'Real' })
        return this.app(op === '/' ? 'div' : 'mod', [x, y], sort)
      default: return sortError(`Unknown operator ${op}`)
    }
  }

  /** Python's arithmetic on two literal constants, exactly. */
  private fold (op: string, a: Term & { op: 'num' }, b: Term & { op: 'num' }): Term {
    const x = a.value
    const y = b.value
    const real = a.sort.kind === 'Real' || b.sort.kind === 'Real'
    let value: Rational
    switch (op) {
      case '+': value = rational(x.n * y.d + y.n * x.d, x.d * y.d); break
      case '-': value = rational(x.n * y.d - y.n * x.d, x.d * y.d); break
      case '*': value = rational(x.n * y.n, x.d * y.d); break
      case '/':
        if (y.n === 0n) throw new LogicInputError('division_by_zero', 'The formula divides by zero', { operator: op })
        return { op: 'num', value: checkConstant(rational(x.n * y.d, x.d * y.n)), sort: REAL }
      case '%': {
        if (y.n === 0n) throw new LogicInputError('division_by_zero', 'The formula divides by zero', { operator: op })
        // Python: a - b * floor(a / b), with the sign of the divisor
        const q = floorDiv(x.n * y.d, x.d * y.n)
        value = rational(x.n * y.d - q * y.n * x.d, x.d * y.d)
        break
      }
      default: return sortError(`Unknown operator ${op}`)
    }
    return { op: 'num', value: checkConstant(value), sort: real ? REAL : INT }
  }

  private power (base: Term, exponent: Term): Term {
    if (exponent.op !== 'num' || exponent.value.d !== 1n) {
      throw new LogicInputError('unsupported', 'Only whole-number constant exponents are supported', {})
    }
    const e = exponent.value.n
    if (base.op === 'num') {
      if (e < -64n || e > 64n || bits(base.value.n) * Number(e < 0n ? -e : e) > MAX_CONSTANT_BITS) {
        throw new LogicInputError('literal_too_large', 'A power in the formula is too large', { max_bits: MAX_CONSTANT_BITS })
      }
      if (e < 0n) {
        if (base.value.n === 0n) throw new LogicInputError('division_by_zero', 'The formula divides by zero', { operator: '**' })
        return { op: 'num', value: rational(base.value.d ** -e, base.value.n ** -e), sort: REAL }
      }
      return { op: 'num', value: rational(base.value.n ** e, base.value.d ** e), sort: base.sort }
    }
    if (!isNumeric(base.sort)) sortError(`\`**\` needs a number, not a ${sortName(base.sort)} expression`, { sort: sortName(base.sort) })
    if (e < 0n || e > BigInt(MAX_POWER)) {
      throw new LogicInputError('unsupported', `Powers of variables are supported for exponents 0 to ${MAX_POWER}`, { exponent: e.toString() })
    }
    if (e === 0n) return { op: 'num', value: rational(1n), sort: base.sort }
    let out: Term = base
    for (let i = 1n; i < e; i++) out = this.app('mul', [out, base], base.sort)
    return out
  }

  private bitwise (op: string, a: Term, b: Term): Term {
    if (a.op === 'num' && b.op === 'num' && a.sort.kind === 'Int' && b.sort.kind === 'Int') {
      const x = a.value.n
      const y = b.value.n
      let v: bigint
      switch (op) {
        case '&': v = x & y; break
        case '|': v = x | y; break
        case '^': v = x ^ y; break
        default:
          if (y < 0n || y > 64n) throw new LogicInputError('literal_too_large', 'A shift in the formula is too large', { shift: y.toString() })
          v = op === '<<' ? x << y : x >> y
      }
      return { op: 'num', value: checkConstant(rational(v)), sort: INT }
    }
    if (a.sort.kind === 'Bool' || b.sort.kind === 'Bool') {
      sortError(`\`${op}\` is a bit-vector operator; use And, Or, Xor or Not for conditions`, { operator: op })
    }
    if (a.sort.kind !== 'BitVec' && b.sort.kind !== 'BitVec') {
      sortError(`\`${op}\` needs bit-vectors`, { operator: op })
    }
    const [x, y] = this.unify([a, b]) as [Term, Term]
    const ops: Record<string, App> = { '&': 'bvand', '|': 'bvor', '^': 'bvxor', '<<': 'shl', '>>': 'ashr' }
    return this.app(ops[op] as App, [x, y], x.sort)
  }

  private compare (ops: CompareOp[], operands: Term[]): Term {
    const parts: Term[] = []
    ops.forEach((op, i) => {
      const [x, y] = this.unify([operands[i] as Term, operands[i + 1] as Term]) as [Term, Term]
      if (op === '==' || op === '!=') {
        const eq = this.app('eq', [x, y], BOOL)
        parts.push(op === '==' ? eq : this.app('not', [eq], BOOL))
        return
      }
      if (!isNumeric(x.sort) && x.sort.kind !== 'BitVec') sortError(`\`${op}\` needs numbers, not ${sortName(x.sort)} expressions`, { sort: sortName(x.sort) })
      const names: Record<string, App> = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' }
      parts.push(this.app(names[op] as App, [x, y], BOOL))
    })
    return parts.length === 1 ? parts[0] as Term : this.app('and', parts, BOOL)
  }

  private select (array: Term, index: Term): Term {
    const sort = array.sort as Sort & { kind: 'Array' }
    return this.app('select', [array, this.coerce(index, sort.index)], sort.value)
  }

  private call (fn: string, args: Term[]): Term {
    switch (fn) {
      case 'And':
      case 'Or':
        args.forEach((a) => this.bool(a, fn))
        return args.length === 1 ? args[0] as Term : this.app(fn === 'And' ? 'and' : 'or', args, BOOL)
      case 'Not': return this.app('not', [this.bool(args[0] as Term, fn)], BOOL)
      case 'Implies':
      case 'Xor':
        return this.app(fn === 'Implies' ? 'implies' : 'xor', args.map((a) => this.bool(a, fn)), BOOL)
      case 'If': {
        const cond = this.bool(args[0] as Term, fn)
        const [x, y] = this.unify([args[1] as Term, args[2] as Term]) as [Term, Term]
        return this.app('ite', [cond, x, y], x.sort)
      }
      case 'Distinct': return this.app('distinct', this.unify(args), BOOL)
      case 'Sum': {
        const terms = this.unify(args)
        for (const t of terms) if (!isNumeric(t.sort) && t.sort.kind !== 'BitVec') sortError('Sum needs numbers', { sort: sortName(t.sort) })
        return terms.slice(1).reduce((acc, t) => acc.op === 'num' && t.op === 'num' ? this.fold('+', acc, t) : this.app('add', [acc, t], acc.sort), terms[0] as Term)
      }
      case 'Abs': {
        const a = args[0] as Term
        if (!isNumeric(a.sort)) sortError('Abs needs a number', { sort: sortName(a.sort) })
        if (a.op === 'num') return { op: 'num', value: rational(a.value.n < 0n ? -a.value.n : a.value.n, a.value.d), sort: a.sort }
        return this.app('abs', [a], a.sort)
      }
      case 'Select':
      case 'Store': {
        const array = args[0] as Term
        if (array.sort.kind !== 'Array') sortError(`${fn} needs an array as its first argument`, { sort: sortName(array.sort) })
        if (fn === 'Select') return this.select(array, args[1] as Term)
        const sort = array.sort as Sort & { kind: 'Array' }
        return this.app('store', [array, this.coerce(args[1] as Term, sort.index), this.coerce(args[2] as Term, sort.value)], sort)
      }
      default: {
        // ULT ULE UGT UGE UDiv URem LShR: unsigned bit-vector operations
        if (!args.some((a) => a.sort.kind === 'BitVec')) sortError(`${fn} needs bit-vectors`, { function: fn })
        const [x, y] = this.unify(args) as [Term, Term]
        const ops: Record<string, App> = { ULT: 'ult', ULE: 'ule', UGT: 'ugt', UGE: 'uge', UDiv: 'udiv', URem: 'urem', LShR: 'lshr' }
        const op = ops[fn]
        if (op === undefined) return sortError(`Unknown function ${fn}`)
        if ((op === 'udiv' || op === 'urem') && isZero(y)) throw new LogicInputError('division_by_zero', 'The formula divides by zero', { operator: fn })
        return this.app(op, [x, y], op === 'udiv' || op === 'urem' || op === 'lshr' ? x.sort : BOOL)
      }
    }
  }
}

function isZero (t: Term): boolean {
  return (t.op === 'num' && t.value.n === 0n) || (t.op === 'bv' && t.value === 0n)
}

const TRUE: Term = { op: 'bool', value: true, sort: BOOL }

function and (parts: Term[]): Term {
  return parts.length === 1 ? parts[0] as Term : { op: 'and', args: parts, sort: BOOL }
}

/**
 * The condition under which every division in `t` has a non-zero divisor, or null when there is no
 * such division. Connectives short-circuit left to right (`And(y != 0, x / y > 1)` needs nothing
 * more), and If guards its branches. Checks assert it: a model must make every division defined,
 * and a proof must show the conclusion holds and is defined wherever the premises are.
 */
export function definedness (t: Term, memo = new Map<Term, Term | null>()): Term | null {
  if (t.op === 'var' || t.op === 'bool' || t.op === 'num' || t.op === 'bv') return null
  const known = memo.get(t)
  if (known !== undefined) return known
  const args = t.args
  const conds: Term[] = []
  const push = (c: Term | null): void => { if (c !== null) conds.push(c) }
  switch (t.op) {
    case 'and':
    case 'or':
    case 'implies': {
      // a later operand only matters when the earlier ones did not decide the result
      args.forEach((arg, i) => {
        const d = definedness(arg, memo)
        if (d === null) return
        if (i === 0) { push(d); return }
        const before = args.slice(0, i)
        const guard = t.op === 'and'
          ? and(before)
          : t.op === 'or' ? { op: 'not', args: [before.length === 1 ? before[0] as Term : { op: 'or', args: before, sort: BOOL }], sort: BOOL } as Term : args[0] as Term
        push({ op: 'implies', args: [guard, d], sort: BOOL })
      })
      break
    }
    case 'ite': {
      push(definedness(args[0] as Term, memo))
      const a = definedness(args[1] as Term, memo)
      const b = definedness(args[2] as Term, memo)
      if (a !== null || b !== null) push({ op: 'ite', args: [args[0] as Term, a ?? TRUE, b ?? TRUE], sort: BOOL })
      break
    }
    default:
      for (const arg of args) push(definedness(arg, memo))
      if (['div', 'mod', 'udiv', 'urem'].includes(t.op)) {
        const divisor = args[1] as Term
        if (divisor.op !== 'num' && divisor.op !== 'bv') {
          const zero: Term = divisor.sort.kind === 'BitVec' ? { op: 'bv', value: 0n, sort: divisor.sort } : { op: 'num', value: rational(0n), sort: divisor.sort }
          push({ op: 'not', args: [{ op: 'eq', args: [divisor, zero], sort: BOOL }], sort: BOOL })
        }
      }
  }
  const out = conds.length === 0 ? null : and(conds)
  memo.set(t, out)
  return out
}
