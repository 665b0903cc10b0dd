import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import t from 'tap'
import ts from 'typescript'

// ReDoS check of every regular expression in lib/ (issue #7): each one must run in linear time on
// 100 KB adversarial strings.
//
// 1. Find them: every .ts file under lib/ is parsed with the TypeScript compiler API. Regex
//    literals, and `new RegExp(...)` / `RegExp(...)` whose arguments are literals, are static: their
//    source and flags are read from the syntax tree. Any other RegExp construction is dynamic: the
//    list of dynamic constructions must equal DYNAMIC_ALLOWLIST (file, what, reason), so a new one
//    fails this test until it is reviewed. Dynamic regexes built when their module loads are captured
//    at run time (RegExp is wrapped while every lib module is imported) and timed like the rest.
// 2. Attack them: for each regex, 100 KB strings made of (a) each character class / literal of the
//    pattern repeated (alone, after a prefix that walks the pattern up to it, and paired with the
//    next atom), followed by a character that forces failure ('!', '\n', '\u0000'); (b) generic attack
//    strings (runs of 'a', ' ', '0', '.', '-', '\t', 'ab', '<', '=', '1.', 'a@', ...).
// 3. Time them in worker threads (a regex that backtracks for minutes is stopped by terminating its
//    worker): regex.test for plain regexes, exec in a loop (at most 10,000 matches, lastIndex reset)
//    for /g and /y. A regex over BUDGET_MS on any string fails, unless it is listed in KNOWN_SLOW
//    (file, source, measured time, reason), a list kept for super-linear regexes owned by someone
//    else and reported to the lead; a KNOWN_SLOW regex that became fast fails too, so the list
//    stays honest.
// Linear regexes take milliseconds on 100 KB, quadratic ones minutes: a 2 s budget is a wide
// margin on a noisy machine.

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const LIB = join(ROOT, 'lib')
const SIZE = 100_000
const BUDGET_MS = 2_000
/** A worker still busy after this long is terminated (the regex is over budget). */
const KILL_MS = BUDGET_MS + 500
const MAX_STRINGS_PER_REGEX = 48
const MAX_MATCHES = 10_000
const WORKERS = 2

interface DynamicSite { file: string, what: string, reason: string, atLoad: boolean }

/**
 * Reviewed dynamic RegExp constructions. `what` must occur in the construction's source text;
 * `atLoad` says the regex is built when the module loads (then it is captured and timed).
 */
const DYNAMIC_ALLOWLIST: DynamicSite[] = [
  {
    file: 'lib/engines/math/normalize.ts',
    what: 'String.raw`',
    reason: 'three module constants built from the constant NUMBER pattern (percent and ambiguous-division rewrites); no outside input',
    atLoad: true
  },
  {
    file: 'lib/guard/injection.ts',
    what: 'new RegExp(source)',
    reason: 'the `re` helper: every call passes a source assembled from module constants (word lists, bounded gaps) when the module loads',
    atLoad: true
  },
  {
    file: 'lib/guard/injection.ts',
    what: 'SECRET_NOUN_ALWAYS',
    reason: 'the SECRET pattern assembled from constant word lists when the module loads',
    atLoad: true
  },
  {
    file: 'lib/guard/output.ts',
    what: 'TAG_START_ALL.source',
    reason: 'a /g copy of the TAG_START_ALL literal made per call (exec loop stops after MAX_TAGS_PARSED matches); the literal itself is timed here',
    atLoad: false
  }
]

interface KnownSlow { file: string, source: string, measuredMs: number, reason: string }

/**
 * Super-linear regexes found by this test and reported to the lead (not fixed here: not ours).
 * measuredMs: one call on the 100 KB string named in the reason, Node 20 on this (slow, shared)
 * machine; every one is quadratic (x4 per doubling of the input). Exposure says whether a client
 * can make the regex see a long string.
 */
// Empty today: the 12 super-linear regexes this test found in engine code (15-29 s on 100 KB:
// code identifiers, SQL column names, math number patterns, the remote client) were rewritten
// to linear forms (docs/security-testing.md, "Findings and fixes").
const KNOWN_SLOW: KnownSlow[] = []

