/**
 * The capability model of the code engine, as data: what each capability means, the default
 * policy, how a claim's `allow` / `deny` lists change it, and how a file path is classed.
 *
 * Every call, import and attribute the analysers resolve is judged by the capability it uses, not
 * by its name: starting any program is `process` whatever the argv, and a snippet is unsafe when
 * it uses a capability the policy denies. The default policy is what everyday LLM-written code
 * needs and no more (HTTP requests, reading environment settings, reading and writing files under
 * relative or data paths); a route tightens or widens it per claim.
 */

export const CAPABILITIES = [
  'process', 'code', 'fs.read', 'fs.write', 'fs.delete', 'net', 'env', 'native', 'debug', 'deserialize',
  'dom.html', 'proto', 'secret', 'exfiltration'
] as const
export type Capability = typeof CAPABILITIES[number]

/** What a path a file operation names is: a temp dir, an ordinary (relative or data) path, or a system / secret path. */
export type PathReach = 'temp' | 'local' | 'system'

export const CAPABILITY_MEANING: Readonly<Record<Capability, string>> = {
  process: 'starts a program (any argv, any shell)',
  code: 'runs code built at run time (eval, Function, vm, interpreters given code) or loads what the analysis cannot resolve',
  'fs.read': 'reads a file',
  'fs.write': 'writes, moves or changes a file',
  'fs.delete': 'deletes files or directories',
  net: 'talks to the network',
  env: 'reads the process environment',
  native: 'loads native code (ctypes, FFI, dlopen, process.binding)',
  debug: 'opens a debugger, REPL or inspector',
  deserialize: 'deserialises data into objects that can run code (pickle family, unsafe YAML, torch.load)',
  'dom.html': 'writes markup into a page (HTML sinks)',
  proto: 'writes to a shared prototype',
  secret: 'holds a hard-coded credential',
  exfiltration: 'sends environment values, secret files or cookies to the network'
}

/**
 * The default policy. `true`: allowed; `false`: denied; a list: allowed only for paths of those
 * reaches (a file capability).
 */
export const DEFAULT_POLICY: Readonly<Record<Capability, boolean | readonly PathReach[]>> = {
  process: false,
  code: false,
  'fs.read': ['temp', 'local'],
  'fs.write': ['temp', 'local'],
  'fs.delete': ['temp'],
  net: true,
  env: true,
  native: false,
  debug: false,
  deserialize: false,
  'dom.html': false,
  proto: false,
  secret: false,
  exfiltration: false
}

export interface CapabilityPolicy {
  allow: ReadonlySet<Capability>
  deny: ReadonlySet<Capability>
}

export function isCapability (value: unknown): value is Capability {
  return typeof value === 'string' && (CAPABILITIES as readonly string[]).includes(value)
}

/**
 * The policy of a claim: `allow` widens (a file capability then covers system paths too), `deny`
 * tightens, and deny wins when a capability is in both. Returns an error text for a list that is
 * not an array of known capability names.
 */
export function policyOf (allow: unknown, deny: unknown): CapabilityPolicy | string {
  const read = (list: unknown, field: string): Set<Capability> | string => {
    if (list === undefined) return new Set()
    if (!Array.isArray(list) || list.length > CAPABILITIES.length * 2) return `${field} must be a list of capabilities`
    const out = new Set<Capability>()
    for (const c of list) {
      if (!isCapability(c)) return `${field}: unknown capability (known: ${CAPABILITIES.join(', ')})`
      out.add(c)
    }
    return out
  }
  const a = read(allow, 'allow')
  if (typeof a === 'string') return a
  const d = read(deny, 'deny')
  if (typeof d === 'string') return d
  return { allow: a, deny: d }
}

export function isAllowed (policy: CapabilityPolicy, capability: Capability, reach?: PathReach): boolean {
  if (policy.deny.has(capability)) return false
  if (policy.allow.has(capability)) return true
  const rule = DEFAULT_POLICY[capability]
  if (typeof rule === 'boolean') return rule
  return rule.includes(reach ?? 'local')
}

// ---- paths

const TEMP_PREFIXES = ['/tmp/', '/var/tmp/', '/dev/shm/', '$tmp/']
/** Roots of the operating system and devices: never an app's data. */
const SYSTEM_PREFIXES = ['/etc', '/root', '/proc', '/sys', '/dev', '/boot', '/bin', '/sbin', '/usr', '/lib', '/lib64', '/var/spool', '/var/run', '/run', '/var/lib', '/var/log', 'c:/windows', '/private/etc', '/system', '/library']
/** Files and folders that hold credentials or run code at login, wherever they are. */
const SECRET_PARTS = [
  '.ssh', '.aws', '.gnupg', '.kube', '.docker', '.config/gcloud', '.azure', '.netrc', '.pgpass', '.npmrc', '.pypirc',
  '.git-credentials', '.env', 'id_rsa', 'id_ed25519', 'id_ecdsa', 'authorized_keys', 'known_hosts', 'shadow', 'passwd', 'sudoers',
  'crontab', 'cron.d', '.bashrc', '.bash_profile', '.profile', '.zshrc', '.zprofile', '.bash_login', 'credentials', '.htpasswd',
  'wallet.dat', 'keychain', 'login.keychain'
]

/**
 * Classes a file path by its literal text (or its literal prefix; `~` for a home directory, `$tmp/`
 * for a temp dir the code asked the system for). Unknown paths (a variable) are ordinary: the
 * default policy lets them be read and written, never deleted.
 */
export function pathReach (path: string | null): PathReach {
  if (path === null) return 'local'
  const p = path.trim().replaceAll('\\', '/').toLowerCase()
  const segments = p.split('/')
  if (segments.some((s, i) => SECRET_PARTS.includes(s) || (i < segments.length - 1 && SECRET_PARTS.includes(`${s}/${segments[i + 1] ?? ''}`)))) return 'system'
  if (/(^|\/)\.env(\.[a-z]+)?$/.test(p)) return 'system'
  if (segments.includes('..')) return 'system' // climbs out of wherever the app runs
  if (TEMP_PREFIXES.some((t) => p.startsWith(t)) || p === '/tmp' || p === '$tmp') return 'temp'
  if (p === '/' || p === '~' || p === '~/' || p === '/*' || /^[a-z]:\/?$/.test(p)) return 'system'
  if (SYSTEM_PREFIXES.some((s) => p === s || p.startsWith(s + '/'))) return 'system'
  return 'local'
}

/** Environment variables that make other programs load code (writing them is `code`). */
export const LOADER_ENV = new Set([
  'NODE_OPTIONS', 'NODE_PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'DYLD_LIBRARY_PATH',
  'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PERL5OPT', 'PERL5LIB', 'RUBYOPT', 'RUBYLIB', 'BASH_ENV', 'ENV', 'PROMPT_COMMAND',
  'GIT_SSH_COMMAND', 'GIT_EXTERNAL_DIFF', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'PATH', 'PYTHONINSPECT'
])

// The claim type (types/claims.ts) spells the same list: a compile error here means they differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export const CLAIM_TYPE_AGREES: Same<Capability, import('../../../types/claims.js').CodeCapability> = true
