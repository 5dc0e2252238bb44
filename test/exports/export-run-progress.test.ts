import { describe, expect, it } from 'vitest'
import { exportDay } from '../../src/exports/export-day.ts'
import { listRuns } from '../../src/exports/export-runs.ts'
import { exportFiles } from '../../src/exports/files/index.ts'
import type { Destination } from '../../src/storage/destination.ts'
import { addBrand, addCampaign, addMessage, silentLog, tempFolder } from '../support/fixtures.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'

// A run records its progress in its row as it goes, so another process (flex serve answering GET
// .../exports/runs/{id}, the console's progress view) can follow it.

const database = useTestDatabase()

describe("an export run's progress", () => {
  it('is in its row while it runs: files written of the total and the rows so far, then the final figures', async (context) => {
    const reason = multiSessionSkipReason(database.current.kind)
    if (reason) context.skip(reason)
    const { db } = database.current.handle
    await addBrand(db, 'progress', 'UTC')
    for (let i = 1; i <= 3; i++) {
      await addCampaign(db, { brand_id: 'progress', id: `C-${i}`, updated_at: '2026-05-01T10:00:00Z' })
    }
    await addMessage(db, {
      brand_id: 'progress',
      campaign_id: 'C-1',
      customer_id: 'K-1',
      updated_at: '2026-05-01T11:00:00Z',
    })
    const folder = await tempFolder()
    // Before each object is written, the row as another session reads it.
    const seen: [string, number | null, number, string][] = []
    const watching: Destination = Object.assign(Object.create(folder), {
      write: async (...args: Parameters<Destination['write']>) => {
        const [row] = await listRuns(db, { brandId: 'progress', limit: 1 })
        if (row) seen.push([row.status, row.files_total, row.files_written, row.rows_written])
        return folder.write(...args)
      },
    })
    const result = await exportDay({
      database: database.current.handle,
      destination: watching,
      brand: { id: 'progress', timezone: 'UTC' },
      date: '2026-05-01',
      log: silentLog,
    })
    const total = exportFiles.length
    // campaigns first (3 rows), then campaign_customers (1 row), then three empty files, then the manifest.
    expect(seen).toEqual([
      ['running', total, 0, '0'],
      ['running', total, 1, '3'],
      ['running', total, 2, '4'],
      ['running', total, 3, '4'],
      ['running', total, 4, '4'],
      ['running', total, 5, '4'],
    ])
    const [run] = await listRuns(db, { brandId: 'progress' })
    expect(run).toMatchObject({ status: 'succeeded', files_total: total, files_written: total, rows_written: '4' })
    expect(result.rows).toBe(4)
  })
})
