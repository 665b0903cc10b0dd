/**
 * Claims to QWED requests and QWED answers to verdicts, with no I/O: what each claim type sends to
 * which endpoint (reference/qwed-protocol.md §2.1, §2.3, §2.5), how a flattened DiagnosticResult is
 * read and checked (§2.2, §3.1), and the verdicts the client itself produces (auth, rate limit,
 * unreadable answers). Anything the server sends that does not fit the result model is BLOCKED
 * `remote.bad_response`, never VERIFIED.
 */
import type { Claim, CodeClaim, FactClaim, LogicClaim, LogicSort, MathClaim, NaturalLanguageClaim, SqlClaim } from '../../../types/claims.js'
import type { EngineResult } from '../../../types/engine.js'
import type { DeveloperFields, Status } from '../../../types/result.js'
import { redactSecrets } from '../../guard/redact.js'
import { admissionOf, blocked } from '../../result.js'
import type { Route } from '../descriptor.js'
import { CLAIM_TYPE_ROUTES } from '../descriptors.js'

export type { Route } from '../descriptor.js'

/** Where each claim type can be verified (from the engine descriptors). fact and natural_language exist only on a QWED server. */
export const CLAIM_ROUTES: Readonly<Record<string, readonly Route[]>> = CLAIM_TYPE_ROUTES

export type Endpoint =
  | '/verify/math' | '/verify/sql' | '/verify/code' | '/verify/fact' | '/verify/logic'
  | '/verify/natural_language' | '/verify/batch' | '/health'

/** One item of POST /verify/batch (§2.5). Only types whose batch semantics equal the single endpoint's. */
export interface BatchItem {
  query: string
  type: 'code' | 'sql' | 'fact'
  params: Record<string, string>
}

export type RemoteRequest =
  | { ok: true, endpoint: Endpoint, body: Record<string, unknown>, batchItem?: BatchItem, cacheable: boolean }
  | { ok: false, result: EngineResult }

/** The most items QWED accepts in one batch (§1.5). */
export const MAX_BATCH_ITEMS = 100

const MAX_MESSAGE = 500
const MAX_DETAIL = 300
// `\d+(?:\.\d*)?` splits a digit run one way only (`\d+\.?\d*` could split it anywhere: quadratic on a long run).
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const PROOF_REF = /^sha256:[0-9a-f]{64}$/
const STATUSES: ReadonlySet<string> = new Set<Status>(['VERIFIED', 'UNVERIFIABLE', 'BLOCKED'])
// Keys of the flattened result that are not developer fields (§2.2); `admission` comes with code and SQL.
const DIAGNOSTIC_KEYS: ReadonlySet<string> = new Set(['status', 'agent_message', 'developer_fields', 'proof_ref', 'is_authoritative', 'admission'])
// QWED's SQL endpoint takes sqlglot dialect names.
const SQL_DIALECTS: Readonly<Record<string, string>> = { postgresql: 'postgres', mysql: 'mysql', sqlite: 'sqlite' }
// Symbols LLMs print, rewritten for SymPy as the embedded math engine reads them.
const MATH_SYMBOLS: ReadonlyArray<[RegExp, string]> = [
  [/\u00d7|\u00b7|\u22c5|\u2217/g, '*'],
  [/\u00f7/g, '/'],
  [/\u2212/g, '-'],
  [/\u03c0/g, 'pi'],
  [/\u00b2/g, '**2'],
  [/\u00b3/g, '**3'],
  [/\^/g, '**']
]

// ------------------------------------------------------------------ claims -> requests

/** What a claim sends to QWED, or the verdict when QWED cannot check it as asked. */
export function mapClaim (claim: Claim): RemoteRequest {
  switch (claim.type) {
    case 'math': return mapMath(claim)
    case 'sql': return mapSql(claim)
    case 'code': return mapCode(claim)
    case 'fact': return mapFact(claim)
    case 'natural_language': return mapNaturalLanguage(claim)
    case 'logic': return mapLogic(claim)
    default: return unsupported(String((claim as { type?: unknown }).type), 'type')
  }
}

