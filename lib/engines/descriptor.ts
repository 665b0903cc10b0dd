/**
 * What an engine declares about itself without loading: its claim types and their fields, the
 * claim limits it can accept (defaults and hard caps), where each claim type may be verified, and
 * how it runs (pool or event loop). One small module per engine (`<engine>/descriptor.ts`) exports
 * one of these and imports nothing heavy, so the claim guard, the remote mapping and the registry
 * read their tables from descriptors while the engines themselves load on their first claim.
 */
import type { ClaimLimits } from '../../types/input.js'

export type Route = 'local' | 'remote'

export interface LimitCap {
  value: number
  /** Why a larger value cannot work, for the option error. */
  reason: string
}

export interface ClaimTypeDescriptor {
  /** Top-level field names of the claim (types/claims.ts); a claim.* verdict names only these. */
  fields: readonly string[]
  /** Default claim limits (maxDepth and maxBytes default to the guard's own when not given). */
  limits: { maxLength: number, maxArrayLength: number }
  /** The engine's own hard caps: a configured limit above one is refused at startup. */
  caps: Partial<Record<keyof ClaimLimits, LimitCap>>
  /** Where the claim type can be verified: the embedded engine, a QWED server, or both. */
  routes: readonly Route[]
}

/**
 * How the engine runs. `cpuBound`: it may run in the worker pool when one is configured; claims whose
 * weight (claimWeight) is at least `poolMinWeight` go there, lighter ones stay on the event loop
 * (sending a claim to a worker costs more than judging a small one). `loopSliceMs`, for an engine
 * that watches its signal on every unit of work: a light claim gets that long on the event loop and
 * goes to a worker when it needs more (a short expression can still be expensive).
 */
export interface EngineRouting {
  cpuBound: boolean
  poolMinWeight?: number
  loopSliceMs?: number
}

export interface EngineDescriptor {
  readonly name: string
  readonly claimTypes: Readonly<Record<string, ClaimTypeDescriptor>>
  readonly routing: EngineRouting
}

/**
 * The weight of a claim: characters of its strings plus one per number, boolean, null, array item
 * and object key, counted until `stopAt` (so weighing a huge claim costs no more than a small one).
 * Cheap enough to run on the event loop before deciding where the claim runs.
 */
export function claimWeight (value: unknown, stopAt: number): number {
  let weight = 0
  const stack: unknown[] = [value]
  while (stack.length > 0 && weight < stopAt) {
    const item = stack.pop()
    if (typeof item === 'string') weight += item.length
    else if (Array.isArray(item)) {
      for (let i = 0; i < item.length && weight < stopAt; i++) {
        weight += 1
        stack.push(item[i])
      }
    } else if (item !== null && typeof item === 'object') {
      for (const key in item) {
        if (weight >= stopAt) break
        if (!Object.hasOwn(item, key)) continue
        weight += 1 + key.length
        stack.push((item as Record<string, unknown>)[key])
      }
    } else weight += 1
  }
  return weight
}
