import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import type { Engine, EngineResult } from '../../types/engine.js'
import { blocked, unverifiable, verified } from '../../lib/result.js'
import { VerdictError } from '../../lib/errors.js'

/**
 * A scripted engine for pipeline tests: the claim says what the engine does.
 * verdict: 'true' | 'false' | 'blocked' | 'throw' | 'hang' | 'verdict-error' | 'uncacheable'
 */
export interface ScriptClaim {
  type: 'script'
  verdict: 'true' | 'false' | 'blocked' | 'throw' | 'hang' | 'verdict-error' | 'uncacheable'
  id?: number | string
  delayMs?: number
  /** Name of a gate (scriptGate): the engine answers only once the test opens it. */
  gate?: string
}

const gates = new Map<string, Promise<void>>()

/**
 * Holds every script claim with `gate: name` until the returned function is called: a test orders
 * "answered" before "verified" by the gate, not by comparing elapsed times.
 */
export function scriptGate (name: string): () => void {
  let open = (): void => {}
  gates.set(name, new Promise<void>((resolve) => { open = resolve }))
  return () => open()
}

export interface ScriptEngine extends Engine<ScriptClaim> {
  calls: number
  /** Verifications that have returned or thrown. */
  settled: number
  aborted: number
  closed: boolean
}

export function scriptEngine (): ScriptEngine {
  const engine: ScriptEngine = {
    name: 'script',
    claimTypes: ['script'],
    calls: 0,
    settled: 0,
    aborted: 0,
    closed: false,
    async verify (claim, context): Promise<EngineResult> {
      engine.calls++
      try {
        return await answer(claim, context.signal)
      } finally {
        engine.settled++
      }
    },
    close () { engine.closed = true }
  }
  const answer = async (claim: ScriptClaim, signal: AbortSignal): Promise<EngineResult> => {
    if (claim.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, claim.delayMs))
    if (claim.gate !== undefined) await gates.get(claim.gate)
    switch (claim.verdict) {
      case 'true': return verified('The claim holds', { constraint_id: 'script.true' }, { id: claim.id ?? null })
      case 'false': return unverifiable('The claim does not hold', { constraint_id: 'script.false' })
      case 'blocked': return blocked('The claim was refused', { constraint_id: 'script.refused' })
      case 'uncacheable': return { ...verified('The claim holds', { constraint_id: 'script.true' }, { id: claim.id ?? null }), cacheable: false }
      case 'verdict-error': throw new VerdictError(blocked('Refused deep inside', { constraint_id: 'script.deep' }))
      case 'throw': throw new Error('engine exploded with secret-key-123')
      case 'hang':
        return await new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => { engine.aborted++; reject(new Error('aborted')) })
        })
    }
    return blocked('Unknown script', { constraint_id: 'script.unknown' })
  }
  return engine
}

/** A pino logger whose records land in `records` (parsed JSON), for asserting audit lines. */
export function captureLogger (): { logger: Logger, records: Array<Record<string, any>>, lines: string[] } {
  const records: Array<Record<string, any>> = []
  const lines: string[] = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        lines.push(line)
        records.push(JSON.parse(line))
      }
      callback()
    }
  })
  return { logger: pino({ level: 'trace' }, stream), records, lines }
}
