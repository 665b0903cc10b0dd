/**
 * JavaScript and TypeScript rules on the ESTree syntax tree of parse-js.ts (oxc-parser, types erased).
 *
 * Two passes over the tree: scopes and bindings (imports, `require`, destructuring, aliases), then
 * the rules, which match *resolved* names. So `require('child_process').exec`, `const { exec } =
 * require('node:child_process')`, `import * as cp from 'child_process'` and `cp['ex' + 'ec']` all
 * reach the same rule, while `setTimeout(fn)`, `model.evaluate()` or the word eval in a string do
 * not. Resolution also sees through `f.call` / `f.apply` / `f.bind` / `Reflect.apply`, reflective
 * reads (`Reflect.get`, property descriptors) and `.constructor` of function values (Function);
 * a dangerous module or function that escapes into a container or an argument counts as used.
 * Optional third pass: taint from request/argv data into sinks (taint: true).
 */
import {
  type AnalysisOutcome, IssueList, T, classifySecretValue, isCredentialName, isDownloadAndRun, isPasswordName,
  isRecursiveRm, isSecretName, isTokenName, secretShape
} from './issues.js'
import { LOADER_ENV, pathReach } from './capabilities.js'
import { KEY_ARGUMENTS, jsCapabilityOf } from './capability-names.js'
import { type JsNode, MAX_JS_DEPTH, parseJsOrTs } from './parse-js.js'
import { TaintStore, runToFixpoint, type TaintSource } from './taint.js'

export { MAX_JS_DEPTH }

interface ParentLink { node: JsNode, key: string }

class TooDeep extends Error {}

export function analyseJavaScript (code: string, options: { taint: boolean, typescript?: boolean }): AnalysisOutcome {
  const parsed = parseJsOrTs(code, options.typescript === true)
  if (!parsed.ok) return parsed
  try {
    const analysis = new JsAnalysis(code, parsed.program, parsed.lineOf)
    analysis.rules()
    for (const c of parsed.comments) {
      const label = secretShape(c.value)
      if (label !== null) analysis.issues.critical(T.hardcodedSecret, `Comment contains ${label}`, c.line)
    }
    if (options.taint && !analysis.taint()) return { ok: false, reason: 'too_complex', detail: 'taint analysis did not settle' }
    return { ok: true, issues: analysis.issues }
  } catch (err) {
    if (err instanceof TooDeep || err instanceof RangeError) return { ok: false, reason: 'too_deep', detail: `syntax tree deeper than ${MAX_JS_DEPTH}` }
    throw err
  }
}

// ---------------------------------------------------------------------------------------------

const GLOBAL_OBJECTS = new Set(['window', 'globalThis', 'self', 'global', 'frames', 'top', 'parent'])
const CHILD_SHELL = new Set(['exec', 'execSync'])
const CHILD_SPAWN = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork'])
const VM_RUN = new Set(['runInNewContext', 'runInThisContext', 'runInContext', 'compileFunction', 'Script', 'SourceTextModule', 'createScript'])
const PROCESS_NATIVE = new Set(['process.binding', 'process._linkedBinding', 'process.dlopen', 'process.mainModule.constructor._load', 'module.constructor._load'])
/** Loaders that return a module named by their first argument (`process.getBuiltinModule('child_process')`, `Module._load`). */
const REQUIRE_NAMES = new Set(['require', 'module.require', 'process.mainModule.require', 'process.getBuiltinModule', 'module._load', 'module.Module._load', 'module.Module.prototype.require', 'module.prototype.require'])
/** Deleters that always remove whole trees. */
const ALWAYS_RECURSIVE = /^(rimraf|del|fs-extra\.(remove|removeSync|emptyDir|emptyDirSync))(\.|$)/
/** Calls that write properties or the prototype of their first argument. */
const PROTOTYPE_WRITERS = new Set(['Object.assign', 'Object.defineProperty', 'Object.defineProperties', 'Object.setPrototypeOf', 'Reflect.set', 'Reflect.defineProperty', 'Reflect.setPrototypeOf', 'lodash.merge', 'lodash.set', '_.merge', '_.set'])
/** Deep merges and path setters: a `__proto__` / `constructor` key in their input writes a shared prototype. */
const DEEP_MERGERS = new Set(['lodash.merge', 'lodash.mergeWith', 'lodash.defaultsDeep', 'lodash.set', 'lodash.setWith', 'lodash.zipObjectDeep', 'deepmerge', 'merge', 'merge-deep', 'mixin-deep', 'set-value', 'dot-prop.setProperty', 'dset', 'defaults-deep', '@hapi/hoek.merge'])
/** jQuery methods that parse a string argument as HTML. */
const JQUERY_HTML = new Set(['html', 'append', 'prepend', 'after', 'before', 'replaceWith', 'wrap', 'wrapAll', 'wrapInner', 'insertAfter', 'insertBefore'])
/** DOM methods that put nodes into a document. */
const NODE_INSERTERS = new Set(['append', 'appendChild', 'prepend', 'replaceChildren', 'replaceWith', 'insertBefore', 'after', 'before', 'adoptNode', 'importNode'])
/** Methods that parse markup into live DOM whatever object they are called on. */
const HTML_METHODS = new Set(['createContextualFragment', 'setHTMLUnsafe', 'parseHTMLUnsafe', 'insertAdjacentHTML'])
/** Properties that take a URL a browser loads or navigates to (a `javascript:` URL runs). */
const URL_PROPS = new Set(['href', 'src', 'action', 'formAction', 'location', 'data'])
/** Names whose values are secrets in a request or page: cookies, session storage. */
const SECRET_SOURCES = new Set(['document.cookie', 'localStorage', 'sessionStorage'])
/** Objects whose members must not be reached through a computed, non-constant name (exact: `process.env[k]` is fine). */
const SENSITIVE_ROOTS = new Set(['global', 'process', 'child_process', 'vm', 'fs', 'require', 'module', 'Function', 'Reflect', 'worker_threads'])
/** Modules whose use cannot be followed once imported dynamically (`import('node:process').then((m) => m.binding(…))`). */
const DANGEROUS_MODULES = new Set(['child_process', 'vm', 'worker_threads', 'module', 'process', 'inspector', 'repl', 'cluster', 'wasi'])
/** Modules whose object must not escape into a place the analysis cannot follow (`run(cp)`, `[cp][0]`). */
const ESCAPING_MODULES = new Set(['child_process', 'vm', 'worker_threads'])
/** Properties that invoke the function they are read from: `f.call(t, …)`, `f.apply(t, […])`, `f.bind(t, …)`. */
const INVOKERS = new Set(['call', 'apply', 'bind'])
/** Reflective reads: `Reflect.get(o, k)` is `o[k]`; a property descriptor's `value`/`get` is `o[k]` too. */
const REFLECT_GET = new Set(['Reflect.get'])
const DESCRIPTOR_OF = new Set(['Object.getOwnPropertyDescriptor', 'Reflect.getOwnPropertyDescriptor'])
const DESCRIPTORS_OF = new Set(['Object.getOwnPropertyDescriptors'])
/** Calls that read a property named by their second argument (a runtime key on a sensitive object is dynamic access). */
const REFLECTIVE_KEYED = new Set(['Reflect.get', 'Reflect.set', 'Reflect.has', 'Reflect.defineProperty', 'Reflect.getOwnPropertyDescriptor', 'Object.getOwnPropertyDescriptor', 'Object.defineProperty'])
/** A URL scheme in an import specifier: `data:`, `http:`, `blob:`, `file:` (node: is a module name). */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i
/** Prefixes of the synthetic qualified names for property descriptors (never a real name). */
const DESC = '#desc:'
const DESCS = '#descs:'
const PROTO = '#proto'
/** Placeholder of a name whose qualification is being computed (stops cycles such as `x = x.next`). */
const PENDING: string[] = []
const SQL_METHODS = new Set(['query', 'execute', 'raw', 'prepare', '$queryRawUnsafe', '$executeRawUnsafe'])
const SANITIZERS = new Set(['parseInt', 'parseFloat', 'Number', 'Boolean', 'encodeURIComponent', 'encodeURI', 'escape', 'escapeHtml', 'DOMPurify.sanitize', 'validator.escape', 'sqlstring.escape', 'mysql.escape', 'shellescape', 'shell-quote.quote', 'shell-escape', 'he.encode', 'lodash.escape', '_.escape', 'Math.floor', 'Math.round', 'Math.abs', 'isNaN', 'Number.isInteger', 'Number.parseInt', 'Number.parseFloat', 'path.basename'])
const BOOLEAN_METHODS = new Set(['includes', 'startsWith', 'endsWith', 'test', 'has', 'some', 'every', 'indexOf', 'lastIndexOf', 'localeCompare', 'hasOwnProperty'])
const REQUEST_PROPS = new Set(['query', 'body', 'params', 'headers', 'cookies', 'url', 'originalUrl', 'path', 'files', 'file', 'signedCookies'])
const LOCATION_PROPS = new Set(['search', 'hash', 'href', 'pathname'])
/** Calls that make markup safe to insert (their result is not treated as raw HTML). */
const HTML_SANITIZERS = new Set(['DOMPurify.sanitize', 'dompurify.sanitize', 'sanitizeHtml', 'sanitize-html', 'xss', 'xss.filterXSS', 'filterXSS', 'escapeHtml', 'escape-html', 'he.encode', 'he.escape', 'lodash.escape', '_.escape', 'validator.escape'])
const NETWORK_SINKS = new Set(['fetch', 'axios', 'axios.get', 'axios.post', 'axios.request', 'http.get', 'http.request', 'https.get', 'https.request', 'got', 'needle', 'request'])

type JsBinding =
  | { kind: 'import', qual: string }
  | { kind: 'init', expr: JsNode, path: string[], scope: JsScope }
  | { kind: 'unpack', expr: JsNode, scope: JsScope }
  | { kind: 'function', node: JsNode }
  | { kind: 'class', node: JsNode }
  | { kind: 'other' }

class JsScope {
  readonly bindings = new Map<string, JsBinding[]>()
  constructor (readonly id: number, readonly parent: JsScope | null, readonly node: JsNode) {}
}

function isNode (v: unknown): v is JsNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string'
}

const SKIP_KEYS = new Set(['type', 'loc', 'start', 'end', 'range', 'raw', 'regex', 'bigint'])

/** Calls `visit` for each child node, without allocating per node. */
function eachChild (node: JsNode, visit: (key: string, child: JsNode) => void): void {
  for (const key in node) {
    if (SKIP_KEYS.has(key)) continue
    const v = node[key]
    if (typeof v !== 'object' || v === null) continue
    if (Array.isArray(v)) {
      for (const item of v) if (isNode(item)) visit(key, item)
    } else if (isNode(v)) {
      visit(key, v)
    }
  }
}

function children (node: JsNode): Array<[string, JsNode]> {
  const out: Array<[string, JsNode]> = []
  eachChild(node, (key, child) => { out.push([key, child]) })
  return out
}

function isFunction (n: JsNode): boolean {
  return n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression'
}

function unique (xs: string[]): string[] { return xs.length < 2 ? xs : [...new Set(xs)] }

function normaliseModule (name: string): string {
  return name.replace(/^node:/, '').replace(/^fs\/promises$/, 'fs')
}

/** The qualified name of property `prop` read from `q` (`global` stands for the global object). */
function memberQual (q: string, prop: string): string | null {
  if (q === PROTO) return null
  if (q.startsWith(DESC)) return prop === 'value' || prop === 'get' ? q.slice(DESC.length) : null
  if (q.startsWith(DESCS)) {
    const inner = memberQual(q.slice(DESCS.length), prop)
    return inner === null ? null : DESC + inner
  }
  if (q === 'global') return GLOBAL_OBJECTS.has(prop) ? 'global' : prop
  return normaliseQual(`${q}.${prop}`)
}

