import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Verifier } from '../lib/verifier.js'
import type { QwedAdapterOptions, QwedInput, QwedOutcome, QwedRouteOptions, QwedWarmUpOption } from './route.js'

export type FastifyRouteQwedOptions = QwedRouteOptions<FastifyRequest, FastifyReply>

/** The plugin's options: the shared adapter options (types/route.ts), with Fastify's request and reply. */
export interface QwedPluginOptions extends QwedAdapterOptions<FastifyRequest, FastifyReply> {
  /**
   * What the plugin loads at `onReady`, before the first request (README, "Warm-up"). `true`
   * (default): the engines of the claim types the routes can produce (`claims: 'auto'`: math, code,
   * sql, schema; a `claims()` function: every engine, Z3 included). An array: exactly these claim
   * types, e.g. `['math', 'sql']` for an app whose claims() makes only those. `false`: nothing; each
   * engine loads on its first claim, inside that claim's deadline. The claim types of
   * `extraEngines` may be named too; any other name is an error at registration.
   */
  warmUp?: QwedWarmUpOption
}

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
