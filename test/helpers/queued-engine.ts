import type { Engine, EngineResult } from '../../types/engine.js'
import { busyResult } from '../../lib/engines/busy.js'
import { createSlots, type Release, type Slots } from '../../lib/engines/slots.js'
import { verified } from '../../lib/result.js'

export interface GateClaim { type: 'gate', n?: number, hold?: boolean, fail?: boolean }

/**
 * An engine built the way the pool, the logic engine and the remote client are: one slot and a
 * bounded line in front of it, `queues: true`, ctx.started() when a claim gets the slot. The test
 * drives it by hand: `occupy()` takes the slot itself (the resource is busy elsewhere), `hold`
 * claims run until `finishHeld()`.
 */
export interface GateEngine {
  engine: Engine<GateClaim>
  slots: Slots
  /** Claims that got the slot and ran. */
  readonly runs: number
  /** Takes the engine's slot as if another claim ran; resolves with its release. */
  occupy: () => Promise<Release>
  /** Lets every `hold` claim finish (VERIFIED). */
  finishHeld: () => void
  /** `hold` claims now running. */
  readonly holding: number
}

export function gateEngine (options: { maxWaiting?: number, queues?: boolean, name?: string } = {}): GateEngine {
  const name = options.name ?? 'gate'
  const slots = createSlots(1, options.maxWaiting ?? 1000)
  const held: Array<() => void> = []
  let runs = 0
  const engine: Engine<GateClaim> = {
    name,
    claimTypes: ['gate'],
    ...(options.queues === false ? {} : { queues: true }),
    async verify (claim, ctx): Promise<EngineResult> {
      let release: Release | null
      try {
        release = await slots.take(ctx.signal)
      } catch {
        return busyResult(name, { queue: 'wait' })
      }
      if (release === null) return busyResult(name, { queue: 'full' })
      ctx.started?.()
      runs++
      try {
        if (claim.hold === true) await new Promise<void>((resolve) => held.push(resolve))
        if (claim.fail === true) throw new Error('engine broke')
        return verified('The claim holds', { constraint_id: `${name}.ok` }, { n: claim.n ?? 0 })
      } finally {
        release()
      }
    }
  }
  return {
    engine,
    slots,
    get runs () { return runs },
    occupy: async () => await slots.take() as Release,
    finishHeld: () => { for (const resolve of held.splice(0)) resolve() },
    get holding () { return held.length }
  }
}

export async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2))
}
