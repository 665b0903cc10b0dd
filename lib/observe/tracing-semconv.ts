import type { Decision } from '../../types/route.js'

/**
 * Span names and attribute keys, one table per naming scheme. The OpenTelemetry GenAI security
 * conventions (docs/gen-ai/gen-ai-security.md in open-telemetry/semantic-conventions: the
 * `apply_guardrail` span and the `gen_ai.security.finding` event) are still in Development and
 * move; `tracing.semconv` picks the table, so a rename there is a new entry here, not a breaking
 * change for dashboards built on the old one. Attributes of our own (verdict, engine, cache...) are
 * `qwed.*` in every table: the draft has no names for them.
 */
export type SemconvVersion = 'gen_ai_security_development' | 'qwed_v1'
export const SEMCONV_VERSIONS: readonly SemconvVersion[] = ['gen_ai_security_development', 'qwed_v1']
export const DEFAULT_SEMCONV: SemconvVersion = 'gen_ai_security_development'

export interface SemconvTable {
  /** The operation's name: the value of `operation` and the first word of the span name. */
  operationName: string
  keys: {
    operation: string
    guardianName: string
    guardianId: string
    guardianVersion: string
    guardianProvider: string
    targetType: string
    /** The action taken (allow, deny, modify, warn, audit): apart from the verdict (`qwed.verdict`). */
    decisionType: string
    decisionReason: string
    /** The rule that decided: a claim's constraint_id. */
    policyId: string
    /** `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of what was checked. */
    contentInputHash: string
    /** The claim itself: only with tracing.includeClaims. */
    contentInputValue: string
    errorType: string
    riskCategory: string
    riskSeverity: string
    riskMetadata: string
  }
  /** The event recorded for each claim that was not admitted. */
  findingEvent: string
  /** What the guarded content is: the handler's answer, or the request's input. */
  targets: { output: string, input: string }
  /** The action taken, from the response's (or claim's) decision. */
  decisions: Record<Decision | 'skip', string>
}

/** Our own attributes, the same in every table. */
export const QWED_KEYS = {
  verdict: 'qwed.verdict',
  admission: 'qwed.admission',
  decision: 'qwed.decision',
  engine: 'qwed.engine',
  claimType: 'qwed.claim_type',
  constraintId: 'qwed.constraint_id',
  cached: 'qwed.cached',
  durationMs: 'qwed.duration_ms',
  route: 'qwed.route',
  mode: 'qwed.mode',
  claims: 'qwed.claims',
  skipped: 'qwed.skipped',
  requestId: 'qwed.request_id'
} as const

const DRAFT_DECISIONS: SemconvTable['decisions'] = {
  admit: 'allow',
  skip: 'allow',
  block: 'deny',
  fail_closed: 'deny',
  // Released although not verified: permitted, flagged.
  fail_open: 'warn',
  // Verified behind the response, never enforced.
  shadow: 'audit'
}

export const SEMCONV: Record<SemconvVersion, SemconvTable> = {
  gen_ai_security_development: {
    operationName: 'apply_guardrail',
    keys: {
      operation: 'gen_ai.operation.name',
      guardianName: 'gen_ai.guardian.name',
      guardianId: 'gen_ai.guardian.id',
      guardianVersion: 'gen_ai.guardian.version',
      guardianProvider: 'gen_ai.guardian.provider.name',
      targetType: 'gen_ai.security.target.type',
      decisionType: 'gen_ai.security.decision.type',
      decisionReason: 'gen_ai.security.decision.reason',
      policyId: 'gen_ai.security.policy.id',
      contentInputHash: 'gen_ai.security.content.input.hash',
      contentInputValue: 'gen_ai.security.content.input.value',
      errorType: 'error.type',
      riskCategory: 'gen_ai.security.risk.category',
      riskSeverity: 'gen_ai.security.risk.severity',
      riskMetadata: 'gen_ai.security.risk.metadata'
    },
    findingEvent: 'gen_ai.security.finding',
    targets: { output: 'llm_output', input: 'llm_input' },
    decisions: DRAFT_DECISIONS
  },
  // Names of our own, for those who would rather not follow a draft while it moves.
  qwed_v1: {
    operationName: 'qwed.verify',
    keys: {
      operation: 'qwed.operation',
      guardianName: 'qwed.guardian.name',
      guardianId: 'qwed.guardian.id',
      guardianVersion: 'qwed.guardian.version',
      guardianProvider: 'qwed.guardian.provider',
      targetType: 'qwed.target',
      decisionType: 'qwed.action',
      decisionReason: 'qwed.action_reason',
      policyId: 'qwed.rule_id',
      contentInputHash: 'qwed.content_hash',
      contentInputValue: 'qwed.claim',
      errorType: 'error.type',
      riskCategory: 'qwed.finding.category',
      riskSeverity: 'qwed.finding.severity',
      riskMetadata: 'qwed.finding.metadata'
    },
    findingEvent: 'qwed.finding',
    targets: { output: 'output', input: 'input' },
    decisions: { admit: 'allow', skip: 'allow', block: 'deny', fail_closed: 'deny', fail_open: 'warn', shadow: 'audit' }
  }
}

/**
 * The risk category of a claim that was not admitted, from the draft's OWASP LLM Top 10 list: a
 * wrong figure or an unproven fact is misinformation (LLM09); unsafe SQL or code that would be run
 * downstream is improper output handling (LLM05).
 */
export function riskCategory (engine: string): string {
  return engine === 'sql' || engine === 'code' ? 'improper_output_handling' : 'misinformation'
}
