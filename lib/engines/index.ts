import type { Claim } from '../../types/claims.js'
import type { Engine } from '../../types/engine.js'
import { createMathEngine } from './math/index.js'
import { createSqlEngine } from './sql.js'
import { createCodeEngine } from './code/index.js'
import { createSchemaEngine } from './schema.js'

/** The embedded engines, one line each. A new engine is one file plus one line here. */
export const ENGINE_FACTORIES: ReadonlyArray<() => Engine<any>> = [
  createMathEngine,
  createSqlEngine,
  createCodeEngine,
  createSchemaEngine
]

/** Builds the embedded engines and indexes them by the claim types they judge. */
export function createEngineRegistry (factories = ENGINE_FACTORIES): Map<string, Engine<Claim>> {
  const byType = new Map<string, Engine<Claim>>()
  for (const factory of factories) {
    const engine = factory() as Engine<Claim>
    for (const type of engine.claimTypes) byType.set(type, engine)
  }
  return byType
}
