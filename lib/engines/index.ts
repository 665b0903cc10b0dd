import type { Claim } from '../../types/claims.js'
import type { Engine } from '../../types/engine.js'
import type { VerifierOptions } from '../../types/options.js'
import { createMathEngine } from './math/index.js'
import { createSqlEngine } from './sql.js'
import { createCodeEngine } from './code/index.js'
import { createSchemaEngine } from './schema.js'
import { createLogicEngine } from './logic/index.js'
import { createStatsEngine } from './stats.js'

export interface EngineEntry {
  create: (options: VerifierOptions) => Engine<any>
  /** CPU-bound work that belongs in the worker pool. */
  cpuBound?: boolean
}

/** The embedded engines, one line each. A new engine is one file plus one line here. */
export const EMBEDDED_ENGINES: readonly EngineEntry[] = [
  { create: createMathEngine, cpuBound: true },
  { create: createSqlEngine },
  { create: createCodeEngine },
  { create: () => createSchemaEngine() },
  { create: createLogicEngine, cpuBound: true },
  { create: createStatsEngine }
]

/** Builds the engines and indexes them by the claim types they judge. */
export function createEngineRegistry (options: VerifierOptions = {}, entries = EMBEDDED_ENGINES): Map<string, Engine<Claim>> {
  const byType = new Map<string, Engine<Claim>>()
  for (const entry of entries) {
    const engine = entry.create(options) as Engine<Claim>
    for (const type of engine.claimTypes) byType.set(type, engine)
  }
  return byType
}
