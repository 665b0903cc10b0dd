// `npm run bench` (`-- --quick` for a run under a minute): the engine, guard, extraction, HTTP, memory, overload and audit benchmarks
// one after the other, each in its own process so that none inherits another's heap or JIT state.
import { spawnSync } from 'node:child_process'

const args = process.argv.slice(2)
for (const name of ['engines', 'guards', 'extract', 'http', 'memory', 'overload', 'audit']) {
  console.log(`\n## ${name}\n`)
  const run = spawnSync(process.execPath, [...process.execArgv, new URL(`./${name}.ts`, import.meta.url).pathname, ...args], { stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
