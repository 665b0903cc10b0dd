// The LLM-backed routes of examples/fastify-server.ts, on Express 5 with qwed-middleware/express.
// `npx tsx examples/express-server.ts` serves it on 127.0.0.1:3000; `npm run demo -- --framework express` drives it.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import express, { type Express } from 'express'
import { pino } from 'pino'
import type { AuditOptions } from '../lib/index.js'
import { qwedExpress, type QwedExpressMiddleware } from '../lib/express.js'
import { answerSupport, chatAnswer, explainArithmetic, quoteLoan, streamChat, totalInvoice, type Explanation, type Invoice, type LoanQuote } from './fake-llm.js'

export interface ExpressServer {
  app: Express
  /** The middleware: qwed.verifier, qwed.metrics, qwed.close(). */
  qwed: QwedExpressMiddleware
}

export function buildExpressServer (options: { logger?: boolean, audit?: AuditOptions | false } = {}): ExpressServer {
  const app = express()
  const qwed = qwedExpress({ mode: 'enforce', onUnavailable: 'closed', ...(options.audit === undefined ? {} : { audit: options.audit }) })

  if (options.logger ?? true) {
    // A stand-in for pino-http (`app.use(pinoHttp())`): a request logger on req.log, which the
    // audit trail then uses, so each audit record carries the request's id.
    const log = pino()
    app.use((req, _res, next) => {
      const id = randomUUID()
      Object.assign(req, { id, log: log.child({ reqId: id }) })
      next()
    })
  }
  app.use(express.json())
  app.use(qwed) // request state, and GET /metrics

  // A loan quote: the total repaid must follow from principal, rate and term.
  app.post('/loan-quote', qwed.route({ claims: (quote: LoanQuote) => ({ type: 'math', expression: quote.calculation }) }), (req, res) => {
    const { principal, ratePercent, years } = req.body as { principal: number, ratePercent: number, years: number }
    res.json(quoteLoan(principal, ratePercent, years))
  })

  // An arithmetic explanation: the worked calculation must be right.
  app.post('/explain', qwed.route({ claims: (answer: Explanation) => ({ type: 'math', expression: answer.calculation }) }), (req, res) => {
    const { a, b, c } = req.body as { a: number, b: number, c: number }
    res.json(explainArithmetic(a, b, c))
  })

  // A chat answer in Markdown: the claims are found in its text (claims: 'auto'), no JSON fields needed.
  app.post('/chat', qwed.route({ claims: 'auto' }), (req, res) => {
    const { payment, months, ratePercent } = req.body as { payment: number, months: number, ratePercent: number }
    res.type('text/markdown').send(chatAnswer(payment, months, ratePercent))
  })

  // An invoice total, rolled out in shadow mode: wrong totals are recorded and counted, not blocked yet.
  app.post('/invoice', qwed.route({ mode: 'shadow', claims: (invoice: Invoice) => ({ type: 'math', expression: invoice.calculation }) }), (req, res) => {
    const { prices, taxPercent } = req.body as { prices: string[], taxPercent: number }
    res.json(totalInvoice(prices, taxPercent))
  })

  // A support chat: the question is checked before the model sees it (400 on a failed rule, prompt
  // injection refused), and the answer leaves with markup stripped and PII masked.
  app.post('/support', qwed.route({ inputs: (req) => ({ question: (req.body as { question?: unknown }).question }), input: { injection: 'block' }, sanitize: true }), (req, res) => {
    res.json(answerSupport(req.qwedInput?.values.question ?? ''))
  })

  // A streamed chat answer (SSE, written with res.write): its claims are found as it streams
  // (claims: 'auto'); a wrong figure never leaves, the stream ends with an `event: qwed` frame instead.
  app.post('/chat/stream', qwed.route({ claims: 'auto' }), async (req, res) => {
    const { a, b, c } = req.body as { a: number, b: number, c: number }
    res.type('text/event-stream')
    for await (const frame of streamChat(a, b, c)) res.write(frame)
    res.end()
  })

  return { app, qwed }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const auditDb = process.env.QWED_AUDIT_DB
  const { app, qwed } = buildExpressServer(auditDb === undefined || auditDb === '' ? {} : { audit: { store: 'sqlite', path: auditDb } })
  const port = Number(process.env.PORT ?? 3000)
  const server = app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`))
  // Graceful close: stop accepting connections, let the open requests finish, then qwed.close()
  // answers new claims unavailable, flushes the audit queue and closes the engines and pools.
  const stop = (): void => {
    server.close(() => {
      qwed.close().then(() => process.exit(0), (err: unknown) => {
        console.error(err)
        process.exit(1)
      })
    })
    server.closeIdleConnections()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
