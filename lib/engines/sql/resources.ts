import { functionBaseName, type ConstantFolder } from './constant.js'
import type { SqlDialect } from './rules.js'

/**
 * Database-side resource bounds that can be read off the text: how many rows a generator
 * (`generate_series`) produces and how long a string a padding function (`repeat`, `lpad`, ...)
 * builds. A generator's bounds must be constants (or `now()`-relative times) whose span is
 * at most MAX_GENERATED_ROWS; anything else is unbounded as far as the text says.
 */

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Rows a query may generate (10 million: seconds of work, not hours). */
export const MAX_GENERATED_ROWS = 10_000_000
/** Characters (or bytes) one padding call may build. */
export const MAX_GENERATED_CHARS = 10_000_000

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** Interval units: [shortest, longest] length in milliseconds, and their other spellings (plurals are read too). */
const UNIT_TABLE: ReadonlyArray<readonly [string, readonly [number, number], readonly string[]]> = [
  ['microsecond', [0.001, 0.001], ['us', 'usec']],
  ['millisecond', [1, 1], ['ms', 'msec']],
  ['second', [SECOND, SECOND], ['s', 'sec']],
  ['minute', [MINUTE, MINUTE], ['m', 'min']],
  ['hour', [HOUR, HOUR], ['h', 'hr']],
  ['day', [DAY - HOUR, DAY + HOUR], ['d']], // a daylight-saving day is 23 or 25 hours
  ['week', [7 * DAY - HOUR, 7 * DAY + HOUR], ['w']],
  ['month', [28 * DAY - HOUR, 31 * DAY + HOUR], ['mon']],
  ['year', [365 * DAY - HOUR, 366 * DAY + HOUR], ['y', 'yr']],
  ['decade', [3652 * DAY, 3653 * DAY], []],
  ['century', [36524 * DAY, 36525 * DAY], ['centuries']]
]
const UNITS: ReadonlyMap<string, readonly [number, number]> = new Map(
  UNIT_TABLE.flatMap(([name, span, others]) => [name, ...others].flatMap((w) => [[w, span], [`${w}s`, span]] as const))
)
/** Functions that read the transaction's clock: the same instant, give or take a day (`current_date`). */
const NOW_FUNCTIONS = new Set(['now', 'current_timestamp', 'current_date', 'localtimestamp', 'transaction_timestamp',
  'statement_timestamp', 'clock_timestamp', 'localtime', 'current_time', 'sysdate', 'utc_timestamp', 'utc_date', 'curdate'])
const TRUNC_SLACK: ReadonlyMap<string, number> = new Map(Object.entries({
  second: SECOND, minute: MINUTE, hour: HOUR, day: DAY, week: 7 * DAY, month: 31 * DAY, quarter: 92 * DAY, year: 366 * DAY
}))
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?$/
const INTERVAL_PART = /^([+-]?\d{1,12}(?:\.\d{1,9})?)\s*([a-z]+)$/

/** A point in time: absolute (ms since the epoch) or relative to the clock, with an uncertainty. */
interface Instant { clock: boolean, ms: number, slack: number }

export type Verdict = { rows: number } | { unbounded: string }

/**
 * The rows a `generate_series` call produces at most, or why that is unbounded. PostgreSQL:
 * `(start, stop [, step])` over numbers or times; SQLite: `(start [, stop [, step]])`, where a missing
 * stop is 4294967295.
 */
export function seriesRows (node: Obj, folder: ConstantFolder, dialect: SqlDialect): Verdict {
  const args = argsOf(node)
  if (args === null || args.length === 0) return { unbounded: 'its arguments cannot be read' }
  const numbers = args.map((a) => numberOf(a, folder))
  if (numbers.every((n) => n !== null)) {
    const [start, stop = dialect === 'sqlite' ? 4294967295 : null, step = 1] = numbers as number[]
    if (start === undefined || stop === null) return { unbounded: 'it has no stop value' }
    return countSteps(stop - start, step, 0)
  }
  if (args.length !== 3) return { unbounded: 'its bounds are not constants' }
  const start = instantOf(args[0], folder, 0)
  const stop = instantOf(args[1], folder, 0)
  const step = intervalOf(args[2], folder)
  if (start === null || stop === null || step === null) return { unbounded: 'its bounds or step are not constants' }
  if (start.clock !== stop.clock) return { unbounded: 'one bound is a fixed date and the other the current time' }
  return countSteps(stop.ms - start.ms, step, start.slack + stop.slack)
}

function countSteps (span: number, step: number, slack: number): Verdict {
  if (!Number.isFinite(span) || !Number.isFinite(step)) return { unbounded: 'its bounds are not finite numbers' }
  if (step === 0) return { unbounded: 'its step is zero' }
  // the longest the span can be in the step's direction
  const reach = (span + Math.sign(step) * slack) / step
  return { rows: reach < 0 ? 0 : Math.floor(reach) + 1 }
}

/**
 * The characters a padding call builds: `repeat(s, n)`, `lpad(s, n)`, `rpad(s, n)`, `space(n)`,
 * SQLite `zeroblob(n)` / `randomblob(n)`. null when the call is not one of them or its size is not
 * a constant (bounded by the data it reads, like any other expression).
 */
