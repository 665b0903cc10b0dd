// Word lists and issue vocabulary of the SQL engine. Names are compared lower-cased.

export type SqlDialect = 'postgresql' | 'mysql' | 'sqlite'
export type Severity = 'CRITICAL' | 'WARNING'

export interface SqlIssue {
  severity: Severity
  type: string
  description: string
  recommendation: string | null
}

/**
 * Issue types that prove the query unsafe (QWED's MALICIOUS_ISSUE_TYPES plus our own AST rules).
 * A CRITICAL issue of one of these types makes the verdict VERIFIED with is_valid false; any other
 * CRITICAL issue (schema mismatch, complexity) only fails admission (BLOCKED).
 */
export const MALICIOUS_TYPES: ReadonlySet<string> = new Set([
  'destructive_command',
  'admin_command',
  'sensitive_column_access',
  'injection_tautology',
  'injection_or_true',
  'stacked_queries',
  'comment_injection',
  'dangerous_function',
  'file_access',
  'union_exfiltration',
  'system_catalog_access'
])

/**
 * Issue types for queries the database could not finish in reasonable time or memory: a recursive
 * CTE with no stop condition, a generator (`generate_series`) or padding function over its cap.
 * CRITICAL, so they fail admission (BLOCKED, constraint `sql.<type>`), without claiming malice: an
 * LLM writes them by mistake as easily as an attacker on purpose.
 */
export const RESOURCE_TYPES: ReadonlySet<string> = new Set(['unbounded_recursion', 'unbounded_generator'])

/** QWED's sensitive column list (§4.4), plus a few unambiguous synonyms of the same secrets. */
export const SENSITIVE_COLUMNS: ReadonlySet<string> = new Set([
  // QWED 7.1 DEFAULT_SENSITIVE_COLUMNS
  'password', 'password_hash', 'passwd', 'pwd', 'secret', 'secret_key', 'api_key', 'token', 'ssn',
  'social_security', 'salary', 'credit_card', 'bank_account', 'balance', 'private_key',
  // synonyms
  'hashed_password', 'password_digest', 'encrypted_password', 'password_salt', 'access_token',
  'refresh_token', 'auth_token', 'session_token', 'api_secret', 'client_secret', 'apikey',
  'credit_card_number', 'card_number', 'cvv', 'social_security_number', 'bank_account_number',
  'otp_secret', 'totp_secret', 'mfa_secret'
])

/** Functions that sleep, touch the file system or network, run commands or administer the server. */
export const DANGEROUS_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  // time-based blind injection
  ['pg_sleep', 'delays the server'], ['pg_sleep_for', 'delays the server'], ['pg_sleep_until', 'delays the server'],
  ['sleep', 'delays the server'], ['benchmark', 'burns server CPU (timing attack)'], ['get_lock', 'blocks on a server lock'],
  // file system
  ['load_file', 'reads a server file'], ['pg_read_file', 'reads a server file'], ['pg_read_binary_file', 'reads a server file'],
  ['pg_ls_dir', 'lists a server directory'], ['pg_stat_file', 'inspects a server file'], ['pg_file_write', 'writes a server file'],
  ['pg_file_read', 'reads a server file'], ['lo_import', 'imports a server file'], ['lo_export', 'writes a server file'],
  ['readfile', 'reads a server file'], ['writefile', 'writes a server file'], ['edit', 'opens an editor'],
  // commands, extensions, dynamic SQL
  ['xp_cmdshell', 'runs an operating-system command'], ['sys_exec', 'runs an operating-system command'],
  ['sys_eval', 'runs an operating-system command'], ['sp_oacreate', 'creates an OLE object'],
  ['sp_execute_external_script', 'runs external code'], ['sp_executesql', 'runs dynamic SQL'],
  ['load_extension', 'loads native code'], ['fts3_tokenizer', 'exposes a native pointer'],
  ['query_to_xml', 'runs dynamic SQL'], ['query_to_xml_and_xmlschema', 'runs dynamic SQL'],
  ['cursor_to_xml', 'runs dynamic SQL'], ['database_to_xml', 'dumps the database'],
  ['database_to_xml_and_xmlschema', 'dumps the database'], ['schema_to_xml', 'dumps a schema'],
  // network
  ['dblink', 'opens a remote connection'], ['dblink_exec', 'runs SQL on a remote connection'],
  ['dblink_connect', 'opens a remote connection'], ['dblink_send_query', 'runs SQL on a remote connection'],
  ['http_get', 'makes an HTTP request'], ['http_post', 'makes an HTTP request'], ['utl_http', 'makes an HTTP request'],
  ['utl_inaddr', 'makes a DNS request'], ['xp_dirtree', 'makes a network request'],
  // server administration
  ['pg_terminate_backend', 'kills a server session'], ['pg_cancel_backend', 'cancels a server session'],
  ['pg_reload_conf', 'reloads server configuration'], ['pg_rotate_logfile', 'rotates server logs'],
  ['set_config', 'changes server configuration'], ['pg_promote', 'promotes a replica'],
  ['pg_switch_wal', 'switches the write-ahead log'], ['pg_create_restore_point', 'writes a restore point'],
  // error-based exfiltration (MySQL XML functions)
  ['extractvalue', 'is used for error-based data extraction'], ['updatexml', 'is used for error-based data extraction']
])

