/**
 * Prompt-injection heuristics: named, explainable rules over the user's text. They are heuristics,
 * not a proof: they catch the common, well-known shapes (and simple evasions of them), and each
 * has a known false-positive risk (docs/security-input.md). By default a match is only recorded and
 * counted (`injection: 'flag'`); `'block'` refuses the request.
 *
 * Every rule works on normalised forms of the text, prepared once:
 *  - `text`: NFKC, invisible format characters removed (zero-width, bidi, soft hyphen, tags,
 *    variation selectors), lower-cased, runs of spaces and tabs collapsed, line breaks kept;
 *  - `words`: `text` without accents, every run of characters other than letters and digits
 *    replaced by one space ("ignore... all -- previous" reads "ignore all previous");
 *  - `folded`: `words` with leetspeak digits and Cyrillic / Greek look-alike letters folded, in
 *    words that mix them with Latin letters ("1gn0re", "ignоre" with a Cyrillic о); null when
 *    nothing changed;
 *  - `squashed`: the words joined without spaces, only when the text spells words out letter by
 *    letter ("i g n o r e"); null otherwise.
 * Every regular expression here runs in linear time: gaps between words are bounded (a few words
 * of at most 30 characters each), never `.*`, and no quantifier is nested over overlapping classes.
 */

export interface InjectionRule {
  /** Stable id: a flag's rule; with `injection: 'block'` the failure's rule is `injection.<id>`. */
  id: string
  /** What the rule catches, in plain words (shown in flags and in 'block' messages). */
  description: string
  test (text: string): boolean
}

interface Forms {
  /** NFKC, invisible characters removed, original case (for base64 runs). */
  original: string
  text: string
  words: string
  folded: string | null
  squashed: string | null
}

