/**
 * The resource guard every claim passes before it is sent to a QWED server: nothing we send may
 * hurt the shared service (QWED cannot cancel work, and SymPy evaluates `9**9**9**9` until the
 * process is killed). The caps are the embedded engines' own (lengths, nesting, syntax-tree size,
 * number sizes), applied without evaluating anything unbounded:
 *
 *   math   the math engine's normaliser and parser (length, ASCII, nesting, node and depth caps);
 *          every constant sub-expression evaluated exactly under the math engine's bit cap and
 *          work budget (so `9^9^9^9` stops at the second power); powers of a variable base at
 *          most the engine's expansion degree; factorials and exp() of constants within the
 *          engine's caps; no double exponential with a variable inside (`2^(2^x)`, `exp(exp(x))`),
 *          which a server checking an identity at sample points would evaluate.
 *   logic  the logic engine's parser and sort checker (formula, token, depth and literal caps).
 *   sql    the SQL engine's query and DDL caps, and bracket nesting (sqlglot recurses per level).
 *   code   the code engine's size cap, and bracket nesting.
 * fact and natural_language carry text only: the verifier's claim guard bounds them.
 *
 * A refused claim is BLOCKED `remote.resource_limit` with the embedded engine's reason in `guard`;
 * it is never sent.
 *
 * The sizes come from the engine descriptors (`<engine>/descriptor.ts`); the checks that need a
 * parser are the engines' own (math/remote-precheck.ts, logic `prepare`), light to import: mathjs
 * loads on the first math claim (the registry's warmUp loads it when math claims go to a server).
 */
import type { Claim, CodeClaim, LogicClaim, MathClaim, SqlClaim } from '../../../types/claims.js'
import type { EngineResult } from '../../../types/engine.js'
import { blocked } from '../../result.js'
import { MAX_CODE_BYTES } from '../code/descriptor.js'
import { prepare } from '../logic/checks.js'
import { LogicInputError } from '../logic/parse.js'
import { mathRemoteRefusal } from '../math/remote-precheck.js'
import { MAX_QUERY_CHARS, MAX_SCHEMA_CHARS } from '../sql/descriptor.js'

/** Bracket nesting sent to a server-side parser (sqlglot and CPython stay far from their stack limits). */
export const MAX_REMOTE_NESTING = 100

type Guarded = { ok: true } | { ok: false, result: EngineResult }

const PASS: Guarded = { ok: true }

function refuse (guard: string, detail: Record<string, unknown> = {}): Guarded {
  return {
    ok: false,
    result: blocked('The claim exceeds the verification resource limits and was not sent to the verification service', {
      constraint_id: 'remote.resource_limit',
      guard,
      ...detail
    })
  }
}

/** Checks a claim against the embedded engines' resource caps before it goes to the server. */
export function guardRemoteClaim (claim: Claim): Guarded {
  switch (claim.type) {
    case 'math': return guardMath(claim)
    case 'logic': return guardLogic(claim)
    case 'sql': return guardSql(claim)
    case 'code': return guardCode(claim)
    default: return PASS
  }
}

// ------------------------------------------------------------------ math

function guardMath (claim: MathClaim): Guarded {
  const refusal = mathRemoteRefusal(claim)
  return refusal === null ? PASS : refuse(refusal.guard, refusal.detail)
}

// ------------------------------------------------------------------ logic, SQL, code

function guardLogic (claim: LogicClaim): Guarded {
  try {
    prepare(claim)
    return PASS
  } catch (err) {
    if (err instanceof LogicInputError) return refuse(`logic.${err.code}`)
    return refuse('logic.internal_error')
  }
}

function guardSql (claim: SqlClaim): Guarded {
  if (typeof claim.query === 'string' && claim.query.length > MAX_QUERY_CHARS) return refuse('sql.too_large', { max_length: MAX_QUERY_CHARS })
  if (typeof claim.schema === 'string' && claim.schema.length > MAX_SCHEMA_CHARS) return refuse('sql.too_large', { max_length: MAX_SCHEMA_CHARS })
  if (typeof claim.query === 'string' && nesting(claim.query) > MAX_REMOTE_NESTING) return refuse('sql.too_deep', { max_depth: MAX_REMOTE_NESTING })
  if (typeof claim.schema === 'string' && nesting(claim.schema) > MAX_REMOTE_NESTING) return refuse('sql.too_deep', { max_depth: MAX_REMOTE_NESTING })
  return PASS
}

function guardCode (claim: CodeClaim): Guarded {
  if (typeof claim.code !== 'string') return PASS // the mapping refuses it
  if (claim.code.length > MAX_CODE_BYTES || Buffer.byteLength(claim.code, 'utf8') > MAX_CODE_BYTES) return refuse('code.too_large', { max_bytes: MAX_CODE_BYTES })
  if (nesting(claim.code) > MAX_REMOTE_NESTING) return refuse('code.too_deep', { max_depth: MAX_REMOTE_NESTING })
  return PASS
}

/** Deepest bracket nesting of a text (strings and comments are counted too: an over-estimate is safe). */
export function nesting (text: string): number {
  let depth = 0
  let deepest = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 40 || c === 91 || c === 123) {
      if (++depth > deepest) deepest = depth
    } else if ((c === 41 || c === 93 || c === 125) && depth > 0) {
      depth--
    }
  }
  return deepest
}
