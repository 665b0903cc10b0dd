import type { EngineResult } from '../../types/engine.js'
import type { CodeIssue } from '../../lib/engines/code/issues.js'

/** The assertions the code-engine test helpers use (a structural slice of tap's Test). */
export interface Asserts {
  equal: (found: unknown, wanted: unknown, message: string) => unknown
  same: (found: unknown, wanted: unknown, message: string) => unknown
  ok: (value: unknown, message: string) => unknown
}

export function issues (r: EngineResult): CodeIssue[] {
  return (r.developer_fields.issues as CodeIssue[] | undefined) ?? []
}

export function criticalTypes (r: EngineResult): string[] {
  return issues(r).filter((i) => i.severity === 'CRITICAL').map((i) => i.type)
}
