import type { Claim } from '../../types/claims.js'
import type { QwedOutcome } from '../../types/route.js'
import type { VerificationResult } from '../../types/result.js'
import { boundTo, openResponseTrace, type ResponseTraceHandle } from '../observe/tracing.js'
import { decide, outcomeStatus } from '../policy.js'
import { streamFinder } from '../stream/finder.js'
import { verifyStream, type StreamLimits, type StreamOutcome } from '../stream/verify.js'
import type { Verifier } from '../verifier.js'
import { type FoundClaims, gate, mergeMetadata, middlewareSettings, record, refusal, toolClaims, verifyFound } from './check.js'
import type { CallOptions, FinishPart, StreamPart, StreamResult, ToolCallPart } from './model-types.js'
import type { ResolvedMiddlewareOptions } from './options.js'
import { PartOrder } from './part-order.js'

// wrapStream: the answer's text goes through the stream verifier (lib/stream) as plain text; the
// other parts keep their places around it (PartOrder). Text that cannot be part of a claim flows at
// once, a claim's line or fenced block waits for its verdict, a blocked claim never leaves: the
// stream then ends with an error part (the 422 body) or the replacement text, and a finish part that
// says so. Tool calls the options name are verified before they leave.

export interface StreamContext {
  verifier: Verifier
  options: ResolvedMiddlewareOptions
  deadlineMs: number
  limits: StreamLimits
}

type ToolInputPart = Extract<StreamPart, { type: 'tool-input-start' | 'tool-input-delta' | 'tool-input-end' }>

const UNKNOWN_USAGE: FinishPart['usage'] = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined }
}

/**
 * With a response tracer listening, the answer is one response span from the gates to the stream's
 * outcome (or the model's error); the claims verified in the stream are its children.
 */
export async function verifiedStream (ctx: StreamContext, doStream: () => PromiseLike<StreamResult>, params: CallOptions): Promise<StreamResult> {
  const { verifier, options } = ctx
  const trace = openResponseTrace(verifier.metrics, { route: options.route, mode: options.mode, requestId: undefined, view: undefined })
  try {
    const settings = middlewareSettings(options)
    const passed = await gate(settings, params, ctx.deadlineMs)
    if (passed !== null) {
      trace?.outcome(passed)
      trace?.end()
      record(verifier, settings, options, passed, params)
      if (passed.decision === 'fail_closed') throw refusal(verifier, options, passed)
      return await doStream()
    }
    const result = await doStream()
    return { ...result, stream: new StreamRun(ctx, params, result.stream, trace).readable }
  } catch (err) {
    trace?.end(err)
    throw err
  }
}

class StreamRun {
  readonly readable: ReadableStream<StreamPart>
  private controller!: ReadableStreamDefaultController<StreamPart>
  private readonly order: PartOrder
  private readonly abort = new AbortController()
  private readonly reader: ReadableStreamDefaultReader<StreamPart>
  private readonly output: AsyncGenerator<Buffer, void, undefined>
  private readonly shadow: boolean
  private closed = false
  private cancelled = false
  private finishPart: FinishPart | null = null
  /** Tool calls: their results, a stop they caused, their verdicts still coming (shadow). */
  private readonly toolResults: VerificationResult[] = []
  private readonly toolsPending: Array<Promise<void>> = []
  private toolStop: 'block' | 'fail_closed' | null = null
  private readonly toolInputs = new Map<string, ToolInputPart[]>()
  private outcome: QwedOutcome | null = null

