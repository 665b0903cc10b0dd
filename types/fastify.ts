import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Verifier } from '../lib/verifier.js'
import type { QwedAdapterOptions, QwedInput, QwedOutcome, QwedRouteOptions } from './route.js'

export type FastifyRouteQwedOptions = QwedRouteOptions<FastifyRequest, FastifyReply>

/** The plugin's options: the shared adapter options (types/route.ts), with Fastify's request and reply. */
export interface QwedPluginOptions extends QwedAdapterOptions<FastifyRequest, FastifyReply> {}

declare module 'fastify' {
  interface FastifyInstance {
    /** The verifier behind the plugin: verify(), verifyBatch(), metrics. */
    qwed: Verifier
  }
  interface FastifyRequest {
    /** What verification did to this request's response; null until a configured route has answered. */
    qwed: QwedOutcome | null
    /** The route's checked inputs (NFKC-normalised) and the injection heuristics that matched; null when the route checks none. */
    qwedInput: QwedInput | null
  }
  interface FastifyContextConfig {
    /** Verify this route's responses; `false` opts a route out explicitly. */
    qwed?: FastifyRouteQwedOptions | false
  }
}
