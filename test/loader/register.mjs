// `node --import ./test/loader/register.mjs`: runs the TypeScript tests and the library they import
// through esbuild, in every thread (a worker thread runs this --import again and registers its own
// hooks). Not tsx: tsx minifies whitespace, which folds each file onto a few lines and leaves tap's
// line coverage meaningless.
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
