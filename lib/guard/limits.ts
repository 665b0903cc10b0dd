import type { ClaimLimits, ClaimLimitsOptions } from '../../types/input.js'
import type { LimitCap } from '../engines/descriptor.js'
import { EMBEDDED_CLAIM_TYPES, REMOTE_ONLY_TYPES } from '../engines/descriptors.js'
import { MAX_SCHEMA_CHARS } from '../engines/sql/descriptor.js'
import { QwedOptionsError } from '../errors.js'
import { assertKnownKeys, assertObject, optionalNumber } from '../option-checks.js'

export type { LimitCap } from '../engines/descriptor.js'

/**
 * Claim limits per claim type, in one place. The verifier's claim guard (checkClaim in
 * lib/guard/input.ts) applies them to every claim before any engine runs, so a claim no engine
 * could accept is refused after one cheap walk, with a `claim.*` constraint id.
 *
 *  maxLength       longest string value anywhere in the claim, in UTF-16 code units (the unit of the
 *                  engines' own caps). Exception: the SQL claim's `schema` (a DDL, legitimately
 *                  larger than the query) is bounded by max(maxLength, the SQL engine's DDL cap).
 *  maxDepth        deepest nesting; the claim object is depth 0, its fields depth 1.
 *  maxArrayLength  longest array anywhere in the claim.
 *  maxBytes        size of the claim's canonical JSON (RFC 8785), in UTF-8 bytes.
 *
 * Each embedded type's defaults sit at or below its engine's own hard caps (read from the engine
 * descriptors, lib/engines/<engine>/descriptor.ts, not repeated here); a configured value above such a cap is refused at startup, since
 * the engine would still refuse the claim. The '*' entry is the default of every other type
 * (extra engines', and the remote-only fact / natural_language).
 */

/** The claim's bytes today's `maxClaimBytes` default allows. */
export const DEFAULT_MAX_CLAIM_BYTES = 1_048_576
/** Nesting the guard allows by default (the depth it always had). */
export const DEFAULT_MAX_CLAIM_DEPTH = 64
/** lib/canonical.ts refuses to hash values nested deeper than 200, so no claim deeper can be verified. */
const CANONICAL_MAX_DEPTH = 200

/** The SQL engine's cap on the claim's DDL (`schema`): exempt from a smaller maxLength. */
export const SQL_SCHEMA_MAX_LENGTH = MAX_SCHEMA_CHARS

const base = { maxDepth: DEFAULT_MAX_CLAIM_DEPTH, maxBytes: DEFAULT_MAX_CLAIM_BYTES }

export const DEFAULT_CLAIM_LIMITS: Readonly<Record<string, Readonly<Required<ClaimLimits>>>> = Object.freeze(Object.fromEntries([
  ...EMBEDDED_CLAIM_TYPES.map(([type, d]) => [type, Object.freeze({ ...base, ...d.limits })] as const),
  // every other type: strings bounded by the claim's bytes only (a fact's source text may be long)
  ['*', Object.freeze({ ...base, maxLength: DEFAULT_MAX_CLAIM_BYTES, maxArrayLength: 100_000 })] as const
]))

/** The embedded engines' own hard caps: a larger per-type value is refused; a larger '*' value is lowered to them. */
export const CLAIM_LIMIT_CAPS: Readonly<Record<string, Partial<Record<keyof ClaimLimits, LimitCap>>>> = Object.freeze(Object.fromEntries(
  EMBEDDED_CLAIM_TYPES.filter(([, d]) => Object.keys(d.caps).length > 0).map(([type, d]) => [type, d.caps])
))

const LIMIT_KEYS = ['maxLength', 'maxDepth', 'maxArrayLength', 'maxBytes'] as const
/** Largest value of each limit for any type (maxDepth: what lib/canonical.ts can hash). */
const LIMIT_MAX: Record<keyof ClaimLimits, number> = {
  maxLength: Number.MAX_SAFE_INTEGER,
  maxDepth: CANONICAL_MAX_DEPTH,
  maxArrayLength: Number.MAX_SAFE_INTEGER,
  maxBytes: Number.MAX_SAFE_INTEGER
}

