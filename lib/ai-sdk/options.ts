import type { ExtractOptions } from '../../types/extract.js'
import type { Mode, UnavailablePolicy, VerifierOptions } from '../../types/options.js'
import type { QwedOutcome } from '../../types/route.js'
import { QwedOptionsError } from '../errors.js'
import type { ResolvedExtractOptions } from '../extract/index.js'
import { assertKnownKeys, assertObject, describe, extractSetting, MODES, optionalBoolean, optionalFunction, optionalOneOf, optionalNumber, UNAVAILABLE_POLICIES, VERIFIER_KEYS, validateVerifierOptions } from '../options.js'
import { streamLimits } from '../stream/options.js'
import type { StreamLimits } from '../stream/verify.js'
import type { StreamOptions } from '../../types/stream.js'
import type { Verifier } from '../verifier.js'
import type { CallOptions } from './model-types.js'
import type { ToolCallClaims } from './tool-calls.js'

export interface QwedModelMiddlewareOptions extends VerifierOptions {
  /** A verifier to share (e.g. `app.qwed` of the Fastify plugin, `middleware.verifier` of Express); then no verifier option may be given here. */
  verifier?: Verifier
  /** Default 'enforce'. 'shadow' verifies behind the answer and only records; 'off' verifies nothing. */
  mode?: Mode
  /** Share of calls verified, 0..1. Default 1. */
  sampleRate?: number
  /** Feature flag per call (gets the call options); a flag that throws counts as on. */
  enabled?: (params: CallOptions) => boolean | Promise<boolean>
  /** An engine that cannot answer: 'closed' (default) refuses the answer, 'open' lets it through marked UNVERIFIED. */
  onUnavailable?: UnavailablePolicy
  /** Put developer_fields in the blocked body. Default false. */
  exposeDetails?: boolean
  /** 'auto' (default): the extractor finds the claims in the answer's text. false: the text is not read (tool calls only). */
  claims?: 'auto' | false
  /** What the extractor cannot read from the text (a SQL schema, a JSON Schema), and its caps. */
  extract?: ExtractOptions
  /** Claims in tool-call arguments; unset: tool calls pass untouched. */
  toolCalls?: ToolCallClaims
  /** Text that replaces a blocked answer instead of an error. */
  replacement?: string
  /** The label of these calls in metrics and audit records (keep it a constant). Default 'ai-sdk'. */
  route?: string
  /** Bounds on what a streamed answer may hold back while its claims are verified (maxHeldBytes, maxHoldMs); past them the unavailable policy applies. */
  stream?: StreamOptions
  /** Called with each call's outcome (in shadow mode, once the verdicts are in). */
  onOutcome?: (outcome: QwedOutcome, params: CallOptions) => void
}

export interface ResolvedMiddlewareOptions {
  mode: Mode
  sampleRate: number
  enabled: QwedModelMiddlewareOptions['enabled']
  onUnavailable: UnavailablePolicy
  exposeDetails: boolean
  claims: 'auto' | false
  extract: ResolvedExtractOptions
  toolCalls: ToolCallClaims | undefined
  replacement: string | undefined
  route: string
  onOutcome: QwedModelMiddlewareOptions['onOutcome']
  stream: StreamLimits
  /** Options for a verifier of its own; null when one is shared. */
  verifierOptions: VerifierOptions | null
  verifier: Verifier | undefined
}

export const MIDDLEWARE_KEYS = ['verifier', 'mode', 'sampleRate', 'enabled', 'onUnavailable', 'exposeDetails', 'claims', 'extract', 'toolCalls', 'replacement', 'route', 'onOutcome', 'stream'] as const

const CODE_LANGUAGES = ['python', 'javascript', 'typescript'] as const
const ROUTE_LABEL = /^[\w.:/-]{1,64}$/

