// How a test starts a child process on the TypeScript sources: the same esbuild loader tap runs the
// tests with (test/loader/), so a child's coverage maps line for line like its parent's and merges
// with it (tap's processinfo follows every child it spawns, whatever env it is given).
export const TS_LOADER: readonly string[] = ['--import', new URL('../loader/register.mjs', import.meta.url).href]
