import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { deleteCustomer } from '../../src/ingest/delete-customer.ts'
import { entities } from '../../src/ingest/entities/index.ts'
import { ingestRecords } from '../../src/ingest/ingest-records.ts'
import { readEntity } from '../../src/ingest/read-entity.ts'
import { parseRecordJson } from '../../src/ingest/record-json.ts'
import { compareSourceTimes, sourceTime } from '../../src/ingest/source-time.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db
const at = '2026-11-21T09:30:00+01:00'

beforeAll(async () => {
  await addBrand(db(), 'exact', 'UTC')
})

const product = (id: string, price: unknown) => ({ id, name: 'P', price, updated_at: at })
const transaction = (
  id: string,
  values: { total?: unknown; quantity?: unknown; unit?: unknown; amount?: unknown },
) => ({
  id,
  occurred_at: at,
  status: 'completed',
  currency: 'EUR',
  total_amount: values.total ?? '0',
  items: [
    { sku: 'SKU-1', quantity: values.quantity ?? '1', unit_price: values.unit ?? '0', amount: values.amount ?? '0' },
  ],
  updated_at: at,
})

/** Every decimal field's value as read back from the database. */
async function readDecimals(type: 'products' | 'transactions', id: string): Promise<unknown> {
  const stored = await readEntity(db(), 'exact', entities[type], id)
  const entity = stored?.entity as Record<string, unknown> & { items?: Record<string, unknown>[] }
  if (type === 'products') return entity.price
  const item = entity.items?.[0] ?? {}
  return [entity.total_amount, item.quantity, item.unit_price, item.amount]
}

describe('decimals are stored exactly as sent, or rejected', () => {
  const extremes = ['999999999999.9999', '0.0001', '0', '1.50', '1', '123456789012.3456', '9.9999']
  const negatives = ['-999999999999.9999', '-0.0001', '-1.50']

  it.each(extremes)('keeps the price %s', async (value) => {
    const id = `P-${value}`
    expect(await ingestRecords(db(), 'exact', entities.products, [product(id, value)])).toEqual([
      { index: 0, id, outcome: 'created' },
    ])
    expect(await readDecimals('products', id)).toBe(value)
  })

  it.each(extremes)('keeps %s in every decimal field of a transaction', async (value) => {
    const id = `T-${value}`
    const record = transaction(id, { total: value, quantity: value, unit: value, amount: value })
    expect(await ingestRecords(db(), 'exact', entities.transactions, [record])).toEqual([
      { index: 0, id, outcome: 'created' },
    ])
    expect(await readDecimals('transactions', id)).toEqual([value, value, value, value])
  })

  it.each(negatives)('keeps the negative %s in total_amount, unit_price and amount', async (value) => {
    const id = `T-neg${value}`
    const record = transaction(id, { total: value, unit: value, amount: value })
    expect(await ingestRecords(db(), 'exact', entities.transactions, [record])).toEqual([
      { index: 0, id, outcome: 'created' },
    ])
    expect(await readDecimals('transactions', id)).toEqual([value, '1', value, value])
  })

  it('keeps a decimal sent as a JSON number as it was written', async () => {
    const records = parseRecordJson(
      '[{"id":"PJ-1","name":"P","price":1.50,"updated_at":"2026-11-21T09:30:00Z"},' +
        '{"id":"PJ-2","name":"P","price":999999999999.9999,"updated_at":"2026-11-21T09:30:00Z"},' +
        '{"id":"PJ-3","name":"P","price":0.0001,"updated_at":"2026-11-21T09:30:00Z"}]',
    ) as unknown[]
    const outcomes = await ingestRecords(db(), 'exact', entities.products, records)
    expect(outcomes.map((o) => o.outcome)).toEqual(['created', 'created', 'created'])
    expect(await readDecimals('products', 'PJ-1')).toBe('1.50')
    expect(await readDecimals('products', 'PJ-2')).toBe('999999999999.9999')
    expect(await readDecimals('products', 'PJ-3')).toBe('0.0001')
  })

  const limit = /12 digits before and 4 after the point/
  it.each([
    ['a fifth decimal', '"1.23456"', limit],
    ['a thirteenth integer digit', '"1234567890123"', limit],
    ['a JSON number that underflows to zero', '1e-400', limit],
    ['a JSON number that overflows to Infinity', '1e400', limit],
    ['a JSON number with more digits than a double keeps', '12345678901234567890', limit],
    ['a JSON number with 19 decimals', '0.1234567890123456789', limit],
    ['a JSON number in exponent notation', '1E2', /exponent/],
    ['a negative price', '"-0.01"', /at least 0/],
  ])('rejects %s, naming the field and the limit', async (_name, json, message) => {
    const [record] = parseRecordJson(`[{"id":"PX","name":"P","price":${json},"updated_at":"${at}"}]`) as unknown[]
    const [outcome] = await ingestRecords(db(), 'exact', entities.products, [record])
    expect(outcome).toMatchObject({
      outcome: 'rejected',
      errors: [{ field: 'price', message: expect.stringMatching(message) }],
    })
  })

  it.each([
    ['total_amount', { total: '0.00001' }],
    ['items.0.quantity', { quantity: '1.00001' }],
    ['items.0.quantity', { quantity: '-1' }],
    ['items.0.unit_price', { unit: '1000000000000' }],
    ['items.0.amount', { amount: '-1000000000000' }],
  ])('rejects an over-limit %s naming the field', async (field, values) => {
    const [outcome] = await ingestRecords(db(), 'exact', entities.transactions, [transaction('TX', values)])
    expect(outcome).toMatchObject({ outcome: 'rejected', errors: [{ field, message: expect.any(String) }] })
  })
})

