import type { BaseLogger } from 'pino'
import type { Registry } from 'prom-client'
import type { AuditStore } from '../lib/observe/store/index.js'
import type { Engine } from './engine.js'
import type { ClaimLimitsOptions } from './input.js'

/** enforce: block what is not admitted; shadow: verify and record, never change the response; off: skip. */
export type Mode = 'enforce' | 'shadow' | 'off'

/** What happens when an engine cannot answer (breaker open, timeout, crash): 503, or pass marked UNVERIFIED. */
export type UnavailablePolicy = 'closed' | 'open'

/** The part of a pino logger the audit trail uses; Fastify's request.log fits. */
export type QwedLogger = Pick<BaseLogger, 'info' | 'warn' | 'error'>

export interface CacheOptions {
  /** Most results kept (LRU). Default 10,000. */
  max?: number
  /** Time to live of a cached result in ms. Default 600,000 (10 minutes); 0 keeps results until evicted. */
  ttl?: number
  /**
   * A second tier in Redis, shared by every replica (needs the optional package ioredis). The
   * in-process LRU stays the first tier; Redis is asked only on a first-tier miss. See docs/fleet.md.
   */
  redis?: RedisCacheOptions
}

/**
 * The part of a Redis client the shared cache and the shared quota use; an ioredis `Redis`
 * instance fits. A client you pass is yours: close() leaves it open.
 */
export interface RedisClientLike {
  get(key: string): Promise<string | null>
  // `any`: ioredis declares these as long overload lists, which a narrower rest type would not accept.
  set(key: string, value: string, ...args: any[]): Promise<unknown>
  eval(script: string, numKeys: number, ...args: any[]): Promise<unknown>
}

export interface RedisCacheOptions {
  /** redis:// or rediss:// URL; a new ioredis client is made (and closed with the verifier). Give url or client. */
  url?: string
  /** A connected client (ioredis); used as is and not closed by the verifier. */
  client?: RedisClientLike
  /** Key prefix; give each deployment whose engines or options differ its own. Default 'qwed:cache:'. */
  prefix?: string
  /**
   * HMAC-SHA256 key (at least 32 characters) that authenticates every entry; default: the
   * QWED_CACHE_SECRET environment variable. Required: without it registration fails. Never logged.
   */
  secret?: string
  /**
   * Redis down or slow: 'open' (default) answers from the first tier and the engines; 'closed'
   * answers BLOCKED `<engine>.unavailable` (reason cache_unavailable) for first-tier misses.
   */
  onError?: 'open' | 'closed'
  /** Longest wait for one Redis command, in ms; past it the command counts as an error. Default 100 (a loaded 2-CPU box stalls the event loop for tens of ms). */
  commandTimeoutMs?: number
}

/** opossum options, one breaker per engine. */
export interface BreakerOptions {
  /** Deadline of one verification in ms; past it the claim is BLOCKED as unavailable. Default 2,000. */
  timeout?: number
  /** Failure percentage (of the rolling window) that opens the breaker. Default 50. */
  errorThresholdPercentage?: number
  /** ms the breaker stays open before a trial call (also the Retry-After of a 503). Default 30,000. */
  resetTimeout?: number
  /** Calls in the window before the breaker may open. Default 10. */
  volumeThreshold?: number
}

export interface MetricsOptions {
  /** A prom-client Registry to register on; default: a private one per verifier. */
  registry?: Registry
}

export interface AuditOptions {
  /** pino logger for audit records. Fastify default: request.log; Express: pino-http's req.log when present; otherwise the default audit log, pino's line format on stdout, gathered into writes of about 4 KB (README, "Audit records"). */
  logger?: QwedLogger
  /** Put the claim itself (not only its hash) in each record (log line and store). Default false: claims may hold PII. */
  includeClaims?: boolean
  /**
   * Also keep every record in a tamper-evident store: 'sqlite' (a file at `path`; needs the optional
   * package better-sqlite3), 'postgres' (a database at `url` or through `pool`; needs the optional
   * package pg; see docs/fleet.md), or your own AuditStore. Default: none (log lines only).
   */
  store?: 'sqlite' | 'postgres' | AuditStore
  /** File of the SQLite store (created if missing). Required with store: 'sqlite'. */
  path?: string
  /** postgres:// URL of the PostgreSQL store (give url or pool). Never logged. */
  url?: string
  /** A pg Pool of the app's for the PostgreSQL store; used as is, not ended by close(). */
  pool?: PgPoolLike
  /** PostgreSQL schema of the audit tables (created if missing). Default 'public'. */
  schema?: string
  /** Prune store rows older than this many days (hourly), keeping the chain verifiable. Default: keep everything. */
  retentionDays?: number
  /** The in-memory queue in front of the store. */
  queue?: AuditQueueOptions
  /**
   * When a record must be in the store (needs `store`): 'async' (default) writes it behind the
   * response, in batches; 'before-response' holds the response until its records are stored, and a
   * record that cannot be stored makes the claim unavailable (`audit.unavailable`, 503 by default).
   * What each can lose: docs/compliance.md.
   */
  durability?: 'async' | 'before-response'
}

/** The part of a pg Pool the PostgreSQL audit store uses; a `pg.Pool` fits. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>
  query(text: string, values?: any[]): Promise<{ rows: any[] }>
}

export interface PgClientLike {
  query(text: string, values?: any[]): Promise<{ rows: any[], rowCount: number | null }>
  release(err?: Error | boolean): void
}

/** Records wait in a bounded queue and are written in batches, one transaction each, off the request path. */
export interface AuditQueueOptions {
  /** Records held in memory at most. Default 10,000. */
  max?: number
  /** Records written per transaction; a full batch is written on the next tick. Default 500. */
  batchSize?: number
  /** Longest a record waits before a partial batch is written, in ms. Default 100. */
  flushIntervalMs?: number
  /**
   * When the queue is full: 'block' (verify() waits until the record is queued: nothing is lost),
   * 'drop_oldest' (the oldest queued record is dropped), 'reject' (the new record is dropped).
   * Every drop is counted in qwed_audit_dropped_total{reason} and logged. Default 'block'.
   */
  onFull?: 'block' | 'drop_oldest' | 'reject'
}

