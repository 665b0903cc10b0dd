import { Counter, Gauge, Registry } from 'prom-client'
import { reuseMetric } from '../../observe/metrics.js'

/** The remote engine's metrics. Labels are bounded: a fixed endpoint path, an HTTP status or error kind. */
export interface RemoteMetrics {
  readonly requests: Counter<'endpoint' | 'code'>
  readonly retries: Counter<'reason'>
  readonly quotaRemaining: Gauge
}

/** Registers the qwed_remote_* metrics on the verifier's registry (reusing them when already there). */
export function createRemoteMetrics (registry: Registry = new Registry()): RemoteMetrics {
  const reuse = <M>(name: string, make: () => M): M => reuseMetric(registry, name, make)
  const registers = [registry]
  return {
    requests: reuse('qwed_remote_requests_total', () => new Counter({
      name: 'qwed_remote_requests_total',
      help: 'Requests to the QWED server, by endpoint and HTTP status (or network_error, timeout)',
      labelNames: ['endpoint', 'code'] as const,
      registers
    })),
    retries: reuse('qwed_remote_retries_total', () => new Counter({
      name: 'qwed_remote_retries_total',
      help: 'Requests to the QWED server sent again, by reason: server_error, network_error, rate_limited (a timed-out request is never sent again)',
      labelNames: ['reason'] as const,
      registers
    })),
    quotaRemaining: reuse('qwed_remote_quota_remaining', () => new Gauge({
      name: 'qwed_remote_quota_remaining',
      help: 'Requests the client-side rate limit still allows in the current minute (0 after a 429)',
      registers
    }))
  }
}