// Removed before matching: they hide words from a filter without changing what a model reads.
// eslint-disable-next-line no-misleading-character-class -- single invisible code points (variation selectors, CGJ) listed on purpose
const INVISIBLE = /[\p{Cf}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/gu
const NOT_WORD = /[^\p{L}\p{N}]+/gu
const MARKS = /\p{M}+/gu
const SPACES = /[^\S\n]+/g
const LINE_BREAK = /\r\n?/g
const AROUND_NEWLINE = / ?\n ?/g
const TOKEN = /[\p{L}\p{N}@$]+/gu
const LATIN = /[a-z]/
// Leetspeak digits and symbols, then Cyrillic and Greek letters that look like Latin ones.
const FOLD_FROM = [...'013457@$аеорсухіјѕԁһӏкмтвнοαικνρτυε']
const FOLD_TO = [...'oieastas' + 'aeopcyxijsdhlkmtbh' + 'oaikvptue']
const FOLDS: ReadonlyMap<string, string> = new Map(FOLD_FROM.map((from, i) => [from, FOLD_TO[i] as string]))

function foldToken (token: string): string {
  if (!LATIN.test(token)) return token
  let out = ''
  let changed = false
  for (const ch of token) {
    const f = FOLDS.get(ch)
    if (f !== undefined) changed = true
    out += f ?? ch
  }
  return changed ? out : token
}

/** Joins the words when the text spells at least four single letters in a row ("i g n o r e"). */
function squash (words: string): string | null {
  let run = 0
  for (const token of words.split(' ')) {
    run = token.length === 1 ? run + 1 : 0
    if (run >= 4) return words.replaceAll(' ', '')
  }
  return null
}

let lastInput: string | null = null
let lastForms: Forms | null = null

/** The forms of `input`; the last one is kept, so that findInjection prepares a text once for all rules. */
function prepare (input: string): Forms {
  if (input === lastInput && lastForms !== null) return lastForms
  const forms = build(input)
  lastInput = input
  lastForms = forms
  return forms
}

function build (input: string): Forms {
  const original = input.normalize('NFKC').replace(INVISIBLE, '').replace(LINE_BREAK, '\n')
  const text = original.toLowerCase().replace(SPACES, ' ').replace(AROUND_NEWLINE, '\n')
  const plain = text.normalize('NFKD').replace(MARKS, '')
  const words = plain.replace(NOT_WORD, ' ').trim()
  const foldedText = plain.replace(TOKEN, foldToken).replace(NOT_WORD, ' ').trim()
  const folded = foldedText === words ? null : foldedText
  return { original, text, words, folded, squashed: squash(folded ?? words) }
}

/** Tests the word forms (plain, then folded) against each pattern. */
function inWords (forms: Forms, patterns: readonly RegExp[]): boolean {
  for (const re of patterns) {
    if (re.test(forms.words)) return true
    if (forms.folded !== null && re.test(forms.folded)) return true
  }
  return false
}

function inSquashed (forms: Forms, pattern: RegExp): boolean {
  return forms.squashed !== null && pattern.test(forms.squashed)
}

// A bounded gap of up to n words (each at most 30 characters) in the `words` form.
const gap = (n: number): string => `(?: [^ ]{1,30}){0,${n}}`
const re = (source: string): RegExp => new RegExp(source)

// ---------------------------------------------------------------------------------------------
// ignore_instructions

const IGNORE_VERB = '(?:ignore|ignoring|disregard|disregarding|forget|forgetting|override|overriding|bypass|bypassing|discard|dismiss|neglect|abandon|overwrite|nullify|set aside|throw out|pay no attention to|stop following|do not follow|don t follow|dont follow|no longer follow|do not obey|don t obey)'
const IGNORE_QUALIFIER = '(?:previous|previously|prior|above|earlier|preceding|foregoing|former|original|initial|old|existing|system|developer|hidden|safety|default|given|all|your)'
// "rules of chess", "rules for the tournament": a domain's rules, unless it is the conversation's own
const RULES = '(?:rules(?! (?:of|for|in) (?!(?:the |this |your |our )?(?:conversation|chat|system|assistant|ai|model|prompt|session|bot)\\b)[^ ]{1,30}))'
const IGNORE_NOUN = `(?:instructions?|instruction set|${RULES}|prompts?|directions|directives?|guidelines?|commands|guardrails?|constraints|restrictions|programming|policies|system prompt|system message|filters)`

const IGNORE_PATTERNS: readonly RegExp[] = [
  re(`\\b${IGNORE_VERB}${gap(3)} ${IGNORE_QUALIFIER}${gap(2)} ${IGNORE_NOUN}\\b`),
  re(`\\b${IGNORE_VERB}(?: all| the| any| your| these| those)? ${IGNORE_NOUN} (?:above|before|so far|until now|previously|given|you were given|you have been given|you ve been given)\\b`),
  re('\\b(?:ignore|disregard|forget) (?:everything|anything|all|whatever)(?: [^ ]{1,30}){0,2} (?:above|so far|until now|previously|before this|prior to this|up to this point|you were told|you have been told|you ve been told)\\b'),
  // the same request in a few other languages (accents are already removed)
  /\b(?:ignora|ignore|ignorez|olvida|olvide|ignoriere|ignorieren|vergiss|ignorare|dimentica)(?: [^ ]{1,30}){0,3} (?:instrucciones|instructions|anweisungen|istruzioni|regeln|reglas|regles|consignes)(?: [^ ]{1,30}){0,1} (?:anteriores|precedentes|previas|vorherigen|bisherigen|precedenti|previous)\b/,
  /\b(?:ignoriere|vergiss|ignorieren sie) (?:alle )?(?:vorherigen|bisherigen|vorigen|obigen) (?:anweisungen|regeln|instruktionen)\b/
]
const IGNORE_SQUASHED = /(?:ignore|disregard|forget|override|bypass)(?:all|any|the|your|every)?(?:previous|prior|above|earlier|preceding|system|initial|original)(?:instructions?|rules|prompts?|directions|guidelines)/

// ---------------------------------------------------------------------------------------------
// reveal_system_prompt

const REVEAL_VERB = '(?:reveal|show|print|display|output|repeat|recite|echo|leak|dump|expose|disclose|spell out|tell me|give me|share|write out|write down|copy|paste|paraphrase|summarize|summarise|translate|list|return|type out|provide|send me)'
const SECRET_PROMPT = '(?:system prompt|system message|system instructions?|initial prompt|initial instructions?|original prompt|original instructions?|hidden prompt|hidden instructions?|secret instructions?|secret prompt|pre prompt|preprompt|developer message|developer prompt|developer instructions|hidden rules|internal instructions|confidential instructions|base prompt|meta prompt|metaprompt|prompt above|instructions above|text above|words above|first instructions)'

const REVEAL_PATTERNS: readonly RegExp[] = [
  re(`\\b${REVEAL_VERB}${gap(4)} (?:your|ur|yr|the|its|this|all|these|entire|full|exact|complete|verbatim|whole)${gap(2)} ${SECRET_PROMPT}\\b`),
  re(`\\b${REVEAL_VERB}(?: me| us)? your (?:full |entire |exact |original |initial |complete |hidden |secret |current )?(?:prompt|instructions|directives|configuration|system prompt)\\b(?! (?:for|on|about|to|how|regarding))`),
  /\b(?:repeat|print|output|recite|echo|copy|show|reveal|display|write) (?:everything|all|all of the text|all the text|the (?:text|words|content|lines|message|messages|sentences|conversation)|the whole (?:text|prompt|conversation)|the (?:first|previous) (?:lines|message|messages|words|sentences)) (?:above|before this|so far|preceding|from the (?:beginning|start|top)|verbatim|you were given)\b/,
  /\bwhat (?:is|are|was|were) your (?:exact |original |initial |hidden |secret |system |full )?(?:system prompt|instructions|initial prompt|prompt|directives)\b(?! (?:for|on|about|to|regarding))/
]
const REVEAL_SQUASHED = /(?:reveal|show|print|repeat|output|display|leak|dump)(?:me)?(?:your|the)(?:system|initial|original|hidden|secret)(?:prompt|instructions|message)/

// ---------------------------------------------------------------------------------------------
// role_override

const UNBOUND = '(?:unrestricted|unfiltered|uncensored|jailbroken|jailbreak|unlocked|unbound|unchained|unaligned|amoral|unethical|lawless|limitless)'
const AI = '(?:ai|assistant|bot|chatbot|model|llm|language model|chatgpt|gpt|version of yourself|twin|confidant)'
const MODE = '(?:developer|dev|god|jailbreak|jailbroken|dan|unrestricted|unfiltered|uncensored|evil|sudo|admin|debug)'
const LIMITS_NOUN = '(?:restrictions|limitations|limits|rules|guidelines|constraints|filters|programming|policies|censorship|boundaries|ethics|morals|guardrails|safeguards)'

const ROLE_PATTERNS: readonly RegExp[] = [
  re(`\\byou (?:are|re|will be|will now be|shall be) now${gap(2)} (?:${UNBOUND}|dan|stan|evil ${AI}|in ${MODE} mode|free from|no longer bound|without (?:any )?${LIMITS_NOUN})\\b`),
  re(`\\b(?:act|acting|behave|respond|answer|reply|roleplay|role play|speak)(?: now)? (?:as|like) (?:an? |the |my )?(?:[^ ]{1,30} ){0,2}(?:${UNBOUND}|dan|(?:evil|rogue|malicious|dark|opposite|unhinged) ${AI}|${AI} (?:without|with no) (?:any )?${LIMITS_NOUN})\\b`),
  re(`\\b(?:pretend|imagine|simulate|emulate|roleplay)(?: that)? (?:you are|you re|youre|to be|being|you have become|you ve become) (?:an? |the )?(?:[^ ]{1,30} ){0,2}(?:${UNBOUND}|dan|(?:evil|rogue|malicious|unhinged) ${AI}|${AI} (?:without|with no) (?:any )?${LIMITS_NOUN})\\b`),
  /\bdan(?: [^ ]{1,30}){0,8} do anything now\b/,
  /\bdo anything now(?: [^ ]{1,30}){0,3} dan\b/,
  /\b(?:stands for|short for) do anything now\b/,
  /\b(?:you are|you re|youre|act as|become|enable|enter|activate|switch to|stay in character as) dan\b/,
  /\bdan (?:mode|jailbreak|prompt|persona)\b/,
  re(`\\byou (?:are|re|will be|are now|will now be) (?:now )?(?:in|running in|operating in|switched to|entering|entering into) ${MODE} mode\\b`),
  re(`\\b${AI}${gap(4)} (?:with|in|enters|entered|using) ${MODE} mode\\b`),
  re(`\\b${MODE} mode (?:enabled|activated|unlocked|engaged|is now (?:enabled|active|on))${gap(6)} (?:you|your|ai|assistant|chatgpt|gpt|model|respond|responses|answer|output)\\b`),
  /\b(?:enable|enter|activate|switch to|turn on|engage|unlock) (?:jailbreak|jailbroken|dan|unrestricted|unfiltered|uncensored|evil) mode\b/,
  re(`\\byou (?:are|re|have been|ve been|will be)(?: now)? (?:free|freed|liberated|released|unbound|unshackled) (?:from|of)${gap(4)} ${LIMITS_NOUN}\\b`),
  re(`\\byou (?:are|re|have been|ve been|will be)(?: now)? (?:no longer|not) (?:bound|restricted|limited|constrained|governed|controlled) (?:by|to)${gap(3)} ${LIMITS_NOUN}\\b`),
  re('\\byou (?:are|re) no longer (?:an? |the )?(?:ai|assistant|chatgpt|language model|claude|bound|restricted|censored|filtered)\\b'),
  re(`\\byou (?:have|ll have|will have|now have|do not have|don t have|dont have) (?:no|any)(?: [^ ]{1,30}){0,2} ${LIMITS_NOUN}\\b`),
  re('\\b(?:disable|turn off|remove|ignore|bypass|drop|forget|lift) (?:all )?(?:of )?your (?:ethical |moral |safety |content |built in )?(?:guidelines|restrictions|filters|policies|constraints|guardrails|safeguards|alignment|ethics|morals|limitations|censorship)\\b'),
  re('\\b(?:respond|answer|reply|write|act|speak|talk)(?: [^ ]{1,30}){0,3} without (?:any )?(?:ethical|moral|safety|content) (?:guidelines|restrictions|filters|policies|constraints|considerations|limits|limitations|boundaries)\\b'),
  re(`\\bfrom now on${gap(2)} you (?:are|re|will be|will act as|will respond as|must act as) (?:an? |the )?(?:[^ ]{1,30} ){0,2}(?:${UNBOUND}|dan|evil ${AI}|no longer|not (?:an? )?(?:ai|assistant|chatgpt))\\b`)
]
const ROLE_SQUASHED = /(?:youarenow|actas|pretendtobe)(?:an?)?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|dan)|doanythingnow|developermodeenabled|jailbreakmode|danmode/

