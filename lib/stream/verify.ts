import type { Claim } from '../../types/claims.js'
import type { UnavailablePolicy } from '../../types/options.js'
import type { QwedOutcome } from '../../types/route.js'
import type { VerificationResult } from '../../types/result.js'
import { blockedBody, unavailableBody } from '../outcome.js'
import { decide, outcomeStatus } from '../policy.js'
import { refusedResult } from '../result.js'
import { unsanitizableBody } from '../route-guards.js'
import { finalFrame, passedBody } from './final.js'
import { createFrameParser, HoldOverflow, type Frame, type FrameParser, type StreamFormat } from './formats.js'
import { HoldScanner, type HoldAction } from './hold.js'
import { FrameLedger } from './ledger.js'

// The stream verifier, framework-free: bytes in, bytes out, pulled by the reader. Text flows through
// as soon as it cannot be part of a claim; a unit that may hold one waits until it is complete, its
// claims are verified, and then it leaves or the stream stops with a final frame. Nothing is read
// from the source while the reader is not reading, or while a unit is being verified.

export interface StreamLimits {
  /** Text (UTF-8 bytes) held back at once; beyond it the unavailable policy applies. */
  maxHeldBytes: number
  /** How long a byte may be held back; beyond it the unavailable policy applies. */
  maxHoldMs: number
}

export const STREAM_LIMIT_DEFAULTS: StreamLimits = { maxHeldBytes: 64 * 1024, maxHoldMs: 10_000 }

/** Time, injectable so tests can move it. */
export interface Clock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => { clearTimeout(handle as ReturnType<typeof setTimeout>) }
}

/** Finds the claims in one complete unit (a line, or a fenced block from fence to fence). */
export type UnitFinder = (unit: string) => readonly Claim[] | Promise<readonly Claim[]>

export type StopReason = 'blocked' | 'unavailable' | 'hold_limit' | 'claims_error' | 'sanitize_error' | 'disconnect' | 'source_error'

/** What happened to a stream, beside the usual outcome fields. */
export interface StreamReport {
  format: StreamFormat
  /** Bytes handed to the response, the final frame included. */
  bytes_sent: number
  claims: number
  /** The most text held back at once (UTF-8 bytes). */
  held_bytes_max: number
  /** Why the stream stopped early; null when it ran to its end. */
  stopped: StopReason | null
}

export type StreamOutcome = QwedOutcome & { stream: StreamReport }

export interface StreamVerifyOptions {
  format: StreamFormat
  mode: 'enforce' | 'shadow'
  /** null: nothing to verify (a route that only sanitizes). */
  findClaims: UnitFinder | null
  verify: (claims: readonly Claim[]) => Promise<VerificationResult[]>
  onUnavailable: UnavailablePolicy
  /** Applied to whole units of released text; null: text leaves as it is. */
  sanitize: ((text: string) => string) | null
  limits: StreamLimits
  exposeDetails: boolean
  clock?: Clock
  /** Aborted when the client leaves: pending verification is abandoned and nothing more is read. */
  signal?: AbortSignal
  /** How long a unit with claims was held, from its oldest held byte to its verdict. */
  onHold?: (ms: number) => void
  /** The outcome, once the stream is over (in shadow mode, once its verdicts are in). */
  onEnd: (outcome: StreamOutcome) => void
}

const TIMEOUT = Symbol('timeout')
const ABORTED = Symbol('aborted')
type Interrupt = typeof TIMEOUT | typeof ABORTED

/** Verifies a stream of bytes (or strings); yields what may be sent. */
export async function * verifyStream (source: AsyncIterable<unknown>, options: StreamVerifyOptions): AsyncGenerator<Buffer, void, undefined> {
  yield * new StreamRun(options).run(source)
}

