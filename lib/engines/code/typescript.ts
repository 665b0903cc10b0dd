/**
 * TypeScript → JavaScript by erasure, so that meriyah (which has no TypeScript support) can parse
 * the result and the JavaScript rules can run on it.
 *
 * How it stays careful:
 * - Only *type syntax* is erased: annotations (`: T`), type parameters and arguments (`<T>`),
 *   `as T` / `satisfies T` / non-null `!`, `interface` and `type` declarations, `declare`d
 *   (ambient) declarations, type-only imports/exports, accessibility modifiers, `implements`,
 *   `abstract` members and overload signatures. Every erased annotation is consumed by a strict
 *   type grammar (below), which has no calls, assignments or statements in it, so runtime code
 *   cannot be swallowed as a "type" by accident: a misread context makes the type grammar fail.
 * - Two constructs have runtime meaning and are rewritten, not erased: `enum E { A, B = x }`
 *   becomes `var E = { A: 0, B: x }` (initialisers stay and are analysed), and
 *   `namespace N { export ... }` becomes a block `{ ... }`.
 * - Erased characters become spaces (newlines kept), so line numbers of issues stay right.
 * - Anything this walker does not understand (TSX with annotations, `export =`, decorators on
 *   parameters with arguments it cannot follow, ...) makes it give up: the engine then reports the
 *   snippet as not parseable (BLOCKED, fail closed), never as safe.
 * - The engine tries meriyah on the raw text first; this eraser only runs when that fails, i.e.
 *   when the snippet really uses TypeScript syntax.
 */

type TokKind = 'name' | 'num' | 'str' | 'regex' | 'punct' | 'private' | 'tmpl' | 'tmplHead' | 'tmplMiddle' | 'tmplTail' |
  'jsxStart' | 'jsxText' | 'jsxOpen' | 'jsxClose' | 'jsxEnd' | 'eof'

interface Tok { kind: TokKind, value: string, start: number, end: number, nl: boolean }

class StripError extends Error {}

const PUNCTUATORS = [
  '...', '===', '!==', '**=', '<<=', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**', '<<',
  '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '?', ':', '=', '.', '@'
]
const REGEX_AFTER_NAME = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await'])
const MAX_JSX_DEPTH = 200

/**
 * Splits source into tokens. `>` is always one token so that `Array<Array<T>>` closes twice.
 * With `jsx`, an element in operand position becomes jsxStart / jsxText / jsxOpen ... jsxClose /
 * jsxEnd tokens; the expressions inside `{ }` are ordinary tokens (their types get erased too).
 */
class Lexer {
  readonly toks: Tok[] = []
  private i = 0
  private nl = false
  private jsxDepth = 0

  constructor (private readonly src: string, private readonly jsx: boolean) {}

  run (): Tok[] {
    this.lex(false)
    this.toks.push({ kind: 'eof', value: '', start: this.src.length, end: this.src.length, nl: true })
    return this.toks
  }

  private push (kind: TokKind, start: number, end: number): void {
    this.toks.push({ kind, value: this.src.slice(start, end), start, end, nl: this.nl })
    this.nl = false
  }

  private regexAllowed (): boolean {
    const prev = this.toks[this.toks.length - 1]
    if (prev === undefined) return true
    if (prev.kind === 'name') return REGEX_AFTER_NAME.has(prev.value)
    if (prev.kind === 'punct') return ![')', ']'].includes(prev.value)
    return prev.kind === 'tmplHead' || prev.kind === 'tmplMiddle' || prev.kind === 'jsxOpen'
  }

  /** Scans template text from `i` (just after ` or }); returns true when it ended with `${`. */
  private templateChunk (): boolean {
    const src = this.src
    while (this.i < src.length) {
      const c = src[this.i]
      if (c === '\\') { this.i += 2; continue }
      if (c === '`') { this.i++; return false }
      if (c === '$' && src[this.i + 1] === '{') { this.i += 2; return true }
      this.i++
    }
    throw new StripError('unterminated template')
  }

