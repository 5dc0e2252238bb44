import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { signRequest } from '../../src/http/request-signature.ts'
import { type apiErrorResponseSchema, publishResponse } from '../../src/http/response-schemas.ts'
import { publishedEventEntityType } from '../../src/webhooks/publish-event.ts'
import { maxDataDepth } from '../../src/webhooks/publish-request.ts'
import { readPublishedEvents } from '../../src/webhooks/published-event-reader.ts'
import { type Answer, documented, expectError as expectErrorOf, expectMatches } from '../support/documented-answers.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// POST /v1/{brandId}/events against a real PostgreSQL: every answer is parsed with the zod schema
// the OpenAPI document is generated from and its status checked to be documented; what is stored
// is read back through the reader delivery uses, and the outbox is counted.

const database = useTestDatabase()
let app: FastifyInstance
let keyA: string
let keyB: string
const path = '/v1/{brandId}/events'

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  app = buildApp({ database: database.current.handle, rateLimit: { requests: 10_000, windowMs: 60_000 } })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const auth = (key = keyA) => ({ authorization: `Bearer ${key}` })

const publish = (payload: unknown, brand = 'brand-a', key = keyA) =>
  app.inject({
    method: 'POST',
    url: `/v1/${brand}/events`,
    headers: { ...auth(key), 'content-type': 'application/json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  })

function expectAccepted(answer: Answer): z.infer<typeof publishResponse> {
  expect(answer.statusCode, answer.body).toBe(202)
  documented(path, 'POST', 202)
  return expectMatches(publishResponse, answer)
}

function expectError(answer: Answer, status: number): z.infer<typeof apiErrorResponseSchema> {
  return expectErrorOf(answer, status, path, 'POST')
}

/** The outbox events that name a brand's published event. */
async function outboxFor(brandId: string, eventId: string) {
  return database.current.handle.db
    .selectFrom('outbox_events')
    .select(['event_type', 'entity_type', 'entity_id'])
    .where('brand_id', '=', brandId)
    .where('entity_type', '=', publishedEventEntityType)
    .where('entity_id', '=', eventId)
    .execute()
}

const shipped = (id: string, data: Record<string, unknown> = { orderId: 'ORD-1' }) => ({
  id,
  type: 'ORDER_EVENTS.OMS.ORDER_SHIPPED',
  data,
})

describe('POST /v1/{brandId}/events', () => {
  it('stores a new event, answers 202 created, and records it once in the outbox for delivery', async () => {
    const data = {
      orderId: 'ORD-100234',
      customerId: 'C-1001',
      occurredAt: '2026-11-29T10:04:00Z',
      carrier: 'DHL',
      attributes: { warehouse: 'LDS-2', lines: [{ sku: 'SKU-1', qty: 2 }], price: 59.9, gift: false, note: null },
    }
    const answer = expectAccepted(await publish({ events: [shipped('OMS-1', data)] }))
    expect(answer).toEqual({
      summary: { created: 1, duplicate: 0 },
      results: [{ index: 0, id: 'OMS-1', outcome: 'created' }],
    })
    expect(await outboxFor('brand-a', 'OMS-1')).toEqual([
      { event_type: 'ORDER_EVENTS.OMS.ORDER_SHIPPED', entity_type: 'published_events', entity_id: 'OMS-1' },
    ])
    const stored = (await readPublishedEvents(database.current.handle.db, 'brand-a', ['OMS-1'])).get('OMS-1')
    expect(stored).toMatchObject({ type: 'ORDER_EVENTS.OMS.ORDER_SHIPPED', data })
    expect(stored?.receivedAt).toBeInstanceOf(Date)
  })

  it('answers the same id with the same type and data again as a duplicate, in any key order, and adds no outbox event', async () => {
    const data = { orderId: 'ORD-2', status: 'shipped', attributes: { a: 1, b: [1, 2] } }
    expectAccepted(await publish({ events: [shipped('OMS-2', data)] }))
    const reordered =
      '{"events": [{"data": {"attributes": {"b": [1, 2.0], "a": 1.0}, "status": "shipped", "orderId": "ORD-2"}, "type": "ORDER_EVENTS.OMS.ORDER_SHIPPED", "id": "OMS-2"}]}'
    for (const again of [JSON.stringify({ events: [shipped('OMS-2', data)] }), reordered]) {
      expect(expectAccepted(await publish(again))).toEqual({
        summary: { created: 0, duplicate: 1 },
        results: [{ index: 0, id: 'OMS-2', outcome: 'duplicate' }],
      })
    }
    expect(await outboxFor('brand-a', 'OMS-2')).toHaveLength(1)
  })

  it('answers 409 naming the event for the same id with other data or another type, and stores nothing of that request', async () => {
    expectAccepted(await publish({ events: [shipped('OMS-3', { orderId: 'ORD-3' })] }))
    for (const changed of [
      shipped('OMS-3', { orderId: 'ORD-3', status: 'late' }),
      { id: 'OMS-3', type: 'ORDER_EVENTS.OMS.ORDER_CANCELLED', data: { orderId: 'ORD-3' } },
    ]) {
      const error = expectError(await publish({ events: [shipped('OMS-3-NEW'), changed] }), 409)
      expect(error.message).toBe('CONFLICT')
      expect(Object.keys(error.validations ?? {})).toEqual(['events.1.id'])
      expect(error.validations?.['events.1.id']).toContain('published before with another type or data')
    }
    const stored = await readPublishedEvents(database.current.handle.db, 'brand-a', ['OMS-3', 'OMS-3-NEW'])
    expect([...stored.keys()]).toEqual(['OMS-3'])
    expect(stored.get('OMS-3')?.data).toEqual({ orderId: 'ORD-3' })
    expect(await outboxFor('brand-a', 'OMS-3-NEW')).toEqual([])
    expect(await outboxFor('brand-a', 'OMS-3')).toHaveLength(1)
  })

  it('takes a batch: new events created, known ones duplicate, an identical repeat inside it duplicate, one outbox event per new id', async () => {
    expectAccepted(await publish({ events: [shipped('B-1')] }))
    const answer = expectAccepted(
      await publish({
        events: [
          shipped('B-1'),
          { id: 'B-2', type: 'RECEIPTS', data: { receiptId: 'R-1' } },
          { id: 'B-3', type: 'NOTIFICATION.SMS.RECEIPT', data: { messageId: 'SM-1', status: 'delivered' } },
          { id: 'B-2', type: 'RECEIPTS', data: { receiptId: 'R-1' } },
          { id: 'B-4', type: 'ORDER_EVENTS.TRACKING.SHIPMENT_DELIVERED', data: { orderId: 'O-9', carrier: 'UPS' } },
        ],
      }),
    )
    expect(answer.summary).toEqual({ created: 3, duplicate: 2 })
    expect(answer.results.map((r) => `${r.index}:${r.id}:${r.outcome}`)).toEqual([
      '0:B-1:duplicate',
      '1:B-2:created',
      '2:B-3:created',
      '3:B-2:duplicate',
      '4:B-4:created',
    ])
    for (const id of ['B-1', 'B-2', 'B-3', 'B-4']) expect(await outboxFor('brand-a', id), id).toHaveLength(1)
    expect((await outboxFor('brand-a', 'B-4'))[0]?.event_type).toBe('ORDER_EVENTS.TRACKING.SHIPMENT_DELIVERED')
  })

  it('answers 409 for an id repeated inside one request with other data, storing nothing', async () => {
    const error = expectError(
      await publish({ events: [shipped('R-1', { orderId: 'A' }), shipped('R-2'), shipped('R-1', { orderId: 'B' })] }),
      409,
    )
    expect(error.validations).toEqual({ 'events.2.id': expect.stringContaining('repeats the id of events.0') })
    expect((await readPublishedEvents(database.current.handle.db, 'brand-a', ['R-1', 'R-2'])).size).toBe(0)
  })

  const deep = (levels: number): unknown => (levels === 0 ? 'x' : { d: deep(levels - 1) })

  it.each([
    [{ events: [{ id: 'E-1', type: 'NOPE', data: {} }] }, 'events.0.type', 'unknown event type "NOPE"'],
    [
      { events: [{ id: 'E-1', type: 'CUSTOMER.CREATED', data: {} }] },
      'events.0.type',
      'produced by the platform itself',
    ],
    [
      { events: [{ id: 'E-1', type: 'EXPORTS.DAILY.COMPLETED', data: {} }] },
      'events.0.type',
      'produced by the platform',
    ],
    [{ events: [{ id: 'E-1', type: 'ORDER_EVENTS', data: {} }] }, 'events.0.type', 'a prefix of types, not a type'],
    [{ events: [{ id: 'E-1', type: 'ORDER_EVENTS.OMS', data: {} }] }, 'events.0.type', 'ORDER_EVENTS.OMS.ORDER_'],
    [{ events: [{ id: 'E-1', data: { orderId: 'O' } }] }, 'events.0.type', 'type is required'],
    [{ events: [{ id: 'E-1', type: 7, data: { orderId: 'O' } }] }, 'events.0.type', 'must be a string'],
    [{ events: [{ type: 'RECEIPTS', data: { receiptId: 'R' } }] }, 'events.0.id', 'id is required'],
    [{ events: [{ id: '', type: 'RECEIPTS', data: { receiptId: 'R' } }] }, 'events.0.id', 'id is required'],
    [{ events: [{ id: 'has space', type: 'RECEIPTS', data: { receiptId: 'R' } }] }, 'events.0.id', '1-128 letters'],
    [{ events: [{ id: 12, type: 'RECEIPTS', data: { receiptId: 'R' } }] }, 'events.0.id', '1-128 letters'],
    [{ events: [{ id: 'x'.repeat(129), type: 'RECEIPTS', data: { receiptId: 'R' } }] }, 'events.0.id', '1-128'],
    [{ events: [{ id: 'E-1', type: 'RECEIPTS' }] }, 'events.0.data', 'data is required'],
    [{ events: [{ id: 'E-1', type: 'RECEIPTS', data: 'R' }] }, 'events.0.data', 'expected a JSON object, got a string'],
    [{ events: [{ id: 'E-1', type: 'RECEIPTS', data: {} }] }, 'events.0.data.receiptId', 'required'],
    [{ events: [shipped('E-1', { orderId: 'O', orderid: 'typo' })] }, 'events.0.data.orderid', 'unknown field'],
    [{ events: [shipped('E-1', { orderId: 42 })] }, 'events.0.data.orderId', 'expected a string, got a number'],
    [{ events: [shipped('E-1', { orderId: 'O', occurredAt: 'yesterday' })] }, 'events.0.data.occurredAt', 'date'],
    [
      { events: [shipped('E-1', { orderId: 'O', attributes: { big: Number.POSITIVE_INFINITY } })] },
      'events.0.data.attributes.big',
      'send it as a string',
    ],
    [{ events: [shipped('E-1', { orderId: 'O\u0000' })] }, 'events.0.data.orderId', 'NUL'],
    [{ events: [shipped('E-1', { orderId: 'O\ud800' })] }, 'events.0.data.orderId', 'well-formed Unicode'],
    [
      { events: [shipped('E-1', { orderId: 'O', attributes: { '\ud800': 1 } })] },
      'events.0.data.attributes.\\ud800',
      'key',
    ],
    [
      { events: [shipped('E-1', { orderId: 'O', attributes: deep(maxDataDepth) })] },
      // data is the first level, attributes the second: the 33rd is refused, by its path.
      `events.0.data.attributes${'.d'.repeat(maxDataDepth - 1)}`,
      'nest at most',
    ],
    [{ events: [{ ...shipped('E-1'), time: 'now' }] }, 'events.0.time', 'unknown field'],
    [{ events: ['E-1'] }, 'events.0', 'JSON object'],
    [{ events: [] }, 'events', 'at least one'],
    [{ events: {} }, 'events', 'array'],
    [{}, 'events', 'events is required'],
    [{ events: [shipped('E-1')], extra: 1 }, 'extra', 'unknown field'],
    [shipped('E-1'), 'id', 'unknown field'],
    [[shipped('E-1')], 'body', 'JSON object'],
  ])('answers 422 naming the field for %j, storing nothing', async (payload, field, words) => {
    // JSON.stringify writes 1e400 (Infinity) as null; the request carries it as written.
    const text = JSON.stringify(payload).replace('"big":null', '"big":1e400')
    const error = expectError(await publish(text), 422)
    expect(error.message).toBe('UNPROCESSABLE ENTITY')
    expect(error.validations?.[field], JSON.stringify(error.validations)).toContain(words)
    expect(await readPublishedEvents(database.current.handle.db, 'brand-a', ['E-1'])).toEqual(new Map())
  })

  it('names every broken field of every event at once, and stores none of the valid ones', async () => {
    const error = expectError(
      await publish({ events: [shipped('OK-1'), { id: 'bad id', type: 'CUSTOMER', data: {} }, shipped('OK-2', {})] }),
      422,
    )
    expect(Object.keys(error.validations ?? {}).sort()).toEqual([
      'events.1.id',
      'events.1.type',
      'events.2.data.orderId',
    ])
    expect((await readPublishedEvents(database.current.handle.db, 'brand-a', ['OK-1', 'OK-2'])).size).toBe(0)
  })

  it('answers 413 for more than 100 events, 400 for malformed JSON and 415 for another media type', async () => {
    const many = Array.from({ length: 101 }, (_, i) => shipped(`M-${i}`))
    expect(expectError(await publish({ events: many }), 413).description).toContain('At most 100 events')
    expect(expectError(await publish('{"events": ['), 400).description).toContain('not valid JSON')
    const form = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/events',
      headers: { ...auth(), 'content-type': 'text/plain' },
      payload: JSON.stringify({ events: [shipped('T-1')] }),
    })
    expectError(form, 415)
  })

  it('answers 401 without a key and 403 with another brand’s key, storing nothing', async () => {
    const anonymous = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ events: [shipped('AUTH-1')] }),
    })
    expectError(anonymous, 401)
    expectError(await publish({ events: [shipped('AUTH-1')] }, 'brand-a', keyB), 403)
    expect((await readPublishedEvents(database.current.handle.db, 'brand-a', ['AUTH-1'])).size).toBe(0)
  })

  it("keeps brands apart: brand B's event under brand A's id is its own event, and neither reads the other's", async () => {
    expectAccepted(await publish({ events: [shipped('SHARED-1', { orderId: 'A-ORDER' })] }))
    const other = expectAccepted(
      await publish({ events: [shipped('SHARED-1', { orderId: 'B-ORDER' })] }, 'brand-b', keyB),
    )
    expect(other.results[0]?.outcome).toBe('created')
    const { db } = database.current.handle
    expect((await readPublishedEvents(db, 'brand-a', ['SHARED-1'])).get('SHARED-1')?.data).toEqual({
      orderId: 'A-ORDER',
    })
    expect((await readPublishedEvents(db, 'brand-b', ['SHARED-1'])).get('SHARED-1')?.data).toEqual({
      orderId: 'B-ORDER',
    })
    expect(await outboxFor('brand-a', 'SHARED-1')).toHaveLength(1)
    expect(await outboxFor('brand-b', 'SHARED-1')).toHaveLength(1)
  })

  it('accepts a request signed with a key that requires signatures (the signature covers the raw body)', async () => {
    const signed = await createApiKey(database.current.handle.db, 'brand-a', { requireSignature: true })
    const body = JSON.stringify({ events: [shipped('SIGNED-1')] })
    const url = '/v1/brand-a/events'
    const now = String(Math.floor(Date.now() / 1000))
    const answer = await app.inject({
      method: 'POST',
      url,
      headers: {
        ...auth(signed.key),
        'content-type': 'application/json',
        'x-flex-timestamp': now,
        'x-flex-signature': signRequest(signed.signingSecret as string, now, 'POST', url, body),
      },
      payload: body,
    })
    expectAccepted(answer)
  })

  it('answers 429 with Retry-After once a key has used its requests, and 413 for a body over 1 MiB', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'brand-limited', 'UTC')
    const key = (await createApiKey(db, 'brand-limited')).key
    const limited = buildApp({ database: database.current.handle, rateLimit: { requests: 2, windowMs: 60_000 } })
    try {
      const send = (payload: unknown) =>
        limited.inject({
          method: 'POST',
          url: '/v1/brand-limited/events',
          headers: { ...auth(key), 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        })
      const big = await send({ events: [shipped('BIG-1', { orderId: 'O', attributes: { x: 'a'.repeat(1_100_000) } })] })
      expectError(big, 413)
      expectAccepted(await send({ events: [shipped('L-1')] }))
      const refused = await send({ events: [shipped('L-2')] })
      expectError(refused, 429)
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    } finally {
      await limited.close()
    }
  })
})
