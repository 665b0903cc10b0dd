import type { RedisClientLike } from '../../types/options.js'
import { loadOptionalPeer } from '../optional-peer.js'

/** A Redis connection for the shared cache or the shared quota: ours to close, or the app's. */
export interface RedisConnection {
  readonly client: RedisClientLike
  /**
   * 'ready': commands go out now; 'starting': the first connection is still being made;
   * 'down': it was connected and is reconnecting (or closed). 'ready' when the client does not say.
   */
  state(): 'ready' | 'starting' | 'down'
  /** Resolves true once the client is ready, false after `ms` (never rejects). */
  whenReady(ms: number): Promise<boolean>
  /** Closes the client when we made it; leaves the app's own client open. */
  close(): Promise<void>
}

export interface RedisConnectionOptions {
  url?: string
  client?: RedisClientLike
  /** ioredis's own command timeout for a client we make, in ms. */
  commandTimeoutMs: number
  /** Errors of a client we make (connection refused, reset): counted, never thrown. */
  onClientError?: (err: unknown) => void
}

interface IoRedisModule {
  Redis: new (url: string, options: Record<string, unknown>) => RedisClientLike & {
    on(event: 'error' | 'ready', listener: (err: unknown) => void): unknown
    quit(): Promise<unknown>
    disconnect(): void
  }
}

/**
 * The app's client, or a new ioredis client for `url` set up to fail fast: each command has a
 * timeout, a command is not retried on another connection, and the client reconnects by itself
 * with a capped backoff.
 */
export function connectRedis (options: RedisConnectionOptions, feature: string): RedisConnection {
  if (options.client !== undefined) {
    const client = options.client
    return { client, state: () => stateOf(client, true), whenReady: async (ms) => await readyWithin(client, ms), close: async () => {} }
  }
  const { Redis } = loadOptionalPeer<IoRedisModule>('ioredis', feature)
  const client = new Redis(options.url as string, {
    // Nothing waits for a connection that is not there: callers check state() and fall back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 1_000,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    lazyConnect: false
  })
  // Without a listener ioredis prints every connection error; ours counts them instead.
  client.on('error', (err) => options.onClientError?.(err))
  let everReady = false
  client.on('ready', () => { everReady = true })
  return {
    client,
    state: () => stateOf(client, everReady),
    whenReady: async (ms) => await readyWithin(client, ms),
    close: async () => {
      try {
        await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 200).unref())])
      } catch {}
      client.disconnect()
    }
  }
}

/** Whether `url` is a Redis URL (no credentials are ever echoed in an error about it). */
export function isRedisUrl (url: unknown): url is string {
  if (typeof url !== 'string') return false
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'redis:' || parsed.protocol === 'rediss:'
  } catch {
    return false
  }
}

interface StatusClient {
  status?: unknown
  once?: (event: 'ready', listener: () => void) => unknown
  off?: (event: 'ready', listener: () => void) => unknown
}

function stateOf (client: RedisClientLike, everReady: boolean): 'ready' | 'starting' | 'down' {
  const status = (client as StatusClient).status
  if (typeof status !== 'string' || status === 'ready') return 'ready'
  return everReady || status === 'end' || status === 'close' || status === 'reconnecting' ? 'down' : 'starting'
}

async function readyWithin (client: RedisClientLike, ms: number): Promise<boolean> {
  const c = client as StatusClient
  if (typeof c.status !== 'string' || c.status === 'ready') return true
  if (typeof c.once !== 'function') return false
  return await new Promise<boolean>((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer)
      resolve(true)
    }
    const timer = setTimeout(() => {
      c.off?.('ready', onReady)
      resolve(false)
    }, ms)
    c.once?.('ready', onReady)
  })
}