function mapMath (claim: MathClaim): RemoteRequest {
  if (claim.operation !== undefined) return unsupported('math', 'operation')
  // QWED judges equations exactly; it has no rule for a result written rounded to k places
  if (claim.roundedTo !== undefined) return unsupported('math', 'roundedTo')
  const { expression, expected, domain } = claim
  if (!nonEmpty(expression)) return invalid('expression')
  if (domain !== undefined && domain !== 'real' && domain !== 'complex') return invalid('domain')
  let text = MATH_SYMBOLS.reduce((acc, [pattern, ascii]) => acc.replace(pattern, ascii), expression.trim())
  // Python reads `%` as modulo, so `15% of 200` would mean something else on the server.
  if (text.includes('%')) return unsupported('math', 'percent')
  if (expected !== undefined) {
    const value = typeof expected === 'number' && Number.isFinite(expected) ? String(expected) : typeof expected === 'string' ? expected.trim() : ''
    if (!NUMBER.test(value)) return invalid('expected')
    if (text.includes('=')) return invalid('expected', 'an equation cannot also have an expected value')
    // QWED has no tolerance: the value must be exact, which is never looser than the claim's tolerance.
    text = `${text} = ${value}`
  }
  return request('/verify/math', { expression: text, ...(domain === 'real' ? { context: { domain: 'real' } } : {}) })
}

function mapSql (claim: SqlClaim): RemoteRequest {
  if (!nonEmpty(claim.query)) return invalid('query')
  const dialect = SQL_DIALECTS[claim.dialect ?? 'postgresql']
  if (dialect === undefined) return invalid('dialect')
  if (claim.schema !== undefined && typeof claim.schema !== 'string') return invalid('schema')
  // QWED's /verify/sql answers 400 without a schema (§2.3).
  if (!nonEmpty(claim.schema)) {
    return { ok: false, result: blocked('This SQL claim needs a schema to be checked', { constraint_id: 'remote.schema_required', field: 'schema' }) }
  }
  // The server applies its own complexity limits; tighter ones asked by the claim cannot be honoured.
  if (claim.limits !== undefined) return unsupported('sql', 'limits')
  return request('/verify/sql', { query: claim.query, schema_ddl: claim.schema, dialect }, {
    query: claim.query, type: 'sql', params: { schema_ddl: claim.schema, dialect }
  })
}

function mapCode (claim: CodeClaim): RemoteRequest {
  if (!nonEmpty(claim.code)) return invalid('code')
  if (!['python', 'javascript', 'typescript'].includes(claim.language)) return invalid('language')
  // QWED's code endpoint scans patterns only; a taint analysis asked for cannot be done there.
  if (claim.taint === true) return unsupported('code', 'taint')
  // Nor can it apply a capability policy: a claim that widens or narrows it is not sent.
  if (claim.allow !== undefined) return unsupported('code', 'allow')
  if (claim.deny !== undefined) return unsupported('code', 'deny')
  return request('/verify/code', { code: claim.code, language: claim.language }, {
    query: claim.code, type: 'code', params: { language: claim.language }
  })
}

function mapFact (claim: FactClaim): RemoteRequest {
  if (!nonEmpty(claim.claim)) return invalid('claim')
  if (!nonEmpty(claim.context)) return invalid('context')
  return request('/verify/fact', { claim: claim.claim, context: claim.context }, {
    query: claim.claim, type: 'fact', params: { context: claim.context }
  })
}

function mapNaturalLanguage (claim: NaturalLanguageClaim): RemoteRequest {
  if (!nonEmpty(claim.query)) return invalid('query')
  // An LLM translates the query on the server: its answers are not stable enough to cache.
  return request('/verify/natural_language', { query: claim.query }, undefined, false)
}

/**
 * QWED's /verify/logic takes text that an LLM turns into constraints, and answers VERIFIED when they
 * are satisfiable (§2.3). Only a satisfiability claim means the same thing there.
 */
function mapLogic (claim: LogicClaim): RemoteRequest {
  if (claim.check !== 'satisfiable') return unsupported('logic', 'check')
  if (claim.arrays !== undefined) return unsupported('logic', 'arrays')
  const { variables, constraints } = claim
  if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) return invalid('variables')
  if (!Array.isArray(constraints) || constraints.length === 0 || !constraints.every(nonEmpty)) return invalid('constraints')
  const declared = Object.entries(variables).map(([name, sort]) => `${name} (${sortName(sort)})`)
  const query = `Is there an assignment of the variables ${declared.join(', ')} that satisfies all of these constraints: ${constraints.join('; ')}?`
  return request('/verify/logic', { query }, undefined, false)
}