function normaliseQual (q: string): string {
  return q.replace(/^fs\.promises\./, 'fs.').replace(/\.default$/, '').replace(/\.default\./, '.')
}

class JsAnalysis {
  readonly issues = new IssueList()
  private readonly parents = new Map<JsNode, ParentLink>()
  private readonly scopes = new Map<JsNode, JsScope>()
  private readonly functions: JsNode[] = []
  private readonly module: JsScope
  private nextScope = 0
  private readonly pendingAssignments: Array<{ scope: JsScope, name: string, expr: JsNode }> = []
  private readonly qualifyMemo = new Map<string, string[]>()
  private readonly nodeQualifyMemo = new Map<JsNode, string[]>()
  private readonly functionMemo = new Map<string, boolean>()
  private truncations = 0
  private readonly stringishMemo = new Map<string, boolean>()
  private readonly sanitizedMemo = new Map<string, boolean>()

  constructor (private readonly code: string, private readonly program: JsNode, private readonly lineOf: (offset: number) => number) {
    this.module = new JsScope(this.nextScope++, null, program)
    this.scopes.set(program, this.module)
    this.collect(program, this.module, 0)
    for (const a of this.pendingAssignments) {
      const found = this.lookup(a.name, a.scope)
      const target = found?.scope ?? this.module
      this.bind(target, a.name, { kind: 'init', expr: a.expr, path: [], scope: a.scope })
    }
  }

  private line (n: JsNode): number { return this.lineOf(n.start ?? 0) }
  private text (n: JsNode): string { return this.code.slice(n.start ?? 0, n.end ?? 0) }

  // ---- pass 1: parents, scopes, bindings

  private bind (scope: JsScope, name: string, b: JsBinding): void {
    const list = scope.bindings.get(name)
    if (list === undefined) scope.bindings.set(name, [b])
    else list.push(b)
  }

  private bindPattern (scope: JsScope, pattern: JsNode, init: JsNode | null, path: string[] | null, initScope: JsScope): void {
    switch (pattern.type) {
      case 'Identifier':
        if (init === null) this.bind(scope, pattern.name as string, { kind: 'other' })
        else if (path === null) this.bind(scope, pattern.name as string, { kind: 'unpack', expr: init, scope: initScope })
        else this.bind(scope, pattern.name as string, { kind: 'init', expr: init, path, scope: initScope })
        return
      case 'ObjectPattern':
        for (const p of pattern.properties as JsNode[]) {
          if (p.type === 'RestElement') { this.bindPattern(scope, p.argument as JsNode, init, null, initScope); continue }
          const key = p.key as JsNode
          const name = p.computed === true ? this.fold(key, initScope) : key.type === 'Identifier' ? key.name as string : key.type === 'Literal' ? String(key.value) : null
          this.bindPattern(scope, p.value as JsNode, init, path === null || name === null ? null : [...path, name], initScope)
        }
        return
      case 'ArrayPattern':
        for (const el of pattern.elements as Array<JsNode | null>) if (el !== null) this.bindPattern(scope, el, init, null, initScope)
        return
      case 'AssignmentPattern':
        this.bindPattern(scope, pattern.left as JsNode, init, path, initScope)
        return
      case 'RestElement':
        this.bindPattern(scope, pattern.argument as JsNode, init, null, initScope)
    }
  }

