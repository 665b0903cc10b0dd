import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'

// What an editor offers inside a route's claims(): asked of TypeScript's language service, the
// same service editors use. The snippets import the package's source (lib/), strict, NodeNext.

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FILE = `${ROOT}test/__completion_snippet.ts`
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  skipLibCheck: true,
  noEmit: true
}

let text = ''
const service = ts.createLanguageService({
  getScriptFileNames: () => [FILE],
  getScriptVersion: (file) => file === FILE ? text : '1',
  getScriptSnapshot: (file) => {
    const content = file === FILE ? text : existsSync(file) ? readFileSync(file, 'utf8') : undefined
    return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content)
  },
  getCurrentDirectory: () => ROOT,
  getCompilationSettings: () => OPTIONS,
  getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
  fileExists: (file) => file === FILE || ts.sys.fileExists(file),
  readFile: (file) => file === FILE ? text : ts.sys.readFile(file),
  readDirectory: ts.sys.readDirectory,
  directoryExists: ts.sys.directoryExists,
  getDirectories: ts.sys.getDirectories
})

/** The names offered at the ▮ of `snippet`. */
function completionsAt (snippet: string): string[] {
  const position = snippet.indexOf('▮')
  text = snippet.replace('▮', '')
  return (service.getCompletionsAtPosition(FILE, position, {})?.entries ?? []).map((e) => e.name)
}

const FASTIFY = "import Fastify from 'fastify'\nimport qwed from '../lib/index.js'\nconst app = Fastify()\nawait app.register(qwed)\n"
const EXPRESS = "import { qwedExpress } from '../lib/express.js'\nconst guard = qwedExpress()\n"
const SQL_FIELDS = ['query', 'schema', 'dialect', 'allowDestructive', 'sensitiveColumns']

t.test('Fastify: claims(payload) returning an object literal offers the claim\'s fields, not a promise\'s', async (t) => {
  const offered = completionsAt(FASTIFY + "app.post('/q', { config: { qwed: { claims: (payload) => ({ type: 'sql', ▮ }) } } }, async () => ({}))\n")
  for (const field of SQL_FIELDS) t.ok(offered.includes(field), field)
  for (const member of ['then', 'catch', 'finally']) t.notOk(offered.includes(member), `not ${member}`)
})

t.test('Fastify: an array of claims, and an async claims()', async (t) => {
  const inArray = completionsAt(FASTIFY + "app.post('/q', { config: { qwed: { claims: (payload) => [{ type: 'code', ▮ }] } } }, async () => ({}))\n")
  t.ok(inArray.includes('language') && inArray.includes('code') && inArray.includes('taint'), inArray.join(' '))
  const asynchronous = completionsAt(FASTIFY + "app.post('/q', { config: { qwed: { claims: async (payload) => ({ type: 'sql', ▮ }) } } }, async () => ({}))\n")
  for (const field of SQL_FIELDS) t.ok(asynchronous.includes(field), `async: ${field}`)
})

t.test('Express: route() offers the claim\'s fields, with or without a parameter', async (t) => {
  for (const head of ['()', '(body)']) {
    const offered = completionsAt(EXPRESS + `guard.route({ claims: ${head} => ({ type: 'sql', ▮ }) })\n`)
    for (const field of SQL_FIELDS) t.ok(offered.includes(field), `${head}: ${field}`)
    t.notOk(offered.includes('then'), `${head}: not then`)
  }
})

t.test('route options are offered by name inside config.qwed', async (t) => {
  const offered = completionsAt(FASTIFY + "app.post('/q', { config: { qwed: { claims: 'auto', ▮ } } }, async () => ({}))\n")
  for (const option of ['mode', 'sampleRate', 'onUnavailable', 'sanitize', 'inputs', 'extract']) t.ok(offered.includes(option), option)
})