  /** Ordinary tokens; with `untilBrace`, stops after the `}` that closes a JSX expression container. */
  private lex (untilBrace: boolean): void {
    const src = this.src
    const braces: Array<'brace' | 'tmpl'> = []
    while (this.i < src.length) {
      const c = src[this.i] as string
      if (c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029') { this.nl = true; this.i++; continue }
      if (/\s/.test(c)) { this.i++; continue }
      if (c === '/' && src[this.i + 1] === '/') {
        while (this.i < src.length && !/[\n\r\u2028\u2029]/.test(src[this.i] as string)) this.i++
        continue
      }
      if (c === '/' && src[this.i + 1] === '*') {
        const end = src.indexOf('*/', this.i + 2)
        if (end < 0) throw new StripError('unterminated comment')
        if (/[\n\r\u2028\u2029]/.test(src.slice(this.i, end))) this.nl = true
        this.i = end + 2
        continue
      }
      const start = this.i
      if (/[A-Za-z_$\u00c0-\uffff\\]/.test(c)) {
        while (this.i < src.length && /[A-Za-z0-9_$\u00c0-\uffff\\]/.test(src[this.i] as string)) this.i += src[this.i] === '\\' ? 6 : 1
        this.push('name', start, this.i)
        continue
      }
      if (c === '#') {
        this.i++
        while (this.i < src.length && /[A-Za-z0-9_$\u00c0-\uffff]/.test(src[this.i] as string)) this.i++
        this.push('private', start, this.i)
        continue
      }
      if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[this.i + 1] ?? ''))) {
        if (c === '0' && /[xXoObB]/.test(src[this.i + 1] ?? '')) {
          this.i += 2
          while (this.i < src.length && /[0-9a-fA-F_]/.test(src[this.i] as string)) this.i++
        } else {
          while (this.i < src.length && /[0-9_.]/.test(src[this.i] as string)) this.i++
          if (/[eE]/.test(src[this.i] ?? '')) {
            this.i++
            if (/[+-]/.test(src[this.i] ?? '')) this.i++
            while (this.i < src.length && /[0-9_]/.test(src[this.i] as string)) this.i++
          }
        }
        if (src[this.i] === 'n') this.i++
        this.push('num', start, this.i)
        continue
      }
      if (c === '"' || c === "'") {
        this.i++
        while (this.i < src.length && src[this.i] !== c) {
          if (src[this.i] === '\\') this.i++
          else if (src[this.i] === '\n') throw new StripError('unterminated string')
          this.i++
        }
        if (this.i >= src.length) throw new StripError('unterminated string')
        this.i++
        this.push('str', start, this.i)
        continue
      }
      if (c === '`') {
        this.i++
        if (this.templateChunk()) { braces.push('tmpl'); this.push('tmplHead', start, this.i) } else this.push('tmpl', start, this.i)
        continue
      }
      if (c === '}' && braces[braces.length - 1] === 'tmpl') {
        braces.pop()
        this.i++
        if (this.templateChunk()) { braces.push('tmpl'); this.push('tmplMiddle', start, this.i) } else this.push('tmplTail', start, this.i)
        continue
      }
      if (c === '}' && untilBrace && braces.length === 0) {
        this.i++
        this.push('jsxClose', start, this.i)
        return
      }
      if (c === '/' && this.regexAllowed()) {
        this.i++
        let inClass = false
        while (this.i < src.length) {
          const d = src[this.i]
          if (d === '\\') { this.i += 2; continue }
          if (d === '\n') throw new StripError('unterminated regex')
          if (d === '[') inClass = true
          else if (d === ']') inClass = false
          else if (d === '/' && !inClass) break
          this.i++
        }
        this.i++
        while (this.i < src.length && /[a-z]/.test(src[this.i] as string)) this.i++
        this.push('regex', start, this.i)
        continue
      }
      if (c === '<' && this.jsx && this.regexAllowed() && this.looksLikeJsx()) {
        this.push('jsxStart', start, start)
        this.jsxElement()
        this.push('jsxEnd', this.i, this.i)
        continue
      }
      let p = PUNCTUATORS.find((x) => src.startsWith(x, this.i))
      if (p === '?.' && /[0-9]/.test(src[this.i + 2] ?? '')) p = '?' // `a?.5:1` is a conditional
      if (p === undefined) throw new StripError(`unexpected character ${JSON.stringify(c)}`)
      if (p === '{') braces.push('brace')
      if (p === '}') braces.pop()
      this.i += p.length
      this.push('punct', start, this.i)
    }
    if (untilBrace) throw new StripError('unterminated JSX expression')
  }

  /** `<div`, `<Foo.Bar`, `<>`: an element, unless it is a generic arrow `<T,>(` / `<T extends U>(` / `<T>(`. */
  private looksLikeJsx (): boolean {
    const rest = this.src.slice(this.i, this.i + 200)
    if (/^<\s*>/.test(rest)) return true
    const m = /^<\s*([A-Za-z_$][\w$.:-]*)\s*([,>]|extends\b)?/.exec(rest)
    if (m === null) return false
    if (m[2] === ',' || m[2] === 'extends') return false
    if (m[2] === '>' && /^\s*\(/.test(rest.slice(m[0].length))) return false
    return true
  }

  /** One JSX element from `<` to the end of its closing tag, as raw text plus expression containers. */
  private jsxElement (): void {
    if (++this.jsxDepth > MAX_JSX_DEPTH) throw new StripError('JSX nested too deeply')
    const src = this.src
    let textStart = this.i
    const flush = (): void => { if (this.i > textStart) this.push('jsxText', textStart, this.i) }
    const container = (): void => {
      flush()
      const s = this.i
      this.i++
      this.push('jsxOpen', s, this.i)
      this.lex(true)
      textStart = this.i
    }
    this.i++ // <
    let selfClosing = false
    // opening tag: name, attributes, `{...spread}`, values
    for (;;) {
      if (this.i >= src.length) throw new StripError('unterminated JSX tag')
      const c = src[this.i]
      if (c === '{') { container(); continue }
      if (c === '"' || c === "'") {
        const end = src.indexOf(c, this.i + 1)
        if (end < 0) throw new StripError('unterminated JSX attribute')
        this.i = end + 1
        continue
      }
      if (c === '/' && src[this.i + 1] === '>') { this.i += 2; selfClosing = true; break }
      if (c === '>') { this.i++; break }
      if (c === '<') throw new StripError('unexpected < in JSX tag')
      this.i++
    }
    if (!selfClosing) {
      // children: text, `{expr}`, nested elements, then `</name>`
      for (;;) {
        if (this.i >= src.length) throw new StripError('unterminated JSX element')
        const c = src[this.i]
        if (c === '{') { container(); continue }
        if (c === '<' && src[this.i + 1] === '/') {
          const end = src.indexOf('>', this.i)
          if (end < 0) throw new StripError('unterminated JSX closing tag')
          this.i = end + 1
          break
        }
        if (c === '<') {
          flush()
          this.push('jsxStart', this.i, this.i)
          this.jsxElement()
          this.push('jsxEnd', this.i, this.i)
          textStart = this.i
          continue
        }
        this.i++
      }
    }
    flush()
    this.jsxDepth--
  }
}

function tokenize (src: string, jsx = false): Tok[] {
  return new Lexer(src, jsx).run()
}

const ACCESS_MODIFIERS = new Set(['public', 'private', 'protected', 'readonly', 'override'])
const MEMBER_MODIFIERS = new Set(['public', 'private', 'protected', 'readonly', 'abstract', 'override', 'declare', 'static', 'async', 'accessor', 'get', 'set'])
const TS_ONLY_MODIFIERS = new Set(['public', 'private', 'protected', 'readonly', 'abstract', 'override', 'declare'])
const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '**=', '<<=', '&=', '|=', '^=', '&&=', '||=', '??='])
const BINARY_OPS = new Set(['+', '-', '*', '/', '%', '**', '==', '!=', '===', '!==', '<', '>', '<=', '<<', '&', '|', '^', '&&', '||', '??'])
const MAX_STRIP_DEPTH = 500

interface Edit { start: number, end: number, text: string }

class Stripper {
  private i = 0
  private readonly edits: Edit[] = []
  private depth = 0
  /** True while parsing the `extends` clause of a conditional type (`infer X extends C` keeps C there). */
  private inExtendsClause = false
  /**
   * > 0 inside `declare ...`: the whole region is erased, so it may hold declarations only. Bodies,
   * non-literal initialisers and statements (which TypeScript rejects in ambient context) make the
   * eraser give up instead of hiding them.
   */
  private ambientDepth = 0

  constructor (private readonly src: string, private readonly toks: Tok[]) {}

  // ---- token helpers

  private peek (k = 0): Tok { return this.toks[Math.min(this.i + k, this.toks.length - 1)] as Tok }
  private next (): Tok {
    const t = this.peek()
    if (t.kind === 'eof') throw new StripError('unexpected end of input')
    this.i++
    return t
  }

  private is (value: string, k = 0): boolean {
    const t = this.peek(k)
    return (t.kind === 'punct' || t.kind === 'name') && t.value === value
  }

  private isName (k = 0): boolean { return this.peek(k).kind === 'name' }

  private expect (value: string): Tok {
    if (!this.is(value)) throw new StripError(`expected ${value} at offset ${this.peek().start}`)
    return this.next()
  }

  private prevEnd (): number { return (this.toks[this.i - 1] as Tok).end }

  private enter (): void { if (++this.depth > MAX_STRIP_DEPTH) throw new StripError('nested too deeply') }
  private leave (): void { this.depth-- }

  /** Erase [start, end): spaces, newlines kept. */
  private erase (start: number, end: number): void {
    if (end > start) this.edits.push({ start, end, text: this.src.slice(start, end).replace(/[^\n\r\u2028\u2029]/g, ' ') })
  }

  private replace (start: number, end: number, text: string): void { this.edits.push({ start, end, text }) }

  output (): string {
    const edits = [...this.edits].sort((a, b) => a.start - b.start || a.end - b.end)
    let out = ''
    let pos = 0
    for (const e of edits) {
      if (e.start < pos) {
        // Overlapping erasures (nested type-only constructs): keep the furthest reach.
        if (e.end > pos) { out += this.src.slice(pos, e.end).replace(/[^\n\r\u2028\u2029]/g, ' '); pos = e.end }
        continue
      }
      out += this.src.slice(pos, e.start) + e.text
      pos = e.end
    }
    return out + this.src.slice(pos)
  }

