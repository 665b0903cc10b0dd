import t from 'tap'
import type { ClaimLimits } from '../types/input.js'
import { canonicalizeByWalk, sha256Hex } from '../lib/canonical.js'
import { checkClaim, type ClaimCheck } from '../lib/guard/input.js'
import { CLAIM_FIELDS, SQL_SCHEMA_MAX_LENGTH, type ResolvedClaimLimits } from '../lib/guard/limits.js'
import { blocked } from '../lib/result.js'
import { seeded } from './helpers/stream.js'

// checkClaim's limits walk visits leaves without allocating (it runs on the event loop for claims
// of 100,000 values). These tests compare it, on random claims and random small limits made here,
// with the walk it replaced (below, as it was, with the value-by-value canonical writer): the same
// verdict, field path and hash for every claim, so the first limit broken is still the same one.

const TYPES = new Set(['math', 'sql', 'code', 'schema', 'stats', 'script'])

// Nested keys named like claim fields too: a path names a field only at the top.
const KEYS = ['k0', 'k1', 'k2', 'k3', 'data', 'schema', 'query', 'code', 'expression']

function randomValue (rnd: () => number, depth: number): unknown {
  const r = rnd()
  if (depth >= 6 || r < 0.4) {
    const k = rnd()
    if (k < 0.3) return Math.floor(rnd() * 1000) / 8
    if (k < 0.7) return 'x'.repeat(Math.floor(rnd() * 16))
    if (k < 0.8) return rnd() < 0.5
    if (k < 0.9) return null
    return k < 0.95 ? Number.NaN : '\uD800'
  }
  if (rnd() < 0.5) {
    const items = Array.from({ length: Math.floor(rnd() * 8) }, () => randomValue(rnd, depth + 1))
    // a hole now and then: claim.invalid (sparse_array), the last hole named
    if (items.length > 1 && rnd() < 0.1) delete items[Math.floor(rnd() * items.length)]
    return items
  }
  const record: Record<string, unknown> = {}
  for (let i = Math.floor(rnd() * 5); i > 0; i--) record[KEYS[Math.floor(rnd() * KEYS.length)] as string] = randomValue(rnd, depth + 1)
  return record
}

function randomClaim (rnd: () => number): Record<string, unknown> {
  const types = [...TYPES]
  const type = types[Math.floor(rnd() * types.length)] as string
  const fields = [...(CLAIM_FIELDS[type] ?? []), 'extra', 'other']
  const claim: Record<string, unknown> = { type }
  for (let i = Math.floor(rnd() * 5); i > 0; i--) claim[fields[Math.floor(rnd() * fields.length)] as string] = randomValue(rnd, 1)
  return claim
}

function fixed (limits: Required<ClaimLimits>): ResolvedClaimLimits {
  return { forType: () => limits }
}

t.test('random claims under random small limits: the same verdict as the walk it replaced', async (t) => {
  const rnd = seeded(18_300)
  const seen = new Map<string, number>()
  for (let i = 0; i < 6000; i++) {
    const claim = randomClaim(rnd)
    const limits = fixed({
      maxLength: Math.floor(rnd() * 14),
      maxDepth: 1 + Math.floor(rnd() * 6),
      maxArrayLength: Math.floor(rnd() * 8),
      maxBytes: 20 + Math.floor(rnd() * 400)
    })
    const now = checkClaim(claim, TYPES, limits)
    const before = referenceCheckClaim(claim, TYPES, limits)
    if (JSON.stringify(now) !== JSON.stringify(before)) t.fail(`#${i}: ${JSON.stringify(now)} but before ${JSON.stringify(before)}`)
    const key = now.ok ? 'ok' : String(now.result.developer_fields.constraint_id)
    seen.set(key, (seen.get(key) ?? 0) + 1)
  }
  for (const id of ['ok', 'claim.too_deep', 'claim.too_long', 'claim.too_many_items', 'claim.too_large', 'claim.invalid']) {
    t.ok((seen.get(id) ?? 0) > 20, `${id} came up (${seen.get(id) ?? 0} times)`)
  }
})

t.test('large claims at the default-sized limits: the same hash', async (t) => {
  const limits = fixed({ maxLength: 1_000_000, maxDepth: 64, maxArrayLength: 100_000, maxBytes: 1_048_576 })
  const claims = [
    { type: 'stats', statistic: 'median', data: Array.from({ length: 100_000 }, (_, i) => i * 0.25 - 7), expected: 1 },
    { type: 'schema', data: Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['a', 'é', '😀'] })), schema: { type: 'array' } },
    { type: 'sql', query: 'SELECT 1', schema: 'x'.repeat(SQL_SCHEMA_MAX_LENGTH) }
  ]
  for (const claim of claims) {
    const now = checkClaim(claim, TYPES, limits)
    t.same(now, referenceCheckClaim(claim, TYPES, limits), claim.type)
    t.equal(now.ok && now.hash, sha256Hex(canonicalizeByWalk(claim)), `${claim.type}: hash of the canonical text`)
  }
})

