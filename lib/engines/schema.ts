/**
 * The schema engine: JSON documents against JSON Schema 2020-12 (claim type 'schema'). Invoice
 * arithmetic (claim type 'transaction') is its own engine, in schema/transaction.ts.
 *
 * Schema claims follow QWED's result model (§4.11) with standard JSON Schema semantics (ajv
 * 2020-12 plus ajv-formats, not QWED's own walker):
 *   valid document     VERIFIED, is_valid true,  schema.schema_valid
 *   invalid document   VERIFIED, is_valid false, schema.schema_violation (admission BLOCKED),
 *                      developer_fields.issues = [{ path, keyword, message }] sorted, where path is
 *                      a JSON pointer (RFC 6901; '' is the root; for `required` and
 *                      `additionalProperties` it points at the missing / extra property)
 *   unusable input     BLOCKED: schema.parse_error (not a schema, fails the meta-schema, a $ref
 *                      outside the document, a pattern RE2 cannot run, self-recursion),
 *                      schema.too_large / schema.too_deep (caps below), schema.too_complex
 *                      (validation would cost more than the work budget), schema.invalid_data
 *                      (data JSON cannot represent: cycles, NaN, functions, lone surrogates,
 *                      arrays with holes).
 * A property is present only when it is the object's own (ajv's ownProperties): `required:
 * ['constructor']` is not met by `{}`; a `__proto__` key in properties, patternProperties or the
 * dependent* keywords is refused (schema.parse_error, unsupported_property_name).
 * Semantics beyond ajv's defaults: formats are assertions; `1.0` is an integer (JSON has one
 * number type); multipleOf is exact in decimal (0.3 is a multiple of 0.1); unknown keywords are
 * ignored; `pattern` runs on RE2 in linear time (ECMAScript escapes translated, schema/regex.ts;
 * backreferences and lookarounds refused); remote $refs are never fetched; QWED's inline
 * arithmetic (total = subtotal + tax - discount, tax = subtotal * tax_rate) applies to objects
 * whose schema declares those properties (schema/arithmetic.ts).
 * The proof binds { schema_hash, data_hash, verdict, issues } (hashes of the RFC 8785 JSON).
 * Constraint ids are prefixed by the claim type: schema.* here, transaction.* for transactions.
 * Draft-07 schemas (`$schema` draft-07) are checked against their meta-schema and run with 2020-12
 * semantics (tuple `items: [...]` is refused: use prefixItems); other `$schema`s are refused.
 */
import { LRUCache } from 'lru-cache'
import type { ErrorObject } from 'ajv/dist/2020.js'
import type { SchemaClaim } from '../../types/claims.js'
import type { Engine, EngineContext, EngineResult } from '../../types/engine.js'
import { canonicalize, sha256Hex } from '../canonical.js'
import { blocked, verified } from '../result.js'
import { arithmeticIssues, type SchemaIssue } from './schema/arithmetic.js'
import { compileSchema, type CompileOutcome } from './schema/compile.js'
import { checkShape, estimateWork } from './schema/walk.js'
import { SCHEMA_DEFAULTS } from './schema/descriptor.js'

export interface SchemaEngineOptions {
  /** Canonical JSON length of `data` (default 1 000 000). */
  maxDataBytes?: number
  /** Canonical JSON length of `schema` (default 65 536: compiling costs about 4 ms per kB). */
  maxSchemaBytes?: number
  /** Container nesting of `data` (default 64). */
  maxDataDepth?: number
  /** Container nesting of `schema` (default 128; a schema nests about twice per data level). */
  maxSchemaDepth?: number
  /** Subschemas reachable from the root (default 10 000). */
  maxSchemaNodes?: number
  /** Validation work allowed per claim, in visit units of ~10 ns (default 25 000 000: at most ~0.4 s). */
  workBudget?: number
  /** Compiled schemas kept, keyed by the schema's canonical hash (default 500). */
  cacheSize?: number
  /** Issues listed in developer_fields and evidence (default 100; the count is always exact). */
  maxIssues?: number
  /** Called on every schema compilation (a cache miss): a hook for tests and metrics. */
  onCompile?: (schemaHash: string) => void
}

