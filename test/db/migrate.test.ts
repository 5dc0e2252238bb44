import { readdir } from 'node:fs/promises'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/connect.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

async function tableNames(): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(
    database.current.handle.db,
  )
  return result.rows.map((r) => r.table_name)
}

describe('migrateToLatest', () => {
  it('creates every table of the data model', async () => {
    expect(await tableNames()).toEqual(
      expect.arrayContaining([
        'brands',
        'customers',
        'products',
        'groups',
        'outlets',
        'transactions',
        'transaction_items',
        'customer_events',
        'campaigns',
        'campaign_messages',
        'campaign_skus',
        'opt_outs',
        'links',
        'link_daily_stats',
        'export_runs',
      ]),
    )
  })

  it('does nothing when run again', async () => {
    const before = await tableNames()
    expect(await migrateToLatest(database.current.handle.db)).toEqual({ applied: [] })
    expect(await tableNames()).toEqual(before)
  })

  it('lets two processes migrate one fresh database at once', async (context) => {
    const reason = multiSessionSkipReason(database.current.kind)
    if (reason) context.skip(reason)
    // A fresh database, migrated by two independent pools (as two processes would) at once.
    const url = await database.current.createEmptyDatabase()
    const [first, second] = await Promise.all([openDatabase({ url }), openDatabase({ url })])
    try {
      const results = await Promise.all([migrateToLatest(first.db), migrateToLatest(second.db)])
      const migrations = (await readdir(new URL('../../migrations/', import.meta.url))).filter((f) => f.endsWith('.ts'))
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, migrations.length])
      const tables = await sql<{ n: string }>`
        select count(*) as n from information_schema.tables where table_schema = 'public'`.execute(first.db)
      expect(Number(tables.rows[0]?.n)).toBeGreaterThanOrEqual(14)
    } finally {
      await Promise.all([first.close(), second.close()])
    }
  })

  it('keeps updated_at current on every update that does not set it', async () => {
    const { db } = database.current.handle
    await db
      .insertInto('brands')
      .values({ id: 'touch', name: 'T', timezone: 'UTC', updated_at: '2020-01-01T00:00:00Z' })
      .execute()
    await db.updateTable('brands').set({ name: 'Touched' }).where('id', '=', 'touch').execute()
    const touched = await db
      .selectFrom('brands')
      .select('updated_at')
      .where('id', '=', 'touch')
      .executeTakeFirstOrThrow()
    expect(touched.updated_at.getTime()).toBeGreaterThan(Date.parse('2025-01-01'))
    await db
      .updateTable('brands')
      .set({ name: 'Backdated', updated_at: '2021-01-01T00:00:00Z' })
      .where('id', '=', 'touch')
      .execute()
    const backdated = await db
      .selectFrom('brands')
      .select('updated_at')
      .where('id', '=', 'touch')
      .executeTakeFirstOrThrow()
    expect(backdated.updated_at.toISOString()).toBe('2021-01-01T00:00:00.000Z')
  })
})
