import { readFileSync } from 'node:fs'
import t from 'tap'
import ts from 'typescript'
import { createCodeEngine } from '../lib/engines/code/index.js'
import { admissionOf } from '../lib/result.js'
import { parseJsOrTs } from '../lib/engines/code/parse-js.js'

// Differential test of the JavaScript / TypeScript front end (oxc-parser) against the TypeScript
// compiler's own parser, on every JavaScript and TypeScript snippet of the parser-escape corpus
// and of the code corpora. Both must agree whether a snippet parses; where they do not, the
// disagreement must fail closed: a snippet only one of them accepts is never admitted.

interface Snippet { name: string, language: string, code: string }

const escapes = JSON.parse(readFileSync(new URL('./fixtures/security/parser-escapes.json', import.meta.url), 'utf8')) as Array<{ name: string, claim: { type: string, language?: string, code?: string } }>
const snippets: Snippet[] = escapes
  .filter((e) => e.claim.type === 'code' && (e.claim.language === 'javascript' || e.claim.language === 'typescript'))
  .map((e) => ({ name: e.name, language: e.claim.language as string, code: String(e.claim.code) }))
for (const file of ['code-attacks.json', 'code-benign.json']) {
  const url = new URL(`./fixtures/security/${file}`, import.meta.url)
  let entries: Array<{ id: string, language: string, code: string }> = []
  try { entries = JSON.parse(readFileSync(url, 'utf8')) as typeof entries } catch { continue }
  for (const e of entries) if (e.language !== 'python') snippets.push({ name: `${file}:${e.id}`, language: e.language, code: e.code })
}

/** Whether TypeScript's parser accepts the snippet (syntax diagnostics only), as .ts/.tsx or .js/.jsx. */
function typescriptAccepts (code: string, typescript: boolean): boolean {
  const kinds = typescript ? [['s.ts', ts.ScriptKind.TS], ['s.tsx', ts.ScriptKind.TSX]] as const : [['s.jsx', ts.ScriptKind.JSX]] as const
  for (const [file, kind] of kinds) {
    const sf = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, false, kind)
    const diagnostics = (sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics
    if (diagnostics.length === 0) return true
  }
  return false
}

t.test('oxc-parser and the TypeScript parser agree, or the disagreement fails closed', async (t) => {
  t.ok(snippets.length >= 30, `${snippets.length} snippets`)
  const engine = createCodeEngine()
  let agree = 0
  const disagreements: string[] = []
  for (const s of snippets) {
    const typescript = s.language === 'typescript'
    const ours = parseJsOrTs(s.code, typescript)
    const oursAccepts = ours.ok || ours.reason === 'too_deep'
    const theirs = typescriptAccepts(s.code, typescript)
    if (oursAccepts === theirs) { agree++; continue }
    disagreements.push(`${s.name}: oxc ${oursAccepts ? 'accepts' : 'rejects'}, typescript ${theirs ? 'accepts' : 'rejects'}`)
    const r = await engine.verify({ type: 'code', language: s.language as 'javascript', code: s.code }, { signal: new AbortController().signal })
    t.equal(admissionOf(r), 'BLOCKED', `${s.name}: a snippet the parsers disagree on is not admitted`)
  }
  t.comment(`${agree}/${snippets.length} agree`)
  if (disagreements.length > 0) t.comment(`disagreements:\n  ${disagreements.join('\n  ')}`)
})
