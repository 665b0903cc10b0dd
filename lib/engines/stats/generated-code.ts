import type { StatsCodeClaim } from '../../../types/claims.js'
import type { Engine, EngineResult } from '../../../types/engine.js'
import { blocked, unverifiable } from '../../result.js'

/**
 * QWED's verify_stats: an LLM wrote pandas code to compute a statistic. Nothing runs that code
 * here, so the claim is never VERIFIED. Its safety is what can be judged, by the code engine's
 * Python analysis: unsafe code (or code that does not parse) is BLOCKED, safe code UNVERIFIABLE
 * (the result it would compute is not proven; claim the value itself instead).
 */
export async function judgeGeneratedCode (claim: StatsCodeClaim, code: Engine<any>, signal: AbortSignal): Promise<EngineResult> {
  if (typeof claim.generatedCode !== 'string') {
    return blocked('The statistics claim is malformed', { constraint_id: 'stats.invalid_claim', field: 'generatedCode' })
  }
  const analysis = await code.verify({ type: 'code', language: 'python', code: claim.generatedCode }, { signal })
  const fields = analysis.developer_fields
  if (analysis.status !== 'VERIFIED') {
    return { ...blocked('The generated analysis code could not be checked', { constraint_id: 'stats.code_unchecked', code_constraint_id: fields.constraint_id }), cacheable: analysis.cacheable }
  }
  if (fields.is_safe !== true) {
    return blocked('The generated analysis code is not safe to run', {
      constraint_id: 'stats.unsafe_code',
      issues: fields.issues,
      critical_count: fields.critical_count
    })
  }
  return unverifiable('Generated analysis code is not run, so its result is not proven; claim the computed value instead', {
    constraint_id: 'stats.code_not_executed',
    is_safe: true,
    warning_count: fields.warning_count
  })
}
