import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import t from 'tap'
import type { Claim } from '../types/claims.js'
import type { VerificationResult } from '../types/result.js'
import { createVerifier } from '../lib/verifier.js'

// Expression-parser and sandbox escape payloads (test/fixtures/security/parser-escapes.json), one
// per entry { name, claim, why }, aimed at every engine that reads text: math (extending
// test/math-hostile.test.ts, which already covers the classic mathjs escapes, resource bombs and
// look-alikes: nothing here repeats it), logic (our Z3-Python parser), sql, code (JavaScript,
// TypeScript, Python), stats (generated code, data values), schema ($ref, patterns) and
// transaction (amount strings).
//
// Each claim goes through the public API (one verifier for the file) and must come back with
// admission BLOCKED: never ADMIT, never a throw, never VERIFIED with is_valid true. A payload that
// is refused (BLOCKED) or proven unsafe (VERIFIED with is_valid false, the SQL/code/schema
// convention) both pass. Payloads are never executed by a correct engine; to prove the process is
// unharmed, the test also checks that no canary file appeared ({{CANARY}} in a payload becomes a
// fresh temp path), that no request reached a local HTTP server ({{HTTP}} becomes its URL: a remote
// $ref must never be fetched), and that process, Function and Object.prototype are intact.

interface Entry { name: string, claim: Record<string, unknown>, why: string }

const raw = JSON.parse(readFileSync(new URL('./fixtures/security/parser-escapes.json', import.meta.url), 'utf8')) as Entry[]

function substitute (value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') {
    let out = value
    for (const [key, replacement] of Object.entries(vars)) out = out.replaceAll(key, replacement)
    return out
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars))
  if (value !== null && typeof value === 'object') {
    // JSON.parse makes "__proto__" an own key; keep it one (a plain assignment would set the prototype)
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: substitute(v, vars), enumerable: true, writable: true, configurable: true })
    return out
  }
  return value
}

// every claim type is judged by the engine of the same name (transactions have their own engine)
const engineOf = (claim: Record<string, unknown>): string => String(claim.type)

t.test('the corpus is well formed', async (t) => {
  t.ok(raw.length >= 30, `${raw.length} payloads (at least 30)`)
  const names = new Set<string>()
  for (const e of raw) {
    t.type(e.name, 'string')
    t.notOk(names.has(e.name), `unique name: ${e.name}`)
    names.add(e.name)
    t.ok(e.claim !== null && typeof e.claim === 'object' && typeof e.claim.type === 'string', `${e.name}: a claim with a type`)
    t.ok(typeof e.why === 'string' && e.why.length > 10, `${e.name}: says why`)
  }
  const covered = new Set(raw.map((e) => e.claim.type === 'code' ? `code/${String(e.claim.language)}` : String(e.claim.type)))
  for (const kind of ['math', 'logic', 'sql', 'code/javascript', 'code/typescript', 'code/python', 'schema', 'transaction', 'stats']) {
    t.ok(covered.has(kind), `covers ${kind}`)
  }
})

t.test('every escape payload is BLOCKED and the process is unharmed', async (t) => {
  let requests = 0
  const server = createServer((req, res) => {
    requests++
    res.setHeader('content-type', 'application/json')
    res.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const verifier = createVerifier({ audit: false, cache: false })
  t.teardown(() => verifier.close())

  const processBefore = globalThis.process
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort()
  const functionCtor = Function.prototype.constructor
  const canaries: string[] = []
  const tally = new Map<string, Map<string, number>>()
  const escapes: string[] = []
  let slowest = { name: '', ms: 0 }

  for (const [index, entry] of raw.entries()) {
    const canary = join(tmpdir(), `qwed-canary-${process.pid}-${index}`)
    canaries.push(canary)
    const claim = substitute(entry.claim, { '{{CANARY}}': canary, '{{HTTP}}': base }) as Claim
    const started = performance.now()
    let r: VerificationResult
    try {
      r = await verifier.verify(claim)
    } catch (err) {
      t.fail(`${entry.name}: verify threw ${String(err)}`)
      continue
    }
    const ms = performance.now() - started
    if (ms > slowest.ms) slowest = { name: entry.name, ms }
    const id = String(r.developer_fields.constraint_id)
    const proven = r.status === 'VERIFIED' && r.developer_fields.is_valid === true
    if (r.admission !== 'BLOCKED' || proven) escapes.push(`${entry.name} -> ${r.status} ${id} (${r.admission})`)
    t.equal(r.admission, 'BLOCKED', `${entry.name}: admission BLOCKED (${r.status} ${id})`)
    t.notOk(proven, `${entry.name}: not VERIFIED with is_valid true`)
    // the verdict is the engine's own: the payload reached its parser (not refused by the claim
    // guard, not an unavailable engine that would hide what the parser does)
    t.equal(r.engine, engineOf(entry.claim), `${entry.name}: judged by the ${engineOf(entry.claim)} engine`)
    t.notMatch(id, /\.unavailable$/, `${entry.name}: the engine answered`)
    const byType = tally.get(String(entry.claim.type)) ?? new Map<string, number>()
    byType.set(r.status, (byType.get(r.status) ?? 0) + 1)
    tally.set(String(entry.claim.type), byType)
  }

  // nothing ran: no canary file, no fetch, no global tampered with
  for (const canary of canaries) t.notOk(existsSync(canary), `no file at ${canary}`)
  t.equal(requests, 0, 'no request reached the local HTTP server (no remote $ref was fetched)')
  t.equal(globalThis.process, processBefore, 'globalThis.process is the same object')
  t.type(process.exit, 'function', 'process.exit intact')
  t.equal(Function.prototype.constructor, functionCtor, 'Function.prototype.constructor intact')
  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys, 'Object.prototype has no new keys')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
  t.equal((globalThis as Record<string, unknown>).PWNED, undefined, 'no global written')

  for (const [type, counts] of [...tally].sort()) {
    t.comment(`${type}: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`)
  }
  t.comment(`${raw.length} payloads; slowest ${slowest.ms.toFixed(1)} ms (${slowest.name})`)
  if (escapes.length > 0) t.comment(`NOT BLOCKED (${escapes.length}):\n  ${escapes.join('\n  ')}`)
})
