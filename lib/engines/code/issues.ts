/**
 * Issue records shared by the JavaScript and Python analysers, and the name/shape rules for
 * hard-coded secrets, weak randomness and password hashing. Everything here works on values the
 * analysers took from a syntax tree (identifier names, string literal values, comment texts):
 * nothing scans raw source text.
 */

import { type Capability, type PathReach } from './capabilities.js'

export type Severity = 'CRITICAL' | 'WARNING'

/** One finding, in QWED's issue shape (§4.3) minus the `pattern`/`recommendation` extras. */
export interface CodeIssue {
  severity: Severity
  type: string
  description: string
  /** 1-based line of the node the rule fired on. */
  line_number: number
  /** The capability the code uses here; the policy decides the severity of such an issue. */
  capability?: Capability
  /** For file capabilities: what the path is. */
  reach?: PathReach
}

/** Collects issues, dropping exact duplicates (same severity, type, description and line). */
export class IssueList {
  readonly items: CodeIssue[] = []
  private readonly seen = new Set<string>()

  add (severity: Severity, type: string, description: string, line: number, capability?: Capability, reach?: PathReach): void {
    const key = `${severity}\u0000${type}\u0000${description}\u0000${line}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    const issue: CodeIssue = { severity, type, description, line_number: line }
    if (capability !== undefined) issue.capability = capability
    if (reach !== undefined) issue.reach = reach
    this.items.push(issue)
  }

  /** A finding that is unsafe in itself; its type says which capability it uses, if any (CAPABILITY_OF_TYPE). */
  critical (type: string, description: string, line: number): void { this.add('CRITICAL', type, description, line, CAPABILITY_OF_TYPE[type]) }
  warning (type: string, description: string, line: number): void { this.add('WARNING', type, description, line) }
  /** A use of a capability: its severity is decided later by the claim's policy. */
  use (capability: Capability, description: string, line: number, reach?: PathReach): void {
    this.add('CRITICAL', T.capabilityUse, description, line, capability, reach)
  }

  /** Issues ordered by line, then CRITICAL before WARNING, then type: stable across runs. */
  sorted (): CodeIssue[] {
    return [...this.items].sort((a, b) =>
      a.line_number - b.line_number ||
      (a.severity === b.severity ? 0 : a.severity === 'CRITICAL' ? -1 : 1) ||
      (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) ||
      (a.description < b.description ? -1 : a.description > b.description ? 1 : 0))
  }
}

/** Issue types (stable identifiers; they are part of the evidence and of `issue_types`). */
export const T = {
  dangerousFunction: 'dangerous_function',
  dangerousAttribute: 'dangerous_attribute',
  commandExecution: 'command_execution',
  commandInjection: 'command_injection',
  remoteCodeExecution: 'remote_code_execution',
  recursiveDeletion: 'recursive_deletion',
  insecureDeserialization: 'insecure_deserialization',
  dynamicImport: 'dynamic_import',
  dynamicAccess: 'dynamic_access',
  prototypePollution: 'prototype_pollution',
  xss: 'xss',
  hardcodedSecret: 'hardcoded_secret',
  weakCrypto: 'weak_crypto_with_password',
  weakRandom: 'weak_random',
  sqlInjection: 'sql_injection',
  taintFlow: 'taint_flow',
  contextDependent: 'context_dependent',
  capabilityUse: 'capability_use',
  exfiltration: 'exfiltration'
} as const

/**
 * The capability behind each unsafe finding of the name rules. Types absent here (weak crypto,
 * weak randomness, SQL built from data, taint flows) are defects, not capabilities: a policy
 * cannot allow them.
 */
export const CAPABILITY_OF_TYPE: Readonly<Record<string, Capability>> = {
  dangerous_function: 'code',
  dangerous_attribute: 'code',
  dynamic_import: 'code',
  dynamic_access: 'code',
  command_execution: 'process',
  command_injection: 'process',
  remote_code_execution: 'process',
  context_dependent: 'process',
  recursive_deletion: 'fs.delete',
  insecure_deserialization: 'deserialize',
  prototype_pollution: 'proto',
  xss: 'dom.html',
  hardcoded_secret: 'secret',
  exfiltration: 'exfiltration'
}

/** ASCII classes used by nameWords (the rules it reproduces were written with `[A-Z]`, `[a-z]`, `[0-9]`). */
function isUpper (c: number): boolean { return c >= 65 && c <= 90 }
function isLower (c: number): boolean { return c >= 97 && c <= 122 }
function isDigit (c: number): boolean { return c >= 48 && c <= 57 }

/**
 * Splits `apiKey`, `API_KEY`, `db-password2` into lower-case words: ['api', 'key', 'db', 'password'].
 *
 * One linear pass, no regular expression (identifiers come from the claim and may be 200 KB long):
 * a word boundary goes before a capital that follows a lower-case letter or digit (`apiKey`,
 * `v2Name`) and before the last capital of a run that a lower-case letter follows (`HTTPServer` →
 * HTTP Server); the text is then lower-cased, split on every character outside `[a-z0-9]`, and
 * trailing digits are dropped from each word (`password2` → password).
 */
export function nameWords (name: string): string[] {
  let spaced = ''
  let from = 0
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (!isUpper(c)) continue
    const prev = name.charCodeAt(i - 1)
    if (isLower(prev) || isDigit(prev) || (isUpper(prev) && i + 1 < name.length && isLower(name.charCodeAt(i + 1)))) {
      spaced += name.slice(from, i) + ' '
      from = i
    }
  }
  const lower = (spaced + name.slice(from)).toLowerCase()
  const words: string[] = []
  let start = -1
  let lastLetter = -1
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : -1
    if (isLower(c) || isDigit(c)) {
      if (start < 0) start = i
      if (!isDigit(c)) lastLetter = i
      continue
    }
    // end of a word: keep it up to its last non-digit (`v2` → v, `123` → nothing)
    if (start >= 0 && lastLetter >= start) words.push(lower.slice(start, lastLetter + 1))
    start = -1
  }
  return words
}

const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'passphrase', 'secret', 'secrets', 'token', 'credential', 'credentials', 'apikey', 'privatekey', 'accesskey', 'secretkey', 'authtoken'])
const KEY_QUALIFIERS = new Set(['api', 'access', 'private', 'secret', 'signing', 'encryption', 'auth', 'client', 'master', 'session', 'app', 'aws', 'stripe', 'github', 'openai', 'slack', 'bearer', 'refresh', 'service', 'license', 'webhook'])
/** A last word that says the value is about a secret, not the secret itself (`TOKEN_URL`, `password_field`). */
const NOT_SECRET_LAST = new Set(['url', 'uri', 'endpoint', 'path', 'file', 'filename', 'dir', 'name', 'names', 'field', 'fields', 'label', 'prompt', 'message', 'msg', 'header', 'type', 'length', 'len', 'regex', 'pattern', 'format', 'env', 'var', 'param', 'placeholder', 'hint', 'title', 'text', 'count', 'limit', 'expiry', 'expires', 'ttl', 'timeout', 'id', 'column', 'col', 'attr', 'attribute', 'policy', 'min', 'max', 'error', 'template', 'input', 'selector', 'class', 'mode', 'strategy', 'provider', 'scheme', 'location'])

/** Cheap pre-check: every secret-like name contains one of these fragments. */
const SECRET_HINT = /pass|pwd|secret|token|key|credential/i

/** A name that holds a credential: `password`, `api_key`, `clientSecret`, `GITHUB_TOKEN`. */
export function isSecretName (name: string): boolean {
  if (!SECRET_HINT.test(name)) return false
  const words = nameWords(name)
  if (words.length === 0) return false
  const last = words[words.length - 1] as string
  if (NOT_SECRET_LAST.has(last)) return false
  if (words.some((w) => SECRET_WORDS.has(w))) return true
  for (let i = 1; i < words.length; i++) {
    if (words[i] === 'key' && KEY_QUALIFIERS.has(words[i - 1] as string)) return true
  }
  return false
}

const PASSWORD_WORDS = new Set(['password', 'passwd', 'pwd', 'passphrase', 'pass', 'pw', 'secret', 'credential', 'credentials'])

/** A name that holds a password: `password`, `user_pwd`, `hashPassword`, `pw_hash`. */
export function isPasswordName (name: string): boolean {
  if (!/pass|pwd|pw|secret|cred/i.test(name)) return false
  return nameWords(name).some((w) => PASSWORD_WORDS.has(w))
}

/**
 * A name compared against a literal credential (`if password == "..."`). Narrower than
 * isSecretName: a bare `token` is usually a lexer token (`if token == "lambda"`).
 */
export function isCredentialName (name: string): boolean {
  const words = nameWords(name)
  if (words.length === 1 && words[0] === 'token') return false
  return isPasswordName(name) || isSecretName(name)
}

const TOKEN_WORDS = new Set(['token', 'password', 'passwd', 'pwd', 'secret', 'otp', 'nonce', 'salt', 'csrf', 'xsrf', 'apikey', 'passphrase', 'pin', 'totp'])
const TOKEN_QUALIFIED = new Set(['key', 'code', 'id'])
const TOKEN_QUALIFIERS = new Set(['api', 'auth', 'secret', 'access', 'session', 'verification', 'verify', 'reset', 'activation', 'invite', 'confirm', 'confirmation', 'recovery', 'login', 'signup', 'one'])

/** A name whose value must be unpredictable: `token`, `reset_code`, `session_id`, `otp`, `salt`. */
export function isTokenName (name: string): boolean {
  const words = nameWords(name)
  if (words.some((w) => TOKEN_WORDS.has(w))) return true
  for (let i = 1; i < words.length; i++) {
    if (TOKEN_QUALIFIED.has(words[i] as string) && TOKEN_QUALIFIERS.has(words[i - 1] as string)) return true
  }
  return words.length === 1 && words[0] === 'session'
}

/** Obvious stand-ins: `<api-key>`, `{{TOKEN}}`, `xxxx`, `your-api-key-here`, `REPLACE_ME`. */
const PLACEHOLDERS: readonly RegExp[] = [
  /^<[^<>]*>$/, /^\{\{.*\}\}$/, /^\$\{.*\}$/, /^%\(.*\)s$/, /^[x*.#_-]+$/i,
  /^(your|my|enter|insert|put)[-_ .]?/i, /placeholder/i, /replace[-_ ]?(me|this|with)/i, /[-_ ](here|goes[-_ ]here)$/i,
  /^(changeit|todo|tbd|fixme|redacted|dummy|none|null|empty)$/i
]

/**
 * How a string literal assigned to a secret-like name is judged: `null` (not a credential at all:
 * empty, a sentence, an env-var name), `placeholder` (an obvious stand-in such as
 * "your-api-key-here": WARNING), or `secret` (CRITICAL).
 */
export function classifySecretValue (value: string): 'secret' | 'placeholder' | null {
  if (value.length < 4 || value.length > 4096) return null
  if (/\s/.test(value)) return null
  // names an environment variable (`AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD2`); a part that starts
  // with a digit or mixes in more digits (`PROD_KEY_8F3A9B2C`) is key material, not a name
  if (/^[A-Z]+[0-9]{0,2}(_[A-Z]+[0-9]{0,2})+$/.test(value)) return null
  if (/^(https?|file):\/\//i.test(value) && !/\/\/[^/\s:@]+:[^/\s@]+@/.test(value)) return null // a URL without credentials
  if (/^(true|false|null|none|undefined|bearer|basic)$/i.test(value)) return null
  // A regular expression (lexer `TOKEN = r'[A-Z]\w*'`). The class runs exclude `[` and `]`, so a
  // scan that starts at one `[` stops at the next: linear even on "[[[[…" (the 4096 cap above
  // bounds it anyway).
  if (/\\[wdsbWDSB]|\[[^[\]-]*-[^[\]]*\]|\(\?[:=!<]/.test(value)) return null
  if (PLACEHOLDERS.some((re) => re.test(value))) return 'placeholder'
  return 'secret'
}

/** Well-known credential shapes, found in any string literal or comment. */
const KEY_SHAPES: ReadonlyArray<[RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{22,}\b/, 'a GitHub fine-grained token'],
  [/\bsk-(proj-|ant-|live-|test-)?[A-Za-z0-9_-]{20,}\b/, 'an API secret key (sk-...)'],
  [/\b[rs]k_(live|test)_[0-9A-Za-z]{16,}\b/, 'a Stripe secret key'],
  [/\bxox[baprs]-[0-9A-Za-z-]{10,}\b/, 'a Slack token'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  // The header alone is a marker (parsers compare against it); key material must follow.
  [/-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----(\s|\\[nr])*[A-Za-z0-9+/=]{16,}/, 'a private key block'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, 'a JSON Web Token'],
  // a password written into a connection URL (`postgres://admin:S3cret@db`), unless it is a
  // stand-in (`user:password@`, `:<pass>@`, `:${PASSWORD}@`)
  [/\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s/:@]{1,64}:(?!(password|pass|passwd|pwd|secret|changeme|xxx+|\*+|<[^>]*>|\$\{[^}]*\}|\{[^}]*\}|%[^@]*)@)[^\s/@]{3,128}@/i, 'a password in a connection URL'],
  // a Fernet key (32 random bytes in URL-safe base64)
  [/(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{43}=($|[^A-Za-z0-9_=-])/, 'a Fernet-shaped key']
]

