import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { entities } from '../../src/ingest/entities/index.ts'
import { ingestBatch, ingestRecords } from '../../src/ingest/ingest-records.ts'
import { ingestionSummary } from '../../src/ingest/ingestion-summary.ts'
import { readEntity } from '../../src/ingest/read-entity.ts'
import { parseRecordJson } from '../../src/ingest/record-json.ts'
import { rejectionPage } from '../../src/ingest/rejection-log.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// No valid record may be lost because the database refused another one in its batch: values the
// database would refuse are rejected by validation, naming the field, and when the database still
// refuses a record, that record alone is rejected and the rest of the batch is stored.

const database = useTestDatabase()
const db = () => database.current.handle.db
const at = '2026-11-21T09:30:00+01:00'

beforeAll(async () => {
  await addBrand(db(), 'refusals', 'UTC')
})

const customers = (...records: Record<string, unknown>[]) =>
  records.map((record, i) => ({ id: `C-${i}`, updated_at: at, ...record }))

describe('values the database would refuse are rejected, naming the field', () => {
  it.each([
    ['a lone surrogate in a name', { first_name: 'a\ud800b' }, 'first_name', /well-formed Unicode/],
    ['a lone low surrogate in an attribute key', { attributes: { '\udc00k': 1 } }, 'attributes.\ufffdk', /Unicode/],
    ['a lone surrogate in an attribute value', { attributes: { k: 'x\ud800' } }, 'attributes.k', /Unicode/],
    ['a NUL in a name', { last_name: 'a\u0000b' }, 'last_name', /control characters/],
    ['the year 0000 as a birth date', { birth_date: '0000-01-01' }, 'birth_date', /0001-01-01/],
    ['the year 0000 as an instant', { updated_at: '0000-01-01T00:00:00Z' }, 'updated_at', /0001/],
    ['the year 10000 as an instant', { updated_at: '10000-01-01T00:00:00Z' }, 'updated_at', /./],
  ])('rejects %s and stores its neighbours', async (_name, values, field, message) => {
    const outcomes = await ingestRecords(
      db(),
      'refusals',
      entities.customers,
      customers({ first_name: 'before' }, values, { first_name: 'after' }),
    )
    expect(outcomes[0]).toMatchObject({ outcome: expect.stringMatching(/created|unchanged/) })
    expect(outcomes[1]).toMatchObject({
      outcome: 'rejected',
      errors: expect.arrayContaining([{ field, message: expect.stringMatching(message) }]),
    })
    expect(outcomes[2]).toMatchObject({ outcome: expect.stringMatching(/created|unchanged/) })
  })

  it('stores the values at the edges of what is accepted', async () => {
    const records = parseRecordJson(
      `[{"id":"EDGE-1","birth_date":"0001-01-01","updated_at":"0001-01-01T00:00:00+01:00"},` +
        `{"id":"EDGE-2","birth_date":"9999-12-31","updated_at":"9999-12-31T23:59:59.999999-01:00"},` +
        `{"id":"EDGE-3","first_name":"😀\ud83d\ude00 山田","attributes":{"max":1.7976931348623157e308,"min":5e-324,"neg":-0},"updated_at":"${at}"}]`,
    ) as unknown[]
    const outcomes = await ingestRecords(db(), 'refusals', entities.customers, records)
    expect(outcomes.map((o) => o.outcome)).toEqual(['created', 'created', 'created'])
    const edge = await readEntity(db(), 'refusals', entities.customers, 'EDGE-3')
    expect(edge?.entity.first_name).toBe('😀😀 山田')
    expect(edge?.entity.attributes).toEqual({ max: 1.7976931348623157e308, min: 5e-324, neg: 0 })
    expect((await readEntity(db(), 'refusals', entities.customers, 'EDGE-1'))?.entity.birth_date).toBeDefined()
  })

  it('rejects a lone surrogate written as a JSON escape, anywhere in a record', async () => {
    const records = parseRecordJson(
      `[{"id":"J-1","first_name":"a\\ud800b","updated_at":"${at}"},{"id":"J-2","attributes":{"k\\udfff":true},"updated_at":"${at}"},{"id":"J-3","updated_at":"${at}"}]`,
    ) as unknown[]
    const outcomes = await ingestRecords(db(), 'refusals', entities.customers, records)
    expect(outcomes.map((o) => o.outcome)).toEqual(['rejected', 'rejected', 'created'])
  })

  it('stores the outcomes of an idempotent batch whose rejections quote text the database cannot store', async () => {
    const result = await ingestBatch(
      db(),
      'refusals',
      entities.customers,
      [
        { id: 'I-1', 'unknown\ud800': 1, updated_at: at },
        { id: 'bad id \u0000\ud800', updated_at: at },
        { id: 'I-3', updated_at: at },
      ],
      { key: 'k-1', requestHash: 'h-1' },
    )
    expect(result.outcomes.map((o) => o.outcome)).toEqual(['rejected', 'rejected', 'created'])
    expect(JSON.stringify(result.outcomes)).not.toMatch(/\\ud800|\\u0000/)
  })
})

