import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { makeConsumer, packTarball, removeConsumer } from './consumer.js'
import { APP_DECLARATIONS, documentSnippets } from './snippets.js'

// Every ```ts block of README.md and docs/*.md compiles under strict NodeNext, "type": "module",
// skipLibCheck off, against the packed package: a reader who pastes one gets no type error.
// `npm run build` first (the test:package lane does it).

t.test('the documentation\'s TypeScript blocks compile against the packed package', async (t) => {
  const snippets = documentSnippets()
  t.ok(snippets.length >= 20, `${snippets.length} blocks found`)
  const packDir = mkdtempSync(join(tmpdir(), 'qwed-pack-'))
  t.teardown(() => { rmSync(packDir, { recursive: true, force: true }) })
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
      include: ['src']
    }),
    'src/app.d.ts': APP_DECLARATIONS
  }
  // Each block is a module of its own (`export {}`), so two blocks may declare the same names.
  snippets.forEach((snippet, i) => { files[`src/snippet-${i}.ts`] = `// ${snippet.where}\n${snippet.code}\nexport {}\n` })
  const consumer = makeConsumer(packTarball(packDir), 'module', files, ['fastify', 'express', '@types/express', '@types/node', 'ai', '@ai-sdk/provider', 'zod', 'ioredis', 'pg', '@types/pg', 'better-sqlite3', '@types/better-sqlite3'])
  t.teardown(() => { removeConsumer(consumer) })
  const compiled = consumer.tsc()
  // Name the document and line of each error, not the temporary file.
  const errors = compiled.output.split('\n').filter((l) => /error TS/.test(l)).map((line) => {
    const index = Number(/snippet-(\d+)\.ts\((\d+)/.exec(line)?.[1])
    const at = Number(/snippet-\d+\.ts\((\d+)/.exec(line)?.[1])
    const snippet = snippets[index]
    if (snippet === undefined) return line
    const [file, start] = snippet.where.split(':')
    return `${file}:${Number(start) + at - 1}: ${line.replace(/^.*?error /, 'error ')}`
  })
  t.same(errors, [], errors.join('\n'))
  t.equal(compiled.status, 0)
})