class StreamRun {
  private readonly scanner: HoldScanner
  private readonly ledger = new FrameLedger()
  private readonly parser: FrameParser
  private readonly decoder = new TextDecoder('utf-8')
  private readonly clock: Clock
  private readonly actions: HoldAction[] = []
  private readonly out: string[] = []
  /** Offsets of the text received and when it arrived, oldest first, for the hold-time bound. */
  private readonly arrivals: Array<[end: number, at: number]> = []
  private readonly results: VerificationResult[] = []
  private released = 0
  private receivedBytes = 0
  private releasedBytes = 0
  private heldMax = 0
  private bytesSent = 0
  private claims = 0
  private stopped: StopReason | null = null
  private stopDecision: 'block' | 'fail_closed' | null = null
  private finished = false
  /** A fail-open hold limit: the rest of the stream flows unverified. */
  private passthrough = false
  private shadow: Promise<void> = Promise.resolve()
  /** The hold-time timer, the pending wait it would interrupt, and an interrupt not yet answered. */
  private timer: unknown = null
  private waiter: ((why: Interrupt) => void) | null = null
  private interrupt: Interrupt | null = null
  private readonly onAbort = (): void => { this.raise(ABORTED) }

  constructor (private readonly o: StreamVerifyOptions) {
    this.clock = o.clock ?? SYSTEM_CLOCK
    this.scanner = new HoldScanner(this.holdMode())
    this.parser = createFrameParser(o.format, o.limits.maxHeldBytes)
    if (o.signal?.aborted === true) this.interrupt = ABORTED
    o.signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  private holdMode (): 'claims' | 'lines' | 'none' {
    if (this.o.sanitize !== null) return 'lines'
    return this.o.mode === 'shadow' || this.o.findClaims === null || this.passthrough ? 'none' : 'claims'
  }

  async * run (source: AsyncIterable<unknown>): AsyncGenerator<Buffer, void, undefined> {
    const iterator = source[Symbol.asyncIterator]()
    let pending: Promise<IteratorResult<unknown>> | null = null
    let sourceDone = false
    try {
      for (;;) {
        while (this.out.length > 0) {
          const chunk = Buffer.from(this.out.shift() as string, 'utf8')
          this.bytesSent += chunk.length
          yield chunk
        }
        if (this.finished) break
        const action = this.actions.shift()
        if (action !== undefined) {
          const pending = this.step(action)
          if (pending !== undefined) await pending
          continue
        }
        if (sourceDone) {
          this.finish()
          continue
        }
        if (this.overHeldBytes()) continue
        pending ??= iterator.next()
        const next = await this.wait(pending)
        if (next === TIMEOUT) {
          this.holdLimit('hold_time')
          continue
        }
        if (next === ABORTED) {
          this.stop('disconnect', null)
          break
        }
        pending = null
        if (next.done === true) {
          sourceDone = true
          this.feed(this.decoder.decode())
          this.feedFrames(this.parser.end())
          this.actions.push(...this.scanner.finish())
        } else {
          this.feed(typeof next.value === 'string' ? next.value : this.decoder.decode(toBytes(next.value), { stream: true }))
        }
      }
    } catch (err) {
      if (this.stopped === null) this.stop('source_error', null)
      throw err
    } finally {
      if (!sourceDone) {
        // The reader left or the stream stopped: the source is closed, not drained.
        iterator.return?.()?.catch(() => {})
      }
      this.end()
    }
  }

  private feed (text: string): void {
    if (text === '') return
    let frames: Frame[]
    try {
      frames = this.parser.push(text)
    } catch (err) {
      if (!(err instanceof HoldOverflow)) throw err
      this.holdLimit('held_bytes')
      return
    }
    this.feedFrames(frames)
  }

  private feedFrames (frames: Frame[]): void {
    for (const frame of frames) {
      if (frame.text === null) {
        // SSE [DONE] ends the answer: what is left of it is a complete unit.
        if (frame.done === true) this.actions.push(...this.scanner.finish())
        this.ledger.add(frame)
        continue
      }
      this.ledger.add(frame)
      this.receivedBytes += Buffer.byteLength(frame.text, 'utf8')
      this.arrivals.push([this.scanner.end + frame.text.length, this.clock.now()])
      this.actions.push(...this.scanner.push(frame.text))
    }
    this.out.push(...this.ledger.flush())
  }

  /** Runs one action; a promise only when the unit's claims must be waited for (the common paths stay synchronous). */
  private step (action: HoldAction): Promise<void> | undefined {
    if (action.kind === 'release') {
      this.release(action.start, action.end, action.text)
      return
    }
    if (this.passthrough || this.o.findClaims === null) {
      this.releaseUnit(action)
      return
    }
    let found: readonly Claim[] | Promise<readonly Claim[]>
    try {
      found = this.o.findClaims(action.text)
    } catch {
      this.refuseUnit()
      return
    }
    if (found instanceof Promise) return this.foundLater(action, found)
    return this.checkUnit(action, found)
  }

  private async foundLater (action: HoldAction, found: Promise<readonly Claim[]>): Promise<void> {
    let claims: readonly Claim[] | Interrupt
    try {
      claims = await this.wait(found)
    } catch {
      this.refuseUnit()
      return
    }
    if (claims === TIMEOUT || claims === ABORTED) return this.interrupted(claims, action)
    await this.checkUnit(action, claims)
  }

  private checkUnit (action: HoldAction, claims: readonly Claim[]): Promise<void> | undefined {
    if (claims.length === 0) {
      this.releaseUnit(action)
      return
    }
    this.claims += claims.length
    if (this.o.mode === 'shadow') {
      this.releaseUnit(action)
      this.shadow = this.shadow.then(async () => { this.results.push(...await this.o.verify(claims)) }, () => {})
      return
    }
    return this.verifyUnit(action, claims)
  }

  private async verifyUnit (action: HoldAction, claims: readonly Claim[]): Promise<void> {
    const heldFrom = this.heldSince() ?? this.clock.now()
    const results = await this.wait(this.o.verify(claims))
    if (results === TIMEOUT || results === ABORTED) return this.interrupted(results, action)
    this.results.push(...results)
    this.o.onHold?.(this.clock.now() - heldFrom)
    switch (decide(results, 'enforce', this.o.onUnavailable)) {
      case 'block':
        this.stop('blocked', 'block')
        return
      case 'fail_closed':
        this.stop('unavailable', 'fail_closed')
        return
      default:
        this.releaseUnit(action)
    }
  }

  private interrupted (why: Interrupt, action: HoldAction): void {
    if (why === ABORTED) {
      this.stop('disconnect', null)
      return
    }
    this.holdLimit('hold_time')
    // Fail open: this unit goes out unverified, like the rest.
    if (!this.finished) this.releaseUnit(action)
  }

  /** A claims finder that throws: the unit is not admitted (fail closed). */
  private refuseUnit (): void {
    this.results.push(refusedResult('The response could not be checked', { constraint_id: 'route.claims_error' }, 'verifier'))
    if (this.o.mode === 'shadow') return
    this.stop('claims_error', 'block')
  }

  private releaseUnit (action: HoldAction): void {
    if (action.end <= this.released) return
    this.release(this.released, action.end, action.text.slice(Math.max(0, this.released - action.start)))
  }

  private release (start: number, end: number, text: string): void {
    let out = text
    if (this.o.sanitize !== null) {
      try {
        out = this.o.sanitize(text)
      } catch {
        this.stop('sanitize_error', null)
        return
      }
    }
    this.ledger.release(start, end, out, out === text)
    this.released = end
    this.releasedBytes += Buffer.byteLength(text, 'utf8')
    this.out.push(...this.ledger.flush())
  }

  /** The arrival time of the oldest byte still held, or null when nothing is held. */
  private heldSince (): number | null {
    while (this.arrivals.length > 0 && (this.arrivals[0] as [number, number])[0] <= this.released) this.arrivals.shift()
    return this.arrivals[0]?.[1] ?? null
  }

  private overHeldBytes (): boolean {
    const held = this.receivedBytes - this.releasedBytes + this.parser.pending()
    if (held > this.heldMax) this.heldMax = held
    if (held <= this.o.limits.maxHeldBytes) return false
    this.holdLimit('held_bytes')
    return true
  }

  /**
   * Waits for `promise`, but not past the hold-time bound of what is held, nor past a disconnect.
   * One timer serves the whole stream: it is armed for the oldest held byte and, when it fires
   * early (that byte has left since), re-armed for the one now oldest; so a pull costs no timer.
   */
  private async wait<T> (promise: Promise<T>): Promise<T | Interrupt> {
    if (this.interrupt !== null) return this.takeInterrupt()
    if (this.timer === null && this.heldSince() !== null) this.armTimer()
    return await new Promise<T | Interrupt>((resolve, reject) => {
      this.waiter = resolve as (why: Interrupt) => void
      promise.then((value) => {
        if (this.waiter !== resolve) return
        this.waiter = null
        resolve(value)
      }, (err: unknown) => {
        if (this.waiter !== resolve) return
        this.waiter = null
        reject(err)
      })
    })
  }

  private takeInterrupt (): Interrupt {
    const why = this.interrupt as Interrupt
    // A disconnect stays; a hold-time bound is answered once, then time runs again for what is held next.
    if (why === TIMEOUT) this.interrupt = null
    return why
  }

  private raise (why: Interrupt): void {
    if (this.interrupt === ABORTED) return
    this.interrupt = why
    const waiter = this.waiter
    this.waiter = null
    if (waiter !== null) waiter(this.takeInterrupt())
  }

  private armTimer (): void {
    const since = this.heldSince()
    if (since === null || this.finished) return
    const left = since + this.o.limits.maxHoldMs - this.clock.now()
    // Only time spent waiting for the source or a verdict counts: while the reader is slow (the
    // stream is paused at a yield), nothing is stalled by the hold, so the bound is checked again later.
    if (left <= 0 && this.waiter !== null) {
      this.raise(TIMEOUT)
      return
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null
      this.armTimer()
    }, left > 0 ? left : this.o.limits.maxHoldMs)
  }

