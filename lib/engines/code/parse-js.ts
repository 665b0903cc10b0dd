/**
 * The one front end for JavaScript and TypeScript (JSX and TSX included): oxc-parser, a maintained
 * parser that yields an ESTree / TS-ESTree tree. Decorators (parameter decorators too) and a
 * hashbang line parse as the language defines them.
 *
 * The analysis works on runtime semantics, so TypeScript-only parts are taken off the tree after
 * parsing: type annotations, interfaces, `declare` statements and `import type` are dropped, and
 * the wrappers that do nothing at run time (`x as T`, `<T>x`, `x!`, `x satisfies T`, `f<T>`) are
 * replaced by the expression they wrap. `import cp = require('child_process')` becomes the
 * `const cp = require('child_process')` it compiles to. Lines are computed from offsets on demand.
 */
import { parseSync } from 'oxc-parser'
import { MAX_NESTING_BOUND, nestingBound } from './nesting.js'

/** Deepest syntax tree accepted. */
export const MAX_JS_DEPTH = 1000

/** A loosely typed ESTree node: the walker reads fields by name. */
export interface JsNode {
  type: string
  loc?: { start: { line: number } }
  start?: number
  end?: number
  [key: string]: unknown
}

export type JsParse =
  | { ok: true, program: JsNode, comments: Array<{ value: string, line: number }>, lineOf: (offset: number) => number }
  | { ok: false, reason: 'parse_error' | 'too_deep', detail: string, line_number?: number }

class TooDeep extends Error {}

/** Keys that hold types only. */
const TYPE_KEYS = new Set(['typeAnnotation', 'returnType', 'typeParameters', 'typeArguments', 'superTypeArguments', 'implements'])
/** Statements with no run-time effect. */
const TYPE_ONLY = new Set(['TSInterfaceDeclaration', 'TSTypeAliasDeclaration', 'TSDeclareFunction'])
/** Expression wrappers that are erased when compiled: the wrapped expression is what runs. */
const ERASED_WRAPPERS = new Set(['TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TSInstantiationExpression'])

function isNode (v: unknown): v is JsNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string'
}

/** Offsets at which each line starts, for offset → line by binary search. */
function lineStarts (code: string): number[] {
  const starts = [0]
  for (let i = code.indexOf('\n'); i >= 0; i = code.indexOf('\n', i + 1)) starts.push(i + 1)
  return starts
}

function lineAt (starts: number[], offset: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((starts[mid] as number) <= offset) lo = mid
    else hi = mid - 1
  }
  return lo + 1
}

