import type { LogicClaim, LogicSort } from '../../../types/claims.js'
import type { ConformanceCase } from '../conformance.js'

// QWED-derived logic cases (test/fixtures/qwed-cases.jsonl), run through the public API.
//
// QWED's LogicVerifier methods map onto one claim type with a `check`:
//   verify_logic {variables, constraints, prove_unsat?}  -> satisfiable (prove_unsat only adds an
//                                                          unsat-core explanation in QWED; same verdict)
//   prove_theorem {variables, premises, conclusion}       -> theorem
//   check_implication {variables, antecedent, consequent} -> implication
//   check_equivalence {variables, formula1, formula2}     -> equivalence
//   check_vacuity {variables, antecedent, consequent?}    -> vacuity
//   verify_optimization {variables, constraints, objective, maximize} -> optimize
//   verify_bitvector {variables: {name: width}, constraints}          -> satisfiable (numeric sorts)
//   verify_array {array_decls, variables, constraints}                -> satisfiable with arrays
//
// Where we differ from QWED 7.1 on purpose (each is fail-closed):
// - constraints are parsed by our own allowlist parser, never evaluated: Python `and`/`or`/`not`,
//   attribute access, dunders, strings and calls outside the language are BLOCKED;
// - a bit-vector literal that does not fit its width is BLOCKED instead of silently wrapping;
// - a division by a variable must be defined (non-zero) in a model or a proof; Z3 alone leaves
//   `x / 0` unspecified, so `x / y == 3, y == 0` would be SAT there;
// - unknown solver answers (timeout) are BLOCKED, where QWED's library methods say UNVERIFIABLE;
// - no variables declared is BLOCKED for every method (QWED: explicit declarations required).

/** QWED's sort spellings -> ours ('BitVec[8]' is accepted by the engine as it is). */
function sorts (value: unknown): Record<string, LogicSort> {
  return (value ?? {}) as Record<string, LogicSort>
}

export function toClaim ({ input }: ConformanceCase): LogicClaim {
  const variables = sorts(input.variables)
  const strings = (v: unknown): string[] => (v ?? []) as string[]
  switch (input.method) {
    case 'verify_logic':
    case 'verify_bitvector':
      return { type: 'logic', check: 'satisfiable', variables, constraints: strings(input.constraints) }
    case 'verify_array':
      return {
        type: 'logic',
        check: 'satisfiable',
        variables,
        arrays: (input.array_decls ?? {}) as Record<string, [LogicSort, LogicSort]>,
        constraints: strings(input.constraints)
      }
    case 'prove_theorem':
      return { type: 'logic', check: 'theorem', variables, premises: strings(input.premises), conclusion: input.conclusion as string }
    case 'check_implication':
      return { type: 'logic', check: 'implication', variables, antecedent: input.antecedent as string, consequent: input.consequent as string }
    case 'check_equivalence':
      return { type: 'logic', check: 'equivalence', variables, formulas: [input.formula1 as string, input.formula2 as string] }
    case 'check_vacuity': {
      const claim: LogicClaim = { type: 'logic', check: 'vacuity', variables, antecedent: input.antecedent as string }
      if (typeof input.consequent === 'string') claim.consequent = input.consequent
      return claim
    }
    case 'verify_optimization':
      return {
        type: 'logic',
        check: 'optimize',
        variables,
        constraints: strings(input.constraints),
        objective: input.objective as string,
        maximize: input.maximize !== false
      }
    default:
      throw new Error(`unknown logic method ${input.method}`)
  }
}
