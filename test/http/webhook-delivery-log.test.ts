import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { apiErrorResponseSchema, webhookEventsPage } from '../../src/http/response-schemas.ts'
import { subscriptionCovers } from '../../src/webhooks/event-catalogue.ts'
import { addWebhook } from '../support/delivery-fixtures.ts'
import { type SeededDelivery, type SeededEvent, seedDeliveries } from '../support/delivery-log-fixtures.ts'
import { documented, expectError, expectMatches } from '../support/documented-answers.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The delivery log's filters (status, type, time) and keyset pages over GET .../webhooks/{id}/events,
// against a real PostgreSQL: seeded deliveries in every state are read back page by page and
// compared with the same filter applied to what was seeded.

const database = useTestDatabase()
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 40)
let app: FastifyInstance
let keyA: string
let keyB: string
let endpoints = 0

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'UTC')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  app = buildApp({ database: database.current.handle, rateLimit: { requests: 1_000_000, windowMs: 60_000 } })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const auth = (key = keyA) => ({ authorization: `Bearer ${key}` })
const base = Date.parse('2026-11-29T00:00:00Z')
const at = (minutes: number) => new Date(base + minutes * 60_000)

async function webhookWith(deliveries: readonly SeededDelivery[]) {
  const webhook = await addWebhook(database.current.handle.db, 'brand-a', `https://example.com/log/${++endpoints}`)
  const events = await seedDeliveries(database.current.handle.db, { id: webhook.id, brandId: 'brand-a' }, deliveries)
  return { id: webhook.id, events }
}

/** Every page of the list for `query`, following page.lastId; each page checked against the schema. */
async function allPages(webhookId: string, query: Record<string, string>, size = 3) {
  const ids: string[] = []
  let startId: string | null = null
  for (let page = 0; page < 1000; page++) {
    const search = new URLSearchParams({ ...query, size: String(size), ...(startId ? { startId } : {}) })
    const answer = await app.inject({
      method: 'GET',
      url: `/v1/brand-a/webhooks/${webhookId}/events?${search}`,
      headers: auth(),
    })
    expect(answer.statusCode, answer.body).toBe(200)
    const body = expectMatches(webhookEventsPage, answer, search.toString())
    expect(body.events.length).toBeLessThanOrEqual(size)
    ids.push(...body.events.map((e) => e.id))
    startId = body.page.lastId
    if (startId === null) return ids
  }
  throw new Error('more than 1000 pages')
}

const statusOf = (e: SeededEvent) => (e.state === 'success' ? 'success' : e.state === 'pending' ? 'pending' : 'failure')

/** The model: the seeded events the filter keeps, newest first (time, then id). */
function expected(events: readonly SeededEvent[], query: Record<string, string>): string[] {
  return events
    .filter((e) => query.status === undefined || statusOf(e) === query.status)
    .filter((e) => query.type === undefined || subscriptionCovers(query.type, e.type))
    .filter((e) => query.start === undefined || e.occurredAt.getTime() >= Date.parse(query.start))
    .filter((e) => query.end === undefined || e.occurredAt.getTime() < Date.parse(query.end))
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.eventId < b.eventId ? 1 : -1))
    .map((e) => e.eventId)
}

const types = [
  'RECEIPTS',
  'ORDER_EVENTS.OMS.ORDER_SHIPPED',
  'ORDER_EVENTS.OMS.ORDER_CANCELLED',
  'ORDER_EVENTS.TRACKING.SHIPMENT_DELIVERED',
  'CUSTOMER.CREATED',
  'WEBHOOK.TEST',
]
const filterTypes = [...types, 'ORDER_EVENTS', 'ORDER_EVENTS.OMS', 'CUSTOMER', 'WEBHOOK']

