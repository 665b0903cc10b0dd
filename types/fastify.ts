import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Verifier } from '../lib/verifier.js'
import type { Mode, UnavailablePolicy, VerifierOptions, MetricsOptions } from './options.js'
import type { QwedOutcome, QwedRouteOptions } from './route.js'

export type FastifyRouteQwedOptions = QwedRouteOptions<FastifyRequest, FastifyReply>

export interface QwedPluginOptions extends VerifierOptions {
  /** Default mode of configured routes. Default 'enforce'. */
  mode?: Mode
  /** Share of requests verified, 0..1. Default 1. */
  sampleRate?: number
  /** Feature flag for every configured route; a route's own `enabled` replaces it. */
  enabled?: FastifyRouteQwedOptions['enabled']
  /** Default 'closed' (503 + Retry-After). */
  onUnavailable?: UnavailablePolicy
  onBlocked?: FastifyRouteQwedOptions['onBlocked']
  /** Put developer_fields (rule evidence) in 422 bodies. Default false: they can reveal rule internals. */
  exposeDetails?: boolean
  metrics?: MetricsOptions & {
    /** Path of the Prometheus endpoint; null registers none. Default '/metrics'. */
    endpoint?: string | null
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The verifier behind the plugin: verify(), verifyBatch(), metrics. */
    qwed: Verifier
  }
  interface FastifyRequest {
    /** What verification did to this request's response; null until a configured route has answered. */
    qwed: QwedOutcome | null
  }
  interface FastifyContextConfig {
    /** Verify this route's responses; `false` opts a route out explicitly. */
    qwed?: FastifyRouteQwedOptions | false
  }
}
