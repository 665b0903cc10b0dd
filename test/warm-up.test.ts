import t from 'tap'
import { QwedOptionsError } from '../lib/errors.js'
import { AUTO_CLAIM_TYPES, backgroundWarmUp, createWarmUpPlan, validateWarmUpOption, warmUpWaitMs } from '../lib/warm-up.js'
import { qwedExpress } from '../lib/express.js'

function recorder (warmUp: (types?: readonly string[]) => Promise<void>): { calls: Array<readonly string[] | undefined>, verifier: { warmUp: (types?: readonly string[]) => Promise<void> } } {
  const calls: Array<readonly string[] | undefined> = []
  return { calls, verifier: { warmUp: async (types) => { calls.push(types); await warmUp(types) } } }
}

t.test('the claim types an app warms: none without verified routes, the extractor\'s for auto, all for a claims() function', async (t) => {
  const none = createWarmUpPlan()
  const a = recorder(async () => {})
  await none.run(a.verifier, () => t.fail('no error'))
  t.same(a.calls, [], 'no route: nothing warmed')

  const auto = createWarmUpPlan()
  auto.addRoute('auto')
  auto.addRoute(undefined) // a route that only checks inputs
  t.same(auto.claimTypes(), AUTO_CLAIM_TYPES)
  const b = recorder(async () => {})
  await auto.run(b.verifier, () => t.fail('no error'))
  t.same(b.calls, [AUTO_CLAIM_TYPES])

  const custom = createWarmUpPlan()
  custom.addRoute('auto')
  custom.addRoute(() => [])
  t.equal(custom.claimTypes(), undefined, 'a claims() function can produce any type: every engine')
})

t.test('a failed warm-up is reported, never thrown; a slow one is waited for at most waitMs and goes on behind', async (t) => {
  const plan = createWarmUpPlan()
  plan.addRoute(() => [])
  const errors: unknown[] = []
  await plan.run({ warmUp: async () => { throw new Error('cannot load z3') } }, (err) => errors.push(err))
  t.match(errors, [/cannot load z3/])

  let finish: (() => void) | undefined
  let failLater: ((err: Error) => void) | undefined
  const slow = new Promise<void>((resolve, reject) => { finish = resolve; failLater = reject })
  const late: unknown[] = []
  await plan.run({ warmUp: async () => await slow }, (err) => late.push(err), 20)
  t.same(late, [], 'returned before the warm-up ended')
  failLater?.(new Error('failed after the app started'))
  finish?.()
  await new Promise((resolve) => setImmediate(resolve))
  t.match(late, [/failed after the app started/], 'a later failure still reaches onError')
})

t.test('the wait is half the plugin timeout; none when the timeout is off', async (t) => {
  t.equal(warmUpWaitMs(10_000), 5_000)
  t.equal(warmUpWaitMs(0), Number.POSITIVE_INFINITY)
  t.equal(warmUpWaitMs(undefined), Number.POSITIVE_INFINITY)
})

t.test('the warmUp option: false warms nothing, a list warms exactly its claim types, whatever the routes', async (t) => {
  const off = createWarmUpPlan(false)
  off.addRoute(() => [])
  off.addRoute('auto')
  const a = recorder(async () => {})
  await off.run(a.verifier, () => t.fail('no error'))
  t.same(a.calls, [], 'false: nothing, even with a claims() function')

  const listed = createWarmUpPlan(['math', 'sql'])
  listed.addRoute(() => [])
  const b = recorder(async () => {})
  await listed.run(b.verifier, () => t.fail('no error'))
  t.same(b.calls, [['math', 'sql']], 'the list, not every engine')

  const routes = createWarmUpPlan(true)
  routes.addRoute('auto')
  t.same(routes.claimTypes(), AUTO_CLAIM_TYPES, 'true: what the routes use')
})

t.test('the warmUp option is checked at registration: a misspelt claim type is an error, not a cold engine', async (t) => {
  t.equal(validateWarmUpOption(undefined), true)
  t.equal(validateWarmUpOption(false), false)
  t.same(validateWarmUpOption(['logic', 'fact']), ['logic', 'fact'], 'remote-only types count')
  t.same(validateWarmUpOption(['script'], ['script']), ['script'], 'and the extra engines\' types')
  for (const [value, message] of [[['maths'], /"maths" is not a claim type \(known: .*math.*\)/], ['math', /boolean or an array/], [[1], /1 is not a claim type/], [null, /got null/]] as const) {
    const err = (() => { try { validateWarmUpOption(value) } catch (e) { return e } })()
    t.ok(err instanceof QwedOptionsError, JSON.stringify(value))
    t.equal((err as QwedOptionsError).option, 'warmUp')
    t.match((err as Error).message, message)
  }
})

const turn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('a background warm-up (Express): routes declared in one turn are warmed by one run, a later route runs it again, nothing after close', async (t) => {
  const plan = createWarmUpPlan()
  let closing = false
  const calls: Array<readonly string[] | undefined> = []
  const verifier = { warmUp: async (types?: readonly string[]) => { calls.push(types) }, status: () => ({ closing }) as never }
  const schedule = backgroundWarmUp(plan, verifier, () => t.fail('no error'))
  plan.addRoute('auto')
  schedule()
  schedule()
  t.same(calls, [], 'nothing runs inside the declaration')
  await turn()
  t.same(calls, [AUTO_CLAIM_TYPES], 'one run for the routes of one turn')
  plan.addRoute(() => [])
  schedule()
  await turn()
  t.same(calls, [AUTO_CLAIM_TYPES, undefined], 'a route declared later: another run, now of every engine')
  schedule()
  closing = true
  await turn()
  t.equal(calls.length, 2, 'close() began before the turn: nothing is loaded')
})

t.test('Express: qwed.route() schedules the warm-up of its claim types; warmUp false or a list as for Fastify; a bad list fails at creation', async (t) => {
  const warmed = async (options: Parameters<typeof qwedExpress>[0], routes: Array<Parameters<ReturnType<typeof qwedExpress>['route']>[0]>): Promise<Array<readonly string[] | undefined>> => {
    const qwed = qwedExpress({ audit: false, ...options })
    const calls: Array<readonly string[] | undefined> = []
    qwed.verifier.warmUp = async (types) => { calls.push(types) }
    for (const route of routes) qwed.route(route)
    await turn()
    await qwed.close()
    return calls
  }
  t.same(await warmed({}, [{ claims: 'auto' }]), [AUTO_CLAIM_TYPES], "claims: 'auto': the extractor's claim types")
  t.same(await warmed({}, [{ claims: 'auto' }, { claims: () => [] }]), [undefined], 'a claims() function: every engine')
  t.same(await warmed({ warmUp: ['math'] }, [{ claims: () => [] }]), [['math']], 'a list: exactly those')
  t.same(await warmed({ warmUp: false }, [{ claims: () => [] }]), [], 'false: nothing')
  t.same(await warmed({}, []), [], 'no route: nothing')
  t.throws(() => qwedExpress({ warmUp: ['maths'] as never }), { name: 'QwedOptionsError', message: /warmUp/ })
})
