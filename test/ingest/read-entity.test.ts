import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { deleteCustomer } from '../../src/ingest/delete-customer.ts'
import { entities, entityDefinition } from '../../src/ingest/entities/index.ts'
import { entityTypes } from '../../src/ingest/entity-types.ts'
import { ingestRecords } from '../../src/ingest/ingest-records.ts'
import { isoInstant, readEntities, readEntity } from '../../src/ingest/read-entity.ts'
import { addBrand, fullRecords } from '../support/fixtures.ts'
import { queryCounter } from '../support/query-counter.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db

/** Each type's second record: other values, and references that wait. */
const secondRecords = {
  customers: { ...fullRecords.customers, id: 'C-2', email: 'max@example.com', attributes: {} },
  customer_events: { ...fullRecords.customer_events, id: 'E-2', customer_id: 'C-404' },
  transactions: {
    ...fullRecords.transactions,
    id: 'T-2',
    outlet_id: null,
    occurred_at: '2026-01-01T00:00:00.123456Z',
    // Twelve items: line 10 sorts before line 2 as text, not as the line number it is.
    items: Array.from({ length: 12 }, (_, i) => ({
      sku: i % 2 === 0 ? `S-${i}` : 'S-1',
      quantity: `${i}.5`,
      unit_price: '1.25',
      amount: '2.50',
    })),
    updated_at: '2026-11-21T09:30:00.000001+01:00',
  },
  products: { ...fullRecords.products, id: 'S-2', category: null },
  groups: { ...fullRecords.groups, id: 'G-1', parent_group_id: null },
  outlets: { ...fullRecords.outlets, id: 'O-2', group_id: 'G-404' },
} satisfies typeof fullRecords

const idsOf = (type: keyof typeof fullRecords) => [fullRecords[type].id as string, secondRecords[type].id]

beforeAll(async () => {
  await addBrand(db(), 'read', 'Europe/Berlin')
  await addBrand(db(), 'other', 'UTC')
  for (const type of entityTypes) {
    await ingestRecords(db(), 'read', entities[type], [fullRecords[type], secondRecords[type]])
  }
  // Another brand with the same ids and other data.
  await ingestRecords(db(), 'other', entities.customers, [{ ...fullRecords.customers, first_name: 'Other' }])
  await ingestRecords(db(), 'other', entities.transactions, [{ ...secondRecords.transactions, items: [] }])
})

