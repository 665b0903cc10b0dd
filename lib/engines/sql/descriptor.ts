/** The SQL engine's declaration (see ../descriptor.ts): light, loads nothing of the engine. */
import type { EngineDescriptor } from '../descriptor.js'

/** Longest query, in UTF-16 code units (checked before lexing). */
export const MAX_QUERY_CHARS = 64 * 1024
/** Longest DDL (`schema`), in UTF-16 code units. */
export const MAX_SCHEMA_CHARS = 256 * 1024

export const SQL_DESCRIPTOR: EngineDescriptor = {
  name: 'sql',
  claimTypes: {
    sql: {
      fields: ['type', 'query', 'schema', 'dialect', 'allowDestructive', 'limits', 'sensitiveColumns', 'allowFunctions'],
      // the query; no array in a SQL claim
      limits: { maxLength: MAX_QUERY_CHARS, maxArrayLength: 100 },
      caps: { maxLength: { value: MAX_QUERY_CHARS, reason: 'the SQL engine refuses longer queries' } },
      routes: ['local', 'remote']
    }
  },
  // node-sql-parser costs 50-130 µs per token: a few hundred characters are a millisecond or two.
  routing: { cpuBound: true, poolMinWeight: 1024 }
}
