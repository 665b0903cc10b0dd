/**
 * The code safety engine: rules on the syntax tree of a Python, JavaScript or TypeScript snippet.
 *
 * Result model (QWED §4.3): a snippet that was analysed is always VERIFIED, proven safe
 * (`is_valid: true`, admission ADMIT) or proven unsafe (`is_valid: false`, admission BLOCKED); a
 * snippet that could not be analysed (unsupported language, too large, unparseable, too deep) is
 * BLOCKED. Every finding names the capability it uses (capabilities.ts); the claim's policy
 * (default, `allow`, `deny`) makes a denied capability CRITICAL and an allowed one a WARNING.
 * Findings without a capability (weak password hashing, weak randomness) keep their severity.
 * Only CRITICAL issues make code unsafe; the constraint_id of unsafe code names the capability of
 * its first blocking issue (`code.capability_process`, `code.capability_fs_write`: two dotted
 * parts like every constraint_id; `blocked_capabilities` has the exact names).
 *
 * Where this differs from QWED 7.1 on purpose: QWED scans lines for substrings, so `cursor.execute`
 * matches `exec`, `re.compile` matches `compile`, any class `constructor` is "prototype pollution",
 * and `os.system(x)`, `shell=True`, aliased imports or `child_process` go unnoticed. Here every rule
 * matches resolved names on the syntax tree, and code that does not parse is BLOCKED, never "safe".
 */
import type { CodeClaim } from '../../../types/claims.js'
import type { Engine, EngineResult } from '../../../types/engine.js'
import type { DeveloperFields } from '../../../types/result.js'
import { sha256Hex } from '../../canonical.js'
import { blocked, verified } from '../../result.js'
import { type CapabilityPolicy, type Capability, isAllowed, policyOf } from './capabilities.js'
import type { AnalysisOutcome, CodeIssue } from './issues.js'
import { analyseJavaScript } from './javascript.js'
import { analysePython, getPythonParser } from './python.js'
import { MAX_CODE_BYTES } from './descriptor.js'

export { MAX_CODE_BYTES }

export const SUPPORTED_LANGUAGES = ['javascript', 'python', 'typescript'] as const
export type CodeLanguage = typeof SUPPORTED_LANGUAGES[number]

const LANGUAGE_ALIASES: Readonly<Record<string, CodeLanguage>> = {
  python: 'python',
  py: 'python',
  python3: 'python',
  py3: 'python',
  javascript: 'javascript',
  js: 'javascript',
  node: 'javascript',
  nodejs: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  ecmascript: 'javascript',
  typescript: 'typescript',
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  cts: 'typescript'
}

const ENGINE_ID = 'qwed-middleware-code'
const SAFE_MESSAGE = 'The code passed security verification and is safe to use.'
const UNSAFE_MESSAGE = 'The code failed security verification and is not safe to use.'

/** Normalises a language name like QWED (`py` → python, `js` → javascript, `ts` → typescript). */
export function normaliseLanguage (language: unknown): CodeLanguage | null {
  if (typeof language !== 'string') return null
  return LANGUAGE_ALIASES[language.trim().toLowerCase()] ?? null
}

const BLOCKED_MESSAGES: Record<string, string> = {
  invalid_claim: 'The code claim is malformed and cannot be verified.',
  unsupported_language: 'Code verification could not be completed because the specified language is not supported.',
  too_large: 'The code is too large to verify.',
  parse_error: 'The code could not be parsed, so it cannot be verified.',
  too_deep: 'The code is nested too deeply to verify.',
  too_complex: 'The code is too complex to verify.',
  aborted: 'Code verification did not finish in time.'
}

function refuse (reason: string, fields: DeveloperFields = {}, cacheable = true): EngineResult {
  const result: EngineResult = blocked(BLOCKED_MESSAGES[reason] ?? 'The code cannot be verified.', { constraint_id: `code.${reason}`, is_safe: false, ...fields })
  if (!cacheable) result.cacheable = false
  return result
}

/**
 * The policy decides what a capability use weighs: CRITICAL when denied, a WARNING (reported,
 * never blocking) when allowed. Findings without a capability keep the severity their rule gave.
 */
