import { describe, expect, it } from 'vitest'
import { appendOutboxEvents } from '../../src/outbox/append-outbox-events.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db

const eventsOf = (brandId: string) =>
  db()
    .selectFrom('outbox_events')
    .select(['id', 'event_type', 'entity_type', 'entity_id'])
    .where('brand_id', '=', brandId)
    .orderBy('id')
    .execute()

describe('appendOutboxEvents', () => {
  it('appends many events in one statement, each with a UUIDv7 id', async () => {
    await addBrand(db(), 'outbox', 'UTC')
    const events = Array.from({ length: 1_500 }, (_, i) => ({
      eventType: i % 2 ? 'CUSTOMER.UPDATED' : 'CUSTOMER.CREATED',
      entityType: 'customers',
      entityId: `C-"${i}"\u00e9`,
    }))
    await db()
      .transaction()
      .execute((trx) => appendOutboxEvents(trx, 'outbox', events))
    const stored = await eventsOf('outbox')
    expect(stored).toHaveLength(1_500)
    expect(stored.every((e) => /^[0-9a-f]{8}-[0-9a-f]{4}-7/.test(e.id))).toBe(true)
    expect(new Set(stored.map((e) => e.entity_id))).toEqual(new Set(events.map((e) => e.entityId)))
    expect(stored.find((e) => e.entity_id === 'C-"1"\u00e9')).toMatchObject({
      event_type: 'CUSTOMER.UPDATED',
      entity_type: 'customers',
    })
  })

  it('writes in the caller transaction: events of a rolled-back change do not exist', async () => {
    await addBrand(db(), 'rolled-back', 'UTC')
    await expect(
      db()
        .transaction()
        .execute(async (trx) => {
          await appendOutboxEvents(trx, 'rolled-back', [
            { eventType: 'CUSTOMER.DELETED', entityType: 'customers', entityId: 'C-1' },
          ])
          expect(
            await trx.selectFrom('outbox_events').select('id').where('brand_id', '=', 'rolled-back').execute(),
          ).toHaveLength(1)
          throw new Error('the change fails')
        }),
    ).rejects.toThrow('the change fails')
    expect(await eventsOf('rolled-back')).toEqual([])
  })
})
