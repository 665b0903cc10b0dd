import { QwedOptionsError } from './errors.js'

// Small validators shared by createVerifier, the Fastify plugin and route options: each throws a
// QwedOptionsError that names the option, so a typo fails at registration, not on the first request.

export function assertObject (value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new QwedOptionsError(name, `must be an object, got ${describe(value)}`)
  }
}

export function assertKnownKeys (value: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new QwedOptionsError(prefix === '' ? key : `${prefix}.${key}`, `is not a known option (known: ${known.join(', ')})`)
    }
  }
}

export function optionalOneOf<T extends string> (value: unknown, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new QwedOptionsError(name, `must be one of ${allowed.map((a) => `'${a}'`).join(' | ')}, got ${describe(value)}`)
  }
  return value as T
}

export function optionalNumber (value: unknown, name: string, min: number, max = Number.POSITIVE_INFINITY, integer = false): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`
    throw new QwedOptionsError(name, `must be ${integer ? 'an integer' : 'a number'} ${range}, got ${describe(value)}`)
  }
  return value
}

export function optionalFunction<F> (value: unknown, name: string): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new QwedOptionsError(name, `must be a function, got ${describe(value)}`)
  return value as F
}

export function optionalBoolean (value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new QwedOptionsError(name, `must be a boolean, got ${describe(value)}`)
  return value
}

/** A value as an option error shows it: short strings quoted, objects and arrays only named. */
export function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : String(value)
}
