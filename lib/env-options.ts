import type { Mode, UnavailablePolicy } from '../types/options.js'
import { QwedOptionsError } from './errors.js'

// What an operator changes without a deploy: the mode, the sample rate and the unavailable policy,
// read once from the environment when an adapter is registered (docs/configuration.md).
// The environment wins over the adapter's options in code: its purpose is to switch a running
// fleet to shadow (or back) with a restart, not a release. A route's own setting still wins over
// both, because a route sets one only as a deliberate exception.

/** The environment variables read, and the adapter option each one replaces. */
export const ENV_OPTIONS = {
  QWED_MODE: 'mode',
  QWED_SAMPLE_RATE: 'sampleRate',
  QWED_ON_UNAVAILABLE: 'onUnavailable'
} as const

export interface EnvironmentOptions {
  mode?: Mode
  sampleRate?: number
  onUnavailable?: UnavailablePolicy
}

const MODES: readonly Mode[] = ['enforce', 'shadow', 'off']
const POLICIES: readonly UnavailablePolicy[] = ['closed', 'open']
// A plain decimal: "0.25", "1", ".5". Not "", " ", "0x1", "1e-1" or "Infinity", which Number() accepts.
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/

/**
 * The adapter options the environment sets. An empty variable counts as unset; any other value
 * that is not valid throws a QwedOptionsError naming the variable, at registration.
 */
export function environmentOptions (env: Readonly<Record<string, string | undefined>> = process.env): EnvironmentOptions {
  const out: EnvironmentOptions = {}
  const mode = valueOf(env, 'QWED_MODE')
  if (mode !== undefined) out.mode = oneOf(mode, MODES, 'QWED_MODE')
  const policy = valueOf(env, 'QWED_ON_UNAVAILABLE')
  if (policy !== undefined) out.onUnavailable = oneOf(policy, POLICIES, 'QWED_ON_UNAVAILABLE')
  const rate = valueOf(env, 'QWED_SAMPLE_RATE')
  if (rate !== undefined) {
    const value = Number(rate)
    if (!DECIMAL.test(rate) || value > 1) {
      throw new QwedOptionsError('QWED_SAMPLE_RATE', `(environment variable) must be a number between 0 and 1, got ${JSON.stringify(rate)}`)
    }
    out.sampleRate = value
  }
  return out
}

/** The adapter's options with the environment's values over them (a new object; the caller's is untouched). */
export function withEnvironment<T extends object> (options: T, env?: Readonly<Record<string, string | undefined>>): T {
  return { ...options, ...environmentOptions(env) }
}

function valueOf (env: Readonly<Record<string, string | undefined>>, name: keyof typeof ENV_OPTIONS): string | undefined {
  const raw = env[name]
  if (raw === undefined) return undefined
  const value = raw.trim()
  return value === '' ? undefined : value
}

function oneOf<T extends string> (value: string, allowed: readonly T[], name: string): T {
  const lower = value.toLowerCase()
  if (!allowed.includes(lower as T)) {
    throw new QwedOptionsError(name, `(environment variable) must be one of ${allowed.join(' | ')}, got ${JSON.stringify(value.slice(0, 40))}`)
  }
  return lower as T
}