  private clearTimer (): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
  }

  /** Held too much or too long: the unavailable policy decides (closed: stop; open: the rest flows unverified). */
  private holdLimit (reason: 'held_bytes' | 'hold_time'): void {
    this.results.push(refusedResult('Verification is temporarily unavailable', { constraint_id: 'verifier.unavailable', reason: `stream_${reason}` }, 'verifier'))
    if (this.o.mode === 'enforce' && this.o.onUnavailable === 'closed') {
      this.stop('hold_limit', 'fail_closed')
      return
    }
    this.passthrough = true
    // Everything held leaves now, in order: the units waiting, then the incomplete rest.
    this.scanner.setMode('none')
    this.actions.push(...this.scanner.push(''))
    this.scanner.setMode(this.holdMode())
  }

  private stop (reason: StopReason, decision: 'block' | 'fail_closed' | null): void {
    if (this.finished) return
    this.stopped = reason
    this.stopDecision = decision
    this.finished = true
    this.actions.length = 0
    this.ledger.clear()
    if (reason === 'disconnect' || reason === 'source_error') return
    const body = decision === 'block'
      ? blockedBody(this.outcome(), this.o.exposeDetails)
      : reason === 'sanitize_error' ? unsanitizableBody() : unavailableBody()
    const frame = finalFrame(this.o.format, body)
    if (frame !== null) this.out.push(frame)
  }

  /** The source ended and every unit left. */
  private finish (): void {
    this.finished = true
    const outcome = this.outcome()
    if (this.o.mode === 'enforce' && this.o.format === 'sse' && outcome.results.length > 0) {
      this.out.push(finalFrame('sse', passedBody(outcome, this.o.exposeDetails)) as string)
    }
  }

  private outcome (): StreamOutcome {
    const { mode } = this.o
    const results = [...this.results]
    const stream: StreamReport = { format: this.o.format, bytes_sent: this.bytesSent, claims: this.claims, held_bytes_max: this.heldMax, stopped: this.stopped }
    if (this.stopDecision !== null) return { mode, decision: this.stopDecision, status: outcomeStatus(results, this.stopDecision), results, stream }
    if (results.length === 0) return { mode, decision: 'skip', status: null, results, skipped: 'no_claims', stream }
    const decision = decide(results, mode, this.o.onUnavailable)
    return { mode, decision, status: outcomeStatus(results, decision), results, stream }
  }

  private end (): void {
    this.clearTimer()
    this.o.signal?.removeEventListener('abort', this.onAbort)
    // The final frame may still be waiting to leave when the reader goes: count what was yielded.
    if (this.o.mode === 'shadow') {
      this.shadow.then(() => { this.o.onEnd(this.outcome()) }, () => {})
      return
    }
    this.o.onEnd(this.outcome())
  }
}

function toBytes (value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  throw new TypeError('qwed: a stream chunk must be a string, a Buffer or a Uint8Array')
}
