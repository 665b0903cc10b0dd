import { TS_LOADER } from './loader.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Why a fleet test cannot run here, or null. CI always sets both (scripts/services.sh up). */
export function missingServer (name: 'REDIS_URL' | 'DATABASE_URL'): string | null {
  const value = process.env[name]
  return value === undefined || value === '' ? `${name} is not set: start the servers with eval "$(bash scripts/services.sh up)"` : null
}

/** A port nobody listens on right now, on loopback. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** The environment of a child process: this one's, plus `extra`. */
export function childEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra }
}

export interface ChildRun {
  proc: ChildProcess
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  stderr: () => string
  /** JSON lines the child wrote on stdout so far. */
  lines: Array<Record<string, any>>
  /** Resolves with the first line that `match` accepts. */
  waitFor: (match: (line: Record<string, any>) => boolean) => Promise<Record<string, any>>
}

/**
 * Runs ESM code (TypeScript sources through the test loader) in a child process that reports JSON lines on
 * stdout; `import('./lib/...')` in the code resolves from the repository root.
 */
export function runChild (code: string, env: Record<string, string> = {}): ChildRun {
  // A file, not --eval: worker threads (Z3, the pool) inherit the flags, and --input-type breaks them.
  const dir = mkdtempSync(join(tmpdir(), 'qwed-child-'))
  const file = join(dir, 'child.mjs')
  writeFileSync(file, code.replaceAll("import('./", `import('${pathToFileURL(ROOT).href}/`))
  const proc = spawn(process.execPath, [...TS_LOADER, file], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  let buffer = ''
  const lines: Array<Record<string, any>> = []
  const waiting: Array<{ match: (line: Record<string, any>) => boolean, resolve: (line: Record<string, any>) => void }> = []
  proc.stderr?.on('data', (chunk) => { stderr += String(chunk) })
  proc.stdout?.on('data', (chunk) => {
    buffer += String(chunk)
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    for (const part of parts) {
      if (part.trim() === '') continue
      let line: Record<string, any>
      try { line = JSON.parse(part) } catch { continue }
      lines.push(line)
      for (const w of [...waiting]) {
        if (w.match(line)) {
          waiting.splice(waiting.indexOf(w), 1)
          w.resolve(line)
        }
      }
    }
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => {
    rmSync(dir, { recursive: true, force: true })
    resolve({ code, signal })
  }))
  const waitFor = async (match: (line: Record<string, any>) => boolean): Promise<Record<string, any>> => {
    const seen = lines.find(match)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      waiting.push({ match, resolve })
      exited.then(({ code, signal }) => reject(new Error(`child exited (${code ?? signal}) before the expected line; stderr: ${stderr.slice(-2000)}`)), () => {})
    })
  }
  return { proc, exited, stderr: () => stderr, lines, waitFor }
}

/** A private redis-server on a free loopback port, that a test may stop, freeze or kill. */
export interface PrivateRedis {
  port: number
  url: string
  proc: ChildProcess
  stop: () => Promise<void>
}

export async function startPrivateRedis (port?: number): Promise<PrivateRedis> {
  const chosen = port ?? await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'qwed-redis-'))
  const bin = process.env.QWED_REDIS_SERVER ?? 'redis-server'
  const proc = spawn(bin, ['--bind', '127.0.0.1', '--port', String(chosen), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    proc.stdout?.on('data', (chunk) => {
      out += String(chunk)
      if (out.includes('Ready to accept connections')) resolve()
    })
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)))
  })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    proc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT')
        proc.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A private PostgreSQL (trust auth on loopback, data in a temp dir) that a test may stop and start again. */
export interface PrivatePostgres {
  port: number
  url: string
  stop: () => Promise<void>
  start: () => Promise<void>
  /** Stops it for good and removes its data. */
  destroy: () => Promise<void>
}

function pgBinDir (): string {
  const fromEnv = process.env.QWED_PG_BINDIR
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  for (const version of ['17', '16', '15', '14', '13']) {
    const dir = `/usr/lib/postgresql/${version}/bin`
    if (existsSync(join(dir, 'initdb'))) return dir
  }
  throw new Error('PostgreSQL binaries not found (set QWED_PG_BINDIR)')
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (PostgreSQL refuses root). */
function pgRun (bin: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
  return new Promise((resolve, reject) => {
    const proc = spawn(command as string, argv as string[], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    proc.stderr?.on('data', (chunk) => { stderr += String(chunk) })
    proc.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`${bin} exited ${code}: ${stderr.slice(-500)}`)))
  })
}

export async function startPrivatePostgres (): Promise<PrivatePostgres> {
  const bin = pgBinDir()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'qwed-pg-'))
  chmodSync(dir, 0o755)
  if (process.getuid?.() === 0) await new Promise<void>((resolve, reject) => spawn('chown', ['postgres:', dir]).once('exit', (code) => code === 0 ? resolve() : reject(new Error('chown failed'))))
  const data = join(dir, 'data')
  await pgRun(join(bin, 'initdb'), ['-D', data, '-U', 'qwed', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  const start = async (): Promise<void> => {
    await pgRun(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60',
      '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start'])
  }
  const stop = async (): Promise<void> => {
    await pgRun(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'])
  }
  await start()
  return {
    port,
    url: `postgres://qwed@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