describe('attribute numbers are never altered', () => {
  it.each([['1e400'], ['-1e400'], ['1e-400'], ['12345678901234567890'], ['0.1234567890123456789']])(
    'rejects the number %s, naming the attribute',
    async (json) => {
      const [record] = parseRecordJson(`[{"id":"CA","attributes":{"n":${json}},"updated_at":"${at}"}]`) as unknown[]
      const [outcome] = await ingestRecords(db(), 'exact', entities.customers, [record])
      expect(outcome).toMatchObject({
        outcome: 'rejected',
        errors: [{ field: 'attributes.n', message: expect.stringMatching(/send it as a string/) }],
      })
    },
  )

  it('keeps numbers a double holds exactly, however they are written', async () => {
    const [record] = parseRecordJson(
      `[{"id":"CB","attributes":{"a":1.50,"b":1e2,"c":-0.5,"d":9007199254740991},"updated_at":"${at}"}]`,
    ) as unknown[]
    expect(await ingestRecords(db(), 'exact', entities.customers, [record])).toEqual([
      { index: 0, id: 'CB', outcome: 'created' },
    ])
    const stored = await readEntity(db(), 'exact', entities.customers, 'CB')
    expect(stored?.entity.attributes).toEqual({ a: 1.5, b: 100, c: -0.5, d: 9007199254740991 })
  })
})

describe('newest wins to the microsecond', () => {
  const customer = (id: string, updatedAt: string, name: string) => ({ id, first_name: name, updated_at: updatedAt })
  const outcome = async (record: unknown) => (await ingestRecords(db(), 'exact', entities.customers, [record]))[0]

  it('compares source times at the microseconds stored, offsets included', async () => {
    expect(await outcome(customer('CM-1', '2026-11-21T08:15:52.076823Z', 'stored'))).toMatchObject({
      outcome: 'created',
    })
    expect(await outcome(customer('CM-1', '2026-11-21T08:15:52.076822Z', 'older'))).toMatchObject({ outcome: 'stale' })
    expect(await outcome(customer('CM-1', '2026-11-21T09:15:52.076822+01:00', 'older'))).toMatchObject({
      outcome: 'stale',
    })
    expect(await outcome(customer('CM-1', '2026-11-21T08:15:52.076823Z', 'stored'))).toMatchObject({
      outcome: 'unchanged',
    })
    expect(await outcome(customer('CM-1', '2026-11-21T07:15:52.076824-01:00', 'newer'))).toMatchObject({
      outcome: 'updated',
    })
    expect(await outcome(customer('CM-1', '2026-11-21T08:15:52.076823Z', 'stored'))).toMatchObject({ outcome: 'stale' })
    const stored = await readEntity(db(), 'exact', entities.customers, 'CM-1')
    expect(stored?.entity.first_name).toBe('newer')
  })

  it('answers any update of a deleted customer as stale, even one from the last microsecond of 9999', async () => {
    await outcome(customer('CM-2', '2026-11-21T08:15:52Z', 'before'))
    expect(await deleteCustomer(db(), 'exact', 'CM-2')).toBe('deleted')
    expect(await outcome(customer('CM-2', '9999-12-31T23:59:59.999999Z', 'after'))).toMatchObject({ outcome: 'stale' })
    const erased = (await readEntity(db(), 'exact', entities.customers, 'CM-2'))?.entity
    expect(erased?.first_name).toBeNull()
    // source_updated_at stays the source's time of the erased version: no stand-in date.
    expect(erased?.source_updated_at).toBe('2026-11-21T08:15:52.000000Z')
  })

  it.each([
    ['updated_at', '2026-11-21T08:15:52.0768231Z'],
    ['occurred_at', '2026-11-21T08:15:52.123456789+01:00'],
  ])('rejects %s with more than microseconds, naming the rule', async (field, value) => {
    const record = { id: 'EV-1', customer_id: 'C-1', event_type: 'x', occurred_at: value, updated_at: value }
    const [result] = await ingestRecords(db(), 'exact', entities.customer_events, [record])
    expect(result).toMatchObject({
      outcome: 'rejected',
      errors: expect.arrayContaining([{ field, message: expect.stringMatching(/microsecond/) }]),
    })
  })
})

