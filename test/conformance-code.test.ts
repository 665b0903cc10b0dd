import t from 'tap'
import { runConformance } from './helpers/conformance.js'
import { toClaim } from './helpers/claims/code.js'

t.test('QWED code conformance cases', async (t) => {
  await runConformance(t, { engine: 'code', toClaim })
})
