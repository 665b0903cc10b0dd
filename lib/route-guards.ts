import type { QwedLogger } from '../types/options.js'
import type { QwedInput } from '../types/route.js'
import type { SanitizedKind } from '../types/sanitize.js'
import { checkInputs, MAX_INPUT_FIELDS } from './guard/input.js'
import { sanitizeCompiled, type CompiledSanitizeOptions } from './guard/output.js'
import type { RouteSettings } from './outcome.js'
import type { Verifier } from './verifier.js'

// The two guards as a route applies them, framework-free: the adapters call these and only write the answer.

export type InputGate =
  | { ok: true, input: QwedInput }
  | { ok: false, body: Record<string, unknown> }

/**
 * Checks what the route's `inputs(request)` names, before the handler runs. null: the route checks no
 * input (or is off). A failure is refused in enforce mode and only recorded in shadow mode.
 */
export async function checkRouteInputs<Req> (verifier: Verifier, settings: RouteSettings<Req, any>, request: Req, logger: QwedLogger | undefined): Promise<InputGate | null> {
  if (settings.inputs === undefined || settings.mode === 'off') return null
  const { route, mode } = settings
  let raw: unknown
  try {
    raw = await settings.inputs(request)
  } catch (err) {
    // Usually a body without the expected field (`request.body.prompt` on an empty body): the
    // input cannot be checked, so the handler must not run on it.
    logger?.warn({ err, route }, 'qwed: the route\'s inputs() threw; the request is refused')
    return refuse(verifier, settings, 'input', 'unreadable', 'The request\'s input could not be read (rule unreadable)', logger, undefined)
  }
  const checked = checkInputs(raw, settings.input)
  if (!checked.ok) return refuse(verifier, settings, checked.field, checked.rule, checked.message, logger, raw)
  for (const flag of checked.flags) verifier.metrics.inputFlags.inc({ route, rule: flag.rule })
  if (checked.flags.length > 0) {
    logger?.warn({ route, mode, rules: checked.flags.map((f) => f.rule), fields: checked.flags.map((f) => f.field) }, 'qwed: prompt-injection heuristics matched the input')
  }
  return { ok: true, input: { values: checked.values, flags: checked.flags } }
}

function refuse (verifier: Verifier, settings: RouteSettings<any, any>, field: string, rule: string, message: string, logger: QwedLogger | undefined, raw: unknown): InputGate {
  const { route, mode } = settings
  verifier.metrics.inputRejected.inc({ route, rule, mode })
  // The text itself is never logged: it is the user's, and may be the attack.
  logger?.warn({ route, mode, field, rule }, mode === 'shadow' ? 'qwed: the input failed a rule (shadow: not refused)' : 'qwed: the input failed a rule; answered 400')
  // Shadow changes nothing for the handler: it gets the texts as they came (not normalised), and
  // `refused` says which rule enforce mode would have answered 400 for.
  if (mode === 'shadow') return { ok: true, input: { values: textsAsGiven(raw), flags: [], refused: { field, rule } } }
  return { ok: false, body: invalidInputBody(field, rule, message) }
}

/** The texts `inputs()` named, under the field names checkInputs uses, unchanged; non-texts left out. */
function textsAsGiven (raw: unknown): Record<string, string> {
  const values: Record<string, string> = {}
  let count = 0
  const put = (field: string, value: unknown): boolean => {
    // an own property even for a field named __proto__; no more fields than checkInputs reads
    if (typeof value === 'string') Object.defineProperty(values, field, { value, enumerable: true, writable: true, configurable: true })
    return ++count < MAX_INPUT_FIELDS
  }
  if (typeof raw === 'string') put('input', raw)
  else if (Array.isArray(raw)) raw.every((v, i) => put(`input[${i}]`, v))
  else if (raw !== null && typeof raw === 'object') {
    for (const [key, v] of Object.entries(raw)) {
      if (!(Array.isArray(v) ? v.every((item, i) => put(`${key}[${i}]`, item)) : put(key, v))) break
    }
  }
  return values
}

/** The 400 body: which field failed which rule. Never the text itself. */
export function invalidInputBody (field: string, rule: string, message: string): Record<string, unknown> {
  return { statusCode: 400, code: 'QWED_INVALID_INPUT', error: 'Bad Request', message, rule, field }
}

export type Sanitized = { ok: true, body: unknown } | { ok: false }

/** A body is sanitized when its route asks for it and is not off, and the answer is not an error. */
export function sanitizes (settings: RouteSettings<any, any>, statusCode: number): boolean {
  return settings.sanitize !== null && settings.mode !== 'off' && statusCode < 400
}

/**
 * Sanitizes a body on its way out: objects as JSON data, JSON text parsed and written again, other
 * text (and bytes, decoded as UTF-8) as one string. `{ ok: false }` when it cannot be done: the
 * caller must not send the original then.
 */
export function sanitizeBody (verifier: Verifier, settings: RouteSettings<any, any>, body: unknown, contentType: string | undefined, logger: QwedLogger | undefined): Sanitized {
  if (settings.sanitize === null || body === undefined || body === null) return { ok: true, body }
  const options = settings.sanitize
  try {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      const text = typeof body === 'string' ? body : body.toString('utf8')
      const clean = isJson(contentType) ? sanitizeJsonText(text, options, verifier) : count(verifier, sanitizeCompiled(text, options))
      return { ok: true, body: typeof body === 'string' ? clean : Buffer.from(clean, 'utf8') }
    }
    if (typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe === 'function') {
      throw new TypeError('qwed: a stream cannot be sanitized')
    }
    return { ok: true, body: count(verifier, sanitizeCompiled(body, options)) }
  } catch (err) {
    logger?.error({ err, route: settings.route }, 'qwed: the response could not be sanitized; it was not sent')
    return { ok: false }
  }
}

function sanitizeJsonText (text: string, options: CompiledSanitizeOptions, verifier: Verifier): string {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    // Labelled JSON but not JSON: still text that leaves, so it is sanitized as text.
    return count(verifier, sanitizeCompiled(text, options))
  }
  return JSON.stringify(count(verifier, sanitizeCompiled(data, options)))
}

function count<T> (verifier: Verifier, report: { value: T, counts: Partial<Record<SanitizedKind, number>> }): T {
  for (const [kind, n] of Object.entries(report.counts)) {
    if (n !== undefined && n > 0) verifier.metrics.sanitized.inc({ kind }, n)
  }
  return report.value
}

function isJson (contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(?:[\w.+-]{1,100}\+)?json\b/i.test(contentType)
}

/** The 500 body when a payload could not be sanitized. */
export function unsanitizableBody (): Record<string, unknown> {
  return { statusCode: 500, code: 'QWED_SANITIZE_FAILED', error: 'Internal Server Error', message: 'The response could not be sanitized' }
}
