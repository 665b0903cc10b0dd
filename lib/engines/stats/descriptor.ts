/** The stats engine's declaration (see ../descriptor.ts): light, loads nothing of the engine. */
import { MAX_CODE_BYTES } from '../code/descriptor.js'
import type { EngineDescriptor } from '../descriptor.js'

/** Values of one data set. */
export const MAX_VALUES = 100_000

export const STATS_DESCRIPTOR: EngineDescriptor = {
  name: 'stats',
  claimTypes: {
    stats: {
      fields: ['type', 'generatedCode', 'query', 'statistic', 'data', 'y', 'expected', 'tolerance'],
      // generatedCode goes to the code engine; data arrays up to MAX_VALUES values
      limits: { maxLength: MAX_CODE_BYTES, maxArrayLength: MAX_VALUES },
      caps: {
        maxLength: { value: MAX_CODE_BYTES, reason: 'the code engine refuses longer generated code' },
        maxArrayLength: { value: MAX_VALUES, reason: 'the stats engine refuses larger data sets' }
      },
      routes: ['local']
    }
  },
  // exact sums, sorts and medians of up to 100,000 values
  routing: { cpuBound: true, poolMinWeight: 4096, loopSliceMs: 10 }
}
