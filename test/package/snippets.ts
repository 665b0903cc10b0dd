import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './consumer.js'

// The TypeScript blocks of README.md and docs/*.md, as a consumer would paste them.
// A block fenced ```ts no-check is a fragment on purpose (an option's shape, a line of a larger
// file) and is left out; every other ```ts block must compile against the packed package.

export interface Snippet {
  /** `README.md:123`: the file and the line of the opening fence. */
  where: string
  code: string
}

const FENCE = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```$/gm

export function documentSnippets (): Snippet[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
  const snippets: Snippet[] = []
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    for (const match of text.matchAll(FENCE)) {
      if ((match[2] ?? '').includes('no-check')) continue
      const line = text.slice(0, match.index).split('\n').length
      snippets.push({ where: `${file}:${line}`, code: match[3] ?? '' })
    }
  }
  return snippets
}

/**
 * What the snippets assume the reader's app already has: the model calls and a few values they
 * pass around. Declared, not implemented: the snippets are compiled, not run.
 */
export const APP_DECLARATIONS = `import type { FastifyInstance, RouteHandlerMethod } from 'fastify'
import type { LanguageModelV3 } from '@ai-sdk/provider'
import type { Claim, Verifier } from 'qwed-middleware'
declare global {
  /** The reader's Fastify app (\`fastify\` in the plugin style), where a snippet does not create one. */
  const app: FastifyInstance
  const fastify: FastifyInstance
  /** A verifier, a claim and a route handler the reader already has. */
  const verifier: Verifier
  const claim: Claim
  const claims: Claim[]
  const claimHash: string
  const handler: RouteHandlerMethod
  /** The reader's model calls and their inputs. */
  function llmAnswer (input: unknown): Promise<string>
  function llmQuote (input: unknown): Promise<{ text: string, calculation: string }>
  function llm (input: unknown): Promise<{ text: string, claim: Claim }>
  function llmStream (input: unknown): AsyncIterable<string>
  function llmExtractOrder (email: string): Promise<{ sku: string, quantity: number }>
  function llmWriteSql (question: string): Promise<{ sql: string }>
  function llmWriteCode (task: string): Promise<{ code: string }>
  function openai (model: string): LanguageModelV3
  function provider (model: string): LanguageModelV3
  const question: string
  const DDL: string
  const schema: string
  const line: string
  const offset: number
}
export {}
`