describe('a record the database refuses anyway', () => {
  it('is rejected alone, with the database reason, and the rest of its batch is stored', async () => {
    await sql`alter table customers add constraint test_refuses_name check (first_name is distinct from 'refuse me')`.execute(
      db(),
    )
    try {
      await ingestRecords(db(), 'refusals', entities.customers, [{ id: 'R-3', first_name: 'old', updated_at: at }])
      const batch = Array.from({ length: 20 }, (_, i) => ({
        id: `R-${i}`,
        first_name: i === 3 || i === 17 ? 'refuse me' : `name ${i}`,
        updated_at: '2026-11-22T00:00:00Z',
      }))
      const outcomes = await ingestRecords(db(), 'refusals', entities.customers, batch)
      for (const [i, outcome] of outcomes.entries()) {
        if (i === 3 || i === 17) {
          expect(outcome).toEqual({
            index: i,
            id: `R-${i}`,
            outcome: 'rejected',
            errors: [{ field: '(record)', message: expect.stringMatching(/test_refuses_name/) }],
          })
        } else {
          expect(outcome).toEqual({ index: i, id: `R-${i}`, outcome: 'created' })
        }
      }
      expect((await readEntity(db(), 'refusals', entities.customers, 'R-3'))?.entity.first_name).toBe('old')
      expect(await readEntity(db(), 'refusals', entities.customers, 'R-17')).toBeUndefined()
      expect((await readEntity(db(), 'refusals', entities.customers, 'R-4'))?.entity.first_name).toBe('name 4')
      const events = await db()
        .selectFrom('outbox_events')
        .select('entity_id')
        .where('brand_id', '=', 'refusals')
        .where('entity_id', 'in', ['R-3', 'R-17', 'R-4'])
        .execute()
      expect(events.map((e) => e.entity_id).sort()).toEqual(['R-3', 'R-4'])
    } finally {
      await sql`alter table customers drop constraint test_refuses_name`.execute(db())
    }
  })

  it('is rejected alone when the database refuses its value as data (SQLSTATE class 22)', async () => {
    await sql`alter table outlets alter column city type varchar(5)`.execute(db())
    try {
      const outcomes = await ingestRecords(db(), 'refusals', entities.outlets, [
        { id: 'O-1', name: 'a', city: 'Bonn', updated_at: at },
        { id: 'O-2', name: 'b', city: 'Berlin', updated_at: at },
        { id: 'O-3', name: 'c', city: 'Ulm', updated_at: at },
      ])
      expect(outcomes).toEqual([
        { index: 0, id: 'O-1', outcome: 'created' },
        {
          index: 1,
          id: 'O-2',
          outcome: 'rejected',
          errors: [{ field: '(record)', message: expect.stringMatching(/too long/) }],
        },
        { index: 2, id: 'O-3', outcome: 'created' },
      ])
      // The first attempt rolled back: the batch is counted and logged once, by the second.
      const { counts } = await ingestionSummary(db(), 'refusals', new Date())
      expect(counts.find((c) => c.entity_type === 'outlets')).toMatchObject({ created: 2, rejected: 1 })
      const { rejections } = await rejectionPage(db(), 'refusals', { size: 10, entity: 'outlets' })
      expect(rejections).toMatchObject([
        { record_id: 'O-2', errors: [{ field: '(record)', rule: 'refused_by_database' }], error_count: 1 },
      ])
    } finally {
      await sql`alter table outlets alter column city type text`.execute(db())
    }
  })
})
