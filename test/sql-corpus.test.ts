// The SQL read policy against our own corpora over a realistic DDL (HR, banking, e-commerce, with
// salary and balance as ordinary columns and ssn / password_hash / iban / card_number / token
// declared sensitive): every attack is refused and at least 99% of the benign analytics queries are
// admitted. Rates are printed by class.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createSqlEngine } from '../lib/engines/sql.js'
import { admissionOf } from '../lib/result.js'
import type { SqlClaim } from '../types/claims.js'

interface Attack { class: string, query: string, expect?: string, dialect?: SqlClaim['dialect'] }
const attacks = JSON.parse(readFileSync(new URL('./fixtures/security/sql-attacks.json', import.meta.url), 'utf8')) as { schema: string, dialect: SqlClaim['dialect'], attacks: Attack[] }
const benign = JSON.parse(readFileSync(new URL('./fixtures/security/sql-benign.json', import.meta.url), 'utf8')) as { schema: string, dialect: SqlClaim['dialect'], queries: string[] }

const engine = createSqlEngine()
const signal = new AbortController().signal

async function judge (claim: SqlClaim): Promise<{ admission: string, types: string[], constraint: unknown }> {
  const r = await engine.verify(claim, { signal })
  const types = ((r.developer_fields.issues ?? []) as Array<{ type: string, severity: string }>).filter((i) => i.severity === 'CRITICAL').map((i) => i.type)
  return { admission: admissionOf(r), types, constraint: r.developer_fields.constraint_id }
}

t.test('the corpora are big enough', async (t) => {
  t.ok(attacks.attacks.length >= 150, `${attacks.attacks.length} attacks`)
  t.ok(benign.queries.length >= 100, `${benign.queries.length} benign queries`)
})

t.test('every attack is refused (with the reason its class calls for)', async (t) => {
  const byClass = new Map<string, { total: number, blocked: number }>()
  for (const a of attacks.attacks) {
    const r = await judge({ type: 'sql', query: a.query, schema: attacks.schema, dialect: a.dialect ?? attacks.dialect })
    const tally = byClass.get(a.class) ?? { total: 0, blocked: 0 }
    tally.total++
    if (r.admission === 'BLOCKED') tally.blocked++
    byClass.set(a.class, tally)
    t.equal(r.admission, 'BLOCKED', `${a.class}: ${a.query} (${String(r.constraint)})`)
    if (a.expect !== undefined) t.ok(r.types.includes(a.expect), `${a.query}: ${a.expect} (got ${r.types.join(',')})`)
  }
  for (const [cls, { total, blocked }] of [...byClass].sort()) t.comment(`attacks ${cls}: ${blocked}/${total} blocked (${(100 * blocked / total).toFixed(1)}%)`)
})

t.test('at least 99% of benign analytics queries are admitted', async (t) => {
  const refusedQueries: string[] = []
  for (const query of benign.queries) {
    const r = await judge({ type: 'sql', query, schema: benign.schema, dialect: benign.dialect })
    if (r.admission !== 'ADMIT') refusedQueries.push(`${query} -> ${String(r.constraint)} ${r.types.join(',')}`)
  }
  const rate = 1 - refusedQueries.length / benign.queries.length
  t.comment(`benign: ${benign.queries.length - refusedQueries.length}/${benign.queries.length} admitted (${(100 * rate).toFixed(1)}%)`)
  for (const line of refusedQueries) t.comment(`refused: ${line}`)
  t.ok(rate >= 0.99, `admitted ${(100 * rate).toFixed(1)}%`)
})