  /** Erases a type annotation that starts at the current `:` (or other lead token). */
  private eraseTypeAfter (lead: string): void {
    const start = this.expect(lead).start
    this.type()
    this.erase(start, this.prevEnd())
  }

  // ---- statements

  program (): void {
    while (this.peek().kind !== 'eof') this.statement(false)
  }

  private statement (inNamespace: boolean): void {
    this.enter()
    try {
      this.statementInner(inNamespace)
    } finally {
      this.leave()
    }
  }

  private statementInner (inNamespace: boolean): void {
    const t = this.peek()
    if (this.ambientDepth > 0 && !(t.kind === 'punct' && t.value === ';') &&
      !(t.kind === 'name' && ['export', 'import', 'interface', 'type', 'function', 'class', 'abstract', 'var', 'let', 'const', 'enum', 'namespace', 'module', 'declare', 'global'].includes(t.value))) {
      throw new StripError('statement in ambient context')
    }
    if (t.kind === 'punct') {
      if (t.value === '{') { this.block(false); return }
      if (t.value === ';') { this.next(); return }
      if (t.value === '@') { this.decorators(); this.statement(inNamespace); return }
      this.expression()
      this.semicolon()
      return
    }
    if (t.kind !== 'name') { this.expression(); this.semicolon(); return }
    const n1 = this.peek(1)
    switch (t.value) {
      case 'interface':
        if (n1.kind === 'name' && !n1.nl) { this.interfaceDecl(t.start); return }
        break
      case 'type':
        if (n1.kind === 'name' && !n1.nl && (this.is('=', 2) || this.is('<', 2))) { this.typeAlias(t.start); return }
        break
      case 'declare':
        if (n1.kind === 'name' && !n1.nl) { this.ambient(t.start); return }
        break
      case 'abstract':
        if (this.is('class', 1)) { this.erase(t.start, t.end); this.next(); this.classDecl(); return }
        break
      case 'enum':
        if (n1.kind === 'name') { this.enumDecl(); return }
        break
      case 'namespace':
      case 'module':
        if ((n1.kind === 'name' || n1.kind === 'str') && !n1.nl) { this.namespaceDecl(t.start); return }
        break
      case 'global':
        if (this.is('{', 1)) { this.namespaceDecl(t.start); return }
        break
      case 'import':
        if (!this.is('(', 1) && !this.is('.', 1)) { this.importDecl(); return }
        break
      case 'export':
        this.exportDecl(inNamespace)
        return
      case 'function':
        this.functionDecl(t.start, false)
        return
      case 'async':
        if (this.is('function', 1) && !n1.nl) { this.functionDecl(t.start, false); return }
        break
      case 'class':
        this.classDecl()
        return
      case 'var':
      case 'let':
      case 'const':
        if (t.value === 'const' && this.is('enum', 1)) { this.erase(t.start, t.end); this.next(); this.enumDecl(); return }
        if (t.value !== 'let' || n1.kind === 'name' || this.is('[', 1) || this.is('{', 1)) {
          this.varDecl()
          this.semicolon()
          return
        }
        break
      case 'if':
        this.next(); this.parenExpr(); this.statement(false)
        if (this.is('else')) { this.next(); this.statement(false) }
        return
      case 'while':
      case 'with':
        this.next(); this.parenExpr(); this.statement(false)
        return
      case 'do':
        this.next(); this.statement(false); this.expect('while'); this.parenExpr()
        if (this.is(';')) this.next()
        return
      case 'for':
        this.forStatement()
        return
      case 'switch':
        this.next(); this.parenExpr(); this.expect('{')
        while (!this.is('}')) {
          if (this.is('case')) { this.next(); this.expression(); this.expect(':') } else if (this.is('default') && this.is(':', 1)) { this.next(); this.next() } else this.statement(false)
        }
        this.expect('}')
        return
      case 'try':
        this.next(); this.block(false)
        if (this.is('catch')) {
          this.next()
          if (this.is('(')) {
            this.next()
            this.bindingTarget()
            if (this.is(':')) this.eraseTypeAfter(':')
            this.expect(')')
          }
          this.block(false)
        }
        if (this.is('finally')) { this.next(); this.block(false) }
        return
      case 'return':
      case 'throw':
        this.next()
        if (!this.is(';') && !this.is('}') && this.peek().kind !== 'eof' && !this.peek().nl) this.expression()
        this.semicolon()
        return
      case 'break':
      case 'continue':
        this.next()
        if (this.isName() && !this.peek().nl) this.next()
        this.semicolon()
        return
      case 'debugger':
        this.next(); this.semicolon()
        return
    }
    if (this.is(':', 1) && t.kind === 'name') { this.next(); this.next(); this.statement(inNamespace); return }
    this.expression()
    this.semicolon()
  }

  private semicolon (): void {
    if (this.is(';')) { this.next(); return }
    const t = this.peek()
    if (t.kind === 'eof' || t.nl || this.is('}')) return
    throw new StripError(`unexpected token ${t.value} at offset ${t.start}`)
  }

