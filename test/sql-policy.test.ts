// The SQL read policy derived from the DDL (issue 16), rule by rule: sensitivity declared by the
// user (claim, DDL markers) with the word list only without a DDL, `*` expanded to the DDL's
// columns, exact schema-qualified names, the function allowlist, tautologies by meaning, row
// products, and the standard clauses LLMs write (FETCH FIRST, OFFSET ... ROWS).
import t from 'tap'
import { createSqlEngine } from '../lib/engines/sql.js'
import { classifyFunction } from '../lib/engines/sql/functions.js'
import { standardClauses } from '../lib/engines/sql/standard.js'
import { admissionOf } from '../lib/result.js'
import type { SqlClaim } from '../types/claims.js'

const engine = createSqlEngine()
const run = async (query: string, extra: Partial<SqlClaim> = {}) => {
  const r = await engine.verify({ type: 'sql', query, ...extra }, { signal: new AbortController().signal })
  const types = ((r.developer_fields.issues ?? []) as Array<{ type: string, severity: string }>).filter((i) => i.severity === 'CRITICAL').map((i) => i.type)
  return { admission: admissionOf(r), constraint: r.developer_fields.constraint_id, types, result: r }
}

const HR = `CREATE TABLE users (
  id int PRIMARY KEY,
  email text,
  password_hash text,
  salary numeric
);
CREATE TABLE accounts (id int, owner_id int, balance numeric, pin text /* qwed:sensitive */);`

t.test('sensitivity: declared by the user; the word list only without a DDL', async (t) => {
  // with a DDL, a column is never sensitive for its name alone
  t.equal((await run('SELECT avg(salary), sum(balance) FROM users, accounts WHERE accounts.owner_id = users.id', { schema: HR })).admission, 'ADMIT')
  t.equal((await run('SELECT password_hash FROM users', { schema: HR })).admission, 'ADMIT', 'not declared: the DDL decides, not the name')
  // declared on the claim
  const declared = { schema: HR, sensitiveColumns: ['users.password_hash'] }
  t.match(await run('SELECT password_hash FROM users', declared), { admission: 'BLOCKED', types: ['sensitive_column_access'] })
  t.match(await run('SELECT * FROM users', declared), { admission: 'BLOCKED', types: ['sensitive_column_access'] }, '* expands to the DDL columns')
  t.match(await run('SELECT u.* FROM users u', declared), { admission: 'BLOCKED' }, 't.* too')
  t.match(await run('SELECT id FROM accounts UNION ALL SELECT * FROM users', declared), { admission: 'BLOCKED' }, 'a UNION branch too')
  t.equal((await run('SELECT id, email FROM users', declared)).admission, 'ADMIT')
  t.equal((await run('SELECT * FROM accounts WHERE id = 1', { schema: 'CREATE TABLE accounts (id int, balance numeric)', sensitiveColumns: ['users.password_hash'] })).admission, 'ADMIT', 'another table\'s declaration does not leak')
  t.match(await run('SELECT email FROM users', { schema: HR, sensitiveColumns: ['email'] }), { admission: 'BLOCKED' }, 'a bare name: any table')
  t.match(await run('SELECT pw FROM public.users', { schema: 'CREATE TABLE users (id int, pw text)', sensitiveColumns: ['public.users.pw'] }), { admission: 'BLOCKED' })
  // declared in the DDL: an inline marker and COMMENT ON COLUMN
  t.match(await run('SELECT pin FROM accounts', { schema: HR }), { admission: 'BLOCKED', types: ['sensitive_column_access'] })
  t.match(await run('SELECT * FROM accounts', { schema: HR }), { admission: 'BLOCKED' })
  const commented = HR + "\nCOMMENT ON COLUMN users.email IS 'qwed:sensitive';"
  t.match(await run('SELECT email FROM users', { schema: commented }), { admission: 'BLOCKED' })
  t.equal((await run('SELECT id FROM users', { schema: commented })).admission, 'ADMIT')
  // a marker that names no declared column fails the schema: a declaration is never dropped silently
  t.equal((await run('SELECT id FROM users', { schema: HR + "\nCOMMENT ON COLUMN users.nope IS 'qwed:sensitive';" })).constraint, 'sql.schema_parse_error')
  // no DDL: today's word list, plus declarations
  t.match(await run('SELECT salary FROM employees'), { admission: 'BLOCKED', types: ['sensitive_column_access'] })
  t.match(await run('SELECT * FROM users', { sensitiveColumns: ['users.password_hash'] }), { admission: 'BLOCKED' }, 'no DDL: * over a table with a declared column')
  t.equal((await run('SELECT * FROM orders', { sensitiveColumns: ['users.password_hash'] })).admission, 'ADMIT')
  // malformed declarations
  t.equal((await run('SELECT 1', { sensitiveColumns: ['users; DROP'] })).constraint, 'sql.invalid_claim')
  t.equal((await run('SELECT 1', { sensitiveColumns: 'users.pw' as unknown as string[] })).constraint, 'sql.invalid_claim')
})

