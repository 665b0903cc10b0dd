import type { SchemaGraph, SchemaNode } from './graph.js'

type JsonObject = Record<string, unknown>

function isObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export type ShapeProblem = 'too_deep' | 'too_large' | 'not_json'

export interface Shape {
  readonly problem: ShapeProblem | null
  /** Some object has a toJSON method (its JSON form was not measured). */
  readonly usesToJSON: boolean
}

/**
 * A cheap look at a claim value before it is canonicalized: nesting depth (containers, so a
 * scalar is 0 and `{"a":{}}` is 2), cycles, values JSON cannot hold, and a lower bound of its JSON
 * length, so a 100 MB or 10 000-level value is refused without building its canonical string.
 * Arrays with holes are not JSON.
 * Objects with a toJSON method count as leaves (the canonical form measures them exactly).
 */
export function checkShape (value: unknown, maxDepth: number, maxBytes: number): Shape {
  let bytes = 0
  let usesToJSON = false
  const ancestors = new Set<object>()
  const visit = (v: unknown, depth: number): ShapeProblem | null => {
    switch (typeof v) {
      case 'string':
        bytes += v.length + 2
        return null
      case 'number':
        bytes += 2
        return Number.isFinite(v) ? null : 'not_json'
      case 'boolean':
        bytes += 5
        return null
      case 'undefined':
        return null
      case 'object':
        break
      default:
        return 'not_json'
    }
    if (v === null) {
      bytes += 5
      return null
    }
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      usesToJSON = true
      return null
    }
    if (depth >= maxDepth) return 'too_deep'
    if (ancestors.has(v)) return 'not_json'
    ancestors.add(v)
    bytes += 1
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        // a hole (`[1, , 2]`, `new Array(3)`) is not a JSON value: its canonical text would not parse
        if (!(i in v)) return 'not_json'
        const problem = visit(v[i], depth + 1)
        if (problem !== null) return problem
        if (bytes > maxBytes) return 'too_large'
      }
    } else {
      const record = v as JsonObject
      for (const key of Object.keys(record)) {
        bytes += key.length + 3
        const problem = visit(record[key], depth + 1)
        if (problem !== null) return problem
        if (bytes > maxBytes) return 'too_large'
      }
    }
    ancestors.delete(v)
    return bytes > maxBytes ? 'too_large' : null
  }
  const problem = visit(value, 0)
  return { problem, usesToJSON }
}

/** An object whose schema declares an arithmetic field (total, tax, tax_amount) that is present. */
export interface ArithmeticSite {
  readonly object: JsonObject
  /** JSON pointer of the field. */
  readonly pointer: string
  readonly key: string
}

export interface WorkEstimate {
  /** Estimated validation work, in visit units (about 10 ns of ajv time each, see graph.ts). */
  readonly cost: number
  /** False when the estimate passed the budget (the walk stopped there). */
  readonly withinBudget: boolean
  readonly arithmetic: readonly ArithmeticSite[]
}

const ARITHMETIC_FIELDS = new Set(['total', 'tax', 'tax_amount'])
// Closures bigger than this are recomputed when needed rather than kept: the recomputation is
// charged to the budget like the visits it describes, so memory stays bounded.
const MAX_MEMO_CLOSURE = 1024
// Cost of a uniqueItems check per character of the array's JSON (it builds a key per element,
// ~1-2 µs per small object).
const UNIQUE_COST_PER_CHAR = 10

type Entries = Map<number, number>

/**
 * The subschemas visiting one instance location, with how many ways each is reached, and their
 * costs summed. Locations reached the same way share one frame (every element of an array under
 * `items`, every undeclared key under `additionalProperties`), so the walk costs about one map
 * lookup per instance node.
 */
interface Frame {
  readonly weight: number
  readonly stringCost: number
  readonly uniqueItems: number
  readonly perItem: number
  readonly perKey: number
  /** Subschemas for keys named in some `properties`, and those for any key. */
  readonly declared: ReadonlyMap<string, Entries>
  readonly anyProperty: Entries
  readonly propertyNames: Frame | null
  readonly prefixItems: readonly Entries[]
  readonly anyItem: Entries
  readonly arithmeticKeys: ReadonlySet<string>
  /** Child frames, cached: by property name (-1: any undeclared key), by index (-1: the tail). */
  readonly keyChildren: Map<string | number, Frame | null>
  readonly itemChildren: Map<number, Frame | null>
}

