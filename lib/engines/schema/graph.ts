/**
 * The applicator graph of a JSON Schema (draft 2020-12): which subschemas apply to the same
 * instance location (allOf, anyOf, oneOf, not, if/then/else, dependentSchemas, $ref, $dynamicRef)
 * and which apply to its children (properties, patternProperties, additionalProperties, items,
 * prefixItems, contains, unevaluated*, propertyNames). `$ref`s are resolved inside the document
 * only, like the validator does (nothing is ever fetched).
 *
 * The graph exists for two reasons ajv cannot help with: to bound the work a validation will do
 * before running it (a small schema can make ajv do exponential work: `allOf` of two `$ref`s to a
 * definition that does the same, 40 levels deep), and to know which object properties a schema
 * declares (for the inline arithmetic of arithmetic.ts).
 */

export interface SchemaNode {
  /** Static cost of one visit: keywords, enum entries, required names. */
  readonly weight: number
  /** Extra cost per character when the instance is a string (pattern, format, length). */
  readonly stringCost: number
  /** uniqueItems: the array's JSON is keyed element by element. */
  readonly uniqueItems: boolean
  /** Cost per element of an array instance, per key of an object instance. */
  readonly perItem: number
  readonly perKey: number
  /** Subschemas evaluated against the same instance. */
  readonly inPlace: readonly number[]
  /** `properties`: property name to subschema. */
  readonly properties: ReadonlyMap<string, number> | null
  /** Subschemas that may apply to any property (patternProperties, additionalProperties, unevaluatedProperties). */
  readonly anyProperty: readonly number[]
  /** propertyNames: applied to every key (a string). */
  readonly propertyNames: readonly number[]
  /** prefixItems, by position. */
  readonly prefixItems: readonly number[]
  /** Subschemas that may apply to any element (items, contains, unevaluatedItems). */
  readonly anyItem: readonly number[]
}

export interface SchemaGraph {
  readonly root: number
  readonly nodes: readonly SchemaNode[]
}

export class SchemaGraphError extends Error {
  readonly reason: 'unresolved_ref' | 'infinite_recursion' | 'too_many_nodes' | 'unsupported_property_name'
  constructor (reason: SchemaGraphError['reason'], message: string) {
    super(message)
    this.name = 'SchemaGraphError'
    this.reason = reason
  }
}

// Keywords whose values are data, not schemas: never searched for $id / $anchor.
const VALUE_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example'])
const SCHEMA_ARRAY_IN_PLACE = ['allOf', 'anyOf', 'oneOf']
const SCHEMA_IN_PLACE = ['not', 'if', 'then', 'else']
const SCHEMA_MAP_IN_PLACE = ['dependentSchemas', 'dependencies']
const ANY_PROPERTY = ['additionalProperties', 'unevaluatedProperties']
const ANY_ITEM = ['items', 'contains', 'unevaluatedItems', 'additionalItems']
// Keywords whose keys name (or match) instance properties. ajv skips a `__proto__` key in
// properties / patternProperties (its subschema would silently never apply) and builds the others
// on plain objects, so such a key is refused rather than half-honoured.
const PROPERTY_NAME_MAPS = ['properties', 'patternProperties', 'dependentSchemas', 'dependentRequired', 'dependencies']
// Keywords that can fail on their own (each failure is an error object), and what one costs.
const ERROR_KEYWORDS = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'format', 'maxItems', 'minItems', 'uniqueItems', 'contains',
  'maxContains', 'minContains', 'maxProperties', 'minProperties', 'anyOf', 'oneOf', 'not', 'if',
  'dependencies', 'dependentRequired'
])
const ERROR = 40
// A base URI for a root schema without $id; relative $ids and $refs resolve against it.
const DEFAULT_BASE = 'https://schema.invalid/root.json'

type Json = unknown
type JsonObject = Record<string, Json>

