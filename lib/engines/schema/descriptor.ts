/** The schema engine's declaration (see ../descriptor.ts): light, loads nothing of the engine (ajv, RE2). */
import type { EngineDescriptor } from '../descriptor.js'

/** The schema engine's default caps (SchemaEngineOptions documents each). */
export const SCHEMA_DEFAULTS = {
  maxDataBytes: 1_000_000,
  maxSchemaBytes: 65_536,
  maxDataDepth: 64,
  maxSchemaDepth: 128,
  maxSchemaNodes: 10_000,
  workBudget: 25_000_000,
  cacheSize: 500,
  maxIssues: 100
}

export const SCHEMA_DESCRIPTOR: EngineDescriptor = {
  name: 'schema',
  claimTypes: {
    schema: {
      fields: ['type', 'data', 'schema'],
      // any JSON document: strings up to the engine's data size, arrays up to 100,000 items
      limits: { maxLength: SCHEMA_DEFAULTS.maxDataBytes, maxArrayLength: 100_000 },
      caps: {
        maxLength: { value: SCHEMA_DEFAULTS.maxDataBytes, reason: 'the schema engine refuses larger data' },
        // the schema document may nest maxSchemaDepth levels below the claim's `schema` field
        maxDepth: { value: SCHEMA_DEFAULTS.maxSchemaDepth + 1, reason: 'the schema engine refuses deeper documents' }
      },
      routes: ['local']
    }
  },
  // compiling a schema costs about 4 ms per kB; validating large data, up to the work budget
  routing: { cpuBound: true, poolMinWeight: 8192 }
}
