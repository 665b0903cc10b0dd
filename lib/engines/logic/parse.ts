/**
 * Our own tokenizer and parser for the Z3-Python-style infix constraint language of logic claims
 * (`x > 5`, `x + y == 10`, `And(P, Not(Q))`, `Select(arr, 0) == 42`). Nothing is ever evaluated as
 * code: the text becomes a small AST, and only the operators and functions listed here exist.
 *
 * Grammar (Python's precedence, lowest first):
 *
 *   formula    := comparison
 *   comparison := bitor (cmp bitor)*          cmp: == != < <= > >=   (a lone `=` reads as `==`)
 *   bitor      := bitxor ('|' bitxor)*
 *   bitxor     := bitand ('^' bitand)*
 *   bitand     := shift ('&' shift)*
 *   shift      := sum (('<<' | '>>') sum)*
 *   sum        := term (('+' | '-') term)*
 *   term       := factor (('*' | '/' | '%') factor)*
 *   factor     := ('-' | '+' | '~') factor | power
 *   power      := postfix ('**' factor)?
 *   postfix    := primary ('[' formula ']')*
 *   primary    := number | True | False | name | Function '(' args ')' | '(' formula ')'
 *
 * Refused (BLOCKED): Python keywords (`and`, `or`, `not`, `lambda`, ...), attribute access,
 * string literals, names with a double underscore, calls of anything not in FUNCTIONS, `//`, `&&`,
 * `||`, `!`, and every character outside the language. Caps: length, tokens, nesting, literal size.
 */

export const MAX_FORMULA_CHARS = 4096
export const MAX_FORMULA_TOKENS = 2048
export const MAX_DEPTH = 100
export const MAX_LITERAL_DIGITS = 64
export const MAX_NAME_CHARS = 64

/** A refusal with the reason's constraint id (`logic.<code>`) and a detail for developer_fields. */
export class LogicInputError extends Error {
  readonly code: string
  readonly detail: Record<string, unknown>
  constructor (code: string, message: string, detail: Record<string, unknown> = {}) {
    super(message)
    this.name = 'LogicInputError'
    this.code = code
    this.detail = detail
  }
}

/** Functions of the language, with their arity (max Infinity = variadic). */
export const FUNCTIONS: Readonly<Record<string, { min: number, max: number }>> = {
  And: { min: 1, max: Infinity },
  Or: { min: 1, max: Infinity },
  Not: { min: 1, max: 1 },
  Implies: { min: 2, max: 2 },
  Xor: { min: 2, max: 2 },
  If: { min: 3, max: 3 },
  Distinct: { min: 2, max: Infinity },
  Sum: { min: 1, max: Infinity },
  Abs: { min: 1, max: 1 },
  Select: { min: 2, max: 2 },
  Store: { min: 3, max: 3 },
  ULT: { min: 2, max: 2 },
  ULE: { min: 2, max: 2 },
  UGT: { min: 2, max: 2 },
  UGE: { min: 2, max: 2 },
  UDiv: { min: 2, max: 2 },
  URem: { min: 2, max: 2 },
  LShR: { min: 2, max: 2 }
}

const PYTHON_KEYWORDS = new Set([
  'and', 'or', 'not', 'is', 'in', 'lambda', 'if', 'else', 'elif', 'for', 'while', 'import', 'from',
  'as', 'def', 'class', 'return', 'yield', 'with', 'try', 'except', 'finally', 'raise', 'del',
  'global', 'nonlocal', 'assert', 'pass', 'break', 'continue', 'async', 'await', 'None', 'match', 'case'
])

/** Names a variable may not have: language words, Python keywords, and anything with `__`. */
export function reservedName (name: string): string | null {
  if (name === 'True' || name === 'False' || Object.hasOwn(FUNCTIONS, name)) return 'a name of the constraint language'
  if (PYTHON_KEYWORDS.has(name)) return 'a Python keyword'
  if (name.includes('__')) return 'a name with a double underscore'
  return null
}

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>='
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '**' | '&' | '|' | '^' | '<<' | '>>'
export type UnaryOp = '-' | '+' | '~'

/** A rational number n/d with d > 0 and gcd(n, d) = 1. */
export interface Rational { n: bigint, d: bigint }

export type Node =
  | { kind: 'num', value: Rational, decimal: boolean, text: string }
  | { kind: 'bool', value: boolean }
  | { kind: 'name', name: string }
  | { kind: 'call', fn: string, args: Node[] }
  | { kind: 'unary', op: UnaryOp, arg: Node }
  | { kind: 'binary', op: BinaryOp, left: Node, right: Node }
  | { kind: 'compare', ops: CompareOp[], operands: Node[] }
  | { kind: 'index', target: Node, index: Node }

