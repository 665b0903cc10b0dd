/**
 * The private mathjs instance, built from only the factories its parser needs. mathjs's package entry
 * loads every function it has (about 1.3 s on an idle machine, most of the package's cold start);
 * the parser needs about sixty factories, loaded here from mathjs's CommonJS build by file. The
 * list is mathjs's own dependency graph of `parse` (entry/dependenciesAny), written out. If a file is
 * missing (another mathjs layout), the full package is loaded instead: slower, same parser.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FactoryFunctionMap, MathJsInstance } from 'mathjs'

const require = createRequire(import.meta.url)

/** `parse` and the factories it depends on, with their files under mathjs/lib/cjs. */
export const PARSER_FACTORIES: ReadonlyArray<readonly [string, string]> = [
  ['createNode', 'expression/node/Node.js'],
  ['createMatrixClass', 'type/matrix/Matrix.js'],
  ['createDenseMatrixClass', 'type/matrix/DenseMatrix.js'],
  ['createBigNumberClass', 'type/bignumber/BigNumber.js'],
  ['createComplexClass', 'type/complex/Complex.js'],
  ['createFractionClass', 'type/fraction/Fraction.js'],
  ['createTyped', 'core/function/typed.js'],
  ['createEqualScalar', 'function/relational/equalScalar.js'],
  ['createSparseMatrixClass', 'type/matrix/SparseMatrix.js'],
  ['createAddScalar', 'function/arithmetic/addScalar.js'],
  ['createMatrix', 'type/matrix/function/matrix.js'],
  ['createEqual', 'function/relational/equal.js'],
  ['createIsInteger', 'function/utils/isInteger.js'],
  ['createConcat', 'function/matrix/concat.js'],
  ['createAdd', 'function/arithmetic/add.js'],
  ['createZeros', 'function/matrix/zeros.js'],
  ['createSubset', 'function/matrix/subset.js'],
  ['createAccessorNode', 'expression/node/AccessorNode.js'],
  ['createArrayNode', 'expression/node/ArrayNode.js'],
  ['createAssignmentNode', 'expression/node/AssignmentNode.js'],
  ['createResultSet', 'type/resultset/ResultSet.js'],
  ['createBlockNode', 'expression/node/BlockNode.js'],
  ['createConditionalNode', 'expression/node/ConditionalNode.js'],
  ['createIsBounded', 'function/utils/isBounded.js'],
  ['createConstantNode', 'expression/node/ConstantNode.js'],
  ['createFunctionAssignmentNode', 'expression/node/FunctionAssignmentNode.js'],
  ['createAbs', 'function/arithmetic/abs.js'],
  ['createBignumber', 'type/bignumber/function/bignumber.js'],
  ['createFraction', 'type/fraction/function/fraction.js'],
  ['createNumber', 'type/number.js'],
  ['createNumeric', 'function/utils/numeric.js'],
  ['createDivideScalar', 'function/arithmetic/divideScalar.js'],
  ['createRound', 'function/arithmetic/round.js'],
  ['createCeil', 'function/arithmetic/ceil.js'],
  ['createFloor', 'function/arithmetic/floor.js'],
  ['createFix', 'function/arithmetic/fix.js'],
  ['createFormat', 'function/string/format.js'],
  ['createIsNumeric', 'function/utils/isNumeric.js'],
  ['createMultiplyScalar', 'function/arithmetic/multiplyScalar.js'],
  ['createIdentity', 'function/matrix/identity.js'],
  ['createIsZero', 'function/utils/isZero.js'],
  ['createConj', 'function/complex/conj.js'],
  ['createSize', 'function/matrix/size.js'],
  ['createDot', 'function/matrix/dot.js'],
  ['createMultiply', 'function/arithmetic/multiply.js'],
  ['createSubtractScalar', 'function/arithmetic/subtractScalar.js'],
  ['createUnaryMinus', 'function/arithmetic/unaryMinus.js'],
  ['createDet', 'function/matrix/det.js'],
  ['createInv', 'function/matrix/inv.js'],
  ['createPow', 'function/arithmetic/pow.js'],
  ['createUnitClass', 'type/unit/Unit.js'],
  ['createSymbolNode', 'expression/node/SymbolNode.js'],
  ['createFunctionNode', 'expression/node/FunctionNode.js'],
  ['createIndexNode', 'expression/node/IndexNode.js'],
  ['createObjectNode', 'expression/node/ObjectNode.js'],
  ['createOperatorNode', 'expression/node/OperatorNode.js'],
  ['createParenthesisNode', 'expression/node/ParenthesisNode.js'],
  ['createRangeNode', 'expression/node/RangeNode.js'],
  ['createRelationalNode', 'expression/node/RelationalNode.js'],
  ['createParse', 'expression/parse.js']
]

export type MathParser = Pick<MathJsInstance, 'parse' | 'isBigNumber'>

const CONFIG = { number: 'BigNumber', precision: 64 } as const

let instance: MathParser | null = null
/** How the instance was built: 'subset' (the factories above) or 'full' (the package entry, a fallback). */
let built: 'subset' | 'full' | null = null

function buildSubset (): MathParser {
  const root = join(dirname(require.resolve('mathjs/package.json')), 'lib', 'cjs')
  const factories: Record<string, unknown> = {}
  for (const [name, file] of PARSER_FACTORIES) {
    const factory = (require(join(root, file)) as Record<string, unknown>)[name]
    if (typeof factory !== 'function') throw new Error(`mathjs: no ${name} in ${file}`)
    factories[name] = factory
  }
  const { create } = require(join(root, 'core', 'create.js')) as { create: (f: FactoryFunctionMap, c: object) => MathParser }
  return create(factories as FactoryFunctionMap, CONFIG)
}

function buildFull (): MathParser {
  const mathjs = require('mathjs') as { create: (f: FactoryFunctionMap, c: object) => MathParser, all: FactoryFunctionMap }
  return mathjs.create(mathjs.all, CONFIG)
}

/**
 * The parser, built on first use (synchronously: CommonJS) and kept for the process. BigNumber
 * literals keep every digit of the source text (decimal.js does not round on construction).
 */
export function mathParser (): MathParser {
  if (instance === null) {
    try {
      instance = buildSubset()
      built = 'subset'
    } catch {
      instance = buildFull()
      built = 'full'
    }
    // mathjs builds its functions lazily; one parse instantiates the parser.
    instance.parse('1')
  }
  return instance
}

/** 'subset', 'full', or null before the first parse (tests and the cold-start benchmark read it). */
export function mathParserBuild (): 'subset' | 'full' | null {
  return built
}
