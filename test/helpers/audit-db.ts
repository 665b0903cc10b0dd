// A SQLite audit store file for a test (removed at teardown), and how many records it holds.
import type { Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'

export function tempAuditDb (t: Test, prefix = 'qwed-audit-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'audit.db')
}

export function countAuditRows (path: string): number {
  const db = new Database(path, { readonly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM qwed_audit').get() as { n: number }).n
  } finally {
    db.close()
  }
}