export interface Parsed {
  node: Node
  /** The formula printed back in canonical form (`x = 5` -> `x == 5`). */
  normalized: string
  /** A lone `=` was read as `==`. */
  rewroteAssignment: boolean
}

type Token =
  | { t: 'num', text: string, value: Rational, decimal: boolean, at: number }
  | { t: 'name', text: string, at: number }
  | { t: 'op', text: string, at: number }
  | { t: 'end', text: '', at: number }

const OPERATORS = ['**', '==', '!=', '<=', '>=', '<<', '>>', '<', '>', '=', '+', '-', '*', '/', '%', '&', '|', '^', '~', '(', ')', '[', ']', ',']

function gcd (a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a
  if (b < 0n) b = -b
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

export function rational (n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new RangeError('zero denominator')
  if (d < 0n) { n = -n; d = -d }
  const g = gcd(n, d)
  return g > 1n ? { n: n / g, d: d / g } : { n, d }
}

const DISALLOWED_CHARS: Record<string, string> = {
  '.': 'attribute access',
  '\'': 'string literals',
  '"': 'string literals',
  ':': 'lambdas, slices and annotations',
  ';': 'statement separators',
  '@': 'decorators and matrix products',
  '{': 'dicts and sets',
  '}': 'dicts and sets',
  '\\': 'escapes',
  '#': 'comments',
  '`': 'backticks',
  $: 'template syntax',
  '?': 'ternary syntax (use If(c, a, b))'
}

function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    // whitespace
    if (c === 32 || c === 9 || c === 10 || c === 13) { i++; continue }
    if (tokens.length >= MAX_FORMULA_TOKENS) {
      throw new LogicInputError('too_large', 'The formula has too many tokens', { max_tokens: MAX_FORMULA_TOKENS })
    }
    const ch = text[i] as string
    // numbers: 12, 1.5, .5, 1e3, 2.5E-2, 0x2A, 0b101
    if ((c >= 48 && c <= 57) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:0[xX][0-9a-fA-F]+|0[bB][01]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i, i + MAX_LITERAL_DIGITS + 16))
      const lit = (m as RegExpExecArray)[0]
      const next = text[i + lit.length]
      if (lit.length > MAX_LITERAL_DIGITS || (next !== undefined && /[0-9A-Za-z_.]/.test(next))) {
        if (lit.length > MAX_LITERAL_DIGITS || /[0-9]/.test(next ?? '')) {
          throw new LogicInputError('literal_too_large', 'A number in the formula is too long', { at: i, max_digits: MAX_LITERAL_DIGITS })
        }
        throw new LogicInputError('parse_error', 'A number in the formula is malformed', { at: i })
      }
      tokens.push({ t: 'num', text: lit, ...numberValue(lit), at: i })
      i += lit.length
      continue
    }
    // names
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) {
      let j = i + 1
      while (j < n && /[A-Za-z0-9_]/.test(text[j] as string)) j++
      const name = text.slice(i, j)
      if (name.length > MAX_NAME_CHARS) {
        throw new LogicInputError('too_large', 'A name in the formula is too long', { at: i, max_chars: MAX_NAME_CHARS })
      }
      if (PYTHON_KEYWORDS.has(name)) {
        const hint = name === 'and' ? 'And(a, b)' : name === 'or' ? 'Or(a, b)' : name === 'not' ? 'Not(a)' : name === 'if' || name === 'else' ? 'If(c, a, b)' : null
        throw new LogicInputError('disallowed', 'The formula uses a construct that is not allowed', {
          at: i, construct: `Python keyword '${name}'`, ...(hint !== null ? { use_instead: hint } : {})
        })
      }
      if (name.includes('__')) {
        throw new LogicInputError('disallowed', 'The formula uses a construct that is not allowed', { at: i, construct: 'double-underscore name' })
      }
      tokens.push({ t: 'name', text: name, at: i })
      i = j
      continue
    }
    if ((ch === '&' && text[i + 1] === '&') || (ch === '|' && text[i + 1] === '|') || (ch === '!' && text[i + 1] !== '=')) {
      const op = ch === '!' ? '!' : ch + ch
      throw new LogicInputError('disallowed', 'The formula uses a construct that is not allowed', {
        at: i, construct: `operator '${op}'`, use_instead: op === '&&' ? 'And(a, b)' : op === '||' ? 'Or(a, b)' : 'Not(a)'
      })
    }
    if (ch === '/' && text[i + 1] === '/') {
      throw new LogicInputError('disallowed', 'The formula uses a construct that is not allowed', { at: i, construct: "floor division '//'", use_instead: '/' })
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i))
    if (op !== undefined) {
      tokens.push({ t: 'op', text: op, at: i })
      i += op.length
      continue
    }
    const why = DISALLOWED_CHARS[ch]
    if (why !== undefined) {
      throw new LogicInputError('disallowed', 'The formula uses a construct that is not allowed', { at: i, construct: why })
    }
    throw new LogicInputError('parse_error', 'The formula contains a character that is not part of the constraint language', { at: i, char_code: c })
  }
  tokens.push({ t: 'end', text: '', at: n })
  return tokens
}

