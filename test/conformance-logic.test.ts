import t from 'tap'
import { preloadLogicSolver } from '../lib/engines/logic/index.js'
import { runConformance } from './helpers/conformance.js'
import { toClaim } from './helpers/claims/logic.js'

t.test('QWED logic conformance cases', async (t) => {
  // Z3 loads on the first claim; load it first so that no case races the breaker's deadline
  // (a cold load takes seconds on a small machine; docs/logic.md recommends the same at startup)
  await preloadLogicSolver()
  await runConformance(t, { engine: 'logic', toClaim })
})
