import t from 'tap'
import type { StatsClaim } from '../types/claims.js'
import { createVerifier } from '../lib/verifier.js'
import { runConformance } from './helpers/conformance.js'
import { toClaim } from './helpers/claims/stats.js'

t.test('QWED stats conformance cases', async (t) => {
  await runConformance(t, { engine: 'stats', toClaim })
})

t.test('generated analysis code is never VERIFIED: safe code is UNVERIFIABLE, unsafe code BLOCKED', async (t) => {
  const verifier = createVerifier({ audit: false })
  t.teardown(() => verifier.close())
  const safe = await verifier.verify({ type: 'stats', generatedCode: "result = df['x'].mean()" })
  t.equal(safe.status, 'UNVERIFIABLE')
  t.equal(safe.admission, 'BLOCKED')
  t.equal(safe.developer_fields.constraint_id, 'stats.code_not_executed')
  const unsafe = await verifier.verify({ type: 'stats', generatedCode: 'import subprocess\nsubprocess.run(cmd, shell=True)\nresult = 1' })
  t.equal(unsafe.status, 'BLOCKED')
  t.equal(unsafe.developer_fields.constraint_id, 'stats.unsafe_code')
  const broken = await verifier.verify({ type: 'stats', generatedCode: 'result = (' })
  t.equal(broken.status, 'BLOCKED')
  t.equal(broken.developer_fields.constraint_id, 'stats.code_unchecked')
  const malformed = await verifier.verify({ type: 'stats', generatedCode: 42 } as unknown as StatsClaim)
  t.equal(malformed.status, 'BLOCKED')
})