/** Functions and variables whose only use inside a UNION is fingerprinting the server. */
export const INFO_FUNCTIONS: ReadonlySet<string> = new Set([
  'version', 'user', 'current_user', 'session_user', 'system_user', 'database', 'schema',
  'current_database', 'current_schema', 'current_schemas', 'connection_id', 'sqlite_version',
  'inet_server_addr', 'inet_server_port', 'pg_backend_pid', 'current_setting', 'pg_postmaster_start_time'
])

/** Schemas (databases) that hold the server's own catalogs. */
export const CATALOG_SCHEMAS: ReadonlySet<string> = new Set([
  'information_schema', 'pg_catalog', 'pg_toast', 'mysql', 'performance_schema', 'sys'
])

/** SQLite's catalog tables (PostgreSQL's are every `pg_*` relation). */
export const CATALOG_TABLES: ReadonlySet<string> = new Set([
  'sqlite_master', 'sqlite_schema', 'sqlite_temp_master', 'sqlite_temp_schema', 'sqlite_sequence', 'sqlite_stat1'
])

/** Catalogs that hold password hashes or credentials. */
export const CREDENTIAL_CATALOGS: ReadonlySet<string> = new Set([
  'pg_shadow', 'pg_authid', 'pg_user_mapping', 'pg_user_mappings', 'mysql.user', 'sql_logins'
])

/** Table names that hold credentials: reading them through a UNION is exfiltration. */
export const SENSITIVE_TABLE_WORDS: readonly string[] = ['password', 'passwd', 'credential', 'secret', 'token', 'api_key', 'apikey', 'private_key']

/** System columns every table has (never "unknown"). */
export const SYSTEM_COLUMNS: ReadonlySet<string> = new Set([
  'rowid', '_rowid_', 'oid', 'ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid'
])

/** Functions whose result differs between calls: `random() = random()` is not a tautology. */
export const VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set([
  'random', 'rand', 'random_uuid', 'uuid', 'gen_random_uuid', 'uuid_generate_v4', 'newid', 'nextval',
  'setval', 'clock_timestamp', 'timeofday', 'randomblob', 'changes', 'last_insert_rowid', 'sysdate'
])

export const AGGREGATES: ReadonlySet<string> = new Set(['sum', 'count', 'avg', 'min', 'max'])

/** node-sql-parser statement types that write or change the schema: destructive unless allowed. */
export const DESTRUCTIVE_TYPES: ReadonlySet<string> = new Set([
  'insert', 'replace', 'update', 'delete', 'create', 'alter', 'drop', 'truncate', 'rename', 'merge'
])

/**
 * Leading keywords used when a statement does not parse: a statement that starts with one of these
 * is classified by its keyword alone (QWED maps statements its parser does not model to the
 * catch-all `Command`, which is an admin command).
 */
export const DESTRUCTIVE_KEYWORDS: ReadonlySet<string> = new Set([
  'insert', 'replace', 'update', 'delete', 'create', 'alter', 'drop', 'truncate', 'rename', 'merge', 'upsert'
])
export const ADMIN_KEYWORDS: ReadonlySet<string> = new Set([
  'grant', 'revoke', 'set', 'reset', 'copy', 'do', 'execute', 'exec', 'call', 'explain', 'analyze', 'analyse',
  'vacuum', 'cluster', 'reindex', 'lock', 'unlock', 'listen', 'notify', 'unlisten', 'prepare', 'deallocate',
  'discard', 'load', 'begin', 'start', 'commit', 'rollback', 'savepoint', 'release', 'end', 'abort',
  'checkpoint', 'security', 'comment', 'refresh', 'reassign', 'import', 'attach', 'detach', 'pragma', 'kill',
  'shutdown', 'flush', 'handler', 'install', 'uninstall', 'use', 'show', 'describe', 'desc', 'backup',
  'restore', 'purge', 'change', 'xa', 'declare', 'fetch', 'move', 'close', 'optimize', 'repair', 'check',
  'checksum', 'cache', 'binlog', 'help'
])
