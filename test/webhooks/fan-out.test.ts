import { sql } from 'kysely'
import pg from 'pg'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { appendOutboxEvents, type NewOutboxEvent } from '../../src/outbox/append-outbox-events.ts'
import { eventCatalogue, subscriptionCovers } from '../../src/webhooks/event-catalogue.ts'
import { fanOutEvents } from '../../src/webhooks/fan-out.ts'
import { createWebhook, setWebhookEnabled } from '../../src/webhooks/webhook-repository.ts'
import { addBrand } from '../support/fixtures.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db
const now = new Date('2026-11-30T10:00:00Z')

async function append(brandId: string, events: NewOutboxEvent[]) {
  await db()
    .transaction()
    .execute((trx) => appendOutboxEvents(trx, brandId, events))
}

async function webhook(brandId: string, endpoint: string, events: string[]) {
  const result = await createWebhook(db(), brandId, { endpoint, events, enabled: true, headers: {} })
  if (!('created' in result)) throw new Error('duplicate webhook')
  return result.created.id
}

const deliveriesOf = (webhookId: string) =>
  db()
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_messages as m', 'm.event_id', 'd.event_id')
    .select(['m.event_type', 'm.entity_id', 'd.next_attempt_at'])
    .where('d.webhook_id', '=', webhookId)
    .orderBy('d.event_id')
    .execute()

const customer = (id: string, change = 'CREATED'): NewOutboxEvent => ({
  eventType: `CUSTOMER.${change}`,
  entityType: 'customers',
  entityId: id,
})

beforeAll(async () => {
  for (const brand of ['fan-a', 'fan-b']) await addBrand(db(), brand, 'UTC')
})

beforeEach(async () => {
  await db().deleteFrom('webhooks').execute()
  await db().deleteFrom('webhook_messages').execute()
  await db().deleteFrom('outbox_events').execute()
})