/** Checks the middleware's options once, when it is created; a QwedOptionsError names the bad one. */
export function resolveMiddlewareOptions (options: QwedModelMiddlewareOptions | undefined): ResolvedMiddlewareOptions {
  const opts = (options ?? {}) as Record<string, unknown>
  assertObject(opts, 'options')
  assertKnownKeys(opts, [...VERIFIER_KEYS, ...MIDDLEWARE_KEYS], '')
  const verifier = opts.verifier as Verifier | undefined
  if (verifier !== undefined) {
    if (typeof verifier !== 'object' || verifier === null || typeof verifier.verifyBatch !== 'function') {
      throw new QwedOptionsError('verifier', 'must be a Verifier (createVerifier(), the Fastify plugin\'s app.qwed, the Express middleware\'s .verifier)')
    }
    const own = VERIFIER_KEYS.find((key) => opts[key] !== undefined)
    if (own !== undefined) throw new QwedOptionsError(own, 'configures a verifier, but verifier is shared: configure it where it was created')
  }
  const { verifier: _shared, mode, sampleRate, enabled, onUnavailable, exposeDetails, claims, extract, toolCalls, replacement, route, onOutcome, stream, ...verifierOptions } = opts
  if (claims !== undefined && claims !== 'auto' && claims !== false) throw new QwedOptionsError('claims', `must be 'auto' or false, got ${describe(claims)}`)
  if (replacement !== undefined && typeof replacement !== 'string') throw new QwedOptionsError('replacement', `must be a string, got ${describe(replacement)}`)
  if (route !== undefined && (typeof route !== 'string' || !ROUTE_LABEL.test(route))) {
    throw new QwedOptionsError('route', 'must be a short label (1 to 64 letters, digits, _ . : / -): it is a metric label')
  }
  if (claims === false && toolCalls === undefined) throw new QwedOptionsError('claims', 'is false and toolCalls is unset: nothing would be verified')
  return {
    mode: optionalOneOf(mode, MODES, 'mode') ?? 'enforce',
    sampleRate: optionalNumber(sampleRate, 'sampleRate', 0, 1) ?? 1,
    enabled: optionalFunction(enabled, 'enabled'),
    onUnavailable: optionalOneOf(onUnavailable, UNAVAILABLE_POLICIES, 'onUnavailable') ?? 'closed',
    exposeDetails: optionalBoolean(exposeDetails, 'exposeDetails') ?? false,
    claims: claims === false ? false : 'auto',
    extract: extractSetting(extract, 'extract'),
    toolCalls: validateToolCalls(toolCalls),
    replacement: replacement as string | undefined,
    route: (route as string | undefined) ?? 'ai-sdk',
    onOutcome: optionalFunction(onOutcome, 'onOutcome'),
    stream: streamLimits(stream, 'stream'),
    verifierOptions: verifier === undefined ? validateVerifierOptions(verifierOptions) : null,
    verifier
  }
}

function validateToolCalls (value: unknown): ToolCallClaims | undefined {
  if (value === undefined || typeof value === 'function') return value as ToolCallClaims | undefined
  assertObject(value, 'toolCalls')
  for (const [tool, rule] of Object.entries(value)) {
    const name = `toolCalls.${tool}`
    assertObject(rule, name)
    if (typeof rule.sql === 'string' && rule.sql !== '') {
      assertKnownKeys(rule, ['sql'], name)
      continue
    }
    if (typeof rule.code === 'string' && rule.code !== '') {
      assertKnownKeys(rule, ['code', 'language'], name)
      optionalOneOf(rule.language, CODE_LANGUAGES, `${name}.language`)
      if (rule.language === undefined) throw new QwedOptionsError(`${name}.language`, `is required with code (${CODE_LANGUAGES.join(', ')})`)
      continue
    }
    throw new QwedOptionsError(name, 'must be { sql: \'<argument>\' } or { code: \'<argument>\', language } (or toolCalls a function)')
  }
  return value as ToolCallClaims
}