  constructor (private readonly ctx: StreamContext, private readonly params: CallOptions, model: ReadableStream<StreamPart>, private readonly trace: ResponseTraceHandle | null) {
    const { options, verifier } = ctx
    this.shadow = options.mode === 'shadow'
    this.order = new PartOrder((part) => { this.emit(part) })
    this.reader = model.getReader()
    const settings = middlewareSettings(options)
    const labels = { route: settings.route, format: 'ai-sdk' }
    const signal = params.abortSignal === undefined ? this.abort.signal : AbortSignal.any([params.abortSignal, this.abort.signal])
    this.output = verifyStream(this.source(), {
      format: 'text',
      mode: this.shadow ? 'shadow' : 'enforce',
      // The same finder as the HTTP adapters' streams: the extractor on each complete unit.
      findClaims: streamFinder(settings)?.(params) ?? null,
      verify: boundTo(trace, async (claims: readonly Claim[]) => await verifier.verifyBatch(claims, { route: settings.route, mode: settings.mode, onUnavailable: settings.onUnavailable })),
      onUnavailable: options.onUnavailable,
      sanitize: null,
      limits: ctx.limits,
      exposeDetails: options.exposeDetails,
      signal,
      onHold: (ms) => { verifier.metrics.streamHoldSeconds.observe(labels, ms / 1000) },
      onEnd: (outcome) => { this.ended(outcome) }
    })
    this.readable = new ReadableStream<StreamPart>({
      start: (controller) => { this.controller = controller },
      pull: async () => { await this.pump() },
      cancel: () => {
        // The consumer left: pending verification is no longer waited for, the model stream is cancelled.
        this.closed = true
        this.cancelled = true
        this.abort.abort()
        this.output.return().catch(() => {})
      }
    })
  }

