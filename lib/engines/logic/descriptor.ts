/** The logic engine's declaration (see ../descriptor.ts): light, loads nothing of Z3. */
import type { EngineDescriptor } from '../descriptor.js'
import { MAX_FORMULAS } from './checks.js'
import { MAX_FORMULA_CHARS } from './parse.js'

export const LOGIC_DESCRIPTOR: EngineDescriptor = {
  name: 'logic',
  claimTypes: {
    logic: {
      fields: ['type', 'check', 'variables', 'arrays', 'constraints', 'premises', 'conclusion', 'antecedent', 'consequent', 'formulas',
        'objective', 'maximize', 'expected'],
      // one formula; at most MAX_FORMULAS formulas
      limits: { maxLength: MAX_FORMULA_CHARS, maxArrayLength: MAX_FORMULAS },
      caps: {
        maxLength: { value: MAX_FORMULA_CHARS, reason: 'the logic engine refuses longer formulas' },
        maxArrayLength: { value: MAX_FORMULAS, reason: 'the logic engine refuses more formulas' }
      },
      routes: ['local', 'remote']
    }
  },
  // Not pooled: Z3 already solves on its own threads, and loading it in every worker takes seconds.
  routing: { cpuBound: false }
}