function sortName (sort: LogicSort): string {
  return typeof sort === 'number' ? `BitVec ${sort}` : String(sort)
}

function request (endpoint: Endpoint, body: Record<string, unknown>, batchItem?: BatchItem, cacheable = true): RemoteRequest {
  return batchItem === undefined ? { ok: true, endpoint, body, cacheable } : { ok: true, endpoint, body, batchItem, cacheable }
}

function nonEmpty (value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== ''
}

function invalid (field: string, error?: string): RemoteRequest {
  return { ok: false, result: blocked('The claim is malformed', { constraint_id: 'remote.invalid_claim', field, ...(error === undefined ? {} : { error }) }) }
}

function unsupported (type: string, feature: string): RemoteRequest {
  return {
    ok: false,
    result: blocked('This claim cannot be checked by the verification service', { constraint_id: 'remote.unsupported_claim', claim_type: type, feature })
  }
}

// ------------------------------------------------------------------ answers -> verdicts

export type Parsed = { ok: true, result: EngineResult } | { ok: false, error: string }

/**
 * Reads one DiagnosticResult, flattened (§2.2) or not (batch items, §2.5). Developer fields are the
 * `developer_fields` object plus every top-level key that is not a diagnostic key; unknown keys are
 * kept. A server-sent `admission` may only make the verdict stricter, never admit what our rule
 * (lib/result.ts admissionOf, QWED's §3.1.3) would not.
 */
export function parseDiagnostic (value: unknown): Parsed {
  if (!isPlainObject(value)) return { ok: false, error: 'the answer is not a JSON object' }
  const { status, agent_message: message, developer_fields: nested, is_authoritative: authoritative, admission } = value
  if (typeof status !== 'string' || !STATUSES.has(status)) return { ok: false, error: 'unknown status' }
  if (typeof message !== 'string' || message.trim() === '') return { ok: false, error: 'agent_message is missing' }
  if (nested !== undefined && !isPlainObject(nested)) return { ok: false, error: 'developer_fields is not an object' }
  const proof = value.proof_ref ?? null
  if (proof !== null && (typeof proof !== 'string' || !PROOF_REF.test(proof))) return { ok: false, error: 'proof_ref is malformed' }
  if (status === 'VERIFIED' && proof === null) return { ok: false, error: 'VERIFIED without proof_ref' }
  if (status !== 'VERIFIED' && proof !== null) return { ok: false, error: 'proof_ref without VERIFIED' }
  if (authoritative !== undefined && authoritative !== (proof !== null)) return { ok: false, error: 'is_authoritative contradicts proof_ref' }
  if (admission !== undefined && admission !== 'ADMIT' && admission !== 'BLOCKED') return { ok: false, error: 'admission is malformed' }

  const fields: DeveloperFields = {}
  for (const [key, field] of Object.entries(value)) {
    if (!DIAGNOSTIC_KEYS.has(key)) fields[key] = field
  }
  Object.assign(fields, nested)
  const result: EngineResult = {
    status: status as Status,
    agent_message: message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) + '…' : message,
    developer_fields: fields,
    proof_ref: proof as string | null,
    is_authoritative: proof !== null
  }
  // QWED 11+ omits `admission` on some routes: derive it, fail closed, from what was sent.
  const serverAdmission = admission === undefined ? derivedAdmission(result) : admission
  if (serverAdmission === 'BLOCKED' && admissionOf(result) === 'ADMIT') {
    // The stricter admission wins: the server refused what our rule alone would admit.
    result.developer_fields = { ...fields, is_valid: false, remote_is_valid: fields.is_valid, remote_admission: 'BLOCKED' }
  }
  result.developer_fields.admission_source = admission === undefined ? 'derived' : 'server'
  return { ok: true, result }
}

/**
 * The admission a server that did not send one means (§3.1.3), read fail closed: ADMIT only for a
 * VERIFIED answer with a proof and `is_valid: true`, and no field of the answer saying the
 * artifact is unsafe (`is_safe: false`, `malicious_classification: true`).
 */
export function derivedAdmission (result: EngineResult): 'ADMIT' | 'BLOCKED' {
  const fields = result.developer_fields
  if (fields.is_safe !== undefined && fields.is_safe !== true) return 'BLOCKED'
  if (fields.malicious_classification !== undefined && fields.malicious_classification !== false) return 'BLOCKED'
  return admissionOf(result)
}

