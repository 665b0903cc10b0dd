import t from 'tap'
import type { SqlClaim } from '../types/claims.js'
import type { DiagnosticResult } from '../types/result.js'
import { createSqlEngine } from '../lib/engines/sql.js'
import { admissionOf } from '../lib/result.js'
import { createVerifier } from '../lib/verifier.js'

const engine = createSqlEngine()
type Asserts = Pick<typeof t, 'equal' | 'ok' | 'same'>

interface Issue { severity: string, type: string, description: string, recommendation: string | null }
type Result = DiagnosticResult & { admission: string, issues: Issue[], types: string[] }

async function run (query: string, extra: Partial<SqlClaim> = {}, signal = new AbortController().signal): Promise<Result> {
  const r = await engine.verify({ type: 'sql', query, ...extra }, { signal })
  const issues = (r.developer_fields.issues ?? []) as Issue[]
  return { ...r, admission: admissionOf(r), issues, types: issues.map((i) => i.type) }
}

/** Proven safe: VERIFIED, is_valid true, ADMIT. */
async function safe (t: Asserts, query: string, extra: Partial<SqlClaim> = {}): Promise<Result> {
  const r = await run(query, extra)
  t.equal(r.status, 'VERIFIED', `${query} -> VERIFIED`)
  t.equal(r.admission, 'ADMIT', `${query} -> ADMIT (${String(r.developer_fields.constraint_id)} ${r.types.join(',')})`)
  t.equal(r.developer_fields.constraint_id, 'sql.sql_valid')
  return r
}

/** Proven unsafe: VERIFIED with is_valid false, malicious, BLOCKED admission, and the issue type. */
async function unsafe (t: Asserts, query: string, type: string, extra: Partial<SqlClaim> = {}): Promise<Result> {
  const r = await run(query, extra)
  t.equal(r.status, 'VERIFIED', `${query} -> VERIFIED (${String(r.developer_fields.constraint_id)})`)
  t.equal(r.admission, 'BLOCKED', `${query} -> admission BLOCKED`)
  t.equal(r.developer_fields.is_valid, false)
  t.equal(r.developer_fields.malicious_classification, true)
  t.equal(r.developer_fields.constraint_id, 'sql.malicious')
  t.ok(r.types.includes(type), `${query} has ${type} (got ${r.types.join(',')})`)
  return r
}

/** Refused: BLOCKED status with the constraint id. */
async function refused (t: Asserts, query: string, constraint: string, extra: Partial<SqlClaim> = {}): Promise<Result> {
  const r = await run(query, extra)
  t.equal(r.status, 'BLOCKED', `${query.slice(0, 60)} -> BLOCKED (${String(r.developer_fields.constraint_id)})`)
  t.equal(r.admission, 'BLOCKED')
  t.equal(r.proof_ref, null)
  t.equal(r.developer_fields.constraint_id, constraint)
  return r
}

const DDL = 'CREATE TABLE users (id INT, name TEXT, email TEXT, created_at TIMESTAMP); ' +
  'CREATE TABLE orders (id INT, user_id INT, total NUMERIC, status TEXT);'

t.test('result shape of a safe query', async (t) => {
  const r = await safe(t, 'SELECT id, name, email FROM users WHERE id = 123')
  t.match(r.proof_ref, /^sha256:[0-9a-f]{64}$/)
  t.equal(r.is_authoritative, true)
  t.equal(r.agent_message, 'The SQL query passed verification and is safe to execute.')
  const f = r.developer_fields
  t.equal(f.is_valid, true)
  t.equal(f.malicious_classification, false)
  t.equal(f.critical_count, 0)
  t.equal(f.warning_count, 0)
  t.equal(f.dialect, 'postgresql', 'PostgreSQL is the default dialect')
  t.same(f.statement_kinds, ['select'])
  t.match(f.complexity, {
    table_count: 1, join_count: 0, subquery_depth: 0, column_count: 4, condition_count: 2, aggregate_count: 0
  })
  t.type((f.complexity as Record<string, unknown>).estimated_cost, 'number')
})

t.test('proof_ref is deterministic and bound to the query, schema and policy', async (t) => {
  const a = await run('SELECT id FROM users')
  const b = await run('SELECT id FROM users')
  t.equal(a.proof_ref, b.proof_ref)
  t.not((await run('SELECT id FROM orders')).proof_ref, a.proof_ref)
  t.not((await run('SELECT id FROM users', { schema: DDL })).proof_ref, a.proof_ref)
  t.not((await run('SELECT id FROM users', { limits: { maxTables: 2 } })).proof_ref, a.proof_ref)
  const strict = await run('DROP TABLE users')
  const permissive = await run('DROP TABLE users', { allowDestructive: true })
  t.equal(strict.developer_fields.is_valid, false)
  t.equal(permissive.developer_fields.is_valid, true)
  t.not(strict.proof_ref, permissive.proof_ref, 'opposite verdicts never share a proof_ref')
})

t.test('stacked statements come from the AST, not from a raw ;', async (t) => {
  await safe(t, "SELECT 'a;b' AS s")
  await safe(t, 'SELECT id FROM users WHERE id = 1;', {})
  await safe(t, 'SELECT $$a;b$$ AS s')
  await safe(t, "SELECT * FROM users WHERE name = 'x;y'")
  await unsafe(t, 'SELECT * FROM users; DROP TABLE users;', 'stacked_queries')
  await unsafe(t, 'SELECT 1; SELECT 2', 'stacked_queries')
  // stacked statements the parser rejects are still two statements
  await unsafe(t, 'SELECT 1; SET ROLE admin', 'stacked_queries')
  // a statement kind the parser does not model is judged by its keyword (QWED: catch-all Command)
  await unsafe(t, 'SET ROLE app_reader', 'admin_command')
  await unsafe(t, "COPY users TO PROGRAM 'curl http://x'", 'admin_command')
})

