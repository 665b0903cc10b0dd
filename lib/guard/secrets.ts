// Secret shapes the output guard scrubs to `[SECRET]`: API keys with a recognisable prefix, private
// key blocks, JWTs and the credentials of Authorization headers and URLs. Each shape is a named entry
// with the reason it is a secret. Every regular expression is linear: bounded repetition only, and
// no two adjacent quantifiers over overlapping characters.

export const SECRET_MASK = '[SECRET]'

export interface SecretShape {
  /** Stable name, e.g. `openai_api_key`. */
  readonly id: string
  /** Why the shape is a secret, in a few words. */
  readonly description: string
  /** Replaces every occurrence in `text`; `count` is the number of replacements. */
  mask (text: string): { text: string, count: number }
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
}

function regexShape (spec: RegexShapeSpec): SecretShape {
  const before = spec.before ?? TOKEN_CHAR
  return {
    id: spec.id,
    description: spec.description,
    mask (text) {
      let count = 0
      spec.pattern.lastIndex = 0
      const out = text.replace(spec.pattern, (match: string, ...rest: unknown[]) => {
        const offset = rest[rest.length - 2] as number
        const kept = typeof rest[0] === 'string' && rest.length > 2 ? rest[0] : ''
        const prev = offset > 0 ? text.charAt(offset - 1) : ''
        const end = offset + match.length
        const next = end < text.length ? text.charAt(end) : ''
        if (prev !== '' && before.test(prev)) return match
        if (next !== '' && spec.after !== undefined && spec.after.test(next)) return match
        const secret = match.slice(kept.length)
        if (spec.accept !== undefined && !spec.accept(secret)) return match
        count++
        return kept + SECRET_MASK
      })
      return { text: out, count }
    }
  }
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

const privateKeyBlock: SecretShape = {
  id: 'private_key_block',
  description: 'a PEM private key (RSA, EC, OpenSSH, PKCS#8, PGP…), BEGIN line through END line; a truncated block through its last body line',
  mask (text) {
    if (!text.includes('PRIVATE KEY')) return { text, count: 0 }
    const begins = [...text.matchAll(PEM_BEGIN)]
    if (begins.length === 0) return { text, count: 0 }
    const ends = [...text.matchAll(PEM_END)]
    let out = ''
    let cursor = 0
    let e = 0
    let count = 0
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
      out += text.slice(cursor, start) + SECRET_MASK
      cursor = stop
      count++
    }
    return { text: out + text.slice(cursor), count }
  }
}

/**
 * Every shape, in the order they run: specific prefixes first, so that `sk-ant-…` is one Anthropic
 * key rather than an OpenAI-shaped one, and a JWT after `Bearer` is counted once.
 */
export const SECRET_SHAPES: readonly SecretShape[] = [
  privateKeyBlock,
  regexShape({
    id: 'anthropic_api_key',
    description: 'Anthropic API key: sk-ant- and a long random body',
    pattern: /sk-ant-[A-Za-z0-9_-]{20,512}/g
  }),
  regexShape({
    id: 'openai_api_key',
    description: 'OpenAI-style key: sk- (or sk-proj-, sk-svcacct-, sk-admin-) and 20+ random characters with letters and digits',
    pattern: /sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,512}/g,
    accept: (s) => lettersAndDigits(s.slice(3))
  }),
  regexShape({
    id: 'stripe_secret_key',
    description: 'Stripe secret or restricted key: sk_live_, sk_test_, rk_live_, rk_test_',
    pattern: /[sr]k_(?:live|test)_[A-Za-z0-9]{16,256}/g
  }),
  regexShape({
    id: 'aws_access_key_id',
    description: 'AWS access key id: AKIA (long-term) or ASIA (temporary) and exactly 16 upper-case letters or digits',
    pattern: /(?:AKIA|ASIA)[A-Z0-9]{16}/g,
    before: ALNUM,
    after: ALNUM
  }),
  regexShape({
    id: 'aws_secret_access_key',
    description: 'AWS secret access key (40 base64 characters) after its label, e.g. aws_secret_access_key = …',
    pattern: /((?:aws_?)?secret_?access_?key["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)[A-Za-z0-9/+=]{40}/gi,
    before: /[A-Za-z0-9]/,
    after: /[A-Za-z0-9/+=]/
  }),
  regexShape({
    id: 'qwed_api_key',
    description: 'QWED API key: qwed_live_ or qwed_test_ and its body',
    pattern: /qwed_(?:live|test)_[A-Za-z0-9_]{1,256}/g,
    before: ALNUM
  }),
  regexShape({
    id: 'github_token',
    description: 'GitHub token: ghp_, gho_, ghu_, ghs_, ghr_ and 36+ characters, or a fine-grained github_pat_',
    pattern: /gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}/g
  }),
  regexShape({
    id: 'slack_token',
    description: 'Slack token: xoxb-, xoxp-, xoxa-, xoxr-, xoxs- and its body',
    pattern: /xox[bpars]-[A-Za-z0-9-]{10,255}/g
  }),
  regexShape({
    id: 'slack_webhook',
    description: 'Slack incoming-webhook URL (whoever has it can post to the channel)',
    pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9_/]{20,200}/g
  }),
  regexShape({
    id: 'google_api_key',
    description: 'Google API key: AIza and exactly 35 characters',
    pattern: /AIza[0-9A-Za-z_-]{35}/g,
    after: TOKEN_CHAR
  }),
  regexShape({
    id: 'jwt',
    description: 'JSON Web Token: three base64url segments, the header starting eyJ (base64 of `{"`)',
    pattern: /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{2,16384}\.[A-Za-z0-9_-]{0,8192}/g,
    before: /[A-Za-z0-9_.-]/,
    accept: isJwt
  }),
  regexShape({
    id: 'url_credentials',
    description: 'a password inside a URL (scheme://user:password@host): the password is masked',
    pattern: /([A-Za-z][A-Za-z0-9+.-]{0,20}:\/\/[^\s:@/<>"']{1,256}:)[^\s@/<>"']{1,256}(?=@)/g,
    before: /[A-Za-z0-9+.-]/
  }),
  regexShape({
    id: 'basic_auth',
    description: 'HTTP Basic credentials after Authorization: Basic (base64 of user:password)',
    pattern: /(Authorization["']?[ \t]{0,4}[:=][ \t]{0,4}["']?Basic[ \t]{1,8})[A-Za-z0-9+/]{8,4096}={0,2}/gi,
    before: /[A-Za-z0-9]/
  }),
  regexShape({
    id: 'bearer_token',
    description: 'a bearer token: the word Bearer is kept, the token (16+ characters with a digit) masked',
    pattern: /(Bearer[ \t]{1,8})[A-Za-z0-9._~+/-]{16,4096}={0,2}/gi,
    before: /[A-Za-z0-9]/,
    accept: (s) => /[0-9]/.test(s)
  })
]

/** Replaces every secret shape in `text` with `[SECRET]`. */
export function maskSecrets (text: string): { text: string, count: number } {
  let out = text
  let count = 0
  for (const shape of SECRET_SHAPES) {
    const r = shape.mask(out)
    out = r.text
    count += r.count
  }
  return { text: out, count }
}