function applyPolicy (issues: CodeIssue[], policy: CapabilityPolicy): CodeIssue[] {
  return issues.map((i) => {
    if (i.capability === undefined) return i
    const severity = isAllowed(policy, i.capability as Capability, i.reach) ? 'WARNING' : 'CRITICAL'
    return severity === i.severity ? i : { ...i, severity }
  })
}

export function createCodeEngine (): Engine<CodeClaim> {
  return {
    name: 'code',
    claimTypes: ['code'],
    /** Loads the Python grammar (WebAssembly), which the first Python claim would otherwise load. */
    async warmUp () {
      await getPythonParser()
    },
    async verify (claim, { signal }) {
      const raw = claim as unknown as Record<string, unknown> | null
      if (raw === null || typeof raw !== 'object' || typeof raw.code !== 'string') {
        return refuse('invalid_claim', { error: 'code must be a string' })
      }
      if (raw.taint !== undefined && typeof raw.taint !== 'boolean') {
        return refuse('invalid_claim', { error: 'taint must be a boolean' })
      }
      const policy = policyOf(raw.allow, raw.deny)
      if (typeof policy === 'string') return refuse('invalid_claim', { error: policy })
      const language = normaliseLanguage(raw.language)
      if (language === null) {
        return refuse('unsupported_language', {
          language: typeof raw.language === 'string' ? raw.language.slice(0, 40) : null,
          supported_languages: [...SUPPORTED_LANGUAGES]
        })
      }
      const code = raw.code
      if (code.length > MAX_CODE_BYTES || Buffer.byteLength(code, 'utf8') > MAX_CODE_BYTES) {
        return refuse('too_large', { language, max_bytes: MAX_CODE_BYTES })
      }
      const taint = raw.taint === true
      if (signal.aborted) return refuse('aborted', { language }, false)

      let outcome: AnalysisOutcome
      if (language === 'python') outcome = await analysePython(code, { taint, signal })
      else outcome = analyseJavaScript(code, { taint, typescript: language === 'typescript' })

      if (!outcome.ok) {
        const fields: DeveloperFields = { language, error: outcome.detail }
        if (outcome.line_number !== undefined) fields.line_number = outcome.line_number
        return refuse(outcome.reason, fields, outcome.reason !== 'aborted')
      }

      const issues = applyPolicy(outcome.issues.sorted(), policy)
      const criticalCount = issues.filter((i) => i.severity === 'CRITICAL').length
      const warningCount = issues.length - criticalCount
      const isSafe = criticalCount === 0
      const issueTypes = [...new Set(issues.map((i) => i.type))].sort()
      const used = [...new Set(issues.flatMap((i) => i.capability === undefined ? [] : [i.capability]))].sort()
      const denied = [...new Set(issues.flatMap((i) => i.capability !== undefined && i.severity === 'CRITICAL' ? [i.capability] : []))].sort()
      const firstBlocking = issues.find((i) => i.severity === 'CRITICAL')
      const policyFields = { allow: [...policy.allow].sort(), deny: [...policy.deny].sort() }
      const fields: DeveloperFields = {
        constraint_id: isSafe ? 'code.code_safe' : firstBlocking?.capability !== undefined ? `code.capability_${firstBlocking.capability.replace('.', '_')}` : 'code.code_unsafe',
        is_safe: isSafe,
        is_valid: isSafe,
        language,
        issues,
        critical_count: criticalCount,
        warning_count: warningCount,
        capabilities: used,
        blocked_capabilities: denied,
        policy: policyFields,
        taint_analysis: taint,
        engine: ENGINE_ID
      }
      const evidence = {
        engine: ENGINE_ID,
        language,
        code_sha256: sha256Hex(code),
        is_safe: isSafe,
        critical_count: criticalCount,
        warning_count: warningCount,
        issue_types: issueTypes,
        capabilities: used,
        blocked_capabilities: denied,
        policy: policyFields,
        taint_analysis: taint
      }
      return verified(isSafe ? SAFE_MESSAGE : UNSAFE_MESSAGE, fields, evidence)
    }
  }
}
