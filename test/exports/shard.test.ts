import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Brand } from '../../src/db/database.ts'
import { brandDays } from '../../src/exports/brand-day.ts'
import { exportBrands } from '../../src/exports/export-brands.ts'
import { brandsForShard, dealOut, parseShard } from '../../src/exports/shard.ts'
import { addBrand, addCampaign, silentLog, tempFolder } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const brand = (id: string) =>
  ({ id, name: id, timezone: 'UTC', created_at: new Date(0), updated_at: new Date(0) }) as Brand

describe('sharding one day across Cloud Run tasks', () => {
  beforeAll(async () => {
    const { db } = database.current.handle
    for (const [id, rows] of [
      ['big', 300],
      ['mid', 200],
      ['small', 100],
      ['tiny', 10],
    ] as const) {
      await addBrand(db, id, 'UTC')
      await addCampaign(db, { brand_id: id, id: 'c1', updated_at: '2026-04-01T10:00:00Z' })
      await sql`
        insert into campaign_messages (brand_id, campaign_id, customer_id, channel, status, created_at, updated_at)
        select ${id}, 'c1', 'customer-' || g, 'email', 'sent', '2026-04-01T10:00:00Z', '2026-04-01T10:00:00Z'
        from generate_series(1, ${rows}::int) g`.execute(db)
    }
  })

  it('deals brands out largest first to the least-loaded task', () => {
    const split = dealOut(
      [
        { brand: brand('a'), rows: 100 },
        { brand: brand('b'), rows: 60 },
        { brand: brand('c'), rows: 50 },
        { brand: brand('d'), rows: 10 },
        { brand: brand('e'), rows: 5 },
      ],
      2,
    )
    expect(split.map((task) => task.map((item) => item.brand.id))).toEqual([
      ['a', 'd', 'e'],
      ['b', 'c'],
    ])
    expect(dealOut([{ brand: brand('a'), rows: 1 }], 3).map((t) => t.length)).toEqual([1, 0, 0])
  })

  it("gives every brand to exactly one task, sized by the day's rows", async () => {
    const { db } = database.current.handle
    const brands = await db.selectFrom('brands').selectAll().orderBy('id').execute()
    const shares = []
    for (let index = 0; index < 2; index++) {
      const days = brandDays(brands, '2026-04-01', new Date())
      shares.push((await brandsForShard(db, days, { index, count: 2 })).map((d) => d.brand.id))
    }
    expect(shares).toEqual([
      ['big', 'tiny'],
      ['mid', 'small'],
    ])
  })

  it('exports only the brands of its own shard', async () => {
    const folder = await tempFolder()
    const { days } = await exportBrands({
      database: database.current.handle,
      destination: folder,
      date: '2026-04-01',
      shard: { index: 1, count: 2 },
      log: silentLog,
    })
    expect(days.map((d) => [d.manifest.brand_id, d.rows])).toEqual([
      ['mid', 201],
      ['small', 101],
    ])
  })

  it('parses INDEX/COUNT and rejects shards that do not exist', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 })
    for (const bad of ['4/4', '1/0', '-1/2', 'a/b', '1']) expect(() => parseShard(bad), bad).toThrow(/--shard must be/)
  })
})
