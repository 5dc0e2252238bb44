import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { addDays } from '../../src/calendar/calendar-date.ts'
import { localClock } from '../../src/calendar/time-zone.ts'
import { exportDay } from '../../src/exports/export-day.ts'
import { NightlyScheduler } from '../../src/exports/nightly-scheduler.ts'
import { createPlatformMetrics } from '../../src/metrics/platform-metrics.ts'
import { readPlatformState } from '../../src/metrics/platform-state.ts'
import { LocalFolder } from '../../src/storage/local-folder.ts'
import { addBrand, addCampaign, silentLog, tempFolder } from '../support/fixtures.ts'
import { type MetricFamily, parsePrometheusText, sampleValue } from '../support/prometheus-text.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Export metrics: each run's duration by trigger and status and the rows of each file, recorded by
// exportDay; the scheduler's missed deadlines counted once per brand-day; and the gauge of brands
// whose yesterday missed today's deadline, read from export_runs on each brand's own clock.

const database = useTestDatabase()
const db = () => database.current.handle.db
const newMetrics = (deadline = '04:00') => createPlatformMetrics(() => readPlatformState(db(), { deadline }))
const scrape = async (metrics: ReturnType<typeof newMetrics>): Promise<Map<string, MetricFamily>> =>
  parsePrometheusText(await metrics.scrape())

/** A destination that cannot be written: its root is a file. */
async function unwritable(): Promise<LocalFolder> {
  const file = path.join((await tempFolder()).root, 'a-file')
  await writeFile(file, '')
  return new LocalFolder(file)
}

beforeAll(async () => {
  await addBrand(db(), 'exp-m', 'Europe/Berlin')
  await addCampaign(db(), { brand_id: 'exp-m', id: 'camp-1', updated_at: '2026-05-11T10:00:00Z' })
  await addCampaign(db(), { brand_id: 'exp-m', id: 'camp-2', updated_at: '2026-05-11T11:00:00Z' })
})

describe('export run metrics', () => {
  it('records a run’s duration by trigger and status, and the rows of each file of a successful one', async () => {
    const metrics = newMetrics()
    const brand = { id: 'exp-m', timezone: 'Europe/Berlin' }
    const result = await exportDay({
      database: database.current.handle,
      destination: await tempFolder(),
      brand,
      date: '2026-05-11',
      log: silentLog,
      trigger: 'backfill',
      metrics: metrics.exports,
    })
    await expect(
      exportDay({
        database: database.current.handle,
        destination: await unwritable(),
        brand,
        date: '2026-05-11',
        log: silentLog,
        metrics: metrics.exports,
      }),
    ).rejects.toThrow()
    const families = await scrape(metrics)
    expect(families.get('flex_export_run_duration_seconds')?.type).toBe('histogram')
    const runs = (trigger: string, status: string) =>
      sampleValue(families, 'flex_export_run_duration_seconds_count', { trigger, status })
    expect(runs('backfill', 'succeeded')).toBe(1)
    expect(runs('manual', 'failed')).toBe(1)
    expect(runs('manual', 'succeeded')).toBeUndefined()
    expect(sampleValue(families, 'flex_export_run_duration_seconds_sum', { trigger: 'backfill' })).toBeGreaterThan(0)
    expect(sampleValue(families, 'flex_export_rows_total', { file_type: 'campaigns' })).toBe(2)
    for (const file of result.manifest.files) {
      expect(sampleValue(families, 'flex_export_rows_total', { file_type: file.file_type })).toBe(file.rows)
    }
  })

  it('counts a missed deadline once per brand-day, however often the scheduler finds it missed', async () => {
    const metrics = newMetrics()
    let now = new Date('2026-05-12T02:01:00Z') // 04:01 in Berlin: 2026-05-11 missed its deadline
    const scheduler = new NightlyScheduler({
      database: database.current.handle,
      destination: await unwritable(),
      log: silentLog,
      clock: () => now,
      metrics: metrics.exports,
    })
    const missed = async () => sampleValue(await scrape(metrics), 'flex_export_deadline_misses_total')
    expect(await missed()).toBe(0)
    expect(await scheduler.tick()).toContainEqual(expect.objectContaining({ brand: 'exp-m', action: 'failed' }))
    expect(await missed()).toBe(1)
    now = new Date('2026-05-12T02:02:00Z')
    expect(await scheduler.tick()).toContainEqual(
      expect.objectContaining({ brand: 'exp-m', action: 'waiting-to-retry' }),
    )
    now = new Date('2026-05-12T02:10:00Z')
    expect(await scheduler.tick()).toContainEqual(expect.objectContaining({ brand: 'exp-m', action: 'failed' }))
    expect(await missed()).toBe(1)
    const families = await scrape(metrics)
    expect(
      sampleValue(families, 'flex_export_run_duration_seconds_count', { trigger: 'schedule', status: 'failed' }),
    ).toBe(2)
  })
})

