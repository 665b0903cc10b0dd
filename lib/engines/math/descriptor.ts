/** The math engine's declaration (see ../descriptor.ts): light, loads nothing of the engine. */
import type { EngineDescriptor } from '../descriptor.js'
import { LIMITS } from './limits.js'

/** Cash flows of one npv / irr claim; the claim guard's longest array for math claims. */
export const MAX_CASH_FLOWS = 1000

export const MATH_DESCRIPTOR: EngineDescriptor = {
  name: 'math',
  claimTypes: {
    math: {
      fields: ['type', 'operation', 'expression', 'expected', 'tolerance', 'domain', 'roundedTo', 'variable', 'order', 'lower', 'upper', 'point',
        'matrixOperation', 'a', 'b', 'calculation', 'value', 'percentage', 'newValue', 'principal', 'rate', 'years', 'compoundsPerYear',
        'cashFlows', 'from', 'to'],
      // expression text; cash flows are its longest arrays
      limits: { maxLength: LIMITS.maxLength, maxArrayLength: MAX_CASH_FLOWS },
      caps: {
        maxLength: { value: LIMITS.maxLength, reason: 'the math engine refuses longer expressions' },
        maxArrayLength: { value: MAX_CASH_FLOWS, reason: 'the math engine accepts at most 1000 cash flows and 50 matrix rows' }
      },
      routes: ['local', 'remote']
    }
  },
  // A typical expression is judged in well under a millisecond, but one can use the whole work budget
  // (100-200 ms, bench/event-loop.ts): with a pool, long ones go to a worker, short ones get 10 ms on
  // the event loop and go to a worker if they need more.
  routing: { cpuBound: true, poolMinWeight: 200, loopSliceMs: 10 }
}
