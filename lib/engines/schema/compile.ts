import { createRequire } from 'node:module'
import Ajv2020Module from 'ajv/dist/2020.js'
import type { AnySchemaObject, ErrorObject, Format, ValidateFunction } from 'ajv/dist/2020.js'
import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { fullFormats } from 'ajv-formats/dist/formats.js'
import { RE2JSException } from 're2js'
import { isMultipleOf } from './decimal.js'
import { buildSchemaGraph, SchemaGraphError, type SchemaGraph } from './graph.js'
import { re2RegExp } from './regex.js'

const Ajv2020 = Ajv2020Module.default
type Ajv = InstanceType<typeof Ajv2020>

/** A format-checked string longer than this fails its format (no format needs more; bounds the work). */
export const MAX_FORMAT_LENGTH = 65_536

export interface CompiledSchema {
  readonly validate: ValidateFunction
  readonly graph: SchemaGraph
}

export type CompileFailure = {
  /** invalid_schema: fails the meta-schema or ajv refuses it; unsupported_pattern: a regex RE2
   * cannot run (backreference, lookaround); unresolved_ref: a $ref outside the document;
   * infinite_recursion: in-place $ref cycle; too_many_nodes: more subschemas than allowed;
   * unsupported_property_name: a `__proto__` key in properties and friends (graph.ts). */
  readonly reason: 'invalid_schema' | 'unsupported_pattern' | 'unresolved_ref' | 'infinite_recursion' | 'too_many_nodes' | 'unsupported_property_name'
  readonly detail: string
}

export type CompileOutcome = { readonly ok: true, readonly compiled: CompiledSchema } | { readonly ok: false, readonly failure: CompileFailure }

let metaValidator: Ajv | null = null

/**
 * Meta-schema checks (keyword shapes: `type` names, `required` lists, non-negative sizes,
 * `multipleOf` > 0 ...) run on one shared instance that knows the 2020-12 and draft-07
 * meta-schemas; an unknown `$schema` is refused. Compilation then uses a fresh instance per
 * schema, so `$id`s of unrelated schemas never collide and an evicted schema frees its code.
 */
function metaValidate (schema: unknown): string | null {
  if (metaValidator === null) {
    metaValidator = new Ajv2020({ strict: false, logger: false, validateFormats: false })
    const require = createRequire(import.meta.url)
    metaValidator.addMetaSchema(require('ajv/dist/refs/json-schema-draft-07.json') as AnySchemaObject)
  }
  const ok = metaValidator.validateSchema(schema as AnySchemaObject)
  if (ok === true) return null
  return metaValidator.errorsText(metaValidator.errors, { dataVar: 'schema' })
}

