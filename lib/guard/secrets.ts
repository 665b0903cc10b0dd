// Secret shapes the output guard scrubs to `[SECRET]`: API keys with a recognisable prefix, private
// key blocks, JWTs and the credentials of Authorization headers and URLs. Each shape is a named entry
// with the reason it is a secret. Every regular expression is linear: bounded repetition only, and
// no two adjacent quantifiers over overlapping characters.
//
// The provider prefixes are data taken, as facts, from the maintained rule sets that track them
// (gitleaks' default rules and the secretlint recommended preset): the prefix, the alphabet and the
// length of each token. Beside them, a keyword-and-entropy rule for `key:` / `token:` / `password:`
// assignments catches what no prefix names. Shapes are matched on the normalised view of the text
// (redact.ts: zero-width characters removed, entities decoded), and masked in the original.

import { applySpans, normalizedView, toOriginal } from './redact.js'

export const SECRET_MASK = '[SECRET]'

export interface SecretShape {
  /** Stable name, e.g. `openai_api_key`. */
  readonly id: string
  /** Why the shape is a secret, in a few words. */
  readonly description: string
  /** The [start, end) ranges of `text` to mask. */
  find (text: string): Array<[number, number]>
  /** Replaces every occurrence in `text`; `count` is the number of replacements. */
  mask (text: string): { text: string, count: number }
}

function shape (id: string, description: string, find: (text: string) => Array<[number, number]>): SecretShape {
  return { id, description, find, mask: (text) => maskWith([{ find }], text) }
}

/** A token's body character (also the characters that must not touch a token's prefix on the left). */
const TOKEN_CHAR = /[A-Za-z0-9_-]/
const ALNUM = /[A-Za-z0-9]/

interface RegexShapeSpec {
  id: string
  description: string
  /** Global regex. Capture group 1, when present, is kept as it is (a label such as `Bearer `). */
  pattern: RegExp
  /** Characters that may not come right before the match (default: token characters). */
  before?: RegExp
  /** Characters that may not come right after the match (default: nothing is checked). */
  after?: RegExp
  /** Extra check on the matched text (without the kept prefix); false keeps it. */
  accept?: (secret: string) => boolean
  /** Literal pieces one of which every match holds: when none is in the text the regex is not run. */
  hints?: readonly string[]
  /** The hints are compared without case. */
  hintsIgnoreCase?: boolean
}

function regexShape (spec: RegexShapeSpec): SecretShape {
  const before = spec.before ?? TOKEN_CHAR
  return shape(spec.id, spec.description, (text) => {
    const found: Array<[number, number]> = []
    if (spec.hints !== undefined) {
      const haystack = spec.hintsIgnoreCase === true ? text.toLowerCase() : text
      if (!spec.hints.some((h) => haystack.includes(h))) return found
    }
    spec.pattern.lastIndex = 0
    for (const m of text.matchAll(spec.pattern)) {
      const offset = m.index
      const match = m[0]
      const kept = m[1] ?? ''
      const prev = offset > 0 ? text.charAt(offset - 1) : ''
      const end = offset + match.length
      const next = end < text.length ? text.charAt(end) : ''
      if (prev !== '' && before.test(prev)) continue
      if (next !== '' && spec.after !== undefined && spec.after.test(next)) continue
      const secret = match.slice(kept.length)
      if (spec.accept !== undefined && !spec.accept(secret)) continue
      found.push([offset + kept.length, end])
    }
    return found
  })
}

/** Shannon entropy of a string, in bits per character. */
export function entropy (s: string): number {
  const counts = new Map<string, number>()
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
  let h = 0
  for (const n of counts.values()) {
    const p = n / s.length
    h -= p * Math.log2(p)
  }
  return h
}

