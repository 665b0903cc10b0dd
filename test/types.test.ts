// Type tests: `npm test` type-checks this file (tsc --noEmit), so each @ts-expect-error must stay an
// error and each correct use must compile. The runtime part only registers the routes.
import t from 'tap'
import Fastify from 'fastify'
import qwed, { createVerifier, sanitizeOutput, type Claim, type QwedOutcome, type VerificationResult } from '../lib/index.js'

t.test('the public types accept correct use and reject mistakes', async (t) => {
  const app = Fastify()
  await app.register(qwed, { mode: 'shadow', sampleRate: 0.25, onUnavailable: 'open', cache: { max: 100, ttl: 1000 } })
  // Never called: only compiled.
  const mistakes = async (): Promise<void> => {
    // @ts-expect-error: mode is a closed set
    await app.register(qwed, { mode: 'enforse' })
    // @ts-expect-error: sampleRate is a number
    await app.register(qwed, { sampleRate: '1' })
    // @ts-expect-error: a claim needs its engine's fields
    app.get('/bad', { config: { qwed: { claims: () => ({ type: 'math' }) } } }, async () => ({}))
    // @ts-expect-error: claims, inputs or sanitize is required
    app.get('/bad2', { config: { qwed: { mode: 'shadow' } } }, async () => ({}))
    // @ts-expect-error: injection is 'off' | 'flag' | 'block'
    app.post('/bad3', { config: { qwed: { inputs: () => 'x', input: { injection: 'yes' } } } }, async () => ({}))
    // @ts-expect-error: pii kinds are a closed set
    app.get('/bad4', { config: { qwed: { sanitize: { pii: ['passport'] } } } }, async () => ({}))
    // @ts-expect-error: claims is 'auto' or a function
    app.get('/bad5', { config: { qwed: { claims: 'automatic' } } }, async () => ({}))
    // @ts-expect-error: the extractor's limits are numbers
    app.get('/bad6', { config: { qwed: { claims: 'auto', extract: { maxClaims: 'many' } } } }, async () => ({}))
    // @ts-expect-error: limits are numbers
    createVerifier({ limits: { sql: { maxLength: 'big' } } })
  }
  t.type(mistakes, 'function')

  app.post('/typed', {
    config: {
      qwed: {
        claims: (payload: { calc: string }) => ({ type: 'math', expression: payload.calc }),
        mode: 'enforce',
        enabled: async (request) => request.headers['x-beta'] === '1'
      }
    }
  }, async () => ({ calc: '1+1=2' }))
  app.get('/optout', { config: { qwed: false } }, async () => ({}))
  // A chat route: the claims are found in the answer's text.
  app.post('/chat', { config: { qwed: { claims: 'auto', extract: { sql: { schema: 'CREATE TABLE t (id INT);', dialect: 'postgresql' } } } } }, async () => 'text')
  // A route may only check its input, or only sanitize its output.
  app.post('/support', {
    config: { qwed: { inputs: (request) => ({ question: (request.body as { question?: string }).question }), input: { maxLength: 2000, injection: 'block' } } }
  }, async (request) => ({ seen: request.qwedInput?.values.question }))
  app.get('/masked', { config: { qwed: { sanitize: { paths: ['answer'], pii: ['email', 'card'], html: { allowedTags: ['b'] } } } } }, async () => ({ answer: 'x' }))
  const masked: { answer: string } = sanitizeOutput({ answer: 'a@b.co' }, { secrets: false })
  t.type(masked.answer, 'string')

  app.addHook('onResponse', async (request) => {
    const outcome: QwedOutcome | null = request.qwed
    if (outcome !== null) t.type(outcome.decision, 'string')
  })
  const verifier = createVerifier({ audit: false })
  const claim: Claim = { type: 'sql', query: 'SELECT 1', dialect: 'postgresql' }
  // @ts-expect-error: unknown dialect
  const badClaim: Claim = { type: 'sql', query: 'SELECT 1', dialect: 'oracle' }
  t.ok(badClaim)
  const result: VerificationResult = await verifier.verify({ type: 'math', expression: '2+2=4' })
  t.type(result.admission, 'string')
  t.type(app.qwed.verify, 'function')
  t.equal(claim.type, 'sql')
  await verifier.close()
  await app.close()
})
