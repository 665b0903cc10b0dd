import type { SqlClaim, SqlLimits } from '../../../types/claims.js'
import type { ConformanceCase } from '../conformance.js'

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
export function toClaim ({ input }: ConformanceCase): SqlClaim {
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
