// `npm run bench:http` (`-- --quick` for a short run): a bare Fastify route against the same route
// behind the plugin (cache hit, math cache miss, SQL cache miss), a 2 KB chat answer with
// `claims: 'auto'` against the same text route bare, and the same six on Express,
// loaded one after the other with autocannon on 127.0.0.1, with the ratio to the bare route of the
// same framework. Servers run in a child process.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'

const quick = process.argv.includes('--quick')
const duration = quick ? 2 : 10
const connections = 10

const child = spawn(process.execPath, [...process.execArgv, new URL('./http-servers.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] })
const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string]
const urls = JSON.parse(line) as Record<string, string>

interface Row { name: string, rps: number, p50: number, p99: number, non2xx: number }
const rows: Row[] = []
try {
  for (const [name, url] of Object.entries(urls)) {
    await autocannon({ url, connections, duration: 1 }) // warm-up
    const result = await autocannon({ url, connections, duration })
    rows.push({ name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx })
  }
} finally {
  child.kill('SIGTERM')
}

console.log(`node ${process.version}, ${connections} connections, ${duration} s per row\n`)
console.log('server                          req/s     p50 ms  p99 ms  non-2xx  req/s vs bare')
for (const row of rows) {
  // A text route is paired with the bare text route (2 KB chat answers), the others with the bare JSON route.
  const [framework, second] = row.name.split(' ')
  const bare = rows.find((r) => r.name === (second === 'text' ? `${framework ?? ''} text bare` : `${framework ?? ''} bare`)) ?? row
  console.log(`${row.name.padEnd(30)} ${row.rps.toFixed(0).padStart(7)}  ${String(row.p50).padStart(6)}  ${String(row.p99).padStart(6)}  ${String(row.non2xx).padStart(7)}  ${(row.rps / bare.rps).toFixed(2)}`)
}
