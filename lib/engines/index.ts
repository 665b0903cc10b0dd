import type { Claim } from '../../types/claims.js'
import type { Engine } from '../../types/engine.js'
import type { VerifierOptions } from '../../types/options.js'
import { createMathEngine } from './math/index.js'
import { createSqlEngine } from './sql.js'
import { createCodeEngine } from './code/index.js'
import { createSchemaEngine } from './schema.js'
import { createTransactionEngine } from './schema/transaction.js'
import { createLogicEngine } from './logic/index.js'
import { createStatsEngine } from './stats.js'
import { attachRemoteEngine } from './remote.js'
import { createEnginePool, poolSettings, type WorkerSource } from './pool.js'

export interface EngineEntry {
  create: (options: VerifierOptions) => Engine<any>
  /** CPU-bound work that belongs in the worker pool. */
  cpuBound?: boolean
  /** Where a pool worker finds this entry; default for EMBEDDED_ENGINES: its index in this module. */
  source?: WorkerSource
}

/** The embedded engines, one line each. A new engine is one file plus one line here. */
export const EMBEDDED_ENGINES: readonly EngineEntry[] = [
  { create: createMathEngine, cpuBound: true },
  { create: createSqlEngine },
  { create: createCodeEngine },
  { create: () => createSchemaEngine() },
  { create: createTransactionEngine },
  // Not pooled: Z3 already solves on its own threads, and loading it in every worker takes seconds.
  { create: createLogicEngine },
  { create: createStatsEngine }
]

/** Builds the engines and indexes them by the claim types they judge. */
export function createEngineRegistry (options: VerifierOptions = {}, entries = EMBEDDED_ENGINES): Map<string, Engine<Claim>> {
  const byType = new Map<string, Engine<Claim>>()
  // With `pool` on, the cpuBound engines run in worker threads (pool.ts), started on their first claim.
  const settings = poolSettings(options)
  const pool = settings === null ? null : createEnginePool(settings, options)
  entries.forEach((entry, index) => {
    let engine = entry.create(options) as Engine<Claim>
    if (pool !== null && entry.cpuBound === true) {
      const source = entry.source ?? (entries === EMBEDDED_ENGINES ? { module: import.meta.url, exportName: 'EMBEDDED_ENGINES', index } : undefined)
      if (source === undefined) throw new Error(`engine ${engine.name}: a cpuBound entry needs a source to run in the worker pool`)
      engine = pool.wrap(engine, source)
    }
    for (const type of engine.claimTypes) byType.set(type, engine)
  })
  // With `remote`, claim types routed to the QWED server (options.engines) go to the remote engine.
  attachRemoteEngine(byType, options)
  return byType
}