/** A QWED server used for some or all claim types (see `engines`). */
export interface RemoteOptions {
  /** Base URL, e.g. http://127.0.0.1:8000 */
  url: string
  /** Sent as X-API-Key; defaults to the QWED_API_KEY environment variable. Never logged. */
  apiKey?: string
  /** Deadline of one claim, retries included, in ms. Default 3,000. */
  timeoutMs?: number
  /** Retries of a 5xx, network error or timeout. Default 2. */
  retries?: number
  /** Client-side rate limit so the app stays inside its QWED quota. Default 100. */
  ratePerMinute?: number
  /**
   * Requests in flight at most (the size of the connection pool); a claim waits for a free one
   * locally and is answered busy when its deadline passes first. Default: what the rate needs when
   * every request takes the whole deadline, ceil(ratePerMinute / 60 * timeoutMs / 1000), between 32 and 256.
   */
  connections?: number
  /** Keep that limit in Redis, shared by every replica with the same API key (docs/fleet.md). Default: per process. */
  quota?: RemoteQuotaOptions
}

export interface RemoteQuotaOptions {
  redis: {
    /** redis:// URL (a client is made and closed with the verifier), or `client` (the app's). */
    url?: string
    client?: RedisClientLike
    /** Key prefix. Default 'qwed:quota:'. */
    prefix?: string
    /** Longest wait for one reservation, in ms; past it this replica's own limit decides. Default 100. */
    commandTimeoutMs?: number
  }
}

/** Worker pool for CPU-bound engines. */
export interface PoolOptions {
  /** Hard deadline of one claim in a worker, in ms; past it the claim is BLOCKED `<engine>.timeout`. Default 250. */
  deadlineMs?: number
  /** Worker threads. Default 2. */
  threads?: number
  /** Claims that may wait for a free worker; one more is answered busy at once (`<engine>.unavailable`, reason `busy`). Default 256. */
  maxQueue?: number
}

export interface VerifierOptions {
  /** Result cache; `false` turns it off. */
  cache?: CacheOptions | false
  breaker?: BreakerOptions
  metrics?: MetricsOptions
  /** One audit record per verification; `false` turns records off. */
  audit?: AuditOptions | false
  /** Largest claim accepted, in bytes of canonical JSON. Default 1,048,576 (the same as `limits['*'].maxBytes`). */
  maxClaimBytes?: number
  /**
   * Size limits per claim type (longest text field, nesting depth, longest array, total bytes), checked
   * before any engine runs; `'*'` sets them for every type. Defaults and caps: docs/security-input.md.
   */
  limits?: ClaimLimitsOptions
  /** Engines added to the embedded ones; an engine replaces the embedded one for the claim types it lists. */
  extraEngines?: ReadonlyArray<Engine<any>>
  /** Values that must never appear in a log line (API keys); each is replaced by [REDACTED]. */
  secrets?: readonly string[]
  /** A QWED server; claim types routed to it by `engines`. */
  remote?: RemoteOptions
  /** Where each claim type is verified: 'local' (embedded engine) or 'remote'. Default: local where one exists. */
  engines?: Record<string, 'local' | 'remote'>
  /** Worker pool for CPU-bound engines: off unless given (`{}` turns it on with the defaults); see docs/pool.md. */
  pool?: PoolOptions | false
  /**
   * OpenTelemetry spans (optional package @opentelemetry/api): on when an SDK has registered a tracer
   * provider before the verifier is created, or with `enabled: true`; `false` never loads it. See docs/observability.md.
   */
  tracing?: TracingOptions | false
}

/** The readiness and liveness routes (docs/observability.md). */
export interface HealthOptions {
  /** Readiness path (liveness: `<path>/live`); null serves neither. Default '/qwed/health'. */
  path?: string | null
  /** Longest wait for the audit store's and the QWED server's answers, in ms. Default 1,000. */
  timeoutMs?: number
  /** How long one readiness answer is reused, in ms (so the route cannot flood the database or the QWED server). Default 1,000. */
  cacheMs?: number
}

/** One span per verified response and one child per claim, named after the GenAI security draft (docs/observability.md). */
export interface TracingOptions {
  /** true: trace (and fail at registration when @opentelemetry/api is missing); false: never. Default: when a provider is registered. */
  enabled?: boolean
  /** Which names: 'gen_ai_security_development' (default; the OpenTelemetry GenAI security draft) or 'qwed_v1' (our own, stable). */
  semconv?: 'gen_ai_security_development' | 'qwed_v1'
  /** Put the claim itself on claim spans (secrets redacted, at most 4,096 characters). Default false: claims may hold PII. */
  includeClaims?: boolean
  /** A TracerProvider to use instead of the global one (tests, several providers). */
  tracerProvider?: { getTracer(name: string, version?: string): unknown }
}

/** Where a verification came from; used for metric labels and audit records. */
export interface VerifyContext {
  /** Route pattern (never the raw URL). Default `__direct__`. */
  route?: string
  mode?: Mode
  onUnavailable?: UnavailablePolicy
  requestId?: string
  /** Logger for the audit record when no audit.logger is configured (Fastify passes request.log). */
  logger?: QwedLogger
}

export interface BatchOptions {
  /** Claims verified at once. Default 4. */
  concurrency?: number
}