describe('readEntities', () => {
  it.each(entityTypes)('reads %s in one batch byte for byte as it reads each alone', async (type) => {
    const batch = await readEntities(db(), 'read', entities[type], idsOf(type))
    expect([...batch.keys()].sort()).toEqual(idsOf(type).sort())
    for (const id of idsOf(type)) {
      const alone = await readEntity(db(), 'read', entities[type], id)
      expect(alone?.entity.id).toBe(id)
      expect(JSON.stringify(batch.get(id))).toBe(JSON.stringify(alone))
    }
  })

  it('reads instants to the microsecond, child rows in their order and each reference with its state', async () => {
    const batch = await readEntities(db(), 'read', entities.transactions, ['T-2', 'T-1'])
    const stored = batch.get('T-2')
    expect(stored?.entity).toMatchObject({
      occurred_at: '2026-01-01T00:00:00.123456Z',
      source_updated_at: '2026-11-21T08:30:00.000001Z',
      outlet_id: null,
    })
    const items = stored?.entity.items as { line_no: number; quantity: string }[]
    expect(items.map((item) => [item.line_no, item.quantity])).toEqual(
      Array.from({ length: 12 }, (_, i) => [i + 1, `${i}.5`]),
    )
    expect(stored?.references.slice(0, 5)).toEqual([
      { field: 'customer_id', type: 'customers', id: 'C-1', state: 'resolved' },
      { field: 'items.0.sku', type: 'products', id: 'S-0', state: 'waiting' },
      { field: 'items.1.sku', type: 'products', id: 'S-1', state: 'resolved' },
      { field: 'items.10.sku', type: 'products', id: 'S-10', state: 'waiting' },
      { field: 'items.11.sku', type: 'products', id: 'S-1', state: 'resolved' },
    ])
    expect(batch.get('T-1')?.entity.items).toEqual([
      { line_no: 1, sku: 'S-1', quantity: '2', unit_price: '1.25', amount: '2.50' },
    ])
  })

  it('leaves out the ids the brand has no entity of that type for', async () => {
    const batch = await readEntities(db(), 'read', entities.customers, ['C-1', 'C-404', 'T-1', 'C-1', 'not an id', ''])
    expect([...batch.keys()]).toEqual(['C-1'])
    expect(await readEntities(db(), 'read', entities.customers, [])).toEqual(new Map())
    expect(await readEntity(db(), 'read', entities.customers, 'C-404')).toBeUndefined()
  })

  it("reads only the given brand's entities, though another brand uses the same ids", async () => {
    const read = await readEntities(db(), 'read', entities.customers, ['C-1', 'C-2'])
    const other = await readEntities(db(), 'other', entities.customers, ['C-1', 'C-2'])
    expect(read.get('C-1')?.entity.first_name).toBe('Zoë')
    expect([...other.keys()]).toEqual(['C-1'])
    expect(other.get('C-1')?.entity.first_name).toBe('Other')
    const transactions = await readEntities(db(), 'other', entities.transactions, ['T-2'])
    expect(transactions.get('T-2')?.entity.items).toEqual([])
    expect(transactions.get('T-2')?.references).toEqual([
      { field: 'customer_id', type: 'customers', id: 'C-1', state: 'resolved' },
    ])
  })

  it('reads a deleted customer with its data erased and the time of its deletion', async () => {
    await ingestRecords(db(), 'read', entities.customers, [{ ...fullRecords.customers, id: 'C-gone' }])
    expect(await deleteCustomer(db(), 'read', 'C-gone', new Date('2026-11-30T10:00:00.123Z'))).toBe('deleted')
    const batch = await readEntities(db(), 'read', entities.customers, ['C-gone', 'C-1'])
    expect(batch.get('C-gone')).toEqual({
      entity: {
        id: 'C-gone',
        email: null,
        phone: null,
        first_name: null,
        last_name: null,
        birth_date: null,
        email_consent: false,
        sms_consent: false,
        attributes: {},
        source_updated_at: '2026-11-21T08:30:00.000000Z',
        deleted_at: '2026-11-30T10:00:00.123000Z',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      },
      references: [],
    })
    expect(batch.get('C-1')?.entity.email).toBe('zoe@example.com')
  })

  it('reads any number of entities in one query per table: rows, child rows, waiting references', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `T-many-${i}`)
    const records = ids.map((id) => ({ ...secondRecords.transactions, id }))
    await ingestRecords(db(), 'read', entities.transactions, records)
    const counter = queryCounter()
    const counted = db().withPlugin(counter)
    // The tables' column types are read once per process, by the first read.
    await readEntities(counted, 'read', entities.transactions, ['T-1'])
    await readEntities(counted, 'read', entities.customers, ['C-1'])
    counter.count = 0
    const transactions = await readEntities(counted, 'read', entities.transactions, ids)
    expect(transactions.size).toBe(300)
    expect(counter.count).toBe(3)
    counter.count = 0
    expect((await readEntities(counted, 'read', entities.customers, ['C-1', 'C-2'])).size).toBe(2)
    expect(counter.count).toBe(2)
    counter.count = 0
    expect((await readEntities(counted, 'read', entities.customers, ['C-404'])).size).toBe(0)
    expect(counter.count).toBe(1)
    counter.count = 0
    expect((await readEntities(counted, 'read', entities.customers, ['no id!'])).size).toBe(0)
    expect(counter.count).toBe(0)
  })

  it('finds exactly the stored ones among any strings asked for', async () => {
    const stored = idsOf('customers')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...stored, 'C-404'), fc.string(), fc.string({ unit: 'binary' })), {
          maxLength: 20,
        }),
        async (ids) => {
          const batch = await readEntities(db(), 'read', entities.customers, ids)
          expect([...batch.keys()].sort()).toEqual(stored.filter((id) => ids.includes(id)).sort())
        },
      ),
      { numRuns: 50 },
    )
  })
})

describe('entityDefinition', () => {
  it('finds each entity type by the name an outbox event gives it, and nothing for other names', () => {
    for (const type of entityTypes) expect(entityDefinition(type)).toBe(entities[type])
    for (const name of ['export_runs', 'toString', '__proto__', 'Customers', '']) {
      expect(entityDefinition(name)).toBeUndefined()
    }
  })
})

describe('isoInstant', () => {
  it('writes PostgreSQL epoch text as an ISO 8601 instant to the microsecond, before and after 1970', () => {
    expect(isoInstant('1764504000.123456')).toBe('2025-11-30T12:00:00.123456Z')
    expect(isoInstant('1764504000')).toBe('2025-11-30T12:00:00.000000Z')
    expect(isoInstant('0.000001')).toBe('1970-01-01T00:00:00.000001Z')
    expect(isoInstant('-0.000001')).toBe('1969-12-31T23:59:59.999999Z')
    expect(isoInstant('-1.500000')).toBe('1969-12-31T23:59:58.500000Z')
    expect(isoInstant('-62135596800.000000')).toBe('0001-01-01T00:00:00.000000Z')
    expect(isoInstant('253402300799.999999')).toBe('9999-12-31T23:59:59.999999Z')
  })
})
