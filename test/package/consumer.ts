import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// A consumer project made from the packed tarball, without the network: the tarball is unpacked
// into node_modules/qwed-middleware, and only the packages a real install would bring (the
// tarball's dependencies, the consumer's own, and theirs, transitively) are linked from this
// repository's node_modules. Dev-only packages of this repository (@types/sanitize-html, tap...)
// are not there, as they would not be for a consumer.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MODULES = join(ROOT, 'node_modules')

/** `npm pack` of the built package (run `npm run build` first); returns the tarball's path. */
export function packTarball (into: string): string {
  if (!existsSync(join(ROOT, 'dist/lib/index.js'))) throw new Error('dist/ is missing: run `npm run build` first')
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', into], { cwd: ROOT, encoding: 'utf8' })
  const name = out.trim().split('\n').pop() as string
  return join(into, name)
}

export interface Consumer {
  dir: string
  run: (file: string) => { status: number | null, stdout: string, stderr: string }
  tsc: () => { status: number | null, output: string }
}

/** The packages of the consumer's dependency closure, by top-level name in this repository's node_modules. */
function closure (start: readonly string[]): Set<string> {
  const seen = new Set<string>()
  const queue = [...start]
  while (queue.length > 0) {
    const name = queue.pop() as string
    if (seen.has(name)) continue
    const manifest = join(MODULES, name, 'package.json')
    // An optional dependency for another platform, or an optional peer nobody installed.
    if (!existsSync(manifest)) continue
    seen.add(name)
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, Record<string, string> | undefined>
    for (const field of ['dependencies', 'optionalDependencies'] as const) {
      for (const dep of Object.keys(pkg[field] ?? {})) {
        // A dependency nested under the package travels with it (it is inside the linked folder).
        if (!existsSync(join(MODULES, name, 'node_modules', dep))) queue.push(dep)
      }
    }
  }
  return seen
}

/**
 * A consumer project in a temporary folder: package.json with `type`, the given files, the
 * tarball unpacked, its closure linked. `deps` are the consumer's own dependencies.
 */
export function makeConsumer (tarball: string, type: 'module' | 'commonjs', files: Record<string, string>, deps: readonly string[]): Consumer {
  const dir = mkdtempSync(join(tmpdir(), `qwed-consumer-${type}-`))
  const own = join(dir, 'node_modules', 'qwed-middleware')
  mkdirSync(own, { recursive: true })
  execFileSync('tar', ['-xzf', tarball, '-C', own, '--strip-components=1'])
  const shipped = JSON.parse(readFileSync(join(own, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  for (const name of closure([...Object.keys(shipped.dependencies ?? {}), ...deps])) {
    const link = join(dir, 'node_modules', name)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(join(MODULES, name), link, 'dir')
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type, dependencies: Object.fromEntries(['qwed-middleware', ...deps].map((d) => [d, '*'])) }, null, 2))
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  return {
    dir,
    run: (file) => {
      try {
        const stdout = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
        return { status: 0, stdout, stderr: '' }
      } catch (err) {
        const e = err as { status: number | null, stdout?: string, stderr?: string }
        return { status: e.status, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
      }
    },
    tsc: () => {
      try {
        const output = execFileSync(process.execPath, [join(MODULES, 'typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
        return { status: 0, output }
      } catch (err) {
        const e = err as { status: number | null, stdout?: string }
        return { status: e.status, output: e.stdout ?? '' }
      }
    }
  }
}

/** A consumer's tsconfig: strict, NodeNext, and its libraries' declarations checked too. */
export const CONSUMER_TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
  include: ['src']
}, null, 2)

export function removeConsumer (consumer: Consumer): void {
  rmSync(consumer.dir, { recursive: true, force: true })
}

export function listLinked (consumer: Consumer): string[] {
  return readdirSync(join(consumer.dir, 'node_modules'))
}
