const REDACTED = '[REDACTED]'

/** Replaces every occurrence of each secret in every string of `value` (deep copy). */
export function redactSecrets<T> (value: T, secrets: readonly string[]): T {
  const active = secrets.filter((s) => typeof s === 'string' && s.length > 0)
  if (active.length === 0) return value
  return scrub(value, active, 0) as T
}

function scrub (value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') {
    let out = value
    for (const secret of secrets) out = out.split(secret).join(REDACTED)
    return out
  }
  if (value === null || typeof value !== 'object') return value
  // Deeper than any record we write: drop it rather than risk an unscrubbed secret.
  if (depth > 50) return '[TRUNCATED]'
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, secrets, depth + 1)
  return out
}
