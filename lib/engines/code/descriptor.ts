/** The code engine's declaration (see ../descriptor.ts): light, loads nothing of the engine. */
import type { EngineDescriptor } from '../descriptor.js'

/** Largest snippet accepted, in UTF-8 bytes (checked before any parsing). */
export const MAX_CODE_BYTES = 200 * 1024

export const CODE_DESCRIPTOR: EngineDescriptor = {
  name: 'code',
  claimTypes: {
    code: {
      fields: ['type', 'code', 'language', 'taint', 'allow', 'deny'],
      // the code; no array in a code claim
      limits: { maxLength: MAX_CODE_BYTES, maxArrayLength: 100 },
      caps: { maxLength: { value: MAX_CODE_BYTES, reason: 'the code engine refuses longer code' } },
      routes: ['local', 'remote']
    }
  },
  routing: { cpuBound: true, poolMinWeight: 4096 }
}