/** Reads a batch job (§2.5): one verdict per item sent, in order; a failed item is BLOCKED. */
export function parseBatchJob (value: unknown, count: number, secrets: readonly string[]): EngineResult[] {
  const items = isPlainObject(value) ? value.items : undefined
  if (!Array.isArray(items) || items.length !== count) {
    return Array.from({ length: count }, () => badResponse('/verify/batch', 'the batch answer does not list every item'))
  }
  return items.map((item: unknown, index) => {
    if (!isPlainObject(item)) return badResponse('/verify/batch', 'a batch item is not an object')
    if (typeof item.id === 'string' && !item.id.endsWith(`-${index}`)) return badResponse('/verify/batch', 'batch items are out of order')
    if (item.status === 'failed' || item.result === null || item.result === undefined) {
      return uncacheable(blocked('The verification service could not process this claim', {
        constraint_id: 'remote.item_failed',
        error: typeof item.error === 'string' ? scrub(item.error, secrets) : null
      }))
    }
    const parsed = parseDiagnostic(item.result)
    return parsed.ok ? parsed.result : badResponse('/verify/batch', parsed.error)
  })
}

/** Parses JSON text; null when it is not JSON. */
export function parseJson (text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return null
  }
}

/** The `detail` of a FastAPI error body (§1.4): a string, or the loc/msg of a validation error list; never `input`. */
export function errorDetail (text: string | null, secrets: readonly string[]): string | null {
  if (text === null) return null
  const parsed = parseJson(text)
  if (parsed === null) return scrub(text.trim(), secrets) || null
  const detail = isPlainObject(parsed.value) ? parsed.value.detail : undefined
  if (typeof detail === 'string') return scrub(detail, secrets)
  if (Array.isArray(detail)) {
    const parts = detail.slice(0, 5).map((entry: unknown) => {
      if (!isPlainObject(entry)) return 'invalid'
      const loc = Array.isArray(entry.loc) ? entry.loc.map(String).join('.') : '?'
      return `${loc}: ${typeof entry.msg === 'string' ? entry.msg : 'invalid'}`
    })
    return scrub(parts.join('; '), secrets)
  }
  return null
}

// ------------------------------------------------------------------ the client's own verdicts

export function badResponse (endpoint: Endpoint, error: string): EngineResult {
  return uncacheable(blocked('The verification service sent an answer that could not be read', { constraint_id: 'remote.bad_response', endpoint, error }))
}

/** 401 or 403: the API key is wrong or its organization inactive. A configuration error, not an outage. */
export function authError (endpoint: Endpoint, httpStatus: number, detail: string | null): EngineResult {
  return uncacheable(blocked('The verification service refused the credentials', { constraint_id: 'remote.auth_error', endpoint, http_status: httpStatus, detail }))
}

/** 422 and other 4xx: the server rejected the request (missing key header, bad body, wrong URL). */
export function rejected (endpoint: Endpoint, httpStatus: number, detail: string | null): EngineResult {
  return uncacheable(blocked('The verification service rejected the request', { constraint_id: 'remote.rejected', endpoint, http_status: httpStatus, detail }))
}

/**
 * No request slot inside the claim's deadline: QWED answered 429 with a Retry-After past it, or the
 * client-side token bucket is empty for longer. Reported as an unavailable engine
 * (`remote.unavailable`, so onUnavailable applies), not as a breaker failure.
 */
export function rateLimited (endpoint: Endpoint, limiter: 'server' | 'client', retryAfterMs: number): EngineResult {
  const ms = Math.max(0, Math.round(retryAfterMs))
  return uncacheable(blocked('Verification is temporarily unavailable', {
    constraint_id: 'remote.unavailable',
    reason: 'rate_limited',
    limiter,
    endpoint,
    retry_after_ms: ms,
    // what a 503 should say: the server's own Retry-After, in whole seconds (absent when unknown)
    ...(ms > 0 ? { retry_after_s: Math.ceil(ms / 1000) } : {})
  }))
}

export function uncacheable (result: EngineResult): EngineResult {
  return { ...result, cacheable: false }
}

/** Secrets out first, then the cut: a cut first could leave half a key behind. */
function scrub (text: string, secrets: readonly string[]): string {
  const out = redactSecrets(text, secrets)
  return out.length > MAX_DETAIL ? out.slice(0, MAX_DETAIL) + '…' : out
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
