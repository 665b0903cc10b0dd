import { createHmac, timingSafeEqual } from 'node:crypto'
import type { DiagnosticResult } from '../../types/result.js'

/**
 * A shared-cache entry is `v1.<hex HMAC-SHA256>.<JSON of the verdict>`, the HMAC keyed by the
 * cache secret over the full Redis key and the JSON text. Anyone who can write to Redis but does
 * not hold the secret cannot make an entry we serve: a forged verdict fails the HMAC, and a
 * genuine verdict copied under another claim's key fails it too, because the key is inside it.
 */
const VERSION = 'v1'
const MAC_HEX = 64

export function sealEntry (secret: string, key: string, result: DiagnosticResult): string {
  const json = JSON.stringify(result)
  return `${VERSION}.${mac(secret, key, json)}.${json}`
}

export type OpenedEntry =
  | { ok: true, result: DiagnosticResult }
  /** forged: the HMAC does not match (written without the secret, altered, or moved); invalid: authentic but not a verdict. */
  | { ok: false, reason: 'forged' | 'invalid' }

export function openEntry (secret: string, key: string, value: string): OpenedEntry {
  const prefix = VERSION + '.'
  if (!value.startsWith(prefix) || value.charAt(prefix.length + MAC_HEX) !== '.') return { ok: false, reason: 'forged' }
  const given = Buffer.from(value.slice(prefix.length, prefix.length + MAC_HEX), 'hex')
  const json = value.slice(prefix.length + MAC_HEX + 1)
  const expected = Buffer.from(mac(secret, key, json), 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' }
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return { ok: false, reason: 'invalid' }
  }
  return isDiagnosticResult(parsed) ? { ok: true, result: parsed } : { ok: false, reason: 'invalid' }
}

function mac (secret: string, key: string, json: string): string {
  // The key's length first, so that no (key, json) pair can be re-split into another.
  return createHmac('sha256', secret).update(`${key.length}:${key}\n${json}`).digest('hex')
}

const STATUSES = new Set(['VERIFIED', 'UNVERIFIABLE', 'BLOCKED'])

function isDiagnosticResult (value: unknown): value is DiagnosticResult {
  const r = value as Partial<DiagnosticResult> | null
  return r !== null && typeof r === 'object' &&
    typeof r.status === 'string' && STATUSES.has(r.status) &&
    typeof r.agent_message === 'string' &&
    r.developer_fields !== null && typeof r.developer_fields === 'object' && !Array.isArray(r.developer_fields) &&
    (r.proof_ref === null || typeof r.proof_ref === 'string') &&
    typeof r.is_authoritative === 'boolean'
}
