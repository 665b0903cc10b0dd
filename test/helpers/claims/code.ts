import type { CodeClaim } from '../../../types/claims.js'
import type { ConformanceCase } from '../conformance.js'

// QWED-derived code cases (test/fixtures/qwed-cases.jsonl), run through the public verifier.
// Mapping: verify_code {code, language} -> { type: 'code', code, language };
//          verify_python_deep {code}    -> { type: 'code', code, language: 'python', taint: true }.
//
// Where QWED 7.1 is wrong and we are right on purpose (see conformance/README.md, "differs on
// purpose"): QWED scans lines for substrings, so it calls `cursor.execute(...)` (code-040),
// `def evaluate` (code-042), the word eval inside a string (code-043) and a TypeScript class
// constructor (code-059) unsafe, and misses `os.system` (code-020), `shell=True` (code-030),
// `importlib.import_module("o" + "s")` (code-036), `child_process` (code-054/055), a
// non-literal subprocess argument list (code-013) and `window["ev" + "al"]` (code-062). Our engine
// works on the syntax tree, so those cases expect the opposite of QWED's answer.

export function toClaim ({ input }: ConformanceCase): CodeClaim {
  const code = input.code as string
  if (input.method === 'verify_python_deep') return { type: 'code', code, language: 'python', taint: true }
  if (input.method === 'verify_code') return { type: 'code', code, language: String(input.language ?? '') as CodeClaim['language'] }
  throw new Error(`unmapped method ${input.method}`)
}
