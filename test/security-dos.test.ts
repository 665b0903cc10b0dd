import { performance } from 'node:perf_hooks'
import t, { type Test } from 'tap'
import type { VerificationResult } from '../types/result.js'
import { preloadLogicSolver } from '../lib/engines/logic/index.js'
import { createVerifier } from '../lib/verifier.js'
import { dosInputs, type DosInput } from './fixtures/security/dos-inputs.js'

// Denial-of-service inputs for every claim type (test/fixtures/security/dos-inputs.ts): huge
// exponents and factorials, deep nesting, 1 MB strings in every text field of every claim type,
// wide arrays, long SQL IN lists, 1 MB code, a 10,000-variable formula, solver-hard problems.
//
// Each goes through the public API with the default verifier settings (breaker timeout 2 s;
// audit and cache off so every input reaches its engine and the output stays TAP) and must come
// back without a throw, within DEADLINE_MS, and never ADMIT. Inputs marked 'BLOCKED' must be
// refused; inputs marked 'NOT_ADMIT' may be decided legitimately in time (each says why in its
// note) and are built false or unsafe, so the decision is UNVERIFIABLE or VERIFIED is_valid false.
//
// The deadline is generous (the machine is shared and slow): it separates "bounded" from "hangs".
// A synchronous engine that hogs the event loop is still measured correctly: the clock is read
// after the promise settles. The slowest inputs are printed with t.comment.

const DEADLINE_MS = 15_000

type Outcome = { ok: true, r: VerificationResult } | { ok: false, error: unknown } | { ok: false, timeout: true }

async function withDeadline (promise: Promise<VerificationResult>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined
  const expiry = new Promise<Outcome>((resolve) => { timer = setTimeout(() => resolve({ ok: false, timeout: true }), ms) })
  try {
    return await Promise.race([promise.then((r): Outcome => ({ ok: true, r }), (error: unknown): Outcome => ({ ok: false, error })), expiry])
  } finally {
    clearTimeout(timer)
  }
}

const inputs = dosInputs()
const verifier = createVerifier({ audit: false, cache: false })
t.teardown(() => verifier.close())

interface Row { name: string, ms: number, status: string, id: string }
const rows: Row[] = []

t.test('the corpus covers every claim type', async (t) => {
  const targets = new Set(inputs.map((i) => i.target))
  for (const type of ['math', 'sql', 'code', 'schema', 'transaction', 'logic', 'stats', 'fact', 'natural_language']) {
    t.ok(targets.has(type), `has inputs for ${type}`)
  }
  const names = new Set(inputs.map((i) => i.name))
  t.equal(names.size, inputs.length, 'names are unique')
  for (const i of inputs) if (i.expect === 'NOT_ADMIT') t.ok(typeof i.note === 'string' && i.note.length > 0, `${i.name}: says why a decision is legitimate`)
})

async function run (t: Test, input: DosInput): Promise<void> {
  const claim = input.make()
  const started = performance.now()
  const outcome = await withDeadline(verifier.verify(claim), DEADLINE_MS)
  const ms = performance.now() - started
  if (!outcome.ok) {
    t.fail(`${input.name}: ${'timeout' in outcome ? `no answer within ${DEADLINE_MS} ms` : `verify threw ${String(outcome.error)}`}`)
    rows.push({ name: input.name, ms, status: 'FAILED', id: '-' })
    return
  }
  const { r } = outcome
  const id = String(r.developer_fields.constraint_id)
  rows.push({ name: input.name, ms, status: r.status, id })
  t.ok(ms < DEADLINE_MS, `${input.name}: answered in ${ms.toFixed(0)} ms (${r.status} ${id})`)
  t.equal(r.admission, 'BLOCKED', `${input.name}: not admitted`)
  t.notOk(r.status === 'VERIFIED' && r.developer_fields.is_valid === true, `${input.name}: not VERIFIED with is_valid true`)
  if (input.expect === 'BLOCKED') t.equal(r.status, 'BLOCKED', `${input.name}: BLOCKED`)
}

for (const target of [...new Set(inputs.map((i) => i.target))]) {
  t.test(`${target} inputs are refused or decided in time, never admitted`, async (t) => {
    // Z3 loads on the first logic claim (seconds on a cold machine); load it first so that the
    // solver-hard inputs meet the solver, not the loader (an unavailable engine would be BLOCKED
    // too, but would test nothing).
    if (target === 'logic') await preloadLogicSolver()
    for (const input of inputs.filter((i) => i.target === target)) await run(t, input)
  })
}

t.test('report', async (t) => {
  const sorted = [...rows].sort((a, b) => b.ms - a.ms)
  t.comment(`${rows.length} inputs; slowest:`)
  for (const row of sorted.slice(0, 5)) t.comment(`  ${row.ms.toFixed(0).padStart(6)} ms  ${row.status.padEnd(12)} ${row.id.padEnd(32)} ${row.name}`)
  const byStatus = new Map<string, number>()
  for (const row of rows) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1)
  t.comment(`statuses: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}`)
  t.equal(rows.length, inputs.length, 'every input ran')
})
