// LLM-backed routes behind qwed-middleware, on the embedded engines.
// `npm start` serves it on 127.0.0.1:3000; `npm run demo` drives it and prints what happened.
import Fastify, { type FastifyInstance } from 'fastify'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import qwed, { type AuditOptions } from '../lib/index.js'
import { answerSupport, chatAnswer, explainArithmetic, quoteLoan, streamChat, totalInvoice, type Explanation, type Invoice, type LoanQuote } from './fake-llm.js'

export async function buildServer (options: { logger?: boolean, audit?: AuditOptions | false } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? true })
  // Register before the routes: the plugin sees routes through onRoute.
  await app.register(qwed, { mode: 'enforce', onUnavailable: 'closed', ...(options.audit === undefined ? {} : { audit: options.audit }) })

  // A loan quote: the total repaid must follow from principal, rate and term.
  app.post<{ Body: { principal: number, ratePercent: number, years: number } }>('/loan-quote', {
    config: { qwed: { claims: (quote: LoanQuote) => ({ type: 'math', expression: quote.calculation }) } }
  }, async (request) => quoteLoan(request.body.principal, request.body.ratePercent, request.body.years))

  // An arithmetic explanation: the worked calculation must be right.
  app.post<{ Body: { a: number, b: number, c: number } }>('/explain', {
    config: { qwed: { claims: (answer: Explanation) => ({ type: 'math', expression: answer.calculation }) } }
  }, async (request) => explainArithmetic(request.body.a, request.body.b, request.body.c))

  // A chat answer in Markdown: the claims are found in its text (claims: 'auto'), no JSON fields needed.
  app.post<{ Body: { payment: number, months: number, ratePercent: number } }>('/chat', {
    config: { qwed: { claims: 'auto' } }
  }, async (request, reply) => {
    reply.type('text/markdown; charset=utf-8')
    return chatAnswer(request.body.payment, request.body.months, request.body.ratePercent)
  })

  // An invoice total, rolled out in shadow mode: wrong totals are recorded and counted, not blocked yet.
  app.post<{ Body: { prices: string[], taxPercent: number } }>('/invoice', {
    config: { qwed: { mode: 'shadow', claims: (invoice: Invoice) => ({ type: 'math', expression: invoice.calculation }) } }
  }, async (request) => totalInvoice(request.body.prices, request.body.taxPercent))

  // A support chat: the question is checked before the model sees it (400 on a failed rule, prompt
  // injection refused), and the answer leaves with markup stripped and PII masked.
  app.post<{ Body: { question: string } }>('/support', {
    config: { qwed: { inputs: (request) => ({ question: (request.body as { question?: unknown }).question }), input: { injection: 'block' }, sanitize: true } }
  }, async (request) => answerSupport(request.qwedInput?.values.question ?? ''))

  // A streamed chat answer (SSE): its claims are found as it streams (claims: 'auto'); a wrong
  // figure never leaves, the stream ends with an `event: qwed` frame instead (docs/streaming.md).
  app.post<{ Body: { a: number, b: number, c: number } }>('/chat/stream', {
    config: { qwed: { claims: 'auto' } }
  }, async (request, reply) => {
    reply.type('text/event-stream')
    return Readable.from(streamChat(request.body.a, request.body.b, request.body.c))
  })

  return app
}

/** QWED_AUDIT_DB=<file> keeps the audit records in a SQLite store too (docs/compliance.md). */
export function auditFromEnv (): AuditOptions | undefined {
  const path = process.env.QWED_AUDIT_DB
  return path === undefined || path === '' ? undefined : { store: 'sqlite', path }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const audit = auditFromEnv()
  const app = await buildServer(audit === undefined ? {} : { audit })
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) })
  // Graceful close: Fastify stops accepting connections and waits for the open requests; the
  // plugin's onClose answers new claims unavailable, flushes the audit queue and closes the engines.
  // Without it a SIGTERM ends the process with the queued audit records still in memory.
  const stop = (signal: NodeJS.Signals): void => {
    app.log.info({ signal }, 'closing')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'close failed')
      process.exit(1)
    })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