t.test('comments are found outside literals and judged', async (t) => {
  const inString = await safe(t, "SELECT * FROM users WHERE name = 'x--y'")
  t.same(inString.types, [], 'no comment inside a literal')
  await safe(t, "SELECT * FROM users WHERE name = 'a /* b */ c'")
  const benign = await safe(t, 'SELECT id FROM users -- list ids')
  t.same(benign.types, ['comment_detected'], 'a harmless comment only warns (as in QWED)')
  await safe(t, 'SELECT id /* the key */ FROM users')
  await safe(t, 'SELECT id FROM users -- list ids\nWHERE id > 5')
  await safe(t, "SELECT id FROM users -- don't list deleted users' rows")
  await safe(t, "SELECT id FROM users -- the 'active' flag")
  await safe(t, 'SELECT id FROM users;\n-- end of query')
  await unsafe(t, "SELECT * FROM users WHERE name = 'admin' -- ' AND pw = 'x'", 'comment_injection')
  await unsafe(t, "SELECT * FROM users WHERE name = 'admin'--' AND pw = 'x'", 'comment_injection')
  await unsafe(t, "SELECT * FROM users WHERE name = 'admin'--", 'comment_injection')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 -- AND owner_id = 5', 'comment_injection')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1; --', 'comment_injection')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1/**/OR/**/id = 2', 'comment_injection')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 /*! UNION SELECT 1 */', 'comment_injection')
  await unsafe(t, "SELECT * FROM users WHERE name = 'admin' #' AND pw = 'x'", 'comment_injection', { dialect: 'mysql' })
  await safe(t, 'SELECT id FROM users # list ids', { dialect: 'mysql' })
})

t.test('quoting that the parser and the database read differently is refused', async (t) => {
  // PostgreSQL and SQLite take \ literally: the database sees `'x\'` then `OR 1=1 --'`
  await refused(t, "SELECT * FROM users WHERE name = 'x\\' OR 1=1 --'", 'sql.ambiguous_quoting')
  await refused(t, "SELECT * FROM users WHERE name = 'x\\' OR 1=1 --'", 'sql.ambiguous_quoting', { dialect: 'sqlite' })
  // MySQL does escape with \: one literal, harmless
  await safe(t, "SELECT * FROM users WHERE name = 'x\\' OR 1=1 --'", { dialect: 'mysql' })
  // MySQL needs a space after --: `--1` is minus minus one there, a comment for the parser
  await refused(t, 'SELECT 1 --1', 'sql.ambiguous_quoting', { dialect: 'mysql' })
  await refused(t, 'SELECT "a""b" FROM t', 'sql.ambiguous_quoting')
  // MySQL and SQLite end a line comment at \n only; the parser also at \r
  await refused(t, 'SELECT * FROM t WHERE a = 1 --x\r AND owner = 5', 'sql.ambiguous_quoting', { dialect: 'mysql' })
  await safe(t, 'SELECT * FROM t WHERE a = 1 -- x\r\n AND owner = 5')
  await safe(t, 'SELECT * FROM t WHERE a = 1 -- x\r\n AND owner = 5', { dialect: 'mysql' })
  await safe(t, "SELECT * FROM users WHERE name = 'O''Brien'")
})