export function producedChars (name: string, node: Obj, folder: ConstantFolder): number | null {
  const args = argsOf(node)
  if (args === null) return null
  switch (name) {
    case 'repeat': {
      const s = folder.evaluate(args[0])
      const n = numberOf(args[1], folder)
      if (n === null) return null
      const len = s !== undefined && typeof s.v === 'string' ? s.v.length : 1
      return Math.max(0, n) * Math.max(1, len)
    }
    case 'lpad':
    case 'rpad':
      return numberOf(args[1], folder)
    case 'space':
    case 'zeroblob':
    case 'randomblob':
      return numberOf(args[0], folder)
    default:
      return null
  }
}

function argsOf (node: Obj): unknown[] | null {
  const args = node.args
  if (isObj(args) && Array.isArray(args.value)) return args.value
  return null
}

function numberOf (node: unknown, folder: ConstantFolder): number | null {
  const c = folder.evaluate(node)
  if (c === undefined || c.opaque === true) return null
  if (typeof c.v === 'number') return c.v
  if (typeof c.v === 'string' && /^\s*[+-]?\d{1,20}(?:\.\d{1,20})?\s*$/.test(c.v)) return Number(c.v)
  return null
}

function instantOf (node: unknown, folder: ConstantFolder, depth: number): Instant | null {
  if (!isObj(node) || depth > 8) return null
  if (node.type === 'cast') return instantOf(node.expr, folder, depth + 1)
  if (node.type === 'function') {
    const name = functionBaseName(node)
    if (NOW_FUNCTIONS.has(name)) return { clock: true, ms: 0, slack: DAY }
    const args = argsOf(node)
    if (name === 'date_trunc' && args !== null && args.length === 2) {
      const unit = folder.evaluate(args[0])
      const inner = instantOf(args[1], folder, depth + 1)
      const slack = unit !== undefined && typeof unit.v === 'string' ? TRUNC_SLACK.get(unit.v.toLowerCase()) : undefined
      return inner === null || slack === undefined ? null : { ...inner, slack: inner.slack + slack }
    }
    if ((name === 'date' || name === 'timestamp') && args !== null && args.length === 1) return instantOf(args[0], folder, depth + 1)
    return null
  }
  if (node.type === 'binary_expr' && (node.operator === '+' || node.operator === '-')) {
    const base = instantOf(node.left, folder, depth + 1)
    const shift = intervalSpan(node.right, folder)
    if (base === null || shift === null) return null
    const [lo, hi] = shift
    const ms = node.operator === '+' ? base.ms + (lo + hi) / 2 : base.ms - (lo + hi) / 2
    return { clock: base.clock, ms, slack: base.slack + (hi - lo) / 2 }
  }
  const text = typeof node.value === 'string' && ['date', 'datetime', 'timestamp', 'time'].includes(String(node.type))
    ? node.value
    : stringOf(node, folder)
  if (text === null) return null
  const m = ISO_DATE.exec(text.trim())
  if (m === null) return null
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0))
  // time zones are not read: a bound may be off by a day either way
  return Number.isFinite(ms) ? { clock: false, ms, slack: DAY } : null
}

function stringOf (node: unknown, folder: ConstantFolder): string | null {
  const c = folder.evaluate(node)
  return c !== undefined && c.opaque !== true && typeof c.v === 'string' ? c.v : null
}

/** The shortest length of a step interval, in ms. */
function intervalOf (node: unknown, folder: ConstantFolder): number | null {
  const span = intervalSpan(node, folder)
  return span === null ? null : span[0]
}

/** [shortest, longest] length of an interval (`interval '1 day'`, `'2 hours'`, `INTERVAL 1 DAY`). */
function intervalSpan (node: unknown, folder: ConstantFolder): readonly [number, number] | null {
  if (!isObj(node)) return null
  if (node.type === 'cast') return intervalSpan(node.expr, folder)
  if (node.type === 'interval') {
    const unit = typeof node.unit === 'string' ? node.unit.trim() : ''
    const inner = folder.evaluate(node.expr)
    if (inner === undefined || inner.opaque === true || inner.v === null) return null
    return parseInterval(unit === '' ? String(inner.v) : `${String(inner.v)} ${unit}`)
  }
  const text = stringOf(node, folder)
  return text === null ? null : parseInterval(text)
}

function parseInterval (text: string): readonly [number, number] | null {
  if (text.length > 200) return null
  const words = text.trim().toLowerCase().split(/\s+/)
  let lo = 0
  let hi = 0
  let parts = 0
  for (let i = 0; i < words.length; i++) {
    // `1 day` (two words) or `1day`
    let part = words[i] as string
    if (/^[+-]?\d/.test(part) && !/[a-z]$/.test(part) && i + 1 < words.length) part += ` ${words[++i] as string}`
    const m = INTERVAL_PART.exec(part.replace(/\s+/, ''))
    if (m === null) return null
    const unit = UNITS.get(m[2] as string)
    if (unit === undefined) return null
    const n = Number(m[1])
    lo += n * (n >= 0 ? unit[0] : unit[1])
    hi += n * (n >= 0 ? unit[1] : unit[0])
    parts++
  }
  return parts === 0 ? null : [lo, hi]
}
