/**
 * Caps, the work budget and the engine's internal failure types. Every cap is checked before the
 * work it guards, so no claim can hold the event loop for more than a few milliseconds.
 */

export const LIMITS = {
  /** Characters of the raw expression; checked before anything else. */
  maxLength: 5000,
  /** Nodes and depth of the syntax tree of one side. */
  maxNodes: 1500,
  maxDepth: 500,
  /** Parenthesis nesting, checked on the text before mathjs (its parser overflows near 300). */
  maxNesting: 100,
  /** Sides of a chain `a = b = c`. */
  maxSides: 20,
  /** Bits of a numerator or denominator of an exact rational (about 4 900 decimal digits). */
  maxBits: 16384,
  /** Decimal exponent of a literal such as `1e400`. */
  maxLiteralExponent: 4900,
  /** Largest argument of factorial and of binomial's `n`. */
  maxFactorial: 1000,
  /** Terms of a polynomial, exponent of one atom, degree reached by expanding a power. */
  maxTerms: 2000,
  maxAtomExponent: 100000,
  maxExpandDegree: 200,
  /** Index of a root kept symbolically (`x^(1/q)`). */
  maxRootIndex: 64,
  /** Distinct atoms (variables, constants, function applications) in one claim. */
  maxAtoms: 400,
  /** Rewriting passes of the normal form. */
  maxReductionPasses: 64,
  /** Work units per claim (about 10 microseconds each; see Budget). */
  maxWork: 10000,
  /** Working precision of the high-precision fallback, in significant digits. */
  minPrecision: 60,
  maxPrecision: 100,
  /** |x| above which sin, cos and friends are not evaluated numerically. */
  maxTrigArgument: 1e100,
  /** |x| above which exp is not evaluated numerically. */
  maxExpArgument: 1e9
} as const

/** A verdict-worthy failure: becomes BLOCKED with `constraint_id = 'math.' + reason`. */
export class MathFailure extends Error {
  readonly reason: string
  readonly publicMessage: string
  readonly detail: Record<string, unknown>
  constructor (reason: string, publicMessage: string, detail: Record<string, unknown> = {}) {
    super(`${reason}: ${publicMessage}`)
    this.name = 'MathFailure'
    this.reason = reason
    this.publicMessage = publicMessage
    this.detail = detail
  }
}

/** The value is not a real number (e.g. `sqrt(-4)`): UNVERIFIABLE, or BLOCKED in the real domain. */
export class NotRealError extends Error {
  constructor (detail: string) {
    super(detail)
    this.name = 'NotRealError'
  }
}

/** High-precision evaluation could not separate a value from zero (or a bound). */
export class UndecidableError extends Error {
  constructor (detail: string) {
    super(detail)
    this.name = 'UndecidableError'
  }
}

export function resourceLimit (detail: string, extra: Record<string, unknown> = {}): MathFailure {
  return new MathFailure('resource_limit', 'Expression exceeds the verification resource limits', { limit: detail, ...extra })
}

export function divisionByZero (detail: string): MathFailure {
  return new MathFailure('division_by_zero', 'Expression contains division by zero', { error: 'Division by zero', detail })
}

export function undefinedValue (detail: string): MathFailure {
  return new MathFailure('undefined_value', 'Expression is undefined', { error: 'undefined', detail })
}

export function unsupported (detail: string): MathFailure {
  return new MathFailure('unsupported', 'Expression uses an operation that cannot be verified', { detail })
}

/**
 * Work accounting for one claim. Everything runs synchronously inside `verify`, so a module-level
 * "current budget" is safe: it is installed for the duration of one claim and removed afterwards.
 */
export class Budget {
  private used = 0
  private readonly max: number
  private readonly signal: AbortSignal | undefined
  constructor (max: number, signal?: AbortSignal) {
    this.max = max
    this.signal = signal
  }

  charge (units: number): void {
    this.used += units
    if (this.used > this.max) throw resourceLimit('work budget', { max_work: this.max })
    if (this.signal?.aborted === true) throw new MathFailure('aborted', 'Verification was stopped before it finished', {})
  }
}

let current: Budget | null = null

/** Charges the budget of the claim being verified (a no-op outside `withBudget`). */
export function charge (units: number): void {
  current?.charge(units)
}

/**
 * Checks the claim's signal without charging: for long loops whose cost was charged up front, so
 * that a deadline (or an event-loop time slice, ../slice.ts) stops them part way.
 */
export function checkpoint (): void {
  current?.charge(0)
}

export function withBudget<T> (budget: Budget, fn: () => T): T {
  const previous = current
  current = budget
  try {
    return fn()
  } finally {
    current = previous
  }
}