/** The label of the first credential shape found in `text`, or null. Never returns the match itself. */
export function secretShape (text: string): string | null {
  if (text.length < 20) return null
  for (const [re, label] of KEY_SHAPES) if (re.test(text)) return label
  return null
}

/** A shell command that deletes recursively: `rm -rf`, `rm -r -f`, `rm --recursive`. */
export function isRecursiveRm (command: string): boolean {
  return /(^|[\s;&|(`$])rm\s+((-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\b)/.test(command) ||
    /(^|[\s;&|(`$])rm\s+(-[a-zA-Z]+\s+)+-[a-zA-Z]*[rR]/.test(command)
}

/** A shell command that downloads and runs code: `curl ... | bash`, `bash -c "$(wget ...)"`. */
export function isDownloadAndRun (command: string): boolean {
  return /\b(curl|wget)\b/.test(command) &&
    /(\||;|&&|\$\(|`|<\()/.test(command) &&
    /\b(sh|bash|zsh|dash|ksh|python[0-9.]*|perl|ruby|node)\b/.test(command)
}

/** What an analyser returns: issues, or the reason the snippet could not be analysed. */
export type AnalysisOutcome =
  | { ok: true, issues: IssueList }
  | { ok: false, reason: 'parse_error' | 'too_deep' | 'too_complex' | 'aborted', detail: string, line_number?: number }