t.test('qualified names must match the DDL exactly', async (t) => {
  const ddl = 'CREATE TABLE orders (id int, total numeric); CREATE TABLE analytics.daily (day date); CREATE TABLE "Audit" (id int);'
  t.equal((await run('SELECT id FROM orders', { schema: ddl })).admission, 'ADMIT')
  t.equal((await run('SELECT id FROM public.orders', { schema: ddl })).admission, 'ADMIT', 'an unqualified DDL table is in public')
  t.match(await run('SELECT id FROM tenant_b.orders', { schema: ddl }), { admission: 'BLOCKED', types: ['schema_unknown_table'] }, 'a cross-tenant read')
  t.equal((await run('SELECT day FROM analytics.daily', { schema: ddl })).admission, 'ADMIT')
  t.match(await run('SELECT day FROM daily', { schema: ddl }), { admission: 'BLOCKED' }, 'a qualified DDL table is not in public')
  t.equal((await run('SELECT id FROM "Audit"', { schema: ddl })).admission, 'ADMIT', 'quoted names keep their case')
  t.match(await run('SELECT id FROM audit', { schema: ddl }), { admission: 'BLOCKED' }, 'audit folds to lower case: not "Audit"')
  t.match(await run('SELECT id FROM "Orders"', { schema: ddl }), { admission: 'BLOCKED' }, '"Orders" is not orders')
  t.equal((await run('SELECT id FROM main.t', { schema: 'CREATE TABLE t (id int)', dialect: 'sqlite' })).admission, 'ADMIT', 'SQLite: main')
  t.match(await run('SELECT id FROM shop.t', { schema: 'CREATE TABLE t (id int)', dialect: 'mysql' }), { admission: 'BLOCKED' }, 'MySQL: another database')
})

t.test('functions: a per-dialect allowlist; dangerous families closed whatever the option', async (t) => {
  t.equal((await run("SELECT date_trunc('month', now()), lower('A'), round(2.5), coalesce(NULL, 1)")).admission, 'ADMIT')
  t.equal((await run('SELECT pg_catalog.lower(name) FROM t')).admission, 'ADMIT', 'pg_catalog qualifies an allowed name')
  t.match(await run('SELECT slugify(name) FROM t'), { admission: 'BLOCKED', constraint: 'sql.complexity_limit_exceeded', types: ['function_not_allowed'] })
  t.equal((await run('SELECT slugify(name) FROM t', { allowFunctions: ['slugify'] })).admission, 'ADMIT', 'allowed by name')
  t.equal((await run('SELECT util.slugify(name) FROM t', { allowFunctions: ['util.slugify'] })).admission, 'ADMIT')
  t.match(await run('SELECT other.slugify(name) FROM t', { allowFunctions: ['util.slugify'] }), { admission: 'BLOCKED' }, 'the schema is part of the name')
  t.match(await run('SELECT pg_ls_logdir()', { allowFunctions: ['pg_ls_logdir'] }), { admission: 'BLOCKED', types: ['dangerous_function'] }, 'no option re-opens a family')
  t.equal((await run("SELECT DATE_FORMAT(created, '%Y') FROM t", { dialect: 'mysql' })).admission, 'ADMIT')
  t.match(await run("SELECT DATE_FORMAT(created, '%Y') FROM t"), { admission: 'BLOCKED' }, 'a MySQL function is not on the PostgreSQL list')
  t.equal((await run("SELECT strftime('%Y', created) FROM t", { dialect: 'sqlite' })).admission, 'ADMIT')
  t.same(classifyFunction('lo_creat', null, 'postgresql', new Set()), { allowed: false, dangerous: true, why: 'reads or writes large objects (server files)' })
  t.same(classifyFunction('lower', 'evil', 'postgresql', new Set()), { allowed: false, dangerous: false })
})

