import type { QwedOutcome } from '../../types/route.js'
import { withDeadline } from '../deadline.js'
import { deadlineOutcome } from '../outcome.js'
import { traceResponse, type TracedRun } from '../observe/tracing.js'
import type { Verifier } from '../verifier.js'
import { type FoundClaims, gate, mergeMetadata, outcomeOf, record as recordOutcome, refusal, textClaims, toolClaims, verifyFound, middlewareSettings } from './check.js'
import type { CallOptions, Content, GenerateResult } from './model-types.js'
import type { ResolvedMiddlewareOptions } from './options.js'

// wrapGenerate: the whole answer is there, so it is checked as one body: the claims of its text parts
// (and of the tool calls the options name), verified under one deadline, then admitted, refused
// (QwedBlockedError / QwedUnavailableError, or the replacement text) or, in shadow mode, recorded.

export interface GenerateContext {
  verifier: Verifier
  options: ResolvedMiddlewareOptions
  deadlineMs: number
}

/** With a response tracer listening, the answer is one response span; its claims are the span's children. */
export async function verifyGenerated (ctx: GenerateContext, result: GenerateResult, params: CallOptions): Promise<GenerateResult> {
  const traced: TracedRun = { verifier: ctx.verifier, settings: ctx.options, requestId: undefined, record: () => {} }
  const texts = result.content.flatMap((part) => part.type === 'text' ? [part.text] : [])
  return await traceResponse(traced, texts, async () => await decideGenerated(ctx, result, params, traced))
}

async function decideGenerated (ctx: GenerateContext, result: GenerateResult, params: CallOptions, traced: TracedRun): Promise<GenerateResult> {
  const { verifier, options } = ctx
  const settings = middlewareSettings(options)
  const record = (outcome: QwedOutcome): void => {
    traced.record(outcome)
    recordOutcome(verifier, settings, options, outcome, params)
  }
  const passed = await gate(settings, params, ctx.deadlineMs)
  if (passed !== null) {
    record(passed)
    if (passed.decision === 'fail_closed') throw refusal(verifier, options, passed)
    return passed.decision === 'fail_open' ? { ...result, providerMetadata: mergeMetadata(result.providerMetadata, passed) } : result
  }
  if (options.mode === 'shadow') {
    // The answer leaves now; the verdict is recorded when it arrives.
    check(ctx, result.content).then((outcome) => { record(outcome) }, () => {})
    return result
  }
  const outcome = await withDeadline(check(ctx, result.content), ctx.deadlineMs, () => deadlineOutcome(settings, ctx.deadlineMs))
  record(outcome)
  switch (outcome.decision) {
    case 'admit':
    case 'fail_open':
      return { ...result, providerMetadata: mergeMetadata(result.providerMetadata, outcome) }
    case 'block':
      if (options.replacement !== undefined) return replaced(result, options.replacement, outcome)
      throw refusal(verifier, options, outcome)
    case 'fail_closed':
      throw refusal(verifier, options, outcome)
    default:
      return result
  }
}

async function check (ctx: GenerateContext, content: readonly Content[]): Promise<QwedOutcome> {
  const found: FoundClaims = { claims: [], refused: [] }
  textClaims(ctx.options, content.flatMap((part) => part.type === 'text' ? [part.text] : []), found)
  for (const part of content) {
    // A call the provider already ran cannot be stopped: it is not checked (as in a stream).
    if (part.type === 'tool-call' && part.providerExecuted !== true) await toolClaims(ctx.options, part, found)
  }
  return outcomeOf(middlewareSettings(ctx.options), await verifyFound(ctx.verifier, middlewareSettings(ctx.options), found))
}

/** The blocked answer becomes the replacement text alone: its tool calls are not run either. */
function replaced (result: GenerateResult, text: string, outcome: QwedOutcome): GenerateResult {
  return {
    ...result,
    content: [{ type: 'text', text }],
    finishReason: { unified: 'content-filter', raw: 'qwed-blocked' },
    providerMetadata: mergeMetadata(result.providerMetadata, outcome)
  }
}