describe('flex_export_deadline_missed_brands', () => {
  // The database's clock is the real one: each brand's yesterday and deadline are worked out
  // from it, on the brand's clock. A deadline of 00:00 has always passed today.
  const zones = { utc: 'UTC', kiritimati: 'Pacific/Kiritimati', pago: 'Pacific/Pago_Pago' }

  /** A run of `date`, ended now or (`lateEvening`) at 23:00 of `date` on the brand's clock, before its 00:00 deadline. */
  async function run(brandId: string, date: string, status: string, ended: 'now' | 'lateEvening') {
    const endedAt =
      ended === 'now'
        ? sql`now()`
        : sql`(${date}::date + time '23:00') at time zone (select timezone from brands where id = ${brandId})`
    await sql`insert into export_runs (id, brand_id, date, status, trigger, destination, started_at, ended_at)
              values (${randomUUID()}, ${brandId}, ${date}, ${status}, 'schedule', '/tmp/x', ${endedAt}, ${endedAt})`.execute(
      db(),
    )
  }

  const yesterdayOf = (timezone: string) => addDays(localClock(new Date(), timezone).date, -1)

  it('counts brands past the deadline whose yesterday is incomplete or was completed late', async () => {
    const ids = {
      onTime: 'dl-on-time',
      late: 'dl-late',
      failed: 'dl-failed',
      none: 'dl-none',
      far: 'dl-kiritimati',
      farWest: 'dl-pago',
      added: 'dl-added-today',
    }
    await addBrand(db(), ids.onTime, zones.utc)
    await addBrand(db(), ids.late, zones.utc)
    await addBrand(db(), ids.failed, zones.utc)
    await addBrand(db(), ids.none, zones.utc)
    await addBrand(db(), ids.far, zones.kiritimati)
    await addBrand(db(), ids.farWest, zones.pago)
    await sql`update brands set created_at = now() - interval '3 days' where id like 'dl-%'`.execute(db())
    await addBrand(db(), ids.added, zones.utc) // added now: after today's 00:00, not expected

    await run(ids.onTime, yesterdayOf(zones.utc), 'succeeded', 'lateEvening')
    await run(ids.late, yesterdayOf(zones.utc), 'succeeded', 'now')
    await run(ids.failed, yesterdayOf(zones.utc), 'failed', 'lateEvening')
    // On time on their own clocks, for days that are not UTC's yesterday.
    await run(ids.far, yesterdayOf(zones.kiritimati), 'succeeded', 'lateEvening')
    await run(ids.farWest, yesterdayOf(zones.pago), 'succeeded', 'lateEvening')
    // The brand that missed, on time for the day before: that day is not yesterday.
    await run(ids.none, addDays(yesterdayOf(zones.utc), -1), 'succeeded', 'lateEvening')

    const atMidnight = await readPlatformState(db(), { deadline: '00:00' })
    expect(atMidnight.deadlineMissedBrands).toEqual({ incomplete: 2, late: 1 })
    const families = await scrape(newMetrics('00:00'))
    expect(sampleValue(families, 'flex_export_deadline_missed_brands', { state: 'incomplete' })).toBe(2)
    expect(sampleValue(families, 'flex_export_deadline_missed_brands', { state: 'late' })).toBe(1)
  })
})
