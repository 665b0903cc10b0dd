/**
 * Python rules on the tree-sitter syntax tree (web-tree-sitter + tree-sitter-python's own wasm).
 *
 * The tree is copied once into plain objects (one WASM round trip per node instead of many), then
 * three passes run over it: scopes and bindings (imports, aliases, definitions), pattern rules, and,
 * on request, taint tracking. Names are resolved through the bindings, so `import subprocess as sp`,
 * `from os import system as run`, `e = eval` and `importlib.import_module("o" + "s")` all reach
 * the same rule as the plain spelling, while `re.compile`, `cursor.execute` and `def evaluate`
 * never do: rules match qualified names, never substrings of the source. Names are compared
 * NFKC-folded, as Python reads identifiers (`ｅｖａｌ` is eval); modules re-exported by others
 * (`shutil.os`) resolve to themselves; a dangerous callable or module used as a value (in a list,
 * as an argument, returned) counts as used, while plain aliases are followed to their calls.
 */
import { createRequire } from 'node:module'
import { Language, Parser, type Node as TsNode, type TreeCursor } from 'web-tree-sitter'
import { LOADER_ENV, pathReach, type Capability } from './capabilities.js'
import { KEY_ARGUMENTS, PY_METHODS, pyCapabilityOf } from './capability-names.js'
import {
  type AnalysisOutcome, IssueList, T, classifySecretValue, isCredentialName, isDownloadAndRun, isPasswordName,
  isRecursiveRm, isSecretName, isTokenName, secretShape
} from './issues.js'
import { TaintStore, runToFixpoint, type TaintSource } from './taint.js'

// ---------------------------------------------------------------------------------------------
// Parser: initialised once, lazily, from node_modules (no network); reused for every claim.

let parserPromise: Promise<Parser> | null = null

async function loadParser (): Promise<Parser> {
  await Parser.init()
  const require = createRequire(import.meta.url)
  const language = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'))
  const parser = new Parser()
  parser.setLanguage(language)
  return parser
}

/** The shared parser. A failed load is forgotten so that the next claim retries it. */
export async function getPythonParser (): Promise<Parser> {
  if (parserPromise === null) {
    parserPromise = loadParser()
    parserPromise.catch(() => { parserPromise = null })
  }
  return await parserPromise
}

// ---------------------------------------------------------------------------------------------
// Plain copy of the syntax tree.

/** Longest a parse may run (a 200 KB snippet of ordinary code parses in well under a second). */
export const MAX_PARSE_MS = 4_000

/**
 * tree-sitter-python's lexer scans ahead from every `\N{` that is not closed by a `}` (a named
 * escape's name is under 100 characters), so many of them cost time quadratic in the snippet's
 * length. Past this many characters of such look-ahead, in total, the snippet is refused before it
 * is parsed: one unclosed escape in ordinary code costs at most its snippet's length.
 */
export const MAX_OPEN_ESCAPE_SCAN = 2_000_000
const NAMED_ESCAPE_SPAN = 100

/** The look-ahead the parser would do for unclosed `\N{` escapes, counted up to `limit`. */
export function openEscapeScan (code: string, limit = MAX_OPEN_ESCAPE_SCAN): number {
  let total = 0
  // The next `}` is found once per `}`, not once per escape: the scan stays linear.
  let close = -2
  for (let at = code.indexOf('\\N{'); at !== -1 && total <= limit; at = code.indexOf('\\N{', at + 3)) {
    if (close !== -1 && close < at + 3) close = code.indexOf('}', at + 3)
    if (close === -1 || close - at > NAMED_ESCAPE_SPAN) total += code.length - at
  }
  return total
}

/** Deepest syntax tree accepted (CPython itself refuses ~200 nested brackets). */
export const MAX_PY_DEPTH = 1000

interface PyNode {
  type: string
  field: string | null
  named: boolean
  start: number
  end: number
  row: number
  parent: PyNode | null
  children: PyNode[]
}

class TooDeep extends Error {}

/** Python 2 statements the grammar still accepts; Python 3 rejects them, and so do we. */
class Python2Syntax extends Error {
  constructor (readonly line: number) { super('Python 2 syntax') }
}
const PYTHON2_STATEMENTS = new Set(['print_statement', 'exec_statement'])

function copyTree (cursor: TreeCursor): PyNode {
  const make = (parent: PyNode | null): PyNode => {
    const type = cursor.nodeType
    const row = cursor.startPosition.row
    if (PYTHON2_STATEMENTS.has(type)) throw new Python2Syntax(row + 1)
    return { type, field: cursor.currentFieldName, named: cursor.nodeIsNamed, start: cursor.startIndex, end: cursor.endIndex, row, parent, children: [] }
  }
  const root = make(null)
  let current = root
  let depth = 0
  for (;;) {
    if (cursor.gotoFirstChild()) {
      if (++depth > MAX_PY_DEPTH) throw new TooDeep()
      const child = make(current)
      current.children.push(child)
      current = child
      continue
    }
    let moved = false
    while (!moved) {
      if (cursor.gotoNextSibling()) {
        const parent = current.parent as PyNode
        const sibling = make(parent)
        parent.children.push(sibling)
        current = sibling
        moved = true
      } else {
        if (!cursor.gotoParent()) return root
        depth--
        current = current.parent as PyNode
      }
    }
  }
}

/** Parses and analyses a Python snippet. Throws only when the parser itself cannot be loaded. */
export async function analysePython (code: string, options: { taint: boolean, signal?: AbortSignal }): Promise<AnalysisOutcome> {
  const parser = await getPythonParser()
  const signal = options.signal
  // tree-sitter-python's lexer is quadratic on unclosed `\N{` escapes (60,000 in one string: minutes):
  // those inputs are refused before parsing. The parse is synchronous, so an abort timer cannot fire
  // while it runs: the parser checks a deadline between steps, a backstop for any other slow input.
  if (openEscapeScan(code) > MAX_OPEN_ESCAPE_SCAN) {
    return { ok: false, reason: 'too_complex', detail: 'too many unclosed \\N{...} escapes to parse in time' }
  }
  const deadline = performance.now() + MAX_PARSE_MS
  const tree = parser.parse(code, null, { progressCallback: () => signal?.aborted === true || performance.now() > deadline })
  if (tree === null) {
    parser.reset() // a halted parse would otherwise resume on the next claim's text
    return { ok: false, reason: 'aborted', detail: signal?.aborted === true ? 'parsing was cancelled' : `parsing took longer than ${MAX_PARSE_MS} ms` }
  }
  let root: PyNode
  try {
    if (tree.rootNode.hasError) {
      const bad = firstError(tree.rootNode)
      return { ok: false, reason: 'parse_error', detail: 'invalid Python syntax', line_number: bad }
    }
    const cursor = tree.walk()
    try {
      root = copyTree(cursor)
    } finally {
      cursor.delete()
    }
  } catch (err) {
    if (err instanceof TooDeep || err instanceof RangeError) return { ok: false, reason: 'too_deep', detail: `syntax tree deeper than ${MAX_PY_DEPTH}` }
    if (err instanceof Python2Syntax) return { ok: false, reason: 'parse_error', detail: 'Python 2 print/exec statement (not Python 3)', line_number: err.line }
    throw err
  } finally {
    tree.delete()
  }
  if (signal?.aborted === true) return { ok: false, reason: 'aborted', detail: 'analysis was cancelled' }
  try {
    const analysis = new PyAnalysis(code, root)
    analysis.rules()
    if (options.taint && !analysis.taint()) return { ok: false, reason: 'too_complex', detail: 'taint analysis did not settle' }
    return { ok: true, issues: analysis.issues }
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, reason: 'too_deep', detail: 'snippet nested too deeply to analyse' }
    throw err
  }
}

/** Line of the first ERROR or MISSING node (for the developer), searched breadth-first with a bound. */
function firstError (root: TsNode): number {
  const queue: TsNode[] = [root]
  for (let steps = 0; queue.length > 0 && steps < 100_000; steps++) {
    const n = queue.shift() as TsNode
    if (n.type === 'ERROR' || n.isMissing) return n.startPosition.row + 1
    for (const c of n.children) if (c.hasError || c.isMissing) queue.push(c)
  }
  return root.startPosition.row + 1
}

// ---------------------------------------------------------------------------------------------
// Name tables.

const CODE_EXEC = new Set(['builtins.eval', 'builtins.exec', 'builtins.compile'])
const IMPORTERS = new Set(['builtins.__import__', 'importlib.import_module', 'importlib.__import__'])
const ALWAYS_SHELL = new Set([
  'os.system', 'os.popen', 'os.popen2', 'os.popen3', 'os.popen4', 'pty.spawn', 'commands.getoutput',
  'commands.getstatusoutput', 'subprocess.getoutput', 'subprocess.getstatusoutput', 'platform.popen',
  'asyncio.create_subprocess_shell', 'os.startfile'
])
const SUBPROCESS = new Set([
  'subprocess.run', 'subprocess.call', 'subprocess.check_call', 'subprocess.check_output',
  'subprocess.Popen', 'asyncio.create_subprocess_exec'
])
const DESERIALIZE = new Set([
  'pickle.loads', 'pickle.load', 'pickle.Unpickler', 'cPickle.loads', 'cPickle.load', '_pickle.loads',
  '_pickle.load', 'dill.loads', 'dill.load', 'cloudpickle.loads', 'cloudpickle.load', 'marshal.loads',
  'marshal.load', 'shelve.open', 'jsonpickle.decode'
])
/** Run source text or a code object: the `code`/`codeop` REPL machinery, runpy, raw code objects. */
const CODE_RUNNERS = new Set([
  'code.interact', 'code.InteractiveInterpreter', 'code.InteractiveConsole', 'code.compile_command',
  'codeop.compile_command', 'codeop.Compile', 'codeop.CommandCompiler', 'runpy.run_path', 'runpy.run_module',
  'runpy._run_code', 'runpy._run_module_code', 'runpy._run_module_as_main', 'types.FunctionType', 'types.CodeType',
  'types.LambdaType', 'builtins.execfile', 'cProfile.run', 'cProfile.runctx', 'profile.run', 'profile.runctx',
  'pdb.run', 'pdb.runeval', 'pdb.runctx'
])
/** Statement runners that take code as a string (a callable is fine): `timeit.timeit("...")`. */
const STRING_STATEMENT_RUNNERS = new Set(['timeit.timeit', 'timeit.repeat', 'timeit.Timer'])
/** Load a module from a file path: its code runs and cannot be followed. */
const FILE_IMPORTERS = new Set([
  'importlib.util.spec_from_file_location', 'importlib.machinery.SourceFileLoader',
  'importlib.machinery.SourcelessFileLoader', 'importlib.machinery.ExtensionFileLoader', 'zipimport.zipimporter', 'imp.load_source',
  'imp.load_module', 'imp.load_compiled', 'imp.load_dynamic'
])
/** ctypes members that only describe C data (no library loading, no raw memory). */
const CTYPES_DATA = /^ctypes\.(c_[a-z0-9_]+|sizeof|alignment|Structure|Union|BigEndianStructure|LittleEndianStructure|Array|POINTER|util\.find_library)$/
/** Native code: loading a shared library or reaching raw memory runs anything (`ctypes.CDLL(None).system`). */
function isNative (q: string): boolean {
  const root = q.split('.', 1)[0] as string
  if (root === 'cffi' || root === '_cffi_backend') return q !== root
  if (root !== 'ctypes' && root !== '_ctypes' && root !== '_posixsubprocess') return false
  return q !== root && !CTYPES_DATA.test(q)
}
/**
 * Modules that other modules re-export under their own name (`shutil.os`, `os.path.os`,
 * `subprocess.os`, `tempfile._os`): `<anything>.os.system` is `os.system`.
 */
