import { readFileSync } from 'node:fs'
import type { Status, VerificationResult } from '../../types/result.js'
import { canonicalHash, canonicalize } from '../canonical.js'
import { toJsonSafe, type AuditRow } from './store/index.js'

/**
 * QWED Verification Context v1.0 (reference/qwed-protocol.md §3.5): the statement that was
 * verified plus what it takes to interpret, reproduce and trust the verdict.
 */
export interface VerificationContextDocument {
  spec_version: '1.0'
  object: {
    formal_statement: string
    formalization?: VcFormalization
  }
  context: {
    interpretation: VcInterpretation
    proof: VcProof
    evidence: {
      evidence: Record<string, unknown>
      /** The canonical commitment (§3.5.3) for VERIFIED documents, null otherwise. */
      proof_ref?: string | null
    }
    decision: { admission: 'ADMIT' | 'DENY' }
  }
  verdict: Status
}

/** How a natural-language question became the formal statement: shown, never itself verified. */
export interface VcFormalization {
  verified: false
  source_query?: string
  translator?: string
  translation_confidence?: number | null
}

export interface VcInterpretation {
  theory?: string
  logic?: string
  dialect?: string
  parser_version?: string
  language?: string
  policy_version?: string
  algebra_domain?: string
}

export interface VcProof {
  verifier: string
  verifier_version: string
  configuration?: Record<string, unknown>
  theory_scope?: string
  trusted_dependencies?: string[]
  outcome_treatment?: string
}

/** What a document is built from: a result (or a stored audit row) and, when known, its claim. */
export type VcResult = Pick<VerificationResult, 'status' | 'admission' | 'agent_message' | 'developer_fields' | 'proof_ref' | 'engine'>

export interface VcOptions {
  /** `sha256:` hash of the canonical claim; bound in the evidence, and the statement when the claim is not known. */
  claimHash?: string | null
  /** Version of the verifier that produced the result. Default: this package's version. */
  verifierVersion?: string
  /** The natural-language question the claim was derived from, if any (becomes `object.formalization`). */
  sourceQuery?: string
  /** What turned sourceQuery into the claim (an LLM, a template). */
  translator?: string
}

export interface VcResolution {
  resolved: boolean
  /** The proof_ref recomputed from the document (null when it could not be computed). */
  expected: string | null
  /** The proof_ref the document carries. */
  actual: string | null
  /** Why it did not resolve. */
  reason?: string
}

export const VC_SPEC_VERSION = '1.0'
/** How this verifier treats outcomes it cannot decide (the wording QWED's bridge uses). */
export const OUTCOME_TREATMENT = 'unknown/timeout/error resolve to UNVERIFIABLE or BLOCKED'
const PROOF_REF = /^sha256:[a-f0-9]{64}$/
const MAX_SAFE = 2 ** 53

/** This package's version, read once from its package.json (source and dist layouts). */
export const QWED_MIDDLEWARE_VERSION = packageVersion()

function packageVersion (): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: unknown, version?: unknown }
      if (pkg.name === 'qwed-middleware' && typeof pkg.version === 'string') return pkg.version
    } catch {}
  }
  return '0.0.0'
}

// The field of each claim type that is the statement itself; the other fields become the
// proof configuration (they change the outcome: tolerance, dialect, schema DDL, ...).
const STATEMENT_FIELD: Record<string, string> = {
  math: 'expression',
  sql: 'query',
  code: 'code',
  fact: 'claim',
  natural_language: 'query'
}

/**
 * Builds the Verification Context of one verification. The evidence is the whole result
 * (status, message, developer_fields, the engine's own proof_ref, admission, engine); the decision
 * maps admission BLOCKED to DENY; a VERIFIED document gets the canonical proof_ref of §3.5.3.
 * Numbers JSON Schema cannot carry exactly (integers beyond 2^53) are written as strings.
 */
export function toVerificationContext (result: VcResult, claim?: unknown, options: VcOptions = {}): VerificationContextDocument {
  const parts = claimParts(claim)
  const claimHash = options.claimHash ?? null
  const formalStatement = parts?.statement ?? claimHash ?? `${result.engine} claim (not retained)`
  const interpretation: VcInterpretation = { theory: `${parts?.type ?? result.engine} verification` }
  if (parts !== null) Object.assign(interpretation, parts.interpretation)
  const proof: VcProof = {
    verifier: `qwed-middleware/${result.engine}`,
    verifier_version: options.verifierVersion ?? QWED_MIDDLEWARE_VERSION,
    configuration: encodable(parts?.configuration ?? {}) as Record<string, unknown>,
    outcome_treatment: OUTCOME_TREATMENT
  }
  const evidence: Record<string, unknown> = {
    status: result.status,
    agent_message: result.agent_message,
    developer_fields: result.developer_fields,
    proof_ref: result.proof_ref,
    is_authoritative: result.proof_ref !== null,
    admission: result.admission,
    engine: result.engine
  }
  if (claimHash !== null) evidence.claim_hash = claimHash
  const doc: VerificationContextDocument = {
    spec_version: VC_SPEC_VERSION,
    object: { formal_statement: formalStatement },
    context: {
      interpretation,
      proof,
      evidence: { evidence: encodable(evidence) as Record<string, unknown> },
      decision: { admission: result.admission === 'ADMIT' ? 'ADMIT' : 'DENY' }
    },
    verdict: result.status
  }
  if (options.sourceQuery !== undefined) {
    doc.object.formalization = { verified: false, source_query: options.sourceQuery }
    if (options.translator !== undefined) doc.object.formalization.translator = options.translator
  }
  // A document without proof is never admitted (the schema requires DENY for the fail-closed verdicts).
  if (doc.verdict !== 'VERIFIED') doc.context.decision.admission = 'DENY'
  doc.context.evidence.proof_ref = doc.verdict === 'VERIFIED' ? verificationContextProofRef(doc) : null
  return doc
}

