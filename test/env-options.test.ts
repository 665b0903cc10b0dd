import t from 'tap'
import Fastify from 'fastify'
import express from 'express'
import qwed, { QwedOptionsError } from '../lib/index.js'
import { qwedExpress } from '../lib/express.js'
import { environmentOptions } from '../lib/env-options.js'
import { serve } from './helpers/express.js'

// QWED_MODE, QWED_SAMPLE_RATE, QWED_ON_UNAVAILABLE: read at registration, over the adapter's
// options in code, under a route's own setting (docs/configuration.md).

/** Sets the variables for one test and restores what was there. */
function withEnv (t: { teardown: (fn: () => void) => void }, vars: Record<string, string>): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
}

t.test('each variable is parsed; empty counts as unset', async (t) => {
  t.same(environmentOptions({}), {})
  t.same(environmentOptions({ QWED_MODE: 'shadow', QWED_SAMPLE_RATE: '0.25', QWED_ON_UNAVAILABLE: 'open' }), { mode: 'shadow', sampleRate: 0.25, onUnavailable: 'open' })
  t.same(environmentOptions({ QWED_MODE: ' Enforce ', QWED_SAMPLE_RATE: '1', QWED_ON_UNAVAILABLE: 'CLOSED' }), { mode: 'enforce', sampleRate: 1, onUnavailable: 'closed' })
  t.same(environmentOptions({ QWED_SAMPLE_RATE: '.5' }), { sampleRate: 0.5 })
  t.same(environmentOptions({ QWED_SAMPLE_RATE: '0' }), { sampleRate: 0 })
  t.same(environmentOptions({ QWED_MODE: '', QWED_SAMPLE_RATE: '  ' }), {})
})

t.test('a bad value throws a QwedOptionsError that names the variable', async (t) => {
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ QWED_MODE: 'shadw' }, 'QWED_MODE', /environment variable.*enforce \| shadow \| off.*"shadw"/],
    [{ QWED_ON_UNAVAILABLE: 'fail-open' }, 'QWED_ON_UNAVAILABLE', /closed \| open/],
    [{ QWED_SAMPLE_RATE: '1.5' }, 'QWED_SAMPLE_RATE', /between 0 and 1/],
    [{ QWED_SAMPLE_RATE: '-0.1' }, 'QWED_SAMPLE_RATE', /between 0 and 1/],
    [{ QWED_SAMPLE_RATE: '1e-1' }, 'QWED_SAMPLE_RATE', /"1e-1"/],
    [{ QWED_SAMPLE_RATE: 'Infinity' }, 'QWED_SAMPLE_RATE', /between 0 and 1/],
    [{ QWED_SAMPLE_RATE: '50%' }, 'QWED_SAMPLE_RATE', /between 0 and 1/]
  ]
  for (const [env, name, message] of cases) {
    const err = t.throws(() => environmentOptions(env)) as QwedOptionsError
    t.ok(err instanceof QwedOptionsError, name)
    t.equal(err.option, name)
    t.match(err.message, message)
  }
})

t.test('Fastify: a bad variable fails registration, naming it', async (t) => {
  withEnv(t, { QWED_MODE: 'audit' })
  const app = Fastify()
  await t.rejects(async () => { await app.register(qwed, { audit: false }) }, { name: 'QwedOptionsError', option: 'QWED_MODE' })
})

/** A route whose answer is false: 422 in enforce, 200 in shadow. */
function falseAnswerApp (pluginOptions: Record<string, unknown>, routeOptions: Record<string, unknown> = {}) {
  const app = Fastify()
  return {
    app,
    ready: async () => {
      // warmUp: math only (a claims() route would warm every engine, Z3 included, for one math claim)
      await app.register(qwed, { audit: false, warmUp: ['math'], ...pluginOptions })
      app.get('/q', { config: { qwed: { claims: () => ({ type: 'math', expression: '2 + 2 = 5' }), ...routeOptions } } }, async () => ({ text: '2 + 2 = 5' }))
      await app.ready()
      t.teardown(() => app.close())
      return app
    }
  }
}

t.test('Fastify: QWED_MODE=shadow wins over mode: enforce in code; a route\'s own mode wins over both', async (t) => {
  withEnv(t, { QWED_MODE: 'shadow' })
  const shadowed = await falseAnswerApp({ mode: 'enforce' }).ready()
  const res = await shadowed.inject('/q')
  t.equal(res.statusCode, 200, 'the environment switched the plugin to shadow')
  t.equal(res.headers['x-qwed-status'], undefined)

  const pinned = await falseAnswerApp({ mode: 'enforce' }, { mode: 'enforce' }).ready()
  t.equal((await pinned.inject('/q')).statusCode, 422, 'the route pinned enforce')
})

t.test('Fastify: QWED_SAMPLE_RATE=0 skips verification; unset, the code\'s value stands', async (t) => {
  withEnv(t, { QWED_SAMPLE_RATE: '0' })
  const sampled = await falseAnswerApp({ sampleRate: 1 }).ready()
  const res = await sampled.inject('/q')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-qwed-status'], undefined, 'not verified: no status to report')
  t.same(res.json(), { text: '2 + 2 = 5' })
  delete process.env.QWED_SAMPLE_RATE
  const full = await falseAnswerApp({ sampleRate: 1 }).ready()
  t.equal((await full.inject('/q')).statusCode, 422)
})

t.test('Express: QWED_ON_UNAVAILABLE=open wins over onUnavailable: closed for an engine that is down', async (t) => {
  withEnv(t, { QWED_ON_UNAVAILABLE: 'open' })
  const down = { name: 'down', claimTypes: ['down'], verify: async () => { throw new Error('engine down') } }
  const guard = qwedExpress({ warmUp: false, onUnavailable: 'closed', audit: false, extraEngines: [down as any], breaker: { volumeThreshold: 1000 } } as any)
  const app = express()
  app.use(guard)
  app.get('/q', guard.route({ claims: () => ({ type: 'down' } as any) }), (_req, res) => { res.json({ ok: true }) })
  const served = await serve(app)
  t.teardown(() => served.close())
  const res = await fetch(`${served.base}/q`)
  t.equal(res.status, 200, 'fail open, as the environment says')
  t.same(await res.json(), { ok: true })

  process.env.QWED_ON_UNAVAILABLE = 'nope'
  t.throws(() => qwedExpress({ audit: false }), { name: 'QwedOptionsError', option: 'QWED_ON_UNAVAILABLE' } as unknown as Error)
})
