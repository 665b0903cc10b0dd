import { readFileSync } from 'node:fs'
import type { Test } from 'tap'
import { createVerifier } from '../../lib/verifier.js'
import type { Claim } from '../../types/claims.js'
import type { VerificationResult } from '../../types/result.js'

/** One QWED-derived case of test/fixtures/qwed-cases.jsonl (see shared/conformance/README.md). */
export interface ConformanceCase {
  id: string
  engine: string
  input: Record<string, unknown> & { method: string }
  expected: { status: string, verified: boolean | null, blocked: boolean | null }
  note?: string
  /** The raw JSON line, for reading number literals without losing digits to doubles. */
  line: string
}

export function loadCases (engine: string): ConformanceCase[] {
  return readFileSync(new URL('../fixtures/qwed-cases.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ({ ...JSON.parse(line), line }) as ConformanceCase)
    .filter((c) => c.engine === engine)
}

/** The literal text of a numeric field in a case's raw line (so `100000000000000000001` keeps its last digit). */
export function numberLiteral (c: ConformanceCase, key: string): string | null {
  const m = new RegExp(`"${key}"\\s*:\\s*(-?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)\\s*[,}\\]]`).exec(c.line)
  return m === null ? null : (m[1] as string)
}

/** Why a result does not match a case's expected verdict; empty when it passes. */
export function mismatches (c: ConformanceCase, r: VerificationResult): string[] {
  const reasons: string[] = []
  if (r.status !== c.expected.status) reasons.push(`status ${r.status} (expected ${c.expected.status})`)
  if (c.expected.verified !== null && (r.admission === 'ADMIT') !== c.expected.verified) reasons.push(`admission ${r.admission} (expected verified=${String(c.expected.verified)})`)
  if (c.expected.blocked !== null && (r.admission === 'BLOCKED') !== c.expected.blocked) reasons.push(`admission ${r.admission} (expected blocked=${String(c.expected.blocked)})`)
  return reasons
}

export interface ConformanceRun {
  engine: string
  /** Maps a case to our claim; returns a string (the reason) for a case that is pending on purpose. */
  toClaim: (c: ConformanceCase) => Claim | { pending: string }
  /** Cases we knowingly decide differently, by id, with the reason: reported as todo, not hidden. */
  knownGaps?: Record<string, string>
}

/**
 * Runs every case of one engine through the public API (createVerifier().verify): one assertion
 * per case, so a single regression fails the run. Pending cases and known gaps are todo, with their
 * reason, and left out of the printed pass rate.
 */
export async function runConformance (t: Test, run: ConformanceRun): Promise<void> {
  const cases = loadCases(run.engine)
  t.ok(cases.length > 0, `the fixture has ${run.engine} cases`)
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  let judged = 0
  let passed = 0
  for (const c of cases) {
    const claim = run.toClaim(c)
    const name = `${c.id} (${c.input.method})`
    if ('pending' in claim) {
      t.pass(name, { todo: claim.pending })
      continue
    }
    const r = await verifier.verify(claim)
    const reasons = mismatches(c, r)
    const gap = run.knownGaps?.[c.id]
    if (gap !== undefined) {
      t.same(reasons, [], name, { todo: gap })
      continue
    }
    judged++
    if (reasons.length === 0) passed++
    t.same(reasons, [], `${name} [${String(r.developer_fields.constraint_id)}]`)
  }
  t.comment(`${run.engine} conformance: ${passed}/${judged} passed; ${cases.length - judged} pending or known gaps, ${cases.length} cases in all`)
}
