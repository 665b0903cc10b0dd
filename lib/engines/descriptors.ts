/**
 * Every engine's declaration, and the claim types only a QWED server verifies. Light: importing this
 * loads no engine. The claim guard's limits and fields (lib/guard/limits.ts), the remote routes
 * (remote/mapping.ts) and the registry (index.ts) read these tables.
 */
import { CODE_DESCRIPTOR } from './code/descriptor.js'
import type { ClaimTypeDescriptor, EngineDescriptor, Route } from './descriptor.js'
import { LOGIC_DESCRIPTOR } from './logic/descriptor.js'
import { MATH_DESCRIPTOR } from './math/descriptor.js'
import { SCHEMA_DESCRIPTOR } from './schema/descriptor.js'
import { SQL_DESCRIPTOR } from './sql/descriptor.js'
import { STATS_DESCRIPTOR } from './stats/descriptor.js'
import { TRANSACTION_DESCRIPTOR } from './schema/transaction-descriptor.js'

/** The embedded engines, in registry order. */
export const ENGINE_DESCRIPTORS: readonly EngineDescriptor[] = [
  MATH_DESCRIPTOR, SQL_DESCRIPTOR, CODE_DESCRIPTOR, SCHEMA_DESCRIPTOR, TRANSACTION_DESCRIPTOR, LOGIC_DESCRIPTOR, STATS_DESCRIPTOR
]

/** Claim types only a QWED server verifies: their fields and routes (their limits are the guard's '*'). */
export const REMOTE_ONLY_TYPES: Readonly<Record<string, Pick<ClaimTypeDescriptor, 'fields' | 'routes'>>> = {
  fact: { fields: ['type', 'claim', 'context'], routes: ['remote'] },
  natural_language: { fields: ['type', 'query'], routes: ['remote'] }
}

/** Every embedded claim type with its descriptor. */
export const EMBEDDED_CLAIM_TYPES: ReadonlyArray<[string, ClaimTypeDescriptor]> =
  ENGINE_DESCRIPTORS.flatMap((engine) => Object.entries(engine.claimTypes))

/** Where each claim type can be verified. */
export const CLAIM_TYPE_ROUTES: Readonly<Record<string, readonly Route[]>> = Object.freeze(Object.fromEntries([
  ...EMBEDDED_CLAIM_TYPES.map(([type, d]) => [type, d.routes] as const),
  ...Object.entries(REMOTE_ONLY_TYPES).map(([type, d]) => [type, d.routes] as const)
]))

/** The engine declaration of a claim type, if an embedded engine judges it. */
export function descriptorOfType (type: string): EngineDescriptor | undefined {
  return ENGINE_DESCRIPTORS.find((engine) => Object.hasOwn(engine.claimTypes, type))
}