describe('fanOutEvents', () => {
  it('makes one delivery per enabled webhook of the brand whose subscriptions cover the type, due at once', async () => {
    const all = await webhook('fan-a', 'https://example.com/all', ['CUSTOMER', 'ORDER_EVENTS'])
    const shipped = await webhook('fan-a', 'https://example.com/shipped', ['ORDER_EVENTS.OMS.ORDER_SHIPPED'])
    const off = await webhook('fan-a', 'https://example.com/off', ['CUSTOMER'])
    await setWebhookEnabled(db(), 'fan-a', off, false)
    const otherBrand = await webhook('fan-b', 'https://example.com/b', ['CUSTOMER'])
    await append('fan-a', [
      customer('C-1'),
      { eventType: 'ORDER_EVENTS.OMS.ORDER_SHIPPED', entityType: 'published_events', entityId: 'E-1' },
      { eventType: 'ORDER_EVENTS.OMS.ORDER_CANCELLED', entityType: 'published_events', entityId: 'E-2' },
      { eventType: 'RECEIPTS', entityType: 'published_events', entityId: 'E-3' },
    ])

    expect(await fanOutEvents(db(), { now, batchSize: 100 })).toMatchObject({ events: 4, deliveries: 4 })

    expect((await deliveriesOf(all)).map((d) => d.event_type)).toEqual([
      'CUSTOMER.CREATED',
      'ORDER_EVENTS.OMS.ORDER_SHIPPED',
      'ORDER_EVENTS.OMS.ORDER_CANCELLED',
    ])
    expect(await deliveriesOf(shipped)).toEqual([
      { event_type: 'ORDER_EVENTS.OMS.ORDER_SHIPPED', entity_id: 'E-1', next_attempt_at: now },
    ])
    expect(await deliveriesOf(off)).toEqual([])
    expect(await deliveriesOf(otherBrand)).toEqual([])
    // The outbox is emptied, wanted or not; an event becomes one message however many webhooks want it.
    expect(await db().selectFrom('outbox_events').select('id').execute()).toEqual([])
    expect(await db().selectFrom('webhook_messages').select('event_type').orderBy('event_id').execute()).toHaveLength(3)
  })

  it('does not take a prefix that is only a prefix of the text (CUSTOMER does not cover CUSTOMER_EVENT.CREATED)', async () => {
    const customers = await webhook('fan-a', 'https://example.com/customers', ['CUSTOMER'])
    await append('fan-a', [{ eventType: 'CUSTOMER_EVENT.CREATED', entityType: 'customer_events', entityId: 'CE-1' }])
    await fanOutEvents(db(), { now, batchSize: 100 })
    expect(await deliveriesOf(customers)).toEqual([])
  })

  it('matches subscriptions as the catalogue does, for every type and every prefix of a type', async () => {
    const types = eventCatalogue.map((e) => e.type)
    const prefixes = [
      ...new Set(types.flatMap((t) => t.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.')))),
    ]
    const hooks = new Map<string, string>()
    for (const prefix of prefixes) hooks.set(await webhook('fan-a', `https://example.com/${prefix}`, [prefix]), prefix)
    await append(
      'fan-a',
      types.map((type) => ({ eventType: type, entityType: 'published_events', entityId: type })),
    )
    await fanOutEvents(db(), { now, batchSize: 1_000 })
    const made = await db()
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_messages as m', 'm.event_id', 'd.event_id')
      .select(['d.webhook_id', 'm.event_type'])
      .execute()
    const pairs = (list: { prefix: string; type: string }[]) => list.map((p) => `${p.prefix} <- ${p.type}`).sort()
    expect(pairs(made.map((d) => ({ prefix: hooks.get(d.webhook_id) ?? '?', type: d.event_type })))).toEqual(
      pairs(
        prefixes.flatMap((prefix) =>
          types.filter((type) => subscriptionCovers(prefix, type)).map((type) => ({ prefix, type })),
        ),
      ),
    )
  })

  it('takes the oldest events first, a batch at a time', async () => {
    const hook = await webhook('fan-a', 'https://example.com/batches', ['CUSTOMER'])
    await append(
      'fan-a',
      Array.from({ length: 25 }, (_, i) => customer(`C-${String(i).padStart(2, '0')}`)),
    )
    const first = await fanOutEvents(db(), { now, batchSize: 10 })
    expect(first).toMatchObject({ events: 10, deliveries: 10 })
    // The newest event still in the outbox, by the time in its UUIDv7 id: the worker's sign of a burst.
    const newest = await db().selectFrom('outbox_events').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(first.newestEventAt?.getTime()).toBe(Number.parseInt(newest.id.replace('-', '').slice(0, 12), 16))
    expect(Math.abs((first.newestEventAt?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000)
    expect((await deliveriesOf(hook)).map((d) => d.entity_id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `C-${String(i).padStart(2, '0')}`),
    )
    expect(await fanOutEvents(db(), { now, batchSize: 10 })).toMatchObject({ events: 10, deliveries: 10 })
    expect(await fanOutEvents(db(), { now, batchSize: 10 })).toMatchObject({ events: 5, deliveries: 5 })
    expect(await fanOutEvents(db(), { now, batchSize: 10 })).toEqual({
      events: 0,
      deliveries: 0,
      newestEventAt: undefined,
    })
  })

  it("a customer's deletion erases the kept bodies of its earlier events and ends their pending deliveries", async () => {
    const hook = await webhook('fan-a', 'https://example.com/erase', ['CUSTOMER'])
    await append('fan-a', [customer('C-erased'), customer('C-kept')])
    await fanOutEvents(db(), { now, batchSize: 100 })
    await db()
      .updateTable('webhook_messages')
      .set({ body: sql<string>`'{"data":{"email":"ada@example.com"}}'` })
      .execute()
    await append('fan-a', [customer('C-erased', 'DELETED')])
    await fanOutEvents(db(), { now, batchSize: 100 })

    const messages = await db()
      .selectFrom('webhook_messages')
      .select(['event_type', 'entity_id', 'body', 'erased_at'])
      .orderBy('event_id')
      .execute()
    expect(messages).toEqual([
      { event_type: 'CUSTOMER.CREATED', entity_id: 'C-erased', body: null, erased_at: now },
      {
        event_type: 'CUSTOMER.CREATED',
        entity_id: 'C-kept',
        body: '{"data":{"email":"ada@example.com"}}',
        erased_at: null,
      },
      { event_type: 'CUSTOMER.DELETED', entity_id: 'C-erased', body: null, erased_at: null },
    ])
    expect((await deliveriesOf(hook)).map((d) => [d.event_type, d.entity_id, d.next_attempt_at])).toEqual([
      ['CUSTOMER.CREATED', 'C-erased', null],
      ['CUSTOMER.CREATED', 'C-kept', now],
      ['CUSTOMER.DELETED', 'C-erased', now],
    ])
  })
})

describe('fanOutEvents with several sessions', () => {
  it('takes an event whose transaction commits after newer events were fanned out (no high-water mark to skip it)', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const hook = await webhook('fan-a', 'https://example.com/late', ['CUSTOMER'])
    const late = new pg.Client({ connectionString: database.current.url })
    await late.connect()
    try {
      // The late transaction appends first, so its event has the older UUIDv7 id, and commits last.
      await late.query('begin')
      await late.query(
        `insert into outbox_events (id, brand_id, event_type, entity_type, entity_id)
         values ('00000000-0000-7000-8000-000000000001', 'fan-a', 'CUSTOMER.CREATED', 'customers', 'C-late')`,
      )
      await append('fan-a', [customer('C-early')])
      await fanOutEvents(db(), { now, batchSize: 100 })
      expect((await deliveriesOf(hook)).map((d) => d.entity_id)).toEqual(['C-early'])

      await late.query('commit')
      expect(await fanOutEvents(db(), { now, batchSize: 100 })).toMatchObject({ events: 1, deliveries: 1 })
      expect((await deliveriesOf(hook)).map((d) => d.entity_id).sort()).toEqual(['C-early', 'C-late'])
    } finally {
      await late.end()
    }
  })

  it('lets workers fan out at once without taking an event twice', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const hook = await webhook('fan-a', 'https://example.com/race', ['CUSTOMER'])
    await append(
      'fan-a',
      Array.from({ length: 2_000 }, (_, i) => customer(`C-${i}`)),
    )
    const rounds = await Promise.all(
      Array.from({ length: 4 }, async () => {
        let taken = 0
        for (;;) {
          const { events } = await fanOutEvents(db(), { now, batchSize: 50 })
          if (events === 0) return taken
          taken += events
        }
      }),
    )
    expect(rounds.reduce((a, b) => a + b, 0)).toBe(2_000)
    expect(rounds.filter((taken) => taken > 0).length).toBeGreaterThan(1)
    expect(await deliveriesOf(hook)).toHaveLength(2_000)
  })
})