  /** The model's text deltas, as text for the verifier; every other part is placed by PartOrder. */
  private source (): AsyncIterable<string> {
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined }
    const next = async (): Promise<IteratorResult<string>> => {
      for (;;) {
        if (this.toolStop !== null) return done
        const read = await this.reader.read()
        if (read.done === true) return done
        const part = read.value
        switch (part.type) {
          case 'text-delta': {
            const text = this.order.text(part)
            if (text !== '') return { done: false, value: text }
            continue
          }
          case 'finish':
            // Held back: it leaves last, with the verdict.
            this.finishPart = part
            continue
          case 'tool-input-start':
          case 'tool-input-delta':
          case 'tool-input-end':
            if (this.checksTool(part.type === 'tool-input-start' ? part.toolName : undefined, part.id)) this.holdToolInput(part)
            else this.order.other(part)
            continue
          case 'tool-call':
            if (await this.toolCallAdmitted(part)) continue
            await this.reader.cancel().catch(() => {})
            return done
          default:
            this.order.other(part)
        }
      }
    }
    return {
      [Symbol.asyncIterator]: () => ({
        next,
        return: async () => {
          await this.reader.cancel().catch(() => {})
          return done
        }
      })
    }
  }

  private checksTool (toolName: string | undefined, id: string): boolean {
    const spec = this.ctx.options.toolCalls
    if (spec === undefined) return false
    if (toolName === undefined) return this.toolInputs.has(id)
    return typeof spec === 'function' || Object.hasOwn(spec, toolName)
  }

  /** The streamed input of a checked tool waits with its call: the SQL is not shown before it is verified. */
  private holdToolInput (part: ToolInputPart): void {
    const held = this.toolInputs.get(part.id) ?? []
    held.push(part)
    this.toolInputs.set(part.id, held)
  }

  /** false: the call is refused and the stream stops here. */
  private async toolCallAdmitted (call: ToolCallPart): Promise<boolean> {
    const { options, verifier } = this.ctx
    const found: FoundClaims = { claims: [], refused: [] }
    const release = (): void => {
      for (const part of this.toolInputs.get(call.toolCallId) ?? []) this.order.other(part)
      this.toolInputs.delete(call.toolCallId)
      this.order.other(call)
    }
    if (options.toolCalls === undefined || call.providerExecuted === true) {
      release()
      return true
    }
    const settings = middlewareSettings(options)
    const check = async (): Promise<VerificationResult[]> => {
      await toolClaims(options, call, found)
      return await verifyFound(verifier, settings, found)
    }
    if (this.shadow) {
      release()
      this.toolsPending.push(check().then((results) => { this.toolResults.push(...results) }, () => {}))
      return true
    }
    const results = await check()
    this.toolResults.push(...results)
    if (results.length === 0) {
      release()
      return true
    }
    const decision = decide(results, 'enforce', options.onUnavailable)
    if (decision === 'block' || decision === 'fail_closed') {
      this.toolStop = decision
      return false
    }
    release()
    return true
  }

  private emit (part: StreamPart): void {
    if (!this.closed) this.controller.enqueue(part)
  }

  private async pump (): Promise<void> {
    let next: IteratorResult<Buffer>
    try {
      next = await this.output.next()
    } catch (err) {
      // The model's stream failed: what was held is not sent; the consumer gets the model's error.
      this.trace?.end(err)
      if (!this.closed) {
        this.closed = true
        this.controller.error(err)
      }
      return
    }
    if (next.done !== true) {
      this.order.release(next.value.toString('utf8'))
      return
    }
    this.finish()
  }

  /** The stream verifier's outcome, with the tool calls' results: recorded once (in shadow mode when the verdicts are in). */
  private ended (stream: StreamOutcome): void {
    const { verifier, options } = this.ctx
    verifier.metrics.streamHeldBytes.observe({ route: options.route, format: 'ai-sdk' }, stream.stream.held_bytes_max)
    const settings = middlewareSettings(options)
    // A consumer that cancelled between two reads stopped the run at a yield, where the verifier saw no abort.
    if (this.cancelled && stream.stream.stopped === null) stream = { ...stream, stream: { ...stream.stream, stopped: 'disconnect' } }
    const done = (): void => {
      this.outcome = combine(stream, this.toolResults, this.toolStop, options)
      this.trace?.outcome(this.outcome)
      this.trace?.end()
      record(verifier, settings, options, this.outcome, this.params)
    }
    if (this.shadow) {
      Promise.all(this.toolsPending).then(done, () => {})
      return
    }
    done()
  }

  /** The last parts: the model's finish (with the verdict), or the refusal and a finish that reports it. */
  private finish (): void {
    if (this.closed) return
    const outcome = this.outcome
    const refused = outcome !== null && (outcome.decision === 'block' || outcome.decision === 'fail_closed')
    if (outcome !== null && refused) {
      for (const id of this.order.drop()) this.emit({ type: 'text-end', id })
      const { options, verifier } = this.ctx
      if (outcome.decision === 'block' && options.replacement !== undefined) {
        this.emit({ type: 'text-start', id: 'qwed-replacement' })
        this.emit({ type: 'text-delta', id: 'qwed-replacement', delta: options.replacement })
        this.emit({ type: 'text-end', id: 'qwed-replacement' })
      } else {
        this.emit({ type: 'error', error: refusal(verifier, options, outcome) })
      }
      this.emit({
        type: 'finish',
        usage: this.finishPart?.usage ?? UNKNOWN_USAGE,
        finishReason: outcome.decision === 'block' ? { unified: 'content-filter', raw: 'qwed-blocked' } : { unified: 'error', raw: 'qwed-unavailable' },
        providerMetadata: mergeMetadata(this.finishPart?.providerMetadata, outcome)
      })
    } else if (this.finishPart !== null) {
      // Shadow mode: the verdict is not in yet, so the finish part says only the mode.
      const metadata = outcome === null ? { ...this.finishPart.providerMetadata, qwed: { mode: 'shadow' } } : mergeMetadata(this.finishPart.providerMetadata, outcome)
      this.emit({ ...this.finishPart, providerMetadata: metadata })
    }
    this.closed = true
    this.controller.close()
  }
}

function combine (stream: StreamOutcome, tools: readonly VerificationResult[], toolStop: 'block' | 'fail_closed' | null, options: ResolvedMiddlewareOptions): QwedOutcome {
  const results = [...stream.results, ...tools]
  const base = { stream: stream.stream }
  if (stream.decision === 'block' || stream.decision === 'fail_closed') return { ...base, mode: stream.mode, decision: stream.decision, status: outcomeStatus(results, stream.decision), results }
  if (toolStop !== null) return { ...base, mode: stream.mode, decision: toolStop, status: outcomeStatus(results, toolStop), results }
  if (results.length === 0) return { ...base, mode: options.mode, decision: 'skip', status: null, results, skipped: 'no_claims' }
  const decision = decide(results, options.mode, options.onUnavailable)
  return { ...base, mode: options.mode, decision, status: outcomeStatus(results, decision), results }
}