function createValidatorInstance (): Ajv {
  const ajv = new Ajv2020({
    strict: false, // LLM- and user-written schemas carry unknown keywords (`example`, `x-...`)
    allErrors: true,
    validateSchema: false, // done by metaValidate
    inlineRefs: false, // one function per $ref target: code size stays linear in the schema
    meta: false,
    logger: false,
    // A property is present only when it is the object's own: without this, `required:
    // ['constructor']` or `['__proto__']` is met by `{}` (inherited from Object.prototype) and
    // `properties: { constructor: ... }` checks Object itself. Honoured by required, properties,
    // dependentRequired, dependentSchemas; key loops use Object.keys instead of for-in.
    ownProperties: true,
    code: { regExp: re2RegExp } // pattern / patternProperties on RE2 (regex.ts)
    // no loadSchema: a $ref outside the document is an error, never a fetch
  })
  for (const [name, format] of Object.entries(fullFormats)) ajv.addFormat(name, limitFormat(format))
  // ajv-formats' `url` regex is quadratic on crafted input (80 kB: 12 s): use the `uri` check
  // restricted to the schemes `url` allows.
  const uri = limitFormat(fullFormats.uri) as (s: string) => boolean
  ajv.addFormat('url', (s: string) => /^(?:https?|ftp):\/\//i.test(s) && uri(s))

  // multipleOf in exact decimal: ajv divides doubles, so 0.3 would not be a multiple of 0.1.
  ajv.removeKeyword('multipleOf')
  ajv.addKeyword({
    keyword: 'multipleOf',
    type: 'number',
    schemaType: 'number',
    compile (divisor: number) {
      return keywordCheck((data: number) => isMultipleOf(data, divisor)
        ? null
        : { keyword: 'multipleOf', message: `must be multiple of ${divisor}`, params: { multipleOf: divisor } })
    }
  })

  // uniqueItems by a canonical key in a Map: linear, where ajv compares every pair of objects.
  ajv.removeKeyword('uniqueItems')
  ajv.addKeyword({
    keyword: 'uniqueItems',
    type: 'array',
    schemaType: 'boolean',
    compile (unique: boolean) {
      return keywordCheck((data: unknown[]) => {
        if (!unique || data.length < 2) return null
        const seen = new Map<string, number>()
        for (let i = 0; i < data.length; i++) {
          const key = equalityKey(data[i])
          const first = seen.get(key)
          if (first !== undefined) {
            return { keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${first} and ${i} are identical)`, params: { i: first, j: i } }
          }
          seen.set(key, i)
        }
        return null
      })
    }
  })
  return ajv
}

/**
 * A string that is equal for two JSON values exactly when JSON Schema calls them equal: object
 * keys sorted, numbers by value (1 and 1.0 are the same number in JavaScript already).
 */
function equalityKey (value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  if (Array.isArray(value)) return '[' + value.map(equalityKey).join(',') + ']'
  const record = value as Record<string, unknown>
  return '{' + Object.keys(record).sort().map((key) => JSON.stringify(key) + ':' + equalityKey(record[key])).join(',') + '}'
}

/** A keyword validator from a test that returns the error, or null when the data passes. */
function keywordCheck<T> (test: (data: T) => Partial<ErrorObject> | null): DataValidateFunction {
  const check: DataValidateFunction = (data: unknown) => {
    const error = test(data as T)
    check.errors = error === null ? [] : [error]
    return error === null
  }
  return check
}

/** Every format refuses strings longer than MAX_FORMAT_LENGTH; number formats are left alone. */
function limitFormat (format: Format): Format {
  const short = (s: string): boolean => s.length <= MAX_FORMAT_LENGTH
  if (format === true || typeof format === 'string') return format
  if (format instanceof RegExp) return (s: string) => short(s) && format.test(s)
  if (typeof format === 'function') return (s: string) => short(s) && format(s)
  if (format.type === 'number' || format.async === true) return format
  const validate = format.validate as RegExp | ((s: string) => boolean)
  return { ...format, validate: (s: string) => short(s) && (validate instanceof RegExp ? validate.test(s) : validate(s)) } as Format
}

/**
 * Compiles a JSON Schema (object or boolean, already a plain JSON value) and builds its
 * applicator graph. Never throws: a schema that cannot be used is a CompileFailure.
 */
export function compileSchema (schema: unknown, maxNodes: number): CompileOutcome {
  const fail = (reason: CompileFailure['reason'], detail: string): CompileOutcome => ({ ok: false, failure: { reason, detail } })
  let validate: ValidateFunction
  try {
    if (typeof schema !== 'boolean') {
      const metaErrors = metaValidate(schema)
      if (metaErrors !== null) return fail('invalid_schema', metaErrors)
    }
    validate = createValidatorInstance().compile(schema as AnySchemaObject)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (err instanceof RE2JSException) return fail('unsupported_pattern', message)
    if (err instanceof Error && (err as { missingRef?: unknown }).missingRef !== undefined) return fail('unresolved_ref', message)
    return fail('invalid_schema', message)
  }
  try {
    return { ok: true, compiled: { validate, graph: buildSchemaGraph(schema, maxNodes) } }
  } catch (err) {
    if (err instanceof SchemaGraphError) return fail(err.reason, err.message)
    return fail('invalid_schema', err instanceof Error ? err.message : String(err))
  }
}
