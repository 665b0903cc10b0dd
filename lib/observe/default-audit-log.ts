import { hostname } from 'node:os'
import { pino } from 'pino'
import type { QwedLogger } from '../../types/options.js'
import { GatheredLines } from './gathered-lines.js'

/** Bytes of audit lines the default audit log gathers before one write to stdout. */
export const DEFAULT_AUDIT_LOG_BUFFER_BYTES = 4096
/** The longest a gathered line waits on a quiet server before it is written. */
export const DEFAULT_AUDIT_LOG_FLUSH_MS = 1000

const NAME = 'qwed-audit'

interface DefaultAuditLog {
  logger: QwedLogger
  /** The gathered stdout lines; null when lines go to a replaced process.stdout.write. */
  lines: GatheredLines | null
}

let defaultLog: DefaultAuditLog | undefined

/**
 * The default audit log, one per process: pino lines named `qwed-audit` on stdout, gathered into
 * writes of DEFAULT_AUDIT_LOG_BUFFER_BYTES (a write per line, and the copies it made, cost more than
 * the rest of a cached verification). Lines still gathered are written by flushDefaultAuditLog (the
 * Express middleware's close()), every DEFAULT_AUDIT_LOG_FLUSH_MS, and on process exit; a hard kill
 * loses them (the audit store is the durable trail). When process.stdout.write has been replaced (a
 * test capturing output), lines go through it, as pino() does.
 */
export function defaultAuditLogger (): QwedLogger {
  defaultLog ??= openDefaultAuditLog()
  return defaultLog.logger
}

/** How long close() waits for stdout to take the gathered lines (a stalled pipe must not hold close() forever). */
export const DEFAULT_AUDIT_LOG_CLOSE_WAIT_MS = 2000

/**
 * Writes the default audit log's gathered lines and resolves when they are written, could not be
 * (stdout closed), or after DEFAULT_AUDIT_LOG_CLOSE_WAIT_MS while stdout takes nothing (what is
 * still gathered then is written at process exit).
 */
export async function flushDefaultAuditLog (): Promise<void> {
  const lines = defaultLog?.lines
  if (lines === null || lines === undefined) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([lines.flush(), new Promise<void>((resolve) => { timer = setTimeout(resolve, DEFAULT_AUDIT_LOG_CLOSE_WAIT_MS) })])
  clearTimeout(timer)
}

function openDefaultAuditLog (): DefaultAuditLog {
  const stdout = process.stdout as NodeJS.WriteStream & { constructor: { prototype: { write: unknown } } }
  if (stdout.write !== stdout.constructor.prototype.write) return { logger: pino({ name: NAME }), lines: null }
  const lines = new GatheredLines(process.stdout.fd ?? 1, DEFAULT_AUDIT_LOG_BUFFER_BYTES, DEFAULT_AUDIT_LOG_FLUSH_MS)
  return { logger: auditLineLogger(lines, pino({ name: NAME }, lines)), lines }
}

interface LineSink { write: (line: string) => void }

/**
 * A logger that writes an audit record as the line pino({ name: 'qwed-audit' }) writes for it, with
 * one JSON.stringify of the record (pino serializes field by field, several times the work for
 * an audit record). A record JSON.stringify cannot write (a claim with a BigInt or a cycle, with
 * includeClaims) goes through `fallback`, pino itself, which can. test/default-audit-log.test.ts
 * checks that the lines are the same.
 */
export function auditLineLogger (out: LineSink, fallback: QwedLogger): QwedLogger {
  const bindings = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"name":"${NAME}"`
  const line = (level: 30 | 40 | 50, method: 'info' | 'warn' | 'error', record: unknown, msg: unknown): void => {
    let fields: string | undefined
    try {
      fields = typeof record === 'object' && record !== null && typeof msg === 'string' ? JSON.stringify(record) : undefined
    } catch {
      fields = undefined
    }
    if (fields === undefined) {
      (fallback[method] as (record: unknown, msg: unknown) => void)(record, msg)
      return
    }
    const inner = fields.length > 2 ? ',' + fields.slice(1, -1) : ''
    out.write(`{"level":${level},"time":${Date.now()}${bindings}${inner},"msg":${JSON.stringify(msg)}}\n`)
  }
  const logger = {
    info (record: unknown, msg?: unknown): void { line(30, 'info', record, msg) },
    warn (record: unknown, msg?: unknown): void { line(40, 'warn', record, msg) },
    error (record: unknown, msg?: unknown): void { line(50, 'error', record, msg) },
    isLevelEnabled (level: string): boolean { return level === 'info' || level === 'warn' || level === 'error' || level === 'fatal' }
  }
  return logger as unknown as QwedLogger
}
