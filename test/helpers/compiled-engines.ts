// The engine registry and its pool worker compiled to plain JavaScript with esbuild (the same
// transform the test loader applies file by file), for tests that boot workers with every engine:
// a worker then loads two files instead of transpiling each of the library's modules through the
// loader's hooks, which took tens of seconds per pool on a loaded machine. The bundles live in a
// fresh directory under node_modules/.cache, so their packages resolve as the sources' do.
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const EXTERNAL = ['oxc-parser', 'z3-solver', 'web-tree-sitter', 'tree-sitter-python', 'piscina', 'pino', 'ioredis', 'pg', 'better-sqlite3', 'prom-client', 'undici']
// CommonJS packages bundled into an ES module call require(): give them one.
const REQUIRE_SHIM = "import { createRequire as __qwedCreateRequire } from 'node:module'; const require = __qwedCreateRequire(import.meta.url);"

export interface CompiledEngines {
  createEngineRegistry: typeof import('../../lib/engines/index.js').createEngineRegistry
  poolOf: typeof import('../../lib/engines/pool.js').poolOf
  /** Removes the bundles. */
  remove: () => Promise<void>
}

export async function compileEngines (): Promise<CompiledEngines> {
  const cache = join(ROOT, 'node_modules', '.cache')
  await mkdir(cache, { recursive: true })
  const dir = await mkdtemp(join(cache, 'qwed-pool-test-'))
  // Pure-JS packages are bundled too (mathjs alone is hundreds of modules, each one a trip through
  // the loader's hooks in every worker); packages that load native code, wasm or worker files by
  // path stay external.
  const common = { bundle: true, format: 'esm', platform: 'node', target: 'node20', external: EXTERNAL, logLevel: 'silent', banner: { js: REQUIRE_SHIM } } as const
  await build({
    ...common,
    stdin: { contents: "export * from './lib/engines/index.ts'\nexport { poolOf } from './lib/engines/pool.ts'\n", resolveDir: ROOT, loader: 'ts' },
    outfile: join(dir, 'engines.js')
  })
  // pool.ts finds its worker next to itself: pool-worker.js beside the bundle.
  await build({ ...common, entryPoints: [join(ROOT, 'lib/engines/pool-worker.ts')], outfile: join(dir, 'pool-worker.js') })
  const mod = await import(pathToFileURL(join(dir, 'engines.js')).href) as Omit<CompiledEngines, 'remove'>
  return { createEngineRegistry: mod.createEngineRegistry, poolOf: mod.poolOf, remove: async () => await rm(dir, { recursive: true, force: true }) }
}
