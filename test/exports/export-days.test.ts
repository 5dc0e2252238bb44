import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportDays, exportYesterdays, maxExportDays } from '../../src/exports/export-days.ts'
import { startRun } from '../../src/exports/export-runs.ts'
import { addBrand } from '../support/fixtures.ts'
import { queryCounter } from '../support/query-counter.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db
const brand = { id: 'days', timezone: 'America/New_York' }

beforeAll(async () => {
  await addBrand(db(), brand.id, brand.timezone)
  for (const date of ['2026-01-05', '2026-02-10', '2026-03-08']) {
    await startRun(db(), {
      id: randomUUID(),
      brandId: brand.id,
      date,
      trigger: 'schedule',
      destination: 'd',
      at: new Date(`${date}T12:00:00Z`),
    })
  }
})

describe('exportDays', () => {
  it('reads the runs of the whole range in one query', async () => {
    const counter = queryCounter()
    const days = await exportDays(
      db().withPlugin(counter),
      brand,
      { from: '2026-01-01', to: '2026-04-02' },
      { now: new Date('2026-04-03T12:00:00Z'), deadlineMinutes: 240 },
    )
    expect(counter.count).toBe(1)
    expect(days).toHaveLength(maxExportDays)
    expect(days.filter((day) => day.status === 'running').map((day) => day.date)).toEqual([
      '2026-01-05',
      '2026-02-10',
      '2026-03-08',
    ])
  })

  it("reads the deadline on the brand's wall clock on the night summer time begins", async () => {
    // New York skips 02:00-03:00 on 2026-03-08, so the deadline of 2026-03-07 (04:00 local on the
    // 8th) is 08:00 UTC, an hour before local midnight (05:00 UTC) + 4 h.
    const status = async (now: string) => {
      const [day] = await exportDays(
        db(),
        brand,
        { from: '2026-03-07', to: '2026-03-07' },
        { now: new Date(now), deadlineMinutes: 240 },
      )
      return day?.status
    }
    expect(await status('2026-03-08T07:59:59Z')).toBe('pending')
    expect(await status('2026-03-08T08:00:00Z')).toBe('missing')
  })
})

describe('exportYesterdays', () => {
  it("answers each brand's yesterday in its own timezone as exportDays does, in one query", async () => {
    const tokyo = { id: 'days-tokyo', timezone: 'Asia/Tokyo' }
    const quiet = { id: 'days-quiet', timezone: 'UTC' }
    await addBrand(db(), tokyo.id, tokyo.timezone)
    await addBrand(db(), quiet.id, quiet.timezone)
    // 2026-03-09 01:00 UTC is 10:00 on the 9th in Tokyo (yesterday the 8th) and 21:00 on the 8th in
    // New York (yesterday the 7th): the same instant names different days.
    const now = new Date('2026-03-09T01:00:00Z')
    await startRun(db(), {
      id: randomUUID(),
      brandId: tokyo.id,
      date: '2026-03-08',
      trigger: 'schedule',
      destination: 'd',
      at: new Date('2026-03-08T17:00:00Z'),
    })
    const counter = queryCounter()
    const options = { now, deadlineMinutes: 4 * 60 }
    const brands = [brand, tokyo, quiet]
    const answered = await exportYesterdays(db().withPlugin(counter), brands, options)
    expect(counter.count).toBe(1)
    expect([...answered.keys()]).toEqual(brands.map((b) => b.id))
    expect(answered.get(tokyo.id)).toMatchObject({ date: '2026-03-08', status: 'running' })
    expect(answered.get(brand.id)).toMatchObject({ date: '2026-03-07' })
    for (const each of brands) {
      const date = (answered.get(each.id) as { date: string }).date
      expect(answered.get(each.id)).toEqual((await exportDays(db(), each, { from: date, to: date }, options))[0])
    }
    expect((await exportYesterdays(db(), [], options)).size).toBe(0)
  })
})
