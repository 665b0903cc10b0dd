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
}

export interface ScriptEngine extends Engine<ScriptClaim> {
  calls: number
  aborted: number
  closed: boolean
}

export function scriptEngine (): ScriptEngine {
  const engine: ScriptEngine = {
    name: 'script',
    claimTypes: ['script'],
    calls: 0,
    aborted: 0,
    closed: false,
    async verify (claim, { signal }): Promise<EngineResult> {
      engine.calls++
      if (claim.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, claim.delayMs))
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
    },
    close () { engine.closed = true }
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
