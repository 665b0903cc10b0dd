// `npm run bench:http` (`-- --quick` for a short run, `-- --no-text` without the 2 KB text rows,
// `-- --only=express` or `-- --only=fastify` for one framework's rows):
// for Fastify and Express, a bare route, the same route behind a rate limiter (@fastify/rate-limit,
// express-rate-limit: a small, well-known plugin as the yardstick) and behind qwed (cache hit, math
// cache miss, SQL cache miss), plus a 2 KB chat answer with `claims: 'auto'` against the same text
// route bare. Rows run in rounds, each row for a few seconds per round, so a bare row and its
// variants are measured close together; a ratio is the median over rounds of the row's req/s over
// the bare row's of the same round. Server CPU per request (user + system of the servers' process,
// which serves one row at a time) is measured over the same seconds; "extra" subtracts the bare row's.
// Servers run in a child process; the load average is printed before and after.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { loadavg } from 'node:os'
import autocannon from 'autocannon'

const quick = process.argv.includes('--quick')
const duration = quick ? 2 : 5
const rounds = quick ? 1 : 3
const connections = 10

const serverArgs = process.argv.slice(2).filter((arg) => arg === '--no-text' || arg.startsWith('--only='))
const child = fork(new URL('./http-servers.ts', import.meta.url).pathname, serverArgs, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: process.execArgv })
type Message = { kind: 'urls', urls: Record<string, string> } | { kind: 'cpu', micros: number } | { kind: 'marked' }
async function next<K extends Message['kind']> (kind: K): Promise<Extract<Message, { kind: K }>> {
  for (;;) {
    const [message] = await once(child, 'message') as [Message]
    if (message.kind === kind) return message as Extract<Message, { kind: K }>
  }
}
const { urls } = await next('urls')

interface Sample { rps: number, p50: number, p99: number, non2xx: number, cpuPerRequest: number }
const samples = new Map<string, Sample[]>()
const load = { before: loadavg(), after: [0, 0, 0] }
const fmtLoad = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ')
try {
  for (const url of Object.values(urls)) await autocannon({ url, connections, duration: 1 }) // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, url] of Object.entries(urls)) {
      child.send({ kind: 'mark' })
      await next('marked')
      const result = await autocannon({ url, connections, duration })
      child.send({ kind: 'cpu' })
      const { micros } = await next('cpu')
      const list = samples.get(name) ?? []
      list.push({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, cpuPerRequest: micros / Math.max(1, result.requests.total) })
      samples.set(name, list)
    }
  }
} finally {
  load.after = loadavg()
  child.send({ kind: 'close' })
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
/** The bare row a row is paired with: the text route for text rows, the JSON route for the others. */
const bareOf = (name: string): string => {
  const [framework, second] = name.split(' ')
  return second === 'text' ? `${framework ?? ''} text bare` : `${framework ?? ''} bare`
}

console.log(`node ${process.version}, ${connections} connections, ${rounds} round(s) of ${duration} s per row, load average ${fmtLoad(load.before)} before, ${fmtLoad(load.after)} after\n`)
console.log('| server | req/s | p50 ms | p99 ms | non-2xx | req/s vs bare (median, min-max) | server CPU µs/req | extra CPU µs/req |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const [name, list] of samples) {
  const bare = samples.get(bareOf(name)) ?? list
  const ratios = list.map((s, i) => s.rps / (bare[i]?.rps ?? s.rps))
  const cpu = median(list.map((s) => s.cpuPerRequest))
  const extra = cpu - median(bare.map((s) => s.cpuPerRequest))
  console.log(`| ${name} | ${median(list.map((s) => s.rps)).toFixed(0)} | ${median(list.map((s) => s.p50))} | ${median(list.map((s) => s.p99))} | ${list.reduce((n, s) => n + s.non2xx, 0)} | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) | ${cpu.toFixed(1)} | ${list === bare ? '' : extra.toFixed(1)} |`)
}
