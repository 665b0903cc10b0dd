/**
 * `qwed-middleware/ai-sdk`: a language-model middleware for the AI SDK (`ai@6`,
 * `wrapLanguageModel({ model, middleware: qwedModelMiddleware(options) })`). See docs/ai-sdk.md.
 */
import { responseDeadlineMs } from '../runner.js'
import { createVerifier, type Verifier } from '../verifier.js'
import { verifyGenerated } from './generate.js'
import { verifiedStream } from './stream.js'
import type { LanguageModelMiddleware } from './model-types.js'
import { type QwedModelMiddlewareOptions, resolveMiddlewareOptions } from './options.js'

export { QwedBlockedError, QwedUnavailableError } from './errors.js'
export type { QwedModelMiddlewareOptions } from './options.js'
export type { ToolCallClaims, ToolArgumentClaim, ToolCallInfo } from './tool-calls.js'

export type QwedModelMiddleware = LanguageModelMiddleware & {
  /** The verifier behind the middleware (shared or its own). */
  readonly verifier: Verifier
  /** Closes the verifier when the middleware created it; a shared one is left to its owner. */
  close: () => Promise<void>
}

/** Creates the middleware; its options are checked now (a QwedOptionsError names a bad one). */
export function qwedModelMiddleware (options?: QwedModelMiddlewareOptions): QwedModelMiddleware {
  const resolved = resolveMiddlewareOptions(options)
  const own = resolved.verifier === undefined
  const verifier = resolved.verifier ?? createVerifier(resolved.verifierOptions ?? {})
  const deadlineMs = responseDeadlineMs(resolved.verifierOptions?.breaker)
  const ctx = { verifier, options: resolved, deadlineMs, limits: resolved.stream }
  return {
    specificationVersion: 'v3',
    verifier,
    close: async () => { if (own) await verifier.close() },
    wrapGenerate: async ({ doGenerate, params }) => await verifyGenerated(ctx, await doGenerate(), params),
    wrapStream: async ({ doStream, params }) => await verifiedStream(ctx, doStream, params)
  }
}