function addTo (into: Entries, id: number, count: number): void {
  into.set(id, (into.get(id) ?? 0) + count)
}

/**
 * Walks the instance and the schema graph together, the way a validator would, and adds up the
 * work: every (instance location, subschema) visit costs the subschema's weight, times the number
 * of ways the subschema is reached (so `allOf` of the same `$ref` twice, 40 levels deep, counts
 * 2^40 and is refused instead of run). Where a subschema applies to a child is over-approximated
 * (patternProperties and additionalProperties count for every key), so the estimate is an upper
 * bound. Stops as soon as the budget is passed; the walk itself costs far less than the work it
 * measures. Also collects the arithmetic sites (see arithmetic.ts).
 */
export function estimateWork (graph: SchemaGraph, data: unknown, budget: number): WorkEstimate {
  const nodes = graph.nodes
  const closures = new Map<number, ReadonlyArray<readonly [number, number]>>()
  const frames = new Map<string, Frame>()
  const sizes = new WeakMap<object, number>()
  let cost = 0
  const arithmetic: ArithmeticSite[] = []
  const seenSites = new Map<object, Set<string>>()
  const path: Array<string | number> = []

  const closureOf = (id: number): ReadonlyArray<readonly [number, number]> => {
    const known = closures.get(id)
    if (known !== undefined) return known
    // Post-order DFS over in-place edges (the graph builder rejected in-place cycles).
    const order: number[] = []
    const seen = new Set<number>([id])
    const stack: Array<[number, number]> = [[id, 0]]
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number]
      const children = (nodes[top[0]] as SchemaNode).inPlace
      if (top[1] < children.length) {
        const child = children[top[1]++] as number
        if (!seen.has(child)) {
          seen.add(child)
          stack.push([child, 0])
        }
      } else {
        order.push(top[0])
        stack.pop()
      }
    }
    // Reverse post-order is topological: push each node's path count to its children.
    const counts = new Map<number, number>([[id, 1]])
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i] as number
      const count = counts.get(node) ?? 0
      for (const child of (nodes[node] as SchemaNode).inPlace) addTo(counts, child, count)
    }
    cost += order.length
    const closure = [...counts]
    if (closure.length <= MAX_MEMO_CLOSURE) closures.set(id, closure)
    return closure
  }

  const frameOf = (entries: Entries): Frame | null => {
    if (entries.size === 0) return null
    const signature = [...entries].map(([id, count]) => `${id}:${count}`).sort().join(',')
    const known = frames.get(signature)
    if (known !== undefined) return known
    const visits: Entries = new Map()
    for (const [id, count] of entries) for (const [target, ways] of closureOf(id)) addTo(visits, target, count * ways)
    let weight = 0
    let stringCost = 0
    let uniqueItems = 0
    let perItem = 0
    let perKey = 0
    const declared = new Map<string, Entries>()
    const anyProperty: Entries = new Map()
    const names: Entries = new Map()
    const prefixItems: Entries[] = []
    const anyItem: Entries = new Map()
    const arithmeticKeys = new Set<string>()
    for (const [id, count] of visits) {
      const node = nodes[id] as SchemaNode
      weight += count * node.weight
      stringCost += count * node.stringCost
      if (node.uniqueItems) uniqueItems += count
      perItem += count * node.perItem
      perKey += count * node.perKey
      if (node.properties !== null) {
        for (const [key, target] of node.properties) {
          let into = declared.get(key)
          if (into === undefined) {
            into = new Map()
            declared.set(key, into)
          }
          addTo(into, target, count)
          if (ARITHMETIC_FIELDS.has(key.toLowerCase())) arithmeticKeys.add(key)
        }
      }
      for (const target of node.anyProperty) addTo(anyProperty, target, count)
      for (const target of node.propertyNames) addTo(names, target, count)
      node.prefixItems.forEach((target, i) => {
        while (prefixItems.length <= i) prefixItems.push(new Map())
        addTo(prefixItems[i] as Entries, target, count)
      })
      for (const target of node.anyItem) addTo(anyItem, target, count)
    }
    cost += visits.size
    const frame: Frame = {
      weight,
      stringCost,
      uniqueItems,
      perItem,
      perKey,
      declared,
      anyProperty,
      propertyNames: frameOf(names),
      prefixItems,
      anyItem,
      arithmeticKeys,
      keyChildren: new Map(),
      itemChildren: new Map()
    }
    frames.set(signature, frame)
    return frame
  }

  const merge = (a: Entries, b: Entries): Entries => {
    if (a.size === 0) return b
    if (b.size === 0) return a
    const out = new Map(a)
    for (const [id, count] of b) addTo(out, id, count)
    return out
  }

  const propertyFrame = (frame: Frame, key: string): Frame | null => {
    const own = frame.declared.get(key)
    // Undeclared keys all share one frame, cached under -1 (a number: no property name).
    const slot: string | number = own === undefined ? -1 : key
    let child = frame.keyChildren.get(slot)
    if (child === undefined) {
      child = frameOf(own === undefined ? frame.anyProperty : merge(own, frame.anyProperty))
      frame.keyChildren.set(slot, child)
    }
    return child
  }

  const itemFrame = (frame: Frame, index: number): Frame | null => {
    const slot = index < frame.prefixItems.length ? index : -1
    let child = frame.itemChildren.get(slot)
    if (child === undefined) {
      const positional = frame.prefixItems[index]
      child = frameOf(positional === undefined ? frame.anyItem : merge(positional, frame.anyItem))
      frame.itemChildren.set(slot, child)
    }
    return child
  }

  const jsonSize = (value: unknown): number => {
    if (typeof value === 'string') return value.length + 2
    if (typeof value !== 'object' || value === null) return 8
    const known = sizes.get(value)
    if (known !== undefined) return known
    let size = 2
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) size += jsonSize(value[i]) + 1
    } else {
      const record = value as JsonObject
      for (const key in record) size += key.length + 4 + jsonSize(record[key])
    }
    sizes.set(value, size)
    return size
  }

  const recordSite = (object: JsonObject, key: string): void => {
    let keys = seenSites.get(object)
    if (keys === undefined) {
      keys = new Set()
      seenSites.set(object, keys)
    }
    if (keys.has(key)) return
    keys.add(key)
    const pointer = [...path, key].map((p) => '/' + escapePointer(String(p))).join('')
    arithmetic.push({ object, key, pointer })
  }

  // Scalars are charged inline; only containers recurse (and extend the path).
  const scalarCost = (value: unknown, frame: Frame): number =>
    typeof value === 'string' ? frame.weight + frame.stringCost * value.length : frame.weight

  const visit = (value: unknown, frame: Frame): boolean => {
    if (Array.isArray(value)) {
      cost += frame.weight + frame.perItem * value.length
      if (frame.uniqueItems > 0) cost += frame.uniqueItems * UNIQUE_COST_PER_CHAR * jsonSize(value)
      if (!(cost <= budget)) return false
      for (let i = 0; i < value.length; i++) {
        const child = itemFrame(frame, i)
        if (child === null) continue
        const item: unknown = value[i]
        if (typeof item !== 'object' || item === null) {
          cost += scalarCost(item, child)
          continue
        }
        path.push(i)
        const ok = visit(item, child)
        path.pop()
        if (!ok) return false
      }
    } else if (isObject(value)) {
      const keys = Object.keys(value)
      cost += frame.weight + frame.perKey * keys.length
      if (!(cost <= budget)) return false
      const names = frame.propertyNames
      for (const key of keys) {
        if (names !== null) cost += scalarCost(key, names)
        if (frame.arithmeticKeys.size > 0 && frame.arithmeticKeys.has(key)) recordSite(value, key)
        const child = propertyFrame(frame, key)
        if (child === null) continue
        const item = value[key]
        if (typeof item !== 'object' || item === null) {
          cost += scalarCost(item, child)
          continue
        }
        path.push(key)
        const ok = visit(item, child)
        path.pop()
        if (!ok) return false
      }
    } else {
      cost += scalarCost(value, frame)
    }
    return cost <= budget
  }

  const root = frameOf(new Map([[graph.root, 1]]))
  const withinBudget = root === null || visit(data, root)
  return { cost, withinBudget, arithmetic }
}

function escapePointer (key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}
