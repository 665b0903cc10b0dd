import t from 'tap'
import { runConformance } from './helpers/conformance.js'
import { toClaim } from './helpers/claims/sql.js'

t.test('QWED sql conformance cases', async (t) => {
  await runConformance(t, { engine: 'sql', toClaim })
})