t.test('tautologies by meaning', async (t) => {
  for (const q of [
    'SELECT id FROM t WHERE owner = 5 OR random() < 2',
    'SELECT id FROM t WHERE owner = 5 OR id + 0 = id',
    'SELECT id FROM t WHERE owner = 5 OR x IS NULL OR x IS NOT NULL',
    'SELECT id FROM t WHERE owner = 5 OR (SELECT count(*) FROM users) > 0',
    'SELECT id FROM t WHERE owner = 5 OR a + b = b + a',
    'SELECT id FROM t WHERE owner = 5 OR x < 3 OR 3 <= x'
  ]) t.equal((await run(q)).admission, 'BLOCKED', q)
  for (const q of [
    'SELECT id FROM t WHERE owner = 5 OR x IS NULL',
    'SELECT id FROM t WHERE owner = $1 OR $1 IS NULL',
    'SELECT id FROM t WHERE a = 1 OR EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id)',
    'SELECT id FROM t WHERE id + 1 = x',
    'SELECT id FROM t WHERE x < 3 OR x > 3',
    'SELECT id FROM t WHERE random() < 0.1'
  ]) t.equal((await run(q)).admission, 'ADMIT', q)
})

t.test('row products count against the complexity limits', async (t) => {
  const product = await run('SELECT count(*) FROM a, b, c')
  t.match(product, { admission: 'BLOCKED', types: ['complexity_cross_joins'] })
  t.equal((product.result.developer_fields.complexity as { cross_join_count: number }).cross_join_count, 2)
  t.equal((await run('SELECT count(*) FROM a, b WHERE a.id = b.a_id')).admission, 'ADMIT', 'a related comma join')
  t.equal((await run('SELECT g, p.id FROM generate_series(1, 7) AS g CROSS JOIN p')).admission, 'ADMIT', 'one product (a calendar spine) is fine')
  t.match(await run('SELECT 1 FROM a JOIN b ON b.x = a.x JOIN c ON c.y = b.y', { limits: { maxJoins: 1 } }), { types: ['complexity_joins'] })
})

t.test('a FROM alias with a column list (AS g(day)) names those columns', async (t) => {
  const ddl = 'CREATE TABLE sales (day date, revenue numeric)'
  t.equal((await run("SELECT g.day, coalesce(s.revenue, 0) FROM generate_series(date '2024-01-01', date '2024-01-31', interval '1 day') AS g(day) LEFT JOIN sales s ON s.day = g.day", { schema: ddl })).admission, 'ADMIT')
  t.equal((await run('SELECT t.a, t.b FROM (VALUES (1, 2)) AS t(a, b)', { schema: ddl })).admission, 'ADMIT')
  t.match(await run('SELECT g.nope FROM generate_series(1, 3) AS g(day)', { schema: ddl }), { admission: 'BLOCKED', types: ['schema_unknown_column'] })
})

t.test('FETCH FIRST and OFFSET ... ROWS parse, exactly', async (t) => {
  t.equal((await run('SELECT id FROM t ORDER BY id FETCH FIRST 10 ROWS ONLY')).admission, 'ADMIT')
  t.equal((await run('SELECT id FROM t ORDER BY id OFFSET 20 ROWS FETCH NEXT 10 ROWS ONLY')).admission, 'ADMIT')
  t.equal((await run('SELECT id FROM t ORDER BY id FETCH FIRST ROW ONLY')).admission, 'ADMIT')
  t.equal((await run('SELECT id FROM t OFFSET $1 ROWS FETCH FIRST $2 ROWS ONLY')).admission, 'ADMIT')
  t.equal((await run('SELECT id FROM t FETCH FIRST 5 ROWS WITH TIES')).constraint, 'sql.parse_error', 'WITH TIES is not rewritten')
  t.equal((await run('SELECT id FROM t FETCH FIRST 5 ROWS ONLY', { dialect: 'mysql' })).constraint, 'sql.parse_error', 'MySQL has no FETCH FIRST')
  t.equal(standardClauses("SELECT 'offset 5 rows' FROM t OFFSET 5 ROWS", 'postgresql'), "SELECT 'offset 5 rows' FROM t OFFSET 5     ", 'literals are left alone; offsets are kept')
  t.equal(standardClauses('SELECT 1 FETCH FIRST 3 ROWS ONLY', 'postgresql').length, 'SELECT 1 FETCH FIRST 3 ROWS ONLY'.length)
  t.equal(standardClauses('SELECT 1 FETCH FIRST 3 ROWS ONLY', 'sqlite'), 'SELECT 1 FETCH FIRST 3 ROWS ONLY')
})
