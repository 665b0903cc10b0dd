// `npm run demo`: starts the example server on a free loopback port, sends a dozen requests,
// prints what verification did to each, then the qwed_ lines of /metrics, and exits.
import { buildServer } from './fastify-server.js'

interface Call { route: string, body: Record<string, unknown> }

const calls: Call[] = [
  { route: '/loan-quote', body: { principal: 1000, ratePercent: 5, years: 2 } },
  { route: '/loan-quote', body: { principal: 2500, ratePercent: 4, years: 1 } },
  { route: '/loan-quote', body: { principal: 1000, ratePercent: 5, years: 3 } },
  { route: '/loan-quote', body: { principal: 5000, ratePercent: 3, years: 5 } },
  { route: '/explain', body: { a: 12, b: 7, c: 5 } },
  { route: '/explain', body: { a: 13, b: 7, c: 5 } },
  { route: '/explain', body: { a: 40, b: 25, c: 1 } },
  { route: '/explain', body: { a: 99, b: 99, c: 99 } },
  { route: '/invoice', body: { prices: ['19.99', '5.01'], taxPercent: 8 } },
  { route: '/invoice', body: { prices: ['19.99', '5.01', '3.50'], taxPercent: 8 } },
  { route: '/invoice', body: { prices: ['100.00'], taxPercent: 20 } },
  { route: '/loan-quote', body: { principal: 1000, ratePercent: 5, years: 2 } }
]

const app = await buildServer({ logger: false })
const address = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`example server on ${address}\n`)

const rows: string[][] = [['route', 'claim', 'status', 'admission', 'http', 'ms']]
try {
  for (const call of calls) {
    const started = performance.now()
    const res = await fetch(`${address}${call.route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call.body)
    })
    const ms = (performance.now() - started).toFixed(1)
    const body = await res.json() as { calculation?: string, qwed?: { status: string, results: Array<{ admission: string }> } }
    const shadow = call.route === '/invoice'
    const status = res.headers.get('x-qwed-status') ?? body.qwed?.status ?? (shadow ? '(shadow)' : '-')
    const admission = res.status === 422 ? 'BLOCKED' : status === 'VERIFIED' ? 'ADMIT' : shadow ? '(recorded)' : '-'
    const claim = body.calculation ?? JSON.stringify(call.body)
    rows.push([call.route, claim, status, admission, String(res.status), ms])
  }
  printTable(rows)
  const metrics = await (await fetch(`${address}/metrics`)).text()
  console.log('\nqwed_ metrics:')
  console.log(metrics.split('\n').filter((line) => line.startsWith('qwed_') && !line.includes('_bucket')).join('\n'))
} finally {
  await app.close()
}

function printTable (table: string[][]): void {
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? []
  for (const [n, row] of table.entries()) {
    console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '))
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}
