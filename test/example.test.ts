import t from 'tap'
import { buildServer } from '../examples/fastify-server.js'

t.test('the example server admits right answers and blocks wrong ones; the invoice route only records', async (t) => {
  const app = await buildServer({ logger: false, audit: false })
  t.teardown(() => app.close())
  const post = async (url: string, payload: unknown) => await app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> })

  const right = await post('/loan-quote', { principal: 1000, ratePercent: 5, years: 2 })
  t.equal(right.statusCode, 200)
  t.equal(right.json().totalRepaid, '1102.5')
  t.equal(right.headers['x-qwed-status'], 'VERIFIED')

  const wrong = await post('/loan-quote', { principal: 1000, ratePercent: 5, years: 3 })
  t.equal(wrong.statusCode, 422)
  t.equal(wrong.json().code, 'QWED_BLOCKED')

  t.equal((await post('/explain', { a: 12, b: 7, c: 5 })).statusCode, 200)
  t.equal((await post('/explain', { a: 13, b: 7, c: 5 })).statusCode, 422)

  const shadowWrong = await post('/invoice', { prices: ['19.99', '5.01', '3.50'], taxPercent: 8 })
  t.equal(shadowWrong.statusCode, 200, 'shadow mode sends even a wrong total')
  t.equal(shadowWrong.json().total, '30.50')
})