describe('sourceTime', () => {
  it('reads an instant to the microsecond, offsets and times before 1970 included', () => {
    expect(sourceTime('1970-01-01T00:00:00Z')).toEqual({ ms: 0, micros: 0 })
    expect(sourceTime('1969-12-31T23:59:59.999999Z')).toEqual({ ms: -1, micros: 999 })
    expect(sourceTime('1970-01-01T01:00:00.5+01:00')).toEqual({ ms: 500, micros: 0 })
    expect(sourceTime('1970-01-01T00:00:00.0005-00:30')).toEqual({ ms: 1_800_000, micros: 500 })
    expect(sourceTime('2026-11-21T09:15:52.076823+01:00')).toEqual({ ms: 1_795_248_952_076, micros: 823 })
    expect(sourceTime('2026-11-21T08:15:52.07Z')).toEqual({ ms: 1_795_248_952_070, micros: 0 })
    expect(sourceTime('2026-11-21T08:15:52.0768230Z')).toEqual({ ms: 1_795_248_952_076, micros: 823 })
  })

  it('orders any two instants as their exact microseconds do (generated)', () => {
    /** Epoch microseconds as a BigInt, the slow and obvious way. */
    const reference = (value: string) => {
      const offset = value.endsWith('Z') ? 'Z' : value.slice(-6)
      const fraction = /\.(\d+)/.exec(value)?.[1] ?? ''
      const seconds = Date.parse(`${value.slice(0, 19)}${offset}`)
      return BigInt(seconds) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6))
    }
    const two = (n: number) => String(n).padStart(2, '0')
    const instantText = fc
      .record({
        year: fc.integer({ min: 1, max: 9999 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.integer({ min: 0, max: 59 }),
        fraction: fc.stringMatching(/^(\d{1,6}0*)?$/),
        offset: fc.constantFrom('Z', '+01:00', '-01:00', '+14:00', '-12:00', '+05:30', '-00:30'),
      })
      .map(
        (t) =>
          `${String(t.year).padStart(4, '0')}-${two(t.month)}-${two(t.day)}T${two(t.hour)}:${two(t.minute)}:${two(t.second)}${t.fraction ? `.${t.fraction}` : ''}${t.offset}`,
      )
    fc.assert(
      fc.property(instantText, instantText, (a, b) => {
        const expected = reference(a) < reference(b) ? -1 : reference(a) > reference(b) ? 1 : 0
        expect(Math.sign(compareSourceTimes(sourceTime(a), sourceTime(b)))).toBe(expected)
        expect(Math.sign(compareSourceTimes(sourceTime(a), sourceTime(a)))).toBe(0)
      }),
      { numRuns: 5_000 },
    )
  })

  it('orders times a microsecond apart, whatever their offsets', () => {
    const earlier = sourceTime('2026-11-21T08:15:52.076822Z')
    const later = sourceTime('2026-11-21T07:15:52.076823-01:00')
    expect(compareSourceTimes(earlier, later)).toBeLessThan(0)
    expect(compareSourceTimes(later, earlier)).toBeGreaterThan(0)
    expect(compareSourceTimes(later, sourceTime('2026-11-21T09:15:52.076823+01:00'))).toBe(0)
  })
})
