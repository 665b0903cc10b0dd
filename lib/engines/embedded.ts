/**
 * The embedded engines, one entry each: the engine's descriptor (light) and how to load it (a
 * dynamic import, run on the first claim or at warmUp). A new engine is a descriptor, its module and
 * one line here. Pool workers import this module to find the entries (pool-worker.ts), so it stays
 * light too: no engine, no pool, no remote client.
 */
import type { Engine } from '../../types/engine.js'
import type { VerifierOptions } from '../../types/options.js'
import { CODE_DESCRIPTOR } from './code/descriptor.js'
import type { EngineDescriptor } from './descriptor.js'
import { lazyEngine } from './lazy.js'
import { fastArithmetic } from './math/fast-path.js'
import { LOGIC_DESCRIPTOR } from './logic/descriptor.js'
import { MATH_DESCRIPTOR } from './math/descriptor.js'
import type { WorkerSource } from './pool.js'
import { SCHEMA_DESCRIPTOR } from './schema/descriptor.js'
import { SQL_DESCRIPTOR } from './sql/descriptor.js'
import { STATS_DESCRIPTOR } from './stats/descriptor.js'
import { TRANSACTION_DESCRIPTOR } from './schema/transaction-descriptor.js'

export interface EngineEntry {
  create: (options: VerifierOptions) => Engine<any>
  /** CPU-bound work that belongs in the worker pool. */
  cpuBound?: boolean
  /**
   * With a pool, claims lighter than this (claimWeight) stay on the event loop; heavier ones go to
   * a worker. Unset: every claim of a cpuBound entry goes to the pool.
   */
  poolMinWeight?: number
  /** With a pool, how long a light claim may run on the event loop before it goes to a worker (the engine must watch its signal). */
  loopSliceMs?: number
  /** Where a pool worker finds this entry; default for EMBEDDED_ENGINES: its index in this module. */
  source?: WorkerSource
}

/** An entry whose engine is built from `load` on its first claim. */
function lazyEntry (descriptor: EngineDescriptor, load: (options: VerifierOptions) => Promise<Engine<any>>, fastVerify?: Engine<any>['fastVerify']): EngineEntry {
  return {
    create: (options) => lazyEngine(descriptor.name, Object.keys(descriptor.claimTypes), async () => await load(options), fastVerify),
    cpuBound: descriptor.routing.cpuBound,
    ...(descriptor.routing.poolMinWeight === undefined ? {} : { poolMinWeight: descriptor.routing.poolMinWeight }),
    ...(descriptor.routing.loopSliceMs === undefined ? {} : { loopSliceMs: descriptor.routing.loopSliceMs })
  }
}

export const EMBEDDED_ENGINES: readonly EngineEntry[] = [
  lazyEntry(MATH_DESCRIPTOR, async () => (await import('./math/index.js')).createMathEngine(), fastArithmetic),
  lazyEntry(SQL_DESCRIPTOR, async () => (await import('./sql.js')).createSqlEngine()),
  lazyEntry(CODE_DESCRIPTOR, async () => (await import('./code/index.js')).createCodeEngine()),
  lazyEntry(SCHEMA_DESCRIPTOR, async () => (await import('./schema.js')).createSchemaEngine()),
  lazyEntry(TRANSACTION_DESCRIPTOR, async () => (await import('./schema/transaction.js')).createTransactionEngine()),
  lazyEntry(LOGIC_DESCRIPTOR, async (options) => (await import('./logic/index.js')).createLogicEngine(options)),
  lazyEntry(STATS_DESCRIPTOR, async () => (await import('./stats.js')).createStatsEngine())
]

/** Where pool workers find EMBEDDED_ENGINES[index]. */
export function embeddedSource (index: number): WorkerSource {
  return { module: import.meta.url, exportName: 'EMBEDDED_ENGINES', index }
}