function isObject (value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function withoutFragment (uri: string): string {
  const hash = uri.indexOf('#')
  return hash === -1 ? uri : uri.slice(0, hash)
}

function resolveUri (ref: string, base: string): URL | null {
  try {
    return new URL(ref, base)
  } catch {
    return null
  }
}

/**
 * Builds the graph of the subschemas reachable from `schema` (which ajv has already compiled, so
 * keyword values have the right types). Throws SchemaGraphError for a `$ref` that cannot be
 * resolved inside the document, for a cycle of in-place applicators (validation would recurse on
 * the same instance forever), or for more than `maxNodes` subschemas.
 */
export function buildSchemaGraph (schema: Json, maxNodes: number): SchemaGraph {
  const bases = new Map<object, string>()
  const resources = new Map<string, Json>()
  const anchors = new Map<string, Json>()
  const dynamicAnchors = new Map<string, Json[]>()

  // Pass 1: base URIs, embedded resources ($id) and anchors, like a validator registers them.
  const index = (value: Json, base: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) index(item, base)
      return
    }
    if (!isObject(value)) return
    let here = base
    if (typeof value.$id === 'string') {
      const uri = resolveUri(value.$id, base)
      if (uri !== null) {
        here = withoutFragment(uri.href)
        if (!resources.has(here)) resources.set(here, value)
      }
    }
    bases.set(value, here)
    if (typeof value.$anchor === 'string') anchors.set(`${here}#${value.$anchor}`, value)
    if (typeof value.$dynamicAnchor === 'string') {
      anchors.set(`${here}#${value.$dynamicAnchor}`, value)
      const list = dynamicAnchors.get(value.$dynamicAnchor) ?? []
      list.push(value)
      dynamicAnchors.set(value.$dynamicAnchor, list)
    }
    for (const [key, child] of Object.entries(value)) {
      if (!VALUE_KEYWORDS.has(key)) index(child, here)
    }
  }
  index(schema, DEFAULT_BASE)
  if (!resources.has(DEFAULT_BASE)) resources.set(DEFAULT_BASE, schema)

  const resolve = (ref: string, base: string): Json => {
    const uri = resolveUri(ref, base)
    const target = uri === null ? undefined : resources.get(withoutFragment(uri.href))
    if (uri === null || target === undefined) throw new SchemaGraphError('unresolved_ref', `cannot resolve $ref ${JSON.stringify(ref)}`)
    const fragment = decodeFragment(uri.hash.slice(1), ref)
    if (fragment === '') return target
    if (!fragment.startsWith('/')) {
      const anchored = anchors.get(`${withoutFragment(uri.href)}#${fragment}`)
      if (anchored === undefined) throw new SchemaGraphError('unresolved_ref', `cannot resolve $ref ${JSON.stringify(ref)}`)
      return anchored
    }
    let node: Json = target
    for (const raw of fragment.slice(1).split('/')) {
      const token = raw.replaceAll('~1', '/').replaceAll('~0', '~')
      if (Array.isArray(node) && /^(?:0|[1-9]\d*)$/.test(token)) node = node[Number(token)]
      else if (isObject(node) && Object.hasOwn(node, token)) node = node[token]
      else throw new SchemaGraphError('unresolved_ref', `cannot resolve $ref ${JSON.stringify(ref)}`)
    }
    return node
  }

  // Pass 2: nodes for every subschema reachable through applicators and references.
  const ids = new Map<Json, number>()
  const nodes: SchemaNode[] = []
  const pending: Array<{ value: Json, base: string, id: number }> = []
  const idOf = (value: Json, base: string): number => {
    const known = ids.get(value)
    if (known !== undefined) return known
    if (ids.size >= maxNodes) throw new SchemaGraphError('too_many_nodes', `schema has more than ${maxNodes} subschemas`)
    const id = ids.size
    ids.set(value, id)
    pending.push({ value, base: isObject(value) ? bases.get(value) ?? base : base, id })
    return id
  }
  const rootId = idOf(schema, DEFAULT_BASE)
  for (let next = 0; next < pending.length; next++) {
    const { value, base, id } = pending[next] as { value: Json, base: string, id: number }
    nodes[id] = describe(value, base, idOf, resolve, dynamicAnchors)
  }

  assertNoInPlaceCycle(nodes)
  return { root: rootId, nodes }
}

function decodeFragment (fragment: string, ref: string): string {
  try {
    return decodeURIComponent(fragment)
  } catch {
    throw new SchemaGraphError('unresolved_ref', `cannot resolve $ref ${JSON.stringify(ref)}`)
  }
}

