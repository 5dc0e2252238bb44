import type { FastifyInstance } from 'fastify'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import {
  apiErrorResponseSchema,
  webhookEventResponse,
  webhookEventsPage,
  webhookTestResponse,
} from '../../src/http/response-schemas.ts'
import { documented, expectMatches } from '../support/documented-answers.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

// POST /v1/{brandId}/webhooks/{id}/test against a real receiver on a real socket: the answer is
// parsed with the schema the OpenAPI document is generated from.

const database = useTestDatabase()
const testPath = '/v1/{brandId}/webhooks/{id}/test'
let app: FastifyInstance
let keyA: string
let keyB: string
let receiver: Receiver

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'UTC')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  app = buildApp({
    database: database.current.handle,
    rateLimit: { requests: 10_000, windowMs: 60_000 },
    webhookAllowNetworks: ['127.0.0.0/8'],
  })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

beforeEach(async () => {
  receiver = await startReceiver()
})

afterEach(async () => {
  await receiver.close()
})

const auth = (key = keyA) => ({ authorization: `Bearer ${key}` })

async function create(endpoint: string, extra: Record<string, unknown> = {}) {
  const created = await app.inject({
    method: 'POST',
    url: '/v1/brand-a/webhooks',
    headers: auth(),
    payload: { endpoint, events: ['RECEIPTS'], ...extra },
  })
  expect(created.statusCode, created.body).toBe(201)
  return created.json() as { id: string; secret: string }
}

const test = (id: string, brand = 'brand-a', key = keyA) =>
  app.inject({ method: 'POST', url: `/v1/${brand}/webhooks/${id}/test`, headers: auth(key) })

describe('POST /v1/{brandId}/webhooks/{id}/test', () => {
  it('sends a signed test event now and answers 200 with the attempt and the receiver’s status and body', async () => {
    receiver.answer((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
    const hook = await create(`${receiver.url}/ok`, { headers: { 'X-Shared-Secret': 'hdr-1' } })
    const answer = await test(hook.id)
    expect(answer.statusCode, answer.body).toBe(200)
    documented(testPath, 'POST', 200)
    const body = expectMatches(webhookTestResponse, answer)
    expect(body).toMatchObject({
      status: 'SUCCESS',
      request: { endpoint: `${receiver.url}/ok`, headers: { 'x-shared-secret': '********' } },
      response: { statusCode: 200, body: '{"ok":true}', bodyTruncated: false },
      error: null,
    })

    const [request] = receiver.requests
    if (!request) throw new Error('nothing received')
    expect(new StandardWebhook(hook.secret).verify(request.body, request.headers)).toMatchObject({
      id: body.eventId,
      type: 'WEBHOOK.TEST',
      brandId: 'brand-a',
      data: { webhookId: hook.id, message: expect.stringContaining('test event') },
    })
    expect(request.headers['x-shared-secret']).toBe('hdr-1')
  })

  it('shows the test event in the webhook’s events, with the same attempt, and refuses to send it again (409)', async () => {
    const hook = await create(`${receiver.url}/listed`)
    const sent = expectMatches(webhookTestResponse, await test(hook.id))
    const page = expectMatches(
      webhookEventsPage,
      await app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${hook.id}/events`, headers: auth() }),
    )
    expect(page.events).toEqual([
      expect.objectContaining({ id: sent.eventId, type: 'WEBHOOK.TEST', status: 'SUCCESS' }),
    ])
    const event = expectMatches(
      webhookEventResponse,
      await app.inject({
        method: 'GET',
        url: `/v1/brand-a/webhooks/${hook.id}/events/${sent.eventId}`,
        headers: auth(),
      }),
    )
    const { eventId: _eventId, ...attempt } = sent
    expect(event).toMatchObject({ nextAttempt: null, erased: false, attempts: [attempt] })

    const retry = await app.inject({
      method: 'POST',
      url: `/v1/brand-a/webhooks/${hook.id}/events/${sent.eventId}/retry`,
      headers: auth(),
    })
    expect(retry.statusCode).toBe(409)
    documented('/v1/{brandId}/webhooks/{id}/events/{eventId}/retry', 'POST', 409)
    expect(expectMatches(apiErrorResponseSchema, retry).description).toBe(
      `The event ${sent.eventId} is a test event, which is not sent again; send a new one with POST /v1/brand-a/webhooks/${hook.id}/test.`,
    )
  })

  it('answers 200 with the failed attempt when the endpoint fails or refuses: the call worked, the attempt did not', async () => {
    receiver.answer((_request, res) => {
      res.writeHead(503, { 'retry-after': '120' }).end('down for maintenance')
    })
    const failing = await create(`${receiver.url}/failing`)
    const failed = await test(failing.id)
    expect(failed.statusCode).toBe(200)
    expect(expectMatches(webhookTestResponse, failed)).toMatchObject({
      status: 'FAILURE',
      response: { statusCode: 503, body: 'down for maintenance' },
      error: null,
    })

    const closed = await startReceiver()
    await closed.close()
    const refusing = await create(`${closed.url}/refusing`, { enabled: false })
    const refused = await test(refusing.id)
    expect(refused.statusCode).toBe(200)
    expect(expectMatches(webhookTestResponse, refused)).toMatchObject({
      status: 'FAILURE',
      response: null,
      error: { kind: 'refused', message: expect.stringContaining('ECONNREFUSED') },
    })
    const after = await app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${refusing.id}`, headers: auth() })
    expect(after.json()).toMatchObject({ enabled: false, disabledReason: null })
  })

  it('answers another brand’s webhook, an unknown id and a malformed one with 404, and sends nothing', async () => {
    const hook = await create(`${receiver.url}/isolated`)
    for (const [id, brand, key] of [
      [hook.id, 'brand-b', keyB],
      ['0193a5b2-0000-7000-8000-000000000001', 'brand-a', keyA],
      ['not-a-uuid', 'brand-a', keyA],
    ] as const) {
      const answer = await test(id, brand, key)
      expect(answer.statusCode, `${brand} ${id}`).toBe(404)
      expect(expectMatches(apiErrorResponseSchema, answer).description).toContain(`A webhook with ID: ${id}`)
    }
    documented(testPath, 'POST', 404)
    expect(receiver.requests).toEqual([])
    // brand-a's webhook with brand-b's key: 403, before anything else.
    expect((await test(hook.id, 'brand-a', keyB)).statusCode).toBe(403)
  })
})
