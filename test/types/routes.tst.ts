// Type tests on the built declarations (dist/), run by tstyche: what a consumer's editor and
// compiler see. `npm run build` first.
import Fastify from 'fastify'
import express from 'express'
import { describe, expect, test } from 'tstyche'
import qwed, { type Claim, type ClaimsResult, type QwedOutcome, type QwedInput, type Verifier } from 'qwed-middleware'
import { qwedExpress, type ExpressRouteQwedOptions } from 'qwed-middleware/express'
import type { FastifyRouteQwedOptions } from 'qwed-middleware'

describe('Fastify route options', () => {
  const app = Fastify()

  test('a claims function returning a claim, claims[], null or a promise of them', () => {
    expect(app.post).type.toBeCallableWith('/q', { config: { qwed: { claims: (payload: { calc: string }) => ({ type: 'math', expression: payload.calc }) } } }, async () => ({ calc: '1 = 1' }))
    expect(app.post).type.toBeCallableWith('/q', { config: { qwed: { claims: async () => [{ type: 'sql', query: 'SELECT 1' }] } } }, async () => ({}))
    expect(app.post).type.toBeCallableWith('/q', { config: { qwed: { claims: () => null } } }, async () => ({}))
    expect(app.post).type.toBeCallableWith('/q', { config: { qwed: { claims: 'auto', mode: 'shadow' } } }, async () => 'text')
    expect(app.post).type.toBeCallableWith('/q', { config: { qwed: false } }, async () => ({}))
  })

  test('mistakes are errors', () => {
    expect(app.post).type.not.toBeCallableWith('/q', { config: { qwed: { claims: () => ({ type: 'sql' }) } } }, async () => ({}))
    expect(app.post).type.not.toBeCallableWith('/q', { config: { qwed: { mode: 'shadow' } } }, async () => ({}))
    expect(app.post).type.not.toBeCallableWith('/q', { config: { qwed: { claims: 'automatic' } } }, async () => ({}))
    // The typo of `claims` beside a valid option.
    expect(app.post).type.not.toBeCallableWith('/q', { config: { qwed: { sanitize: true, claim: () => null } } }, async () => ({}))
  })

  test('the request decorations', () => {
    app.get('/x', async (request) => {
      expect(request.qwed).type.toBe<QwedOutcome | null>()
      expect(request.qwedInput).type.toBe<QwedInput | null>()
      return {}
    })
    expect(app.qwed).type.toBe<Verifier>()
  })

  test('the plugin options', () => {
    expect(app.register).type.toBeCallableWith(qwed, { mode: 'shadow', sampleRate: 0.5, onUnavailable: 'open' })
    expect(app.register).type.not.toBeCallableWith(qwed, { mode: 'enforse' })
    expect(app.register).type.not.toBeCallableWith(qwed, { sampleRate: '1' })
  })
  test('warmUp: a boolean or a list of claim types', () => {
    expect(app.register).type.toBeCallableWith(qwed, { warmUp: false })
    expect(app.register).type.toBeCallableWith(qwed, { warmUp: ['math', 'sql'] })
    expect(app.register).type.not.toBeCallableWith(qwed, { warmUp: 'math' })
    expect(app.register).type.not.toBeCallableWith(qwed, { warmUp: [1] })
  })
})

describe('Express route options', () => {
  const guard = qwedExpress({ mode: 'enforce' })
  test('route() takes the same options, and refuses unknown ones', () => {
    expect(guard.route).type.toBeCallableWith({ claims: (body: { calc: string }) => ({ type: 'math', expression: body.calc }) })
    expect(guard.route).type.not.toBeCallableWith({ sanitize: true, claim: () => null })
    expect(guard.route).type.not.toBeCallableWith({ sanitize: true, clams: () => null })
    expect(express().use).type.toBeCallableWith(guard)
  })
  test('warmUp: the same option as the Fastify plugin', () => {
    expect(qwedExpress).type.toBeCallableWith({ warmUp: false })
    expect(qwedExpress).type.toBeCallableWith({ warmUp: ['logic'] })
    expect(qwedExpress).type.not.toBeCallableWith({ warmUp: 'logic' })
  })
  test('the option types are exported', () => {
    expect<ExpressRouteQwedOptions>().type.toBeAssignableFrom({ claims: 'auto' as const })
    expect<FastifyRouteQwedOptions>().type.toBeAssignableFrom({ claims: 'auto' as const })
  })
})

describe('claims', () => {
  test('each claim type needs its fields', () => {
    expect<Claim>().type.toBeAssignableFrom({ type: 'transaction' as const, subtotal: 1, tax: 0, total: 1 })
    expect<Claim>().type.not.toBeAssignableFrom({ type: 'code' as const, code: 'x' })
    expect<ClaimsResult>().type.toBeAssignableFrom(null)
  })
})