function describe (
  value: Json,
  base: string,
  idOf: (value: Json, base: string) => number,
  resolve: (ref: string, base: string) => Json,
  dynamicAnchors: ReadonlyMap<string, Json[]>
): SchemaNode {
  if (!isObject(value)) {
    // A boolean schema (or a value ajv ignored): constant cost, no children.
    return { weight: value === false ? 1 + ERROR : 1, stringCost: 0, uniqueItems: false, perItem: 0, perKey: 0, inPlace: [], properties: null, anyProperty: [], propertyNames: [], prefixItems: [], anyItem: [] }
  }
  for (const key of PROPERTY_NAME_MAPS) {
    const map = value[key]
    if (isObject(map) && Object.hasOwn(map, '__proto__')) {
      throw new SchemaGraphError('unsupported_property_name', `${key} names the property "__proto__", which the validator cannot check`)
    }
  }
  const schemas = (v: Json): Json[] => Array.isArray(v) ? v : []
  const one = (v: Json): Json[] => v === undefined ? [] : [v]
  const inPlace: number[] = []
  for (const key of SCHEMA_ARRAY_IN_PLACE) for (const s of schemas(value[key])) inPlace.push(idOf(s, base))
  for (const key of SCHEMA_IN_PLACE) for (const s of one(value[key])) inPlace.push(idOf(s, base))
  for (const key of SCHEMA_MAP_IN_PLACE) {
    const map = value[key]
    if (isObject(map)) for (const s of Object.values(map)) if (!Array.isArray(s)) inPlace.push(idOf(s, base))
  }
  if (typeof value.$ref === 'string') inPlace.push(idOf(resolve(value.$ref, base), base))
  // 2019-09's $recursiveRef (ajv still runs it): at least its static target.
  if (typeof value.$recursiveRef === 'string') inPlace.push(idOf(resolve(value.$recursiveRef, base), base))
  if (typeof value.$dynamicRef === 'string') {
    // Resolved against the dynamic scope at run time: count every anchor it could land on.
    inPlace.push(idOf(resolve(value.$dynamicRef, base), base))
    const name = value.$dynamicRef.slice(value.$dynamicRef.indexOf('#') + 1)
    for (const s of dynamicAnchors.get(name) ?? []) inPlace.push(idOf(s, base))
  }

  let properties: Map<string, number> | null = null
  if (isObject(value.properties)) {
    properties = new Map()
    for (const [key, s] of Object.entries(value.properties)) properties.set(key, idOf(s, base))
  }
  const anyProperty: number[] = []
  if (isObject(value.patternProperties)) for (const s of Object.values(value.patternProperties)) anyProperty.push(idOf(s, base))
  for (const key of ANY_PROPERTY) for (const s of one(value[key])) anyProperty.push(idOf(s, base))
  const propertyNames = one(value.propertyNames).map((s) => idOf(s, base))
  const prefixItems = schemas(value.prefixItems).map((s) => idOf(s, base))
  const anyItem: number[] = []
  for (const key of ANY_ITEM) {
    const v = value[key]
    for (const s of Array.isArray(v) ? v : one(v)) anyItem.push(idOf(s, base))
  }

  // Weights are in visit units (about 10 ns of ajv time each), measured on this machine kind.
  // With allErrors every failing keyword builds an error object (~400 ns with its garbage), and
  // inside anyOf / oneOf / not failures are normal, so each keyword that can fail costs ERROR,
  // each required name too. On top: an enum entry ~2, a pattern or format call ~50 plus 3 (RE2)
  // or 0.5 per character, an exact multipleOf ~20, comparing with a const or an enum object ~1
  // per 16 characters of its JSON.
  const sizeOf = (v: Json): number => Array.isArray(v) ? v.length : 0
  const jsonCost = (v: Json): number => typeof v === 'object' && v !== null ? JSON.stringify(v).length / 16 : 0
  let failing = 0
  for (const key of Object.keys(value)) if (ERROR_KEYWORDS.has(key)) failing++
  let dependentRequired = 0
  if (isObject(value.dependentRequired)) for (const names of Object.values(value.dependentRequired)) dependentRequired += sizeOf(names)
  let enumCost = 0
  if (Array.isArray(value.enum)) for (const entry of value.enum) enumCost += 2 + jsonCost(entry)
  const hasPattern = typeof value.pattern === 'string'
  const hasFormat = typeof value.format === 'string'
  const weight = 1 + ERROR * (failing + sizeOf(value.required) + dependentRequired) + enumCost +
    jsonCost(value.const) + (hasPattern ? 50 : 0) + (hasFormat ? 50 : 0) + (value.multipleOf !== undefined ? 20 : 0)
  const stringCost = (hasPattern ? 3 : 0) + (hasFormat ? 0.5 : 0) +
    (value.minLength !== undefined || value.maxLength !== undefined ? 0.1 : 0)
  // Keys: looked up in properties / matched against patternProperties; an error each when
  // additionalProperties / unevaluatedProperties / propertyNames can reject them.
  const keyed = properties !== null || anyProperty.length > 0 || propertyNames.length > 0
  const perKey = (keyed ? 1 : 0) + (value.additionalProperties === false || value.unevaluatedProperties === false ? ERROR : 0)
  const perItem = (prefixItems.length > 0 || anyItem.length > 0 ? 1 : 0) + (value.items === false || value.unevaluatedItems === false ? ERROR : 0)
  return { weight, stringCost, uniqueItems: value.uniqueItems === true, perItem, perKey, inPlace, properties, anyProperty, propertyNames, prefixItems, anyItem }
}

/** A cycle of in-place applicators validates the same instance forever: reject it up front. */
function assertNoInPlaceCycle (nodes: readonly SchemaNode[]): void {
  const state = new Uint8Array(nodes.length) // 0 new, 1 on the stack, 2 done
  for (let start = 0; start < nodes.length; start++) {
    if (state[start] !== 0) continue
    const stack: Array<[number, number]> = [[start, 0]]
    state[start] = 1
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number]
      const children = (nodes[top[0]] as SchemaNode).inPlace
      if (top[1] < children.length) {
        const child = children[top[1]++] as number
        if (state[child] === 1) throw new SchemaGraphError('infinite_recursion', 'schema references itself without descending into the instance')
        if (state[child] === 0) {
          state[child] = 1
          stack.push([child, 0])
        }
      } else {
        state[top[0]] = 2
        stack.pop()
      }
    }
  }
}
