// Module hooks for the tests: `.js` specifiers that name a `.ts` source (NodeNext style) resolve to
// it, and `.ts` / `.mts` files are transpiled by esbuild with an inline source map, line for line.
// The output is kept on disk (node_modules/.cache/qwed-test-loader, keyed by the source, its path
// and the esbuild version): every test process, child process and worker thread registers these
// hooks, and with the cache warm none of them starts an esbuild service at all.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const ESBUILD_VERSION = require('esbuild/package.json').version
const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline' }
const CACHE = new URL('../../node_modules/.cache/qwed-test-loader/', import.meta.url)
const SALT = JSON.stringify([ESBUILD_VERSION, OPTIONS])
let esbuild

export async function resolve (specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (err) {
    const relative = specifier.startsWith('.') || specifier.startsWith('file:')
    if (!relative || !specifier.endsWith('.js') || err?.code !== 'ERR_MODULE_NOT_FOUND') throw err
    return await nextResolve(specifier.slice(0, -3) + '.ts', context)
  }
}

export async function load (url, context, nextLoad) {
  if (!url.startsWith('file:') || !/\.m?ts$/.test(url)) return await nextLoad(url, context)
  const path = new URL(url)
  const source = await readFile(path, 'utf8')
  return { format: 'module', source: await transpile(source, path.pathname), shortCircuit: true }
}

async function transpile (source, sourcefile) {
  const key = createHash('sha256').update(SALT).update('\0').update(sourcefile).update('\0').update(source).digest('hex')
  const cached = new URL(`${key}.js`, CACHE)
  try {
    return await readFile(cached, 'utf8')
  } catch {}
  esbuild ??= await import('esbuild')
  const { code } = await esbuild.transform(source, { ...OPTIONS, sourcefile })
  try {
    // written aside and renamed: processes that transpile the same file at once never read half of it
    await mkdir(CACHE, { recursive: true })
    const partial = new URL(`${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`, CACHE)
    await writeFile(partial, code)
    await rename(partial, cached)
  } catch {}
  return code
}