const REEXPORTED = new Map([
  ['os', 'os'], ['sys', 'sys'], ['subprocess', 'subprocess'], ['shutil', 'shutil'], ['pickle', 'pickle'], ['cPickle', 'pickle'],
  ['marshal', 'marshal'], ['importlib', 'importlib'], ['pty', 'pty'], ['ctypes', 'ctypes'], ['posix', 'os'], ['nt', 'os'],
  ['runpy', 'runpy'], ['builtins', 'builtins'], ['codeop', 'codeop'], ['posixsubprocess', '_posixsubprocess']
])
/** Modules whose object must not escape into a place the analysis cannot follow (`run(os)`, `[os][0]`). */
const DANGEROUS_MODULES = new Set(['os', 'subprocess', 'pty', 'ctypes', '_ctypes', 'pickle', 'cPickle', '_pickle', 'marshal', 'builtins', 'importlib', 'runpy', 'code', 'codeop', 'sys', 'commands', '_posixsubprocess', 'cffi'])
/** Calls that only inspect a module or callable they are given (`hasattr(os, "fork")`, `isinstance(p, subprocess.Popen)`). */
const INSPECTORS = new Set([
  'builtins.hasattr', 'builtins.getattr', 'builtins.isinstance', 'builtins.issubclass', 'builtins.type', 'builtins.id',
  'builtins.print', 'builtins.repr', 'builtins.str', 'builtins.dir', 'builtins.help', 'builtins.callable', 'builtins.vars',
  'inspect.getsource', 'inspect.signature', 'inspect.getdoc', 'inspect.ismodule', 'inspect.isfunction', 'inspect.isbuiltin'
])
/** Loaders built on pickle: fine for files you produced, dangerous for anything else (WARNING). */
const PICKLE_BASED = new Set(['pandas.read_pickle', 'joblib.load', 'torch.load'])
const EXPRESSION_EVALUATORS = new Set(['pandas.eval', 'numexpr.evaluate', 'sympy.sympify', 'sympy.parse_expr', 'sympy.parsing.sympy_parser.parse_expr'])
const RANDOM_FUNCS = new Set(['random', 'randint', 'choice', 'choices', 'randrange', 'getrandbits', 'sample', 'uniform', 'randbytes', 'shuffle'])
const CRITICAL_DUNDERS = new Set(['__subclasses__', '__globals__', '__builtins__', '__code__', '__closure__', '__mro__', '__bases__', '__base__', '__loader__', '__import__', 'func_globals', 'f_globals', 'f_builtins'])
const HARMLESS_AFTER_CLASS = new Set(['__name__', '__qualname__', '__module__', '__doc__'])
/** A module whose attributes must not be reached through a computed name (`builtins.x` is a builtin, not a module). */
function isSensitive (q: string): boolean {
  const root = q.split('.')[0] as string
  return root === 'builtins' ? q === 'builtins' : SENSITIVE_ROOTS.has(root)
}
const SENSITIVE_ROOTS = new Set(['builtins', 'os', 'posix', 'nt', 'subprocess', 'sys', 'importlib', 'shutil', 'pickle', 'marshal', 'pty', 'ctypes', 'socket'])
const LITERAL_TYPES = new Set(['string', 'concatenated_string', 'integer', 'float', 'true', 'false', 'none', 'list', 'tuple', 'dictionary', 'set', 'parenthesized_expression'])
/** Calls whose result cannot carry the attacker's text (casts, escapes, booleans). */
const SANITIZERS = new Set([
  'builtins.int', 'builtins.float', 'builtins.bool', 'builtins.len', 'builtins.abs', 'builtins.round',
  'builtins.hash', 'builtins.isinstance', 'builtins.ord', 'shlex.quote', 'pipes.quote', 'html.escape',
  'cgi.escape', 'markupsafe.escape', 'flask.escape', 'bleach.clean', 'werkzeug.utils.secure_filename',
  'werkzeug.secure_filename', 'urllib.parse.quote', 'urllib.parse.quote_plus', 'uuid.UUID',
  'builtins.escape', 'builtins.secure_filename', 'builtins.sanitize', 'builtins.sanitise', 'builtins.quote'
])
const BOOLEAN_METHODS = new Set(['isdigit', 'isalnum', 'isalpha', 'isnumeric', 'isdecimal', 'isidentifier', 'startswith', 'endswith', 'isspace', 'islower', 'isupper', 'count', 'find', 'index'])
const REQUEST_ATTRS = new Set(['args', 'form', 'json', 'values', 'data', 'files', 'cookies', 'headers', 'get_json', 'get_data', 'GET', 'POST', 'body', 'FILES', 'COOKIES', 'META', 'query_params', 'path_params', 'query_string', 'stream'])
const FILE_SINKS = new Set(['builtins.open', 'os.remove', 'os.unlink', 'os.rmdir', 'os.removedirs', 'shutil.rmtree', 'shutil.copy', 'shutil.copyfile', 'shutil.move', 'io.open', 'codecs.open'])
const NETWORK_SINKS = new Set([
  'requests.get', 'requests.post', 'requests.put', 'requests.delete', 'requests.patch', 'requests.head',
  'requests.request', 'urllib.request.urlopen', 'urllib.request.Request', 'urllib.urlopen', 'httpx.get',
  'httpx.post', 'httpx.request', 'aiohttp.request'
])
const TEMPLATE_SINKS = new Set(['flask.render_template_string', 'jinja2.Template', 'jinja2.Environment.from_string'])
const SQL_METHODS = new Set(['execute', 'executemany', 'executescript', 'raw', 'mogrify'])
/** pathlib methods that read, write or delete the file they are called on. */
const PATH_METHODS = new Set(['read_text', 'read_bytes', 'write_text', 'write_bytes', 'unlink', 'rmdir', 'touch', 'rename', 'replace', 'chmod', 'symlink_to', 'hardlink_to', 'mkdir'])

type Binding =
  | { kind: 'import', qual: string }
  | { kind: 'value', expr: PyNode, scope: Scope }
  | { kind: 'unpack', expr: PyNode, scope: Scope }
  | { kind: 'def', node: PyNode }
  | { kind: 'param', fn: PyNode }
  | { kind: 'local' }

class Scope {
  readonly bindings = new Map<string, Binding[]>()
  readonly globals = new Set<string>()
  readonly nonlocals = new Set<string>()
  readonly stars: string[] = []
  constructor (readonly id: number, readonly kind: 'module' | 'function' | 'class', readonly parent: Scope | null, readonly node: PyNode) {}
}

interface FunctionInfo { node: PyNode, scope: Scope, params: string[], isMethod: boolean }

// ---------------------------------------------------------------------------------------------

class PyAnalysis {
  readonly issues = new IssueList()
  private readonly module: Scope
  private readonly scopes = new Map<PyNode, Scope>()
  private readonly functions = new Map<PyNode, FunctionInfo>()
  private readonly qualifyMemo = new Map<string, string[]>()
  /** Class scopes by the binding of the class name (`${scope id}:${name}`): class attributes resolve. */
  private readonly classScopes = new Map<string, Scope>()
  private nextScope = 0

  constructor (private readonly code: string, private readonly root: PyNode) {
    this.module = new Scope(this.nextScope++, 'module', null, root)
    this.scopes.set(root, this.module)
    this.collect(root, this.module)
  }

  // ---- helpers on nodes

  /**
   * Source text of a node. Python folds identifiers with NFKC when it reads them (PEP 3131), so
   * `ｅｖａｌ`, `𝐞𝐯𝐚𝐥` and `eval` are one name: every node except string and comment text is
   * compared in NFKC form. String contents stay raw (Python does not fold them).
   */
  private text (n: PyNode): string {
    const raw = this.code.slice(n.start, n.end)
    return RAW_TEXT_TYPES.has(n.type) || isAscii(raw) ? raw : raw.normalize('NFKC')
  }

  private line (n: PyNode): number { return n.row + 1 }

  private kid (n: PyNode, field: string): PyNode | undefined {
    return n.children.find((c) => c.field === field)
  }

  private named (n: PyNode): PyNode[] {
    return n.children.filter((c) => c.named && c.type !== 'comment')
  }

  private unwrap (n: PyNode): PyNode {
    let cur = n
    while (cur.type === 'parenthesized_expression') {
      const inner = this.named(cur)
      if (inner.length !== 1) break
      cur = inner[0] as PyNode
    }
    return cur
  }

  /** Positional and keyword arguments of a call. */
  private args (call: PyNode, scope?: Scope): { positional: PyNode[], keywords: Map<string, PyNode>, splat: boolean } {
    const list = this.kid(call, 'arguments')
    const positional: PyNode[] = []
    const keywords = new Map<string, PyNode>()
    let splat = false
    if (list === undefined) return { positional, keywords, splat }
    if (list.type === 'generator_expression') return { positional: [list], keywords, splat }
    for (const a of this.named(list)) {
      if (a.type === 'keyword_argument') {
        const name = this.kid(a, 'name')
        const value = this.kid(a, 'value')
        if (name !== undefined && value !== undefined) keywords.set(this.text(name), value)
      } else if (a.type === 'dictionary_splat') {
        // `**{"shell": True}` or `**opts` bound to a dict literal: its keys are keywords
        const dict = scope === undefined ? null : this.dictLiteral(this.named(a)[0], scope)
        if (dict === null) splat = true
        else for (const [k, v] of dict) keywords.set(k, v)
      } else if (a.type === 'list_splat') {
        splat = true
      } else {
        positional.push(a)
      }
    }
    return { positional, keywords, splat }
  }

  /** The string keys of a dict literal (or of a name bound once to one), or null. */
  private dictLiteral (node: PyNode | undefined, scope: Scope, depth = 0): Map<string, PyNode> | null {
    if (node === undefined || depth > 6) return null
    const n = this.unwrap(node)
    if (n.type === 'identifier') {
      const found = this.lookup(this.text(n), scope)
      const b = found?.bindings
      if (b === undefined || b.length !== 1 || b[0]?.kind !== 'value') return null
      return this.dictLiteral(b[0].expr, b[0].scope, depth + 1)
    }
    if (n.type === 'call') {
      // dict(shell=True)
      const fn = this.kid(n, 'function')
      if (fn === undefined || !this.qualify(fn, scope).includes('builtins.dict')) return null
      return this.args(n, scope).keywords
    }
    if (n.type !== 'dictionary') return null
    const out = new Map<string, PyNode>()
    for (const pair of this.named(n)) {
      if (pair.type !== 'pair') return null
      const k = this.kid(pair, 'key')
      const v = this.kid(pair, 'value')
      const key = k === undefined ? null : this.fold(k, scope)
      if (key === null || v === undefined) return null
      out.set(key, v)
    }
    return out
  }

  /** A string literal without interpolation. */
  private isPlainString (n: PyNode): boolean {
    const u = this.unwrap(n)
    return u.type === 'string' && this.stringValue(u) !== null
  }

