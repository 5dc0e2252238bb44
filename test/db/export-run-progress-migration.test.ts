import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { down, up } from '../../migrations/0018_export_run_progress.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Migration 0018 taken down and up again over runs recorded before it: their progress is read from
// what they recorded then (a succeeded run's files and rows; its end, else its start, as its last
// report), and down leaves the table as 0013 made it.

const database = useTestDatabase()

describe('migration 0018: export run progress', () => {
  it('goes down and up again, giving earlier runs the progress their rows imply', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'migrated', 'UTC')
    await down(db)
    const columns = async () =>
      (
        await sql<{ column_name: string }>`select column_name from information_schema.columns
          where table_schema = current_schema() and table_name = 'export_runs'`.execute(db)
      ).rows.map((row) => row.column_name)
    expect(await columns()).not.toContain('progress_at')
    const [succeeded, running] = [randomUUID(), randomUUID()]
    await sql`insert into export_runs (id, brand_id, date, status, trigger, destination, files, rows, started_at, ended_at)
      values (${succeeded}, 'migrated', '2026-01-01', 'succeeded', 'schedule', 'd', 5, 42,
              '2026-01-02T01:00:00Z', '2026-01-02T01:03:00Z'),
             (${running}, 'migrated', '2026-01-02', 'running', 'schedule', 'd', 0, 0, '2026-01-03T01:00:00Z', null)`.execute(
      db,
    )
    await up(db)
    expect(await columns()).toEqual(
      expect.arrayContaining(['files_total', 'files_written', 'rows_written', 'progress_at']),
    )
    const rows = await db
      .selectFrom('export_runs')
      .select(['id', 'files_total', 'files_written', 'rows_written', 'progress_at'])
      .where('brand_id', '=', 'migrated')
      .orderBy('date')
      .execute()
    expect(rows).toEqual([
      {
        id: succeeded,
        files_total: null,
        files_written: 5,
        rows_written: '42',
        progress_at: new Date('2026-01-02T01:03:00Z'),
      },
      {
        id: running,
        files_total: null,
        files_written: 0,
        rows_written: '0',
        progress_at: new Date('2026-01-03T01:00:00Z'),
      },
    ])
  })
})
