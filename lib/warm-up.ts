/**
 * What an adapter warms up before it takes traffic (the Fastify plugin at onReady): the engines of
 * the claim types its routes can produce, so that no first claim loads an engine (or Z3, or the
 * pool's workers) inside its deadline. A route with `claims: 'auto'` produces the extractor's claim
 * types; a route with a claims() function can produce any type, so every engine is warmed; an app
 * with no verified route warms nothing.
 */
import type { Verifier } from './verifier.js'

/** The claim types `claims: 'auto'` extracts (lib/extract: arithmetic prose, fenced code, SQL and JSON). */
export const AUTO_CLAIM_TYPES: readonly string[] = ['math', 'code', 'sql', 'schema']

export interface WarmUpPlan {
  /** Records one verified route's `claims` setting. */
  addRoute: (claims: unknown) => void
  /** The claim types to warm: undefined for every engine, [] for none. */
  claimTypes: () => readonly string[] | undefined
  /**
   * Warms the verifier's engines for the routes recorded so far. An engine that cannot load does not
   * stop the app: `onError` hears of it, and that engine's claims stay BLOCKED (unavailable) until
   * it loads on a later claim.
   */
  run: (verifier: Pick<Verifier, 'warmUp'>, onError: (err: unknown) => void) => Promise<void>
}

export function createWarmUpPlan (): WarmUpPlan {
  const types = new Set<string>()
  let all = false
  const plan: WarmUpPlan = {
    addRoute (claims) {
      if (claims === 'auto') for (const type of AUTO_CLAIM_TYPES) types.add(type)
      else if (claims !== undefined) all = true
    },
    claimTypes: () => all ? undefined : [...types],
    async run (verifier, onError) {
      const selected = plan.claimTypes()
      if (selected !== undefined && selected.length === 0) return
      try {
        await verifier.warmUp(selected)
      } catch (err) {
        onError(err)
      }
    }
  }
  return plan
}
