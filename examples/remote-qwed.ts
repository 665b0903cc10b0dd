// A hybrid set-up: arithmetic is proven in process by the embedded math engine, factual claims go to
// a (self-hosted) QWED server. Reads QWED_URL (default http://127.0.0.1:8000) and QWED_API_KEY.
//   QWED_URL=http://127.0.0.1:8000 QWED_API_KEY=qwed_live_... npx tsx examples/remote-qwed.ts
// then: curl -s -XPOST localhost:3000/loan-quote -H 'content-type: application/json' \
//            -d '{"principal":1000,"ratePercent":5,"years":2}'
import Fastify, { type FastifyInstance } from 'fastify'
import { pathToFileURL } from 'node:url'
import qwed, { type AuditOptions } from '../lib/index.js'
import { quoteLoan, type LoanQuote } from './fake-llm.js'

export interface RemoteExampleOptions {
  url?: string
  /** Default: QWED_API_KEY (the plugin reads it when this is not given). */
  apiKey?: string
  logger?: boolean
  audit?: AuditOptions | false
}

/** What the "LLM" answers about a policy document, with the passage it relied on. */
interface PolicyAnswer { question: string, answer: string, source: string }

const POLICY = 'Refunds are issued within 14 days of a return. Items bought on sale can be exchanged but not refunded.'

function answerPolicyQuestion (question: string): PolicyAnswer {
  const answer = /sale/i.test(question)
    ? 'Items bought on sale can be exchanged but not refunded.'
    : 'Refunds are issued within 14 days of a return.'
  return { question, answer, source: POLICY }
}

export async function buildRemoteServer (options: RemoteExampleOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? true })
  await app.register(qwed, {
    remote: {
      url: options.url ?? process.env.QWED_URL ?? 'http://127.0.0.1:8000',
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      timeoutMs: 3000,
      retries: 2,
      ratePerMinute: 100
    },
    // math is proven locally (no network); fact exists only on the QWED server (it is routed there by default).
    engines: { math: 'local', fact: 'remote' },
    // If the QWED server is down or rate-limits past the deadline: 503 with Retry-After.
    onUnavailable: 'closed',
    ...(options.audit === undefined ? {} : { audit: options.audit })
  })

  // Local: the total repaid must follow from principal, rate and term, or the answer is a 422.
  app.post<{ Body: { principal: number, ratePercent: number, years: number } }>('/loan-quote', {
    config: { qwed: { claims: (quote: LoanQuote) => ({ type: 'math', expression: quote.calculation }) } }
  }, async (request) => quoteLoan(request.body.principal, request.body.ratePercent, request.body.years))

  // Remote: the answer must follow from its source. QWED 7.1's fact engine is heuristic and never
  // answers VERIFIED, so enforcing it would block every answer: the route runs in shadow mode, which
  // records each verdict (audit log, qwed_verifications_total) without changing the response.
  app.post<{ Body: { question: string } }>('/policy', {
    config: {
      qwed: {
        mode: 'shadow',
        claims: (reply: PolicyAnswer) => ({ type: 'fact', claim: reply.answer, context: reply.source })
      }
    }
  }, async (request) => answerPolicyQuestion(request.body.question))

  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await buildRemoteServer()
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) })
}
