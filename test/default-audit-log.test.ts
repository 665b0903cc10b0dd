// The default audit log writes a record with one JSON.stringify instead of pino's field-by-field
// serialization: the lines must be the ones pino({ name: 'qwed-audit' }) writes for the same record.
import { pino, type Logger } from 'pino'
import t from 'tap'
import { auditLineLogger } from '../lib/observe/default-audit-log.js'

function pinoLines (): { lines: string[], logger: Logger } {
  const lines: string[] = []
  const logger = pino({ name: 'qwed-audit' }, { write: (line: string) => { lines.push(line) } })
  return { lines, logger }
}

const record = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  audit: 'qwed.verification',
  verified_at: '2026-12-08T03:00:00.000Z',
  request_id: 'b1f0c2a4-1111-4222-8333-000000000001',
  route: '/quote/:id',
  engine: 'math',
  claim_type: null,
  claim_hash: 'sha256:0123456789abcdef',
  status: 'UNVERIFIABLE',
  admission: 'BLOCKED',
  constraint_id: 'math.identity_false',
  proof_ref: null,
  cached: false,
  duration_ms: 0.4123,
  mode: 'enforce',
  decision: 'block',
  ...extra
})

t.test('an audit line is the line pino writes, byte for byte (the time aside)', async (t) => {
  const expected = pinoLines()
  const fast: string[] = []
  const logger = auditLineLogger({ write: (line) => { fast.push(line) } }, expected.logger)
  const cases: Array<[Record<string, unknown>, string]> = [
    [record(), 'qwed block: math UNVERIFIABLE'],
    [record({ decision: 'admit', cached: true, duration_ms: 0 }), 'qwed admit: math VERIFIED'],
    [record({ route: 'a "quoted" \\ route\nwith\ttabs \u2028 é 😀 \u0001', duration_ms: Number.NaN, skipped: undefined }), 'msg with "quotes"'],
    [record({ claim: { type: 'math', expression: '2 + 2 = 5', nested: [1, 'two', { three: null }], when: new Date(0) } }), 'with a claim'],
    [{}, 'an empty record']
  ]
  for (const [fields, msg] of cases) {
    logger.warn(fields, msg)
    expected.logger.warn(fields, msg)
    logger.info(fields, msg)
    expected.logger.info(fields, msg)
  }
  const withoutTime = (line: string): string => line.replace(/"time":\d+/, '"time":0')
  t.same(fast.map(withoutTime), expected.lines.map(withoutTime))
})

t.test('a record JSON.stringify cannot write goes through pino', async (t) => {
  const expected = pinoLines()
  const fast: string[] = []
  const logger = auditLineLogger({ write: (line) => { fast.push(line) } }, expected.logger)
  const cyclic: Record<string, unknown> = { type: 'math' }
  cyclic.self = cyclic
  logger.info(record({ claim: { big: 10n } }), 'a BigInt')
  logger.warn(record({ claim: cyclic }), 'a cycle')
  t.equal(fast.length, 0, 'nothing written by the fast path')
  t.equal(expected.lines.length, 2, 'pino wrote both')
  t.match(expected.lines[1], /"level":40/)
})
