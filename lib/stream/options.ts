import type { StreamOptions } from '../../types/stream.js'
import { QwedOptionsError } from '../errors.js'
import { STREAM_LIMIT_DEFAULTS, type StreamLimits } from './verify.js'

// The `stream` option of the adapters and of a route, checked once at registration.

/** The bounds `value` sets over `inherited`; a QwedOptionsError names a bad field. */
export function streamLimits (value: unknown, name: string, inherited: StreamLimits = STREAM_LIMIT_DEFAULTS): StreamLimits {
  if (value === undefined) return inherited
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new QwedOptionsError(name, 'must be an object { maxHeldBytes?, maxHoldMs? }')
  const options = value as Record<string, unknown>
  for (const key of Object.keys(options)) {
    if (key !== 'maxHeldBytes' && key !== 'maxHoldMs') throw new QwedOptionsError(`${name}.${key}`, 'is not a known option (known: maxHeldBytes, maxHoldMs)')
  }
  const { maxHeldBytes, maxHoldMs } = options as StreamOptions
  return {
    maxHeldBytes: positiveInteger(maxHeldBytes, `${name}.maxHeldBytes`, 64, 64 * 1024 * 1024) ?? inherited.maxHeldBytes,
    maxHoldMs: positiveInteger(maxHoldMs, `${name}.maxHoldMs`, 1, 10 * 60 * 1000) ?? inherited.maxHoldMs
  }
}

function positiveInteger (value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QwedOptionsError(name, `must be an integer between ${min} and ${max}`)
  }
  return value
}
