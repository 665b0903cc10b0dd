import type { QwedOutcome } from '../../types/route.js'
import { blockedBody } from '../outcome.js'
import type { StreamFormat } from './formats.js'

// The last frame of a verified stream: the verdict, in the stream's own format. Plain text has no
// frame for it; the x-qwed-status trailer carries the status there.

/** The SSE event, or the NDJSON line, carrying `body`; null for plain text. */
export function finalFrame (format: StreamFormat, body: Record<string, unknown>): string | null {
  switch (format) {
    case 'sse': return `event: qwed\ndata: ${JSON.stringify(body)}\n\n`
    case 'ndjson': return JSON.stringify({ qwed: body }) + '\n'
    case 'text': return null
  }
}

/** The body of the closing event of a stream whose claims were admitted (VERIFIED) or let through unverified (fail open). */
export function passedBody (outcome: QwedOutcome, exposeDetails: boolean): Record<string, unknown> {
  const { qwed } = blockedBody(outcome, exposeDetails)
  const verified = outcome.status === 'VERIFIED'
  return {
    code: verified ? 'QWED_VERIFIED' : 'QWED_UNVERIFIED',
    message: verified ? 'Every claim in the answer was verified' : 'Some claims could not be verified (the verifier was unavailable)',
    qwed
  }
}