  private block (inNamespace: boolean): void {
    this.expect('{')
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') throw new StripError('unterminated block')
      this.statement(inNamespace)
    }
    this.expect('}')
  }

  private parenExpr (): void {
    this.expect('(')
    this.expression()
    this.expect(')')
  }

  private forStatement (): void {
    this.expect('for')
    if (this.is('await')) this.next()
    this.expect('(')
    if (this.is('var') || this.is('const') || (this.is('let') && (this.isName(1) || this.is('[', 1) || this.is('{', 1)))) {
      this.varDecl()
    } else if (!this.is(';')) {
      this.expression()
    }
    if (this.is('of') || this.is('in')) {
      this.next()
      this.expression()
    } else {
      this.expect(';')
      if (!this.is(';')) this.expression()
      this.expect(';')
      if (!this.is(')')) this.expression()
    }
    this.expect(')')
    this.statement(false)
  }

  private varDecl (): void {
    this.next() // var / let / const
    for (;;) {
      this.bindingTarget()
      if (this.is('!') && this.is(':', 1)) { const b = this.next(); this.erase(b.start, b.end) }
      if (this.is(':')) this.eraseTypeAfter(':')
      if (this.is('=')) {
        this.next()
        if (this.ambientDepth > 0) this.ambientInitializer()
        else this.assign()
      }
      if (!this.is(',')) return
      this.next()
    }
  }

  /** A binding name or destructuring pattern (patterns parse as object/array literals). */
  private bindingTarget (): void {
    if (this.is('{') || this.is('[')) { this.primary(); return }
    if (!this.isName()) throw new StripError(`expected a binding at offset ${this.peek().start}`)
    this.next()
  }

  private decorators (): void {
    while (this.is('@')) {
      this.next()
      if (this.is('(')) { this.parenExpr(); continue }
      this.next()
      while (this.is('.')) { this.next(); this.next() }
      if (this.is('<')) this.typeArgsErase()
      if (this.is('(')) this.args()
    }
  }

  private interfaceDecl (start: number): void {
    this.next() // interface
    this.next() // name
    if (this.is('<')) this.typeParams()
    if (this.is('extends')) {
      this.next()
      this.type()
      while (this.is(',')) { this.next(); this.type() }
    }
    this.objectType()
    this.erase(start, this.prevEnd())
  }

  private typeAlias (start: number): void {
    this.next() // type
    this.next() // name
    if (this.is('<')) this.typeParams()
    this.expect('=')
    this.type()
    if (this.is(';')) this.next()
    this.erase(start, this.prevEnd())
  }

  /** `declare ...`: ambient, never emitted. Parsed with the matching declaration parser, then erased. */
  private ambient (start: number): void {
    this.next() // declare
    const t = this.peek()
    this.ambientDepth++
    try {
      switch (t.value) {
        case 'abstract':
        case 'class':
          if (t.value === 'abstract') this.next()
          this.classDecl()
          break
        case 'interface':
          this.interfaceDecl(t.start)
          break
        case 'type':
          this.typeAlias(t.start)
          break
        case 'function':
          this.functionDecl(t.start, false)
          break
        case 'var':
        case 'let':
        case 'const':
          if (this.is('enum', 1)) { this.next(); this.enumDecl() } else { this.varDecl(); this.semicolon() }
          break
        case 'enum':
          this.enumDecl()
          break
        case 'module':
        case 'namespace':
        case 'global':
          this.next()
          while (!this.is('{') && !this.is(';')) {
            const h = this.next()
            if (h.kind !== 'name' && h.kind !== 'str' && !(h.kind === 'punct' && h.value === '.')) throw new StripError('bad ambient declaration')
            if (this.peek().nl && !this.is('{')) break
          }
          if (this.is(';')) this.next()
          else if (this.is('{')) this.block(true)
          break
        default:
          throw new StripError(`unsupported declare ${t.value}`)
      }
    } finally {
      this.ambientDepth--
    }
    this.erase(start, this.prevEnd())
  }

  /** In ambient context only literal or enum-member initialisers are allowed (`declare const V = "1.0"`). */
  private ambientInitializer (): void {
    const t = this.peek()
    if (t.kind === 'punct' && t.value === '-' && this.peek(1).kind === 'num') { this.next(); this.next(); return }
    if (t.kind === 'str' || t.kind === 'num' || t.kind === 'tmpl') { this.next(); return }
    if (t.kind === 'name' && !this.is('(', 1)) { this.entityName(); if (!this.is('(')) return } // `Kind.Snapshot`, `true`
    throw new StripError('initialiser in ambient context')
  }

  private enumDecl (): void {
    const kw = this.expect('enum')
    const name = this.next()
    if (name.kind !== 'name') throw new StripError('enum without a name')
    this.replace(kw.start, kw.end, 'var ')
    this.replace(name.end, name.end, ' =')
    this.expect('{')
    while (!this.is('}')) {
      const member = this.next()
      if (member.kind !== 'name' && member.kind !== 'str') throw new StripError('bad enum member')
      if (this.is('=')) {
        const eq = this.next()
        this.replace(eq.start, eq.end, ':')
        if (this.ambientDepth > 0) this.ambientInitializer()
        else this.assign()
      } else {
        this.replace(member.end, member.end, ': 0')
      }
      if (this.is(',')) this.next()
      else break
    }
    this.expect('}')
  }

  private namespaceDecl (start: number): void {
    const kw = this.next()
    if (kw.value === 'module' && this.peek().kind === 'str') {
      // `module 'x' { }` is an ambient module declaration.
      this.next()
      this.ambientBody(start)
      return
    }
    if (kw.value !== 'global') {
      this.next()
      while (this.is('.')) { this.next(); this.next() }
    }
    this.erase(start, this.prevEnd())
    this.block(true)
  }

  private ambientBody (start: number): void {
    if (this.is('{')) this.skipBalanced()
    else if (this.is(';')) this.next()
    this.erase(start, this.prevEnd())
  }

  private skipBalanced (): void {
    let depth = 0
    do {
      const t = this.next()
      if (t.kind === 'punct' && (t.value === '{' || t.value === '(' || t.value === '[')) depth++
      else if (t.kind === 'punct' && (t.value === '}' || t.value === ')' || t.value === ']')) depth--
      else if (t.kind === 'tmplHead') depth++
      else if (t.kind === 'tmplTail') depth--
    } while (depth > 0)
  }

  private importDecl (): void {
    const start = this.expect('import').start
    if (this.is('type') && (this.is('{', 1) || this.is('*', 1) || (this.isName(1) && !this.is('from', 1) && !this.is(',', 1)))) {
      this.skipModuleRest()
      this.erase(start, this.prevEnd())
      return
    }
    if (this.isName() && this.is('=', 1)) {
      // `import x = require('y')` / `import x = A.B`: a constant binding.
      this.replace(start, start + 'import'.length, 'const ')
      this.next(); this.next()
      this.assign()
      this.semicolon()
      return
    }
    this.specifierList()
    this.skipModuleRest()
  }

  /** Erases type-only specifiers inside `{ ... }` of an import or export, if that list comes next. */
  private specifierList (): void {
    while (!this.is('{') && this.peek().kind !== 'str' && !this.is(';') && this.peek().kind !== 'eof' && !this.is('from')) this.next()
    if (!this.is('{')) return
    this.next()
    while (!this.is('}')) {
      const first = this.peek()
      const typeOnly = first.value === 'type' && first.kind === 'name' && (this.peek(1).kind === 'name' || this.peek(1).kind === 'str') &&
        !(this.is('as', 1) && (this.is(',', 2) || this.is('}', 2)))
      this.next()
      while (!this.is(',') && !this.is('}')) this.next()
      if (this.is(',')) this.next()
      if (typeOnly) this.erase(first.start, this.prevEnd())
    }
    this.next()
  }

  /** The rest of an import/export-from statement: up to the module string, attributes and `;`. */
  private skipModuleRest (): void {
    while (this.peek().kind !== 'str') {
      if (this.peek().kind === 'eof' || this.is(';')) throw new StripError('import without a module')
      this.next()
    }
    this.next()
    if (this.is(')')) this.next() // `import type x = require('y')`
    if ((this.is('with') || this.is('assert')) && this.is('{', 1)) { this.next(); this.skipBalanced() }
    this.semicolon()
  }

  private exportDecl (inNamespace: boolean): void {
    const kw = this.expect('export')
    if (inNamespace) this.erase(kw.start, kw.end)
    const t = this.peek()
    if (t.value === 'type' && (this.is('{', 1) || this.is('*', 1))) {
      this.skipExportRest()
      this.erase(kw.start, this.prevEnd())
      return
    }
    if ((t.value === 'type' && this.isName(1) && (this.is('=', 2) || this.is('<', 2))) ||
      (t.value === 'interface' && this.isName(1)) || (t.value === 'declare' && this.isName(1))) {
      const before = this.edits.length
      this.statement(false)
      if (this.edits.length > before) this.erase(kw.start, kw.end)
      return
    }
    if (t.value === 'default') {
      this.next()
      if (this.is('interface') && this.isName(1)) { this.interfaceDecl(kw.start); return }
      if (this.is('abstract') && this.is('class', 1)) { const a = this.next(); this.erase(a.start, a.end) }
      if (this.is('function') || (this.is('async') && this.is('function', 1))) { this.functionDecl(kw.start, false); return }
      if (this.is('class')) { this.classDecl(); return }
      if (this.ambientDepth > 0) this.entityName()
      else this.assign()
      this.semicolon()
      return
    }
    if (t.value === 'as' && this.is('namespace', 1)) {
      this.next(); this.next(); this.next()
      this.semicolon()
      this.erase(kw.start, this.prevEnd())
      return
    }
    if (t.value === '=') {
      // `export = x` (CommonJS export of TypeScript modules) is `module.exports = x`.
      this.replace(kw.start, kw.end, 'module.exports')
      this.next()
      if (this.ambientDepth > 0) this.entityName()
      else this.assign()
      this.semicolon()
      return
    }
    if ((t.value === 'namespace' || t.value === 'module') && this.isName(1)) {
      this.erase(kw.start, kw.end)
      this.statement(false)
      return
    }
    if (t.value === '{' || t.value === '*') {
      this.skipExportRest()
      return
    }
    if (t.value === 'function' || (t.value === 'async' && this.is('function', 1))) {
      this.functionDecl(kw.start, false)
      return
    }
    this.statement(false)
  }

  /** `a.b.c` (the only expression allowed after `export default` / `export =` in ambient context). */
  private entityName (): void {
    if (!this.isName()) throw new StripError('expected a name')
    this.next()
    while (this.is('.')) { this.next(); if (!this.isName()) throw new StripError('expected a name'); this.next() }
  }

  private skipExportRest (): void {
    if (this.is('type')) this.next()
    if (this.is('{')) this.specifierList()
    else { while (!this.is('from')) this.next() }
    if (this.is('from')) { this.next(); this.skipModuleRest(); return }
    this.semicolon()
  }

  /** `function` declarations and expressions; a body-less declaration (overload) is erased. */
  private functionDecl (start: number, isExpression: boolean): void {
    if (this.is('async')) this.next()
    this.expect('function')
    if (this.is('*')) this.next()
    if (this.isName() && !this.is('(')) this.next()
    if (this.is('<')) this.typeParamsErase()
    this.params()
    if (this.is(':')) this.eraseTypeAfter(':')
    if (this.is('{')) {
      if (this.ambientDepth > 0) throw new StripError('function body in ambient context')
      this.functionBody()
      return
    }
    if (isExpression) throw new StripError('function expression without a body')
    if (this.is(';')) this.next()
    this.erase(start, this.prevEnd())
  }

  private functionBody (): void { this.block(false) }

  private params (): void {
    this.expect('(')
    while (!this.is(')')) {
      const pStart = this.peek().start
      if (this.is('@')) this.decorators()
      while (this.isName() && ACCESS_MODIFIERS.has(this.peek().value) && (this.isName(1) || this.is('{', 1) || this.is('[', 1) || this.is('...', 1))) {
        const m = this.next()
        this.erase(m.start, m.end)
      }
      if (this.is('this') && (this.is(':', 1) || this.is(',', 1) || this.is(')', 1))) {
        this.next()
        if (this.is(':')) { this.next(); this.type() }
        if (this.is(',')) this.next()
        this.erase(pStart, this.prevEnd())
        continue
      }
      if (this.is('...')) this.next()
      this.bindingTarget()
      if (this.is('?')) { const q = this.next(); this.erase(q.start, q.end) }
      if (this.is(':')) this.eraseTypeAfter(':')
      if (this.is('=')) { this.next(); this.assign() }
      if (this.is(',')) this.next()
      else if (!this.is(')')) throw new StripError(`unexpected token in parameters at offset ${this.peek().start}`)
    }
    this.expect(')')
  }

  private args (): void {
    this.expect('(')
    while (!this.is(')')) {
      if (this.is('...')) this.next()
      this.assign()
      if (this.is(',')) this.next()
      else if (!this.is(')')) throw new StripError(`unexpected token in arguments at offset ${this.peek().start}`)
    }
    this.expect(')')
  }

  private classDecl (): void {
    this.expect('class')
    if (this.isName() && !this.is('extends') && !this.is('implements') && !this.is('{')) this.next()
    if (this.is('<')) this.typeParamsErase()
    if (this.is('extends')) {
      this.next()
      this.primary()
      this.postfix()
      if (this.is('<')) this.typeArgsErase()
    }
    if (this.is('implements')) {
      const start = this.next().start
      this.type()
      while (this.is(',')) { this.next(); this.type() }
      this.erase(start, this.prevEnd())
    }
    this.expect('{')
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') throw new StripError('unterminated class')
      this.classMember()
    }
    this.expect('}')
  }

  private classMember (): void {
    if (this.is(';')) { this.next(); return }
    const start = this.peek().start
    if (this.is('@')) this.decorators()
    let typeOnly = false
    while (this.isName() && MEMBER_MODIFIERS.has(this.peek().value)) {
      const n1 = this.peek(1)
      const keyFollows = n1.kind === 'name' || n1.kind === 'str' || n1.kind === 'num' || n1.kind === 'private' || (n1.kind === 'punct' && (n1.value === '[' || n1.value === '*' || n1.value === '{'))
      if (!keyFollows) break
      const m = this.next()
      if (m.value === 'static' && this.is('{')) {
        if (this.ambientDepth > 0) throw new StripError('static block in ambient context')
        this.block(false)
        return
      }
      if (TS_ONLY_MODIFIERS.has(m.value)) {
        this.erase(m.start, m.end)
        if (m.value === 'abstract' || m.value === 'declare') typeOnly = true
      }
    }
    if (this.is('*')) this.next()
    if (this.is('[')) {
      if (this.isName(1) && this.is(':', 2)) {
        // index signature `[key: string]: T;`
        this.next(); this.next(); this.next()
        this.type()
        this.expect(']')
        if (this.is('?')) this.next()
        this.expect(':')
        this.type()
        if (this.is(';') || this.is(',')) this.next()
        this.erase(start, this.prevEnd())
        return
      }
      this.next(); this.assign(); this.expect(']')
    } else {
      const key = this.next()
      if (!['name', 'str', 'num', 'private'].includes(key.kind)) throw new StripError(`unexpected class member at offset ${key.start}`)
    }
    if (this.is('?') || (this.is('!') && !this.is('=', 1))) { const q = this.next(); this.erase(q.start, q.end) }
    if (this.is('(') || this.is('<')) {
      if (this.is('<')) this.typeParamsErase()
      this.params()
      if (this.is(':')) this.eraseTypeAfter(':')
      if (this.is('{')) {
        // An abstract or ambient method with a body is a TypeScript error: refuse, never hide it.
        if (typeOnly || this.ambientDepth > 0) throw new StripError('method body where only a signature is allowed')
        this.functionBody()
        return
      }
      if (this.is(';')) this.next()
      this.erase(start, this.prevEnd()) // overload signature or abstract method
      return
    }
    if (this.is(':')) this.eraseTypeAfter(':')
    if (this.is('=')) {
      if (typeOnly) throw new StripError('initialiser on a declare/abstract property')
      this.next()
      if (this.ambientDepth > 0) this.ambientInitializer()
      else this.assign()
    }
    this.semicolon()
    if (typeOnly) this.erase(start, this.prevEnd())
  }

  // ---- expressions

  private expression (): void {
    this.assign()
    while (this.is(',')) { this.next(); this.assign() }
  }

  private assign (): void {
    this.enter()
    try {
      this.conditional()
      const t = this.peek()
      if (t.kind === 'punct' && ASSIGN_OPS.has(t.value)) { this.next(); this.assign() }
    } finally {
      this.leave()
    }
  }

  private conditional (): void {
    this.binary()
    if (this.is('?')) {
      this.next()
      this.assign()
      this.expect(':')
      this.assign()
    }
  }

  private binary (): void {
    this.unary()
    for (;;) {
      const t = this.peek()
      if (t.kind === 'name' && (t.value === 'as' || t.value === 'satisfies') && !t.nl) {
        this.next()
        this.type()
        this.erase(t.start, this.prevEnd())
        continue
      }
      const isOp = (t.kind === 'punct' && BINARY_OPS.has(t.value)) || (t.kind === 'name' && (t.value === 'in' || t.value === 'instanceof'))
      if (!isOp) return
      this.next()
      if (t.value === '>' || t.value === '<') {
        // `>>`, `>>>`, `>=`, `>>=` arrive as adjacent single tokens.
        while ((this.is('>') || this.is('=') || this.is('>=')) && this.peek().start === this.prevEnd()) this.next()
      }
      this.unary()
    }
  }

  private unary (): void {
    this.enter()
    try {
      const t = this.peek()
      if (t.kind === 'punct' && ['!', '~', '+', '-', '++', '--'].includes(t.value)) { this.next(); this.unary(); return }
      if (t.kind === 'name' && ['typeof', 'void', 'delete'].includes(t.value)) { this.next(); this.unary(); return }
      if (t.kind === 'name' && t.value === 'await' && this.startsExpression(1)) { this.next(); this.unary(); return }
      if (t.kind === 'name' && t.value === 'yield') {
        this.next()
        if (this.is('*')) this.next()
        if (this.startsExpression(0) && !this.peek().nl) this.assign()
        return
      }
      if (this.is('<')) { this.angleOperand(); return }
      this.primary()
      this.postfix()
    } finally {
      this.leave()
    }
  }

  private startsExpression (k: number): boolean {
    const t = this.peek(k)
    if (t.kind === 'eof') return false
    if (t.kind === 'punct') return ['(', '[', '{', '!', '~', '+', '-', '++', '--', '<', '/', '@', '...'].includes(t.value)
    return t.kind !== 'name' || !['in', 'of', 'instanceof', 'as', 'satisfies'].includes(t.value)
  }

  /** `<T>(x: T) => x` (generic arrow) or `<T>expr` (type assertion). */
  private angleOperand (): void {
    const save = this.i
    const saveEdits = this.edits.length
    try {
      const start = this.peek().start
      this.typeParams()
      if (this.is('(') && this.arrowAhead(this.i)) {
        this.erase(start, this.prevEnd())
        this.arrowFunction()
        return
      }
    } catch (err) {
      if (!(err instanceof StripError)) throw err
    }
    this.i = save
    this.edits.length = saveEdits
    const start = this.next().start
    this.type()
    this.expect('>')
    this.erase(start, this.prevEnd())
    this.unary()
  }

  private postfix (): void {
    for (;;) {
      const t = this.peek()
      if (t.kind === 'tmpl' || t.kind === 'tmplHead') { this.template(); continue }
      if (t.kind !== 'punct') return
      switch (t.value) {
        case '.':
          this.next()
          if (this.peek().kind !== 'name' && this.peek().kind !== 'private') throw new StripError('expected a property name')
          this.next()
          continue
        case '?.':
          this.next()
          if (this.is('(')) this.args()
          else if (this.is('[')) { this.next(); this.expression(); this.expect(']') } else if (this.is('<')) { this.typeArgsErase(); this.args() } else this.next()
          continue
        case '[':
          this.next(); this.expression(); this.expect(']')
          continue
        case '(':
          this.args()
          continue
        case '!':
          if (t.nl || this.is('=', 1)) return
          this.next()
          this.erase(t.start, t.end)
          continue
        case '++':
        case '--':
          if (t.nl) return
          this.next()
          continue
        case '<':
          if (!this.tryTypeArgs()) return
          continue
        default:
          return
      }
    }
  }

  /** `f<T>(x)`, `new Map<K, V>()`: erased when what follows the `>` makes it type arguments. */
  private tryTypeArgs (): boolean {
    const save = this.i
    const start = this.peek().start
    try {
      this.typeArgs()
    } catch (err) {
      if (!(err instanceof StripError)) throw err
      this.i = save
      return false
    }
    const t = this.peek()
    const follows = t.kind === 'eof' || t.kind === 'tmpl' || t.kind === 'tmplHead' ||
      (t.kind === 'punct' && ['(', ')', ']', ';', ',', '.', '?.', '}', ':'].includes(t.value)) || (t.nl && !this.is('(') && !this.is('['))
    if (!follows) { this.i = save; return false }
    this.erase(start, this.prevEnd())
    return true
  }

  private template (): void {
    const t = this.next()
    if (t.kind === 'tmpl') return
    for (;;) {
      this.expression()
      const part = this.next()
      if (part.kind === 'tmplTail') return
      if (part.kind !== 'tmplMiddle') throw new StripError('bad template')
    }
  }

  private primary (): void {
    const t = this.peek()
    switch (t.kind) {
      case 'num':
      case 'str':
      case 'regex':
      case 'private':
        this.next()
        return
      case 'tmpl':
      case 'tmplHead':
        this.template()
        return
      case 'jsxStart':
        this.jsxElement()
        return
      case 'punct':
        if (t.value === '(') {
          if (this.arrowAhead(this.i)) { this.arrowFunction(); return }
          this.next(); this.expression(); this.expect(')')
          return
        }
        if (t.value === '[') {
          this.next()
          while (!this.is(']')) {
            if (this.is(',')) { this.next(); continue }
            if (this.is('...')) this.next()
            this.assign()
            if (this.is(',')) this.next()
            else if (!this.is(']')) throw new StripError('bad array literal')
          }
          this.next()
          return
        }
        if (t.value === '{') { this.objectLiteral(); return }
        if (t.value === '@') { this.decorators(); this.classDecl(); return }
        throw new StripError(`unexpected token ${t.value} at offset ${t.start}`)
      case 'name':
        break
      default:
        throw new StripError(`unexpected token at offset ${t.start}`)
    }
    const n1 = this.peek(1)
    switch (t.value) {
      case 'function':
        this.functionDecl(t.start, true)
        return
      case 'async':
        if (this.is('function', 1) && !n1.nl) { this.functionDecl(t.start, true); return }
        if (n1.kind === 'name' && this.is('=>', 2) && !n1.nl) { this.next(); this.next(); this.arrowBody(); return }
        if (this.is('(', 1) && !n1.nl && this.arrowAhead(this.i + 1)) { this.next(); this.arrowFunction(); return }
        if (this.is('<', 1) && !n1.nl) { this.next(); this.angleOperand(); return }
        break
      case 'class':
        this.classDecl()
        return
      case 'new':
        this.next()
        if (this.is('.')) { this.next(); this.next(); return }
        this.primary()
        return
    }
    this.next()
    if (this.is('=>') && !this.peek().nl) this.arrowBody()
  }

  /** A JSX element: its text is kept as is; expressions in `{ }` are parsed (and their types erased). */
  private jsxElement (): void {
    this.next() // jsxStart
    for (;;) {
      const t = this.next()
      if (t.kind === 'jsxEnd') return
      if (t.kind === 'jsxStart') { this.i--; this.jsxElement(); continue }
      if (t.kind === 'jsxText') continue
      if (t.kind !== 'jsxOpen') throw new StripError('bad JSX')
      if (this.peek().kind === 'jsxClose') { this.next(); continue }
      if (this.is('...')) this.next()
      this.expression()
      if (this.next().kind !== 'jsxClose') throw new StripError('bad JSX expression container')
    }
  }

  /** True when the `(` at token index `idx` opens arrow-function parameters. */
  private arrowAhead (idx: number): boolean {
    let depth = 0
    let j = idx
    for (; j < this.toks.length; j++) {
      const t = this.toks[j] as Tok
      if (t.kind === 'eof') return false
      if (t.kind === 'punct' && (t.value === '(' || t.value === '[' || t.value === '{')) depth++
      else if (t.kind === 'punct' && (t.value === ')' || t.value === ']' || t.value === '}')) {
        depth--
        if (depth === 0) break
      } else if (t.kind === 'tmplHead') depth++
      else if (t.kind === 'tmplTail') depth--
    }
    const after = this.toks[j + 1]
    if (after === undefined) return false
    if (after.kind === 'punct' && after.value === '=>') return true
    if (!(after.kind === 'punct' && after.value === ':')) return false
    const save = this.i
    try {
      this.i = j + 2
      this.type()
      return this.is('=>')
    } catch (err) {
      if (!(err instanceof StripError)) throw err
      return false
    } finally {
      this.i = save
    }
  }

  private arrowFunction (): void {
    this.params()
    if (this.is(':')) this.eraseTypeAfter(':')
    this.arrowBody()
  }

  private arrowBody (): void {
    this.expect('=>')
    if (this.is('{')) this.functionBody()
    else this.assign()
  }

  private objectLiteral (): void {
    this.expect('{')
    while (!this.is('}')) {
      if (this.is('...')) { this.next(); this.assign() } else {
        while ((this.is('async') || this.is('get') || this.is('set')) && !this.is(',', 1) && !this.is(':', 1) && !this.is('(', 1) && !this.is('}', 1) && !this.is('=', 1)) this.next()
        if (this.is('*')) this.next()
        if (this.is('[')) { this.next(); this.assign(); this.expect(']') } else {
          const key = this.next()
          if (!['name', 'str', 'num'].includes(key.kind)) throw new StripError(`bad object key at offset ${key.start}`)
        }
        if (this.is('(') || this.is('<')) {
          if (this.is('<')) this.typeParamsErase()
          this.params()
          if (this.is(':')) this.eraseTypeAfter(':')
          this.functionBody()
        } else if (this.is(':') || this.is('=')) {
          this.next()
          this.assign()
        }
      }
      if (this.is(',')) this.next()
      else if (!this.is('}')) throw new StripError(`bad object literal at offset ${this.peek().start}`)
    }
    this.next()
  }

  // ---- types (consumed, never emitted)

  private typeParamsErase (): void {
    const start = this.peek().start
    this.typeParams()
    this.erase(start, this.prevEnd())
  }

  private typeArgsErase (): void {
    const start = this.peek().start
    this.typeArgs()
    this.erase(start, this.prevEnd())
  }

  private typeParams (): void {
    this.expect('<')
    while (!this.is('>')) {
      while ((this.is('const') || this.is('in') || this.is('out')) && this.isName(1)) this.next()
      if (!this.isName()) throw new StripError('expected a type parameter')
      this.next()
      if (this.is('extends')) { this.next(); this.type() }
      if (this.is('=')) { this.next(); this.type() }
      if (this.is(',')) this.next()
      else if (!this.is('>')) throw new StripError('bad type parameters')
    }
    this.next()
  }

  private typeArgs (): void {
    this.expect('<')
    this.type()
    while (this.is(',')) { this.next(); if (!this.is('>')) this.type() }
    this.expect('>')
  }

  private type (): void {
    this.enter()
    try {
      if (this.is('asserts') && this.isName(1) && !this.peek(1).nl) {
        this.next(); this.next()
        if (this.is('is')) { this.next(); this.type() }
        return
      }
      if (this.is('<')) { this.typeParams(); this.functionTypeRest(); return }
      if (this.is('new') || (this.is('abstract') && this.is('new', 1))) {
        if (this.is('abstract')) this.next()
        this.next()
        if (this.is('<')) this.typeParams()
        this.functionTypeRest()
        return
      }
      if (this.is('(') && this.functionTypeAhead()) { this.functionTypeRest(); return }
      this.unionType()
      if (this.is('extends') && !this.peek().nl) {
        this.next()
        const outer = this.inExtendsClause
        this.inExtendsClause = true
        try {
          this.nonConditionalType()
        } finally {
          this.inExtendsClause = outer
        }
        this.expect('?')
        this.type()
        this.expect(':')
        this.type()
      }
    } finally {
      this.leave()
    }
  }

  /** A type without a top-level conditional: function/constructor types or a union. */
  private nonConditionalType (): void {
    if (this.is('(') && this.functionTypeAhead()) { this.functionTypeRest(); return }
    if (this.is('<')) { this.typeParams(); this.functionTypeRest(); return }
    if (this.is('new') || (this.is('abstract') && this.is('new', 1))) {
      if (this.is('abstract')) this.next()
      this.next()
      if (this.is('<')) this.typeParams()
      this.functionTypeRest()
      return
    }
    this.unionType()
  }

  private functionTypeAhead (): boolean {
    let depth = 0
    let j = this.i
    for (; j < this.toks.length; j++) {
      const t = this.toks[j] as Tok
      if (t.kind === 'eof') return false
      if (t.kind === 'punct' && (t.value === '(' || t.value === '[' || t.value === '{')) depth++
      else if (t.kind === 'punct' && (t.value === ')' || t.value === ']' || t.value === '}')) {
        depth--
        if (depth === 0) break
      }
    }
    const after = this.toks[j + 1]
    return after !== undefined && after.kind === 'punct' && after.value === '=>'
  }

  private functionTypeRest (): void {
    this.expect('(')
    while (!this.is(')')) {
      if (this.is('...')) this.next()
      if (this.is('{') || this.is('[')) this.skipBalanced()
      else if (this.isName()) this.next()
      else throw new StripError('bad function type parameter')
      if (this.is('?')) this.next()
      if (this.is(':')) { this.next(); this.type() }
      if (this.is(',')) this.next()
      else if (!this.is(')')) throw new StripError('bad function type')
    }
    this.next()
    this.expect('=>')
    this.type()
  }

  private unionType (): void {
    if (this.is('|')) this.next()
    this.intersectionType()
    while (this.is('|')) { this.next(); this.intersectionType() }
  }

  private intersectionType (): void {
    if (this.is('&')) this.next()
    this.operatorType()
    while (this.is('&')) { this.next(); this.operatorType() }
  }

  private operatorType (): void {
    if ((this.is('keyof') || this.is('unique') || this.is('readonly')) && this.startsType(1)) {
      this.next()
      this.operatorType()
      return
    }
    if (this.is('infer') && this.isName(1)) {
      this.next(); this.next()
      if (this.is('extends')) {
        // `infer X extends C` (a constraint) unless the `extends` starts a conditional type.
        const save = this.i
        try {
          this.next()
          this.nonConditionalType()
          if (this.is('?') && !this.inExtendsClause) this.i = save
        } catch (err) {
          if (!(err instanceof StripError)) throw err
          this.i = save
        }
      }
      return
    }
    this.primaryType()
    while (this.is('[') && !this.peek().nl) {
      this.next()
      if (!this.is(']')) this.type()
      this.expect(']')
    }
  }

  private startsType (k: number): boolean {
    const t = this.peek(k)
    return t.kind === 'name' || t.kind === 'str' || t.kind === 'num' || t.kind === 'tmpl' || t.kind === 'tmplHead' ||
      (t.kind === 'punct' && ['(', '[', '{', '<', '-', '|', '&'].includes(t.value))
  }

  private primaryType (): void {
    const t = this.peek()
    switch (t.kind) {
      case 'str':
      case 'num':
      case 'tmpl':
        this.next()
        return
      case 'tmplHead':
        this.templateType()
        return
      case 'punct':
        if (t.value === '-' && this.peek(1).kind === 'num') { this.next(); this.next(); return }
        if (t.value === '(') { this.next(); this.type(); this.expect(')'); return }
        if (t.value === '[') { this.tupleType(); return }
        if (t.value === '{') { this.objectType(); return }
        throw new StripError(`unexpected token in type at offset ${t.start}`)
      case 'name':
        break
      default:
        throw new StripError(`unexpected token in type at offset ${t.start}`)
    }
    if (t.value === 'typeof') {
      this.next()
      if (this.is('import')) this.importType()
      else {
        this.next()
        while (this.is('.')) { this.next(); this.next() }
      }
      if (this.is('<') && !this.peek().nl) this.typeArgs()
      return
    }
    if (t.value === 'import' && this.is('(', 1)) { this.importType(); return }
    this.next()
    while (this.is('.')) {
      this.next()
      if (!this.isName()) throw new StripError('bad qualified type name')
      this.next()
    }
    if (this.is('<') && !this.peek().nl) this.typeArgs()
    if (this.is('is') && !this.peek().nl) { this.next(); this.type() }
  }

  private templateType (): void {
    this.next()
    for (;;) {
      this.type()
      const part = this.next()
      if (part.kind === 'tmplTail') return
      if (part.kind !== 'tmplMiddle') throw new StripError('bad template type')
    }
  }

  private importType (): void {
    this.expect('import')
    this.expect('(')
    if (this.peek().kind !== 'str') throw new StripError('import type needs a string')
    this.next()
    this.expect(')')
    while (this.is('.')) { this.next(); this.next() }
    if (this.is('<')) this.typeArgs()
  }

  private tupleType (): void {
    this.expect('[')
    while (!this.is(']')) {
      if (this.is('...')) this.next()
      if (this.isName() && (this.is(':', 1) || (this.is('?', 1) && this.is(':', 2)))) {
        this.next()
        if (this.is('?')) this.next()
        this.next()
      }
      this.type()
      if (this.is('?')) this.next()
      if (this.is(',')) this.next()
      else if (!this.is(']')) throw new StripError('bad tuple type')
    }
    this.next()
  }

  private objectType (): void {
    this.expect('{')
    let k = 0
    if (this.is('+') || this.is('-')) k++
    if (this.is('readonly', k)) k++
    const mapped = this.is('[', k) && this.isName(k + 1) && this.is('in', k + 2)
    if (mapped) {
      if (this.is('+') || this.is('-')) this.next()
      if (this.is('readonly')) this.next()
      this.expect('[')
      this.next()
      this.expect('in')
      this.type()
      if (this.is('as')) { this.next(); this.type() }
      this.expect(']')
      if (this.is('+') || this.is('-')) this.next()
      if (this.is('?')) this.next()
      if (this.is(':')) { this.next(); this.type() }
      if (this.is(';') || this.is(',')) this.next()
      this.expect('}')
      return
    }
    while (!this.is('}')) {
      this.typeMember()
      if (this.is(';') || this.is(',')) this.next()
      else if (!this.is('}') && !this.peek().nl) throw new StripError(`bad object type at offset ${this.peek().start}`)
    }
    this.next()
  }

  private typeMember (): void {
    if (this.is('readonly') && !this.is(':', 1) && !this.is('?', 1) && !this.is('(', 1)) this.next()
    if (this.is('(') || this.is('<')) { this.signatureRest(); return }
    if (this.is('new') && (this.is('(', 1) || this.is('<', 1))) { this.next(); this.signatureRest(); return }
    if ((this.is('get') || this.is('set')) && (this.isName(1) || this.peek(1).kind === 'str' || this.is('[', 1))) this.next()
    if (this.is('[')) {
      if (this.isName(1) && this.is(':', 2)) {
        this.next(); this.next(); this.next()
        this.type()
        this.expect(']')
        if (this.is('?')) this.next()
        this.expect(':')
        this.type()
        return
      }
      this.next()
      this.next()
      while (this.is('.')) { this.next(); this.next() }
      this.expect(']')
    } else {
      const key = this.next()
      if (!['name', 'str', 'num'].includes(key.kind)) throw new StripError('bad type member')
    }
    if (this.is('?')) this.next()
    if (this.is('(') || this.is('<')) { this.signatureRest(); return }
    if (this.is(':')) { this.next(); this.type() }
  }

  private signatureRest (): void {
    if (this.is('<')) this.typeParams()
    this.expect('(')
    while (!this.is(')')) {
      if (this.is('...')) this.next()
      if (this.is('{') || this.is('[')) this.skipBalanced()
      else this.next()
      if (this.is('?')) this.next()
      if (this.is(':')) { this.next(); this.type() }
      if (this.is(',')) this.next()
      else if (!this.is(')')) throw new StripError('bad signature')
    }
    this.next()
    if (this.is(':')) { this.next(); this.type() }
  }
}

/**
 * Erases TypeScript-only syntax. Returns JavaScript with the same line structure, or the reason
 * the snippet could not be erased (the caller reports it as a parse error: fail closed).
 */
export function stripTypes (code: string): { ok: true, code: string } | { ok: false, detail: string } {
  // First as .ts (where `<T>x` is a type assertion), then as .tsx (where `<div>` is JSX).
  let first = ''
  for (const jsx of [false, true]) {
    try {
      const stripper = new Stripper(code, tokenize(code, jsx))
      stripper.program()
      return { ok: true, code: stripper.output() }
    } catch (err) {
      if (err instanceof RangeError) return { ok: false, detail: 'nested too deeply' }
      if (!(err instanceof StripError)) throw err
      if (first === '') first = err.message
    }
  }
  return { ok: false, detail: first }
}