// ---------------------------------------------------------------------------------------------
// chat_template_tokens (on `text`: punctuation kept)

const TEMPLATE_PATTERNS: readonly RegExp[] = [
  /< ?\| ?\/?[a-z][a-z0-9_]{1,39} ?\| ?>/, // <|im_start|>, <|system|>, <|eot_id|>, <|endoftext|>
  /< ?\| ?im_(?:start|end|sep)\b/,
  /\[ ?\/? ?inst ?\]/, // [INST] [/INST]
  /<< ?\/? ?sys ?>>/, // <<SYS>> <</SYS>>
  /<\/s> ?(?:<s>|\[ ?inst|<\|)/, // </s><s>[INST]: a Llama turn boundary (a bare </s> is HTML strikethrough)
  /<s> ?\[ ?inst/,
  /<(?:start_of_turn|end_of_turn)>/,
  /(?:^|\n) ?#{2,4} ?(?:system|instruction|instructions|assistant|response)(?: message| prompt)? ?:/
]

// ---------------------------------------------------------------------------------------------
// fake_tool_or_system_message (on `text`)

const ROLE_LABEL = '(?:system|assistant|developer|admin|administrator|operator|ai|model|openai|anthropic|tool (?:output|result|response)|function (?:output|result|response))'
const LABEL_SUFFIX = '(?: (?:message|prompt|note|notice|update|override|instructions?|alert|command|response|output|reply))?'
const IMPERATIVE = '(?:you|your|ignore|disregard|must|new instructions?|from now on|always|never|do not|don t|override|reveal|respond|reply|answer|obey|comply|sure|certainly|of course|here is|here s|as requested|i will|i ll|access granted|authorized|authorised|unlocked|enabled|the user)'

const FAKE_MESSAGE_PATTERNS: readonly RegExp[] = [
  // a line that starts like another speaker's turn and then talks to (or as) the assistant
  re(`(?:^|\\n)[ *#>_\\-]{0,6}[\\[(]?${ROLE_LABEL}${LABEL_SUFFIX}[\\])]?[*_]{0,3} ?: ?[^\\n]{0,80}?\\b${IMPERATIVE}\\b`),
  /\[(?:system|assistant|developer|admin|sys)(?: (?:message|note|prompt|override|instructions?|update|notice))? ?[:\]]/,
  /\((?:system|developer|admin) (?:message|note|override|instructions?)\)/,
  /<\/?(?:system|system_prompt|sys_prompt|instructions?|admin|developer)>/,
  /<\/(?:user|user_input|user_query|user_message|untrusted_input)>/,
  /\bend of (?:the )?(?:user (?:input|message|prompt|query)|untrusted (?:input|content|text))\b/,
  /\bbegin(?:ning of)? (?:the )?(?:new )?(?:system|admin|developer) (?:prompt|message|instructions)\b/,
  /(?:^|\n)[ *#>_-]{0,6}(?:system|admin|developer|root|security) override\b/
]

// ---------------------------------------------------------------------------------------------
// encoded_payload

// A run of base64 characters that does not start inside a longer run (so the scan stays linear).
const BASE64_RUN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{24,}={0,2}/g
const UPPER = /[A-Z]/
const LOWER = /[a-z]/
const DIGIT = /[0-9]/
// Not instructions: an inline image, an SSH public key.
const NOT_A_PAYLOAD = /(?:data:image\/[a-z0-9.+-]{1,30};base64,|(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com) )$/i
const MIN_PAYLOAD = 120
const MAX_DECODED_RUNS = 16
const MAX_DECODED_CHARS = 8192
const PRINTABLE = /^[\x20-\x7e\n\r\t]*$/

const DECODE_AND_FOLLOW = re(`\\b(?:decode|decrypt|decipher|unscramble|deobfuscate|convert|translate|interpret|reverse|read)\\b${gap(6)} (?:and|then)(?: then)?${gap(2)} (?:follow|execute|run|obey|perform|carry out|act on|comply with|do)${gap(2)} (?:it|them|instructions?|commands?|directives?|what it says|what they say|the result|its contents|the decoded (?:text|message|instructions?|commands?))\\b`)
const ENCODING_WORD = /\b(?:base ?64|b64|base ?32|rot ?13|hex|hexadecimal|binary|morse|caesar|cipher|encoded|encoding|encrypted|obfuscated|atbash|reversed|backwards)\b/
const RUN_ENCODED = /\b(?:execute|run|follow|obey)(?: the)? (?:decoded|following (?:base ?64|b64|encoded|hex)|base ?64(?: encoded)? (?:instructions?|commands?|payload|string|text))\b/

function looksBase64 (run: string): boolean {
  return UPPER.test(run) && LOWER.test(run) && DIGIT.test(run) && run.split('/').length - 1 <= run.length * 0.06
}

function encodedPayload (forms: Forms): boolean {
  if (inWords(forms, [DECODE_AND_FOLLOW]) && ENCODING_WORD.test(forms.words)) return true
  if (inWords(forms, [RUN_ENCODED])) return true
  let decodedChars = 0
  let decodedRuns = 0
  for (const match of forms.original.matchAll(BASE64_RUN)) {
    const run = match[0]
    if (!looksBase64(run)) continue
    const before = forms.original.slice(Math.max(0, match.index - 48), match.index)
    if (NOT_A_PAYLOAD.test(before)) continue
    if (run.length >= MIN_PAYLOAD) return true
    // A shorter run: decode it and look for an injection in the decoded text.
    if (decodedRuns >= MAX_DECODED_RUNS || decodedChars >= MAX_DECODED_CHARS) continue
    decodedRuns++
    const decoded = Buffer.from(run, 'base64').toString('utf8')
    decodedChars += decoded.length
    if (!PRINTABLE.test(decoded)) continue
    const inner = build(decoded)
    if (PLAIN_CHECKS.some((check) => check(inner))) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------------
// exfiltration_request (on `text`): a sending verb, something secret and an outside address, close
// together, the verb first.

const EXFIL_VERB = /\b(?:send|sending|post|posting|upload|uploading|forward|forwarding|transmit|exfiltrate|exfil|leak|email|e-mail|mail|submit|deliver|relay|beacon|curl|wget|append|embed|encode|include|attach|copy|paste|write|log)\b/g
const SECRET_NOUN_ALWAYS = '(?:system prompt|system message|instructions|conversation|chat history|message history|previous messages|chat logs?|context window|memory|environment variables|env vars|\\.env(?: file)?|secrets?|credentials|passwords?|passphrases?|session (?:tokens?|cookies?|ids?)|cookies|private keys?|ssh keys?|aws keys?|personal (?:data|information|details)|user data|customer data|emails|inbox|contacts|credit card (?:numbers?|details)|card numbers?|ssns?|social security numbers?)'
const SECRET_NOUN_NOT_YOURS = '(?:api keys?|access tokens?|auth tokens?|tokens|keys)'
// "the password field", "a password reset": words after the noun that make it about something else
const NOT_SECRET_AFTER = '(?! (?:field|fields|reset|manager|hash|hashing|policy|policies|strength|input|box|requirements?|length|form|rules?|validation|expiry|change|section|page|dialog|prompt|column|parameter|param|header|variable|attribute))'
const SECRET = new RegExp(
  `\\b(?:(?:the|all|any|every|this|these|those|their|his|her|our|its|each|user'?s'?|users'?|customer'?s'?|customers'?|(?:the|all) (?:user|customer)'?s'?)(?: [a-z0-9'_-]{1,20}){0,2} (?:${SECRET_NOUN_ALWAYS}|${SECRET_NOUN_NOT_YOURS})|your(?: [a-z0-9'_-]{1,20}){0,2} ${SECRET_NOUN_ALWAYS})\\b${NOT_SECRET_AFTER}`,
  'g'
)
const DESTINATION = /\b(?:https?:\/\/|ftp:\/\/|www\.)|(?<![a-z0-9._%+-])[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}\.[a-z0-9.-]{2,100}|\b(?:webhook|pastebin|ngrok|requestbin|interactsh|burpcollaborator)\b/g
// A markdown image whose URL carries a placeholder for data: ![x](https://host/p?d={secret})
const MARKDOWN_IMAGE_EXFIL = /!\[[^\]\n]{0,100}\] ?\( ?(?:https?:)?\/\/[^\s)]{1,200}?[?&=/](?:\{\{?|\[|<|\$\{?|%7b)[a-z_ ]{1,40}/

function positions (text: string, pattern: RegExp): number[] {
  const out: number[] = []
  for (const m of text.matchAll(pattern)) out.push(m.index)
  return out
}

/** Is there a value of `sorted` in [from, to]? */
function anyWithin (sorted: readonly number[], from: number, to: number): boolean {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as number) < from) lo = mid + 1
    else hi = mid
  }
  return lo < sorted.length && (sorted[lo] as number) <= to
}

function exfiltration (forms: Forms): boolean {
  const { text } = forms
  if (MARKDOWN_IMAGE_EXFIL.test(text)) return true
  const destinations = positions(text, DESTINATION)
  if (destinations.length === 0) return false
  const secrets = positions(text, SECRET)
  if (secrets.length === 0) return false
  for (const verb of positions(text, EXFIL_VERB)) {
    if (anyWithin(secrets, verb, verb + 120) && anyWithin(destinations, verb, verb + 200)) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------------

type Check = (forms: Forms) => boolean

const ignoreInstructions: Check = (f) => inWords(f, IGNORE_PATTERNS) || inSquashed(f, IGNORE_SQUASHED)
const revealSystemPrompt: Check = (f) => inWords(f, REVEAL_PATTERNS) || inSquashed(f, REVEAL_SQUASHED)
const roleOverride: Check = (f) => inWords(f, ROLE_PATTERNS) || inSquashed(f, ROLE_SQUASHED)
const chatTemplateTokens: Check = (f) => TEMPLATE_PATTERNS.some((p) => p.test(f.text))
const fakeMessage: Check = (f) => FAKE_MESSAGE_PATTERNS.some((p) => p.test(f.text))

/** What a decoded base64 run is checked with: every rule but encoded_payload itself. */
const PLAIN_CHECKS: readonly Check[] = [ignoreInstructions, revealSystemPrompt, roleOverride, chatTemplateTokens, fakeMessage, exfiltration]

function rule (id: string, description: string, check: Check): InjectionRule {
  return Object.freeze({ id, description, test: (text: string) => typeof text === 'string' && check(prepare(text)) })
}

export const INJECTION_RULES: readonly InjectionRule[] = Object.freeze([
  rule('ignore_instructions', 'asks to ignore, forget or override the previous or system instructions', ignoreInstructions),
  rule('reveal_system_prompt', 'asks to reveal or repeat the system prompt or hidden instructions', revealSystemPrompt),
  rule('role_override', 'tries to switch the assistant to an unrestricted persona or mode (DAN, developer mode, a jailbroken AI)', roleOverride),
  rule('chat_template_tokens', 'contains chat-template control tokens that fake a turn boundary (<|im_start|>, [INST], <<SYS>>, ### System:)', chatTemplateTokens),
  rule('fake_tool_or_system_message', 'impersonates a system, assistant or tool message inside the user\'s text', fakeMessage),
  rule('encoded_payload', 'carries a long base64 payload, or asks to decode a text and follow it', encodedPayload),
  rule('exfiltration_request', 'asks to send secrets, the system prompt or the conversation to an outside address', exfiltration)
])

/** Every rule that matches `text`, in INJECTION_RULES order (empty: none matched). */
export function findInjection (text: string): InjectionRule[] {
  if (typeof text !== 'string' || text === '') return []
  return INJECTION_RULES.filter((r) => r.test(text))
}