// ---------------------------------------------------------------------------------------------
// The walk as it was before leaves stopped getting a frame each (lib/guard/input.ts at a9f4876^).

function referenceCheckClaim (claim: unknown, knownTypes: ReadonlySet<string>, limits: ResolvedClaimLimits): ClaimCheck {
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) {
    return reject('The claim is not an object', 'claim.invalid')
  }
  const type = (claim as { type?: unknown }).type
  if (typeof type !== 'string' || !knownTypes.has(type)) {
    return reject('The claim type is not supported', 'claim.unknown_type', { known_types: [...knownTypes].sort() })
  }
  const typeLimits = limits.forType(type)
  const problem = walkClaim(claim, type, typeLimits)
  if (problem !== null) return { ...problem, type }
  let canonical: string
  try {
    canonical = canonicalizeByWalk(claim)
  } catch (err) {
    return { ...reject('The claim is not valid JSON data', 'claim.invalid', { error: (err as Error).message }), type }
  }
  if (Buffer.byteLength(canonical, 'utf8') > typeLimits.maxBytes) {
    return { ...reject('The claim is too large to verify', 'claim.too_large', { max_bytes: typeLimits.maxBytes }), type }
  }
  return { ok: true, type, hash: sha256Hex(canonical) }
}

function reject (message: string, constraintId: string, extra: Record<string, unknown> = {}): ClaimCheck {
  return { ok: false, result: blocked(message, { constraint_id: constraintId, ...extra }) }
}

interface Frame { value: unknown, depth: number, parent: Frame | null, name: string | number }

/** 'data[3].*', 'constraints[0]': built only for a verdict. */
function pathOf (frame: Frame): string {
  const parts: Array<string | number> = []
  for (let f: Frame | null = frame; f !== null && f.parent !== null; f = f.parent) parts.push(f.name)
  let out = ''
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] as string | number
    out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`
  }
  return out
}

/**
 * One iterative walk: depth, string lengths, array lengths and a lower bound of the JSON size (in
 * UTF-16 units; the exact UTF-8 size is checked after canonicalisation) that stops as soon as it
 * passes maxBytes. Nothing is pushed for an array or object that is too long or too large.
 * Paths name top-level fields the claim type defines, array indexes and '*' for any other key:
 * never a key the client chose (it is claim text).
 */
function walkClaim (claim: object, type: string, limits: Required<ClaimLimits>): ClaimCheck | null {
  const { maxLength, maxDepth, maxArrayLength, maxBytes } = limits
  const known = Object.hasOwn(CLAIM_FIELDS, type) ? CLAIM_FIELDS[type] : undefined
  const tooLarge = (): ClaimCheck => reject('The claim is too large to verify', 'claim.too_large', { max_bytes: maxBytes })
  let total = 0
  const stack: Frame[] = [{ value: claim, depth: 0, parent: null, name: '' }]
  while (stack.length > 0) {
    const frame = stack.pop() as Frame
    const { value, depth } = frame
    if (depth > maxDepth) return reject('The claim is nested too deeply', 'claim.too_deep', { max_depth: maxDepth })
    if (typeof value === 'string') {
      // The SQL claim's DDL may always be as long as the SQL engine accepts.
      const bound = type === 'sql' && depth === 1 && frame.name === 'schema' ? Math.max(maxLength, SQL_SCHEMA_MAX_LENGTH) : maxLength
      if (value.length > bound) {
        return reject('The claim has a text field too long to verify', 'claim.too_long', { field: pathOf(frame), max_length: bound })
      }
      total += value.length + 2
    } else if (value !== null && typeof value === 'object') {
      if (Array.isArray(value)) {
        if (value.length > maxArrayLength) {
          return reject('The claim has a list too long to verify', 'claim.too_many_items', { field: pathOf(frame), max_array_length: maxArrayLength })
        }
        total += 2 + value.length
        if (total > maxBytes) return tooLarge()
        for (let i = value.length - 1; i >= 0; i--) {
          // A hole (`[, 1]`, `new Array(3)`) is not JSON data: engines would see undefined where a value must be.
          if (!(i in value)) return reject('The claim is not valid JSON data', 'claim.invalid', { field: pathOf({ value: undefined, depth: depth + 1, parent: frame, name: i }), reason: 'sparse_array' })
          stack.push({ value: value[i], depth: depth + 1, parent: frame, name: i })
        }
      } else {
        const keys = Object.keys(value)
        total += 2 + keys.length
        if (total > maxBytes) return tooLarge()
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i] as string
          total += key.length + 3
          if (total > maxBytes) return tooLarge()
          const name = depth === 0 && known?.has(key) === true ? key : '*'
          stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: frame, name })
        }
      }
    } else {
      total += 5
    }
    if (total > maxBytes) return tooLarge()
  }
  return null
}
