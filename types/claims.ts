/** A decimal given as a number or as a string (`"0.3"` stays exact). */
export type DecimalInput = number | string

/** Arithmetic or algebra: `lhs = rhs`, a chain `a = b = c`, or an expression with `expected`. */
export interface MathExpressionClaim {
  type: 'math'
  operation?: undefined
  expression: string
  expected?: DecimalInput
  tolerance?: DecimalInput
  /** `real` turns a non-real result (e.g. `sqrt(-4)`) into BLOCKED. */
  domain?: 'real' | 'complex'
  /**
   * Decimal places the last side of an equation is rounded to (`= 3882.42` with 2): the link to it
   * holds when the value before it, rounded half away from zero to that many places, is that number
   * exactly. Every other link stays exact. Set by extractClaims for a decimal written with k places.
   */
  roundedTo?: number
}

/** A value checked by one of the math library helpers (calculus, matrices, finance, units). */
export type MathOperationClaim =
  | { type: 'math', operation: 'derivative', expression: string, variable: string, order?: number, expected: string, tolerance?: DecimalInput }
  | { type: 'math', operation: 'integral', expression: string, variable: string, lower?: DecimalInput, upper?: DecimalInput, expected: string | number, tolerance?: DecimalInput }
  | { type: 'math', operation: 'limit', expression: string, variable: string, point: string | number, expected: string | number }
  | { type: 'math', operation: 'matrix', matrixOperation: 'add' | 'subtract' | 'multiply' | 'transpose' | 'inverse' | 'determinant' | 'eigenvalues', a: DecimalInput[][], b?: DecimalInput[][], expected: DecimalInput | DecimalInput[] | DecimalInput[][], tolerance?: DecimalInput }
  | { type: 'math', operation: 'percentage', calculation: 'of' | 'increase' | 'decrease' | 'change', value: DecimalInput, percentage?: DecimalInput, newValue?: DecimalInput, expected: DecimalInput, tolerance?: DecimalInput }
  | { type: 'math', operation: 'compound_interest', principal: DecimalInput, rate: DecimalInput, years: DecimalInput, compoundsPerYear?: number, expected: DecimalInput, tolerance?: DecimalInput }
  | { type: 'math', operation: 'npv', rate: DecimalInput, cashFlows: DecimalInput[], expected: DecimalInput, tolerance?: DecimalInput }
  | { type: 'math', operation: 'irr', cashFlows: DecimalInput[], expected: DecimalInput, tolerance?: DecimalInput }
  | { type: 'math', operation: 'unit_conversion', value: DecimalInput, from: string, to: string, expected: DecimalInput, tolerance?: DecimalInput }

export type MathClaim = MathExpressionClaim | MathOperationClaim

/** A SQL statement an LLM wrote, checked on its syntax tree (and against a DDL when given). */
export interface SqlClaim {
  type: 'sql'
  query: string
  /** `CREATE TABLE ...` statements: every table and column the query names must exist here. */
  schema?: string
  dialect?: 'postgresql' | 'mysql' | 'sqlite'
  allowDestructive?: boolean
  limits?: SqlLimits
  /**
   * Columns the query must not read: `table.column`, `schema.table.column`, or a bare `column`
   * (any table). With a `schema`, these and the DDL's `qwed:sensitive` markers are the only
   * sensitive columns; without one, the default word list (password, ssn, salary, ...) applies too.
   */
  sensitiveColumns?: string[]
  /** Functions allowed beyond the dialect's allowlist, by name (`my_pure_udf`, `util.slugify`). */
  allowFunctions?: string[]
}

export interface SqlLimits {
  maxTables?: number
  maxJoins?: number
  maxSubqueryDepth?: number
  maxPredicates?: number
}

/** A code snippet an LLM wrote, checked on its syntax tree. */
export interface CodeClaim {
  type: 'code'
  code: string
  language: 'python' | 'javascript' | 'typescript'
  /** Follow user input through assignments into dangerous sinks. */
  taint?: boolean
  /** Capabilities to allow beyond the default policy (a file capability then covers system paths too). */
  allow?: CodeCapability[]
  /** Capabilities to deny, whatever the default policy or `allow` say. */
  deny?: CodeCapability[]
}

