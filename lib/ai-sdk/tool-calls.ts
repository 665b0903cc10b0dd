import type { Claim } from '../../types/claims.js'
import type { ClaimsResult } from '../../types/route.js'
import type { ResolvedExtractOptions } from '../extract/index.js'

// Claims in the arguments of a tool call: the SQL a `runQuery` tool will run, the code a `runCode`
// tool will execute. What a tool call carries is known only by its application, so the option names
// the argument per tool, or maps a call to claims with a function.

/** A tool call as the middleware hands it to the option: its name and its parsed JSON input. */
export interface ToolCallInfo {
  toolName: string
  toolCallId: string
  input: unknown
}

/** Per tool: the argument that holds SQL (checked against extract.sql's schema), or code in a language. */
export type ToolArgumentClaim =
  | { sql: string }
  | { code: string, language: 'python' | 'javascript' | 'typescript' }

export type ToolCallClaims =
  | Readonly<Record<string, ToolArgumentClaim>>
  | ((call: ToolCallInfo) => ClaimsResult | Promise<ClaimsResult>)

/** A tool call whose claims cannot be read is refused, not let through: the caller turns this into a BLOCKED result. */
export class UnreadableToolCall extends Error {
  constructor (readonly toolName: string, why: string) {
    super(`the input of tool ${toolName} ${why}`)
  }
}

/** The claims of one tool call, or null when the option does not name this tool. Throws UnreadableToolCall. */
export async function toolCallClaims (spec: ToolCallClaims, call: { toolName: string, toolCallId: string, input: string }, extract: ResolvedExtractOptions): Promise<readonly Claim[] | null> {
  if (typeof spec !== 'function' && !Object.hasOwn(spec, call.toolName)) return null
  let input: unknown
  try {
    input = JSON.parse(call.input) as unknown
  } catch {
    throw new UnreadableToolCall(call.toolName, 'is not JSON')
  }
  if (typeof spec === 'function') {
    const found = await spec({ toolName: call.toolName, toolCallId: call.toolCallId, input })
    if (found === null || found === undefined) return []
    return Array.isArray(found) ? found : [found as Claim]
  }
  const rule = spec[call.toolName] as ToolArgumentClaim
  const argument = 'sql' in rule ? rule.sql : rule.code
  const value = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[argument] : undefined
  if (typeof value !== 'string') throw new UnreadableToolCall(call.toolName, `has no string argument ${argument}`)
  if ('sql' in rule) {
    const { schema, dialect } = extract.sql ?? {}
    return [{ type: 'sql', query: value, ...(schema === undefined ? {} : { schema }), ...(dialect === undefined ? {} : { dialect }) }]
  }
  return [{ type: 'code', code: value, language: rule.language }]
}