describe('GET /v1/{brandId}/webhooks/{id}/events filters', () => {
  it('keeps the deliveries of one status: success, pending (a next attempt is due), failure (given up or erased)', async () => {
    const { id, events } = await webhookWith([
      { type: 'RECEIPTS', occurredAt: at(1), state: 'success' },
      { type: 'RECEIPTS', occurredAt: at(2), state: 'pending', attempts: 2 },
      { type: 'RECEIPTS', occurredAt: at(3), state: 'pending', attempts: 0 },
      { type: 'RECEIPTS', occurredAt: at(4), state: 'failure', attempts: 10 },
      { type: 'RECEIPTS', occurredAt: at(5), state: 'erased' },
    ])
    const [success, failing, queued, givenUp, erased] = events.map((e) => e.eventId)
    expect(await allPages(id, { status: 'success' })).toEqual([success])
    expect(await allPages(id, { status: 'pending' })).toEqual([queued, failing])
    expect(await allPages(id, { status: 'failure' })).toEqual([erased, givenUp])
    expect(await allPages(id, {})).toEqual([erased, givenUp, queued, failing, success])
    documented('/v1/{brandId}/webhooks/{id}/events', 'GET', 200)
  })

  it('keeps one type, or every type below a prefix, and test sends under WEBHOOK.TEST', async () => {
    const { id, events } = await webhookWith(types.map((type, i) => ({ type, occurredAt: at(i), state: 'success' })))
    const idOf = (type: string) => events.find((e) => e.type === type)?.eventId
    expect(await allPages(id, { type: 'ORDER_EVENTS.OMS' })).toEqual([
      idOf('ORDER_EVENTS.OMS.ORDER_CANCELLED'),
      idOf('ORDER_EVENTS.OMS.ORDER_SHIPPED'),
    ])
    expect(await allPages(id, { type: 'ORDER_EVENTS' })).toHaveLength(3)
    expect(await allPages(id, { type: 'RECEIPTS' })).toEqual([idOf('RECEIPTS')])
    expect(await allPages(id, { type: 'WEBHOOK.TEST' })).toEqual([idOf('WEBHOOK.TEST')])
  })

  it('pages any combination of filters without losing or repeating an event (property)', async () => {
    const delivery = fc.record({
      type: fc.constantFrom(...types),
      occurredAt: fc.integer({ min: 0, max: 120 }).map(at),
      state: fc.constantFrom('success', 'pending', 'failure', 'erased' as const),
      attempts: fc.integer({ min: 1, max: 3 }),
    })
    const filter = fc.record(
      {
        status: fc.constantFrom('success', 'pending', 'failure'),
        type: fc.constantFrom(...filterTypes),
        start: fc.integer({ min: 0, max: 60 }).map((m) => at(m).toISOString()),
        end: fc.integer({ min: 60, max: 121 }).map((m) => at(m).toISOString()),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(delivery, { maxLength: 25 }),
        filter,
        fc.integer({ min: 1, max: 7 }),
        async (deliveries, query, size) => {
          const { id, events } = await webhookWith(deliveries)
          expect(await allPages(id, query, size)).toEqual(expected(events, query))
        },
      ),
      { numRuns: runs },
    )
  })

  it('names a bad status, type or an unknown startId in a 422', async () => {
    const { id } = await webhookWith([{ type: 'RECEIPTS', occurredAt: at(1), state: 'success' }])
    const cases: [string, Record<string, string>][] = [
      ['status=FAILURE', { status: 'status must be one of success, failure, pending' }],
      [
        'type=ORDER_EVENTS.OMS.ORDER',
        {
          type: 'type must be an event type or a prefix of types from the catalogue (or WEBHOOK.TEST), such as ORDER_EVENTS',
        },
      ],
      ['type=', { type: expect.stringContaining('type must be') as unknown as string }],
      [
        'startId=0193a5b2-0000-7000-8000-000000000001',
        { startId: 'startId must be an event of this webhook, as page.lastId gives it' },
      ],
      ['status=success&status=pending', { status: 'give status once' }],
    ]
    for (const [query, validations] of cases) {
      const answer = await app.inject({
        method: 'GET',
        url: `/v1/brand-a/webhooks/${id}/events?${query}`,
        headers: auth(),
      })
      expect(expectError(answer, 422, '/v1/{brandId}/webhooks/{id}/events', 'GET').validations, query).toEqual(
        validations,
      )
    }
  })

  it('answers hostile status and type values with a 200 or a 422 in the documented shape, never 5xx (property)', async () => {
    const { id } = await webhookWith([{ type: 'RECEIPTS', occurredAt: at(1), state: 'success' }])
    const hostile = fc.oneof(
      fc.constantFrom(...hostileCharacters),
      fc.string({ maxLength: 12, unit: 'binary' }),
      fc.constantFrom(...filterTypes).map((t) => `${t}%`),
      fc.constantFrom(...filterTypes).map((t) => `${t}.`),
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('status', 'type'), hostile, async (name, value) => {
        let encoded: string
        try {
          encoded = encodeURIComponent(value)
        } catch {
          encoded = escape(value)
        }
        const answer = await app.inject({
          method: 'GET',
          url: `/v1/brand-a/webhooks/${id}/events?${name}=${encoded}`,
          headers: auth(),
        })
        expect([200, 400, 422], answer.body).toContain(answer.statusCode)
        const schema = answer.statusCode === 200 ? webhookEventsPage : apiErrorResponseSchema
        expect(schema.safeParse(answer.json()).success, answer.body).toBe(true)
      }),
      { numRuns: runs * 5 },
    )
  })

  it('shows another brand’s webhook log to nobody but that brand: 403 with its path, 404 with one’s own', async () => {
    const { id } = await webhookWith([{ type: 'RECEIPTS', occurredAt: at(1), state: 'failure' }])
    const foreign = await app.inject({
      method: 'GET',
      url: `/v1/brand-a/webhooks/${id}/events?status=failure`,
      headers: auth(keyB),
    })
    expectError(foreign, 403, '/v1/{brandId}/webhooks/{id}/events', 'GET')
    const own = await app.inject({
      method: 'GET',
      url: `/v1/brand-b/webhooks/${id}/events?status=failure`,
      headers: auth(keyB),
    })
    expectError(own, 404, '/v1/{brandId}/webhooks/{id}/events', 'GET')
  })
})
