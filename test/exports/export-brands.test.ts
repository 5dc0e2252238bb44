import { beforeAll, describe, expect, it } from 'vitest'
import { exportBrands } from '../../src/exports/export-brands.ts'
import { addBrand, addCampaign, silentLog, tempFolder } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

// 23:59:59.9 in Tokyo on 2026-05-10, and half a second later, already 2026-05-11 there.
const justBeforeMidnight = new Date('2026-05-10T14:59:59.900Z')
const justAfterMidnight = new Date('2026-05-10T15:00:00.400Z')

/** A wall clock that crosses Tokyo's midnight right after it is first read. */
function clockCrossingMidnight(): () => Date {
  let reads = 0
  return () => (reads++ === 0 ? justBeforeMidnight : justAfterMidnight)
}

describe('the default day of an export run', () => {
  beforeAll(async () => {
    const { db } = database.current.handle
    for (const id of ['tokyo-a', 'tokyo-b']) {
      await addBrand(db, id, 'Asia/Tokyo')
      // Noon in Tokyo on 2026-05-09, the day before the run started.
      await addCampaign(db, { brand_id: id, id: 'c1', updated_at: '2026-05-09T03:00:00Z' })
    }
  })

  it("is yesterday as of the run's start for every brand, even when the clock passes midnight during the run", async () => {
    const { days, failures } = await exportBrands({
      database: database.current.handle,
      destination: await tempFolder(),
      log: silentLog,
      now: clockCrossingMidnight(),
    })
    expect(failures).toEqual([])
    expect(days.map((d) => [d.manifest.brand_id, d.manifest.date, d.rows])).toEqual([
      ['tokyo-a', '2026-05-09', 1],
      ['tokyo-b', '2026-05-09', 1],
    ])
  })

  it('is the same day for sizing the shards and for exporting them', async () => {
    const exported = []
    for (const index of [0, 1]) {
      const { days } = await exportBrands({
        database: database.current.handle,
        destination: await tempFolder(),
        shard: { index, count: 2 },
        log: silentLog,
        now: clockCrossingMidnight(),
      })
      exported.push(...days.map((d) => [d.manifest.brand_id, d.manifest.date, d.rows]))
    }
    expect(exported.sort()).toEqual([
      ['tokyo-a', '2026-05-09', 1],
      ['tokyo-b', '2026-05-09', 1],
    ])
  })
})
