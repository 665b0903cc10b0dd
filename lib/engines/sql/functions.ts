import { DANGEROUS_FUNCTIONS, type SqlDialect } from './rules.js'

/**
 * Which functions a read-only analytics query may call: an allowlist per dialect of pure,
 * row-level functions (string, math, date, conditional, aggregate, window, JSON and array
 * accessors), as data. Everything else is refused, so whole families close at once, including
 * members nobody listed yet (`pg_ls_logdir`, `table_to_xml`, `ts_stat('SELECT ...')`, `lo_unlink`,
 * `setval`, `pg_stat_reset`, `pg_advisory_lock`, `MASTER_POS_WAIT`). A claim can allow more by
 * name (`allowFunctions`), except the dangerous families below, which no option re-opens.
 */

const COMMON = [
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp',
  'corr', 'covar_pop', 'covar_samp', 'regr_slope', 'regr_intercept', 'regr_r2', 'regr_count', 'regr_avgx', 'regr_avgy',
  'regr_sxx', 'regr_syy', 'regr_sxy', 'bit_and', 'bit_or', 'bit_xor',
  // window
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value',
  // conditional
  'coalesce', 'nullif', 'greatest', 'least',
  // string
  'lower', 'upper', 'length', 'char_length', 'character_length', 'octet_length', 'substr', 'substring', 'trim', 'ltrim',
  'rtrim', 'replace', 'concat', 'concat_ws', 'left', 'right', 'lpad', 'rpad', 'repeat', 'reverse', 'position', 'instr',
  'ascii', 'char', 'regexp_replace', 'regexp_like',
  // math
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'trunc', 'truncate', 'mod', 'power', 'pow', 'sqrt', 'exp', 'ln', 'log',
  'log10', 'log2', 'sign', 'pi', 'degrees', 'radians', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'cot', 'random',
  // date and time
  'now', 'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp', 'extract', 'date',
  // types, predicates the parser reads as calls
  'cast', 'convert', 'exists'
]

const POSTGRESQL = [
  'string_agg', 'array_agg', 'bool_and', 'bool_or', 'every', 'percentile_cont', 'percentile_disc', 'mode',
  'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg',
  'btrim', 'strpos', 'split_part', 'initcap', 'translate', 'chr', 'starts_with', 'format', 'to_char', 'to_number',
  'to_date', 'to_timestamp', 'md5', 'regexp_match', 'regexp_matches', 'regexp_split_to_array', 'regexp_split_to_table',
  'left', 'right', 'quote_ident', 'quote_literal', 'encode', 'decode', 'sha256', 'sha512',
  'cbrt', 'div', 'width_bucket', 'gcd', 'lcm', 'scale', 'trim_scale',
  'date_trunc', 'date_part', 'date_bin', 'age', 'make_date', 'make_time', 'make_timestamp', 'make_timestamptz',
  'make_interval', 'justify_days', 'justify_hours', 'justify_interval', 'isfinite', 'timezone', 'statement_timestamp',
  'transaction_timestamp', 'clock_timestamp', 'generate_series',
  'json_extract_path', 'json_extract_path_text', 'jsonb_extract_path', 'jsonb_extract_path_text', 'json_array_length',
  'jsonb_array_length', 'json_typeof', 'jsonb_typeof', 'json_build_object', 'jsonb_build_object', 'json_build_array',
  'jsonb_build_array', 'to_json', 'to_jsonb', 'row_to_json', 'json_each', 'jsonb_each', 'json_each_text',
  'jsonb_each_text', 'json_array_elements', 'jsonb_array_elements', 'json_array_elements_text',
  'jsonb_array_elements_text', 'json_object_keys', 'jsonb_object_keys', 'jsonb_strip_nulls', 'jsonb_pretty',
  'jsonb_path_exists', 'jsonb_path_query_first', 'jsonb_set',
  'array_length', 'cardinality', 'array_to_string', 'string_to_array', 'array_position', 'array_positions',
  'array_append', 'array_prepend', 'array_remove', 'array_cat', 'unnest', 'array_upper', 'array_lower',
  'gen_random_uuid', 'num_nulls', 'num_nonnulls'
]

const MYSQL = [
  'group_concat', 'json_arrayagg', 'json_objectagg', 'std',
  'if', 'ifnull', 'isnull', 'locate', 'mid', 'ucase', 'lcase', 'field', 'elt', 'find_in_set', 'format', 'space',
  'strcmp', 'substring_index', 'hex', 'unhex', 'md5', 'sha1', 'sha2', 'soundex', 'regexp_substr', 'regexp_instr',
  'date_add', 'date_sub', 'adddate', 'subdate', 'datediff', 'timestampdiff', 'timestampadd', 'year', 'month', 'day',
  'dayofmonth', 'dayofweek', 'dayofyear', 'week', 'weekday', 'weekofyear', 'yearweek', 'quarter', 'hour', 'minute',
  'second', 'last_day', 'str_to_date', 'date_format', 'time_format', 'from_unixtime', 'unix_timestamp', 'curdate',
  'curtime', 'utc_date', 'utc_timestamp', 'monthname', 'dayname', 'makedate', 'period_diff', 'to_days', 'time',
  'timestamp', 'sysdate', 'time_to_sec', 'sec_to_time',
  'json_extract', 'json_unquote', 'json_value', 'json_contains', 'json_contains_path', 'json_length', 'json_keys',
  'json_type', 'json_valid', 'json_object', 'json_array', 'json_search', 'json_depth', 'json_quote',
  'uuid', 'crc32', 'conv', 'truncate', 'values'
]

