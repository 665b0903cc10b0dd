import t from 'tap'
import { runConformance } from './helpers/conformance.js'
import { toClaim } from './helpers/claims/math.js'

t.test('QWED math conformance cases', async (t) => {
  await runConformance(t, { engine: 'math', toClaim })
})
