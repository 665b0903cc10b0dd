import { readFileSync } from 'node:fs'
import t from 'tap'
import type { SqlClaim, SqlLimits } from '../types/claims.js'
import { createVerifier } from '../lib/verifier.js'

// QWED-derived SQL cases (test/fixtures/qwed-cases.jsonl), run through the public API.
//
// Where we differ from QWED 7.1 on purpose (see shared/conformance/README.md), the expected verdict
// is ours and QWED's is wrong:
// - unknown tables and columns are checked against the given DDL (QWED only warns about unknown
//   tables and never looks at columns): `SELECT age FROM users` against a DDL without `age` is BLOCKED;
// - tautologies are found by evaluating constant comparisons (`OR 2>1`, `'a'<>'b'`), not only `=`
//   with identical sides;
// - comments are found outside string literals and judged (`'admin'--` is an injection, `--` inside a
//   string is not), and a `;` inside a string literal is not a stacked statement;
// - time-delay and file functions (`pg_sleep`, `load_file`, ...) are unsafe.

interface Case {
  id: string
  engine: string
  input: Record<string, unknown>
  expected: { status: string, verified: boolean | null, blocked: boolean | null }
  note?: string
}

const cases: Case[] = readFileSync(new URL('./fixtures/qwed-cases.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Case)
  .filter((c) => c.engine === 'sql')

const DIALECTS: Record<string, SqlClaim['dialect']> = {
  postgres: 'postgresql', postgresql: 'postgresql', mysql: 'mysql', sqlite: 'sqlite'
}
const LIMIT_KEYS: Record<string, keyof SqlLimits> = {
  max_tables: 'maxTables',
  max_joins: 'maxJoins',
  max_subquery_depth: 'maxSubqueryDepth',
  max_conditions: 'maxPredicates'
}

/** QWED's `verify_sql(query, schema_ddl, dialect)` with SQLVerifier options -> our claim. */
function toClaim (input: Record<string, unknown>): SqlClaim {
  if (input.method !== 'verify_sql') throw new Error(`unknown method ${String(input.method)}`)
  const claim: SqlClaim = { type: 'sql', query: input.query as string }
  if (typeof input.schema_ddl === 'string') claim.schema = input.schema_ddl
  if (typeof input.dialect === 'string') {
    // an unknown dialect name is passed through: the engine refuses it (BLOCKED)
    claim.dialect = DIALECTS[input.dialect.toLowerCase()] ?? (input.dialect as SqlClaim['dialect'])
  }
  const options = (input.verifier_options ?? {}) as Record<string, unknown>
  if (typeof options.allow_destructive === 'boolean') claim.allowDestructive = options.allow_destructive
  const limits = options.complexity_limits as Record<string, unknown> | undefined
  if (limits !== undefined && limits !== null) {
    const mapped: SqlLimits = {}
    for (const [key, value] of Object.entries(limits)) {
      const ours = LIMIT_KEYS[key]
      // max_columns and max_estimated_cost have no counterpart in our claim (they stay at our defaults)
      if (ours !== undefined && typeof value === 'number') mapped[ours] = value
    }
    claim.limits = mapped
  }
  return claim
}

t.test('QWED sql conformance cases', async (t) => {
  t.ok(cases.length > 0, 'the fixture has sql cases')
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const failures: string[] = []
  let admittedButBlocked = 0
  for (const c of cases) {
    const r = await verifier.verify(toClaim(c.input))
    const reasons: string[] = []
    if (r.status !== c.expected.status) reasons.push(`status ${r.status} (expected ${c.expected.status})`)
    if (c.expected.verified !== null && (r.admission === 'ADMIT') !== c.expected.verified) reasons.push(`admission ${r.admission} (expected verified=${String(c.expected.verified)})`)
    if (c.expected.blocked !== null && (r.admission === 'BLOCKED') !== c.expected.blocked) reasons.push(`admission ${r.admission} (expected blocked=${String(c.expected.blocked)})`)
    if (c.expected.blocked === true && r.admission === 'ADMIT') admittedButBlocked++
    if (reasons.length > 0) failures.push(`${c.id}: ${reasons.join('; ')} [${String(r.developer_fields.constraint_id)}]`)
  }
  const passed = cases.length - failures.length
  const rate = passed / cases.length
  t.comment(`sql conformance: ${passed}/${cases.length} passed (${(rate * 100).toFixed(1)}%)`)
  for (const f of failures) t.comment(`FAIL ${f}`)
  t.ok(rate >= 0.95, `pass rate ${(rate * 100).toFixed(1)}% >= 95%`)
  t.equal(admittedButBlocked, 0, 'no case that must be blocked is admitted')
})
