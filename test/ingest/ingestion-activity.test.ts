import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { down, up } from '../../migrations/0016_ingestion_activity.ts'
import { entities } from '../../src/ingest/entities/index.ts'
import { entityTypes } from '../../src/ingest/entity-types.ts'
import { ingestFile } from '../../src/ingest/ingest-file.ts'
import { ingestBatch, ingestRecords } from '../../src/ingest/ingest-records.ts'
import { countsKeptDays } from '../../src/ingest/ingestion-counts.ts'
import { ingestionSummary } from '../../src/ingest/ingestion-summary.ts'
import { rejectionLogSize, rejectionPage } from '../../src/ingest/rejection-log.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db
const at = (minute: number) => `2026-11-21T09:${String(minute).padStart(2, '0')}:00Z`
const customer = (id: string, minute = 0, extra: Record<string, unknown> = {}) => ({
  id,
  email: `${id.toLowerCase()}@example.com`,
  updated_at: at(minute),
  ...extra,
})
/** A customer record that breaks the email rule. */
const badCustomer = (id: string) => ({ id, email: 'not-an-email', updated_at: at(0) })

async function allRejections(brandId: string, entity?: (typeof entityTypes)[number]) {
  const seen = []
  let startId: number | undefined
  for (;;) {
    const page = await rejectionPage(db(), brandId, { size: 100, startId, entity })
    seen.push(...page.rejections)
    if (page.lastId === null) return seen
    startId = page.lastId
  }
}

describe('ingestion counts', () => {
  it('count every outcome of the API and of files per entity type over the last 24 hours', async () => {
    await addBrand(db(), 'counted', 'UTC')
    await ingestRecords(db(), 'counted', entities.customers, [customer('C-1'), customer('C-2'), badCustomer('C-3')])
    await ingestRecords(db(), 'counted', entities.customers, [
      customer('C-1', 5), // updated
      customer('C-2'), // unchanged
      { ...customer('C-1', 5), id: 'C-4', updated_at: at(1) }, // created
    ])
    await ingestRecords(db(), 'counted', entities.customers, [customer('C-2', 0, { first_name: 'Old' })]) // a tie: stale or updated
    const dir = await mkdtemp(path.join(tmpdir(), 'flex-activity-'))
    const file = path.join(dir, 'products.ndjson')
    await writeFile(
      file,
      [
        JSON.stringify({ id: 'P-1', name: 'Soap', price: '1.00', currency: 'EUR', updated_at: at(0) }),
        '{not json',
        JSON.stringify({ id: 'P-2', name: '', price: '1.00', currency: 'EUR', updated_at: at(0) }),
      ].join('\n'),
    )
    await ingestFile({ db: db(), brandId: 'counted', entity: entities.products, path: file, rejectsPath: `${file}.r` })

    const summary = await ingestionSummary(db(), 'counted', new Date())
    expect(summary.counts.map((c) => c.entity_type)).toEqual([...entityTypes])
    const customers = summary.counts.find((c) => c.entity_type === 'customers')
    expect(customers).toMatchObject({ created: 3, unchanged: 1, rejected: 1 })
    expect((customers?.updated ?? 0) + (customers?.stale ?? 0)).toBe(2)
    expect(summary.counts.find((c) => c.entity_type === 'products')).toEqual({
      entity_type: 'products',
      created: 1,
      updated: 0,
      unchanged: 0,
      stale: 0,
      rejected: 2,
    })
    expect(summary.counts.find((c) => c.entity_type === 'groups')).toMatchObject({ created: 0, rejected: 0 })
    expect(summary.to.getTime() - summary.from.getTime()).toBeGreaterThan(23 * 3_600_000)
    expect(summary.to.getTime() - summary.from.getTime()).toBeLessThanOrEqual(24 * 3_600_000)
  })

  it('count a batch replayed under its idempotency key once', async () => {
    await addBrand(db(), 'replayed', 'UTC')
    const idempotency = { key: 'k-1', requestHash: 'h-1' }
    const records = [customer('C-1'), badCustomer('C-2')]
    await ingestBatch(db(), 'replayed', entities.customers, records, idempotency)
    const again = await ingestBatch(db(), 'replayed', entities.customers, records, idempotency)
    expect(again.replayed).toBe(true)
    const summary = await ingestionSummary(db(), 'replayed', new Date())
    expect(summary.counts.find((c) => c.entity_type === 'customers')).toMatchObject({ created: 1, rejected: 1 })
    expect(await allRejections('replayed')).toHaveLength(1)
  })

  it('leave out hours older than the 24 and drop buckets older than a week at the next batch', async () => {
    await addBrand(db(), 'aged', 'UTC')
    await addBrand(db(), 'other', 'UTC')
    const bucket = (brand: string, hoursAgo: number, records: number) =>
      sql`insert into ingestion_counts (brand_id, hour, entity_type, outcome, records)
        values (${brand}, date_trunc('hour', now(), 'UTC') - make_interval(hours => ${hoursAgo}), 'groups', 'created', ${records})`.execute(
        db(),
      )
    await bucket('aged', 23, 5)
    await bucket('aged', 24, 7)
    await bucket('aged', countsKeptDays * 24 + 1, 11)
    await bucket('other', countsKeptDays * 24 + 1, 13)
    const groups = async () =>
      (await ingestionSummary(db(), 'aged', new Date())).counts.find((c) => c.entity_type === 'groups')
    expect(await groups()).toMatchObject({ created: 5 })

    await ingestRecords(db(), 'aged', entities.groups, [{ id: 'G-1', name: 'G', kind: 'regional', updated_at: at(0) }])
    expect(await groups()).toMatchObject({ created: 6 })
    const kept = await sql<{ brand_id: string; n: string }>`
      select brand_id, count(*) as n from ingestion_counts group by brand_id order by brand_id`.execute(db())
    // The aged brand's week-old bucket went; the other brand's waits for that brand's next batch.
    expect(kept.rows.filter((r) => ['aged', 'other'].includes(r.brand_id))).toEqual([
      { brand_id: 'aged', n: '3' },
      { brand_id: 'other', n: '1' },
    ])
  })

  it('count nothing of a batch that rolls back', async () => {
    await addBrand(db(), 'rolled', 'UTC')
    // The brand does not exist: the batch's insert fails on its foreign key and rolls back.
    await expect(ingestRecords(db(), 'no-such-brand', entities.customers, [customer('C-1')])).rejects.toThrow()
    const rows = await sql<{ n: string }>`
      select count(*) as n from ingestion_counts where brand_id = 'no-such-brand'`.execute(db())
    expect(rows.rows[0]?.n).toBe('0')
  })
})