/** The Verification Context of a stored audit row (the claim is there only with includeClaims). */
export function auditRowToVerificationContext (row: AuditRow): VerificationContextDocument {
  return toVerificationContext({
    status: row.status,
    admission: row.admission,
    agent_message: row.agent_message,
    developer_fields: row.evidence,
    proof_ref: row.proof_ref,
    engine: row.engine
  }, row.claim ?? undefined, { claimHash: row.claim_hash, verifierVersion: row.verifier_version })
}

/**
 * QWED's canonical proof_ref (§3.5.3): `sha256:` + hex SHA-256 of the RFC 8785 JSON of
 * `{formal_statement, context}` with `context.evidence.proof_ref` removed (the key, not its value).
 * Throws a TypeError when the document holds a value canonical JSON cannot encode.
 */
export function verificationContextProofRef (doc: Pick<VerificationContextDocument, 'object' | 'context'>): string {
  const { proof_ref: _omitted, ...evidence } = doc.context.evidence
  return canonicalHash({ formal_statement: doc.object.formal_statement, context: { ...doc.context, evidence } })
}

/**
 * Recomputes the proof_ref of a VERIFIED document and compares it with the one it carries.
 * Only a well-formed VERIFIED document whose proof_ref matches resolves; anything else (another
 * verdict, a missing layer, a value that cannot be encoded, a changed field) does not, and must
 * not be admitted.
 */
export function resolveVerificationContext (doc: unknown): VcResolution {
  const actualRef = (doc as { context?: { evidence?: { proof_ref?: unknown } } } | null)?.context?.evidence?.proof_ref
  const actual = typeof actualRef === 'string' ? actualRef : null
  const problem = shapeProblem(doc)
  if (problem !== null) return { resolved: false, expected: null, actual, reason: problem }
  let expected: string
  try {
    expected = verificationContextProofRef(doc as VerificationContextDocument)
  } catch (err) {
    return { resolved: false, expected: null, actual, reason: `the document cannot be canonically encoded: ${(err as Error).message}` }
  }
  if (expected !== actual) return { resolved: false, expected, actual, reason: 'proof_ref does not match the document (it was changed after it was issued)' }
  return { resolved: true, expected, actual }
}

function shapeProblem (doc: unknown): string | null {
  if (!isObject(doc)) return 'the document is not an object'
  if (doc.spec_version !== VC_SPEC_VERSION) return 'spec_version is not "1.0"'
  if (doc.verdict !== 'VERIFIED') return 'only a VERIFIED document carries a proof_ref to resolve'
  const object = doc.object
  if (!isObject(object) || typeof object.formal_statement !== 'string' || object.formal_statement === '') return 'object.formal_statement is missing'
  const context = doc.context
  if (!isObject(context)) return 'context is missing'
  const { interpretation, proof, evidence, decision } = context
  if (!isObject(interpretation) || Object.keys(interpretation).length === 0 ||
      Object.values(interpretation).some((v) => typeof v !== 'string' || v === '')) {
    return 'context.interpretation must have at least one non-empty field'
  }
  if (!isObject(proof) || !nonEmpty(proof.verifier) || !nonEmpty(proof.verifier_version)) return 'context.proof must name the verifier and its version'
  if (!isObject(evidence) || !isObject(evidence.evidence)) return 'context.evidence.evidence is missing'
  if (typeof evidence.proof_ref !== 'string' || !PROOF_REF.test(evidence.proof_ref)) return 'context.evidence.proof_ref is not sha256:<64 lowercase hex>'
  if (!isObject(decision) || (decision.admission !== 'ADMIT' && decision.admission !== 'DENY')) return 'context.decision.admission must be ADMIT or DENY'
  return null
}

interface ClaimParts {
  type: string
  statement: string
  configuration: Record<string, unknown>
  interpretation: VcInterpretation
}

function claimParts (claim: unknown): ClaimParts | null {
  if (!isObject(claim) || typeof claim.type !== 'string' || claim.type === '') return null
  const { type, ...rest } = claim
  const interpretation: VcInterpretation = {}
  if (type === 'code' && nonEmpty(rest.language)) interpretation.language = rest.language
  if (type === 'sql' && nonEmpty(rest.dialect)) interpretation.dialect = rest.dialect
  if (type === 'math' && rest.operation === undefined) interpretation.algebra_domain = rest.domain === 'complex' ? 'complex numbers' : 'real numbers'
  const field = STATEMENT_FIELD[type]
  const text = field === undefined ? undefined : rest[field]
  // Math helpers (operation: derivative, npv, ...) have no single statement field.
  if (field !== undefined && nonEmpty(text) && !(type === 'math' && rest.operation !== undefined)) {
    const { [field]: _statement, ...configuration } = rest
    let statement = text
    if (type === 'math' && configuration.expected !== undefined) {
      statement = `${text} = ${String(configuration.expected)}`
      delete configuration.expected
    }
    return { type, statement, configuration, interpretation }
  }
  // No statement field: the claim itself (canonical JSON, without its type) is the statement.
  const statement = canonicalize(toJsonSafe(rest))
  return { type, statement: statement === '{}' ? `${type} claim` : statement, configuration: {}, interpretation }
}

/** A copy inside the schema's encodable domain: JSON values, integers within ±2^53. */
function encodable (value: unknown): unknown {
  return bound(toJsonSafe(value))
}

function bound (value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) > MAX_SAFE ? String(value) : value
  if (Array.isArray(value)) return value.map(bound)
  if (isObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) Object.defineProperty(out, key, { value: bound(item), enumerable: true, writable: true, configurable: true })
    return out
  }
  return value
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function nonEmpty (value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}
