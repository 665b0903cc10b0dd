/**
 * Unit conversion with exact factors (the international yard and pound, the US gallon), so a
 * conversion is an exact rational; temperatures (C, F, K) by their exact affine formulas.
 * Tolerance as in QWED: relative (0.001 * |expected|, absolute when expected is 0) for factor
 * units, absolute (0.001) for temperatures. Unknown units and units of different dimensions are
 * BLOCKED. Unit names are matched case-insensitively (QWED lower-cases them).
 */
import type { MathOperationClaim } from '../../../../types/claims.js'
import type { DiagnosticResult } from '../../../../types/result.js'
import { Q, parseRational } from '../exact.js'
import { effectiveTolerance, fail, malformed, readNumber, readTolerance, report, showQ } from './common.js'

type UnitClaim = Extract<MathOperationClaim, { operation: 'unit_conversion' }>
type Dimension = 'length' | 'mass' | 'volume' | 'time'

const DEFAULT_TOLERANCE = Q.of(1n, 1000n)

function table (dimension: Dimension, groups: Array<[string, string[]]>): Array<[string, { dimension: Dimension, factor: Q }]> {
  return groups.flatMap(([factor, names]) => names.map((name): [string, { dimension: Dimension, factor: Q }] => [name, { dimension, factor: parseRational(factor) as Q }]))
}

/** Factor to the dimension's base unit (metre, kilogram, litre, second), exact by definition. */
const UNITS = new Map<string, { dimension: Dimension, factor: Q }>([
  ...table('length', [
    ['1', ['m', 'meter', 'meters', 'metre', 'metres']],
    ['1000', ['km', 'kilometer', 'kilometers', 'kilometre', 'kilometres']],
    ['0.01', ['cm', 'centimeter', 'centimeters', 'centimetre', 'centimetres']],
    ['0.001', ['mm', 'millimeter', 'millimeters', 'millimetre', 'millimetres']],
    ['1609.344', ['mi', 'mile', 'miles']],
    ['0.9144', ['yd', 'yard', 'yards']],
    ['0.3048', ['ft', 'foot', 'feet']],
    ['0.0254', ['in', 'inch', 'inches']],
    ['1852', ['nmi', 'nautical mile', 'nautical miles']]
  ]),
  ...table('mass', [
    ['1', ['kg', 'kilogram', 'kilograms']],
    ['0.001', ['g', 'gram', 'grams']],
    ['0.000001', ['mg', 'milligram', 'milligrams']],
    ['1000', ['t', 'tonne', 'tonnes']],
    ['0.45359237', ['lb', 'lbs', 'pound', 'pounds']],
    ['0.028349523125', ['oz', 'ounce', 'ounces']],
    ['6.35029318', ['st', 'stone']]
  ]),
  ...table('volume', [
    ['1', ['l', 'liter', 'liters', 'litre', 'litres']],
    ['0.001', ['ml', 'milliliter', 'milliliters', 'millilitre', 'millilitres', 'cm3']],
    ['1000', ['m3']],
    ['3.785411784', ['gal', 'gallon', 'gallons']],
    ['0.946352946', ['qt', 'quart', 'quarts']],
    ['0.473176473', ['pt', 'pint', 'pints']],
    ['0.2365882365', ['cup', 'cups']],
    ['0.0295735295625', ['floz', 'fl oz']]
  ]),
  ...table('time', [
    ['1', ['s', 'sec', 'secs', 'second', 'seconds']],
    ['0.001', ['ms', 'millisecond', 'milliseconds']],
    ['60', ['min', 'mins', 'minute', 'minutes']],
    ['3600', ['h', 'hr', 'hrs', 'hour', 'hours']],
    ['86400', ['d', 'day', 'days']],
    ['604800', ['wk', 'week', 'weeks']]
  ])
])

const TEMPERATURES = new Map<string, 'C' | 'F' | 'K'>([
  ['c', 'C'], ['celsius', 'C'], ['degc', 'C'], ['°c', 'C'],
  ['f', 'F'], ['fahrenheit', 'F'], ['degf', 'F'], ['°f', 'F'],
  ['k', 'K'], ['kelvin', 'K']
])

const KELVIN_OFFSET = Q.of(27315n, 100n)
const NINE_FIFTHS = Q.of(9n, 5n)

function toCelsius (v: Q, unit: 'C' | 'F' | 'K'): Q {
  if (unit === 'C') return v
  if (unit === 'K') return v.sub(KELVIN_OFFSET)
  return v.sub(Q.int(32)).div(NINE_FIFTHS)
}

function fromCelsius (c: Q, unit: 'C' | 'F' | 'K'): Q {
  if (unit === 'C') return c
  if (unit === 'K') return c.add(KELVIN_OFFSET)
  return c.mul(NINE_FIFTHS).add(Q.int(32))
}

function unitName (value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > 40) malformed(field, 'a unit name')
  return value.trim().toLowerCase().replace(/\s+/g, ' ')
}

export function verifyUnitConversion (claim: UnitClaim): DiagnosticResult {
  const value = readNumber(claim.value, 'value')
  const expected = readNumber(claim.expected, 'expected')
  const given = readTolerance(claim.tolerance)
  const from = unitName(claim.from, 'from')
  const to = unitName(claim.to, 'to')
  const inputs = { value: showQ(value), from, to }
  const tFrom = TEMPERATURES.get(from)
  const tTo = TEMPERATURES.get(to)
  const uFrom = UNITS.get(from)
  const uTo = UNITS.get(to)
  for (const [name, known] of [[from, tFrom ?? uFrom], [to, tTo ?? uTo]] as const) {
    if (known === undefined) fail('unit_conversion_unknown_unit', 'The unit is not known', { unit: name.slice(0, 40) })
  }
  let computed: Q
  let tol: Q
  let absolute: Q
  if (tFrom !== undefined || tTo !== undefined) {
    if (tFrom === undefined || tTo === undefined) {
      fail('unit_conversion_dimension_mismatch', 'The units measure different quantities', { from, to })
    }
    computed = fromCelsius(toCelsius(value, tFrom), tTo)
    tol = effectiveTolerance(given, DEFAULT_TOLERANCE, computed)
    absolute = tol
  } else {
    const a = uFrom as { dimension: Dimension, factor: Q }
    const b = uTo as { dimension: Dimension, factor: Q }
    if (a.dimension !== b.dimension) {
      fail('unit_conversion_dimension_mismatch', 'The units measure different quantities', { from, to, from_dimension: a.dimension, to_dimension: b.dimension })
    }
    computed = value.mul(a.factor).div(b.factor)
    tol = effectiveTolerance(given, DEFAULT_TOLERANCE, computed, true)
    absolute = expected.isZero() ? tol : tol.mul(expected.abs())
  }
  return report(computed.sub(expected).abs().cmp(absolute) <= 0 ? 'match' : 'mismatch', {
    op: 'unit_conversion',
    subject: 'The converted value',
    computed: showQ(computed),
    expected: showQ(expected),
    tolerance: showQ(tol),
    method: 'exact_factors',
    inputs,
    extra: { tolerance_kind: tFrom !== undefined ? 'absolute' : 'relative' }
  })
}