/** Values that stand for a secret without being one: `<token>`, `${API_KEY}`, `YOUR_API_KEY`, `***`, `changeme`. */
const PLACEHOLDER = /^(?:<[^>]{0,64}>|\$\{[^}]{0,64}\}|\{\{[^}]{0,64}\}\}|\$[A-Z_][A-Z0-9_]{0,63}|[*x.•]{1,64}|null|none|undefined|true|false|string|required|optional|redacted|hidden|changeme|placeholder|(?:your|my|the)[_-][A-Za-z0-9_-]{0,60}|example[A-Za-z0-9_-]{0,60}|process\.env\.[A-Za-z0-9_.]{0,64}|env\([^)]{0,64}\)|os\.environ[A-Za-z0-9_.[\]'"]{0,64})$/i
const PASSWORD_WORD = /^(?:password|passwd|pwd|passphrase)$/i

/**
 * A value assigned to a key, token, secret or password label: a password needs 6+ characters with a
 * digit or a symbol (so `password: required` is prose); anything else 12+ characters with letters
 * and digits and at least 3 bits of entropy per character (so `token: the next word` is prose).
 */
function assignedSecret (label: string, value: string): boolean {
  if (PLACEHOLDER.test(value)) return false
  if (PASSWORD_WORD.test(label)) return value.length >= 6 && /[^A-Za-z]/.test(value)
  return value.length >= 12 && lettersAndDigits(value) && entropy(value) >= 3
}

// `api_key: …`, `X-API-Key: …`, `"token": "…"`, `password=…`, `client_secret = '…'`
const ASSIGNMENT = /((?:x-)?api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|access[_-]?token|auth[_-]?token|refresh[_-]?token|bearer[_-]?token|client[_-]?secret|secret[_-]?key|private[_-]?key|secret|token|password|passwd|pwd|passphrase)(["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)([^\s"'`,;<>(){}[\]]{1,256})/gi

const keywordAssignment = shape(
  'keyword_assignment',
  'a value assigned to a key, token, secret or password label (key: …, X-API-Key: …, "password": "…"), judged by length and entropy',
  (text) => {
    const found: Array<[number, number]> = []
    if (!text.includes(':') && !text.includes('=')) return found
    ASSIGNMENT.lastIndex = 0
    for (const m of text.matchAll(ASSIGNMENT)) {
      if (m.index > 0 && /[A-Za-z0-9]/.test(text.charAt(m.index - 1))) continue
      const label = (m[1] as string).replace(/^x-/i, '')
      let value = m[3] as string
      // a sentence's full stop is not part of the value
      while (value.length > 0 && '.!?'.includes(value.charAt(value.length - 1))) value = value.slice(0, -1)
      const word = /password|passwd|pwd|passphrase/i.test(label) && !/key|token|secret/i.test(label) ? 'password' : label
      if (!assignedSecret(word, value)) continue
      const start = m.index + (m[1] as string).length + (m[2] as string).length
      found.push([start, start + value.length])
    }
    return found
  }
)

// An AWS secret access key without its label: 40 base64 characters, mixed case, digits and a / or +,
// random-looking (git hashes are hex; a sentence has spaces).
const unlabelledAwsSecret = regexShape({
  id: 'aws_secret_access_key_unlabelled',
  hints: ['/', '+'],
  description: 'a 40-character base64 AWS secret access key without its label: mixed case, digits, a / or +, high entropy',
  pattern: /[A-Za-z0-9/+]{40}/g,
  before: /[A-Za-z0-9/+=]/,
  after: /[A-Za-z0-9/+=]/,
  accept: (s) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s) && /[/+]/.test(s) && entropy(s) >= 4.2
})

function maskWith (shapes: ReadonlyArray<Pick<SecretShape, 'find'>>, text: string): { text: string, count: number } {
  const view = normalizedView(text)
  const taken: Array<[number, number]> = []
  for (const s of shapes) {
    for (const [start, end] of s.find(view.text)) {
      if (end <= start || taken.some(([a, b]) => start < b && a < end)) continue
      taken.push([start, end])
    }
  }
  if (taken.length === 0) return { text, count: 0 }
  return { text: applySpans(text, taken.map(([a, b]) => ({ ...toOriginal(view, a, b), mask: SECRET_MASK }))), count: taken.length }
}

/** Random-looking: at least one letter and one digit (slugs such as `sk-learn-the-basics` have none). */
function lettersAndDigits (s: string): boolean {
  return /[A-Za-z]/.test(s) && /[0-9]/.test(s)
}

function isJwt (token: string): boolean {
  const [header, payload] = token.split('.')
  if (header === undefined || payload === undefined) return false
  if (payload.startsWith('eyJ')) return true
  try {
    const decoded: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))
    return decoded !== null && typeof decoded === 'object' && !Array.isArray(decoded)
  } catch {
    return false
  }
}