function numberValue (lit: string): { value: Rational, decimal: boolean } {
  if (/^0[xXbB]/.test(lit)) return { value: rational(BigInt(lit)), decimal: false }
  const m = /^([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(lit) as RegExpExecArray
  const whole = m[1] ?? ''
  const frac = m[2] ?? ''
  const exp = m[3] === undefined ? 0 : Number(m[3])
  if (Math.abs(exp) > MAX_LITERAL_DIGITS) {
    throw new LogicInputError('literal_too_large', 'A number in the formula is too large', { literal: lit })
  }
  const decimal = m[2] !== undefined || m[3] !== undefined
  const digits = BigInt((whole + frac).replace(/^0+(?=.)/, '') || '0')
  const scale = frac.length - exp
  const value = scale >= 0 ? rational(digits, 10n ** BigInt(scale)) : rational(digits * 10n ** BigInt(-scale))
  return { value, decimal }
}

/** Parses one formula. Throws LogicInputError for anything outside the language or its caps. */
export function parseFormula (text: string): Parsed {
  if (text.length > MAX_FORMULA_CHARS) {
    throw new LogicInputError('too_large', 'The formula is too long', { length: text.length, max_chars: MAX_FORMULA_CHARS })
  }
  const tokens = tokenize(text)
  let pos = 0
  let depth = 0
  let rewroteAssignment = false

  const peek = (): Token => tokens[pos] as Token
  const isOp = (text: string): boolean => { const tok = peek(); return tok.t === 'op' && tok.text === text }
  const fail = (message: string, tok: Token = peek()): never => {
    throw new LogicInputError('parse_error', message, { at: tok.at, token: tok.t === 'end' ? 'end of formula' : tok.text })
  }
  const expect = (text: string): void => {
    if (!isOp(text)) fail(`Expected '${text}'`)
    pos++
  }
  const enter = (): void => {
    if (++depth > MAX_DEPTH) throw new LogicInputError('too_deep', 'The formula is nested too deeply', { max_depth: MAX_DEPTH })
  }

  function formula (): Node {
    enter()
    const first = bitor()
    const ops: CompareOp[] = []
    const operands: Node[] = [first]
    for (;;) {
      const tok = peek()
      if (tok.t !== 'op') break
      let op: CompareOp
      if (tok.text === '=') { op = '=='; rewroteAssignment = true } else if (['==', '!=', '<', '<=', '>', '>='].includes(tok.text)) op = tok.text as CompareOp
      else break
      pos++
      ops.push(op)
      operands.push(bitor())
    }
    depth--
    return ops.length === 0 ? first : { kind: 'compare', ops, operands }
  }

  function leftAssoc (next: () => Node, ops: readonly string[]): Node {
    let left = next()
    for (;;) {
      const tok = peek()
      if (tok.t !== 'op' || !ops.includes(tok.text)) return left
      pos++
      left = { kind: 'binary', op: tok.text as BinaryOp, left, right: next() }
    }
  }
  const bitor = (): Node => leftAssoc(bitxor, ['|'])
  const bitxor = (): Node => leftAssoc(bitand, ['^'])
  const bitand = (): Node => leftAssoc(shift, ['&'])
  const shift = (): Node => leftAssoc(sum, ['<<', '>>'])
  const sum = (): Node => leftAssoc(term, ['+', '-'])
  const term = (): Node => leftAssoc(factor, ['*', '/', '%'])

  function factor (): Node {
    const tok = peek()
    if (tok.t === 'op' && (tok.text === '-' || tok.text === '+' || tok.text === '~')) {
      pos++
      enter()
      const arg = factor()
      depth--
      return { kind: 'unary', op: tok.text as UnaryOp, arg }
    }
    return power()
  }

  function power (): Node {
    const base = postfix()
    if (!isOp('**')) return base
    pos++
    enter()
    const exponent = factor()
    depth--
    return { kind: 'binary', op: '**', left: base, right: exponent }
  }

  function postfix (): Node {
    let node = primary()
    while (isOp('[')) {
      pos++
      enter()
      const index = formula()
      depth--
      expect(']')
      node = { kind: 'index', target: node, index }
    }
    return node
  }

  function primary (): Node {
    const tok = peek()
    if (tok.t === 'num') {
      pos++
      return { kind: 'num', value: tok.value, decimal: tok.decimal, text: tok.text }
    }
    if (tok.t === 'name') {
      pos++
      if (tok.text === 'True' || tok.text === 'False') {
        if (isOp('(')) fail('A constant cannot be called', tokens[pos] as Token)
        return { kind: 'bool', value: tok.text === 'True' }
      }
      if (isOp('(')) {
        const arity = Object.hasOwn(FUNCTIONS, tok.text) ? FUNCTIONS[tok.text] : undefined
        if (arity === undefined) {
          throw new LogicInputError('disallowed', 'The formula calls a function that is not allowed', { at: tok.at, function: tok.text, allowed: Object.keys(FUNCTIONS) })
        }
        pos++
        enter()
        const args: Node[] = []
        if (!isOp(')')) {
          for (;;) {
            args.push(formula())
            if (!isOp(',')) break
            pos++
          }
        }
        expect(')')
        depth--
        if (args.length < arity.min || args.length > arity.max) {
          throw new LogicInputError('parse_error', `${tok.text} takes ${arity.min === arity.max ? String(arity.min) : `at least ${arity.min}`} argument(s)`, { at: tok.at, function: tok.text, arguments: args.length })
        }
        return { kind: 'call', fn: tok.text, args }
      }
      if (Object.hasOwn(FUNCTIONS, tok.text)) fail(`${tok.text} must be called with arguments`, tok)
      return { kind: 'name', name: tok.text }
    }
    if (tok.t === 'op' && tok.text === '(') {
      pos++
      enter()
      if (isOp(')')) fail('Empty parentheses')
      const inner = formula()
      if (isOp(',')) fail('Tuples are not part of the constraint language')
      expect(')')
      depth--
      return inner
    }
    return fail(tok.t === 'end' ? 'The formula ends too early' : 'Unexpected token')
  }

  if (peek().t === 'end') throw new LogicInputError('parse_error', 'The formula is empty', {})
  const node = formula()
  if (peek().t !== 'end') fail('Unexpected token after the formula')
  return { node, normalized: format(node), rewroteAssignment }
}

// Python's binding strength (higher binds tighter); used to print with the fewest parentheses.
const BINARY_PREC: Record<BinaryOp, number> = { '|': 2, '^': 3, '&': 4, '<<': 5, '>>': 5, '+': 6, '-': 6, '*': 7, '/': 7, '%': 7, '**': 9 }
const COMPARE_PREC = 1
const UNARY_PREC = 8

function precedence (node: Node): number {
  switch (node.kind) {
    case 'compare': return COMPARE_PREC
    case 'binary': return BINARY_PREC[node.op]
    case 'unary': return UNARY_PREC
    case 'num': return node.value.n < 0n ? UNARY_PREC : 10
    default: return 10
  }
}

/** Prints an AST in canonical infix form. */
export function format (node: Node): string {
  switch (node.kind) {
    case 'num': return node.text
    case 'bool': return node.value ? 'True' : 'False'
    case 'name': return node.name
    case 'call': return `${node.fn}(${node.args.map(format).join(', ')})`
    case 'index': return `${wrap(node.target, 10)}[${format(node.index)}]`
    case 'unary': return `${node.op}${wrap(node.arg, UNARY_PREC)}`
    case 'compare': {
      let out = wrap(node.operands[0] as Node, COMPARE_PREC + 1)
      node.ops.forEach((op, i) => { out += ` ${op} ${wrap(node.operands[i + 1] as Node, COMPARE_PREC + 1)}` })
      return out
    }
    case 'binary': {
      const p = BINARY_PREC[node.op]
      // `**` is right-associative and binds tighter than a unary minus on its left
      if (node.op === '**') return `${wrap(node.left, 10)} ** ${wrap(node.right, UNARY_PREC)}`
      return `${wrap(node.left, p)} ${node.op} ${wrap(node.right, p + 1)}`
    }
  }
}

function wrap (node: Node, min: number): string {
  const text = format(node)
  return precedence(node) < min ? `(${text})` : text
}