t.test('tautologies are found by evaluating constant comparisons', async (t) => {
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 OR 1=1', 'injection_tautology')
  await unsafe(t, "SELECT * FROM users WHERE 'a' = 'a'", 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 OR 2>1', 'injection_tautology')
  await unsafe(t, "SELECT * FROM users WHERE name = 'x' OR 'a'<>'b'", 'injection_tautology')
  await unsafe(t, "SELECT * FROM users WHERE id = '1' OR '1'='1'", 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 OR TRUE', 'injection_or_true')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 OR 1', 'injection_or_true')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 OR NOT FALSE', 'injection_or_true')
  await unsafe(t, 'SELECT * FROM users WHERE name = name', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users u WHERE u.id = u.id', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE 1', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE TRUE', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE NOT 1=0', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE 1 IN (1, 2)', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE 3 BETWEEN 1 AND 5', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE 1 + 1 = 2', 'injection_tautology')
  await unsafe(t, "SELECT * FROM users WHERE name LIKE '%'", 'injection_tautology')
  await unsafe(t, "SELECT * FROM users WHERE 'abc' LIKE 'a%'", 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE lower(name) = lower(name)', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users GROUP BY id HAVING 1=1', 'injection_tautology')
  await unsafe(t, 'DELETE FROM users WHERE id=1 OR 1=1', 'injection_tautology', { allowDestructive: true })
  await unsafe(t, 'SELECT * FROM users WHERE NULL IS NULL', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE -1 < 0', 'injection_tautology')
  await unsafe(t, 'SELECT * FROM users WHERE CAST(1 AS INT) = 1', 'injection_tautology')
  await unsafe(t, "SELECT * FROM users WHERE 'a' || 'b' = 'ab'", 'injection_tautology')
  await unsafe(t, "SELECT * FROM users WHERE id = 2 OR 't'", 'injection_or_true')
  await unsafe(t, "SELECT * FROM users WHERE 'A' = 'a'", 'injection_tautology', { dialect: 'mysql' })
  await unsafe(t, 'SELECT * FROM users WHERE id = 2 || 1', 'injection_or_true', { dialect: 'mysql' })
  // not tautologies
  await safe(t, "SELECT * FROM users WHERE 'A' = 'a' OR id = 2", { dialect: 'postgresql' })
  await safe(t, 'SELECT * FROM users WHERE 1 IN (2, NULL) OR id = 2')
  await safe(t, 'SELECT * FROM users WHERE 1 / 0 = 1 OR id = 2')
  await safe(t, "SELECT * FROM users WHERE id = 2 OR 'f'")
  await safe(t, 'SELECT * FROM users WHERE id = 1')
  await safe(t, "SELECT * FROM users WHERE id = 1 OR name = 'x'")
  await safe(t, 'SELECT * FROM users WHERE id = 1 AND 1=0')
  await safe(t, "SELECT * FROM users WHERE 'a' = 'b' OR id = 2")
  await safe(t, 'SELECT * FROM users WHERE 2 < 1 OR id = 2')
  await safe(t, 'SELECT * FROM users WHERE random() = random()')
  await safe(t, 'SELECT * FROM users WHERE id = user_id')
  await safe(t, "SELECT * FROM users WHERE name LIKE 'a%'")
  await safe(t, 'SELECT * FROM users WHERE id IN (1, 2) AND id BETWEEN 1 AND 5')
  await safe(t, 'SELECT * FROM users WHERE id = 1 OR NULL')
  // a join on a constant is a cross join, not a filter bypass
  await safe(t, 'SELECT * FROM users JOIN orders ON TRUE')
  await safe(t, 'SELECT * FROM users JOIN orders ON 1=1')
})

t.test('statement kinds: QWED treats every write and schema change as destructive', async (t) => {
  await unsafe(t, 'DROP TABLE users', 'destructive_command')
  await unsafe(t, 'TRUNCATE TABLE logs', 'destructive_command')
  await unsafe(t, 'ALTER TABLE users ADD COLUMN age INT', 'destructive_command')
  await unsafe(t, 'DELETE FROM users', 'destructive_command')
  // with a WHERE clause too: QWED blocks the Delete class whatever its WHERE
  await unsafe(t, 'DELETE FROM users WHERE id = 1', 'destructive_command')
  await unsafe(t, "UPDATE users SET name = 'x'", 'destructive_command')
  await unsafe(t, "UPDATE users SET name = 'x' WHERE id = 1", 'destructive_command')
  await unsafe(t, "INSERT INTO users (name) VALUES ('x')", 'destructive_command')
  await unsafe(t, 'CREATE TABLE t (id INT)', 'destructive_command')
  await unsafe(t, 'SELECT * INTO backup FROM users', 'destructive_command')
  await unsafe(t, 'WITH d AS (DELETE FROM users WHERE id = 1 RETURNING id) SELECT id FROM d', 'destructive_command')
  // a write the parser rejects is still a write
  await unsafe(t, 'UPDATE users SET name = WHERE id = 1', 'destructive_command')
  await unsafe(t, 'GRANT ALL ON users TO PUBLIC', 'admin_command')
  await unsafe(t, 'REVOKE ALL ON users FROM bob', 'admin_command')
  await unsafe(t, 'BEGIN', 'admin_command')
  await unsafe(t, 'SHOW search_path', 'admin_command')
  await unsafe(t, 'CALL cleanup()', 'admin_command')
  await unsafe(t, 'PRAGMA table_info(users)', 'admin_command', { dialect: 'sqlite' })
})

t.test('allowDestructive admits writes and schema changes, never admin commands', async (t) => {
  const allow = { allowDestructive: true }
  const all = await safe(t, 'DELETE FROM users', allow)
  t.same(all.types, ['unbounded_write'], 'a DELETE without WHERE still warns')
  const one = await safe(t, 'DELETE FROM users WHERE id = 1', allow)
  t.same(one.types, [])
  await safe(t, "UPDATE users SET name = 'x' WHERE id = 1", allow)
  await safe(t, "INSERT INTO users (name) VALUES ('x') RETURNING id", allow)
  await safe(t, 'DROP TABLE users', allow)
  await safe(t, 'INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)', { ...allow, dialect: 'mysql' })
  await safe(t, 'WITH d AS (DELETE FROM users WHERE id = 1 RETURNING id) SELECT id FROM d', allow)
  await safe(t, 'TRUNCATE TABLE logs', allow)
  await unsafe(t, 'GRANT ALL ON users TO PUBLIC', 'admin_command', allow)
  await unsafe(t, 'SET ROLE app_reader', 'admin_command', allow)
  await unsafe(t, "UPDATE users SET password = 'x' WHERE id = 1", 'sensitive_column_access', allow)
  await unsafe(t, 'DELETE FROM users; DELETE FROM orders', 'stacked_queries', allow)
})

t.test('dangerous functions', async (t) => {
  await unsafe(t, 'SELECT pg_sleep(10)', 'dangerous_function')
  await unsafe(t, 'SELECT pg_catalog.pg_sleep(1)', 'dangerous_function')
  await unsafe(t, 'SELECT * FROM users WHERE id = 1 AND pg_sleep(5) IS NULL', 'dangerous_function')
  await unsafe(t, "SELECT pg_read_file('/etc/passwd')", 'dangerous_function')
  await unsafe(t, "SELECT lo_import('/etc/passwd')", 'dangerous_function')
  await unsafe(t, "SELECT dblink_exec('host=evil', 'DROP TABLE x')", 'dangerous_function')
  // the parser rejects the column definition list; the call is still a call to dblink
  await unsafe(t, "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", 'dangerous_function')
  await unsafe(t, 'SELECT sleep(5)', 'dangerous_function', { dialect: 'mysql' })
  await unsafe(t, 'SELECT benchmark(1000000, md5(1))', 'dangerous_function', { dialect: 'mysql' })
  await unsafe(t, "SELECT load_file('/etc/passwd')", 'dangerous_function', { dialect: 'mysql' })
  await unsafe(t, "SELECT * FROM users INTO OUTFILE '/tmp/users.txt'", 'file_access', { dialect: 'mysql' })
  await unsafe(t, "SELECT load_extension('evil')", 'dangerous_function', { dialect: 'sqlite' })
  await safe(t, 'SELECT now(), count(*), lower(name), coalesce(email, name) FROM users GROUP BY name, email')
})

t.test('UNION: a warning, or exfiltration when it reaches catalogs or server information', async (t) => {
  const plain = await safe(t, 'SELECT name FROM customers UNION SELECT name FROM suppliers')
  t.same(plain.types, ['union_query'], 'QWED flags any UNION as a WARNING')
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 UNION SELECT table_name FROM information_schema.tables', 'union_exfiltration')
  await unsafe(t, 'SELECT name FROM users UNION SELECT relname FROM pg_class', 'union_exfiltration')
  await unsafe(t, 'SELECT name FROM users UNION SELECT version()', 'union_exfiltration')
  await unsafe(t, 'SELECT name, id FROM users UNION SELECT NULL, NULL', 'union_exfiltration')
  await unsafe(t, 'SELECT name FROM users UNION SELECT secret_value FROM api_tokens', 'union_exfiltration')
  await unsafe(t, 'SELECT name FROM users UNION ALL SELECT @@version', 'union_exfiltration', { dialect: 'mysql' })
  await unsafe(t, 'SELECT name FROM users UNION SELECT sql FROM sqlite_master', 'union_exfiltration', { dialect: 'sqlite' })
  // a catalog read without UNION only warns; credential catalogs are unsafe
  const catalog = await safe(t, 'SELECT tablename FROM pg_tables')
  t.same(catalog.types, ['system_catalog_access'])
  await unsafe(t, 'SELECT usename, passwd FROM pg_shadow', 'system_catalog_access')
})

t.test('sensitive columns (QWED list)', async (t) => {
  await unsafe(t, 'SELECT email, password_hash FROM users', 'sensitive_column_access')
  await unsafe(t, 'SELECT name FROM employees WHERE salary > 1000', 'sensitive_column_access')
  await unsafe(t, 'SELECT u.ssn FROM users u', 'sensitive_column_access')
  await unsafe(t, 'SELECT name FROM users ORDER BY balance DESC', 'sensitive_column_access')
  await safe(t, 'SELECT * FROM users')
  await safe(t, 'SELECT name AS password FROM users')
  await safe(t, 'SELECT password_reset_at FROM users')
})

t.test('tables and columns are checked against the DDL', async (t) => {
  const schema = DDL
  await safe(t, 'SELECT name, email FROM users WHERE id > 100', { schema })
  const typo = await refused(t, 'SELECT emial FROM users', 'sql.schema_mismatch', { schema })
  t.same(typo.types, ['schema_unknown_column'])
  t.equal(typo.developer_fields.malicious_classification, false)
  await refused(t, 'SELECT name FROM passwords', 'sql.schema_mismatch', { schema })
  await refused(t, 'SELECT u.agee FROM users AS u', 'sql.schema_mismatch', { schema })
  await refused(t, 'SELECT u.name, o.amount FROM users AS u JOIN orders AS o ON o.user_id = u.id', 'sql.schema_mismatch', { schema })
  await refused(t, 'SELECT x.name FROM users u', 'sql.schema_mismatch', { schema })
  await refused(t, 'SELECT users.name FROM users u', 'sql.schema_mismatch', { schema })
  await refused(t, 'SELECT id FROM users WHERE id IN (SELECT user_id FROM orders WHERE amount > 1)', 'sql.schema_mismatch', { schema })
  await refused(t, 'WITH t AS (SELECT id FROM users) SELECT name FROM t', 'sql.schema_mismatch', { schema })
  // aliases, CTEs, derived tables, correlated subqueries, USING, output aliases
  await safe(t, 'WITH spend AS (SELECT user_id, SUM(total) AS spent FROM orders GROUP BY user_id) ' +
    'SELECT u.name, s.spent FROM users AS u JOIN spend s ON s.user_id = u.id ORDER BY s.spent DESC', { schema })
  await safe(t, 'SELECT u.name, o.total FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE o.status = \'paid\'', { schema })
  await safe(t, 'SELECT x.n FROM (SELECT name AS n FROM users) x WHERE x.n LIKE \'a%\'', { schema })
  await safe(t, 'SELECT id FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)', { schema })
  await safe(t, 'SELECT user_id, SUM(total) AS spent FROM orders GROUP BY user_id HAVING SUM(total) > 100 ORDER BY spent', { schema })
  await safe(t, 'SELECT o.id FROM orders o JOIN users u USING (id)', { schema })
  await safe(t, 'SELECT u.* FROM users u', { schema })
  await safe(t, 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n', { schema })
  await safe(t, "SELECT id FROM users WHERE created_at > now() - interval '1 day'", { schema })
  await safe(t, 'SELECT g, u.name FROM generate_series(1, 3) AS g JOIN users u ON u.id = g', { schema })
  await refused(t, "INSERT INTO users (id, name) VALUES (1, 'a') ON DUPLICATE KEY UPDATE nmae = 'b'", 'sql.schema_mismatch', { schema, allowDestructive: true, dialect: 'mysql' })
  // writes (when allowed) are checked too
  await safe(t, 'INSERT INTO users (id, name) VALUES (1, \'a\') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name', { schema, allowDestructive: true })
  await refused(t, 'INSERT INTO users (id, nmae) VALUES (1, \'a\')', 'sql.schema_mismatch', { schema, allowDestructive: true })
  await refused(t, 'UPDATE users SET nmae = \'x\' WHERE id = 1', 'sql.schema_mismatch', { schema, allowDestructive: true })
  // malice wins over a schema mismatch
  await unsafe(t, 'SELECT emial FROM users WHERE 1=1', 'injection_tautology', { schema })
  // an empty schema string means no schema
  await safe(t, 'SELECT anything FROM anywhere', { schema: '  ' })
})

t.test('DDL forms: views, ALTER, statements the parser does not know', async (t) => {
  const schema = "CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TYPE mood AS ENUM ('a', 'b'); " +
    'CREATE TABLE people (id INT GENERATED ALWAYS AS IDENTITY, feeling mood, -- how, they feel\n "Nick" TEXT, CONSTRAINT pk PRIMARY KEY (id)); ' +
    'CREATE VIEW grown AS SELECT id, "Nick" AS nick FROM people; ALTER TABLE people ADD COLUMN age INT; CREATE INDEX i ON people (age); ' +
    'CREATE TABLE snapshot AS SELECT id, age FROM people;'
  await safe(t, 'SELECT id, feeling, nick, age FROM people', { schema })
  await safe(t, 'SELECT nick FROM grown', { schema })
  await refused(t, 'SELECT feeling FROM grown', 'sql.schema_mismatch', { schema })
  await safe(t, 'SELECT id, age FROM snapshot', { schema })
  await refused(t, 'SELECT nick FROM snapshot', 'sql.schema_mismatch', { schema })
  await safe(t, 'SELECT `name` FROM `users`', { schema: 'CREATE TABLE `users` (`id` INT AUTO_INCREMENT PRIMARY KEY, `name` VARCHAR(5)) ENGINE=InnoDB;', dialect: 'mysql' })
})

t.test('a DDL that does not parse is BLOCKED, and wins over malice', async (t) => {
  const broken = 'CREATE TABLE users (id INT, name TEXT'
  const r = await refused(t, 'SELECT name FROM users', 'sql.schema_parse_error', { schema: broken })
  t.equal(r.developer_fields.malicious_classification, false)
  const m = await refused(t, 'SELECT * FROM users; DROP TABLE users;', 'sql.schema_parse_error', { schema: broken })
  t.equal(m.developer_fields.malicious_classification, true, 'the malice found is still reported')
  await refused(t, 'SELECT name FROM users', 'sql.schema_parse_error', { schema: 'CREATE TABLE users (id INT, name nonsense here' })
})

t.test('complexity limits: exceeding one is BLOCKED, not malicious', async (t) => {
  const join3 = 'SELECT u.id FROM users u JOIN orders o ON u.id = o.uid JOIN items i ON i.id = o.item_id'
  await safe(t, join3)
  const r = await refused(t, join3, 'sql.complexity_limit_exceeded', { limits: { maxTables: 1 } })
  t.equal(r.developer_fields.malicious_classification, false)
  t.equal(r.developer_fields.critical_count, 1)
  t.same(r.types, ['complexity_tables'])
  await refused(t, join3, 'sql.complexity_limit_exceeded', { limits: { maxJoins: 1 } })
  await refused(t, 'SELECT * FROM a WHERE x IN (SELECT x FROM b WHERE y IN (SELECT y FROM c))', 'sql.complexity_limit_exceeded', { limits: { maxSubqueryDepth: 1 } })
  await refused(t, 'SELECT * FROM a WHERE x = 1 AND y = 2 AND z = 3', 'sql.complexity_limit_exceeded', { limits: { maxPredicates: 2 } })
  const deep = 'SELECT * FROM a WHERE x IN ' + '(SELECT x FROM a WHERE x IN '.repeat(4) + '(1)' + ')'.repeat(4)
  await refused(t, deep, 'sql.complexity_limit_exceeded')
  const joins = 'SELECT * FROM t0' + Array.from({ length: 6 }, (_, i) => ` JOIN t${i + 1} ON t${i + 1}.id = t0.id`).join('')
  await refused(t, joins, 'sql.complexity_limit_exceeded')
  // malice takes precedence over complexity
  await unsafe(t, join3 + ' WHERE 1=1', 'injection_tautology', { limits: { maxTables: 1 } })
})

t.test('input caps: oversize and deeply nested input is BLOCKED fast', async (t) => {
  await refused(t, 'SELECT ' + 'a'.repeat(1_000_000), 'sql.too_large')
  await refused(t, 'SELECT ' + '('.repeat(1000) + '1' + ')'.repeat(1000), 'sql.too_deep')
  await refused(t, 'SELECT * FROM t WHERE id IN (' + Array.from({ length: 4000 }, (_, i) => i).join(',') + ')', 'sql.too_large')
  await refused(t, 'SELECT * FROM t WHERE ' + Array.from({ length: 600 }, (_, i) => `a = ${i}`).join(' OR '), 'sql.too_deep')
  await refused(t, 'SELECT 1', 'sql.too_large', { schema: 'CREATE TABLE t (a INT);'.repeat(12_000) })
  await refused(t, 'SELECT 1', 'sql.too_large', { schema: 'CREATE TABLE t (a INT);'.repeat(4_000) })
  await safe(t, 'SELECT ' + '('.repeat(90) + '1' + ')'.repeat(90))
})

t.test('complexity warnings (QWED: more than 50 columns or 20 conditions) do not block', async (t) => {
  const cols = Array.from({ length: 55 }, (_, i) => `c${i}`).join(', ')
  const wide = await safe(t, `SELECT ${cols} FROM t`)
  t.same(wide.types, ['complexity_columns'])
  const conds = Array.from({ length: 12 }, (_, i) => `c${i} = ${i}`).join(' AND ')
  const many = await safe(t, `SELECT * FROM t WHERE ${conds}`)
  t.same(many.types, ['complexity_conditions'])
})

t.test('parse errors and empty input are BLOCKED with a safe message', async (t) => {
  const r = await refused(t, 'SELEC FROM users WHERE', 'sql.parse_error')
  t.equal(r.agent_message, 'SQL verification could not be completed because the query could not be parsed.')
  await refused(t, '-- nothing', 'sql.parse_error')
  await refused(t, ';', 'sql.parse_error')
  await refused(t, 'SELECT * FROM users WHERE', 'sql.parse_error', { allowDestructive: true })
  // an unterminated comment hides the rest: proven unsafe even though the text does not parse
  await unsafe(t, "SELECT * FROM users WHERE name = 'a' /* AND pw = 'x'", 'comment_injection')
  await refused(t, 'UPDATE users SET name = WHERE', 'sql.parse_error', { allowDestructive: true })
})

t.test('malformed claims are BLOCKED, never thrown', async (t) => {
  const bad: Array<Record<string, unknown>> = [
    { type: 'sql', query: 42 },
    { type: 'sql', query: '   ' },
    { type: 'sql', query: 'SELECT 1', dialect: 'oracle' },
    { type: 'sql', query: 'SELECT 1', schema: 5 },
    { type: 'sql', query: 'SELECT 1', allowDestructive: 'yes' },
    { type: 'sql', query: 'SELECT 1', limits: { maxTables: -1 } },
    { type: 'sql', query: 'SELECT 1', limits: { maxTables: 1.5 } },
    { type: 'sql', query: 'SELECT 1', limits: { maxRows: 1 } },
    { type: 'sql', query: 'SELECT 1', limits: [] },
    { type: 'sql', query: "SELECT '\ud800'" }
  ]
  for (const claim of bad) {
    const r = await engine.verify(claim as unknown as SqlClaim, { signal: new AbortController().signal })
    t.equal(r.status, 'BLOCKED', JSON.stringify(claim))
    t.equal(r.developer_fields.constraint_id, 'sql.invalid_claim')
  }
})

t.test('agent_message never leaks rule internals', async (t) => {
  const r = await run('SELECT password_hash FROM users; DROP TABLE users;')
  t.equal(r.agent_message, 'The SQL query failed security verification and is not safe to execute.')
  for (const secret of ['password_hash', 'destructive', 'injection', 'DROP']) {
    t.notOk(r.agent_message.toLowerCase().includes(secret.toLowerCase()), secret)
  }
  const issue = r.issues[0] as Issue
  t.type(issue.severity, 'string')
  t.type(issue.description, 'string')
  t.ok('recommendation' in issue)
  t.equal(r.developer_fields.critical_count, r.issues.filter((i) => i.severity === 'CRITICAL').length)
})

t.test('dialects', async (t) => {
  await safe(t, 'SELECT `id`, name FROM `users` WHERE name = "bob" LIMIT 5', { dialect: 'mysql' })
  await safe(t, 'SELECT id FROM users WHERE name = ? LIMIT 5', { dialect: 'sqlite' })
  await safe(t, "SELECT id FROM users WHERE data->>'k' = 'v'", { dialect: 'postgresql' })
  const r = await run('SELECT id FROM users', { dialect: 'sqlite' })
  t.equal(r.developer_fields.dialect, 'sqlite')
})

t.test('an aborted claim is BLOCKED and not cached', async (t) => {
  const controller = new AbortController()
  controller.abort()
  const r = await engine.verify({ type: 'sql', query: 'SELECT 1' }, { signal: controller.signal })
  t.equal(r.status, 'BLOCKED')
  t.equal(r.developer_fields.constraint_id, 'sql.aborted')
  t.equal(r.cacheable, false)
})

t.test('through the public verifier', async (t) => {
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const ok = await verifier.verify({ type: 'sql', query: 'SELECT id FROM users WHERE id = 1' })
  t.equal(ok.engine, 'sql')
  t.equal(ok.admission, 'ADMIT')
  const bad = await verifier.verify({ type: 'sql', query: 'DROP TABLE users' })
  t.equal(bad.status, 'VERIFIED')
  t.equal(bad.admission, 'BLOCKED')
})

t.test('constant predicates are evaluated: true ones are tautologies, false or unknown ones are not', async (t) => {
  const engine = createSqlEngine()
  const signal = new AbortController().signal
  const judge = async (predicate: string) => await engine.verify({ type: 'sql', query: `SELECT * FROM t WHERE a = 1 OR ${predicate}` }, { signal })
  for (const always of ['3 >= 2', "'b' > 'a'", 'NOT 1 = 2', '2 BETWEEN 1 AND 3', '1 + 1 = 2', '5 % 2 = 1', "'ab' LIKE 'a%'", '-1 < 0', '1.5 = 1.50', '4 / 2 = 2', "'a' || 'b' = 'ab'", 'CAST(1 AS INT) = 1', '1 IS NOT NULL']) {
    const r = await judge(always)
    t.equal(r.developer_fields.is_valid, false, `OR ${always} is always true`)
  }
  for (const never of ['1 <> 1', 'NULL = NULL', '1 IN (2, 3)', '2 * 3 < 5']) {
    const r = await judge(never)
    t.equal(r.developer_fields.is_valid, true, `OR ${never} is never true`)
  }
})

// ---- security corpora findings (test/fixtures/security/parser-escapes.json, dos-inputs.ts) ----------

t.test('a row-independent OR operand that may be true is a tautology (dollar quotes, EXISTS, built-ins)', async (t) => {
  // PostgreSQL dollar-quoted strings are string literals (node-sql-parser calls them variables)
  await unsafe(t, 'SELECT id FROM users WHERE name = $$a$$ OR $$1$$ = $$1$$', 'injection_tautology')
  await unsafe(t, 'SELECT id FROM users WHERE name = $q$a$q$ OR $q$1$q$ = $z$1$z$', 'injection_tautology')
  await unsafe(t, "SELECT id FROM users WHERE name = 'a' OR $$x$$ = 'x'", 'injection_tautology')
  // EXISTS of a subquery that reads no row of the outer query and filters nothing
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR EXISTS (SELECT 1)', 'injection_or_true')
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR EXISTS (SELECT 1 FROM orders)', 'injection_or_true')
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR NOT EXISTS (SELECT 1 WHERE 1 = 0)', 'injection_or_true')
  // the table may be empty: NOT EXISTS of a whole-table scan is not false either
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR NOT EXISTS (SELECT 1 FROM orders)', 'injection_or_true')
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR EXISTS (SELECT 1)', 'injection_or_true', { dialect: 'mysql' })
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR EXISTS (SELECT 1)', 'injection_or_true', { dialect: 'sqlite' })
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR (SELECT 1) = 1', 'injection_tautology')
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR 1 IN (SELECT 1)', 'injection_tautology')
  // deterministic built-ins of constants are computed
  for (const p of ['abs(-1) = 1', "'a' = lower('A')", "upper('a') = 'A'", "length('abc') = 3", 'coalesce(NULL, 1) = 1',
    "concat('a', 'b') = 'ab'", 'greatest(1, 2) = 2', "nullif('a', 'b') = 'a'", "trim('  a ') = 'a'", 'round(2.5) = 3']) {
    await unsafe(t, `SELECT id FROM users WHERE id = 1 OR ${p}`, 'injection_tautology')
  }
  // a constant we do not compute (unknown function, clock, server variable, CASE) fails closed
  for (const p of ['my_fn(1) = 2', "now() > '2000-01-01'", 'CASE WHEN 1 = 1 THEN TRUE END', "md5('a') <> 'x'"]) {
    await unsafe(t, `SELECT id FROM users WHERE id = 1 OR ${p}`, 'injection_or_true')
  }
  await unsafe(t, 'SELECT id FROM users WHERE id = 1 OR @@version IS NOT NULL', 'injection_or_true', { dialect: 'mysql' })
  // values the database may compute otherwise are not decided (so never taken for false): casts
  // that round or truncate, string order (collation), MySQL's accent-insensitive and numeric
  // string comparisons
  for (const p of ['CAST(1.5 AS INT) = 2', "'abc'::char = 'a'", "'a'::varchar(1) = 'a'", "'a' < 'B'", "'b' BETWEEN 'a' AND 'c'"]) {
    await unsafe(t, `SELECT id FROM users WHERE id = 1 OR ${p}`, 'injection_or_true')
  }
  for (const p of ["'a' = 'á'", "'a' = 0", "'x' = 'x '", "'á' LIKE 'a'"]) {
    await unsafe(t, `SELECT id FROM users WHERE id = 1 OR ${p}`, 'injection_or_true', { dialect: 'mysql' })
  }
  await safe(t, 'SELECT id FROM users WHERE id = 1 OR CAST(1 AS INT) = 2')
  await safe(t, "SELECT id FROM users WHERE id = 1 OR '1'::int = 2")
  await safe(t, "SELECT id FROM users WHERE id = 1 OR 'a' = 'b'", { dialect: 'mysql' })
  // computed false: not a tautology
  await safe(t, "SELECT id FROM users WHERE id = 1 OR 'a' = upper('a')")
  await safe(t, 'SELECT id FROM users WHERE id = 1 OR abs(-1) = 2')
  await safe(t, 'SELECT id FROM users WHERE id = 1 OR NOT EXISTS (SELECT 1)')
  await safe(t, 'SELECT id FROM users WHERE id = 1 OR $$1$$ = $$2$$')
  // ordinary queries: columns, parameters, correlated or filtered subqueries are not constants
  await safe(t, 'SELECT id FROM users WHERE a = 1 OR b = 2')
  await safe(t, 'SELECT id FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)')
  // Changed on purpose (issue 16): an OR operand whose truth does not depend on the row switches
  // the filter off for every row or none, whatever its shape, and an injected
  // `OR EXISTS (SELECT 1 FROM admins WHERE ...)` reads exactly like this one. Write the admin case
  // as its own query instead.
  await unsafe(t, 'SELECT id FROM docs WHERE owner_id = 5 OR EXISTS (SELECT 1 FROM admins WHERE admins.user_id = 5)', 'injection_or_true')
  await safe(t, 'SELECT id FROM t WHERE a = 1 OR NOT EXISTS (SELECT 1 FROM u WHERE u.x = t.x)')
  await safe(t, "SELECT id FROM users WHERE lower(name) = 'bob'")
  await safe(t, "SELECT id FROM users WHERE lower(name) = 'bob' OR upper(email) = 'X'")
  await safe(t, 'SELECT id FROM users WHERE id = $1 OR $1 IS NULL')
  await safe(t, 'SELECT id FROM users WHERE id = ? OR ? IS NULL', { dialect: 'mysql' })
  await safe(t, "SELECT id FROM users WHERE created_at > now() - interval '7 days' OR status = 'vip'")
  await safe(t, 'SELECT id FROM t WHERE a = 1 OR b IN (SELECT id FROM u)')
  await safe(t, 'SELECT id FROM users WHERE name = $$a$$')
  await safe(t, "SELECT CASE WHEN a > 1 OR b < 2 THEN 'x' ELSE 'y' END FROM t")
})

t.test('a recursive CTE without a stop condition is BLOCKED (sql.unbounded_recursion)', async (t) => {
  const unbounded = [
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r) SELECT n FROM r',
    // the outer LIMIT stops it only on PostgreSQL: not a bound
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT 10',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT ALL) SELECT n FROM r',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM (SELECT * FROM r) x) SELECT n FROM r',
    'WITH RECURSIVE a AS (SELECT 1), r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r JOIN t ON TRUE) SELECT n FROM r',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r, t) SELECT n FROM r'
  ]
  for (const q of unbounded) {
    const r = await refused(t, q, 'sql.unbounded_recursion')
    t.equal(r.developer_fields.malicious_classification, false)
    t.ok(r.types.includes('unbounded_recursion'))
  }
  for (const dialect of ['mysql', 'sqlite'] as const) {
    await refused(t, unbounded[0] as string, 'sql.unbounded_recursion', { dialect })
    await safe(t, 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) SELECT * FROM t', { dialect })
  }
  // a constant-true stop condition is no stop condition (and a tautology)
  const always = await run('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE 1 = 1) SELECT n FROM r')
  t.ok(always.types.includes('unbounded_recursion') && always.types.includes('injection_tautology'))
  // bounded: a WHERE, a join condition (tree walks), a LIMIT
  await safe(t, 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 10) SELECT * FROM t')
  await safe(t, 'WITH RECURSIVE sub AS (SELECT id FROM cats WHERE id = 1 UNION ALL SELECT c.id FROM cats c JOIN sub s ON c.parent_id = s.id) SELECT * FROM sub')
  await safe(t, 'WITH RECURSIVE sub AS (SELECT id FROM cats WHERE id = 1 UNION SELECT c.id FROM cats c, sub s WHERE c.parent_id = s.id) SELECT * FROM sub')
  await safe(t, 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 100) SELECT n FROM r')
  // without RECURSIVE the name reads the real table
  await safe(t, 'WITH users AS (SELECT * FROM users WHERE active) SELECT * FROM users')
})

t.test('generators and padding over their caps are BLOCKED (sql.unbounded_generator)', async (t) => {
  const over = [
    'SELECT count(*) FROM generate_series(1, 1000000000000)',
    'SELECT generate_series(1, 1e12)',
    'SELECT count(*) FROM generate_series(1, 10000001)',
    // the generators of a statement multiply
    'SELECT count(*) FROM generate_series(1, 5000) a, generate_series(1, 5000) b',
    // bounds that are not constants
    'SELECT count(*) FROM t, generate_series(1, t.n)',
    'SELECT count(*) FROM generate_series(1, $1)',
    'SELECT count(*) FROM generate_series(1, 10, 0)',
    "SELECT count(*) FROM generate_series('2000-01-01'::timestamp, '2030-01-01', '1 second')",
    "SELECT count(*) FROM generate_series('2000-01-01'::timestamp, now(), '1 day')",
    "SELECT repeat('ab', 100000000)",
    "SELECT lpad('a', 2000000000, 'b')"
  ]
  for (const q of over) {
    const r = await refused(t, q, 'sql.unbounded_generator')
    t.equal(r.developer_fields.malicious_classification, false)
  }
  // SQLite: a missing stop is 4294967295
  await refused(t, 'SELECT value FROM generate_series(1)', 'sql.unbounded_generator', { dialect: 'sqlite' })
  await safe(t, 'SELECT value FROM generate_series(1, 100)', { dialect: 'sqlite' })
  await safe(t, 'SELECT * FROM generate_series(1, 10)')
  await safe(t, 'SELECT g FROM generate_series(10, 1, -1) AS g')
  await safe(t, 'SELECT count(*) FROM generate_series(1, 10000000)')
  await safe(t, 'SELECT x FROM generate_series(0, 1, 0.1) AS x')
  await safe(t, "SELECT d FROM generate_series('2024-01-01'::date, '2024-12-31'::date, interval '1 day') AS d")
  await safe(t, "SELECT d FROM generate_series(current_date - interval '30 days', current_date, interval '1 day') AS d")
  await safe(t, "SELECT d FROM generate_series(date_trunc('month', now()), now(), '1 hour') AS d")
  await safe(t, "SELECT repeat('-', depth) || name FROM tree")
  await safe(t, "SELECT lpad(code, 8, '0') FROM items")
  // pg_sleep / SLEEP / BENCHMARK stay dangerous functions
  await unsafe(t, 'SELECT pg_sleep(10)', 'dangerous_function')
  await unsafe(t, 'SELECT SLEEP(10)', 'dangerous_function', { dialect: 'mysql' })
  await unsafe(t, "SELECT BENCHMARK(1000000000, MD5('a'))", 'dangerous_function', { dialect: 'mysql' })
})

t.test('Unicode spaces: the parser reads the text as the database and the lexer do; no statement is never admitted', async (t) => {
  // node-sql-parser used to trim the text with String.prototype.trim (BOM, no-break space, ...), the
  // databases and our lexer read those characters as part of an identifier
  await refused(t, '\ufeff-- DROP TABLE users', 'sql.parse_error')
  await refused(t, '\u00a0;', 'sql.parse_error', { dialect: 'mysql' })
  await refused(t, '\u00a0;', 'sql.parse_error')
  await refused(t, '\ufeffSELECT 1', 'sql.parse_error')
  await refused(t, 'SELECT 1\u00a0', 'sql.parse_error')
  await refused(t, '\u2003SELECT 1', 'sql.parse_error', { dialect: 'sqlite' })
  // two "statements" of one non-ASCII character each: stacked, as the database would read them
  t.equal((await run('\u3000;\u3000', { dialect: 'sqlite' })).admission, 'BLOCKED')
  // ASCII whitespace around a statement is fine
  await safe(t, '\n\t SELECT id FROM users \n')
  await safe(t, '  SELECT id FROM users;  ')
  const verifier = createVerifier({ audit: false, cache: false })
  t.teardown(() => verifier.close())
  const r = await verifier.verify({ type: 'sql', query: '\ufeff-- DROP TABLE users' })
  t.equal(r.admission, 'BLOCKED')
  const taut = await verifier.verify({ type: 'sql', query: 'SELECT id FROM users WHERE name = $$a$$ OR $$1$$ = $$1$$' })
  t.equal(taut.admission, 'BLOCKED')
})

t.test('long digit runs and long comments are analysed in linear time', async (t) => {
  const { isNumericText } = await import('../lib/engines/sql/constant.js')
  for (const [s, ok] of [['1', true], ['-1.5', true], ['1.', true], ['.5', true], ['1e5', true], ['1E-5', true], ['.', false],
    ['', false], ['1e', false], ['e5', false], ['1.2.3', false], [' 1', false], ['1_0', false]] as const) {
    t.equal(isNumericText(s), ok, JSON.stringify(s))
  }
  t.equal(isNumericText('0'.repeat(100_000) + '!'), false)
  // a quoted column name of 60 KB of digits, checked against a schema (was ~4 s)
  const numeric = await run(`SELECT id FROM t WHERE "${'0'.repeat(60_000)}!" = 1`, { schema: 'CREATE TABLE t (id int)' })
  t.equal(numeric.developer_fields.constraint_id, 'sql.schema_mismatch')
  // an unterminated 60 KB comment of '*' (node-sql-parser overflowed its stack on it, ~1.6 s): the
  // parser never sees comments now, and the verdict is the comment-injection one
  const comment = await run('SELECT 1 /*' + '*'.repeat(60_000))
  t.equal(comment.developer_fields.constraint_id, 'sql.malicious')
  t.ok(comment.types.includes('comment_injection'))
  t.equal(comment.admission, 'BLOCKED')
  // short or long, the same verdict
  const short = await run('SELECT 1 /****')
  t.equal(short.developer_fields.constraint_id, 'sql.malicious')
})