const SQLITE = [
  'group_concat', 'total', 'string_agg',
  'ifnull', 'iif', 'nullif', 'typeof', 'instr', 'printf', 'format', 'quote', 'unicode', 'hex', 'likely', 'unlikely',
  'likelihood', 'glob', 'like',
  'date', 'time', 'datetime', 'julianday', 'strftime', 'unixepoch', 'timediff',
  'json', 'json_extract', 'json_array', 'json_object', 'json_array_length', 'json_type', 'json_valid', 'json_quote',
  'json_each', 'json_tree', 'json_group_array', 'json_group_object', 'json_insert', 'json_replace', 'json_set',
  'json_remove', 'json_patch', 'generate_series'
]

export const ALLOWED_FUNCTIONS: Readonly<Record<SqlDialect, ReadonlySet<string>>> = {
  postgresql: new Set([...COMMON, ...POSTGRESQL]),
  mysql: new Set([...COMMON, ...MYSQL]),
  sqlite: new Set([...COMMON, ...SQLITE])
}

/**
 * Families of functions that read or write server files, administer the server, change sequences,
 * take locks, wait, run dynamic SQL or reset statistics: proof of an unsafe query (malicious), and
 * never re-opened by `allowFunctions`. Matched on the lower-cased base name.
 */
const FAMILIES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^pg_(?:ls_|read_|stat_file|file_)/, 'reads or lists server files'],
  [/^(?:lo_|loread$|lowrite$)/, 'reads or writes large objects (server files)'],
  [/^pg_(?:try_)?advisory_/, 'takes a server lock'],
  [/^(?:get_lock|release_lock|release_all_locks|is_free_lock|is_used_lock)$/, 'takes a server lock'],
  [/^(?:pg_sleep|sleep|benchmark|master_pos_wait|source_pos_wait|wait_for_executed_gtid_set|wait_until_sql_thread_after_gtids)/, 'waits on the server'],
  [/^(?:nextval|setval|currval|lastval)$/, 'reads or changes a sequence'],
  [/^pg_stat_(?:reset|clear)|^pg_stat_statements_reset$/, 'resets server statistics'],
  [/_to_xml(?:schema|_and_xmlschema)?$|^xml|^ts_stat$|^ts_rewrite$|^query_to_|^cursor_to_/, 'runs dynamic SQL or dumps relations as XML'],
  [/^dblink|^http_|^utl_/, 'opens a network connection'],
  [/^pg_(?:terminate|cancel|reload|rotate|promote|switch|create|drop|replication|logical|import|export|backup|start_backup|stop_backup|wal|log_)/, 'administers the server'],
  [/^(?:set_config|current_setting|pg_settings)$/, 'reads or changes server configuration'],
  // every other PostgreSQL server function (backend pids, notify, snapshots, sizes, ...): none is row-level
  [/^pg_/, 'reads or drives server internals']
]

export type FunctionVerdict =
  | { allowed: true }
  | { allowed: false, dangerous: true, why: string }
  | { allowed: false, dangerous: false }

/**
 * The verdict for one call. `qualifier` is the schema a call names (`pg_catalog.lower`): only
 * PostgreSQL's own catalog qualifies an allowed name; any other schema may hold a function of the
 * same name that does anything.
 */
export function classifyFunction (name: string, qualifier: string | null, dialect: SqlDialect, allowed: ReadonlySet<string>): FunctionVerdict {
  const base = name.toLowerCase()
  const known = DANGEROUS_FUNCTIONS.get(base)
  if (known !== undefined) return { allowed: false, dangerous: true, why: known }
  for (const [pattern, why] of FAMILIES) if (pattern.test(base)) return { allowed: false, dangerous: true, why }
  const q = qualifier?.toLowerCase() ?? null
  if (allowed.has(base) && (q === null || (q === 'pg_catalog' && dialect === 'postgresql'))) return { allowed: true }
  if (q !== null && allowed.has(`${q}.${base}`)) return { allowed: true }
  if (q === null && ALLOWED_FUNCTIONS[dialect].has(base)) return { allowed: true }
  if (q === 'pg_catalog' && dialect === 'postgresql' && ALLOWED_FUNCTIONS.postgresql.has(base)) return { allowed: true }
  return { allowed: false, dangerous: false }
}
