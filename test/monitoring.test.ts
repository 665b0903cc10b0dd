import { readFileSync } from 'node:fs'
import t from 'tap'
import Fastify from 'fastify'
import qwed from '../lib/index.js'
import { scriptEngine } from './helpers/engines.js'

const read = (name: string) => readFileSync(new URL(`../examples/monitoring/${name}`, import.meta.url), 'utf8')

/** Metric names an expression uses; histogram series (_bucket, _sum, _count) count as their histogram. */
function metricNames (text: string): Set<string> {
  const names = new Set<string>()
  for (const [name] of text.matchAll(/\bqwed_[a-z_]+/g)) names.add(name.replace(/_(bucket|sum|count)$/, ''))
  return names
}

t.test('every metric the dashboard and the alert rules use is one the plugin exports', async (t) => {
  const app = Fastify()
  await app.register(qwed, { warmUp: false, extraEngines: [scriptEngine()], audit: false })
  t.teardown(() => app.close())
  const exported = new Set((await app.qwed.metrics.registry.getMetricsAsJSON()).map((m) => m.name))

  const dashboard = JSON.parse(read('grafana-dashboard.json')) as { panels: Array<{ title: string, targets: Array<{ expr: string }> }> }
  const fromDashboard = metricNames(dashboard.panels.flatMap((p) => p.targets.map((target) => target.expr)).join('\n'))
  const fromAlerts = metricNames(read('prometheus-alerts.yml'))
  t.ok(fromDashboard.size >= 5, `the dashboard uses ${fromDashboard.size} metrics`)
  t.ok(fromAlerts.size >= 4, `the alert rules use ${fromAlerts.size} metrics`)
  for (const name of [...fromDashboard, ...fromAlerts]) t.ok(exported.has(name), `${name} is exported`)

  const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ')
  for (const topic of ['status', 'block rate', 'p95', 'cache hit', 'breaker']) t.match(titles, topic)
  const alerts = read('prometheus-alerts.yml')
  for (const alert of ['QwedVerificationErrorRate', 'QwedVerificationLatencyHigh', 'QwedBreakerOpen', 'QwedBlockRateSpike']) t.match(alerts, `alert: ${alert}`)
})
