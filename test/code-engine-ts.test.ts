import t from 'tap'
import { createCodeEngine } from '../lib/engines/code/index.js'

// TypeScript is erased to JavaScript before the analysis: every construct below must be understood
// (not BLOCKED as a parse error), and a dangerous call hidden among the types must still be found.
const engine = createCodeEngine()
const verify = async (code: string) => await engine.verify({ type: 'code', language: 'typescript', code }, { signal: new AbortController().signal })

const SAFE: Record<string, string> = {
  annotations: 'const n: number = 1\nlet s: string | undefined\nfunction f (a: number, b?: string): void { console.log(a, b) }',
  generics: 'function id<T extends object = {}> (x: T): T { return x }\nconst m = new Map<string, Array<number>>()',
  interface: 'interface User { readonly id: number; name?: string; [key: string]: unknown; greet(): string }',
  typeAlias: 'type Pair<A, B> = [A, B]\ntype Fn = (x: number) => string\ntype K = keyof User\ntype C<T> = T extends string ? 1 : 0',
  enum: 'enum Color { Red = 1, Green, Blue = Red + 4 }\nconst enum Dir { Up, Down }\nconsole.log(Color.Green, Dir.Up)',
  namespace: 'namespace Geo { export const pi = 3.14; export function area (r: number) { return pi * r * r } }',
  declare: 'declare const VERSION: string\ndeclare function external (x: number): void\ndeclare module "lib" { export const a: number }\ndeclare global { interface Window { app: unknown } }',
  classes: 'abstract class Shape { protected constructor (public readonly name: string, private size = 1) {} abstract area (): number; static create (): void {} }\nclass Sq extends Shape implements Printable { override area (): number { return 1 } }',
  assertions: 'const el = document.getElementById("x") as HTMLElement\nconst v = <number>JSON.parse("1")\nconst w = maybe!.value\nconst cfg = { a: 1 } satisfies Record<string, number>',
  guards: 'function isStr (x: unknown): x is string { return typeof x === "string" }\nfunction assert (x: unknown): asserts x {}',
  overloads: 'function pick (x: string): string\nfunction pick (x: number): number\nfunction pick (x: any) { return x }',
  importTypes: 'import type { A } from "./a"\nimport { type B, c } from "./b"\nexport type { A }\nexport interface E { x: number }',
  optionalAndDefaults: 'function g ({ a, b = 2 }: { a: number, b?: number } = { a: 1 }): number { return a + b }',
  arrows: 'const add = <T,>(a: T, b: T): T[] => [a, b]\nconst h = async (x: number): Promise<void> => { await Promise.resolve(x) }',
  tuplesAndMapped: 'type R = { readonly [P in keyof User]?: User[P] }\ntype T3 = [a: string, b?: number, ...rest: boolean[]]',
  // The snippet is TypeScript source that holds a template literal type, not a template here.
  // eslint-disable-next-line no-template-curly-in-string
  templates: 'type Ev = `on${Capitalize<string>}`\nconst msg = `x ${1 + 1} y`',
  accessors: 'class A { #secret = 1; get value (): number { return this.#secret } set value (v: number) { this.#secret = v } }',
  controlFlow: 'for (const x of [1, 2] as const) { if (x > 1) continue }\nswitch (1 as number) { case 1: break; default: }\ntry { throw new Error("e") } catch (e: unknown) { console.log(e) } finally {}',
  unique: 'const sym: unique symbol = Symbol("s")\nlet u: undefined | null\nlet big: bigint = 10n'
}

t.test('TypeScript constructs are erased and the code is judged safe', async (t) => {
  for (const [name, code] of Object.entries(SAFE)) {
    const r = await verify(code)
    t.equal(r.status, 'VERIFIED', `${name}: ${String(r.developer_fields.constraint_id)}`)
    t.equal(r.developer_fields.is_safe, true, `${name} is safe`)
  }
})

t.test('dangerous calls among TypeScript types are still found', async (t) => {
  const UNSAFE: Record<string, string> = {
    evalInGeneric: 'function run<T> (src: string): T { return eval(src) as T }',
    childProcessTyped: 'import { exec } from "child_process"\nconst cmd: string = process.argv[2] as string\nexec(cmd)',
    enumInitialiser: 'enum E { A = eval("1") }',
    namespaceBody: 'namespace N { export const f = new Function("return process")() }',
    classMember: 'class K { private run (code: string): unknown { return eval(code) } }',
    requireGeneric: 'const cp = require<any>("child_process")\ncp.execSync(String(process.argv[2]))'
  }
  for (const [name, code] of Object.entries(UNSAFE)) {
    const r = await verify(code)
    t.equal(r.status, 'VERIFIED', `${name} parsed`)
    t.equal(r.developer_fields.is_safe, false, `${name} is unsafe`)
    t.equal(r.developer_fields.is_valid, false, `${name} is not admitted`)
  }
})

t.test('TypeScript that is not valid is BLOCKED, never admitted', async (t) => {
  for (const code of ['function (: number', 'interface { }', 'let x: = 1', 'class { constructor( }', 'type X = ']) {
    const r = await verify(code)
    t.equal(r.status, 'BLOCKED', code)
  }
})
