/** A decimal given as a number or as a string (`"0.3"` stays exact). */
export type DecimalInput = number | string

/** Arithmetic or algebra: `lhs = rhs`, a chain `a = b = c`, or an expression with `expected`. */
export interface MathClaim {
  type: 'math'
  expression: string
  expected?: DecimalInput
  tolerance?: DecimalInput
  /** `real` turns a non-real result (e.g. `sqrt(-4)`) into BLOCKED. */
  domain?: 'real' | 'complex'
}

/** A SQL statement an LLM wrote, checked on its syntax tree (and against a DDL when given). */
export interface SqlClaim {
  type: 'sql'
  query: string
  /** `CREATE TABLE ...` statements: every table and column the query names must exist here. */
  schema?: string
  dialect?: 'postgresql' | 'mysql' | 'sqlite'
  allowDestructive?: boolean
  limits?: SqlLimits
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
}

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

/** Every claim type the embedded engines understand. */
export type Claim = MathClaim | SqlClaim | CodeClaim | SchemaClaim | TransactionClaim

export type ClaimType = Claim['type']
