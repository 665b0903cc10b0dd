// Module hooks for the tests: `.js` specifiers that name a `.ts` source (NodeNext style) resolve to
// it, and `.ts` / `.mts` files are transpiled by esbuild with an inline source map, line for line.
import { readFile } from 'node:fs/promises'
import { transform } from 'esbuild'

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
  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: path.pathname
  })
  return { format: 'module', source: code, shortCircuit: true }
}