export interface ResolvedClaimLimits {
  /** The limits of one claim type: its own entry, else '*', else the defaults. */
  forType (type: string): Required<ClaimLimits>
}

/**
 * Merges configured limits over the defaults. For a type T and a limit k the first of these wins:
 * options[T][k], options['*'][k] (lowered to T's engine cap), maxClaimBytes (maxBytes only),
 * DEFAULT_CLAIM_LIMITS[T][k], DEFAULT_CLAIM_LIMITS['*'][k]. `options` is assumed validated
 * (validateClaimLimits).
 */
export function resolveClaimLimits (options: ClaimLimitsOptions | undefined, maxClaimBytes?: number): ResolvedClaimLimits {
  const star = options?.['*'] ?? {}
  const resolved = new Map<string, Required<ClaimLimits>>()
  return {
    forType (type: string): Required<ClaimLimits> {
      let limits = resolved.get(type)
      if (limits === undefined) {
        const own = (Object.hasOwn(options ?? {}, type) ? options?.[type] : undefined) ?? {}
        const defaults = (Object.hasOwn(DEFAULT_CLAIM_LIMITS, type) ? DEFAULT_CLAIM_LIMITS[type] : undefined) ?? DEFAULT_CLAIM_LIMITS['*'] as Required<ClaimLimits>
        const caps = (Object.hasOwn(CLAIM_LIMIT_CAPS, type) ? CLAIM_LIMIT_CAPS[type] : undefined) ?? {}
        const pick = (key: keyof ClaimLimits): number => {
          const mine = own[key]
          if (mine !== undefined) return mine
          const general = star[key] ?? (key === 'maxBytes' ? maxClaimBytes : undefined)
          if (general !== undefined) return Math.min(general, caps[key]?.value ?? Number.POSITIVE_INFINITY)
          return defaults[key]
        }
        limits = Object.freeze({ maxLength: pick('maxLength'), maxDepth: pick('maxDepth'), maxArrayLength: pick('maxArrayLength'), maxBytes: pick('maxBytes') })
        resolved.set(type, limits)
      }
      return limits
    }
  }
}

/**
 * Checks the verifier option `limits`: an object whose keys are claim types (any string: extra
 * engines bring their own) or '*', each an object with only maxLength, maxDepth, maxArrayLength and
 * maxBytes, positive integers (maxDepth at most 200). A per-type value above that type's engine cap
 * is refused, naming the cap. Throws a QwedOptionsError naming the option, e.g. `limits.sql.maxLength`.
 */
export function validateClaimLimits (value: unknown, name: string): void {
  if (value === undefined) return
  assertObject(value, name)
  for (const [type, entry] of Object.entries(value)) {
    if (entry === undefined) continue
    const where = `${name}.${type}`
    if (type === '') throw new QwedOptionsError(where, 'is not a claim type (an empty key)')
    assertObject(entry, where)
    assertKnownKeys(entry, LIMIT_KEYS, where)
    const caps = type !== '*' && Object.hasOwn(CLAIM_LIMIT_CAPS, type) ? CLAIM_LIMIT_CAPS[type] : undefined
    for (const key of LIMIT_KEYS) {
      const n = optionalNumber(entry[key], `${where}.${key}`, 1, LIMIT_MAX[key], true)
      const cap = caps?.[key]
      if (n !== undefined && cap !== undefined && n > cap.value) {
        throw new QwedOptionsError(`${where}.${key}`, `must be at most ${cap.value} (the engine's own cap: ${cap.reason}), got ${n}`)
      }
    }
  }
}

/**
 * Top-level field names of the embedded claim types (types/claims.ts). A path in a claim.* verdict
 * names only these, array indexes and '*': never a key the client chose, which is claim text.
 */
export const CLAIM_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = Object.freeze(Object.fromEntries([
  ...EMBEDDED_CLAIM_TYPES.map(([type, d]) => [type, new Set(d.fields)] as const),
  ...Object.entries(REMOTE_ONLY_TYPES).map(([type, d]) => [type, new Set(d.fields)] as const)
]))