  /** The value of a string node, or null for f-strings with interpolation. */
  private stringValue (n: PyNode): string | null {
    if (n.type !== 'string') return null
    const first = n.children[0]
    const last = n.children[n.children.length - 1]
    if (first === undefined || last === undefined || first.type !== 'string_start') return null
    if (n.children.some((c) => c.type === 'interpolation')) return null
    const prefix = stringPrefix(this.text(first))
    const body = this.code.slice(first.end, last.type === 'string_end' ? last.start : n.end)
    if (prefix.includes('r')) return body
    // `N\{[^}\\]*\}`: a scan that starts at one `\N{` stops at the next backslash (linear on "\N{\N{…")
    let named = false
    const value = body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}\\]*\}|\n|.)/g, (_m, e: string) => {
      if (e[0] === 'N' && e.length > 1) named = true
      if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16))
      if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8))
      switch (e) {
        case 'n': return '\n'
        case 't': return '\t'
        case 'r': return '\r'
        case '\n': return ''
        case 'N': return e
        default: return e.length === 1 ? e : ''
      }
    })
    // `\N{LATIN SMALL LETTER T}`: the character is unknown here (no Unicode name table), so the
    // value is too (folding it to '' would let `getattr(os, 'sys\N{…}em')` pass as a harmless name)
    return named ? null : value
  }

  // ---- pass 1: scopes and bindings

  private bind (scope: Scope, name: string, binding: Binding): void {
    let target = scope
    if (scope.globals.has(name)) target = this.module
    else if (scope.nonlocals.has(name)) target = this.enclosingFunction(scope.parent) ?? this.module
    const list = target.bindings.get(name)
    if (list === undefined) target.bindings.set(name, [binding])
    else list.push(binding)
  }

  private enclosingFunction (scope: Scope | null): Scope | null {
    let s = scope
    while (s !== null && s.kind !== 'function') s = s.parent
    return s
  }

  /** Binds every name in an assignment target. Single names remember their value (aliases). */
  private bindTarget (scope: Scope, target: PyNode, value: PyNode | null, single: boolean): void {
    const t = this.unwrap(target)
    if (t.type === 'identifier') {
      if (value === null) this.bind(scope, this.text(t), { kind: 'local' })
      else this.bind(scope, this.text(t), single ? { kind: 'value', expr: value, scope } : { kind: 'unpack', expr: value, scope })
      return
    }
    if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'list_splat_pattern', 'as_pattern_target'].includes(t.type)) {
      const inner = t.type === 'as_pattern_target' ? single : false
      for (const c of this.named(t)) this.bindTarget(scope, c, value, inner)
    }
  }

  private collect (node: PyNode, scope: Scope): void {
    switch (node.type) {
      case 'function_definition': {
        const name = this.kid(node, 'name')
        if (name !== undefined) this.bind(scope, this.text(name), { kind: 'def', node })
        const inner = new Scope(this.nextScope++, 'function', scope, node)
        this.scopes.set(node, inner)
        const params = this.kid(node, 'parameters')
        const names = params === undefined ? [] : this.collectParams(params, scope, inner, node)
        this.functions.set(node, { node, scope: inner, params: names, isMethod: scope.kind === 'class' })
        for (const c of node.children) {
          if (c.field === 'return_type') this.collect(c, scope)
          if (c.field === 'body') this.collect(c, inner)
        }
        return
      }
      case 'lambda': {
        const inner = new Scope(this.nextScope++, 'function', scope, node)
        this.scopes.set(node, inner)
        const params = this.kid(node, 'parameters')
        const names = params === undefined ? [] : this.collectParams(params, scope, inner, node)
        this.functions.set(node, { node, scope: inner, params: names, isMethod: false })
        const body = this.kid(node, 'body')
        if (body !== undefined) this.collect(body, inner)
        return
      }
      case 'class_definition': {
        const name = this.kid(node, 'name')
        if (name !== undefined) this.bind(scope, this.text(name), { kind: 'local' })
        const inner = new Scope(this.nextScope++, 'class', scope, node)
        this.scopes.set(node, inner)
        if (name !== undefined) this.classScopes.set(`${scope.id}:${this.text(name)}`, inner)
        for (const c of node.children) {
          if (c.field === 'body') this.collect(c, inner)
          else if (c.field !== 'name') this.collect(c, scope)
        }
        return
      }
      case 'import_statement':
        for (const c of node.children) {
          if (c.field !== 'name') continue
          if (c.type === 'dotted_name') {
            const full = this.text(c).replace(/\s+/g, '')
            this.bind(scope, full.split('.')[0] as string, { kind: 'import', qual: normaliseModule(full.split('.')[0] as string) })
          } else if (c.type === 'aliased_import') {
            const mod = this.kid(c, 'name')
            const alias = this.kid(c, 'alias')
            if (mod !== undefined && alias !== undefined) this.bind(scope, this.text(alias), { kind: 'import', qual: normaliseModule(this.text(mod).replace(/\s+/g, '')) })
          }
        }
        return
      case 'import_from_statement': {
        const modNode = this.kid(node, 'module_name')
        const mod = modNode === undefined ? '' : this.text(modNode).replace(/\s+/g, '')
        for (const c of node.children) {
          if (c.type === 'wildcard_import') { scope.stars.push(mod); continue }
          if (c.field !== 'name') continue
          if (c.type === 'dotted_name') {
            const name = this.text(c).replace(/\s+/g, '')
            this.bind(scope, name, { kind: 'import', qual: normaliseModule(`${mod}.${name}`) })
          } else if (c.type === 'aliased_import') {
            const orig = this.kid(c, 'name')
            const alias = this.kid(c, 'alias')
            if (orig !== undefined && alias !== undefined) this.bind(scope, this.text(alias), { kind: 'import', qual: normaliseModule(`${mod}.${this.text(orig).replace(/\s+/g, '')}`) })
          }
        }
        return
      }
      case 'global_statement':
        for (const c of this.named(node)) if (c.type === 'identifier') scope.globals.add(this.text(c))
        return
      case 'nonlocal_statement':
        for (const c of this.named(node)) if (c.type === 'identifier') scope.nonlocals.add(this.text(c))
        return
      case 'assignment': {
        const left = this.kid(node, 'left')
        let right = this.kid(node, 'right')
        while (right?.type === 'assignment') right = this.kid(right, 'right')
        if (left !== undefined && right !== undefined) this.bindTarget(scope, left, right, true)
        break
      }
      case 'augmented_assignment': {
        const left = this.kid(node, 'left')
        const right = this.kid(node, 'right')
        if (left !== undefined && right !== undefined) this.bindTarget(scope, left, right, false)
        break
      }
      case 'named_expression': {
        const name = this.kid(node, 'name')
        const value = this.kid(node, 'value')
        if (name !== undefined && value !== undefined) this.bindTarget(scope, name, value, true)
        break
      }
      case 'for_statement':
      case 'for_in_clause': {
        const left = this.kid(node, 'left')
        const right = this.kid(node, 'right')
        if (left !== undefined) this.bindTarget(scope, left, right ?? null, false)
        break
      }
      case 'as_pattern': {
        const alias = this.kid(node, 'alias')
        const value = this.named(node)[0]
        const isExcept = node.parent?.type === 'except_clause'
        if (alias !== undefined) this.bindTarget(scope, alias, isExcept ? null : value ?? null, false)
        break
      }
    }
    for (const c of node.children) this.collect(c, scope)
  }

  private collectParams (params: PyNode, outer: Scope, inner: Scope, fn: PyNode): string[] {
    const names: string[] = []
    for (const p of this.named(params)) {
      let nameNode: PyNode | undefined
      if (p.type === 'identifier') nameNode = p
      else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') nameNode = this.kid(p, 'name')
      else if (p.type === 'typed_parameter' || p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern') nameNode = this.named(p).find((c) => c.type === 'identifier')
      if (nameNode !== undefined) {
        const name = this.text(nameNode)
        names.push(p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern' ? '*' + name : name)
        this.bind(inner, name, { kind: 'param', fn })
      }
      const dflt = this.kid(p, 'value')
      if (dflt !== undefined) this.collect(dflt, outer)
    }
    return names
  }

  private lookup (name: string, scope: Scope): { scope: Scope, bindings: Binding[] } | null {
    let s: Scope | null = scope
    let first = true
    while (s !== null) {
      if (s.globals.has(name) && s !== this.module) { s = this.module; continue }
      if (first || s.kind !== 'class') {
        const b = s.bindings.get(name)
        if (b !== undefined) return { scope: s, bindings: b }
      }
      first = false
      s = s.parent
    }
    return null
  }

  // ---- name resolution

  /** The class scope `node` names: a class by its name, or `self` / `cls` inside one of its methods. */
  private classScopeOf (node: PyNode, scope: Scope): Scope | null {
    const n = this.unwrap(node)
    if (n.type !== 'identifier') return null
    const name = this.text(n)
    const found = this.lookup(name, scope)
    if (found === null) return null
    const direct = this.classScopes.get(`${found.scope.id}:${name}`)
    if (direct !== undefined) return direct
    if (found.bindings.some((b) => b.kind === 'param') && found.scope.kind === 'function' && found.scope.parent?.kind === 'class') {
      const info = this.functions.get(found.scope.node)
      if (info?.isMethod === true && info.params[0] === name) return found.scope.parent
    }
    return null
  }

  /** Every qualified name `node` may denote: `os.system`, `builtins.eval`, `subprocess`. */
  private qualify (node: PyNode, scope: Scope, depth = 0): string[] {
    if (depth > 24) return []
    const n = this.unwrap(node)
    switch (n.type) {
      case 'identifier': {
        const name = this.text(n)
        const found = this.lookup(name, scope)
        if (found === null) {
          if (name === '__builtins__') return ['builtins']
          // Unbound: a builtin, a star import, or a module whose import the snippet left out
          // (`os.system(...)` without `import os` still names os.system).
          const out = this.module.stars.map((m) => `${m}.${name}`)
          out.push(`builtins.${name}`, name)
          return out
        }
        // Memoised per binding (a name assigned N times would otherwise branch N ways per level);
        // the placeholder stops cycles such as `x = x.parent`.
        const key = `${found.scope.id}:${name}`
        const memo = this.qualifyMemo.get(key)
        if (memo !== undefined) return memo
        this.qualifyMemo.set(key, [])
        const out: string[] = []
        for (const b of found.bindings) {
          if (b.kind === 'import') out.push(b.qual)
          else if (b.kind === 'value') out.push(...this.qualify(b.expr, b.scope, depth + 1))
        }
        const result = unique(out)
        this.qualifyMemo.set(key, result)
        return result
      }
      case 'attribute': {
        const obj = this.kid(n, 'object')
        const attr = this.kid(n, 'attribute')
        if (obj === undefined || attr === undefined) return []
        const a = this.text(attr)
        // `f.__call__` is `f`: `os.system.__call__("id")` is a call of os.system
        if (a === '__call__') return this.qualify(obj, scope, depth + 1)
        // a class attribute (`class R: run = os.system` … `R.run`, `self.run`)
        const cls = this.classScopeOf(obj, scope)
        if (cls !== null) {
          const found = cls.bindings.get(a)
          if (found !== undefined) {
            const out: string[] = []
            for (const b of found) {
              if (b.kind === 'import') out.push(b.qual)
              else if (b.kind === 'value') out.push(...this.qualify(b.expr, b.scope, depth + 1))
            }
            if (out.length > 0) return unique(out)
          }
        }
        const reexported = REEXPORTED.get(stripLeadingUnderscores(a))
        return unique(this.qualify(obj, scope, depth + 1).map((q) => {
          if (q === 'builtins') return `builtins.${a}`
          // a module re-exported by another one: `shutil.os`, `os.path.os`, `tempfile._os` are os
          if (reexported !== undefined && !q.startsWith('<')) return reexported
          return normaliseModule(`${q}.${a}`)
        }))
      }
      case 'named_expression': {
        // `(s := os.system)` has the value of os.system
        const value = this.kid(n, 'value')
        return value === undefined ? [] : this.qualify(value, scope, depth + 1)
      }
      case 'conditional_expression':
      case 'boolean_operator': {
        // `a if c else b`, `a or b`: either operand may be the value
        const out: string[] = []
        for (const c of this.named(n)) out.push(...this.qualify(c, scope, depth + 1))
        return unique(out)
      }
      case 'call': {
        const fn = this.kid(n, 'function')
        if (fn === undefined) return []
        const fq = this.qualify(fn, scope, depth + 1)
        const { positional } = this.args(n)
        const out: string[] = []
        if (fq.some((q) => IMPORTERS.has(q)) && positional[0] !== undefined) {
          const mod = this.fold(positional[0], scope)
          if (mod !== null) out.push(normaliseModule(mod))
        }
        if (fq.includes('builtins.getattr') && positional.length >= 2) {
          const attr = this.fold(positional[1] as PyNode, scope)
          if (attr !== null) out.push(...this.qualify(positional[0] as PyNode, scope, depth + 1).map((q) => q === 'builtins' ? `builtins.${attr}` : `${q}.${attr}`))
        }
        // `os.__getattribute__("system")` is getattr(os, "system")
        if (fn.type === 'attribute' && ['__getattribute__', '__getattr__'].includes(this.text(this.kid(fn, 'attribute') ?? fn)) && positional[0] !== undefined) {
          const attr = this.fold(positional[0], scope)
          const target = this.kid(fn, 'object')
          if (attr !== null && target !== undefined) out.push(...this.qualify(target, scope, depth + 1).map((q) => q === 'builtins' ? `builtins.${attr}` : `${q}.${attr}`))
        }
        if (fq.includes('sys.modules.get') && positional[0] !== undefined) {
          const mod = this.fold(positional[0], scope)
          if (mod !== null) out.push(mod)
        }
        if (fq.includes('builtins.globals') || fq.includes('builtins.locals')) out.push('<globals>')
        if (fq.includes('builtins.vars')) {
          if (positional[0] === undefined) out.push('<globals>')
          else out.push(...this.qualify(positional[0], scope, depth + 1).map((q) => `${q}.__dict__`))
        }
        return unique(out)
      }
      case 'subscript': {
        const value = this.kid(n, 'value')
        const key = this.kid(n, 'subscript')
        if (value === undefined || key === undefined) return []
        const k = this.fold(key, scope)
        if (k === null) return []
        const out: string[] = []
        for (const q of this.qualify(value, scope, depth + 1)) {
          if (q === 'sys.modules') out.push(normaliseModule(k))
          else if (q === '<globals>') {
            out.push(k === '__builtins__' ? 'builtins' : `builtins.${k}`)
            const found = this.lookup(k, this.module)
            if (found !== null) for (const b of found.bindings) if (b.kind === 'import') out.push(b.qual)
          } else if (q.endsWith('.__dict__')) {
            const base = q.slice(0, -'.__dict__'.length)
            out.push(base === 'builtins' ? `builtins.${k}` : `${base}.${k}`)
          } else if (q === 'builtins') out.push(k === '__builtins__' ? 'builtins' : `builtins.${k}`)
        }
        return unique(out)
      }
      default:
        return []
    }
  }

  /** Constant folding of string expressions: literals, `+`, `"".join([...])`, `chr(n)`, names bound once. */
  private fold (node: PyNode, scope: Scope, depth = 0): string | null {
    if (depth > 24) return null
    const n = this.unwrap(node)
    switch (n.type) {
      case 'string': return this.stringValue(n)
      case 'concatenated_string': {
        let out = ''
        for (const part of this.named(n)) {
          const v = this.stringValue(part)
          if (v === null) return null
          out += v
        }
        return out
      }
      case 'binary_operator': {
        const op = this.kid(n, 'operator')
        if (op === undefined || this.text(op) !== '+') return null
        const l = this.kid(n, 'left')
        const r = this.kid(n, 'right')
        if (l === undefined || r === undefined) return null
        const a = this.fold(l, scope, depth + 1)
        const b = a === null ? null : this.fold(r, scope, depth + 1)
        return a === null || b === null ? null : a + b
      }
      case 'identifier': {
        const found = this.lookup(this.text(n), scope)
        if (found === null || found.bindings.length !== 1) return null
        const b = found.bindings[0] as Binding
        return b.kind === 'value' ? this.fold(b.expr, b.scope, depth + 1) : null
      }
      case 'call': {
        const fn = this.kid(n, 'function')
        if (fn === undefined) return null
        const { positional } = this.args(n)
        if (fn.type === 'attribute' && this.text(this.kid(fn, 'attribute') ?? fn) === 'join' && positional.length === 1) {
          const sep = this.fold(this.kid(fn, 'object') as PyNode, scope, depth + 1)
          const seq = this.unwrap(positional[0] as PyNode)
          if (sep === null || !['list', 'tuple'].includes(seq.type)) return null
          const parts = this.named(seq).map((p) => this.fold(p, scope, depth + 1))
          return parts.some((p) => p === null) ? null : parts.join(sep)
        }
        const fq = this.qualify(fn, scope)
        if (fq.includes('builtins.chr') && positional.length === 1 && this.unwrap(positional[0] as PyNode).type === 'integer') {
          const code = Number(this.text(positional[0] as PyNode))
          return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : null
        }
        if (fq.includes('builtins.str') && positional.length === 1) return this.fold(positional[0] as PyNode, scope, depth + 1)
        return null
      }
      default:
        return null
    }
  }

  /** A command for the rm/curl checks: literal parts kept, anything else as `?`. */
  private commandText (node: PyNode, scope: Scope): string {
    const n = this.unwrap(node)
    if (n.type === 'list' || n.type === 'tuple') return this.named(n).map((p) => this.commandText(p, scope)).join(' ')
    if (n.type === 'binary_operator') {
      const l = this.kid(n, 'left')
      const r = this.kid(n, 'right')
      if (l !== undefined && r !== undefined) return this.commandText(l, scope) + this.commandText(r, scope)
    }
    if (n.type === 'string' && n.children.some((c) => c.type === 'interpolation')) {
      return n.children.filter((c) => c.type === 'string_content' || c.type === 'interpolation')
        .map((c) => c.type === 'string_content' ? this.text(c) : '?').join('')
    }
    return this.fold(n, scope) ?? '?'
  }

  /** A name built at runtime: `"o" + "s"`, f-strings, `%`, `.format()`, `.join()`, `chr()`. */
  private isBuilt (node: PyNode): boolean {
    const n = this.unwrap(node)
    if (n.type === 'binary_operator' || n.type === 'concatenated_string') return true
    if (n.type === 'string') return n.children.some((c) => c.type === 'interpolation')
    if (n.type === 'call') {
      const fn = this.kid(n, 'function')
      return fn !== undefined && (fn.type === 'attribute' || ['chr', 'str', 'bytes'].includes(this.text(fn)))
    }
    return false
  }

  /** A string (literal, f-string, concatenation, or a name bound to one), not a callable. */
  private isCodeString (node: PyNode, scope: Scope): boolean {
    const n = this.unwrap(node)
    if (n.type === 'string' || n.type === 'concatenated_string' || n.type === 'binary_operator') return true
    if (n.type === 'call') {
      const fn = this.kid(n, 'function')
      const method = fn?.type === 'attribute' ? this.text(this.kid(fn, 'attribute') ?? fn) : null
      if (method === 'format' || method === 'join') return true
    }
    return this.fold(n, scope) !== null
  }

  private isLiteralCommand (node: PyNode): boolean {
    const n = this.unwrap(node)
    if (this.isPlainString(n)) return true
    return (n.type === 'list' || n.type === 'tuple') && this.named(n).every((p) => this.isPlainString(p))
  }

  // ---- pass 2: pattern rules

  rules (): void {
    this.walk(this.root, this.module)
  }

  private walk (node: PyNode, scope: Scope): void {
    if (node.type === 'identifier' || node.type === 'attribute' || node.type === 'call' || node.type === 'subscript') this.checkReference(node, scope)
    switch (node.type) {
      case 'call': this.checkCall(node, scope); break
      case 'attribute': this.checkAttribute(node, scope); break
      case 'identifier': this.checkIdentifier(node, scope); break
      case 'subscript': this.checkSubscript(node, scope); break
      case 'string': this.checkStringShape(node); break
      case 'comment': this.checkCommentShape(node); break
      case 'assignment': this.checkAssignment(node); this.checkEnvWrite(node, scope); break
      case 'keyword_argument':
      case 'default_parameter':
      case 'typed_default_parameter': this.checkNamedValue(node); break
      case 'pair': this.checkPair(node, scope); break
      case 'comparison_operator': this.checkComparison(node); break
    }
    const inner = this.scopes.get(node)
    if (inner !== undefined && node !== this.root) {
      for (const c of node.children) {
        const bodyLike = c.field === 'body' || (node.type === 'lambda' && c.field === 'parameters')
        if (c.field === 'parameters' && node.type !== 'lambda') {
          for (const p of c.children) this.walk(p, scope) // defaults are evaluated outside
        } else {
          this.walk(c, bodyLike ? inner : scope)
        }
      }
      return
    }
    for (const c of node.children) this.walk(c, scope)
  }

  /** True when the identifier names something being defined rather than read. */
  private isBindingOrName (n: PyNode): boolean {
    const p = n.parent
    if (p === null) return false
    if (p.type === 'attribute' && n.field === 'attribute') return true
    if ((p.type === 'keyword_argument' || p.type === 'default_parameter' || p.type === 'typed_default_parameter') && n.field === 'name') return true
    if ((p.type === 'function_definition' || p.type === 'class_definition') && n.field === 'name') return true
    if (['parameters', 'lambda_parameters', 'typed_parameter', 'list_splat_pattern', 'dictionary_splat_pattern',
      'dotted_name', 'aliased_import', 'global_statement', 'nonlocal_statement', 'as_pattern_target',
      'pattern_list', 'tuple_pattern', 'list_pattern', 'keyword_pattern', 'case_pattern'].includes(p.type)) return true
    if ((p.type === 'assignment' || p.type === 'augmented_assignment' || p.type === 'for_statement' || p.type === 'for_in_clause') && n.field === 'left') return true
    if (p.type === 'named_expression' && n.field === 'name') return true
    return false
  }

  private checkIdentifier (n: PyNode, scope: Scope): void {
    if (this.isBindingOrName(n)) return
    const p = n.parent
    if (p?.type === 'call' && n.field === 'function') return // the call rule reports calls
    const name = this.text(n)
    if (name === '__builtins__' && this.lookup(name, scope) === null) {
      this.issues.critical(T.dangerousAttribute, 'Reference to __builtins__ (reaches every builtin, including eval and exec)', this.line(n))
    }
  }

  /** The parent of `node` seen through parentheses, and the node (or outermost parenthesis) in its slot. */
  private context (node: PyNode): { parent: PyNode | null, slot: PyNode } {
    let slot = node
    let parent = node.parent
    while (parent !== null && parent.type === 'parenthesized_expression') {
      slot = parent
      parent = parent.parent
    }
    return { parent, slot }
  }

  private inAnnotation (node: PyNode): boolean {
    for (let p = node.parent, steps = 0; p !== null && steps < 64; p = p.parent, steps++) {
      if (p.type === 'type') return true
      if (p.type === 'block' || p.type === 'expression_statement' || p.type === 'function_definition') return false
    }
    return false
  }

  /**
   * A dangerous callable (os.system, eval, pickle.loads, ctypes.CDLL…) or a dangerous module object
   * used as a value, not called: it escapes into a container, an argument, a return value, an
   * attribute, so whatever calls it later is out of sight; it counts as using it. A plain alias
   * (`run = os.system`, `(s := os.system)`) is followed by name resolution instead, so its calls are
   * judged where they happen. Type annotations, comparisons and inspection calls
   * (`isinstance(p, subprocess.Popen)`, `hasattr(os, "fork")`) do not use the value.
   */
  private checkReference (node: PyNode, scope: Scope): void {
    if (node.type === 'identifier' && this.isBindingOrName(node)) return
    const { parent, slot } = this.context(node)
    if (parent === null) return
    if (parent.type === 'call' && slot.field === 'function') return // the call rule judges calls
    if ((parent.type === 'attribute' && slot.field === 'object') || (parent.type === 'subscript' && slot.field === 'value')) return // `os.path`, `os.system.__doc__`
    const quals = this.qualify(node, scope)
    const dangers: Array<{ q: string, type: string, what: string }> = []
    let module: string | undefined
    for (const q of quals) {
      const d = dangerOf(q)
      if (d !== null) dangers.push({ q, ...d })
      else if (DANGEROUS_MODULES.has(q)) module ??= q
    }
    if (dangers.length === 0 && module === undefined) return
    if (parent.type === 'comparison_operator' || parent.type === 'delete_statement' || this.inAnnotation(node)) return
    if (parent.type === 'argument_list' && parent.parent?.type === 'call') {
      const fn = this.kid(parent.parent, 'function')
      if (fn !== undefined && this.qualify(fn, scope).some((q) => INSPECTORS.has(q))) return
    }
    const line = this.line(node)
    const codeExec = dangers.find((d) => CODE_EXEC.has(d.q) || d.q === 'builtins.__import__')
    if (codeExec !== undefined) {
      this.issues.critical(T.dangerousFunction, `Reference to ${codeExec.q.slice(9)} outside a call (an alias or callback can run it)`, line)
      return
    }
    const isAlias = (parent.type === 'assignment' && slot.field === 'right' && this.isPlainTarget(this.kid(parent, 'left'))) ||
      (parent.type === 'named_expression' && slot.field === 'value')
    if (isAlias) return
    const first = dangers[0]
    if (first !== undefined) {
      this.issues.critical(first.type, `Reference to ${first.q.replace(/^builtins\./, '')} outside a call (it ${first.what}; a container, argument or callback can run it)`, line)
      return
    }
    // a module object: only when it is really bound here (an unbound `os` cannot be used)
    let root = node
    while (root.type === 'attribute') root = this.kid(root, 'object') ?? root
    if (root.type === 'identifier' && this.lookup(this.text(root), scope) === null) return
    this.issues.critical(T.dynamicAccess, `The ${module as string} module object escapes into an expression the analysis cannot follow`, line)
  }

  private isPlainTarget (target: PyNode | undefined): boolean {
    return target !== undefined && this.unwrap(target).type === 'identifier'
  }

  private checkCall (node: PyNode, scope: Scope): void {
    const fn = this.kid(node, 'function')
    if (fn === undefined) return
    const quals = this.qualify(fn, scope)
    const { positional, keywords, splat } = this.args(node, scope)
    const line = this.line(node)
    const first = positional[0] ?? keywords.get('args') ?? keywords.get('source') ?? keywords.get('cmd')
    let matched = false
    for (const q of quals) {
      if (CODE_EXEC.has(q)) {
        matched = true
        this.issues.critical(T.dangerousFunction, `${q.slice(9)}() runs dynamically supplied code`, line)
      } else if (q === 'builtins.__import__') {
        matched = true
        this.issues.critical(T.dangerousFunction, '__import__() imports a module chosen at runtime', line)
      } else if (IMPORTERS.has(q)) {
        matched = true
        if (first === undefined || !this.isPlainString(first)) this.issues.critical(T.dynamicImport, `${q}() with a module name built at runtime`, line)
      } else if (q === 'builtins.getattr' || q === 'builtins.setattr' || q === 'builtins.delattr') {
        matched = true
        this.checkReflection(q.slice(9), positional, scope, line)
      } else if (ALWAYS_SHELL.has(q) || /^os\.(exec|spawn|posix_spawn)/.test(q)) {
        matched = true
        this.issues.critical(T.commandExecution, `${q}() runs an operating-system command`, line)
        if (first !== undefined) this.checkCommandText(this.commandText(first, scope), line)
      } else if (SUBPROCESS.has(q)) {
        matched = true
        this.checkSubprocess(q, first, keywords, splat, scope, line)
      } else if (DESERIALIZE.has(q)) {
        matched = true
        this.issues.critical(T.insecureDeserialization, `${q}() deserialises data that can run code`, line)
      } else if (q === 'yaml.load' || q === 'yaml.load_all') {
        matched = true
        this.checkYaml(q, positional, keywords, scope, line)
      } else if (q === 'yaml.unsafe_load' || q === 'yaml.unsafe_load_all') {
        matched = true
        this.issues.critical(T.insecureDeserialization, `${q}() constructs arbitrary Python objects`, line)
      } else if (q === 'yaml.full_load' || q === 'yaml.full_load_all') {
        matched = true
        this.issues.warning(T.insecureDeserialization, `${q}() uses FullLoader; prefer yaml.safe_load`, line)
      } else if (q === 'numpy.load' && keywords.has('allow_pickle') && !['false', 'none'].includes(this.unwrap(keywords.get('allow_pickle') as PyNode).type)) {
        matched = true
        this.issues.critical(T.insecureDeserialization, 'numpy.load() with allow_pickle=True unpickles arbitrary objects', line)
      } else if (PICKLE_BASED.has(q)) {
        matched = true
        const weightsOnly = keywords.get('weights_only')
        if (q === 'torch.load' && weightsOnly !== undefined && this.unwrap(weightsOnly).type === 'true') continue
        this.issues.add('CRITICAL', T.insecureDeserialization, `${q}() unpickles its input (objects that run code)`, line, 'deserialize')
      } else if (q === 'shutil.rmtree') {
        matched = true
        this.issues.critical(T.recursiveDeletion, 'shutil.rmtree() deletes a directory tree', line)
      } else if (q === 'hashlib.md5' || q === 'hashlib.sha1' || (q === 'hashlib.new' && first !== undefined && /^(md5|sha1)$/i.test(this.fold(first, scope) ?? ''))) {
        matched = true
        if (this.inPasswordContext(node)) this.issues.critical(T.weakCrypto, `${q === 'hashlib.new' ? 'hashlib.new(md5/sha1)' : q}() used to hash a password`, line)
      } else if (q.startsWith('random.') && RANDOM_FUNCS.has(q.slice(7))) {
        matched = true
        if (this.inTokenContext(node)) this.issues.critical(T.weakRandom, `${q}() (not cryptographically secure) used for a secret value; use the secrets module`, line)
      } else if (EXPRESSION_EVALUATORS.has(q)) {
        matched = true
        if (first !== undefined && !this.isPlainString(first)) this.issues.critical(T.dangerousFunction, `${q}() evaluates an expression string that is not a literal`, line)
      } else if (CODE_RUNNERS.has(q)) {
        matched = true
        this.issues.critical(T.dangerousFunction, `${q.replace(/^builtins\./, '')}() compiles or runs Python code`, line)
      } else if (STRING_STATEMENT_RUNNERS.has(q)) {
        matched = true
        const stmt = positional[0] ?? keywords.get('stmt')
        const setup = positional[1] ?? keywords.get('setup')
        if ([stmt, setup].some((a) => a !== undefined && this.isCodeString(a, scope))) this.issues.critical(T.dangerousFunction, `${q}() runs a statement given as a string`, line)
      } else if (FILE_IMPORTERS.has(q)) {
        matched = true
        this.issues.critical(T.dynamicImport, `${q}() loads a module from a file path`, line)
      } else if (isNative(q)) {
        matched = true
        this.issues.add('CRITICAL', T.commandExecution, `${q}() reaches native code (a loaded library or raw memory can run anything)`, line, 'native')
      } else {
        matched = this.checkCapability(q, node, positional, keywords, scope, line) || matched
      }
    }
    if (fn.type === 'attribute') this.checkMethodCapability(fn, positional, keywords, scope, line)
    if (fn.type === 'attribute' && ['__getattribute__', '__getattr__'].includes(this.text(this.kid(fn, 'attribute') ?? fn)) && positional[0] !== undefined && this.fold(positional[0], scope) === null) {
      const target = this.kid(fn, 'object')
      if (target !== undefined && this.qualify(target, scope).some(isSensitive)) this.issues.critical(T.dynamicAccess, '__getattribute__() with a name computed at runtime on a sensitive module', line)
    }
    if (matched || fn.type !== 'attribute') return
    const method = this.text(this.kid(fn, 'attribute') ?? fn)
    if (method === 'eval' && first !== undefined && !this.isPlainString(first)) {
      // `df.eval(expr)` / `frame.query`-style evaluators run expression strings; `model.eval()`
      // (PyTorch: switch to inference mode) takes no argument and is harmless.
      this.issues.critical(T.dangerousFunction, '.eval() evaluates an expression string that is not a literal', line)
    } else if (SQL_METHODS.has(method) && positional[0] !== undefined && this.isBuilt(positional[0]) && !this.isPlainString(positional[0])) {
      this.issues.warning(T.sqlInjection, `.${method}() receives SQL text built from data; use query parameters`, line)
    }
  }

  /**
   * The capability a resolved callee uses (capability-names.ts), with the reach of a file path,
   * the mode of open(), and exfiltration when a network call carries environment values, cookies
   * or a secret file. Returns false: it never hides the method rules (`.eval()`, SQL).
   */
  private checkCapability (q: string, node: PyNode, positional: PyNode[], keywords: Map<string, PyNode>, scope: Scope, line: number): boolean {
    const keyAt = Object.hasOwn(KEY_ARGUMENTS, q) ? KEY_ARGUMENTS[q] as number : -1
    const key = keyAt < 0 ? undefined : positional[keyAt] ?? keywords.get('key')
    if (key !== undefined && this.isPlainString(key) && classifySecretValue(this.fold(key, scope) ?? '') === 'secret') {
      this.issues.critical(T.hardcodedSecret, `${q}() with a hard-coded key`, line)
    }
    if (q === 'builtins.open' || q === 'io.open' || q === 'codecs.open' || q === 'os.open') {
      const modeNode = positional[1] ?? keywords.get('mode') ?? keywords.get('flags')
      const mode = modeNode === undefined ? 'r' : this.fold(modeNode, scope) ?? (q === 'os.open' ? this.text(modeNode) : 'w')
      const writes = q === 'os.open' ? /WRONLY|RDWR|CREAT|APPEND|TRUNC/.test(mode) : /[wax+]/.test(mode)
      const reach = pathReach(this.pathText(positional[0] ?? keywords.get('file'), scope))
      this.issues.use(writes ? 'fs.write' : 'fs.read', `${q.replace(/^builtins\./, '')}() ${writes ? 'writes' : 'reads'} ${reach === 'system' ? 'a system or secret path' : 'a file'}`, line, reach)
      return false
    }
    if (q === 'os.putenv' || q === 'os.environ.update' || q === 'os.environ.setdefault' || q === 'os.environ.__setitem__') {
      const keys = q === 'os.environ.update' ? [...(this.dictLiteral(positional[0], scope)?.keys() ?? ['?']), ...keywords.keys()] : [positional[0] === undefined ? '?' : this.fold(positional[0], scope) ?? '?']
      this.checkEnvKeys(keys, line)
      return false
    }
    if (/^importlib\._bootstrap|BuiltinImporter|FrozenImporter|\.load_module$/.test(q)) {
      this.issues.critical(T.dynamicImport, `${q}() loads a module below the import system (its use cannot be followed)`, line)
      return false
    }
    if ((q === 'ruamel.yaml.YAML' && /^(unsafe|full)$/.test(this.fold(keywords.get('typ') ?? positional[0] ?? node, scope) ?? '')) || q === 'ruamel.yaml.load' || q === 'ruamel.yaml.unsafe_load') {
      this.issues.add('CRITICAL', T.insecureDeserialization, `${q}() with the unsafe loader constructs arbitrary objects`, line, 'deserialize')
      return false
    }
    const cap = pyCapabilityOf(q)
    if (cap === null) return false
    if (cap.capability.startsWith('fs.')) {
      const reach = pathReach(this.pathText(positional[cap.pathArg ?? 0] ?? keywords.get('path') ?? keywords.get('dst'), scope))
      this.issues.use(cap.capability, `${q}() ${reach === 'system' ? 'on a system or secret path' : 'on a file'}`, line, reach)
      return false
    }
    this.issues.use(cap.capability, `${q}() uses ${cap.capability}`, line)
    if (cap.capability === 'net') this.checkExfiltration(q, [...positional, ...keywords.values()], scope, line, keywords.get('headers'))
    return false
  }

  /** Method names that use a capability on any receiver, archive extraction, `app.run(debug=True)`, pathlib file methods. */
  private checkMethodCapability (fn: PyNode, positional: PyNode[], keywords: Map<string, PyNode>, scope: Scope, line: number): void {
    const method = this.text(this.kid(fn, 'attribute') ?? fn)
    const receiver = this.kid(fn, 'object')
    const byName: Capability | undefined = Object.hasOwn(PY_METHODS, method) ? PY_METHODS[method] : undefined
    if (byName !== undefined) {
      if (byName === 'code') this.issues.critical(T.dynamicImport, `.${method}() loads a module outside the import statement`, line)
      else this.issues.use(byName, `.${method}() uses ${byName}`, line)
      return
    }
    if (['send', 'sendall', 'sendto', 'write'].includes(method) && receiver !== undefined && this.isNetObject(receiver, scope)) {
      this.checkExfiltration(`.${method}`, positional, scope, line)
    }
    if (method === 'run' && keywords.has('debug') && this.unwrap(keywords.get('debug') as PyNode).type === 'true') {
      this.issues.use('debug', '.run(debug=True) serves an interactive debugger (a console that runs code)', line)
      return
    }
    if (method === 'extractall' || method === 'extract') {
      const target = method === 'extractall' ? positional[0] ?? keywords.get('path') : positional[1] ?? keywords.get('path')
      const reach = pathReach(target === undefined ? '.' : this.pathText(target, scope))
      this.issues.use('fs.write', `.${method}() writes the archive's files ${reach === 'system' ? 'over a system path' : 'to disk'}`, line, reach)
      return
    }
    if (receiver === undefined || !PATH_METHODS.has(method)) return
    const path = this.pathText(receiver, scope, 0, true)
    if (path === null) return // not a pathlib path
    const capability: Capability = method.startsWith('read') ? 'fs.read' : method === 'unlink' || method === 'rmdir' ? 'fs.delete' : 'fs.write'
    const reach = pathReach(path === '' ? null : path)
    this.issues.use(capability, `Path.${method}() ${reach === 'system' ? 'on a system or secret path' : 'on a file'}`, line, reach)
  }

  /** A name bound to what a network call returned (a socket, a connection). */
  private isNetObject (node: PyNode, scope: Scope): boolean {
    const n = this.unwrap(node)
    if (n.type !== 'identifier') return false
    return (this.lookup(this.text(n), scope)?.bindings ?? []).some((b) => {
      if (b.kind !== 'value' || this.unwrap(b.expr).type !== 'call') return false
      const fn = this.kid(this.unwrap(b.expr), 'function')
      return fn !== undefined && this.qualify(fn, b.scope).some((q) => pyCapabilityOf(q)?.capability === 'net')
    })
  }

  /** `os.environ["LD_PRELOAD"] = …`: programs started later load code from the variable. */
  private checkEnvWrite (node: PyNode, scope: Scope): void {
    const left = this.kid(node, 'left')
    if (left?.type !== 'subscript') return
    const value = this.kid(left, 'value')
    const key = this.kid(left, 'subscript')
    if (value === undefined || key === undefined || !this.qualify(value, scope).includes('os.environ')) return
    this.checkEnvKeys([this.fold(key, scope) ?? '?'], this.line(node))
  }

  private checkEnvKeys (keys: Iterable<string>, line: number): void {
    for (const k of keys) {
      if (LOADER_ENV.has(k)) this.issues.critical(T.dangerousFunction, `Environment variable ${k} set: programs started later load code from it`, line)
      else if (k === '?') this.issues.critical(T.dynamicAccess, 'Environment written under a runtime name (LD_PRELOAD, PYTHONPATH…)', line)
    }
  }

  /** A network call that carries environment values, cookies or a secret file sends them away. */
  private checkExfiltration (q: string, args: PyNode[], scope: Scope, line: number, headers?: PyNode): void {
    for (const a of args) {
      const source = this.secretSource(a, scope, 0, a === headers)
      if (source !== null) {
        this.issues.critical(T.exfiltration, `${q}() sends ${source} to the network`, line)
        return
      }
    }
  }

  /**
   * What secret `node` carries: environment values, cookies, a secret file. In `headers=`, one
   * named variable (`os.environ["API_TOKEN"]` as a bearer token) is authentication, not
   * exfiltration; the whole environment still is.
   */
  private secretSource (node: PyNode, scope: Scope, depth: number, inHeaders = false): string | null {
    if (depth > 6) return null
    let found: string | null = null
    let budget = 2000
    const visit = (n: PyNode, headers: boolean): void => {
      if (found !== null || budget-- <= 0) return
      if (n.type === 'keyword_argument' && this.text(this.kid(n, 'name') ?? n) === 'headers') {
        const v = this.kid(n, 'value')
        if (v !== undefined) visit(v, true)
        return
      }
      if (headers && this.isOneEnvVariable(n, scope)) return
      if (n.type === 'identifier' || n.type === 'attribute') {
        const quals = this.qualify(n, scope)
        if (quals.some((q) => q === 'os.environ' || q === 'os.environb' || q === 'os.getenv' || q.startsWith('os.environ.'))) { found = 'environment values'; return }
        if (n.type === 'attribute' && ['cookies', 'COOKIES'].includes(this.text(this.kid(n, 'attribute') ?? n))) { found = 'cookies'; return }
        if (n.type === 'identifier') {
          for (const b of this.lookup(this.text(n), scope)?.bindings ?? []) {
            if ((b.kind === 'value' || b.kind === 'unpack') && found === null) found = this.secretSource(b.expr, b.scope, depth + 1, headers)
          }
          return
        }
      }
      if (n.type === 'call') {
        const fn = this.kid(n, 'function')
        const quals = fn === undefined ? [] : this.qualify(fn, scope)
        const first = this.args(n).positional[0]
        if (quals.some((q) => q === 'builtins.open' || q === 'io.open') && pathReach(this.pathText(first, scope)) === 'system') { found = 'a secret or system file'; return }
        if (fn?.type === 'attribute' && /^read/.test(this.text(this.kid(fn, 'attribute') ?? fn))) {
          const recv = this.kid(fn, 'object')
          const p = recv === undefined ? null : this.pathText(recv, scope, 0, true)
          if (p !== null && p !== '' && pathReach(p) === 'system') { found = 'a secret or system file'; return }
        }
      }
      if (n.type === 'lambda' || n.type === 'function_definition') return
      for (const c of n.children) visit(c, headers)
    }
    visit(node, inHeaders)
    return found
  }

  /** `os.environ["X"]`, `os.environ.get("X")`, `os.getenv("X")`: one named variable. */
  private isOneEnvVariable (node: PyNode, scope: Scope): boolean {
    const n = this.unwrap(node)
    if (n.type === 'subscript') {
      const v = this.kid(n, 'value')
      return v !== undefined && this.qualify(v, scope).includes('os.environ')
    }
    if (n.type === 'call') {
      const fn = this.kid(n, 'function')
      return fn !== undefined && this.qualify(fn, scope).some((q) => q === 'os.getenv' || q === 'os.environ.get')
    }
    return false
  }

  /**
   * The literal text of a path, or its literal start: f-string heads, `+`, os.path.join,
   * expanduser, pathlib's `/`, `Path.home()` (`~/`), tempfile (`$tmp/`). With `pathOnly`, only
   * pathlib expressions answer (`''` when the path itself is unknown), anything else is null.
   */
  private pathText (node: PyNode | undefined, scope: Scope, depth = 0, pathOnly = false): string | null {
    if (node === undefined || depth > 8) return null
    const n = this.unwrap(node)
    if (!pathOnly) {
      const folded = this.fold(n, scope)
      if (folded !== null) return folded
    }
    switch (n.type) {
      case 'string': {
        if (pathOnly) return null
        let head = ''
        for (const c of n.children) {
          if (c.type === 'interpolation') break
          if (c.type === 'string_content') head += this.text(c)
        }
        return head === '' ? null : head
      }
      case 'binary_operator': {
        const op = n.children.find((c) => c.field === 'operator')
        const left = this.kid(n, 'left')
        const right = this.kid(n, 'right')
        if (op !== undefined && this.text(op) === '/') {
          const l = this.pathText(left, scope, depth + 1, true)
          if (l === null) return null
          const r = this.pathText(right, scope, depth + 1)
          return `${l === '' ? '*' : l}/${r ?? '*'}`
        }
        return pathOnly ? null : this.pathText(left, scope, depth + 1)
      }
      case 'identifier': {
        const b = this.lookup(this.text(n), scope)?.bindings
        if (b === undefined || b.length !== 1) return null
        const only = b[0] as Binding
        if (only.kind === 'value') return this.pathText(only.expr, only.scope, depth + 1, pathOnly)
        // `with tempfile.TemporaryDirectory() as d`: d is the temp dir
        if (only.kind === 'unpack' && !pathOnly) return this.pathText(only.expr, only.scope, depth + 1) === '$tmp/' ? '$tmp/' : null
        return null
      }
      case 'call': {
        const fn = this.kid(n, 'function')
        const quals = fn === undefined ? [] : this.qualify(fn, scope)
        const args = this.args(n).positional
        if (quals.some((q) => /^pathlib\.(Path|PurePath|PosixPath|WindowsPath)\.home$/.test(q))) return '~/'
        if (quals.some((q) => /^pathlib\.(Path|PurePath|PosixPath|WindowsPath)$/.test(q))) return args[0] === undefined ? '' : this.pathText(args[0], scope, depth + 1) ?? ''
        if (pathOnly) return null
        if (quals.some((q) => q.startsWith('tempfile.'))) return '$tmp/'
        if (quals.includes('os.path.expanduser') || quals.includes('os.path.abspath') || quals.includes('os.path.realpath')) return this.pathText(args[0], scope, depth + 1)
        if (quals.includes('os.path.join')) {
          const parts = args.map((a) => this.pathText(a, scope, depth + 1))
          return parts[0] === null || parts[0] === undefined ? null : parts.map((p) => p ?? '*').join('/').replaceAll('//', '/')
        }
        return null
      }
      default:
        return null
    }
  }

  /**
   * getattr/setattr/delattr: a literal name is resolved like an attribute; a name folded from
   * constants (`"sys" + "tem"`) is obfuscation (CRITICAL); a runtime name on a sensitive module is
   * CRITICAL; a runtime name elsewhere (`getattr(self, "on_" + event)`, dispatch) is a WARNING.
   */
  private checkReflection (name: string, positional: PyNode[], scope: Scope, line: number): void {
    const target = positional[0]
    const attr = positional[1]
    if (target === undefined || attr === undefined) return
    const folded = this.fold(attr, scope)
    if (folded !== null) {
      if (CRITICAL_DUNDERS.has(folded) || folded === '__class__' || folded === '__dict__') {
        this.issues.critical(T.dangerousAttribute, `${name}() reaches the ${folded} attribute`, line)
      } else if (this.isBuilt(attr)) {
        this.issues.critical(T.dynamicAccess, `${name}() with an attribute name assembled from pieces (obfuscation)`, line)
      }
      return
    }
    if (this.qualify(target, scope).some(isSensitive)) {
      this.issues.critical(T.dynamicAccess, `${name}() with an attribute name computed at runtime on a sensitive module`, line)
    } else {
      this.issues.warning(T.dynamicAccess, `${name}() with an attribute name computed at runtime`, line)
    }
  }

  private checkSubprocess (q: string, cmd: PyNode | undefined, keywords: Map<string, PyNode>, splat: boolean, scope: Scope, line: number): void {
    const shell = keywords.get('shell')
    const shellOn = shell !== undefined && !['false', 'none'].includes(this.unwrap(shell).type) && this.text(shell) !== '0'
    if (shellOn) this.issues.critical(T.commandInjection, `${q}() with shell=True runs its command through the shell`, line)
    if (cmd === undefined) {
      if (!shellOn) this.issues.critical(T.commandInjection, `${q}() with a command that is not visible in the call${splat ? ' (unpacked arguments)' : ''}`, line)
      return
    }
    if (!this.isLiteralCommand(cmd)) {
      if (!shellOn) this.issues.critical(T.commandInjection, `${q}() with a command built from non-literal data`, line)
    } else if (!shellOn) {
      this.issues.use('process', `${q}() starts a program`, line)
    }
    this.checkCommandText(this.commandText(cmd, scope), line)
  }

  private checkCommandText (command: string, line: number): void {
    if (isRecursiveRm(command)) this.issues.critical(T.recursiveDeletion, 'Shell command deletes recursively (rm -r)', line)
    if (isDownloadAndRun(command)) this.issues.critical(T.remoteCodeExecution, 'Command downloads content and passes it to an interpreter', line)
  }

  private checkYaml (q: string, positional: PyNode[], keywords: Map<string, PyNode>, scope: Scope, line: number): void {
    const loader = keywords.get('Loader') ?? positional[1]
    if (loader === undefined) {
      this.issues.critical(T.insecureDeserialization, `${q}() without a safe Loader constructs arbitrary objects`, line)
      return
    }
    const names = [...this.qualify(loader, scope), this.text(loader)]
    if (names.some((x) => /(^|\.)(C?SafeLoader|BaseLoader)$/.test(x))) return
    if (names.some((x) => /(^|\.)C?FullLoader$/.test(x))) {
      this.issues.warning(T.insecureDeserialization, `${q}() with FullLoader; prefer SafeLoader`, line)
      return
    }
    this.issues.critical(T.insecureDeserialization, `${q}() with an unsafe Loader constructs arbitrary objects`, line)
  }

  private checkAttribute (node: PyNode, scope: Scope): void {
    const attrNode = this.kid(node, 'attribute')
    const obj = this.kid(node, 'object')
    if (attrNode === undefined || obj === undefined) return
    const attr = this.text(attrNode)
    const line = this.line(node)
    if (attr === 'environ' && this.qualify(node, scope).includes('os.environ')) this.issues.use('env', 'reads the process environment', line)
    if (CRITICAL_DUNDERS.has(attr)) {
      this.issues.critical(T.dangerousAttribute, `Access to ${attr} (sandbox escape / introspection primitive)`, line)
    } else if (attr === '__class__') {
      const parent = node.parent
      const next = parent?.type === 'attribute' && node.field === 'object' ? this.text(this.kid(parent, 'attribute') ?? parent) : null
      const onLiteral = LITERAL_TYPES.has(obj.type)
      if (onLiteral || (next !== null && next.startsWith('__') && !HARMLESS_AFTER_CLASS.has(next))) {
        this.issues.critical(T.dangerousAttribute, 'Access to __class__ used to walk the object graph', line)
      } else {
        this.issues.warning(T.dangerousAttribute, 'Access to __class__', line)
      }
    } else if (attr === '__dict__') {
      if (this.qualify(obj, scope).some(isSensitive)) {
        this.issues.critical(T.dangerousAttribute, 'Access to the __dict__ of a sensitive module', line)
      }
    }
  }

  private checkSubscript (node: PyNode, scope: Scope): void {
    const value = this.kid(node, 'value')
    const key = this.kid(node, 'subscript')
    if (value === undefined || key === undefined) return
    const literal = this.fold(key, scope)
    if (literal !== null) {
      if (CRITICAL_DUNDERS.has(literal)) this.issues.critical(T.dangerousAttribute, `Lookup of ${literal} by name`, this.line(node))
      return
    }
    const quals = this.qualify(value, scope)
    if (quals.some((q) => q === '<globals>' || q === 'builtins' || q === 'sys.modules' || (q.endsWith('.__dict__') && isSensitive(q.slice(0, -'.__dict__'.length))))) {
      this.issues.critical(T.dynamicAccess, 'Lookup in globals()/__builtins__/sys.modules with a key computed at runtime', this.line(node))
    }
  }

  // ---- secrets

  private checkStringShape (node: PyNode): void {
    const label = secretShape(this.text(node))
    if (label !== null) this.issues.critical(T.hardcodedSecret, `String literal contains ${label}`, this.line(node))
  }

  private checkCommentShape (node: PyNode): void {
    const label = secretShape(this.text(node))
    if (label !== null) this.issues.critical(T.hardcodedSecret, `Comment contains ${label}`, this.line(node))
  }

  private secretAssigned (name: string, value: PyNode | undefined, line: number, what: string): void {
    if (value === undefined || !isSecretName(name)) return
    const v = this.unwrap(value)
    const literal = v.type === 'string' ? this.stringValue(v) : null
    if (literal === null || secretShape(literal) !== null) return
    const kind = classifySecretValue(literal)
    if (kind === 'secret') this.issues.critical(T.hardcodedSecret, `Hard-coded credential in ${what} '${name}'`, line)
    else if (kind === 'placeholder') this.issues.warning(T.hardcodedSecret, `Placeholder credential in ${what} '${name}'`, line)
  }

  private targetName (target: PyNode): string | null {
    const t = this.unwrap(target)
    if (t.type === 'identifier') return this.text(t)
    if (t.type === 'attribute') return this.text(this.kid(t, 'attribute') ?? t)
    if (t.type === 'subscript') {
      const key = this.kid(t, 'subscript')
      if (key !== undefined && key.type === 'string') return this.stringValue(key)
    }
    return null
  }

  private checkAssignment (node: PyNode): void {
    const left = this.kid(node, 'left')
    let right = this.kid(node, 'right')
    while (right?.type === 'assignment') right = this.kid(right, 'right')
    if (left === undefined) return
    const name = this.targetName(left)
    if (name !== null) this.secretAssigned(name, right, this.line(node), 'variable')
  }

  private checkNamedValue (node: PyNode): void {
    const name = this.kid(node, 'name')
    if (name === undefined) return
    this.secretAssigned(this.text(name), this.kid(node, 'value'), this.line(node), node.type === 'keyword_argument' ? 'argument' : 'parameter default')
  }

  private checkPair (node: PyNode, scope: Scope): void {
    const key = this.kid(node, 'key')
    if (key === undefined) return
    const name = this.fold(key, scope)
    if (name !== null) this.secretAssigned(name, this.kid(node, 'value'), this.line(node), 'dictionary key')
  }

  private checkComparison (node: PyNode): void {
    const operands = this.named(node)
    if (operands.length !== 2) return
    const [a, b] = operands as [PyNode, PyNode]
    for (const [nameSide, valueSide] of [[a, b], [b, a]] as Array<[PyNode, PyNode]>) {
      const name = this.targetName(nameSide)
      if (name === null || !isCredentialName(name)) continue
      const literal = this.unwrap(valueSide).type === 'string' ? this.stringValue(this.unwrap(valueSide)) : null
      if (literal !== null && classifySecretValue(literal) === 'secret') {
        this.issues.critical(T.hardcodedSecret, `'${name}' compared with a hard-coded credential`, this.line(node))
        return
      }
    }
  }

  // ---- contexts for weak crypto / weak randomness

  /** The names a value flows into: assignment target, keyword, dict key, enclosing function name. */
  private receivingNames (node: PyNode): string[] {
    const names: string[] = []
    let cur: PyNode = node
    for (let p = node.parent; p !== null; cur = p, p = p.parent) {
      if (p.type === 'assignment' && cur.field === 'right') {
        const left = this.kid(p, 'left')
        const name = left === undefined ? null : this.targetName(left)
        if (name !== null) names.push(name)
      } else if (p.type === 'keyword_argument' && cur.field === 'value') {
        names.push(this.text(this.kid(p, 'name') ?? p))
      } else if (p.type === 'pair' && cur.field === 'value') {
        const key = this.kid(p, 'key')
        if (key !== undefined && key.type === 'string') names.push(this.stringValue(key) ?? '')
      } else if (p.type === 'function_definition') {
        names.push(this.text(this.kid(p, 'name') ?? p))
        break
      }
    }
    return names
  }

  private inPasswordContext (call: PyNode): boolean {
    const args = this.kid(call, 'arguments')
    if (args !== undefined && this.mentionsName(args, isPasswordName)) return true
    return this.receivingNames(call).some(isPasswordName)
  }

  private inTokenContext (call: PyNode): boolean {
    return this.receivingNames(call).some(isTokenName)
  }

  private mentionsName (node: PyNode, test: (name: string) => boolean): boolean {
    if (node.type === 'identifier' && test(this.text(node))) return true
    return node.children.some((c) => this.mentionsName(c, test))
  }

  // ---- pass 3: taint

  private store = new TaintStore()

  private key (name: string, scope: Scope): string {
    const found = this.lookup(name, scope)
    return `${(found?.scope ?? this.module).id}:${name}`
  }

  /** Returns false when the fixpoint was not reached (the caller fails closed). */
  taint (): boolean {
    const flows: Array<{ node: PyNode, scope: Scope }> = []
    const calls: Array<{ node: PyNode, scope: Scope }> = []
    const gather = (node: PyNode, scope: Scope): void => {
      if (['assignment', 'augmented_assignment', 'named_expression', 'for_statement', 'for_in_clause', 'as_pattern', 'return_statement', 'yield'].includes(node.type)) flows.push({ node, scope })
      if (node.type === 'call') calls.push({ node, scope })
      const inner = this.scopes.get(node)
      for (const c of node.children) gather(c, inner !== undefined && node !== this.root && (c.field === 'body' || (node.type === 'lambda' && c.field === 'parameters')) ? inner : scope)
    }
    gather(this.root, this.module)
    const settled = runToFixpoint(this.store, () => {
      for (const f of flows) this.flow(f.node, f.scope)
      for (const c of calls) this.callFlow(c.node, c.scope)
    })
    if (!settled) return false
    for (const c of calls) this.checkSink(c.node, c.scope)
    return true
  }

  private taintTarget (target: PyNode, scope: Scope, source: TaintSource | null): void {
    if (source === null) return
    const t = this.unwrap(target)
    if (t.type === 'identifier') this.store.set(this.key(this.text(t), scope), source)
    else if (t.type === 'attribute') this.store.set(`attr:${this.text(t).replace(/\s+/g, '')}`, source)
    else if (t.type === 'subscript') {
      const base = this.kid(t, 'value')
      if (base !== undefined) this.taintTarget(base, scope, source)
    } else {
      for (const c of this.named(t)) this.taintTarget(c, scope, source)
    }
  }

  private flow (node: PyNode, scope: Scope): void {
    switch (node.type) {
      case 'assignment':
      case 'augmented_assignment': {
        const left = this.kid(node, 'left')
        let right = this.kid(node, 'right')
        const targets = left === undefined ? [] : [left]
        while (right?.type === 'assignment') {
          const l = this.kid(right, 'left')
          if (l !== undefined) targets.push(l)
          right = this.kid(right, 'right')
        }
        if (right === undefined) return
        const src = this.tainted(right, scope)
        for (const t of targets) this.taintTarget(t, scope, src)
        return
      }
      case 'named_expression': {
        const name = this.kid(node, 'name')
        const value = this.kid(node, 'value')
        if (name !== undefined && value !== undefined) this.taintTarget(name, scope, this.tainted(value, scope))
        return
      }
      case 'for_statement':
      case 'for_in_clause': {
        const left = this.kid(node, 'left')
        const right = this.kid(node, 'right')
        if (left !== undefined && right !== undefined) this.taintTarget(left, scope, this.tainted(right, scope))
        return
      }
      case 'as_pattern': {
        const alias = this.kid(node, 'alias')
        const value = this.named(node)[0]
        if (alias !== undefined && value !== undefined && node.parent?.type !== 'except_clause') this.taintTarget(alias, scope, this.tainted(value, scope))
        return
      }
      case 'return_statement':
      case 'yield': {
        const fn = this.enclosingFunction(scope)
        const value = this.named(node)[0]
        if (fn !== null && value !== undefined) this.store.set(`ret:${fn.id}`, this.tainted(value, scope))
      }
    }
  }

  /** The function defined in the snippet that a call reaches, if any. */
  private localFunction (fn: PyNode, scope: Scope): FunctionInfo | null {
    const f = this.unwrap(fn)
    if (f.type === 'identifier') {
      const found = this.lookup(this.text(f), scope)
      const def = found?.bindings.find((b) => b.kind === 'def')
      if (def !== undefined && def.kind === 'def') return this.functions.get(def.node) ?? null
      const val = found?.bindings.find((b) => b.kind === 'value')
      if (val !== undefined && val.kind === 'value' && this.unwrap(val.expr).type === 'lambda') return this.functions.get(this.unwrap(val.expr)) ?? null
      return null
    }
    if (f.type === 'attribute') {
      const obj = this.kid(f, 'object')
      const attr = this.kid(f, 'attribute')
      if (obj === undefined || attr === undefined || !['self', 'cls'].includes(this.text(obj))) return null
      let s: Scope | null = scope
      while (s !== null && s.kind !== 'class') s = s.parent
      const def = s?.bindings.get(this.text(attr))?.find((b) => b.kind === 'def')
      if (def !== undefined && def.kind === 'def') return this.functions.get(def.node) ?? null
    }
    return null
  }

  private callFlow (node: PyNode, scope: Scope): void {
    const fn = this.kid(node, 'function')
    if (fn === undefined) return
    const info = this.localFunction(fn, scope)
    if (info === null) return
    const { positional, keywords } = this.args(node)
    const params = info.isMethod && this.unwrap(fn).type === 'attribute' ? info.params.slice(1) : info.params
    positional.forEach((arg, i) => {
      const src = this.tainted(arg, scope)
      if (src === null) return
      const param = params[i] ?? params.find((p) => p.startsWith('*') && !p.startsWith('**'))
      if (param !== undefined) this.store.set(`${info.scope.id}:${param.replace(/^\*+/, '')}`, src)
    })
    for (const [name, arg] of keywords) {
      const src = this.tainted(arg, scope)
      if (src === null) continue
      const param = params.includes(name) ? name : params.find((p) => p.startsWith('**'))
      if (param !== undefined) this.store.set(`${info.scope.id}:${param.replace(/^\*+/, '')}`, src)
    }
  }

  /** The taint source reaching `node`, or null when its value cannot carry user input. */
  private tainted (node: PyNode, scope: Scope, depth = 0): TaintSource | null {
    if (depth > MAX_PY_DEPTH) return null
    const n = node
    switch (n.type) {
      case 'identifier': return this.store.get(this.key(this.text(n), scope)) ?? null
      case 'string':
      case 'concatenated_string':
      case 'list':
      case 'tuple':
      case 'set':
      case 'dictionary':
      case 'pair':
      case 'binary_operator':
      case 'boolean_operator':
      case 'conditional_expression':
      case 'parenthesized_expression':
      case 'interpolation':
      case 'list_splat':
      case 'dictionary_splat':
      case 'await':
      case 'list_comprehension':
      case 'set_comprehension':
      case 'dictionary_comprehension':
      case 'generator_expression':
      case 'for_in_clause':
      case 'expression_list':
      case 'format_expression':
        break
      case 'comparison_operator':
      case 'not_operator':
      case 'lambda':
      case 'integer':
      case 'float':
      case 'true':
      case 'false':
      case 'none':
        return null
      case 'attribute': {
        const src = this.attributeSource(n, scope)
        if (src !== null) return src
        const stored = this.store.get(`attr:${this.text(n).replace(/\s+/g, '')}`)
        if (stored !== undefined) return stored
        const obj = this.kid(n, 'object')
        return obj === undefined ? null : this.tainted(obj, scope, depth + 1)
      }
      case 'subscript': {
        const value = this.kid(n, 'value')
        return value === undefined ? null : this.tainted(value, scope, depth + 1)
      }
      case 'call': return this.callTaint(n, scope, depth)
      default:
        break
    }
    for (const c of this.named(n)) {
      if (c.type === 'for_in_clause') {
        const right = this.kid(c, 'right')
        const src = right === undefined ? null : this.tainted(right, scope, depth + 1)
        if (src !== null) return src
        continue
      }
      const src = this.tainted(c, scope, depth + 1)
      if (src !== null) return src
    }
    return null
  }

  private attributeSource (n: PyNode, scope: Scope): TaintSource | null {
    const quals = this.qualify(n, scope)
    for (const q of quals) {
      if (q === 'sys.argv') return 'sys.argv'
      if (q === 'os.environ') return 'os.environ'
      if (q.startsWith('sys.stdin')) return 'sys.stdin'
    }
    const obj = this.kid(n, 'object')
    const attr = this.kid(n, 'attribute')
    if (obj === undefined || attr === undefined) return null
    const a = this.text(attr)
    if (!REQUEST_ATTRS.has(a)) return null
    const o = this.unwrap(obj)
    const isRequest = (o.type === 'identifier' && /^(request|req)$/.test(this.text(o))) ||
      (o.type === 'attribute' && this.text(this.kid(o, 'attribute') ?? o) === 'request') ||
      this.qualify(o, scope).some((q) => q.endsWith('.request'))
    return isRequest ? `request.${a}` : null
  }

  private callTaint (n: PyNode, scope: Scope, depth: number): TaintSource | null {
    const fn = this.kid(n, 'function')
    if (fn === undefined) return null
    const info = this.localFunction(fn, scope)
    if (info !== null) return this.store.get(`ret:${info.scope.id}`) ?? null
    const quals = this.qualify(fn, scope)
    if (quals.some((q) => q === 'builtins.input' || q === 'builtins.raw_input')) return 'input()'
    if (quals.some((q) => q === 'os.getenv' || q === 'os.environ.get')) return 'os.environ'
    if (quals.some((q) => q === 'fileinput.input')) return 'fileinput'
    if (quals.some((q) => SANITIZERS.has(q))) return null
    const f = this.unwrap(fn)
    if (f.type === 'attribute') {
      const method = this.text(this.kid(f, 'attribute') ?? f)
      if (method === 'parse_args' || method === 'parse_known_args') return 'command-line arguments'
      if (BOOLEAN_METHODS.has(method)) return null
      const obj = this.kid(f, 'object')
      const src = obj === undefined ? null : this.tainted(obj, scope, depth + 1)
      if (src !== null) return src
    }
    const args = this.kid(n, 'arguments')
    return args === undefined ? null : this.tainted(args, scope, depth + 1)
  }

  private checkSink (node: PyNode, scope: Scope): void {
    const fn = this.kid(node, 'function')
    if (fn === undefined) return
    const quals = this.qualify(fn, scope)
    const { positional, keywords } = this.args(node)
    const first = positional[0] ?? keywords.get('args') ?? keywords.get('url') ?? keywords.get('source')
    const line = this.line(node)
    const report = (sink: string, what: string, arg: PyNode | undefined): boolean => {
      if (arg === undefined) return false
      const src = this.tainted(arg, scope)
      if (src === null) return false
      this.issues.critical(T.taintFlow, `User input from ${src} reaches ${sink} (${what})`, line)
      return true
    }
    for (const q of quals) {
      if (CODE_EXEC.has(q) || IMPORTERS.has(q)) { report(`${q.replace(/^builtins\./, '')}()`, 'code injection', first); return }
      if (ALWAYS_SHELL.has(q) || SUBPROCESS.has(q) || /^os\.(exec|spawn|posix_spawn)/.test(q)) {
        for (const a of [...positional, ...keywords.values()]) if (report(`${q}()`, 'command injection', a)) return
        return
      }
      if (DESERIALIZE.has(q) || q.startsWith('yaml.')) { if (q !== 'yaml.safe_load') report(`${q}()`, 'unsafe deserialisation', first); return }
      if (FILE_SINKS.has(q)) { report(`${q.replace(/^builtins\./, '')}()`, 'path traversal', first); return }
      if (NETWORK_SINKS.has(q)) { report(`${q}()`, 'server-side request forgery', first); return }
      if (TEMPLATE_SINKS.has(q)) { report(`${q}()`, 'template injection', first); return }
      if (q === 'builtins.getattr' || q === 'builtins.setattr') { report(`${q.slice(9)}()`, 'attribute injection', positional[1]); return }
      if (EXPRESSION_EVALUATORS.has(q)) { report(`${q}()`, 'code injection', first); return }
      if (q === 'sqlalchemy.text') { report('sqlalchemy.text()', 'SQL injection', first); return }
    }
    const f = this.unwrap(fn)
    if (f.type !== 'attribute') return
    const method = this.text(this.kid(f, 'attribute') ?? f)
    if (SQL_METHODS.has(method)) report(`.${method}()`, 'SQL injection', positional[0])
    else if (method === 'eval') report('.eval()', 'code injection', positional[0])
  }
}

function unique (xs: string[]): string[] {
  return [...new Set(xs)]
}

/** The prefix letters of a string_start token (`rb"` → `rb`), lower-cased: a loop, no regex. */
function stringPrefix (start: string): string {
  let end = start.length
  while (end > 0 && (start[end - 1] === '"' || start[end - 1] === "'")) end--
  return start.slice(0, end).toLowerCase()
}

/** Node types whose text is string or comment content (Python does not NFKC-fold it). */
const RAW_TEXT_TYPES = new Set(['string', 'string_start', 'string_content', 'string_end', 'escape_sequence', 'comment', 'concatenated_string'])

function isAscii (s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

/** `_os` → `os`: stdlib modules import each other under a private name. */
function stripLeadingUnderscores (name: string): string {
  let i = 0
  while (i < name.length && name[i] === '_') i++
  return name.slice(i)
}

/** Issue type and wording for a reference to (or call of) a dangerous callable `q`, or null. */
function dangerOf (q: string): { type: string, what: string } | null {
  if (CODE_EXEC.has(q) || q === 'builtins.__import__') return { type: T.dangerousFunction, what: 'runs dynamically supplied code' }
  if (IMPORTERS.has(q) || FILE_IMPORTERS.has(q)) return { type: T.dynamicImport, what: 'imports modules chosen at runtime' }
  if (CODE_RUNNERS.has(q) || STRING_STATEMENT_RUNNERS.has(q) || EXPRESSION_EVALUATORS.has(q)) return { type: T.dangerousFunction, what: 'runs code from text' }
  if (ALWAYS_SHELL.has(q) || SUBPROCESS.has(q) || /^os\.(exec|spawn|posix_spawn)/.test(q)) return { type: T.commandExecution, what: 'runs operating-system commands' }
  if (isNative(q)) return { type: T.commandExecution, what: 'calls native code' }
  if (DESERIALIZE.has(q) || q === 'yaml.load' || q === 'yaml.load_all' || q === 'yaml.unsafe_load' || q === 'yaml.unsafe_load_all') return { type: T.insecureDeserialization, what: 'deserialises data that can run code' }
  if (q === 'shutil.rmtree') return { type: T.recursiveDeletion, what: 'deletes directory trees' }
  return null
}

function normaliseModule (q: string): string {
  return q.replace(/^(posix|nt)\./, 'os.').replace(/^(posix|nt)$/, 'os')
}
