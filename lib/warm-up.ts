/**
 * What an adapter warms up before it takes traffic (the Fastify plugin at onReady): the engines of
 * the claim types its routes can produce, so that no first claim loads an engine (or Z3, or the
 * pool's workers) inside its deadline. A route with `claims: 'auto'` produces the extractor's claim
 * types; a route with a claims() function can produce any type, so every engine is warmed; an app
 * with no verified route warms nothing. The plugin's `warmUp` option overrides this: `false` warms
 * nothing, an array of claim types warms exactly those (an app whose claims() only makes math
 * claims need not load Z3).
 */
import { CLAIM_TYPE_ROUTES } from './engines/descriptors.js'
import { QwedOptionsError } from './errors.js'
import { describe } from './option-checks.js'
import type { Verifier } from './verifier.js'

/** The claim types `claims: 'auto'` extracts (lib/extract: arithmetic prose, fenced code, SQL and JSON). */
export const AUTO_CLAIM_TYPES: readonly string[] = ['math', 'code', 'sql', 'schema']

export interface WarmUpPlan {
  /** Records one verified route's `claims` setting. */
  addRoute: (claims: unknown) => void
  /** The claim types to warm: undefined for every engine, [] for none. */
  claimTypes: () => readonly string[] | undefined
  /**
   * Warms the verifier's engines for the routes recorded so far, waiting at most `waitMs` (the
   * Fastify plugin: half its plugin timeout, which also bounds onReady hooks; a warm-up past it
   * would stop the app from starting on a slow machine). What is not done by then goes on in the
   * background, and claims that arrive meanwhile wait for the same loads. An engine that cannot
   * load does not stop the app: `onError` hears of it, and that engine's claims stay BLOCKED
   * (unavailable) until it loads on a later claim.
   */
  run: (verifier: Pick<Verifier, 'warmUp'>, onError: (err: unknown) => void, waitMs?: number) => Promise<void>
}

/** How long an app waits for its warm-up at startup, given a plugin timeout (0: none). */
export function warmUpWaitMs (pluginTimeoutMs: number | undefined): number {
  return pluginTimeoutMs === undefined || pluginTimeoutMs <= 0 ? Number.POSITIVE_INFINITY : pluginTimeoutMs / 2
}

/**
 * The plugin's `warmUp` option: `true` (default) what the routes use, `false` nothing (each engine
 * loads on its first claim), or the claim types to warm. Checked at registration: a misspelt claim
 * type would otherwise leave its engine cold without a word. `extraTypes`: the claim types of
 * `extraEngines`.
 */
export function validateWarmUpOption (value: unknown, extraTypes: readonly string[] = []): boolean | readonly string[] {
  if (value === undefined) return true
  if (typeof value === 'boolean') return value
  if (!Array.isArray(value)) throw new QwedOptionsError('warmUp', `must be a boolean or an array of claim types, got ${describe(value)}`)
  const known = new Set([...Object.keys(CLAIM_TYPE_ROUTES), ...extraTypes])
  for (const type of value) {
    if (typeof type !== 'string' || !known.has(type)) {
      throw new QwedOptionsError('warmUp', `${describe(type)} is not a claim type (known: ${[...known].sort().join(', ')})`)
    }
  }
  return Object.freeze([...value] as string[])
}

/** `setting`: the validated `warmUp` option; true derives the claim types from the routes. */
export function createWarmUpPlan (setting: boolean | readonly string[] = true): WarmUpPlan {
  const types = new Set<string>(Array.isArray(setting) ? setting : [])
  let all = false
  const plan: WarmUpPlan = {
    addRoute (claims) {
      if (setting !== true) return
      if (claims === 'auto') for (const type of AUTO_CLAIM_TYPES) types.add(type)
      else if (claims !== undefined) all = true
    },
    claimTypes: () => all ? undefined : [...types],
    async run (verifier, onError, waitMs = Number.POSITIVE_INFINITY) {
      const selected = plan.claimTypes()
      if (selected !== undefined && selected.length === 0) return
      const warming = verifier.warmUp(selected).catch(onError)
      if (!Number.isFinite(waitMs)) {
        await warming
        return
      }
      let timer: NodeJS.Timeout | undefined
      await Promise.race([warming, new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs) })])
      clearTimeout(timer)
    }
  }
  return plan
}

/**
 * A warm-up that starts by itself (the Express middleware, which has no ready hook): each call
 * schedules one run for the next turn of the event loop, so the routes declared together are warmed
 * together, and a route declared later runs it again (engines already loaded answer at once). Not
 * after close() began: nothing is loaded for a verifier that is going away.
 */
export function backgroundWarmUp (plan: WarmUpPlan, verifier: Pick<Verifier, 'warmUp' | 'status'>, onError: (err: unknown) => void): () => void {
  let scheduled = false
  return () => {
    if (scheduled) return
    scheduled = true
    setImmediate(() => {
      scheduled = false
      // run() hands a failed load to onError itself; this catch only keeps a rejection from going unhandled
      if (!verifier.status().closing) plan.run(verifier, onError).catch(() => {})
    })
  }
}
