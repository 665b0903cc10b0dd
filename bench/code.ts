// Code engine benchmark on the code corpora (test/fixtures/security/code-attacks.json and
// code-benign.json): p50 / p99 / max per snippet by language, engine called directly (no verifier,
// no cache); then hostile shapes at n and 2n. `npm run bench:code` (`-- --quick` for fewer rounds).
//
// To compare with an earlier engine in the same run, pass `--baseline <dir>`: a directory that
// holds an earlier checkout of lib/ and types/ (e.g. `git archive <commit> lib types | tar -x -C
// <dir>`, with <dir>/node_modules linked to this repository's node_modules). Its
// lib/engines/code/index.ts is loaded and timed on the same snippets, interleaved with this one.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import type { Engine } from '../types/engine.js'
import { createCodeEngine } from '../lib/engines/code/index.js'
import { classifySecretValue, nameWords } from '../lib/engines/code/issues.js'

interface Entry { id: string, language: string, code: string, allow?: string[] }

const quick = process.argv.includes('--quick')
const rounds = quick ? 3 : 15
const at = process.argv.indexOf('--baseline')
const baselineDir = at > 0 ? process.argv[at + 1] : undefined

const load = (file: string): Entry[] => JSON.parse(readFileSync(new URL(`../test/fixtures/security/${file}`, import.meta.url), 'utf8')) as Entry[]
const snippets = [...load('code-attacks.json'), ...load('code-benign.json')]
// and one large module per language (~90 KB: 400 request handlers), where parsing dominates
const handler = ['export function handler (req, res) {', '  const items = req.body.items.map((item) => ({ id: item.id, total: item.qty * item.price }))',
  '  const sum = items.reduce((a, b) => a + b.total, 0)', '  setTimeout(() => res.json({ sum, items }), 10)', '}'].join('\n')
const largeJs = Array.from({ length: 400 }, (_, i) => handler.replace('handler', `h${i}`)).join('\n')
const large: Entry[] = [
  { id: 'large-js', language: 'javascript', code: largeJs },
  { id: 'large-ts', language: 'typescript', code: largeJs.replaceAll('(req, res)', '(req: Req, res: Res): void') }
]

const engines: Array<[string, Engine<any>]> = [['current', createCodeEngine()]]
if (baselineDir !== undefined) {
  const mod = await import(pathToFileURL(join(resolve(baselineDir), 'lib/engines/code/index.ts')).href) as { createCodeEngine: () => Engine<any> }
  engines.push(['baseline', mod.createCodeEngine()])
}

const signal = new AbortController().signal
const times = new Map<string, number[]>()
const run = async (name: string, engine: Engine<any>, e: Entry, record: boolean): Promise<void> => {
  const t0 = performance.now()
  await engine.verify({ type: 'code', language: e.language, code: e.code }, { signal })
  const ms = performance.now() - t0
  if (!record) return
  for (const key of e.id.startsWith('large-') ? [`${name} ${e.id}`] : [`${name} all`, `${name} ${e.language}`]) {
    const list = times.get(key) ?? []
    list.push(ms)
    times.set(key, list)
  }
}

// warm-up: parsers, tree-sitter wasm, JIT
for (const [name, engine] of engines) for (const e of [...snippets, ...large]) await run(name, engine, e, false)
for (let round = 0; round < rounds; round++) {
  for (const e of round % 3 === 0 ? [...snippets, ...large] : snippets) {
    // interleaved per snippet, alternating which engine goes first, so that neither gets a warmer cache
    const order = round % 2 === 0 ? engines : [...engines].reverse()
    for (const [name, engine] of order) await run(name, engine, e, true)
  }
}

console.log(`node ${process.version}, ${snippets.length} corpus snippets x ${rounds} rounds (the two large modules every third round), engine called directly\n`)
console.log('engine     snippets       n    p50 ms   p99 ms   max ms')
const pct = (xs: number[], p: number): string => (xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0).toFixed(3)
for (const [key, list] of [...times].sort()) {
  list.sort((a, b) => a - b)
  const [name, language] = key.split(' ') as [string, string]
  console.log(`${name.padEnd(10)} ${language.padEnd(12)} ${String(list.length).padStart(5)}   ${pct(list, 0.5).padStart(6)}   ${pct(list, 0.99).padStart(6)}   ${(list.at(-1) ?? 0).toFixed(2).padStart(6)}`)
}

// Hostile shapes the unit tests check for verdicts only (test/code-engine-*.test.ts): each at n and
// 2n, side by side, the median of a few calls. Linear work shows a ratio near 2; quadratic near 4.
const engine = createCodeEngine()
const verify = (language: 'javascript' | 'python', code: string) => async () => await engine.verify({ type: 'code', language, code }, { signal })
const many = (stmt: string, size: number): string => Array.from({ length: Math.floor(size / (stmt.length + 1)) }, () => stmt).join('\n')
const pySnippet = (size: number): string => {
  let code = ''
  for (let n = 0; code.length < size; n++) code += `def summarise_${n}(rows, key="total"):\n    values = [float(r[key]) for r in rows if r.get(key) is not None]\n    return sum(values) / len(values) if values else 0.0\n\n`
  return code
}
const hostile: Array<[string, (k: number) => () => Promise<unknown> | unknown]> = [
  ['js: a name reassigned 400 times', (k) => verify('javascript', 'let ans = start()\n' + 'ans = ans.fix(ctx)\n'.repeat(400 * k) + 'ans.run()\n')],
  ['py: a name reassigned 400 times', (k) => verify('python', 'def f(ctx):\n    ans = start()\n' + '    ans = ans._fix(ctx)\n'.repeat(400 * k) + '    return ans\n')],
  ['js: .constructor() x300 chains, 30 KB', (k) => verify('javascript', many('x' + '.constructor()'.repeat(300), 30_000 * k))],
  ['js: Reflect.apply( x200 nests, 30 KB', (k) => verify('javascript', many('Reflect.apply('.repeat(200) + 'f' + ')'.repeat(200), 30_000 * k))],
  ['js: alternating constructor aliases, 30 KB', (k) => verify('javascript', 'let a = b, c = d\n' + many('a = c.constructor; c = a.constructor', 30_000 * k))],
  ['py: summarise functions, 50 KB', (k) => verify('python', pySnippet(50_000 * k))],
  ['py: unclosed \\N{ escapes (refused), 30,000', (k) => verify('python', "x = '" + '\\N{'.repeat(30_000 * k) + "'")],
  ['nameWords: 75 KB identifier of capitals', (k) => () => nameWords('API_KEY_' + 'A'.repeat(75_000 * k))],
  ['classifySecretValue: 2,000 open classes', (k) => () => classifySecretValue('['.repeat(2_000 * k) + '!')]
]

const median = async (fn: () => Promise<unknown> | unknown): Promise<number> => {
  const list: number[] = []
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const t0 = performance.now()
    await fn()
    list.push(performance.now() - t0)
  }
  return list.sort((a, b) => a - b)[Math.floor(list.length / 2)] as number
}
console.log(`\nhostile shapes at n and 2n (median of ${quick ? 3 : 7} calls)\n`)
console.log(`${'case (n)'.padEnd(46)} ${'n ms'.padStart(10)} ${'2n ms'.padStart(10)} ${'2n/n'.padStart(7)}`)
for (const [label, make] of hostile) {
  const one = await median(make(1))
  const two = await median(make(2))
  console.log(`${label.padEnd(46)} ${one.toFixed(2).padStart(10)} ${two.toFixed(2).padStart(10)} ${(two / one).toFixed(2).padStart(7)}`)
}
