import { Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client'

export type BreakerStateValue = 0 | 1 | 2

/** The qwed_* metrics of one verifier (and the adapters that use it). Labels are bounded by design. */
export interface QwedMetrics {
  readonly registry: Registry
  readonly verifications: Counter<'engine' | 'route' | 'status' | 'admission' | 'mode'>
  readonly duration: Histogram<'engine' | 'cached'>
  readonly cacheEvents: Counter<'tier' | 'event'>
  readonly breakerState: Gauge<'engine'>
  readonly blockedResponses: Counter<'route' | 'mode'>
  readonly unavailable: Counter<'route' | 'policy'>
  readonly engineErrors: Counter<'engine' | 'reason'>
  readonly inputRejected: Counter<'route' | 'rule' | 'mode'>
  readonly inputFlags: Counter<'route' | 'rule'>
  readonly sanitized: Counter<'kind'>
  readonly unchecked: Counter<'route' | 'reason'>
  /** Streamed answers: the most text held back at once in one stream. */
  readonly streamHeldBytes: Histogram<'route' | 'format'>
  /** Streamed answers: how long a unit with claims was held, from its oldest held byte to its verdict. */
  readonly streamHoldSeconds: Histogram<'route' | 'format'>
}

/** The metric already registered under `name` on `registry`, or a new one: registering twice never throws. */
export function reuseMetric<M> (registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make()
}

/**
 * Registers the metrics on `registry` (a private one by default). Registering twice on the same
 * registry reuses the metrics already there instead of throwing, so two verifiers can share one.
 */
export function createMetrics (registry: Registry = new Registry()): QwedMetrics {
  const reuse = <M>(name: string, make: () => M): M => reuseMetric(registry, name, make)
  const registers = [registry]
  return {
    registry,
    verifications: reuse('qwed_verifications_total', () => new Counter({
      name: 'qwed_verifications_total',
      help: 'Claims verified, by engine, route pattern, status, admission and mode',
      labelNames: ['engine', 'route', 'status', 'admission', 'mode'] as const,
      registers
    })),
    duration: reuse('qwed_verification_duration_seconds', () => new Histogram({
      name: 'qwed_verification_duration_seconds',
      help: 'Time to verify one claim',
      labelNames: ['engine', 'cached'] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers
    })),
    cacheEvents: reuse('qwed_cache_events_total', () => new Counter({
      name: 'qwed_cache_events_total',
      help: 'Result cache events by tier (local, redis): hit, miss, store; redis also forged, invalid, error, timeout, skipped',
      labelNames: ['tier', 'event'] as const,
      registers
    })),
    breakerState: reuse('qwed_breaker_state', () => new Gauge({
      name: 'qwed_breaker_state',
      help: 'Circuit breaker state per engine: 0 closed, 1 half-open, 2 open',
      labelNames: ['engine'] as const,
      registers
    })),
    blockedResponses: reuse('qwed_blocked_responses_total', () => new Counter({
      name: 'qwed_blocked_responses_total',
      help: 'Responses that were not admitted, by route pattern and mode (shadow: would have been blocked)',
      labelNames: ['route', 'mode'] as const,
      registers
    })),
    unavailable: reuse('qwed_unavailable_total', () => new Counter({
      name: 'qwed_unavailable_total',
      help: 'Responses whose verification could not run, by route pattern and fail policy',
      labelNames: ['route', 'policy'] as const,
      registers
    })),
    engineErrors: reuse('qwed_engine_errors_total', () => new Counter({
      name: 'qwed_engine_errors_total',
      help: 'Claims an engine could not judge: breaker_open, timeout or engine_error',
      labelNames: ['engine', 'reason'] as const,
      registers
    })),
    inputRejected: reuse('qwed_input_rejected_total', () => new Counter({
      name: 'qwed_input_rejected_total',
      help: 'Request inputs that failed a rule, by route pattern, rule and mode (shadow: recorded, not refused)',
      labelNames: ['route', 'rule', 'mode'] as const,
      registers
    })),
    inputFlags: reuse('qwed_input_flags_total', () => new Counter({
      name: 'qwed_input_flags_total',
      help: 'Prompt-injection heuristics that matched a request input, by route pattern and rule',
      labelNames: ['route', 'rule'] as const,
      registers
    })),
    sanitized: reuse('qwed_sanitized_total', () => new Counter({
      name: 'qwed_sanitized_total',
      help: 'Replacements made in outgoing payloads, by kind: html, email, phone, ssn, card, iban, ip, secret',
      labelNames: ['kind'] as const,
      registers
    })),
    unchecked: reuse('qwed_unchecked_responses_total', () => new Counter({
      name: 'qwed_unchecked_responses_total',
      help: 'Responses sent without verification, by route pattern and reason (no_claims, sampled_out, flag_off, off, ...)',
      labelNames: ['route', 'reason'] as const,
      registers
    })),
    streamHeldBytes: reuse('qwed_stream_held_bytes', () => new Histogram({
      name: 'qwed_stream_held_bytes',
      help: 'Most text (bytes) a streamed answer held back at once while its claims were verified, by route pattern and format',
      labelNames: ['route', 'format'] as const,
      buckets: [0, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
      registers
    })),
    streamHoldSeconds: reuse('qwed_stream_hold_seconds', () => new Histogram({
      name: 'qwed_stream_hold_seconds',
      help: 'Time a unit of a streamed answer with claims was held before its verdict, by route pattern and format',
      labelNames: ['route', 'format'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    }))
  }
}

/**
 * Counts kept as plain numbers per label set and added to their prom-client counter when the
 * counter is read (its collect hook, which every scrape and `get()` runs), so a count on the hot
 * path is one Map lookup instead of prom-client's label hashing and validation. A reset of the
 * counter drops what was pending. One tally per counter, shared by every verifier that uses it.
 */
export class CounterTally<L extends string> {
  readonly #counter: Counter<L>
  readonly #names: readonly L[]
  readonly #pending = new Map<string, { labels: LabelValues<L>, n: number }>()

  constructor (counter: Counter<L>) {
    this.#counter = counter
    this.#names = (counter as unknown as { labelNames: readonly L[] }).labelNames
    const hooks = counter as unknown as { collect?: () => unknown, reset: () => void }
    const collect = hooks.collect
    hooks.collect = () => {
      this.flush()
      return collect?.call(counter)
    }
    const reset = hooks.reset
    hooks.reset = () => {
      this.#pending.clear()
      reset.call(counter)
    }
  }

  /** Counts one for `labels` (label values are the counter's bounded ones). */
  inc (labels: LabelValues<L>): void {
    let key = ''
    for (const name of this.#names) key += String(labels[name]) + '\u0000'
    const entry = this.#pending.get(key)
    if (entry === undefined) this.#pending.set(key, { labels: { ...labels }, n: 1 })
    else entry.n++
  }

  /** Hands the pending counts to prom-client. */
  flush (): void {
    for (const entry of this.#pending.values()) {
      if (entry.n === 0) continue
      this.#counter.inc(entry.labels, entry.n)
      entry.n = 0
    }
  }
}

const tallies = new WeakMap<object, CounterTally<string>>()

/** The tally of `counter`, made on first use. */
export function tallyOf<L extends string> (counter: Counter<L>): CounterTally<L> {
  let tally = tallies.get(counter) as CounterTally<L> | undefined
  if (tally === undefined) {
    tally = new CounterTally(counter)
    tallies.set(counter, tally as unknown as CounterTally<string>)
  }
  return tally
}