export const DEFAULTS = SCHEMA_DEFAULTS

type Limits = typeof DEFAULTS

const MESSAGES = {
  parse_error: 'Schema verification blocked: the schema could not be parsed.',
  too_large: 'Schema verification blocked: the input is too large.',
  too_deep: 'Schema verification blocked: the input is nested too deeply.',
  too_complex: 'Schema verification blocked: validating this input would take too long.',
  invalid_data: 'Schema verification blocked: the data is not a JSON value.',
  validation_error: 'Schema verification blocked: an unexpected validation error occurred.',
  aborted: 'Schema verification blocked: the deadline passed.',
  unsupported_claim: 'This claim cannot be verified by the schema engine.'
} as const

type Reason = keyof typeof MESSAGES

function stop (reason: Reason, fields: Record<string, unknown> = {}): EngineResult {
  return blocked(MESSAGES[reason], { constraint_id: `schema.${reason}`, ...fields })
}

function escapePointer (key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

function toIssue (error: ErrorObject): SchemaIssue {
  const params = error.params as Record<string, unknown>
  let path = error.instancePath
  const property = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty
  if (typeof property === 'string') path += '/' + escapePointer(property)
  return { path, keyword: error.keyword, message: error.message ?? 'is invalid' }
}

function compareIssues (a: SchemaIssue, b: SchemaIssue): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1
  if (a.keyword !== b.keyword) return a.keyword < b.keyword ? -1 : 1
  if (a.message !== b.message) return a.message < b.message ? -1 : 1
  return 0
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

interface Canonical { text: string, hash: string }

function canonicalOf (value: unknown): Canonical | null {
  try {
    const text = canonicalize(value)
    return { text, hash: 'sha256:' + sha256Hex(text) }
  } catch {
    return null
  }
}

function parseJson (text: string): { ok: true, value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

export function createSchemaEngine (options: SchemaEngineOptions = {}): Engine<SchemaClaim> {
  const limits: Limits = { ...DEFAULTS }
  for (const key of Object.keys(DEFAULTS) as Array<keyof Limits>) {
    const value = options[key]
    if (typeof value === 'number' && value > 0) limits[key] = value
  }
  const cache = new LRUCache<string, CompileOutcome>({ max: limits.cacheSize })

  const verifySchema = (claim: SchemaClaim, signal: AbortSignal): EngineResult => {
    const schema: unknown = claim.schema
    if (!isPlainObject(schema) && typeof schema !== 'boolean') {
      return stop('parse_error', { reason: 'not_a_schema', detail: 'schema must be an object or a boolean' })
    }
    const schemaShape = checkShape(schema, limits.maxSchemaDepth, limits.maxSchemaBytes).problem
    if (schemaShape === 'too_deep') return stop('too_deep', { target: 'schema', limit: limits.maxSchemaDepth })
    if (schemaShape === 'too_large') return stop('too_large', { target: 'schema', limit: limits.maxSchemaBytes })
    const schemaJson = schemaShape === null ? canonicalOf(schema) : null
    if (schemaJson === null) return stop('parse_error', { reason: 'not_json', detail: 'schema is not a JSON value' })
    if (schemaJson.text.length > limits.maxSchemaBytes) return stop('too_large', { target: 'schema', limit: limits.maxSchemaBytes })

    const data: unknown = claim.data
    const shape = checkShape(data, limits.maxDataDepth, limits.maxDataBytes)
    const dataShape = data === undefined ? 'not_json' : shape.problem
    if (dataShape === 'too_deep') return stop('too_deep', { target: 'data', limit: limits.maxDataDepth })
    if (dataShape === 'too_large') return stop('too_large', { target: 'data', limit: limits.maxDataBytes })
    const dataJson = dataShape === null ? canonicalOf(data) : null
    if (dataJson === null) return stop('invalid_data')
    if (dataJson.text.length > limits.maxDataBytes) return stop('too_large', { target: 'data', limit: limits.maxDataBytes })
    // Validate exactly the JSON that was hashed (toJSON applied, no getters or prototypes). The
    // text may still fail to parse: a toJSON result is not shape-checked (it may hold a hole).
    const parsed = parseJson(dataJson.text)
    if (!parsed.ok) return stop('invalid_data')
    const instance = parsed.value
    // toJSON may have produced a deeper value than the one measured.
    if (shape.usesToJSON && checkShape(instance, limits.maxDataDepth, Infinity).problem === 'too_deep') {
      return stop('too_deep', { target: 'data', limit: limits.maxDataDepth })
    }

    let outcome = cache.get(schemaJson.hash)
    if (outcome === undefined) {
      if (signal.aborted) return { ...stop('aborted'), cacheable: false }
      const parsedSchema = parseJson(schemaJson.text)
      if (!parsedSchema.ok) return stop('parse_error', { reason: 'not_json', detail: 'schema is not a JSON value' })
      outcome = compileSchema(parsedSchema.value, limits.maxSchemaNodes)
      cache.set(schemaJson.hash, outcome)
      options.onCompile?.(schemaJson.hash)
    }
    if (!outcome.ok) {
      const { reason, detail } = outcome.failure
      if (reason === 'too_many_nodes') return stop('too_large', { target: 'schema', reason, detail, schema_hash: schemaJson.hash })
      return stop('parse_error', { reason, detail, schema_hash: schemaJson.hash })
    }
    if (signal.aborted) return { ...stop('aborted'), cacheable: false }

    const { validate, graph } = outcome.compiled
    const work = estimateWork(graph, instance, limits.workBudget)
    if (!work.withinBudget) return stop('too_complex', { budget: limits.workBudget, schema_hash: schemaJson.hash, data_hash: dataJson.hash })

    let errors: ErrorObject[]
    try {
      errors = validate(instance) ? [] : [...(validate.errors ?? [])]
    } catch (err) {
      if (err instanceof RangeError) return stop('too_complex', { reason: 'stack_overflow', schema_hash: schemaJson.hash })
      return stop('validation_error', { detail: err instanceof Error ? err.message : String(err) })
    }

    const unique = new Map<string, SchemaIssue>()
    for (const issue of [...errors.map(toIssue), ...arithmeticIssues(work.arithmetic)]) {
      unique.set(JSON.stringify([issue.path, issue.keyword, issue.message]), issue)
    }
    const issues = [...unique.values()].sort(compareIssues)
    const listed = issues.slice(0, limits.maxIssues)
    const isValid = issues.length === 0
    const summary = { total_issues: issues.length, errors: issues.length, warnings: 0, listed: listed.length }
    const evidence = {
      engine: 'schema',
      claim: 'schema',
      schema_hash: schemaJson.hash,
      data_hash: dataJson.hash,
      verdict: isValid ? 'VALID' : 'INVALID',
      total_issues: issues.length,
      issues: listed
    }
    const fields = {
      constraint_id: isValid ? 'schema.schema_valid' : 'schema.schema_violation',
      is_valid: isValid,
      issues: listed,
      summary,
      schema_hash: schemaJson.hash,
      data_hash: dataJson.hash
    }
    return isValid
      ? verified('Data conforms to the declared schema.', fields, evidence)
      : verified(`Data does not conform to the declared schema (${issues.length} violation(s) detected).`, fields, evidence)
  }

  return {
    name: 'schema',
    claimTypes: ['schema'],
    verify (claim: SchemaClaim, ctx: EngineContext): EngineResult {
      const c = claim as unknown
      if (isPlainObject(c) && c.type === 'schema') return verifySchema(claim, ctx.signal)
      return stop('unsupported_claim')
    }
  }
}
