import { LRUCache } from 'lru-cache'
import type { CacheOptions } from '../types/options.js'
import type { DiagnosticResult } from '../types/result.js'

export const CACHE_DEFAULTS = { max: 10_000, ttl: 600_000 }

export interface ResultCache {
  get(key: string): DiagnosticResult | undefined
  set(key: string, result: DiagnosticResult): void
  clear(): void
}

/** Deterministic verdicts by claim key. Copies go in and out, so no caller can change a cached verdict. */
export function createResultCache (options: CacheOptions | false | undefined): ResultCache | null {
  if (options === false) return null
  const max = options?.max ?? CACHE_DEFAULTS.max
  const ttl = options?.ttl ?? CACHE_DEFAULTS.ttl
  const lru = new LRUCache<string, DiagnosticResult>({ max, ...(ttl > 0 ? { ttl } : {}) })
  return {
    get: (key) => {
      const hit = lru.get(key)
      return hit === undefined ? undefined : structuredClone(hit)
    },
    set: (key, result) => { lru.set(key, structuredClone(result)) },
    clear: () => lru.clear()
  }
}
