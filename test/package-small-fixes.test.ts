import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { main, type CliIo } from '../bin/qwed-audit.js'
import { createVerifier, QwedOptionsError } from '../lib/index.js'
import { MissingPeerError, setPeerLoader } from '../lib/optional-peer.js'
import { SqliteAuditStore } from '../lib/observe/store/sqlite.js'

// Issue #19, item 7: labels, and errors that name what is wrong.

const silent = { info: () => {}, warn: () => {}, error: () => {} }

function tempDir (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'qwed-small-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

t.test('a transaction claim is labelled engine "transaction" in the result, the metrics and the audit store', async (t) => {
  const path = join(tempDir(t), 'audit.db')
  const verifier = createVerifier({ audit: { logger: silent, store: 'sqlite', path, queue: { flushIntervalMs: 1 } } })
  const result = await verifier.verify({ type: 'transaction', subtotal: 100, tax: 10, total: 110, currency: 'USD' })
  t.equal(result.admission, 'ADMIT')
  t.equal(result.engine, 'transaction')
  t.equal(result.claim_type, 'transaction')
  const metrics = await verifier.metrics.registry.metrics()
  t.match(metrics, /qwed_verifications_total\{[^}]*engine="transaction"/)
  t.notMatch(metrics, /qwed_verifications_total\{[^}]*engine="schema"/)
  await verifier.close()

  const store = new SqliteAuditStore(path, { readonly: true })
  t.teardown(() => { store.close() })
  t.equal(store.count({ engine: 'transaction' }), 1, 'what `qwed-audit export --engine transaction` finds')
  t.equal(store.count({ engine: 'schema' }), 0)
})

t.test('better-sqlite3 whose native module is missing: the package is named, not audit.path', async (t) => {
  const dir = tempDir(t)
  // The real better-sqlite3, pointed at an addon that is not there: it fails in its constructor,
  // as an install whose native build was skipped does.
  const RealDatabase = createRequire(import.meta.url)('better-sqlite3') as new (path: string, options?: object) => object
  const restore = setPeerLoader(() => class extends RealDatabase {
    constructor (path: string, options: object = {}) {
      super(path, { ...options, nativeBinding: join(dir, 'build', 'better_sqlite3.node') })
    }
  })
  let err: unknown
  try {
    createVerifier({ audit: { logger: silent, store: 'sqlite', path: join(dir, 'audit.db') } })
  } catch (e) {
    err = e
  } finally {
    restore()
  }
  t.ok(err instanceof QwedOptionsError)
  t.equal((err as QwedOptionsError).option, 'audit.store')
  t.match((err as Error).message, /"better-sqlite3", whose native module does not load.*npm install better-sqlite3/)

  const cli = await runCli(['verify', '--db', join(dir, 'audit.db')], () => class extends RealDatabase {
    constructor (path: string, options: object = {}) {
      super(path, { ...options, nativeBinding: join(dir, 'build', 'better_sqlite3.node') })
    }
  })
  t.equal(cli.code, 2)
  t.match(cli.stderr, /native module does not load.*npm install better-sqlite3/)
  t.notMatch(cli.stderr, /cannot open the audit database/)
})

t.test('the audit CLI names the file it cannot open', async (t) => {
  const missing = join(tempDir(t), 'no-such-dir', 'audit.db')
  const { code, stderr } = await runCli(['verify', '--db', missing])
  t.equal(code, 2)
  t.match(stderr, 'cannot open the audit database ' + JSON.stringify(missing))
  t.match(stderr, /unable to open|does not exist/i, 'with SQLite\'s own reason')
})

t.test('MissingPeerError from the CLI is passed through unchanged', async (t) => {
  const { code, stderr } = await runCli(['verify', '--db', '/tmp/x.db'], () => { throw Object.assign(new Error('Cannot find module \'better-sqlite3\''), { code: 'MODULE_NOT_FOUND' }) })
  t.equal(code, 2)
  t.match(stderr, /needs the optional package "better-sqlite3", which is not installed/)
  t.ok(new MissingPeerError('x', 'y', null).message.includes('npm install x'))
})

class Capture extends Writable {
  text = ''
  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8')
    callback()
  }
}

async function runCli (args: string[], loader?: (name: string) => unknown): Promise<{ code: number, stderr: string }> {
  const stdout = new Capture()
  const stderr = new Capture()
  const restore = loader === undefined ? () => {} : setPeerLoader(loader)
  try {
    const code = await main(args, { stdout, stderr } as unknown as CliIo)
    return { code, stderr: stderr.text }
  } finally {
    restore()
  }
}