// --- PEM private key blocks -------------------------------------------------------------------

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----/g
const PEM_END = /-----END (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----/g
/** What may sit between the BEGIN and END lines of a real block (base64, headers, escaped newlines). */
const PEM_BODY = /^[A-Za-z0-9+/=\s:,.()\\-]{0,65536}$/
/** One body line of a block whose END line is missing (a truncated answer): base64 or a `Name: value` header. */
const PEM_LINE = /(?:\r?\n|\\r?\\n){1,2}(?:[A-Za-z0-9+/=]{1,128}|[A-Z][A-Za-z-]{0,39}: [^\r\n\\]{0,200})(?![^\r\n\\])/y
const MAX_PEM_BODY = 65_536

const privateKeyBlock: SecretShape = shape(
  'private_key_block',
  'a PEM private key (RSA, EC, OpenSSH, PKCS#8, PGP…), BEGIN line through END line; a truncated block through its last body line',
  (text) => {
    if (!text.includes('PRIVATE KEY')) return []
    const begins = [...text.matchAll(PEM_BEGIN)]
    if (begins.length === 0) return []
    const ends = [...text.matchAll(PEM_END)]
    const found: Array<[number, number]> = []
    let cursor = 0
    let e = 0
    for (const begin of begins) {
      const start = begin.index
      if (start < cursor) continue
      const headerEnd = start + begin[0].length
      while (e < ends.length && (ends[e]?.index ?? 0) < headerEnd) e++
      const end = ends[e]
      let stop: number
      if (end !== undefined && end.index - headerEnd <= MAX_PEM_BODY && PEM_BODY.test(text.slice(headerEnd, end.index))) {
        stop = end.index + end[0].length
      } else {
        stop = headerEnd
        while (stop - headerEnd < MAX_PEM_BODY) {
          PEM_LINE.lastIndex = stop
          const line = PEM_LINE.exec(text)
          if (line === null) break
          stop = PEM_LINE.lastIndex
        }
      }
      found.push([start, stop])
      cursor = stop
    }
    return found
  }
)

/**
 * Every shape, in the order they run: specific prefixes first, so that `sk-ant-…` is one Anthropic
 * key rather than an OpenAI-shaped one, and a JWT after `Bearer` is counted once.
 */
export const SECRET_SHAPES: readonly SecretShape[] = [
  privateKeyBlock,
  regexShape({
    id: 'anthropic_api_key',
    hints: ['sk-ant-'],
    description: 'Anthropic API key: sk-ant- and a long random body',
    pattern: /sk-ant-[A-Za-z0-9_-]{20,512}/g
  }),
  regexShape({
    id: 'openai_api_key',
    hints: ['sk-'],
    description: 'OpenAI-style key: sk- (or sk-proj-, sk-svcacct-, sk-admin-) and 20+ random characters with letters and digits',
    pattern: /sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,512}/g,
    accept: (s) => lettersAndDigits(s.slice(3))
  }),
  regexShape({
    id: 'stripe_secret_key',
    hints: ['k_live_', 'k_test_'],
    description: 'Stripe secret or restricted key: sk_live_, sk_test_, rk_live_, rk_test_',
    pattern: /[sr]k_(?:live|test)_[A-Za-z0-9]{16,256}/g
  }),
  regexShape({
    id: 'aws_access_key_id',
    hints: ['AKIA', 'ASIA'],
    description: 'AWS access key id: AKIA (long-term) or ASIA (temporary) and exactly 16 upper-case letters or digits',
    pattern: /(?:AKIA|ASIA)[A-Z0-9]{16}/g,
    before: ALNUM,
    after: ALNUM
  }),
  regexShape({
    id: 'aws_secret_access_key',
    hints: ['secret'],
    hintsIgnoreCase: true,
    description: 'AWS secret access key (40 base64 characters) after its label, e.g. aws_secret_access_key = …',
    pattern: /((?:aws_?)?secret_?access_?key["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)[A-Za-z0-9/+=]{40}/gi,
    before: /[A-Za-z0-9]/,
    after: /[A-Za-z0-9/+=]/
  }),
  regexShape({
    id: 'qwed_api_key',
    hints: ['qwed_'],
    description: 'QWED API key: qwed_live_ or qwed_test_ and its body',
    pattern: /qwed_(?:live|test)_[A-Za-z0-9_]{1,256}/g,
    before: ALNUM
  }),
  regexShape({
    id: 'github_token',
    hints: ['gh', 'github_pat_'],
    description: 'GitHub token: ghp_, gho_, ghu_, ghs_, ghr_ and 36+ characters, or a fine-grained github_pat_',
    pattern: /gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}/g
  }),
  regexShape({
    id: 'slack_token',
    hints: ['xox'],
    description: 'Slack token: xoxb-, xoxp-, xoxa-, xoxr-, xoxs- and its body',
    pattern: /xox[bpars]-[A-Za-z0-9-]{10,255}/g
  }),
  regexShape({
    id: 'slack_webhook',
    hints: ['hooks.slack.com'],
    description: 'Slack incoming-webhook URL (whoever has it can post to the channel)',
    pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9_/]{20,200}/g
  }),
  regexShape({
    id: 'google_api_key',
    hints: ['AIza'],
    description: 'Google API key: AIza and exactly 35 characters',
    pattern: /AIza[0-9A-Za-z_-]{35}/g,
    after: TOKEN_CHAR
  }),
  regexShape({
    id: 'jwt',
    hints: ['eyJ'],
    description: 'JSON Web Token: three base64url segments, the header starting eyJ (base64 of `{"`)',
    pattern: /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{2,16384}\.[A-Za-z0-9_-]{0,8192}/g,
    before: /[A-Za-z0-9_.-]/,
    accept: isJwt
  }),
  regexShape({
    id: 'url_credentials',
    hints: ['://'],
    description: 'a password inside a URL (scheme://user:password@host): the password is masked',
    pattern: /([A-Za-z][A-Za-z0-9+.-]{0,20}:\/\/[^\s:@/<>"']{1,256}:)[^\s@/<>"']{1,256}(?=@)/g,
    before: /[A-Za-z0-9+.-]/
  }),
  regexShape({
    id: 'basic_auth',
    hints: ['basic'],
    hintsIgnoreCase: true,
    description: 'HTTP Basic credentials after Authorization: Basic (base64 of user:password)',
    pattern: /(Authorization["']?[ \t]{0,4}[:=][ \t]{0,4}["']?Basic[ \t]{1,8})[A-Za-z0-9+/]{8,4096}={0,2}/gi,
    before: /[A-Za-z0-9]/
  }),
  regexShape({
    id: 'bearer_token',
    hints: ['bearer'],
    hintsIgnoreCase: true,
    description: 'a bearer token: the word Bearer is kept, the token (16+ characters with a digit) masked',
    pattern: /(Bearer[ \t]{1,8})[A-Za-z0-9._~+/-]{16,4096}={0,2}/gi,
    before: /[A-Za-z0-9]/,
    accept: (s) => /[0-9]/.test(s)
  }),
  // --- provider prefixes (gitleaks default rules / secretlint recommended preset, as facts)
  regexShape({
    id: 'gitlab_token',
    hints: ['gl', 'GR1348941'],
    description: 'GitLab token: glpat- (personal), gldt- (deploy), glrt- (runner), glcbt-, glsoat-, glffct-, gloas- and 20+ characters, glptt- (trigger) and 40 hex, GR1348941 (runner registration)',
    pattern: /(?:glpat|gldt|glrt|glcbt|glsoat|glffct|gloas)-[A-Za-z0-9_-]{20,64}|glptt-[0-9a-f]{40}|GR1348941[A-Za-z0-9_-]{20}/g
  }),
  regexShape({
    id: 'huggingface_token',
    hints: ['hf_', 'api_org_'],
    description: 'Hugging Face access token: hf_ and 34 letters (api_org_ for organisation tokens)',
    pattern: /(?:hf_|api_org_)[A-Za-z]{34}/g,
    after: TOKEN_CHAR
  }),
  regexShape({
    id: 'npm_token',
    hints: ['npm_'],
    description: 'npm access token: npm_ and 36 letters or digits',
    pattern: /npm_[A-Za-z0-9]{36}/g,
    after: TOKEN_CHAR
  }),
  regexShape({
    id: 'sendgrid_api_key',
    hints: ['SG.'],
    description: 'SendGrid API key: SG. then 22 and 43 characters separated by a dot',
    pattern: /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/g
  }),
  regexShape({
    id: 'stripe_webhook_secret',
    hints: ['whsec_'],
    description: 'Stripe webhook signing secret: whsec_ and 32+ letters or digits',
    pattern: /whsec_[A-Za-z0-9]{32,128}/g
  }),
  regexShape({
    id: 'twilio_api_key',
    hints: ['SK'],
    description: 'Twilio API key SID: SK and 32 hex digits',
    pattern: /SK[0-9a-fA-F]{32}/g,
    before: ALNUM,
    after: ALNUM
  }),
  regexShape({
    id: 'mailgun_api_key',
    hints: ['key-'],
    description: 'Mailgun private API key: key- and 32 letters or digits',
    pattern: /key-[0-9a-zA-Z]{32}/g,
    after: ALNUM,
    accept: lettersAndDigits
  }),
  regexShape({
    id: 'shopify_token',
    hints: ['shp'],
    description: 'Shopify access token, custom-app, private-app or shared secret: shpat_, shpca_, shppa_, shpss_ and 32 hex',
    pattern: /shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}/g
  }),
  regexShape({
    id: 'digitalocean_token',
    hints: ['_v1_'],
    description: 'DigitalOcean token: dop_v1_, doo_v1_, dor_v1_ and 64 hex',
    pattern: /do[opr]_v1_[a-f0-9]{64}/g
  }),
  regexShape({
    id: 'databricks_token',
    hints: ['dapi'],
    description: 'Databricks API token: dapi and 32 hex',
    pattern: /dapi[a-f0-9]{32}(?:-[0-9])?/g,
    after: ALNUM
  }),
  regexShape({
    id: 'pypi_token',
    hints: ['pypi-'],
    description: 'PyPI upload token: pypi- and a macaroon starting AgEIcHlwaS5vcmc',
    pattern: /pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}/g
  }),
  regexShape({
    id: 'postman_api_key',
    hints: ['PMAK-'],
    description: 'Postman API key: PMAK-, 24 hex, a dash and 34 hex',
    pattern: /PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}/g
  }),
  regexShape({
    id: 'telegram_bot_token',
    hints: [':A'],
    description: 'Telegram bot token: the bot id, a colon, and 35 characters starting with A',
    pattern: /[0-9]{5,16}:A[A-Za-z0-9_-]{34}/g,
    before: /[0-9A-Za-z]/,
    after: TOKEN_CHAR
  }),
  regexShape({
    id: 'linear_api_key',
    hints: ['lin_api_'],
    description: 'Linear API key: lin_api_ and 40 letters or digits',
    pattern: /lin_api_[A-Za-z0-9]{40}/g
  }),
  regexShape({
    id: 'doppler_token',
    hints: ['dp.pt.'],
    description: 'Doppler service token: dp.pt. and 43 letters or digits',
    pattern: /dp\.pt\.[A-Za-z0-9]{43}/g
  }),
  regexShape({
    id: 'square_token',
    hints: ['sq0'],
    description: 'Square access token or OAuth secret: sq0atp- or sq0csp- and 22-43 characters',
    pattern: /sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}/g
  }),
  regexShape({
    id: 'discord_webhook',
    hints: ['discord'],
    description: 'Discord webhook URL (whoever has it can post to the channel)',
    pattern: /https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/[0-9]{17,20}\/[A-Za-z0-9_-]{60,68}/g
  }),
  unlabelledAwsSecret,
  keywordAssignment
]

/** Replaces every secret shape in `text` with `[SECRET]`. */
export function maskSecrets (text: string): { text: string, count: number } {
  return maskWith(SECRET_SHAPES, text)
}