interface Pattern { file: string, line: number, source: string, flags: string, origin: 'literal' | 'constructor' | 'runtime' }
interface Dynamic { file: string, line: number, text: string }

function tsFiles (dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return tsFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

const rel = (path: string): string => relative(ROOT, path).split(sep).join('/')

function isRegExpCallee (node: ts.Expression): boolean {
  if (ts.isIdentifier(node)) return node.text === 'RegExp'
  return ts.isPropertyAccessExpression(node) && node.name.text === 'RegExp'
}

function literalParts (node: ts.RegularExpressionLiteral): { source: string, flags: string } {
  const text = node.text
  const end = text.lastIndexOf('/')
  return { source: text.slice(1, end), flags: text.slice(end + 1) }
}

function scan (): { patterns: Pattern[], dynamic: Dynamic[] } {
  const patterns: Pattern[] = []
  const dynamic: Dynamic[] = []
  for (const path of tsFiles(LIB)) {
    const file = rel(path)
    const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
    const lineOf = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1
    const visit = (node: ts.Node): void => {
      if (ts.isRegularExpressionLiteral(node)) {
        // the pattern argument of `new RegExp(/x/, 'g')` is handled with its call
        const parent = node.parent
        const isCtorArg = (ts.isNewExpression(parent) || ts.isCallExpression(parent)) && isRegExpCallee(parent.expression)
        if (!isCtorArg) patterns.push({ file, line: lineOf(node), ...literalParts(node), origin: 'literal' })
      } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && isRegExpCallee(node.expression)) {
        const args = [...(node.arguments ?? [])]
        const [first, second] = args
        const flagsOk = second === undefined || ts.isStringLiteral(second) || ts.isNoSubstitutionTemplateLiteral(second)
        const flags = second !== undefined && flagsOk ? (second as ts.StringLiteral).text : undefined
        if (args.length <= 2 && first !== undefined && flagsOk && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
          patterns.push({ file, line: lineOf(node), source: first.text, flags: flags ?? '', origin: 'constructor' })
        } else if (args.length <= 2 && first !== undefined && flagsOk && ts.isRegularExpressionLiteral(first)) {
          const parts = literalParts(first)
          patterns.push({ file, line: lineOf(node), source: parts.source, flags: flags ?? parts.flags, origin: 'constructor' })
        } else {
          dynamic.push({ file, line: lineOf(node), text: node.getText(sf) })
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  return { patterns, dynamic }
}

/** Imports every lib module with RegExp wrapped, and returns the regexes lib code built directly. */
async function captureAtLoad (): Promise<Pattern[]> {
  const captured: Pattern[] = []
  const Original = globalThis.RegExp
  const record = (re: RegExp): RegExp => {
    const frames = (new Error().stack ?? '').split('\n').slice(1)
    // the first frame outside this file is the caller of `new RegExp`
    const caller = frames.find((f) => !f.includes('security-redos.test'))
    const m = caller === undefined ? null : /((?:file:\/\/)?\/[^():]+\.ts):(\d+)/.exec(caller)
    if (m !== null) {
      const path = (m[1] as string).startsWith('file:') ? fileURLToPath(m[1] as string) : m[1] as string
      if (path.startsWith(LIB + sep)) captured.push({ file: rel(path), line: Number(m[2]), source: re.source, flags: re.flags, origin: 'runtime' })
    }
    return re
  }
  globalThis.RegExp = new Proxy(Original, {
    construct: (target, args: [string | RegExp, string?]) => record(Reflect.construct(target, args) as RegExp),
    apply: (target, self, args: [string | RegExp, string?]) => record(Reflect.apply(target, self, args) as RegExp)
  })
  try {
    for (const path of tsFiles(LIB)) await import(pathToFileURL(path).href)
  } finally {
    globalThis.RegExp = Original
  }
  return captured
}

// ---------------------------------------------------------------------------------------------
// The worker: builds the attack strings of one regex and times them. Plain JavaScript (eval).

const WORKER_SOURCE = String.raw`
const { parentPort } = require('node:worker_threads')
const { performance } = require('node:perf_hooks')
const SIZE = ${SIZE}
const MAX_STRINGS = ${MAX_STRINGS_PER_REGEX}
const MAX_MATCHES = ${MAX_MATCHES}
const FAILS = ['!', '\n', '\u0000']
const GENERIC = ['a', ' ', '0', '.', '-', '\t', 'ab', '<', '=', '1.', 'a@', 'a ', '\n', 'aA', '0.', '/', '\\', ':', '%', '_', 'a-', '@', "'", '"', '&', '#', 'x=', 'a.', '1,', '+1', '\u00e9', '\ud83d\ude00', '\u200b', '<a ', 'http://', '9', 'a1', '\r\n', '$', '{', '*', '|']
const CANDIDATES = ['a', 'A', 'z', 'Z', 'e', 'x', '0', '1', '9', ' ', '\t', '\n', '\r', '.', '-', '_', '/', '\\', ':', '@', '<', '>', '=', '"', "'", '!', '#', '%', '&', '+', ',', ';', '(', ')', '[', ']', '{', '}', '|', '~', '^', '$', '*', '?', '\u00e9', '\u00a0', '\u200b', '\u2028', '\u20ac', '\u0430', '\uff41', '\ud83d\ude00', '\u0000']

/** The atoms of a pattern: escapes, classes, '.', literal characters (groups, quantifiers and anchors skipped). */
function atoms (source) {
  const out = []
  let i = 0
  while (i < source.length) {
    const c = source[i]
    if (c === '\\') {
      const n = source[i + 1]
      let j = i + 2
      if (n === 'u' && source[j] === '{') j = source.indexOf('}', j) + 1
      else if (n === 'u') j = i + 6
      else if (n === 'x') j = i + 4
      else if ((n === 'p' || n === 'P') && source[j] === '{') j = source.indexOf('}', j) + 1
      else if (n === 'c') j = i + 3
      else if (n === 'k' && source[j] === '<') j = source.indexOf('>', j) + 1
      if (j <= i) j = i + 2
      out.push(source.slice(i, j))
      i = j
    } else if (c === '[') {
      let j = i + 1
      if (source[j] === '^') j++
      if (source[j] === ']') j++
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1
      out.push(source.slice(i, j + 1))
      i = j + 1
    } else if (c === '(') {
      if (source[i + 1] === '?') {
        if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') i = source.indexOf('>', i) + 1
        else i += source[i + 2] === '<' ? 4 : 3
      } else i++
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i))) {
      i = source.indexOf('}', i) + 1
    } else if (')|*+?^$'.includes(c)) {
      i++
    } else {
      out.push(c === '.' ? '.' : c.replace(/[.*+?^$|(){}[\]\\\/]/g, '\\$&'))
      i++
    }
  }
  return out
}

/** A character the atom matches (under the regex's flags), or null (an assertion such as \b). */
function representative (atom, flags) {
  let probe
  try { probe = new RegExp('^(?:' + atom + ')$', flags.replace(/[gyd]/g, '')) } catch { return null }
  for (const c of CANDIDATES) if (probe.test(c)) return c
  return null
}

function pump (unit, suffix) { return unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE - suffix.length) + suffix }

function attackStrings (source, flags) {
  const out = new Map()
  const add = (label, make) => { if (out.size < MAX_STRINGS && !out.has(label)) out.set(label, make) }
  const reps = atoms(source).map((a) => representative(a, flags))
  const distinct = [...new Set(reps.filter((r) => r !== null))]
  // (a) each class / literal of the pattern, repeated, then a failing character
  for (const r of distinct) for (const f of FAILS) add('run of ' + JSON.stringify(r) + ' + ' + JSON.stringify(f), () => pump(r, f))
  // ... after a prefix that walks the pattern up to it
  reps.forEach((r, i) => {
    if (r === null || i === 0) return
    const prefix = reps.slice(0, i).filter((x) => x !== null).join('')
    if (prefix.length > 0) add('prefix ' + JSON.stringify(prefix.slice(0, 20)) + ' + run of ' + JSON.stringify(r), () => prefix + pump(r, '!'))
  })
  // ... and alternating with the next atom
  reps.forEach((r, i) => {
    const next = reps[i + 1]
    if (r !== null && next !== undefined && next !== null && next !== r) add('run of ' + JSON.stringify(r + next), () => pump(r + next, '!'))
  })
  // (b) generic attack strings
  for (const g of GENERIC) add('generic ' + JSON.stringify(g), () => pump(g, '!'))
  return out
}

function run (re, s) {
  if (re.global || re.sticky) {
    re.lastIndex = 0
    let n = 0
    let m
    while (n < MAX_MATCHES && (m = re.exec(s)) !== null) {
      if (m[0] === '') re.lastIndex++
      n++
    }
    re.lastIndex = 0
  } else {
    re.test(s)
  }
}

parentPort.on('message', ({ id, source, flags }) => {
  let re
  try { re = new RegExp(source, flags) } catch (err) { parentPort.postMessage({ type: 'done', id, error: String(err), count: 0 }); return }
  const strings = attackStrings(source, flags)
  let worst = { label: '', ms: 0 }
  for (const [label, make] of strings) {
    const s = make()
    parentPort.postMessage({ type: 'begin', id, label })
    const started = performance.now()
    run(re, s)
    const ms = performance.now() - started
    if (ms > worst.ms) worst = { label, ms }
  }
  parentPort.postMessage({ type: 'done', id, count: strings.size, worst })
})
`

interface Timing { pattern: Pattern, ms: number, label: string, count: number, killed: boolean, error?: string }

async function timeAll (patterns: Pattern[]): Promise<Timing[]> {
  const results = new Array<Timing>(patterns.length)
  let next = 0
  async function lane (): Promise<void> {
    let worker: Worker | null = null
    const spawn = (): Worker => new Worker(WORKER_SOURCE, { eval: true })
    try {
      while (next < patterns.length) {
        const id = next++
        const pattern = patterns[id] as Pattern
        worker ??= spawn()
        const w = worker
        const timing = await new Promise<Timing>((resolve) => {
          let timer: NodeJS.Timeout | undefined
          let current = ''
          const finish = (value: Timing): void => {
            clearTimeout(timer)
            w.off('message', onMessage)
            w.off('error', onError)
            resolve(value)
          }
          const onError = (err: Error): void => finish({ pattern, ms: 0, label: current, count: 0, killed: false, error: String(err) })
          const onMessage = (msg: { type: string, label?: string, count?: number, worst?: { label: string, ms: number }, error?: string }): void => {
            if (msg.type === 'begin') {
              current = msg.label ?? ''
              clearTimeout(timer)
              timer = setTimeout(() => {
                // still inside one regex call: stop the worker, the regex is over budget
                w.terminate().catch(() => {})
                worker = null
                finish({ pattern, ms: KILL_MS, label: current, count: 0, killed: true })
              }, KILL_MS)
            } else if (msg.type === 'done') {
              finish({ pattern, ms: msg.worst?.ms ?? 0, label: msg.worst?.label ?? '', count: msg.count ?? 0, killed: false, error: msg.error })
            }
          }
          w.on('message', onMessage)
          w.on('error', onError)
          w.postMessage({ id, source: pattern.source, flags: pattern.flags })
        })
        results[id] = timing
      }
    } finally {
      await (worker as Worker | null)?.terminate()
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, lane))
  return results
}

// ---------------------------------------------------------------------------------------------

const started = performance.now()
const { patterns: staticPatterns, dynamic } = scan()

t.test('dynamic RegExp constructions are the reviewed ones', async (t) => {
  const unreviewed = dynamic.filter((d) => !DYNAMIC_ALLOWLIST.some((a) => a.file === d.file && d.text.includes(a.what)))
  t.same(unreviewed.map((d) => `${d.file}:${d.line} ${d.text.slice(0, 80)}`), [], 'every dynamic RegExp is in DYNAMIC_ALLOWLIST (review a new one, then list it with its reason)')
  for (const entry of DYNAMIC_ALLOWLIST) {
    t.ok(dynamic.some((d) => d.file === entry.file && d.text.includes(entry.what)), `allowlist entry still used: ${entry.file} ${entry.what}`)
  }
  t.comment(`${dynamic.length} dynamic construction(s): ${dynamic.map((d) => `${d.file}:${d.line}`).join(', ')}`)
})

t.test('the harness catches super-linear regexes', async (t) => {
  // controls: an exponential and a quadratic regex must be stopped, an anchored linear one must pass
  const control = (source: string): Pattern => ({ file: 'control', line: 0, source, flags: '', origin: 'literal' })
  const [exponential, quadratic, linear] = await timeAll([control('(a+)+$'), control(String.raw`\s+$`), control('^a+$')])
  t.ok(exponential?.killed === true || (exponential?.ms ?? 0) > BUDGET_MS, '(a+)+$ is over budget')
  t.ok(quadratic?.killed === true || (quadratic?.ms ?? 0) > BUDGET_MS, '\\s+$ is over budget')
  t.ok(linear !== undefined && !linear.killed && linear.ms < BUDGET_MS, `^a+$ is linear (${linear?.ms.toFixed(1) ?? '?'} ms)`)
})

t.test('every regex in lib/ is linear on 100 KB adversarial strings', async (t) => {
  const runtime = await captureAtLoad()
  for (const entry of DYNAMIC_ALLOWLIST.filter((e) => e.atLoad)) {
    t.ok(runtime.some((p) => p.file === entry.file), `regexes built at load in ${entry.file} were captured`)
  }
  // one timing per distinct (source, flags): a static `new RegExp('x')` is also seen at load
  const seen = new Set<string>()
  const patterns: Pattern[] = []
  for (const p of [...staticPatterns, ...runtime]) {
    const key = `${p.flags}/${p.source}`
    if (seen.has(key)) continue
    seen.add(key)
    patterns.push(p)
  }
  t.ok(staticPatterns.length > 0, `${staticPatterns.length} static regexes in ${new Set(staticPatterns.map((p) => p.file)).size} files, ${runtime.length} built at load, ${patterns.length} distinct`)

  const timings = await timeAll(patterns)
  t.equal(timings.length, patterns.length, 'every regex was timed')
  let strings = 0
  for (const timing of timings) {
    const { pattern } = timing
    strings += timing.count
    const where = `${pattern.file}:${pattern.line} /${pattern.source.slice(0, 60)}${pattern.source.length > 60 ? '…' : ''}/${pattern.flags}`
    t.notOk(timing.error, `${where}: compiles and runs`)
    const known = KNOWN_SLOW.find((k) => k.file === pattern.file && k.source === pattern.source)
    const slow = timing.killed || timing.ms > BUDGET_MS
    if (known !== undefined) {
      t.ok(slow, `${where}: listed in KNOWN_SLOW (${known.reason}); still slow (${timing.killed ? `> ${KILL_MS}` : timing.ms.toFixed(0)} ms)? remove it from the list once fixed`)
    } else {
      t.notOk(slow, `${where}: ${timing.killed ? `still running after ${KILL_MS} ms (stopped)` : `${timing.ms.toFixed(1)} ms`} at worst (${timing.label}), budget ${BUDGET_MS} ms`)
    }
  }
  const isKnown = (x: Timing): boolean => KNOWN_SLOW.some((k) => k.file === x.pattern.file && k.source === x.pattern.source)
  const show = (x: Timing): string => `  ${x.killed ? `>${KILL_MS}` : x.ms.toFixed(1)} ms  ${x.pattern.file}:${x.pattern.line} /${x.pattern.source.slice(0, 50)}/${x.pattern.flags}  (${x.label})`
  t.comment(`${timings.length} regexes, ${strings} strings of ${SIZE / 1000} KB; slowest (not in KNOWN_SLOW):`)
  for (const x of [...timings].filter((x) => !isKnown(x)).sort((a, b) => b.ms - a.ms).slice(0, 5)) t.comment(show(x))
  t.comment(`KNOWN_SLOW (${KNOWN_SLOW.length}, reported to the lead):`)
  for (const x of timings.filter(isKnown)) t.comment(show(x))
  t.comment(`whole check: ${((performance.now() - started) / 1000).toFixed(1)} s`)
})
