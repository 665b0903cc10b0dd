import type { LanguageModelMiddleware } from 'ai'

// The AI SDK's language-model types as its middleware interface names them (type-only: the `ai`
// package is an optional peer, nothing of it is loaded at run time).

type WrapGenerate = NonNullable<LanguageModelMiddleware['wrapGenerate']>
type WrapStream = NonNullable<LanguageModelMiddleware['wrapStream']>

export type CallOptions = Parameters<WrapGenerate>[0]['params']
export type GenerateResult = Awaited<ReturnType<WrapGenerate>>
export type StreamResult = Awaited<ReturnType<WrapStream>>
export type Content = GenerateResult['content'][number]
export type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never
export type FinishPart = Extract<StreamPart, { type: 'finish' }>
export type ToolCallPart = Extract<StreamPart, { type: 'tool-call' }>
export type ProviderMetadata = NonNullable<GenerateResult['providerMetadata']>
export type { LanguageModelMiddleware }
