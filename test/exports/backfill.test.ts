import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { backfill, datesBetween } from '../../src/exports/backfill.ts'
import { dayStatus } from '../../src/exports/day-status.ts'
import { dataPath, manifestPath } from '../../src/exports/layout.ts'
import type { Destination, WriteOptions } from '../../src/storage/destination.ts'
import type { LocalFolder } from '../../src/storage/local-folder.ts'
import { addBrand, addCampaign, silentLog, tempFolder } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

const run = (destination: Destination, options: { force?: boolean; concurrency?: number } = {}) =>
  backfill({
    database: database.current.handle,
    destination,
    from: '2026-01-01',
    to: '2026-01-03',
    log: silentLog,
    ...options,
  })

const statuses = (days: { brand: string; date: string; status: string }[]) =>
  days.map((d) => `${d.brand} ${d.date} ${d.status}`)

describe('backfill', () => {
  let folder: LocalFolder

  beforeAll(async () => {
    const { db } = database.current.handle
    await addBrand(db, 'alpha', 'Europe/Berlin')
    await addBrand(db, 'beta', 'America/New_York')
    await addCampaign(db, { brand_id: 'alpha', id: 'a1', updated_at: '2026-01-02T12:00:00Z' })
    await addCampaign(db, { brand_id: 'beta', id: 'b1', updated_at: '2026-01-03T12:00:00Z' })
    folder = await tempFolder()
  })

  it('exports every brand-day in the range, in date order', async () => {
    const days = await run(folder, { concurrency: 2 })
    expect(statuses(days)).toEqual([
      'alpha 2026-01-01 exported',
      'beta 2026-01-01 exported',
      'alpha 2026-01-02 exported',
      'beta 2026-01-02 exported',
      'alpha 2026-01-03 exported',
      'beta 2026-01-03 exported',
    ])
    expect(days.find((d) => d.brand === 'alpha' && d.date === '2026-01-02')?.rows).toBe(1)
  })

  it('skips complete days on the next run, and re-exports them with --force', async () => {
    expect((await run(folder)).every((d) => d.status === 'skipped')).toBe(true)
    expect((await run(folder, { force: true })).every((d) => d.status === 'exported')).toBe(true)
  })

  it('resumes after being killed: only days without a complete manifest are exported again', async () => {
    // A killed run leaves its day without a manifest; a tampered file makes a day incomplete too.
    await folder.delete(manifestPath('beta', '2026-01-02'))
    await writeFile(path.join(folder.root, dataPath('alpha', 'campaigns', '2026-01-03', false)), 'truncated')
    expect(await dayStatus(folder, 'alpha', '2026-01-03', false)).toEqual({
      complete: false,
      reason: expect.stringMatching(/alpha\/campaigns\/dt=2026-01-03\/campaigns.csv has 9 bytes/),
    })
    const days = await run(folder)
    expect(statuses(days.filter((d) => d.status !== 'skipped'))).toEqual([
      'beta 2026-01-02 exported',
      'alpha 2026-01-03 exported',
    ])
    expect(await dayStatus(folder, 'alpha', '2026-01-03', false)).toEqual({ complete: true })
  })

  it('reports a failing day and goes on with the others', async () => {
    const failing: Destination = Object.assign(Object.create(folder), {
      write: async (relative: string, body: Readable, options: WriteOptions) => {
        if (relative.startsWith('beta/') && relative.includes('2026-01-01')) throw new Error('quota exceeded')
        return folder.write(relative, body, options)
      },
    })
    const days = await run(failing, { force: true })
    const failed = days.filter((d) => d.status === 'failed')
    expect(statuses(failed)).toEqual(['beta 2026-01-01 failed'])
    expect(failed[0]?.detail).toMatch(/quota exceeded/)
    expect(days.filter((d) => d.status === 'exported')).toHaveLength(5)
  })

  it('lists the dates of a range, across month and leap-day boundaries', () => {
    expect(datesBetween('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01'])
    expect(datesBetween('2026-01-02', '2026-01-01')).toEqual([])
  })
})