describe('the rejection log', () => {
  it('keeps each rejected record with its entity type, id, field, rule, message, source and time', async () => {
    await addBrand(db(), 'logged', 'UTC')
    const before = new Date()
    await ingestRecords(db(), 'logged', entities.customers, [
      customer('C-1'),
      badCustomer('C-2'),
      { email: 'x@example.com', updated_at: at(0), loyalty: 1 },
      customer('C-1'),
    ])
    const dir = await mkdtemp(path.join(tmpdir(), 'flex-activity-'))
    const file = path.join(dir, 'groups.csv')
    await writeFile(file, 'id,name,kind,updated_at\nG-1,Europe,regional,2026-11-21\n"G-2,unclosed\n')
    await ingestFile({ db: db(), brandId: 'logged', entity: entities.groups, path: file, rejectsPath: `${file}.r` })

    const log = await allRejections('logged')
    // A file batch's unreadable lines are logged before its rejected records.
    expect(log.map((r) => [r.entity_type, r.record_id, r.source])).toEqual([
      ['groups', 'G-1', 'file'],
      ['groups', null, 'file'],
      ['customers', 'C-1', 'api'],
      ['customers', null, 'api'],
      ['customers', 'C-2', 'api'],
    ])
    expect(log.map((r) => r.id)).toEqual([5, 4, 3, 2, 1])
    expect(log[0]?.errors).toEqual([{ field: 'updated_at', rule: 'format', message: expect.any(String) }])
    expect(log[1]?.errors).toEqual([{ field: '(line)', rule: 'unreadable', message: expect.stringMatching(/CSV/) }])
    expect(log[2]?.errors).toEqual([{ field: 'id', rule: 'duplicate_id', message: expect.any(String) }])
    expect(log[3]?.errors).toEqual(
      expect.arrayContaining([
        { field: 'id', rule: 'required', message: expect.stringMatching(/^required/) },
        { field: 'loyalty', rule: 'unknown_field', message: expect.any(String) },
      ]),
    )
    expect(log[4]).toMatchObject({ errors: [{ field: 'email', rule: 'format' }], error_count: 1 })
    for (const r of log) {
      expect(r.rejected_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000)
      expect(r.rejected_at.getTime()).toBeLessThanOrEqual(Date.now() + 1_000)
    }
    expect((await allRejections('logged', 'groups')).map((r) => r.id)).toEqual([5, 4])
  })

  it(`keeps the newest ${rejectionLogSize} per brand, in place, whatever the batches`, async () => {
    await addBrand(db(), 'ring', 'UTC')
    await addBrand(db(), 'quiet', 'UTC')
    await ingestRecords(db(), 'quiet', entities.customers, [badCustomer('Q-1')])
    const bad = (from: number, count: number) => Array.from({ length: count }, (_, i) => badCustomer(`B-${from + i}`))
    await ingestRecords(db(), 'ring', entities.customers, bad(0, 600))
    await ingestRecords(db(), 'ring', entities.customers, bad(600, 600))
    // One batch with more rejections than the log holds: only its newest fit.
    await ingestRecords(db(), 'ring', entities.customers, bad(1200, rejectionLogSize + 1))
    const log = await allRejections('ring')
    expect(log).toHaveLength(rejectionLogSize)
    expect(log[0]).toMatchObject({ record_id: `B-${1200 + rejectionLogSize}` })
    expect(log.at(-1)).toMatchObject({ record_id: 'B-1201' })
    expect(new Set(log.map((r) => r.id)).size).toBe(rejectionLogSize)
    const rows = await sql<{ brand_id: string; n: string }>`
      select brand_id, count(*) as n from ingestion_rejections where brand_id in ('ring', 'quiet')
      group by brand_id order by brand_id`.execute(db())
    expect(rows.rows).toEqual([
      { brand_id: 'quiet', n: '1' },
      { brand_id: 'ring', n: String(rejectionLogSize) },
    ])
  })

  it('pages newest first by keyset, without gaps or repeats, filtered by entity type', async () => {
    await addBrand(db(), 'paged', 'UTC')
    for (let i = 0; i < 7; i++) {
      await ingestRecords(db(), 'paged', entities.customers, [badCustomer(`C-${i}`)])
      await ingestRecords(db(), 'paged', entities.groups, [{ id: `G-${i}`, updated_at: at(0) }])
    }
    const first = await rejectionPage(db(), 'paged', { size: 3, entity: 'customers' })
    expect(first.rejections.map((r) => r.record_id)).toEqual(['C-6', 'C-5', 'C-4'])
    expect(first.lastId).toBe(first.rejections[2]?.id)
    const second = await rejectionPage(db(), 'paged', { size: 3, entity: 'customers', startId: first.lastId ?? 0 })
    expect(second.rejections.map((r) => r.record_id)).toEqual(['C-3', 'C-2', 'C-1'])
    const last = await rejectionPage(db(), 'paged', { size: 3, entity: 'customers', startId: second.lastId ?? 0 })
    expect(last).toMatchObject({ rejections: [{ record_id: 'C-0' }], lastId: null })
    const everything = await allRejections('paged')
    expect(everything.map((r) => r.id)).toEqual(Array.from({ length: 14 }, (_, i) => 14 - i))
    expect(await rejectionPage(db(), 'paged', { size: 5, startId: 1 })).toEqual({ rejections: [], lastId: null })
  })

  it('keeps ids, fields and messages of hostile records storable and short, and never the record', async () => {
    await addBrand(db(), 'hostile', 'UTC')
    const marker = 'personal-data-marker'
    const hostileText = fc.oneof(
      fc.string({ unit: fc.constantFrom(...hostileCharacters, 'a', '<', '>', '&', '"'), maxLength: 40 }),
      fc.constantFrom('<script>alert(1)</script>', 'x'.repeat(5_000), `${'😀'.repeat(150)}`),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: hostileText, key: hostileText }), { minLength: 1, maxLength: 5 }),
        async (records) => {
          const { rows: before } = await sql<{ seq: string | null }>`
            select max(seq) as seq from ingestion_rejections where brand_id = 'hostile'`.execute(db())
          await ingestRecords(
            db(),
            'hostile',
            entities.customers,
            // Valid personal data beside the broken id and an unknown field named by hostile text.
            records.map((r) => ({ id: r.id, first_name: marker, [`x${r.key}`]: 1, updated_at: at(0) })),
          )
          const page = await rejectionPage(db(), 'hostile', { size: 100 })
          const added = page.rejections.filter((r) => r.id > Number(before[0]?.seq ?? 0))
          expect(added).toHaveLength(records.length)
          for (const r of added) {
            const text = JSON.stringify(r)
            expect(text).not.toContain(marker)
            expect(text.isWellFormed()).toBe(true)
            expect(text).not.toContain('\u0000')
            expect(r.record_id?.length ?? 0).toBeLessThanOrEqual(201)
            for (const e of r.errors) expect(e.field.length).toBeLessThanOrEqual(201)
            expect(r.errors.length).toBeGreaterThan(0)
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('migration 0016', () => {
  it('goes down and up again, and ingestion counts and logs after it', async () => {
    await addBrand(db(), 'migrated', 'UTC')
    await down(db())
    const gone = await sql<{ n: string }>`
      select count(*) as n from information_schema.tables
      where table_name in ('ingestion_counts', 'ingestion_rejections') and table_schema = current_schema()`.execute(
      db(),
    )
    expect(gone.rows[0]?.n).toBe('0')
    await up(db())
    await ingestRecords(db(), 'migrated', entities.customers, [customer('C-1'), badCustomer('C-2')])
    expect(await allRejections('migrated')).toMatchObject([{ id: 1, record_id: 'C-2' }])
  })
})