/** A statement TypeScript erases entirely: types, `declare …`, `import type`, `export type`. */
function erasedStatement (n: JsNode): boolean {
  if (TYPE_ONLY.has(n.type) || n.declare === true) return true
  if ((n.type === 'ImportDeclaration' || n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration') && n.importKind === 'type') return true
  if ((n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration') && n.exportKind === 'type') return true
  if (n.type === 'ExportNamedDeclaration' && isNode(n.declaration) && erasedStatement(n.declaration)) return true
  return false
}

/** `import x = require('m')` → `const x = require('m')`; `import x = A.B` → `const x = A.B`. */
function importEquals (n: JsNode): JsNode {
  const ref = n.moduleReference as JsNode
  const init: JsNode = ref.type === 'TSExternalModuleReference'
    ? { type: 'CallExpression', callee: { type: 'Identifier', name: 'require', start: ref.start, end: ref.end }, arguments: [ref.expression], optional: false, start: ref.start, end: ref.end }
    : toExpression(ref)
  return { type: 'VariableDeclaration', kind: 'const', declarations: [{ type: 'VariableDeclarator', id: n.id, init, start: n.start, end: n.end }], start: n.start, end: n.end }
}

/** `A.B.C` in a TS qualified name → the member expression it means at run time. */
function toExpression (ref: JsNode): JsNode {
  if (ref.type !== 'TSQualifiedName') return ref
  return { type: 'MemberExpression', object: toExpression(ref.left as JsNode), property: ref.right, computed: false, optional: false, start: ref.start, end: ref.end }
}

/** Rewrites a TypeScript node in place (types off, wrappers unwrapped); returns what replaces it. */
function normalise (node: JsNode, depth: number): JsNode {
  if (depth > MAX_JS_DEPTH) throw new TooDeep()
  let n = node
  while (ERASED_WRAPPERS.has(n.type) && isNode(n.expression)) n = n.expression
  if (n.type === 'TSParameterProperty' && isNode(n.parameter)) n = n.parameter
  if (n.type === 'TSImportEqualsDeclaration') n = importEquals(n)
  if (n.type === 'TSExportAssignment' && isNode(n.expression)) n = { type: 'ExpressionStatement', expression: n.expression, start: n.start, end: n.end }
  for (const key in n) {
    if (key === 'type') continue
    if (TYPE_KEYS.has(key)) { n[key] = null; continue }
    const v = n[key]
    if (Array.isArray(v)) {
      const out: unknown[] = []
      for (const item of v) {
        if (!isNode(item)) { out.push(item); continue }
        if (erasedStatement(item)) continue
        // `this: Foo` in a parameter list is a type, not a parameter
        if (key === 'params' && item.type === 'Identifier' && item.name === 'this') continue
        out.push(normalise(item, depth + 1))
      }
      n[key] = out
    } else if (isNode(v)) {
      n[key] = erasedStatement(v) ? null : normalise(v, depth + 1)
    }
  }
  return n
}

function firstErrorOf (errors: ReadonlyArray<{ message: string, labels?: ReadonlyArray<{ start: number }> }>, starts: number[]): { detail: string, line_number?: number } {
  const e = errors[0]
  const at = e?.labels?.[0]?.start
  return { detail: (e?.message ?? 'invalid syntax').slice(0, 200), line_number: at === undefined ? undefined : lineAt(starts, at) }
}

/**
 * Parses a snippet. JavaScript is tried as a module, then as a script (sloppy mode: `with`, octal
 * literals); TypeScript as `.ts`, then `.tsx` (a claim says "typescript" for both, and `<T>x` means
 * different things in them). Any error the parser reports makes the snippet a parse error: a
 * recovered partial tree is never analysed.
 */
export function parseJsOrTs (code: string, typescript: boolean): JsParse {
  // The native parser has no depth guard: what could nest too deeply never reaches it. The bound
  // counts at most one level per character, so a snippet that short cannot pass it.
  if (code.length > MAX_NESTING_BOUND && nestingBound(code) > MAX_NESTING_BOUND) return { ok: false, reason: 'too_deep', detail: `nesting bound above ${MAX_NESTING_BOUND}` }
  const starts = lineStarts(code)
  const attempts: Array<[string, 'ts' | 'tsx' | 'jsx', 'module' | 'script']> = typescript
    ? [['snippet.ts', 'ts', 'module'], ['snippet.tsx', 'tsx', 'module']]
    : [['snippet.jsx', 'jsx', 'module'], ['snippet.jsx', 'jsx', 'script']]
  let failure: { detail: string, line_number?: number } | null = null
  for (const [file, lang, sourceType] of attempts) {
    let result
    try {
      result = parseSync(file, code, { lang, sourceType, astType: typescript ? 'ts' : 'js', preserveParens: false })
    } catch (err) {
      if (err instanceof RangeError) return { ok: false, reason: 'too_deep', detail: 'snippet nested too deeply to parse' }
      failure ??= { detail: 'the parser failed on this snippet' }
      continue
    }
    if (result.errors.length > 0) {
      failure ??= firstErrorOf(result.errors, starts)
      continue
    }
    try {
      // JavaScript trees hold no TypeScript nodes: only TypeScript is rewritten
      const raw = result.program as unknown as JsNode
      const program = typescript ? normalise(raw, 0) : raw
      const comments = result.comments.map((c) => ({ value: c.value, line: lineAt(starts, c.start) }))
      return { ok: true, program, comments, lineOf: (offset) => lineAt(starts, offset) }
    } catch (err) {
      if (err instanceof TooDeep || err instanceof RangeError) return { ok: false, reason: 'too_deep', detail: `syntax tree deeper than ${MAX_JS_DEPTH}` }
      throw err
    }
  }
  const f = failure ?? { detail: 'invalid syntax' }
  return { ok: false, reason: 'parse_error', detail: `${typescript ? 'TypeScript' : 'JavaScript'}: ${f.detail}`, ...(f.line_number === undefined ? {} : { line_number: f.line_number }) }
}