  private collect (node: JsNode, scope: JsScope, depth: number): void {
    if (depth > MAX_JS_DEPTH) throw new TooDeep()
    let inner = scope
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        const id = node.id as JsNode | null
        inner = new JsScope(this.nextScope++, scope, node)
        this.scopes.set(node, inner)
        this.functions.push(node)
        if (id !== null && id !== undefined) this.bind(node.type === 'FunctionDeclaration' ? scope : inner, id.name as string, { kind: 'function', node })
        for (const p of node.params as JsNode[]) this.bindPattern(inner, p, null, null, inner)
        break
      }
      case 'ClassDeclaration': {
        const id = node.id as JsNode | null
        if (id !== null) this.bind(scope, id.name as string, { kind: 'class', node })
        break
      }
      case 'VariableDeclarator':
        this.bindPattern(scope, node.id as JsNode, (node.init as JsNode | null) ?? null, [], scope)
        break
      case 'ImportDeclaration': {
        const mod = normaliseModule(String((node.source as JsNode).value))
        for (const s of node.specifiers as JsNode[]) {
          const local = (s.local as JsNode).name as string
          if (s.type === 'ImportSpecifier') {
            const imported = s.imported as JsNode
            const name = imported.type === 'Identifier' ? imported.name as string : String(imported.value)
            this.bind(scope, local, { kind: 'import', qual: name === 'default' ? mod : `${mod}.${name}` })
          } else {
            this.bind(scope, local, { kind: 'import', qual: mod })
          }
        }
        break
      }
      case 'CatchClause':
        if (isNode(node.param)) this.bindPattern(scope, node.param, null, null, scope)
        break
      case 'AssignmentExpression': {
        const left = node.left as JsNode
        if (node.operator === '=' && left.type === 'Identifier') this.pendingAssignments.push({ scope, name: left.name as string, expr: node.right as JsNode })
        break
      }
      case 'ForOfStatement':
      case 'ForInStatement': {
        const left = node.left as JsNode
        if (left.type === 'VariableDeclaration') {
          for (const d of left.declarations as JsNode[]) this.bindPattern(scope, d.id as JsNode, node.right as JsNode, null, scope)
        }
        break
      }
    }
    const fn = isFunction(node)
    eachChild(node, (key, child) => {
      this.parents.set(child, { node, key })
      this.collect(child, fn && key !== 'id' ? inner : scope, depth + 1)
    })
  }

  private lookup (name: string, scope: JsScope): { scope: JsScope, bindings: JsBinding[] } | null {
    for (let s: JsScope | null = scope; s !== null; s = s.parent) {
      const b = s.bindings.get(name)
      if (b !== undefined) return { scope: s, bindings: b }
    }
    return null
  }

  // ---- names and constants

  private propName (member: JsNode, scope: JsScope): string | null {
    const prop = member.property as JsNode
    if (member.computed === true) return this.fold(prop, scope)
    return prop.type === 'Identifier' ? prop.name as string : null
  }

  /** Every qualified name `node` may denote: `child_process.exec`, `eval`, `fs.rmSync`, `global`. */
  private qualify (node: JsNode, scope: JsScope, depth = 0): string[] {
    if (depth > 24) {
      this.truncations++
      return []
    }
    if (node.type === 'Identifier') return this.qualifyNode(node, scope, depth)
    // Memoised per node when the answer did not hit the depth bound (then it does not depend on
    // the depth it was asked at): rules ask about the same sub-expressions again and again.
    const memo = this.nodeQualifyMemo.get(node)
    if (memo !== undefined) return memo
    const before = this.truncations
    const result = this.qualifyNode(node, scope, depth)
    if (this.truncations === before) this.nodeQualifyMemo.set(node, result)
    return result
  }

  private qualifyNode (node: JsNode, scope: JsScope, depth: number): string[] {
    switch (node.type) {
      case 'Identifier': {
        const name = node.name as string
        const found = this.lookup(name, scope)
        if (found === null) return [GLOBAL_OBJECTS.has(name) ? 'global' : name]
        // Memoised per binding (a name assigned N times would otherwise branch N ways per level);
        // the placeholder stops cycles such as `x = x.next`.
        const key = `${found.scope.id}:${name}`
        const memo = this.qualifyMemo.get(key)
        if (memo === PENDING) this.truncations++ // a cycle: the answer is partial, do not memoise what uses it
        if (memo !== undefined) return memo
        this.qualifyMemo.set(key, PENDING)
        const out: string[] = []
        for (const b of found.bindings) {
          if (b.kind === 'import') out.push(b.qual)
          else if (b.kind === 'init') {
            for (const q of this.qualify(b.expr, b.scope, depth + 1)) out.push(normaliseQual([q, ...b.path].join('.')))
          }
        }
        const result = unique(out.map((q) => q.startsWith('global.') ? q.slice(7) : q))
        this.qualifyMemo.set(key, result)
        return result
      }
      case 'MemberExpression': {
        const prop = this.propName(node, scope)
        if (prop === null) return []
        const obj = node.object as JsNode
        const objQuals = this.qualify(obj, scope, depth + 1)
        const out: string[] = []
        if (prop === 'constructor') {
          // `F.prototype.constructor` is F; the constructor of any function is Function
          // (`Object.constructor`, `Math.max.constructor`, `g.constructor` of a generator)
          if (obj.type === 'MemberExpression' && this.propName(obj, scope) === 'prototype') {
            for (const q of objQuals) if (q.endsWith('.prototype')) out.push(q.slice(0, -'.prototype'.length))
          } else if (this.mayBeFunction(obj, scope, depth + 1, objQuals)) out.push('Function')
        }
        for (const q of objQuals) {
          const m = memberQual(q, prop)
          if (m !== null) out.push(m)
        }
        return unique(out)
      }
      case 'CallExpression': {
        // `f.bind(t, …)` is f with bound arguments
        const direct = node.callee as JsNode
        if (direct.type === 'MemberExpression' && this.propName(direct, scope) === 'bind') return this.qualify(direct.object as JsNode, scope, depth + 1)
        const { quals: cq, args } = this.invocation(node, scope, depth)
        if (cq.some((q) => REQUIRE_NAMES.has(q))) {
          const first = args?.[0]
          const mod = first === undefined ? null : this.fold(first, scope)
          return mod === null ? [] : [normaliseModule(mod)]
        }
        // `const require = createRequire(import.meta.url)` makes an ordinary require.
        if (cq.includes('module.createRequire')) return ['require']
        // the prototype of something: its `.constructor` may be Function (`getPrototypeOf(async function () {})`)
        if (cq.some((q) => q === 'Object.getPrototypeOf' || q === 'Reflect.getPrototypeOf')) return [PROTO]
        const reflective = cq.some((q) => REFLECT_GET.has(q)) ? '' : cq.some((q) => DESCRIPTOR_OF.has(q)) ? DESC : cq.some((q) => DESCRIPTORS_OF.has(q)) ? DESCS : null
        if (reflective !== null && args !== null && args[0] !== undefined) {
          const base = this.qualify(args[0], scope, depth + 1)
          if (reflective === DESCS) return base.map((q) => DESCS + q)
          const key = args[1] === undefined ? null : this.fold(args[1], scope)
          if (key === null) return []
          const out: string[] = []
          for (const q of base) {
            const m = memberQual(q, key)
            if (m !== null) out.push(reflective + m)
          }
          return unique(out)
        }
        return []
      }
      case 'ImportExpression': {
        const mod = this.fold(node.source as JsNode, scope)
        return mod === null ? [] : [normaliseModule(mod)]
      }
      case 'AwaitExpression': return this.qualify(node.argument as JsNode, scope, depth + 1)
      case 'ChainExpression': return this.qualify(node.expression as JsNode, scope, depth + 1)
      case 'SequenceExpression': {
        const exprs = node.expressions as JsNode[]
        return this.qualify(exprs[exprs.length - 1] as JsNode, scope, depth + 1)
      }
      case 'LogicalExpression':
        return unique([...this.qualify(node.left as JsNode, scope, depth + 1), ...this.qualify(node.right as JsNode, scope, depth + 1)])
      case 'ConditionalExpression':
        return unique([...this.qualify(node.consequent as JsNode, scope, depth + 1), ...this.qualify(node.alternate as JsNode, scope, depth + 1)])
      default:
        return []
    }
  }

  /**
   * The function a call really invokes, its qualified names, and the arguments it receives:
   * `f.call(t, a)` and `f.apply(t, [a])` invoke f with (a), `Reflect.apply(f, t, [a])` and
   * `Reflect.construct(F, [a])` too. `args` is null when they are not visible (`f.apply(t, list)`).
   * The names of f come from those of `f.call` (suffix removed), so f is not resolved twice.
   */
  private invocation (node: JsNode, scope: JsScope, depth: number): { callee: JsNode, quals: string[], args: JsNode[] | null } {
    const callee = node.callee as JsNode
    const args = node.arguments as JsNode[]
    const listed = (n: JsNode | undefined): JsNode[] | null => n === undefined ? [] : n.type === 'ArrayExpression' && (n.elements as Array<JsNode | null>).every((e) => e !== null && e.type !== 'SpreadElement') ? n.elements as JsNode[] : null
    const direct = this.qualify(callee, scope, depth + 1)
    if (node.type === 'CallExpression' && callee.type === 'MemberExpression') {
      const method = this.propName(callee, scope)
      if (method === 'call' || method === 'apply') {
        const suffix = `.${method}`
        const quals = direct.filter((q) => q.endsWith(suffix)).map((q) => q.slice(0, -suffix.length))
        return { callee: callee.object as JsNode, quals, args: method === 'call' ? args.slice(1) : listed(args[1]) }
      }
    }
    const first = args[0]
    if (first !== undefined && first.type !== 'SpreadElement') {
      if (direct.includes('Reflect.apply')) return { callee: first, quals: this.qualify(first, scope, depth + 1), args: listed(args[2]) }
      if (direct.includes('Reflect.construct')) return { callee: first, quals: this.qualify(first, scope, depth + 1), args: listed(args[1]) }
    }
    return { callee, quals: direct, args }
  }

  /**
   * Whether `node` may evaluate to a function, so that its `.constructor` is Function (or the
   * async / generator flavour): function and class literals, names bound to them, globals and
   * imports (`Object`), any property (`Math.max`, `''.sub`, `x.__proto__`), `getPrototypeOf(…)`,
   * bound functions. Literals, `this`, `new Point()` and parameters are taken for instances.
   */
  private mayBeFunction (node: JsNode, scope: JsScope, depth: number, quals?: string[]): boolean {
    if (depth > 24) return false
    switch (node.type) {
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassExpression':
      case 'ImportExpression':
        return true
      case 'Identifier': {
        const found = this.lookup(node.name as string, scope)
        if (found === null) return true // a global: Object, Math, Array, …
        const key = `${found.scope.id}:${node.name as string}`
        const memo = this.functionMemo.get(key)
        if (memo !== undefined) return memo
        this.functionMemo.set(key, false) // cycles (`x = x.next`) end here
        const result = found.bindings.some((b) => b.kind === 'function' || b.kind === 'class' || b.kind === 'import' ||
          (b.kind === 'init' && (b.path.length > 0 || this.mayBeFunction(b.expr, b.scope, depth + 1))))
        this.functionMemo.set(key, result)
        return result
      }
      case 'MemberExpression':
        // any property may hold a method (`''.sub`, `obj.handler`, `Math.max`, `x.__proto__`)
        return true
      case 'CallExpression': {
        // a bound function, a prototype (PROTO), a required module
        const callee = node.callee as JsNode
        if (callee.type === 'MemberExpression' && this.propName(callee, scope) === 'bind') return true
        return (quals ?? this.qualify(node, scope, depth + 1)).length > 0
      }
      case 'AwaitExpression': return this.mayBeFunction(node.argument as JsNode, scope, depth + 1)
      case 'ChainExpression': return this.mayBeFunction(node.expression as JsNode, scope, depth + 1)
      case 'LogicalExpression':
      case 'ConditionalExpression':
        return ['left', 'right', 'consequent', 'alternate'].some((k) => isNode(node[k]) && this.mayBeFunction(node[k], scope, depth + 1))
      case 'SequenceExpression': {
        const exprs = node.expressions as JsNode[]
        return this.mayBeFunction(exprs[exprs.length - 1] as JsNode, scope, depth + 1)
      }
      default:
        return false
    }
  }

  /** Constant folding of string expressions. */
  private fold (node: JsNode, scope: JsScope, depth = 0): string | null {
    if (depth > 24) return null
    switch (node.type) {
      case 'Literal':
        return typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean' ? String(node.value) : null
      case 'TemplateLiteral': {
        const quasis = node.quasis as JsNode[]
        const exprs = node.expressions as JsNode[]
        let out = ''
        for (let i = 0; i < quasis.length; i++) {
          const cooked = ((quasis[i] as JsNode).value as { cooked: string | null }).cooked
          if (cooked === null) return null
          out += cooked
          if (i < exprs.length) {
            const v = this.fold(exprs[i] as JsNode, scope, depth + 1)
            if (v === null) return null
            out += v
          }
        }
        return out
      }
      case 'BinaryExpression': {
        if (node.operator !== '+') return null
        const a = this.fold(node.left as JsNode, scope, depth + 1)
        const b = a === null ? null : this.fold(node.right as JsNode, scope, depth + 1)
        return a === null || b === null ? null : a + b
      }
      case 'Identifier': {
        const found = this.lookup(node.name as string, scope)
        if (found === null || found.bindings.length !== 1) return null
        const b = found.bindings[0] as JsBinding
        return b.kind === 'init' && b.path.length === 0 ? this.fold(b.expr, b.scope, depth + 1) : null
      }
      case 'CallExpression': {
        const callee = node.callee as JsNode
        const args = node.arguments as JsNode[]
        if (callee.type === 'MemberExpression' && callee.computed !== true) {
          const method = (callee.property as JsNode).name as string
          const obj = callee.object as JsNode
          if (method === 'join' && obj.type === 'ArrayExpression') {
            const sep = args[0] === undefined ? ',' : this.fold(args[0], scope, depth + 1)
            const parts = (obj.elements as Array<JsNode | null>).map((e) => e === null ? null : this.fold(e, scope, depth + 1))
            return sep === null || parts.some((p) => p === null) ? null : parts.join(sep)
          }
          if (method === 'fromCharCode' && obj.type === 'Identifier' && obj.name === 'String') {
            const codes = args.map((a) => a.type === 'Literal' && typeof a.value === 'number' ? a.value : NaN)
            return codes.some((c) => !Number.isInteger(c) || c < 0 || c > 0xffff) ? null : String.fromCharCode(...codes)
          }
          if (method === 'concat') {
            const base = this.fold(obj, scope, depth + 1)
            const parts = args.map((a) => this.fold(a, scope, depth + 1))
            return base === null || parts.some((p) => p === null) ? null : base + parts.join('')
          }
          if ((method === 'toLowerCase' || method === 'toUpperCase' || method === 'trim') && args.length === 0) {
            const base = this.fold(obj, scope, depth + 1)
            return base === null ? null : method === 'trim' ? base.trim() : method === 'toLowerCase' ? base.toLowerCase() : base.toUpperCase()
          }
        }
        if (callee.type === 'Identifier' && callee.name === 'atob' && args.length === 1) {
          const s = this.fold(args[0] as JsNode, scope, depth + 1)
          return s === null || !/^[A-Za-z0-9+/=]*$/.test(s) ? null : Buffer.from(s, 'base64').toString('latin1')
        }
        if (callee.type === 'Identifier' && callee.name === 'String' && args.length === 1) return this.fold(args[0] as JsNode, scope, depth + 1)
        return null
      }
      default:
        return null
    }
  }

  private isPlainString (node: JsNode | undefined): boolean {
    if (node === undefined) return false
    if (node.type === 'Literal') return typeof node.value === 'string'
    return node.type === 'TemplateLiteral' && (node.expressions as JsNode[]).length === 0
  }

  /** A value that is (or may be) a string of code: literals, templates, concatenations, string variables. */
  private isStringish (node: JsNode, scope: JsScope, depth = 0): boolean {
    if (depth > 24) return false
    switch (node.type) {
      case 'Literal': return typeof node.value === 'string'
      case 'TemplateLiteral': return true
      case 'BinaryExpression': return node.operator === '+' && (this.isStringish(node.left as JsNode, scope, depth + 1) || this.isStringish(node.right as JsNode, scope, depth + 1))
      case 'Identifier': {
        const found = this.lookup(node.name as string, scope)
        if (found === null) return false
        const key = `${found.scope.id}:${node.name as string}`
        const memo = this.stringishMemo.get(key)
        if (memo !== undefined) return memo
        this.stringishMemo.set(key, false)
        const result = found.bindings.some((b) => b.kind === 'init' && b.path.length === 0 && this.isStringish(b.expr, b.scope, depth + 1))
        this.stringishMemo.set(key, result)
        return result
      }
      case 'CallExpression': {
        const callee = node.callee as JsNode
        if (callee.type === 'Identifier' && (callee.name === 'String' || callee.name === 'atob')) return true
        return callee.type === 'MemberExpression' && callee.computed !== true && ['toString', 'join', 'concat', 'replace', 'slice', 'substring', 'trim'].includes((callee.property as JsNode).name as string)
      }
      default: return false
    }
  }

  /** A string built at runtime (concatenation or template with substitutions). */
  private isBuilt (node: JsNode | undefined): boolean {
    if (node === undefined) return false
    if (node.type === 'TemplateLiteral') return (node.expressions as JsNode[]).length > 0
    if (node.type === 'BinaryExpression') return node.operator === '+' && !(this.isPlainString(node.left as JsNode) && this.isPlainString(node.right as JsNode))
    return false
  }

  private commandText (node: JsNode | undefined, scope: JsScope): string {
    if (node === undefined) return ''
    if (node.type === 'ArrayExpression') return (node.elements as Array<JsNode | null>).map((e) => e === null ? '' : this.commandText(e, scope)).join(' ')
    if (node.type === 'BinaryExpression' && node.operator === '+') return this.commandText(node.left as JsNode, scope) + this.commandText(node.right as JsNode, scope)
    if (node.type === 'TemplateLiteral') {
      const quasis = node.quasis as JsNode[]
      return quasis.map((q) => ((q.value as { cooked: string | null }).cooked ?? '')).join('?')
    }
    return this.fold(node, scope) ?? '?'
  }

  // ---- pass 2: rules

  rules (): void {
    this.walk(this.program, this.module, 0)
  }

  private walk (node: JsNode, scope: JsScope, depth: number): void {
    if (depth > MAX_JS_DEPTH) throw new TooDeep()
    switch (node.type) {
      case 'Identifier': this.checkIdentifier(node, scope); break
      case 'MemberExpression': this.checkMember(node, scope); break
      case 'CallExpression':
      case 'NewExpression': this.checkCall(node, scope); break
      case 'ImportExpression': this.checkDynamicImport(node, scope); break
      case 'TaggedTemplateExpression': {
        // zx's $`cmd`, a tagged template is a call of its tag
        for (const q of this.qualify(node.tag as JsNode, scope)) this.checkCapability(q, node, [], scope, this.line(node))
        break
      }
      case 'ImportDeclaration':
      case 'ExportNamedDeclaration':
      case 'ExportAllDeclaration': this.checkStaticImport(node); break
      case 'AssignmentExpression': this.checkAssignment(node, scope); break
      case 'VariableDeclarator': this.checkDeclarator(node); break
      case 'Property': this.checkProperty(node, scope); break
      case 'Literal':
        if (typeof node.value === 'string') this.checkShape(node.value, node)
        break
      case 'TemplateElement': this.checkShape(String((node.value as { raw: string }).raw), node); break
      case 'JSXText': this.checkShape(String(node.value), node); break
      case 'JSXAttribute': this.checkJsxAttribute(node, scope); break
      case 'BinaryExpression': this.checkComparison(node); break
      case 'DebuggerStatement': this.issues.use('debug', 'debugger statement stops in an attached debugger', this.line(node)); break
    }
    const inner = this.scopes.get(node) ?? scope
    const fn = isFunction(node)
    eachChild(node, (key, child) => {
      if (this.isBindingSlot(node, key)) this.walkPattern(child, inner, depth + 1)
      else this.walk(child, fn ? inner : scope, depth + 1)
    })
  }

  /** Children that declare names (ids, params, import specifiers) rather than read them. */
  private isBindingSlot (node: JsNode, key: string): boolean {
    if (isFunction(node)) return key === 'id' || key === 'params'
    switch (node.type) {
      case 'VariableDeclarator': return key === 'id'
      case 'ClassDeclaration':
      case 'ClassExpression': return key === 'id'
      case 'CatchClause': return key === 'param'
      case 'ImportSpecifier':
      case 'ImportDefaultSpecifier':
      case 'ImportNamespaceSpecifier':
      case 'ExportSpecifier': return true
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement': return key === 'label'
      case 'MetaProperty': return true
      default: return false
    }
  }

  /** Walks a binding pattern: only default values and computed keys are expressions. */
  private walkPattern (node: JsNode, scope: JsScope, depth: number): void {
    if (depth > MAX_JS_DEPTH) throw new TooDeep()
    switch (node.type) {
      case 'AssignmentPattern':
        this.walkPattern(node.left as JsNode, scope, depth + 1)
        this.walk(node.right as JsNode, scope, depth + 1)
        return
      case 'ObjectPattern':
        for (const p of node.properties as JsNode[]) {
          if (p.type === 'RestElement') this.walkPattern(p.argument as JsNode, scope, depth + 1)
          else {
            if (p.computed === true) this.walk(p.key as JsNode, scope, depth + 1)
            this.walkPattern(p.value as JsNode, scope, depth + 1)
          }
        }
        return
      case 'ArrayPattern':
        for (const el of node.elements as Array<JsNode | null>) if (el !== null) this.walkPattern(el, scope, depth + 1)
        return
      case 'RestElement':
        this.walkPattern(node.argument as JsNode, scope, depth + 1)
        return
      case 'Identifier':
      case 'ImportSpecifier':
      case 'ImportDefaultSpecifier':
      case 'ImportNamespaceSpecifier':
      case 'ExportSpecifier':
        return
      default:
        // Member expressions as assignment targets in for-of heads and the like.
        this.walk(node, scope, depth + 1)
    }
  }

  private isCallee (node: JsNode): boolean {
    const link = this.parents.get(node)
    return link !== undefined && (link.node.type === 'CallExpression' || link.node.type === 'NewExpression') && link.key === 'callee'
  }

  /** Reports eval / Function references (calls, aliases, callbacks) reached by `node`. */
  private checkCodeConstructors (node: JsNode, quals: string[], scope: JsScope): void {
    const link = this.parents.get(node)
    const line = this.line(node)
    // `typeof eval`, `x === Function`, `f instanceof Function`: inspected, never invoked.
    if (link?.node.type === 'UnaryExpression' && link.node.operator === 'typeof') return
    if (link?.node.type === 'BinaryExpression' && ['==', '===', '!=', '!==', 'instanceof'].includes(link.node.operator as string)) return
    if (link?.node.type === 'AssignmentExpression' && link.key === 'left') return // written, not read
    if (quals.includes('eval')) {
      this.issues.critical(T.dangerousFunction, this.isCallee(node) ? 'eval() runs dynamically supplied code' : 'Reference to eval outside a call (an alias or callback can run it)', line)
    }
    if (quals.includes('Function')) {
      if (link === undefined) return
      // `Function()` / `new obj.constructor()` without arguments builds an empty function
      if (this.isCallee(node) && (link.node.arguments as JsNode[]).length === 0) return
      // Function.prototype.*, Function.name: reading a property does not run it; Function.call /
      // apply / bind (and a key that is not known) do
      if (link.node.type === 'MemberExpression' && link.key === 'object') {
        const prop = this.propName(link.node, scope)
        if (prop !== null && !INVOKERS.has(prop)) return
      }
      this.issues.critical(T.dangerousFunction, this.isCallee(node) ? 'The Function constructor builds code from strings' : 'Reference to the Function constructor outside a call', line)
    }
  }

  private checkIdentifier (node: JsNode, scope: JsScope): void {
    const link = this.parents.get(node)
    if (link === undefined) return
    const p = link.node
    if (p.type === 'MemberExpression' && link.key === 'property' && p.computed !== true) return
    if ((p.type === 'Property' || p.type === 'MethodDefinition' || p.type === 'PropertyDefinition' || p.type === 'AccessorProperty') && link.key === 'key' && p.computed !== true) return
    if (p.type === 'AssignmentExpression' && link.key === 'left') return
    const quals = this.qualify(node, scope)
    this.checkCodeConstructors(node, quals, scope)
    this.checkEscape(node, quals, scope)
  }

  private checkMember (node: JsNode, scope: JsScope): void {
    const line = this.line(node)
    const quals = this.qualify(node, scope)
    this.checkCodeConstructors(node, quals, scope)
    this.checkEscape(node, quals, scope)
    for (const q of quals) {
      if (PROCESS_NATIVE.has(q)) this.issues.critical(T.commandExecution, `${q} reaches native process internals`, line)
      if (q === 'process.env') this.issues.use('env', 'reads the process environment', line)
    }
    const prop = this.propName(node, scope)
    const obj = node.object as JsNode
    if (node.computed === true && prop === null && !this.isSymbolKey(node.property as JsNode, scope)) {
      const objQuals = this.qualify(obj, scope)
      if (objQuals.some((q) => SENSITIVE_ROOTS.has(q))) {
        this.issues.critical(T.dynamicAccess, `Computed access with a runtime key on ${objQuals[0] as string}`, line)
      } else if (['ArrayExpression', 'ObjectExpression', 'Literal', 'TemplateLiteral', 'FunctionExpression', 'ArrowFunctionExpression'].includes(obj.type)) {
        this.issues.critical(T.dynamicAccess, 'Computed access with a runtime key on a literal (obfuscated property lookup)', line)
      }
    }
    if (prop === 'constructor') {
      const objProp = obj.type === 'MemberExpression' ? this.propName(obj, scope) : null
      const onLiteral = ['ArrayExpression', 'ObjectExpression', 'Literal', 'TemplateLiteral', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassExpression'].includes(obj.type)
      const onPrototypeOf = obj.type === 'CallExpression' && this.qualify(obj.callee as JsNode, scope).includes('Object.getPrototypeOf')
      const onFunction = this.qualify(obj, scope).some((q) => q === 'Function' || q === 'Function.prototype')
      // Whatever the object, a `.constructor` invoked with arguments may be Function: a function
      // value hides behind any name (`f.call(Math.max)` makes `this` a function). Only a
      // `new this.constructor(…)` clone with arguments that are not strings is left alone, and a
      // call without arguments (Function() builds an empty function).
      const link = this.parents.get(node)
      const tagged = link?.node.type === 'TaggedTemplateExpression' && link.key === 'tag'
      const args = this.isCallee(node) ? (link?.node.arguments as JsNode[]) : []
      const cloneOfThis = obj.type === 'ThisExpression' && link?.node.type === 'NewExpression' && args.every((a) => !this.isStringish(a, scope))
      const invoked = tagged || (args.length > 0 && !cloneOfThis)
      if (objProp === 'constructor' || (onLiteral && this.isCallee(node)) || onPrototypeOf || onFunction || invoked) {
        this.issues.critical(T.dangerousFunction, 'constructor chain reaches the Function constructor', line)
      }
    }
  }

  private checkCall (node: JsNode, scope: JsScope): void {
    const callee = node.callee as JsNode
    const line = this.line(node)
    if (node.type === 'CallExpression') {
      // the value a call returns: `Reflect.get(globalThis, 'eval')`, `Function.bind(…)`, a descriptor's eval
      const own = this.qualify(node, scope)
      this.checkCodeConstructors(node, own, scope)
      this.checkEscape(node, own, scope)
    }
    this.checkReflectiveKey(node, scope)
    // `f.call(t, a)`, `f.apply(t, [a])`, `Reflect.apply(f, t, [a])` are calls of f with (a)
    const inv = this.invocation(node, scope, 0)
    const args = inv.args ?? []
    const quals = inv.quals
    for (const q of quals) {
      if (q === 'setTimeout' || q === 'setInterval' || q === 'setImmediate' || q === 'execScript') {
        const first = args[0]
        if (q === 'execScript' || inv.args === null || (first !== undefined && this.isStringish(first, scope))) {
          this.issues.critical(T.dangerousFunction, `${q}() with a string argument evaluates it as code`, line)
        }
      } else if (q.startsWith('child_process.')) {
        this.checkChildProcess(q, args, scope, line)
      } else if (q === 'worker_threads.Worker' && args.some((a) => a.type === 'ObjectExpression' && (a.properties as JsNode[]).some((p) => p.type === 'Property' && this.propKey(p, scope) === 'eval' && !this.isFalsyLiteral(p.value as JsNode)))) {
        this.issues.critical(T.dangerousFunction, 'new Worker() with eval: true runs a string as code', line)
      } else if (q.startsWith('vm.') && VM_RUN.has(q.slice(3))) {
        this.issues.critical(T.dangerousFunction, `${q}() compiles and runs code`, line)
      } else if (q === 'document.write' || q === 'document.writeln') {
        if (args.every((a) => this.isPlainString(a) || this.isSanitizedHtml(a, scope))) this.issues.warning(T.xss, `${q}() with static markup`, line)
        else this.issues.critical(T.xss, `${q}() writes non-literal markup into the page`, line)
      } else if (REQUIRE_NAMES.has(q) && node.type === 'CallExpression') {
        const first = args[0]
        if (first !== undefined && this.isLocalPath(first, scope)) this.issues.warning(T.dynamicImport, 'require() of a file path built from __dirname', line)
        else if (first === undefined || !this.isPlainString(first)) this.issues.critical(T.dynamicImport, 'require() of a module name built at runtime', line)
      } else if (q === 'crypto.createHash' || q === 'createHash') {
        const alg = args[0] === undefined ? null : this.fold(args[0], scope)
        if (alg !== null && /^(md5|sha1|md4)$/i.test(alg) && this.inPasswordContext(node)) {
          this.issues.critical(T.weakCrypto, `createHash('${alg.toLowerCase()}') used to hash a password`, line)
        }
      } else if (q === 'Math.random') {
        if (this.receivingNames(node).some(isTokenName)) this.issues.critical(T.weakRandom, 'Math.random() (not cryptographically secure) used for a secret value; use crypto.randomBytes/randomUUID', line)
      }
    }
    for (const q of quals) {
      this.checkCapability(q, node, args, scope, line)
      if (PROTOTYPE_WRITERS.has(q) && args[0] !== undefined && this.isSharedPrototype(args[0], scope)) {
        this.issues.critical(T.prototypePollution, `${q}() on a built-in prototype`, line)
      }
      if (DEEP_MERGERS.has(q) && args.slice(1).some((a) => this.untrustedData(a, scope, 0))) {
        this.issues.critical(T.prototypePollution, `${q}() merges request or parsed data deeply (a __proto__ key pollutes every object)`, line)
      }
    }
    if (callee.type === 'MemberExpression') {
      const method = this.propName(callee, scope)
      this.checkMarkupMethod(node, method, args, scope, line)
      if (method === 'insertAdjacentHTML' && args[1] !== undefined && !this.isPlainString(args[1]) && !this.isSanitizedHtml(args[1], scope)) {
        this.issues.critical(T.xss, 'insertAdjacentHTML() with non-literal markup', line)
      } else if (method !== null && SQL_METHODS.has(method) && !quals.some((q) => q.startsWith('child_process.')) && this.isBuilt(args[0])) {
        this.issues.warning(T.sqlInjection, `.${method}() receives SQL text built from data; use query parameters`, line)
      }
    }
  }

  /**
   * The capability a resolved callee uses (capability-names.ts). File operations are classed by
   * their path; a network call that carries environment values, cookies or a secret file is
   * exfiltration, whatever the policy says about `net`.
   */
  private checkCapability (q: string, node: JsNode, args: JsNode[], scope: JsScope, line: number): void {
    const keyAt = Object.hasOwn(KEY_ARGUMENTS, q) ? KEY_ARGUMENTS[q] as number : -1
    const key = keyAt < 0 ? undefined : args[keyAt]
    if (key !== undefined && this.isPlainString(key) && classifySecretValue(this.fold(key, scope) ?? '') === 'secret') {
      this.issues.critical(T.hardcodedSecret, `${q}() with a hard-coded key`, line)
    }
    const cap = jsCapabilityOf(q)
    if (cap === null) return
    if (cap.capability.startsWith('fs.')) {
      const target = cap.pathArg === undefined ? this.optionPath(args[0], scope) : args[cap.pathArg]
      const reach = pathReach(this.pathText(target, scope))
      if (cap.capability === 'fs.delete' && (ALWAYS_RECURSIVE.test(q) || args.some((a) => this.hasTrueOption(a, 'recursive', scope)))) {
        this.issues.add('CRITICAL', T.recursiveDeletion, `${q}() deletes a directory tree`, line, 'fs.delete', reach)
      } else {
        this.issues.use(cap.capability, `${q}() ${reach === 'system' ? 'on a system or secret path' : 'on a file'}`, line, reach)
      }
      return
    }
    this.issues.use(cap.capability, `${q}() uses ${cap.capability}`, line)
    if (cap.capability === 'net') {
      const source = args.map((a) => this.secretSource(a, scope, 0)).find((x) => x !== null)
      if (source !== undefined && source !== null) this.issues.critical(T.exfiltration, `${q}() sends ${source} to the network`, line)
    }
  }

  /** The path an options object names (`tar.x({ cwd: '/' })`). */
  private optionPath (node: JsNode | undefined, scope: JsScope): JsNode | undefined {
    if (node?.type !== 'ObjectExpression') return node
    const p = (node.properties as JsNode[]).find((x) => x.type === 'Property' && ['cwd', 'C', 'dest', 'path', 'dir', 'directory'].includes(this.propKey(x, scope) ?? ''))
    return p === undefined ? undefined : p.value as JsNode
  }

  /** An options object (literal, variable or spread) that sets `name` to something not falsy. */
  private hasTrueOption (node: JsNode, name: string, scope: JsScope, depth = 0): boolean {
    if (depth > 6) return false
    if (node.type === 'Identifier') {
      const found = this.lookup(node.name as string, scope)
      return found !== null && found.bindings.some((b) => b.kind === 'init' && b.path.length === 0 && this.hasTrueOption(b.expr, name, b.scope, depth + 1))
    }
    if (node.type !== 'ObjectExpression') return false
    return (node.properties as JsNode[]).some((p) =>
      (p.type === 'SpreadElement' && this.hasTrueOption(p.argument as JsNode, name, scope, depth + 1)) ||
      (p.type === 'Property' && this.propKey(p, scope) === name && !this.isFalsyLiteral(p.value as JsNode)))
  }

  /**
   * The literal text of a path, or of its literal start (`/etc/${x}` → `/etc/`); `$tmp/` for the
   * system temp dir, `~/` for the home directory; null when nothing of it is known.
   */
  private pathText (node: JsNode | undefined, scope: JsScope, depth = 0): string | null {
    if (node === undefined || depth > 8) return null
    const folded = this.fold(node, scope)
    if (folded !== null) return folded
    switch (node.type) {
      case 'TemplateLiteral': {
        // every literal part counts; an unknown substitution is `*` (`${home}/.ssh/x` is a secret path)
        const quasis = node.quasis as JsNode[]
        const exprs = node.expressions as JsNode[]
        let out = ''
        for (let i = 0; i < quasis.length; i++) {
          out += ((quasis[i] as JsNode).value as { cooked: string | null }).cooked ?? ''
          const e = exprs[i]
          if (e !== undefined) out += this.pathText(e, scope, depth + 1) ?? (i === 0 && out === '' ? '' : '*')
        }
        return out === '' ? null : out
      }
      case 'BinaryExpression': {
        if (node.operator !== '+') return null
        const left = this.pathText(node.left as JsNode, scope, depth + 1)
        if (left === null) return null
        return left + (this.pathText(node.right as JsNode, scope, depth + 1) ?? '*')
      }
      case 'MemberExpression': {
        const q = this.qualify(node, scope)
        return q.some((x) => x === 'process.env.HOME' || x === 'process.env.USERPROFILE') ? '~/' : null
      }
      case 'Identifier': {
        const found = this.lookup(node.name as string, scope)
        if (found === null || found.bindings.length !== 1) return null
        const b = found.bindings[0] as JsBinding
        return b.kind === 'init' && b.path.length === 0 ? this.pathText(b.expr, b.scope, depth + 1) : null
      }
      case 'CallExpression': {
        const quals = this.qualify(node.callee as JsNode, scope)
        if (quals.includes('os.tmpdir')) return '$tmp/'
        if (quals.some((q) => q === 'fs.mkdtempSync' || q === 'fs.mkdtemp')) return this.pathText((node.arguments as JsNode[])[0], scope, depth + 1)
        if (quals.includes('os.homedir')) return '~/'
        if (quals.some((q) => q === 'path.join' || q === 'path.resolve' || q === 'path.posix.join')) {
          const parts = (node.arguments as JsNode[]).map((a) => this.pathText(a, scope, depth + 1))
          if (parts[0] === null || parts[0] === undefined) return null
          // the literal parts that follow count too: join(homedir(), '.ssh', 'authorized_keys')
          return parts.map((p) => p ?? '*').join('/').replaceAll('//', '/')
        }
        return null
      }
      default:
        return null
    }
  }

  /**
   * What secret `node` carries, if any: environment values, cookies, browser storage, a file read
   * from a system or secret path; followed through variables (bounded).
   */
  private secretSource (node: JsNode, scope: JsScope, depth: number, inHeaders = false): string | null {
    if (depth > 6) return null
    let found: string | null = null
    let budget = 2000
    const visit = (n: JsNode, headers: boolean): void => {
      if (found !== null || budget-- <= 0) return
      // in `headers: {…}` one named variable (an API key, a bearer token) authenticates the
      // request; the whole environment, cookies or a secret file are still exfiltration
      if (n.type === 'Property' && this.propKey(n, scope) === 'headers') { visit(n.value as JsNode, true); return }
      if (headers && n.type === 'MemberExpression' && this.qualify(n.object as JsNode, scope).includes('process.env')) return
      if (n.type === 'MemberExpression' || n.type === 'Identifier') {
        for (const q of this.qualify(n, scope)) {
          if (q === 'process.env' || (!headers && q.startsWith('process.env.'))) { found = 'environment values'; return }
          if (headers && q.startsWith('process.env.')) return
          if (SECRET_SOURCES.has(q) || SECRET_SOURCES.has(q.split('.')[0] as string)) { found = 'cookies or browser storage'; return }
        }
        const prop = n.type === 'MemberExpression' ? this.propName(n, scope) : null
        if (prop === 'cookies' || prop === 'cookie' || prop === 'signedCookies') { found = 'cookies'; return }
        if (n.type === 'Identifier') {
          const b = this.lookup(n.name as string, scope)
          for (const binding of b?.bindings ?? []) {
            if ((binding.kind === 'init' || binding.kind === 'unpack') && found === null) found = this.secretSource(binding.expr, binding.scope, depth + 1, headers)
          }
          return
        }
      }
      if (n.type === 'CallExpression') {
        const q = this.qualify(n.callee as JsNode, scope)
        const cap = q.map(jsCapabilityOf).find((c) => c?.capability === 'fs.read')
        if (cap !== undefined && pathReach(this.pathText((n.arguments as JsNode[])[0], scope)) === 'system') { found = 'a secret or system file'; return }
      }
      if (isFunction(n)) return
      eachChild(n, (_key, child) => visit(child, headers))
    }
    visit(node, inHeaders)
    return found
  }

  /** HTML sinks reached by method name, whatever the receiver (`range.createContextualFragment`, `doc.write`). */
  private checkMarkupMethod (node: JsNode, method: string | null, args: JsNode[], scope: JsScope, line: number): void {
    if (method === null) return
    const callee = node.callee as JsNode
    const markup = method === 'insertAdjacentHTML' ? args[1] : args[0]
    const safeMarkup = markup === undefined || this.isPlainString(markup) || this.isSanitizedHtml(markup, scope)
    if (JQUERY_HTML.has(method) && callee.type === 'MemberExpression' && markup !== undefined && !safeMarkup && (method === 'html' || this.isStringish(markup, scope)) && this.isJQuery(callee.object as JsNode, scope)) {
      this.issues.critical(T.xss, `jQuery .${method}() parses non-literal markup into the page`, line)
    } else if (NODE_INSERTERS.has(method) && args.some((a) => this.fromParsedMarkup(a, scope, 0))) {
      this.issues.critical(T.xss, `.${method}() inserts nodes parsed from non-literal markup (their handlers run)`, line)
    } else if (HTML_METHODS.has(method) && method !== 'insertAdjacentHTML' && !safeMarkup) {
      this.issues.critical(T.xss, `${method}() parses non-literal markup into the page`, line)
    } else if ((method === 'write' || method === 'writeln') && !safeMarkup) {
      const receiver = callee.object as JsNode
      const named = this.qualify(receiver, scope).some((q) => q === 'document' || q.endsWith('.document')) ||
        (receiver.type === 'MemberExpression' && ['document', 'contentDocument', 'ownerDocument'].includes(this.propName(receiver, scope) ?? '')) ||
        (receiver.type === 'Identifier' && /doc/i.test(receiver.name as string))
      if (named) this.issues.critical(T.xss, `${method}() writes non-literal markup into a document`, line)
    } else if (method === 'setAttribute' && args[0] !== undefined) {
      const name = (this.fold(args[0], scope) ?? '').toLowerCase()
      const value = args[1]
      if (name.startsWith('on')) this.issues.critical(T.xss, `setAttribute('${name}') installs an event handler from a string`, line)
      else if (name === 'srcdoc' && !(value !== undefined && this.isPlainString(value))) this.issues.critical(T.xss, 'setAttribute(\'srcdoc\') with non-literal markup', line)
      else if (URL_PROPS.has(name) && value !== undefined && this.isScriptUrl(value, scope)) this.issues.critical(T.xss, `setAttribute('${name}') with a javascript: URL`, line)
    }
  }

  /** `Object.prototype`, `Array.prototype`, `x.__proto__`, `({}).constructor.prototype`: an object every instance shares. */
  private isSharedPrototype (node: JsNode, scope: JsScope): boolean {
    if (node.type !== 'MemberExpression') return false
    const prop = this.propName(node, scope)
    if (prop === '__proto__') return true
    if (prop !== 'prototype') return false
    const obj = node.object as JsNode
    return this.qualify(obj, scope).some((q) => /^(Object|Array|Function|String|Number|Boolean|Promise|RegExp|Map|Set)$/.test(q)) ||
      (obj.type === 'MemberExpression' && this.propName(obj, scope) === 'constructor')
  }

  /** Data from a request or a parse of text: `req.body`, `JSON.parse(text)`, `ctx.request.query`; through variables. */
  private untrustedData (node: JsNode, scope: JsScope, depth: number): boolean {
    if (depth > 6) return false
    let hit = false
    let budget = 500
    const visit = (n: JsNode): void => {
      if (hit || budget-- <= 0) return
      if (n.type === 'MemberExpression') {
        const prop = this.propName(n, scope)
        const obj = n.object as JsNode
        const objName = obj.type === 'Identifier' ? obj.name as string : obj.type === 'MemberExpression' ? this.propName(obj, scope) : null
        if (prop !== null && REQUEST_PROPS.has(prop) && objName !== null && /^(req|request|ctx)$/.test(objName)) { hit = true; return }
      }
      if (n.type === 'CallExpression' && this.qualify(n.callee as JsNode, scope).includes('JSON.parse')) {
        const a = (n.arguments as JsNode[])[0]
        if (a !== undefined && !this.isPlainString(a)) { hit = true; return }
      }
      if (n.type === 'Identifier') {
        const b = this.lookup(n.name as string, scope)
        if (b?.bindings.some((x) => (x.kind === 'init' || x.kind === 'unpack') && this.untrustedData(x.expr, x.scope, depth + 1)) === true) hit = true
        return
      }
      if (isFunction(n)) return
      eachChild(n, (_k, c) => visit(c))
    }
    visit(node)
    return hit
  }

  /** Nodes parsed from markup (`new DOMParser().parseFromString(html, 'text/html')`), through variables. */
  private fromParsedMarkup (node: JsNode, scope: JsScope, depth: number): boolean {
    if (depth > 6) return false
    let hit = false
    let budget = 500
    const visit = (n: JsNode): void => {
      if (hit || budget-- <= 0) return
      if (n.type === 'CallExpression') {
        const callee = n.callee as JsNode
        const a = (n.arguments as JsNode[])[0]
        if (callee.type === 'MemberExpression' && this.propName(callee, scope) === 'parseFromString' && a !== undefined && !this.isPlainString(a) && !this.isSanitizedHtml(a, scope)) { hit = true; return }
      }
      if (n.type === 'Identifier') {
        const b = this.lookup(n.name as string, scope)
        if (b?.bindings.some((x) => (x.kind === 'init' || x.kind === 'unpack') && this.fromParsedMarkup(x.expr, x.scope, depth + 1)) === true) hit = true
        return
      }
      if (isFunction(n)) return
      eachChild(n, (_k, c) => visit(c))
    }
    visit(node)
    return hit
  }

  /** A call chain that starts at jQuery: `$('#x')`, `jQuery(el).find('p')`. */
  private isJQuery (node: JsNode, scope: JsScope): boolean {
    let cur = node
    for (let i = 0; i < 16; i++) {
      if (cur.type === 'CallExpression') {
        const callee = cur.callee as JsNode
        if (callee.type === 'Identifier' && (callee.name === '$' || callee.name === 'jQuery')) return true
        if (this.qualify(callee, scope).some((q) => q === 'jquery' || q === 'jQuery')) return true
        if (callee.type !== 'MemberExpression') return false
        cur = callee.object as JsNode
      } else if (cur.type === 'MemberExpression') {
        cur = cur.object as JsNode
      } else {
        return false
      }
    }
    return false
  }

  /** A URL that runs script: a `javascript:` literal (or literal start), or a location read from the address bar. */
  private isScriptUrl (node: JsNode, scope: JsScope): boolean {
    const text = (this.pathText(node, scope) ?? '').trim().toLowerCase()
    return text.startsWith('javascript:') || text.startsWith('data:text/html') || text.startsWith('vbscript:')
  }

  /** Markup produced by a known sanitiser call (directly or through a variable bound to one). */
  private isSanitizedHtml (node: JsNode, scope: JsScope, depth = 0): boolean {
    if (depth > 8) return false
    if (node.type === 'CallExpression') return this.qualify(node.callee as JsNode, scope).some((q) => HTML_SANITIZERS.has(q))
    if (node.type === 'Identifier') {
      const found = this.lookup(node.name as string, scope)
      if (found === null) return false
      const key = `${found.scope.id}:${node.name as string}`
      const memo = this.sanitizedMemo.get(key)
      if (memo !== undefined) return memo
      this.sanitizedMemo.set(key, false)
      const result = found.bindings.length > 0 && found.bindings.every((b) => b.kind === 'init' && b.path.length === 0 && this.isSanitizedHtml(b.expr, b.scope, depth + 1))
      this.sanitizedMemo.set(key, result)
      return result
    }
    return false
  }

  /** A key that is a Symbol (`Symbol.iterator`, `const k = Symbol.for('x')`): it cannot name eval. */
  private isSymbolKey (key: JsNode, scope: JsScope): boolean {
    const isSymbolValue = (n: JsNode): boolean =>
      (n.type === 'CallExpression' && this.qualify(n.callee as JsNode, scope).some((q) => q === 'Symbol' || q === 'Symbol.for')) ||
      (n.type === 'MemberExpression' && this.qualify(n, scope).some((q) => q.startsWith('Symbol.')))
    if (isSymbolValue(key)) return true
    if (key.type !== 'Identifier') return false
    const found = this.lookup(key.name as string, scope)
    return found !== null && found.bindings.length > 0 && found.bindings.every((b) => b.kind === 'init' && b.path.length === 0 && isSymbolValue(b.expr))
  }

  /** `__dirname + '/x.js'`, `path.join(__dirname, 'x')`: a file next to the module, not a name from data. */
  private isLocalPath (node: JsNode, scope: JsScope): boolean {
    const isDir = (n: JsNode): boolean => n.type === 'Identifier' && (n.name === '__dirname' || n.name === '__filename')
    if (node.type === 'BinaryExpression' && node.operator === '+') {
      const parts: JsNode[] = []
      let cur: JsNode = node
      while (cur.type === 'BinaryExpression' && cur.operator === '+') { parts.unshift(cur.right as JsNode); cur = cur.left as JsNode }
      return isDir(cur) && parts.every((p) => this.isPlainString(p))
    }
    if (node.type === 'TemplateLiteral') {
      const exprs = node.expressions as JsNode[]
      return exprs.length === 1 && isDir(exprs[0] as JsNode) && ((node.quasis as JsNode[])[0]?.value as { raw: string }).raw === ''
    }
    if (node.type === 'CallExpression') {
      const args = node.arguments as JsNode[]
      return this.qualify(node.callee as JsNode, scope).some((q) => q === 'path.join' || q === 'path.resolve') &&
        args.length > 0 && isDir(args[0] as JsNode) && args.slice(1).every((a) => this.isPlainString(a))
    }
    return false
  }

  private propKey (p: JsNode, scope: JsScope): string | null {
    const key = p.key as JsNode
    if (p.computed === true) return this.fold(key, scope)
    return key.type === 'Identifier' ? key.name as string : key.type === 'Literal' ? String(key.value) : null
  }

  private isFalsyLiteral (n: JsNode): boolean {
    return n.type === 'Literal' && (n.value === false || n.value === 0 || n.value === null || n.value === '')
  }

  private checkChildProcess (q: string, args: JsNode[], scope: JsScope, line: number): void {
    const fn = q.slice('child_process.'.length)
    const command = this.commandText(args[0], scope) + ' ' + (args[1]?.type === 'ArrayExpression' ? this.commandText(args[1], scope) : '')
    if (isRecursiveRm(command)) this.issues.critical(T.recursiveDeletion, 'Shell command deletes recursively (rm -r)', line)
    if (isDownloadAndRun(command)) this.issues.critical(T.remoteCodeExecution, 'Command downloads content and passes it to an interpreter', line)
    if (CHILD_SHELL.has(fn)) {
      this.issues.critical(T.commandExecution, `${q}() runs a command through the shell`, line)
      return
    }
    if (!CHILD_SPAWN.has(fn)) return
    const opts = args.find((a, i) => i > 0 && a.type === 'ObjectExpression')
    const shell = opts === undefined ? undefined : (opts.properties as JsNode[]).find((p) => p.type === 'Property' && this.propKey(p, scope) === 'shell')
    if (shell !== undefined && !this.isFalsyLiteral(shell.value as JsNode)) {
      this.issues.critical(T.commandInjection, `${q}() with the shell option runs its command through the shell`, line)
      return
    }
    const argv = args[1]
    const literalArgs = argv === undefined || argv.type === 'ObjectExpression' || (argv.type === 'ArrayExpression' && (argv.elements as Array<JsNode | null>).every((e) => e !== null && this.isPlainString(e)))
    if (this.isPlainString(args[0]) && literalArgs) this.issues.use('process', `${q}() starts a program`, line)
    else this.issues.critical(T.commandInjection, `${q}() with a command or arguments built from non-literal data`, line)
  }

  private checkDynamicImport (node: JsNode, scope: JsScope): void {
    const source = node.source as JsNode
    const line = this.line(node)
    if (!this.isPlainString(source)) {
      this.issues.critical(T.dynamicImport, 'import() of a module name built at runtime', line)
      return
    }
    const spec = this.fold(source, scope) ?? ''
    if (this.checkImportUrl(spec, line)) return
    const mod = normaliseModule(spec)
    if (DANGEROUS_MODULES.has(mod)) this.issues.critical(T.commandExecution, `Dynamic import of ${mod} (its use cannot be followed)`, line)
  }

  /**
   * An import specifier that is a URL (`data:text/javascript,…`, `https://…`, `blob:`, `file:`)
   * loads code that is not in the snippet (a data: URL runs its own text). `node:` names a module.
   */
  private checkImportUrl (spec: string, line: number): boolean {
    if (!URL_SCHEME.test(spec) || /^node:/i.test(spec)) return false
    this.issues.critical(T.dynamicImport, 'Import of a URL (data:, http:, file:, …) loads code that is not in the snippet', line)
    return true
  }

  /** Static `import … from 'data:…'` / `export … from 'https://…'`. */
  private checkStaticImport (node: JsNode): void {
    const source = node.source as JsNode | null | undefined
    if (isNode(source) && typeof source.value === 'string') this.checkImportUrl(source.value, this.line(node))
  }

  /**
   * `Reflect.get(globalThis, k)`, `Object.getOwnPropertyDescriptor(process, k)` with a key known
   * only at run time: the same as `globalThis[k]`. `Object.values(globalThis)` and friends hand
   * out every global (eval included) without naming any.
   */
  private checkReflectiveKey (node: JsNode, scope: JsScope): void {
    const args = node.arguments as JsNode[]
    const target = args[0]
    if (target === undefined) return
    const cq = this.qualify(node.callee as JsNode, scope)
    const keyed = cq.some((q) => REFLECTIVE_KEYED.has(q))
    const enumerating = cq.some((q) => q === 'Object.values' || q === 'Object.entries' || q === 'Object.getOwnPropertyDescriptors')
    if (!keyed && !enumerating) return
    const sensitive = this.qualify(target, scope).some((q) => SENSITIVE_ROOTS.has(q.startsWith(DESCS) ? q.slice(DESCS.length) : q))
    if (!sensitive) return
    if (enumerating) {
      this.issues.critical(T.dynamicAccess, `${cq[0] as string}() enumerates the members of a sensitive object`, this.line(node))
      return
    }
    const key = args[1]
    if (key === undefined || (this.fold(key, scope) === null && !this.isSymbolKey(key, scope))) {
      this.issues.critical(T.dynamicAccess, `Reflective access with a runtime key on ${this.qualify(target, scope)[0] as string}`, this.line(node))
    }
  }

  /**
   * A dangerous module object or function (child_process and its exec/spawn family, vm's runners,
   * require) used as a value where the analysis cannot follow it: an argument, a container, a
   * property, a return value (`[cp.execSync][0]('id')`, `promisify(exec)`, `run(cp)`). Calls, member
   * reads and plain aliases (`const { exec } = cp`, `const r = require`) are followed instead.
   */
  private checkEscape (node: JsNode, quals: string[], scope: JsScope): void {
    let danger: { type: string, what: string } | null = null
    for (const q of quals) {
      const fn = q.slice(q.indexOf('.') + 1)
      if (ESCAPING_MODULES.has(q)) danger = { type: q === 'child_process' ? T.commandExecution : T.dangerousFunction, what: `The ${q} module object escapes into an expression the analysis cannot follow` }
      else if (q.startsWith('child_process.') && (CHILD_SHELL.has(fn) || CHILD_SPAWN.has(fn))) danger = { type: T.commandExecution, what: `Reference to ${q} outside a call (a container, argument or callback can run it)` }
      else if (q.startsWith('vm.') && VM_RUN.has(fn)) danger = { type: T.dangerousFunction, what: `Reference to ${q} outside a call (a container, argument or callback can run it)` }
      else if (REQUIRE_NAMES.has(q)) danger = { type: T.dynamicImport, what: 'Reference to require outside a call (a container, argument or callback can load any module)' }
      if (danger !== null) break
    }
    if (danger === null) return
    let cur = node
    for (let link = this.parents.get(cur); link !== undefined; cur = link.node, link = this.parents.get(cur)) {
      const p = link.node
      const k = link.key
      if (p.type === 'ChainExpression' || p.type === 'AwaitExpression' || p.type === 'LogicalExpression' || p.type === 'ParenthesizedExpression' ||
        (p.type === 'ConditionalExpression' && k !== 'test') ||
        (p.type === 'SequenceExpression' && (p.expressions as JsNode[]).at(-1) === cur)) continue // the value flows on
      if ((p.type === 'CallExpression' || p.type === 'NewExpression') && k === 'callee') return // judged as a call
      if (p.type === 'MemberExpression' && k === 'object') return // judged by what is read from it
      if (p.type === 'VariableDeclarator' && k === 'init' && ['Identifier', 'ObjectPattern'].includes((p.id as JsNode).type)) return // an alias, followed
      if (p.type === 'AssignmentExpression' && k === 'right' && (p.left as JsNode).type === 'Identifier' && p.operator === '=') return
      if (p.type === 'ExpressionStatement' || p.type === 'SequenceExpression') return // value discarded
      if (p.type === 'UnaryExpression' && (p.operator === 'typeof' || p.operator === '!' || p.operator === 'void')) return
      if (p.type === 'BinaryExpression' && ['==', '===', '!=', '!==', 'instanceof', 'in'].includes(p.operator as string)) return
      if ((p.type === 'IfStatement' || p.type === 'ConditionalExpression' || p.type === 'WhileStatement') && k === 'test') return
      if (p.type === 'AssignmentExpression' && k === 'left') return
      break
    }
    this.issues.critical(danger.type, danger.what, this.line(node))
  }

  /** The member-chain names of an assignment target: `a.b.__proto__.c` → ['a', 'b', '__proto__', 'c']. */
  private targetChain (node: JsNode, scope: JsScope): string[] {
    const out: string[] = []
    let cur = node
    while (cur.type === 'MemberExpression') {
      out.unshift(this.propName(cur, scope) ?? '?')
      cur = cur.object as JsNode
    }
    out.unshift(cur.type === 'Identifier' ? cur.name as string : '?')
    return out
  }

  private checkAssignment (node: JsNode, scope: JsScope): void {
    const left = node.left as JsNode
    const right = node.right as JsNode
    const line = this.line(node)
    if (left.type === 'MemberExpression') {
      const chain = this.targetChain(left, scope)
      const prop = chain[chain.length - 1] as string
      if (chain.slice(1).includes('__proto__')) {
        this.issues.critical(T.prototypePollution, 'Assignment through __proto__ modifies a shared prototype', line)
      } else if (chain.includes('prototype') && (['Object', 'Array', 'Function', 'String'].includes(chain[0] as string) || chain[chain.indexOf('prototype') - 1] === 'constructor')) {
        this.issues.critical(T.prototypePollution, 'Assignment to a built-in prototype', line)
      }
      if (prop === 'srcdoc' && !this.isPlainString(right)) this.issues.critical(T.xss, 'srcdoc set to non-literal markup (cross-site scripting)', line)
      if (URL_PROPS.has(prop) && this.isScriptUrl(right, scope)) this.issues.critical(T.xss, `${prop} set to a javascript: URL`, line)
      if ((prop === 'src' || prop === 'href' || prop === 'action') && this.secretSource(right, scope, 0) !== null) this.issues.critical(T.exfiltration, `${prop} set to a URL that carries ${this.secretSource(right, scope, 0) as string} (the browser sends it)`, line)
      if (prop === 'src' && this.fromAddressBar(right, scope)) this.issues.critical(T.xss, 'src set from the query string or fragment (loads a script the URL chooses)', line)
      if (/^on[a-z]+$/.test(prop) && this.isStringish(right, scope)) this.issues.critical(T.xss, `${prop} set to a string (an event handler compiled from text)`, line)
      if (chain[0] === 'process' && chain[1] === 'env' && chain.length === 3) {
        if (LOADER_ENV.has(prop)) this.issues.critical(T.dangerousFunction, `process.env.${prop} set: programs started later load code from it`, line)
        else if (prop === '?') this.issues.critical(T.dynamicAccess, 'process.env written under a runtime name (NODE_OPTIONS, LD_PRELOAD…)', line)
      }
      const object = left.object as JsNode
      if (left.computed === true && this.propName(left, scope) === null && object.type === 'MemberExpression' && object.computed === true && this.propName(object, scope) === null) {
        this.issues.critical(T.prototypePollution, 'Nested write under two runtime keys (a key of __proto__ or constructor pollutes every object)', line)
      }
      if (prop === 'innerHTML' || prop === 'outerHTML') {
        if (this.isPlainString(right) && node.operator === '=') this.issues.warning(T.xss, `${prop} set to static markup`, line)
        else if (this.isSanitizedHtml(right, scope)) this.issues.warning(T.xss, `${prop} set to sanitised markup`, line)
        else this.issues.critical(T.xss, `${prop} set to non-literal markup (cross-site scripting)`, line)
      }
      this.secretAssigned(prop, right, line, 'property')
    } else if (left.type === 'Identifier') {
      this.secretAssigned(left.name as string, right, line, 'variable')
    }
  }

  private checkDeclarator (node: JsNode): void {
    const id = node.id as JsNode
    if (id.type === 'Identifier' && isNode(node.init)) this.secretAssigned(id.name as string, node.init, this.line(node), 'variable')
  }

  /** A value read from the address bar: `location.search`, `location.hash`, `new URLSearchParams(…)`, `searchParams.get(…)`. */
  private fromAddressBar (node: JsNode, scope: JsScope, depth = 0): boolean {
    if (depth > 6) return false
    let hit = false
    const visit = (n: JsNode): void => {
      if (hit) return
      if (n.type === 'MemberExpression') {
        const prop = this.propName(n, scope)
        if (prop === 'searchParams' || prop === 'search' || prop === 'hash') { hit = true; return }
      }
      if (n.type === 'NewExpression' && this.qualify(n.callee as JsNode, scope).includes('URLSearchParams')) { hit = true; return }
      if (n.type === 'Identifier') {
        const b = this.lookup(n.name as string, scope)
        if (b?.bindings.some((x) => x.kind === 'init' && this.fromAddressBar(x.expr, x.scope, depth + 1)) === true) { hit = true; return }
      }
      if (isFunction(n)) return
      eachChild(n, (_k, c) => visit(c))
    }
    visit(node)
    return hit
  }

  private checkProperty (node: JsNode, scope: JsScope): void {
    const link = this.parents.get(node)
    if (link?.node.type !== 'ObjectExpression') return
    const name = this.propKey(node, scope)
    if (name !== null && isNode(node.value)) this.secretAssigned(name, node.value, this.line(node), 'property')
    // `createElement('div', { dangerouslySetInnerHTML: … })` and props objects spread into JSX
    if (name === 'dangerouslySetInnerHTML' && isNode(node.value)) this.checkInnerHtmlProp(node.value, scope, this.line(node))
  }

  private checkJsxAttribute (node: JsNode, scope: JsScope): void {
    const name = node.name as JsNode
    if (name.type !== 'JSXIdentifier' || name.name !== 'dangerouslySetInnerHTML') return
    const value = node.value as JsNode | null
    const expr = value?.type === 'JSXExpressionContainer' ? value.expression as JsNode : null
    this.checkInnerHtmlProp(expr, scope, this.line(node))
  }

  private checkInnerHtmlProp (expr: JsNode | null, scope: JsScope, line: number): void {
    const html = expr?.type === 'ObjectExpression' ? (expr.properties as JsNode[]).find((p) => p.type === 'Property' && this.propKey(p, scope) === '__html') : undefined
    if (html !== undefined && this.isPlainString(html.value as JsNode)) this.issues.warning(T.xss, 'dangerouslySetInnerHTML with static markup', line)
    else if (html !== undefined && this.isSanitizedHtml(html.value as JsNode, scope)) this.issues.warning(T.xss, 'dangerouslySetInnerHTML with sanitised markup', line)
    else this.issues.critical(T.xss, 'dangerouslySetInnerHTML with non-literal markup (cross-site scripting)', line)
  }

  private checkShape (value: string, node: JsNode): void {
    const label = secretShape(value)
    if (label !== null) this.issues.critical(T.hardcodedSecret, `String literal contains ${label}`, this.line(node))
  }

  private secretAssigned (name: string, value: JsNode, line: number, what: string): void {
    if (!isSecretName(name) || !this.isPlainString(value)) return
    const literal = value.type === 'Literal' ? String(value.value) : String((((value.quasis as JsNode[])[0] as JsNode).value as { cooked: string | null }).cooked ?? '')
    if (secretShape(literal) !== null) return
    const kind = classifySecretValue(literal)
    if (kind === 'secret') this.issues.critical(T.hardcodedSecret, `Hard-coded credential in ${what} '${name}'`, line)
    else if (kind === 'placeholder') this.issues.warning(T.hardcodedSecret, `Placeholder credential in ${what} '${name}'`, line)
  }

  private checkComparison (node: JsNode): void {
    if (!['==', '===', '!=', '!=='].includes(node.operator as string)) return
    for (const [a, b] of [[node.left, node.right], [node.right, node.left]] as Array<[JsNode, JsNode]>) {
      const name = a.type === 'Identifier' ? a.name as string : a.type === 'MemberExpression' && a.computed !== true ? (a.property as JsNode).name as string : null
      if (name === null || !isCredentialName(name) || !this.isPlainString(b) || b.type !== 'Literal') continue
      if (classifySecretValue(String(b.value)) === 'secret') {
        this.issues.critical(T.hardcodedSecret, `'${name}' compared with a hard-coded credential`, this.line(node))
        return
      }
    }
  }

  /** Names the value of `node` flows into: declarator, assignment target, property key, function name. */
  private receivingNames (node: JsNode): string[] {
    const names: string[] = []
    let cur = node
    for (let link = this.parents.get(cur); link !== undefined; cur = link.node, link = this.parents.get(cur)) {
      const p = link.node
      if (p.type === 'VariableDeclarator' && link.key === 'init' && (p.id as JsNode).type === 'Identifier') names.push((p.id as JsNode).name as string)
      else if (p.type === 'AssignmentExpression' && link.key === 'right') {
        const chain = this.targetChain(p.left as JsNode, this.module)
        names.push(chain[chain.length - 1] as string)
      } else if (p.type === 'Property' && link.key === 'value') {
        const key = p.key as JsNode
        if (key.type === 'Identifier') names.push(key.name as string)
        else if (key.type === 'Literal') names.push(String(key.value))
      } else if (isFunction(p)) {
        const id = p.id as JsNode | null
        if (id !== null && id !== undefined) names.push(id.name as string)
        else {
          const up = this.parents.get(p)
          if (up?.node.type === 'VariableDeclarator' && (up.node.id as JsNode).type === 'Identifier') names.push((up.node.id as JsNode).name as string)
          if (up?.node.type === 'MethodDefinition' || up?.node.type === 'Property') {
            const key = up.node.key as JsNode
            if (key.type === 'Identifier') names.push(key.name as string)
          }
        }
        break
      }
    }
    return names
  }

  private inPasswordContext (call: JsNode): boolean {
    let cur = call
    for (let link = this.parents.get(cur); link !== undefined; cur = link.node, link = this.parents.get(cur)) {
      const p = link.node
      if (p.type !== 'MemberExpression' && p.type !== 'CallExpression' && p.type !== 'ChainExpression') break
      if (p.type === 'CallExpression' && (p.arguments as JsNode[]).some((a) => this.mentions(a, isPasswordName))) return true
    }
    return this.receivingNames(call).some(isPasswordName)
  }

  private mentions (node: JsNode, test: (name: string) => boolean, depth = 0): boolean {
    if (depth > 64) return false
    if (node.type === 'Identifier' && test(node.name as string)) return true
    return children(node).some(([, c]) => this.mentions(c, test, depth + 1))
  }

  // ---- pass 3: taint

  private readonly store = new TaintStore()

  private key (name: string, scope: JsScope): string {
    return `${(this.lookup(name, scope)?.scope ?? this.module).id}:${name}`
  }

  taint (): boolean {
    const flows: Array<{ node: JsNode, scope: JsScope }> = []
    const sinks: Array<{ node: JsNode, scope: JsScope }> = []
    const gather = (node: JsNode, scope: JsScope, depth: number): void => {
      if (depth > MAX_JS_DEPTH) throw new TooDeep()
      switch (node.type) {
        case 'VariableDeclarator':
        case 'AssignmentExpression':
        case 'ForOfStatement':
        case 'ForInStatement':
        case 'ReturnStatement':
          flows.push({ node, scope })
          break
        case 'ArrowFunctionExpression':
          if ((node.body as JsNode).type !== 'BlockStatement') flows.push({ node, scope: this.scopes.get(node) ?? scope })
          break
        case 'CallExpression':
        case 'NewExpression':
          flows.push({ node, scope })
          sinks.push({ node, scope })
          break
        case 'ImportExpression':
          sinks.push({ node, scope })
      }
      if (node.type === 'AssignmentExpression') sinks.push({ node, scope })
      const inner = this.scopes.get(node) ?? scope
      const fn = isFunction(node)
      eachChild(node, (key, child) => { gather(child, fn && key !== 'id' ? inner : scope, depth + 1) })
    }
    gather(this.program, this.module, 0)
    const settled = runToFixpoint(this.store, () => {
      for (const f of flows) this.flow(f.node, f.scope)
    })
    if (!settled) return false
    for (const s of sinks) this.checkSink(s.node, s.scope)
    return true
  }

  private taintPattern (pattern: JsNode, scope: JsScope, src: TaintSource | null): void {
    if (src === null) return
    switch (pattern.type) {
      case 'Identifier': this.store.set(this.key(pattern.name as string, scope), src); return
      case 'MemberExpression': this.store.set(`attr:${this.text(pattern).replace(/\s+/g, '')}`, src); return
      case 'ObjectPattern':
        for (const p of pattern.properties as JsNode[]) this.taintPattern((p.type === 'RestElement' ? p.argument : p.value) as JsNode, scope, src)
        return
      case 'ArrayPattern':
        for (const el of pattern.elements as Array<JsNode | null>) if (el !== null) this.taintPattern(el, scope, src)
        return
      case 'AssignmentPattern': this.taintPattern(pattern.left as JsNode, scope, src); return
      case 'RestElement': this.taintPattern(pattern.argument as JsNode, scope, src); return
      case 'VariableDeclaration':
        for (const d of pattern.declarations as JsNode[]) this.taintPattern(d.id as JsNode, scope, src)
    }
  }

  private enclosingFunction (node: JsNode): JsNode | null {
    for (let link = this.parents.get(node); link !== undefined; link = this.parents.get(link.node)) {
      if (isFunction(link.node)) return link.node
    }
    return null
  }

  private flow (node: JsNode, scope: JsScope): void {
    switch (node.type) {
      case 'VariableDeclarator':
        if (isNode(node.init)) this.taintPattern(node.id as JsNode, scope, this.tainted(node.init, scope))
        return
      case 'AssignmentExpression':
        this.taintPattern(node.left as JsNode, scope, this.tainted(node.right as JsNode, scope))
        return
      case 'ForOfStatement':
      case 'ForInStatement':
        this.taintPattern(node.left as JsNode, scope, this.tainted(node.right as JsNode, scope))
        return
      case 'ReturnStatement': {
        const fn = this.enclosingFunction(node)
        if (fn !== null && isNode(node.argument)) this.store.set(`ret:${(this.scopes.get(fn) as JsScope).id}`, this.tainted(node.argument, scope))
        return
      }
      case 'ArrowFunctionExpression':
        this.store.set(`ret:${scope.id}`, this.tainted(node.body as JsNode, scope))
        return
      case 'CallExpression':
      case 'NewExpression': {
        const args = node.arguments as JsNode[]
        const fn = this.localFunction(node.callee as JsNode, scope)
        if (fn !== null) {
          const inner = this.scopes.get(fn) as JsScope
          const params = fn.params as JsNode[]
          args.forEach((a, i) => {
            const param = params[Math.min(i, params.length - 1)]
            if (param !== undefined && (i < params.length || param.type === 'RestElement')) this.taintPattern(param, inner, this.tainted(a, scope))
          })
        }
        // Callbacks on tainted values: `tainted.forEach((x) => ...)`, `promise.then((v) => ...)`.
        const callee = node.callee as JsNode
        if (callee.type === 'MemberExpression') {
          const src = this.tainted(callee.object as JsNode, scope)
          if (src !== null) {
            for (const a of args) {
              if (isFunction(a)) for (const p of a.params as JsNode[]) this.taintPattern(p, this.scopes.get(a) as JsScope, src)
            }
          }
        }
      }
    }
  }

  private localFunction (callee: JsNode, scope: JsScope): JsNode | null {
    if (isFunction(callee)) return callee
    if (callee.type !== 'Identifier') return null
    const found = this.lookup(callee.name as string, scope)
    for (const b of found?.bindings ?? []) {
      if (b.kind === 'function') return b.node
      if (b.kind === 'init' && b.path.length === 0 && isFunction(b.expr)) return b.expr
    }
    return null
  }

  private memberSource (node: JsNode, scope: JsScope): TaintSource | null {
    const prop = this.propName(node, scope)
    const obj = node.object as JsNode
    if (prop === null) return null
    for (const q of this.qualify(node, scope)) {
      if (q === 'process.argv' || q === 'process.env') return q
      if (q === 'document.cookie' || q === 'document.URL' || q === 'document.referrer' || q === 'location.search' || q === 'location.hash' || q === 'location.href' || q === 'location.pathname' || q === 'document.location.search' || q === 'document.location.hash') return q
    }
    if (REQUEST_PROPS.has(prop)) {
      if (obj.type === 'Identifier' && /^(req|request)$/.test(obj.name as string)) return `req.${prop}`
      if (obj.type === 'MemberExpression' && this.propName(obj, scope) === 'request') return `request.${prop}`
      if (obj.type === 'Identifier' && obj.name === 'ctx' && ['query', 'params', 'body'].includes(prop)) return `ctx.${prop}`
    }
    if (LOCATION_PROPS.has(prop) && obj.type === 'MemberExpression' && this.propName(obj, scope) === 'location') return `location.${prop}`
    return null
  }

  private tainted (node: JsNode, scope: JsScope, depth = 0): TaintSource | null {
    if (depth > MAX_JS_DEPTH) return null
    switch (node.type) {
      case 'Identifier': return this.store.get(this.key(node.name as string, scope)) ?? null
      case 'Literal':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassExpression':
      case 'ThisExpression':
      case 'Super':
        return null
      case 'MemberExpression': {
        const src = this.memberSource(node, scope)
        if (src !== null) return src
        const stored = this.store.get(`attr:${this.text(node).replace(/\s+/g, '')}`)
        if (stored !== undefined) return stored
        return this.tainted(node.object as JsNode, scope, depth + 1)
      }
      case 'UnaryExpression':
        return node.operator === 'typeof' || node.operator === '!' || node.operator === 'void' || node.operator === 'delete' ? null : this.tainted(node.argument as JsNode, scope, depth + 1)
      case 'BinaryExpression':
        if (['==', '===', '!=', '!==', '<', '>', '<=', '>=', 'instanceof', 'in'].includes(node.operator as string)) return null
        break
      case 'CallExpression':
      case 'NewExpression': {
        const callee = node.callee as JsNode
        const quals = this.qualify(callee, scope)
        if (quals.some((q) => SANITIZERS.has(q))) return null
        if (quals.includes('prompt') || quals.includes('readline-sync.question')) return `${quals[0] as string}()`
        const fn = this.localFunction(callee, scope)
        if (fn !== null) return this.store.get(`ret:${(this.scopes.get(fn) as JsScope).id}`) ?? null
        if (callee.type === 'MemberExpression') {
          const method = this.propName(callee, scope)
          if (method !== null && BOOLEAN_METHODS.has(method)) return null
          const src = this.tainted(callee.object as JsNode, scope, depth + 1)
          if (src !== null) return src
        }
        for (const a of node.arguments as JsNode[]) {
          const src = this.tainted(a, scope, depth + 1)
          if (src !== null) return src
        }
        return null
      }
    }
    for (const [key, c] of children(node)) {
      if (key === 'key' && node.computed !== true) continue
      const src = this.tainted(c, scope, depth + 1)
      if (src !== null) return src
    }
    return null
  }

  private checkSink (node: JsNode, scope: JsScope): void {
    const line = this.line(node)
    const report = (sink: string, what: string, arg: JsNode | undefined): boolean => {
      if (arg === undefined) return false
      const src = this.tainted(arg, scope)
      if (src === null) return false
      this.issues.critical(T.taintFlow, `User input from ${src} reaches ${sink} (${what})`, line)
      return true
    }
    if (node.type === 'ImportExpression') { report('import()', 'code injection', node.source as JsNode); return }
    if (node.type === 'AssignmentExpression') {
      const left = node.left as JsNode
      if (left.type === 'MemberExpression') {
        const prop = this.propName(left, scope)
        if (prop === 'innerHTML' || prop === 'outerHTML') report(prop, 'cross-site scripting', node.right as JsNode)
        else if (left.computed === true && this.propName(left, scope) === null) {
          // obj[userKey] = value: prototype pollution when the key is attacker-controlled
          report('a computed property assignment', 'prototype pollution', left.property as JsNode)
        }
      }
      return
    }
    const callee = node.callee as JsNode
    const args = node.arguments as JsNode[]
    for (const q of this.qualify(callee, scope)) {
      if (q === 'eval' || q === 'Function' || q === 'setTimeout' || q === 'setInterval') { for (const a of args) if (report(`${q}()`, 'code injection', a)) return; return }
      if (q.startsWith('child_process.')) { for (const a of args) if (report(`${q}()`, 'command injection', a)) return; return }
      if (q.startsWith('vm.')) { report(`${q}()`, 'code injection', args[0]); return }
      if (REQUIRE_NAMES.has(q)) { report('require()', 'code injection', args[0]); return }
      if (q === 'document.write' || q === 'document.writeln') { for (const a of args) if (report(`${q}()`, 'cross-site scripting', a)) return; return }
      if (q.startsWith('fs.') || q.startsWith('fs-extra.')) { report(`${q}()`, 'path traversal', args[0]); return }
      if (NETWORK_SINKS.has(q)) { report(`${q}()`, 'server-side request forgery', args[0]); return }
    }
    if (callee.type === 'MemberExpression') {
      const method = this.propName(callee, scope)
      if (method !== null && SQL_METHODS.has(method)) report(`.${method}()`, 'SQL injection', args[0])
      else if (method === 'insertAdjacentHTML') report('insertAdjacentHTML()', 'cross-site scripting', args[1])
    }
  }
}
