/**
 * extractClaims options: checked once, with a TypeError that names the bad option (a typo such as
 * `jsonschema` would otherwise silently switch json checking off).
 */
import type { ExtractOptions } from '../../types/extract.js'

export const EXTRACT_DEFAULTS = {
  maxLength: 100_000,
  maxClaims: 100
} as const

/** Hard ceilings: an option may lower the defaults or raise them up to these. */
const MAX_LENGTH_CEILING = 10_000_000
const MAX_CLAIMS_CEILING = 10_000

const DIALECTS = new Set(['postgresql', 'mysql', 'sqlite'])
const KNOWN = new Set(['sql', 'jsonSchema', 'maxLength', 'maxClaims', 'workBudget'])

/** The options with every default filled in. */
export interface ResolvedExtractOptions {
  sql: { schema: string, dialect?: 'postgresql' | 'mysql' | 'sqlite' } | undefined
  jsonSchema: Record<string, unknown> | boolean | undefined
  maxLength: number
  maxClaims: number
  workBudget: number
}

function bad (name: string, what: string): TypeError {
  return new TypeError(`extractClaims: option '${name}' ${what}`)
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

function count (options: Record<string, unknown>, name: string, fallback: number, ceiling: number): number {
  const v = options[name]
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > ceiling) {
    throw bad(name, `must be an integer from 1 to ${ceiling}`)
  }
  return v
}

/** Validates extractClaims options; throws a TypeError naming the first bad one. */
export function resolveExtractOptions (options?: ExtractOptions | ResolvedExtractOptions): ResolvedExtractOptions {
  if (options === undefined) {
    return { sql: undefined, jsonSchema: undefined, ...EXTRACT_DEFAULTS, workBudget: 8 * EXTRACT_DEFAULTS.maxLength + 10_000 }
  }
  if (!isPlainObject(options)) throw new TypeError('extractClaims: options must be a plain object')
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw bad(key, `is not an option (known: ${[...KNOWN].join(', ')})`)
  }
  let sql: ResolvedExtractOptions['sql']
  if (options.sql !== undefined) {
    const s: unknown = options.sql
    if (!isPlainObject(s)) throw bad('sql', 'must be an object { schema, dialect? }')
    for (const key of Object.keys(s)) {
      if (key !== 'schema' && key !== 'dialect') throw bad(`sql.${key}`, 'is not an option (known: schema, dialect)')
    }
    if (typeof s.schema !== 'string') throw bad('sql.schema', 'must be a string (CREATE TABLE statements)')
    if (s.dialect !== undefined && (typeof s.dialect !== 'string' || !DIALECTS.has(s.dialect))) {
      throw bad('sql.dialect', `must be one of ${[...DIALECTS].join(', ')}`)
    }
    sql = s.dialect === undefined ? { schema: s.schema } : { schema: s.schema, dialect: s.dialect as 'postgresql' | 'mysql' | 'sqlite' }
  }
  const jsonSchema: unknown = options.jsonSchema
  if (jsonSchema !== undefined && typeof jsonSchema !== 'boolean' && !isPlainObject(jsonSchema)) {
    throw bad('jsonSchema', 'must be a JSON Schema (an object or a boolean)')
  }
  const maxLength = count(options as Record<string, unknown>, 'maxLength', EXTRACT_DEFAULTS.maxLength, MAX_LENGTH_CEILING)
  const maxClaims = count(options as Record<string, unknown>, 'maxClaims', EXTRACT_DEFAULTS.maxClaims, MAX_CLAIMS_CEILING)
  const workBudget = count(options as Record<string, unknown>, 'workBudget', 8 * maxLength + 10_000, 100 * MAX_LENGTH_CEILING)
  return { sql, jsonSchema: jsonSchema as ResolvedExtractOptions['jsonSchema'], maxLength, maxClaims, workBudget }
}
