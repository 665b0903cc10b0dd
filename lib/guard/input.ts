import type { DiagnosticResult } from '../../types/result.js'
import { canonicalize, sha256Hex } from '../canonical.js'
import { blocked } from '../result.js'

export const DEFAULT_MAX_CLAIM_BYTES = 1_048_576
const MAX_CLAIM_DEPTH = 64

export type ClaimCheck =
  | { ok: true, type: string, hash: string }
  | { ok: false, result: DiagnosticResult }

/**
 * The verifier's first gate: a claim must be a plain object with a known `type`, JSON-representable
 * and no bigger than `maxBytes`. Size is estimated with an early exit before anything is serialised,
 * so a huge claim costs nothing. Returns the claim's hash (SHA-256 of its RFC 8785 form) for the cache.
 */
export function checkClaim (claim: unknown, knownTypes: ReadonlySet<string>, maxBytes: number): ClaimCheck {
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) {
    return reject('The claim is not an object', 'claim.invalid')
  }
  const type = (claim as { type?: unknown }).type
  if (typeof type !== 'string' || !knownTypes.has(type)) {
    return reject('The claim type is not supported', 'claim.unknown_type', { known_types: [...knownTypes].sort() })
  }
  const size = estimateSize(claim, maxBytes)
  if (size === 'too_deep') return reject('The claim is nested too deeply', 'claim.too_deep', { max_depth: MAX_CLAIM_DEPTH })
  if (size > maxBytes) return reject('The claim is too large to verify', 'claim.too_large', { max_bytes: maxBytes })
  let canonical: string
  try {
    canonical = canonicalize(claim)
  } catch (err) {
    return reject('The claim is not valid JSON data', 'claim.invalid', { error: (err as Error).message })
  }
  if (Buffer.byteLength(canonical, 'utf8') > maxBytes) {
    return reject('The claim is too large to verify', 'claim.too_large', { max_bytes: maxBytes })
  }
  return { ok: true, type, hash: sha256Hex(canonical) }
}

function reject (message: string, constraintId: string, extra: Record<string, unknown> = {}): ClaimCheck {
  return { ok: false, result: blocked(message, { constraint_id: constraintId, ...extra }) }
}

/** A lower bound of the JSON size, in UTF-16 units, that stops counting once past `limit`. */
function estimateSize (value: unknown, limit: number): number | 'too_deep' {
  let total = 0
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number]
    if (depth > MAX_CLAIM_DEPTH) return 'too_deep'
    if (typeof item === 'string') total += item.length + 2
    else if (item !== null && typeof item === 'object') {
      const entries = Array.isArray(item) ? item : Object.entries(item)
      total += 2 + entries.length
      for (const entry of entries) {
        if (!Array.isArray(item)) {
          const [k, v] = entry as [string, unknown]
          total += k.length + 3
          stack.push([v, depth + 1])
        } else {
          stack.push([entry, depth + 1])
        }
      }
    } else total += 5
    if (total > limit) return total
  }
  return total
}
