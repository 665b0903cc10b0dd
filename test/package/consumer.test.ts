import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { makeConsumer, packTarball, removeConsumer, type Consumer } from './consumer.js'

// Consumer projects made from the packed tarball (ESM and CommonJS, Fastify and Express): they
// compile under strict NodeNext with skipLibCheck off, and each app, run, never serves the false
// answer, whatever the registration order. `npm run build` first (the test:package lane does it).

const DEPS = ['fastify', 'express', '@types/express', '@types/node']
const TSCONFIG = (module: 'NodeNext') => JSON.stringify({
  compilerOptions: { target: 'ES2022', lib: ['ES2022'], module, moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, outDir: 'build', types: ['node'] },
  include: ['src']
})

// Each app prints one line per request: the status and whether the false answer got out.
const FASTIFY = (awaited: boolean, importLine: string) => `${importLine}
import Fastify from 'fastify'

async function main (): Promise<void> {
  const app = Fastify()
  ${awaited ? 'await app.register(qwed, { audit: false })' : 'app.register(qwed, { audit: false })   // not awaited: the usual CommonJS style'}
  app.post('/quote', {
    config: { qwed: { claims: (payload: { calculation: string }) => ({ type: 'math', expression: payload.calculation }) } }
  }, async () => ({ text: 'You pay $14,000.', calculation: '12 * 1200 = 14000' }))
  await app.ready()
  const res = await app.inject({ method: 'POST', url: '/quote', payload: {} })
  console.log(JSON.stringify({ status: res.statusCode, leaked: res.body.includes('14,000') }))
  await app.close()
}
main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
`

const EXPRESS = (importLine: string) => `${importLine}
import express from 'express'
import type { AddressInfo } from 'node:net'

async function main (): Promise<void> {
  const app = express()
  const guard = qwedExpress({ audit: false })
  app.use(express.json())
  app.use(guard)
  app.post('/quote',
    guard.route({ claims: (body: { calculation: string }) => ({ type: 'math', expression: body.calculation }) }),
    (_req, res) => { res.json({ text: 'You pay $14,000.', calculation: '12 * 1200 = 14000' }) })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const res = await fetch(\`http://127.0.0.1:\${(server.address() as AddressInfo).port}/quote\`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const body = await res.text()
  console.log(JSON.stringify({ status: res.status, leaked: body.includes('14,000') }))
  server.close()
  await guard.close()
}
main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
`

// The README's CommonJS form, as plain JavaScript.
const FASTIFY_CJS_JS = `const Fastify = require('fastify')
const { qwed } = require('qwed-middleware')

const app = Fastify()
app.register(qwed, { audit: false })
app.post('/quote', {
  config: { qwed: { claims: (payload) => ({ type: 'math', expression: payload.calculation }) } }
}, async () => ({ text: 'You pay $14,000.', calculation: '12 * 1200 = 14000' }))
app.ready().then(async () => {
  const res = await app.inject({ method: 'POST', url: '/quote', payload: {} })
  console.log(JSON.stringify({ status: res.statusCode, leaked: res.body.includes('14,000') }))
  await app.close()
})
`

// The README's CommonJS form: routes declared in app.after(), once the plugin has loaded.
const FASTIFY_CJS_README = `const Fastify = require('fastify')
const { qwed } = require('qwed-middleware')

const app = Fastify()
app.register(qwed, { audit: false })
app.after(() => {
  app.post('/quote', {
    config: { qwed: { claims: (payload) => ({ type: 'math', expression: payload.calculation }) } }
  }, async () => ({ text: 'You pay $14,000.', calculation: '12 * 1200 = 14000' }))
})
app.ready().then(async () => {
  const res = await app.inject({ method: 'POST', url: '/quote', payload: {} })
  console.log(JSON.stringify({ status: res.statusCode, leaked: res.body.includes('14,000') }))
  await app.close()
})
`

let tarball = ''
let packDir = ''
t.before(() => {
  packDir = mkdtempSync(join(tmpdir(), 'qwed-pack-'))
  tarball = packTarball(packDir)
})
t.teardown(() => { rmSync(packDir, { recursive: true, force: true }) })

function lastLine (consumer: Consumer, file: string): { status: number, leaked: boolean } {
  const out = consumer.run(file)
  if (out.status !== 0) throw new Error(`${file} exited ${String(out.status)}: ${out.stderr}`)
  return JSON.parse(out.stdout.trim().split('\n').pop() as string) as { status: number, leaked: boolean }
}

t.test('ESM consumer: compiles strict with skipLibCheck off; Fastify and Express block the false answer', async (t) => {
  const consumer = makeConsumer(tarball, 'module', {
    'tsconfig.json': TSCONFIG('NodeNext'),
    'src/fastify.ts': FASTIFY(true, "import qwed from 'qwed-middleware'"),
    'src/fastify-unawaited.ts': FASTIFY(false, "import qwed from 'qwed-middleware'"),
    'src/express.ts': EXPRESS("import { qwedExpress } from 'qwed-middleware/express'")
  }, DEPS)
  t.teardown(() => { removeConsumer(consumer) })
  const compiled = consumer.tsc()
  t.equal(compiled.status, 0, compiled.output)
  t.notMatch(compiled.output, /TS7016|sanitize-html/, 'no dev-only types needed')
  t.same(lastLine(consumer, 'build/fastify.js'), { status: 422, leaked: false })
  t.same(lastLine(consumer, 'build/fastify-unawaited.js'), { status: 500, leaked: false }, 'registration order: refused, not served')
  t.same(lastLine(consumer, 'build/express.js'), { status: 422, leaked: false })
})

t.test('CommonJS consumer: TypeScript compiled to require(), and the README\'s plain JavaScript', async (t) => {
  const consumer = makeConsumer(tarball, 'commonjs', {
    'tsconfig.json': TSCONFIG('NodeNext'),
    'src/fastify.ts': FASTIFY(true, "import { qwed } from 'qwed-middleware'"),
    'src/fastify-unawaited.ts': FASTIFY(false, "import { qwed } from 'qwed-middleware'"),
    'src/express.ts': EXPRESS("import { qwedExpress } from 'qwed-middleware/express'"),
    'plain.js': FASTIFY_CJS_JS,
    'readme.js': FASTIFY_CJS_README
  }, DEPS)
  t.teardown(() => { removeConsumer(consumer) })
  const compiled = consumer.tsc()
  t.equal(compiled.status, 0, compiled.output)
  t.same(lastLine(consumer, 'build/fastify.js'), { status: 422, leaked: false })
  t.same(lastLine(consumer, 'build/fastify-unawaited.js'), { status: 500, leaked: false }, 'registration order: refused, not served')
  t.same(lastLine(consumer, 'build/express.js'), { status: 422, leaked: false })
  t.same(lastLine(consumer, 'readme.js'), { status: 422, leaked: false }, 'the README\'s CommonJS form, routes in app.after()')
  t.same(lastLine(consumer, 'plain.js'), { status: 500, leaked: false }, 'CommonJS without await or after(): refused, not served')
})