/** What a code snippet may do (see the code engine's capability model). */
export type CodeCapability = 'process' | 'code' | 'fs.read' | 'fs.write' | 'fs.delete' | 'net' | 'env' | 'native' | 'debug' |
  'deserialize' | 'dom.html' | 'proto' | 'secret' | 'exfiltration'

/** A JSON document checked against a JSON Schema (draft 2020-12). */
export interface SchemaClaim {
  type: 'schema'
  data: unknown
  schema: Record<string, unknown> | boolean
}

/** An invoice or payment total: subtotal + tax must equal total exactly, in decimal. */
export interface TransactionClaim {
  type: 'transaction'
  subtotal: DecimalInput
  tax: DecimalInput
  total: DecimalInput
  /** Subtracted before the total: subtotal + tax - discount = total. */
  discount?: DecimalInput
  currency?: string
}

/** Z3 sorts: Int, Real, Bool, or a bit-vector width. */
export type LogicSort = 'Int' | 'Real' | 'Bool' | number

/**
 * A logical claim checked with Z3. Constraints use the Z3-Python-style infix syntax
 * (`x > 5`, `And(P, Not(Q))`, `Implies(P, Q)`, `Select(arr, 0) == 42`).
 * satisfiable: `constraints` have a model; theorem: `premises` entail `conclusion`;
 * implication: `antecedent` entails `consequent`; equivalence: `formulas[0]` iff `formulas[1]`;
 * vacuity: `antecedent` can hold at all; optimize: the optimum of `objective` under `constraints` is `expected`.
 */
export interface LogicClaim {
  type: 'logic'
  check: 'satisfiable' | 'theorem' | 'implication' | 'equivalence' | 'vacuity' | 'optimize'
  variables: Record<string, LogicSort>
  /** Arrays: name -> [index sort, value sort]. */
  arrays?: Record<string, [LogicSort, LogicSort]>
  constraints?: string[]
  premises?: string[]
  conclusion?: string
  antecedent?: string
  consequent?: string
  formulas?: [string, string]
  objective?: string
  maximize?: boolean
  expected?: DecimalInput
}

export type StatisticName =
  | 'mean' | 'median' | 'mode' | 'variance' | 'std' | 'min' | 'max' | 'range' | 'sum' | 'count'
  | `percentile_${number}` | 'correlation'

/** A statistic of a data set (or a correlation of `data` with `y`) claimed to be `expected`. */
export interface StatsValueClaim {
  type: 'stats'
  generatedCode?: undefined
  statistic: StatisticName
  data: DecimalInput[]
  y?: DecimalInput[]
  expected: DecimalInput
  tolerance?: DecimalInput
}

/**
 * Analysis code an LLM wrote to compute a statistic (QWED's verify_stats, pandas). Code is never
 * run here, so this claim is never VERIFIED: unsafe code is BLOCKED, safe code UNVERIFIABLE
 * (claim the computed value with a StatsValueClaim instead).
 */
export interface StatsCodeClaim {
  type: 'stats'
  generatedCode: string
  /** What the code was asked to compute (recorded, not judged). */
  query?: string
}

export type StatsClaim = StatsValueClaim | StatsCodeClaim

/** A factual claim checked against a source text by a QWED server (`remote`); there is no local engine. */
export interface FactClaim {
  type: 'fact'
  claim: string
  /** The source text the claim must follow from. */
  context: string
}

/** A natural-language math question answered and checked by a QWED server (`remote`); there is no local engine. */
export interface NaturalLanguageClaim {
  type: 'natural_language'
  query: string
}

/** Every claim type the engines understand (fact and natural_language only with `remote`). */
export type Claim = MathClaim | SqlClaim | CodeClaim | SchemaClaim | TransactionClaim | LogicClaim | StatsClaim | FactClaim | NaturalLanguageClaim

export type ClaimType = Claim['type']
