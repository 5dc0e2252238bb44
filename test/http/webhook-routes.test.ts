import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { signRequest } from '../../src/http/request-signature.ts'
import {
  apiErrorResponseSchema,
  createdWebhookResponse,
  rotatedSecretResponse,
  webhookEventsPage,
  webhookListResponse,
  webhookResponse,
  webhookSecretResponse,
} from '../../src/http/response-schemas.ts'
import { documented, expectError, expectMatches } from '../support/documented-answers.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The Webhooks API of seed 002 against a real PostgreSQL: every answer is parsed with the zod
// schema the OpenAPI document is generated from, and its status is checked to be documented.

const database = useTestDatabase()
let app: FastifyInstance
let keyA: string
let keyB: string

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
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

const auth = (key = keyA) => ({ authorization: `Bearer ${key}` })

const someEventId = '0193a5b2-0000-7000-8000-000000000001'

/** Every route of one webhook, with its documented template, for what must hold on all of them. */
async function onEachWebhookRoute(url: string, key: string, enabled: boolean) {
  const item = '/v1/{brandId}/webhooks/{id}'
  const routes = [
    ['GET', url, item, undefined],
    ['PATCH', url, item, { enabled }],
    ['GET', `${url}/secret`, `${item}/secret`, undefined],
    ['POST', `${url}/secret/rotate`, `${item}/secret/rotate`, undefined],
    ['POST', `${url}/test`, `${item}/test`, undefined],
    ['GET', `${url}/events`, `${item}/events`, undefined],
    ['GET', `${url}/events/${someEventId}`, `${item}/events/{eventId}`, undefined],
    ['POST', `${url}/events/${someEventId}/retry`, `${item}/events/{eventId}/retry`, undefined],
    ['DELETE', url, item, undefined],
  ] as const
  const answers = []
  for (const [method, path, template, payload] of routes) {
    answers.push({
      method,
      path,
      template,
      answer: await app.inject({ method, url: path, headers: auth(key), ...(payload ? { payload } : {}) }),
    })
  }
  return answers
}

const post = (payload: unknown, brand = 'brand-a', key = keyA) =>
  app.inject({ method: 'POST', url: `/v1/${brand}/webhooks`, headers: auth(key), payload: payload as object })

describe('POST /v1/{brandId}/webhooks', () => {
  it('creates an enabled webhook: 201, Location, the seed’s WebhookResponse fields and a whsec_ secret', async () => {
    const created = await post({
      endpoint: 'https://example.com/hooks/create',
      events: ['ORDER_EVENTS.OMS.ORDER_SHIPPED', 'CUSTOMER'],
      headers: { 'X-Shared-Secret': 's3cret' },
    })
    expect(created.statusCode, created.body).toBe(201)
    documented('/v1/{brandId}/webhooks', 'POST', 201)
    const body = expectMatches(createdWebhookResponse, created, 'POST 201')
    expect(created.headers.location).toBe(`/v1/brand-a/webhooks/${body.id}`)
    expect(body).toMatchObject({
      endpoint: 'https://example.com/hooks/create',
      events: ['CUSTOMER', 'ORDER_EVENTS.OMS.ORDER_SHIPPED'],
      enabled: true,
      headers: { 'X-Shared-Secret': 's3cret' },
      disabledReason: null,
    })
    expect(Buffer.from(body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32)

    const got = await app.inject({ method: 'GET', url: created.headers.location as string, headers: auth() })
    expect(got.statusCode).toBe(200)
    const { secret: _secret, ...withoutSecret } = body
    expect(expectMatches(webhookResponse, got, 'GET one')).toEqual(withoutSecret)
  })

  it('creates a disabled webhook when enabled is false, and gives each webhook its own secret', async () => {
    const one = await post({ endpoint: 'https://example.com/hooks/disabled', events: ['RECEIPTS'], enabled: false })
    const two = await post({ endpoint: 'https://example.com/hooks/disabled-2', events: ['RECEIPTS'] })
    expect(one.json()).toMatchObject({ enabled: false })
    expect((one.json() as { secret: string }).secret).not.toBe((two.json() as { secret: string }).secret)
  })

  it('answers 409 with the seed’s text for the same endpoint and the same set of event types in any order', async () => {
    const endpoint = 'https://example.com/hooks/conflict'
    expect((await post({ endpoint, events: ['RECEIPTS', 'ORDER_EVENTS'] })).statusCode).toBe(201)
    const again = await post({ endpoint, events: ['ORDER_EVENTS', 'RECEIPTS', 'ORDER_EVENTS'] })
    const error = expectError(again, 409, '/v1/{brandId}/webhooks', 'POST')
    expect(error).toEqual({
      message: 'CONFLICT',
      description: `A webhook for endpoint: ${endpoint} and eventTypes: ["ORDER_EVENTS","RECEIPTS"] already exists`,
      status: 409,
    })
    // Another set, or another brand, is another webhook.
    expect((await post({ endpoint, events: ['ORDER_EVENTS'] })).statusCode).toBe(201)
    expect((await post({ endpoint, events: ['RECEIPTS', 'ORDER_EVENTS'] }, 'brand-b', keyB)).statusCode).toBe(201)
  })

  it.each([
    [{ events: ['RECEIPTS'] }, 'endpoint', 'endpoint is required'],
    [{ endpoint: '', events: ['RECEIPTS'] }, 'endpoint', 'endpoint is required'],
    [{ endpoint: 42, events: ['RECEIPTS'] }, 'endpoint', 'must be a string'],
    [{ endpoint: 'not a url', events: ['RECEIPTS'] }, 'endpoint', 'absolute URL'],
    [{ endpoint: 'http://example.com/h', events: ['RECEIPTS'] }, 'endpoint', 'https'],
    [{ endpoint: 'https://user:pw@example.com/h', events: ['RECEIPTS'] }, 'endpoint', 'credentials'],
    [{ endpoint: 'https://10.0.0.1/h', events: ['RECEIPTS'] }, 'endpoint', 'public address'],
    [{ endpoint: 'https://169.254.169.254/h', events: ['RECEIPTS'] }, 'endpoint', 'link-local'],
    [{ endpoint: 'https://[::ffff:10.0.0.1]/h', events: ['RECEIPTS'] }, 'endpoint', 'private'],
    [{ endpoint: 'https://example.com/h' }, 'events', 'events is required'],
    [{ endpoint: 'https://example.com/h', events: [] }, 'events', 'at least one'],
    [{ endpoint: 'https://example.com/h', events: 'RECEIPTS' }, 'events', 'array'],
    [{ endpoint: 'https://example.com/h', events: ['NOPE'] }, 'events', 'unknown event type "NOPE"'],
    [{ endpoint: 'https://example.com/h', events: ['ORDER_EVENTS.OMS.ORDER'] }, 'events', 'unknown event type'],
    [{ endpoint: 'https://example.com/h', events: [''] }, 'events', 'non-empty strings'],
    [{ endpoint: 'https://example.com/h', events: Array(101).fill('RECEIPTS') }, 'events', 'at most 100'],
    [{ endpoint: 'https://example.com/h', events: ['RECEIPTS'], enabled: 'yes' }, 'enabled', 'true or false'],
    [{ endpoint: 'https://example.com/h', events: ['RECEIPTS'], secret: 'x' }, 'secret', 'unknown field'],
    [{ endpoint: 'https://example.com/h', events: ['RECEIPTS'], headers: [] }, 'headers', 'object'],
    [{ endpoint: 'https://example.com/h', events: ['RECEIPTS'], headers: { 'a b': 'x' } }, 'headers.a b', 'name'],
    [
      { endpoint: 'https://example.com/h', events: ['RECEIPTS'], headers: { 'Webhook-Signature': 'x' } },
      'headers.Webhook-Signature',
      'set by the platform',
    ],
    [{ endpoint: 'https://example.com/h', events: ['RECEIPTS'], headers: { X: 'a\nb' } }, 'headers.X', 'visible ASCII'],
    [[], 'body', 'JSON object'],
  ])('answers 422 naming the field for %j', async (payload, field, words) => {
    const error = expectError(await post(payload), 422, '/v1/{brandId}/webhooks', 'POST')
    expect(error.message).toBe('UNPROCESSABLE ENTITY')
    expect(error.validations?.[field], JSON.stringify(error.validations)).toContain(words)
  })

  it('names every broken field of one request at once, in the seed’s words', async () => {
    const error = expectError(await post({}), 422, '/v1/{brandId}/webhooks', 'POST')
    expect(error.validations).toEqual({ endpoint: 'endpoint is required', events: 'events is required' })
  })

  it('answers malformed JSON with 400 and another media type with 415, in the error shape', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/webhooks',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{"endpoint": ',
    })
    expect(expectError(malformed, 400, '/v1/{brandId}/webhooks', 'POST').description).toContain('not valid JSON')
    const form = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/webhooks',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'endpoint=x',
    })
    expectError(form, 415, '/v1/{brandId}/webhooks', 'POST')
  })

  it('answers 401 without a key and 403 with another brand’s key, before reading the body', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/v1/brand-a/webhooks', payload: {} })
    expectError(anonymous, 401, '/v1/{brandId}/webhooks', 'POST')
    expectError(await post({}, 'brand-a', keyB), 403, '/v1/{brandId}/webhooks', 'POST')
  })
})

describe('GET, PATCH, DELETE of webhooks', () => {
  it('answers 404 with the seed’s description for a brand without webhooks, then lists them oldest first', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'brand-empty', 'UTC')
    const key = (await createApiKey(db, 'brand-empty')).key
    const empty = await app.inject({ method: 'GET', url: '/v1/brand-empty/webhooks', headers: auth(key) })
    expect(expectError(empty, 404, '/v1/{brandId}/webhooks', 'GET').description).toMatch(
      /^No webhooks with that brand ID were found/,
    )
    const first = await post({ endpoint: 'https://example.com/1', events: ['RECEIPTS'] }, 'brand-empty', key)
    const second = await post({ endpoint: 'http://127.0.0.1:9/2', events: ['CUSTOMER'] }, 'brand-empty', key)
    expect(second.statusCode, second.body).toBe(201)
    const list = await app.inject({ method: 'GET', url: '/v1/brand-empty/webhooks', headers: auth(key) })
    expect(list.statusCode).toBe(200)
    documented('/v1/{brandId}/webhooks', 'GET', 200)
    const webhooks = expectMatches(webhookListResponse, list, 'GET list')
    expect(webhooks.map((w) => w.id)).toEqual([
      (first.json() as { id: string }).id,
      (second.json() as { id: string }).id,
    ])
    expect(list.body).not.toContain('whsec_')
  })

  it('turns a webhook off and on with PATCH (204), and refuses any other body with 422', async () => {
    const { id } = (await post({ endpoint: 'https://example.com/patch', events: ['RECEIPTS'] })).json() as {
      id: string
    }
    const url = `/v1/brand-a/webhooks/${id}`
    const path = '/v1/{brandId}/webhooks/{id}'
    for (const enabled of [false, true, false]) {
      const patched = await app.inject({ method: 'PATCH', url, headers: auth(), payload: { enabled } })
      expect(patched.statusCode).toBe(204)
      documented(path, 'PATCH', 204)
      expect(patched.body).toBe('')
      const got = await app.inject({ method: 'GET', url, headers: auth() })
      expect(got.json()).toMatchObject({ enabled })
    }
    for (const [payload, field] of [
      [{}, 'enabled'],
      [{ enabled: 'false' }, 'enabled'],
      [{ enabled: true, endpoint: 'https://example.com/other' }, 'endpoint'],
      [[true], 'body'],
    ] as const) {
      const refused = await app.inject({ method: 'PATCH', url, headers: auth(), payload: payload as object })
      expect(expectError(refused, 422, path, 'PATCH').validations, JSON.stringify(payload)).toHaveProperty([field])
    }
    const malformed = await app.inject({
      method: 'PATCH',
      url,
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{enabled: true}',
    })
    expectError(malformed, 400, path, 'PATCH')
    expect((await app.inject({ method: 'GET', url, headers: auth() })).json()).toMatchObject({ enabled: false })
  })

  it('deletes a webhook (204); it is then 404 on every path', async () => {
    const { id } = (await post({ endpoint: 'https://example.com/delete', events: ['RECEIPTS'] })).json() as {
      id: string
    }
    const url = `/v1/brand-a/webhooks/${id}`
    const deleted = await app.inject({ method: 'DELETE', url, headers: auth() })
    expect(deleted.statusCode).toBe(204)
    documented('/v1/{brandId}/webhooks/{id}', 'DELETE', 204)
    for (const { method, template, answer: gone } of await onEachWebhookRoute(url, keyA, true)) {
      expect(expectError(gone, 404, template, method).description).toContain(
        `A webhook with ID: ${id} for brandId: brand-a was not found`,
      )
    }
  })

  it('gives the signing secret of create again on GET .../secret', async () => {
    const created = (await post({ endpoint: 'https://example.com/secret', events: ['RECEIPTS'] })).json() as {
      id: string
      secret: string
    }
    const got = await app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${created.id}/secret`, headers: auth() })
    expect(got.statusCode).toBe(200)
    documented('/v1/{brandId}/webhooks/{id}/secret', 'GET', 200)
    expect(expectMatches(webhookSecretResponse, got, 'GET secret')).toEqual({ secret: created.secret })
  })

  it('answers 404, never 500, for an id that is not a uuid, on every path', async () => {
    for (const id of ['not-a-uuid', '123', '3fa85f64-5717-4562-b3fc-2c963f66afa', "x'%20or%201=1"]) {
      const url = `/v1/brand-a/webhooks/${id}`
      for (const { method, path, answer } of await onEachWebhookRoute(url, keyA, true)) {
        expect(answer.statusCode, `${method} ${path}: ${answer.body}`).toBe(404)
        expectMatches(apiErrorResponseSchema, answer, `${method} ${path}`)
      }
    }
  })
})

describe('secret rotation and the events of a webhook', () => {
  it('rotates the secret: the new one is answered and kept, the previous one signs beside it for 24 hours', async () => {
    const created = (await post({ endpoint: 'https://example.com/rotate', events: ['RECEIPTS'] })).json() as {
      id: string
      secret: string
    }
    const before = Date.now()
    const rotated = await app.inject({
      method: 'POST',
      url: `/v1/brand-a/webhooks/${created.id}/secret/rotate`,
      headers: auth(),
    })
    expect(rotated.statusCode).toBe(200)
    documented('/v1/{brandId}/webhooks/{id}/secret/rotate', 'POST', 200)
    const answer = expectMatches(rotatedSecretResponse, rotated, 'POST rotate')
    expect(answer.secret).not.toBe(created.secret)
    const expires = Date.parse(answer.previousSecretExpires) - before
    expect(expires).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 1000)
    expect(expires).toBeLessThanOrEqual(24 * 3600 * 1000 + 5000)
    const got = await app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${created.id}/secret`, headers: auth() })
    expect(got.json()).toEqual({ secret: answer.secret })
  })

  it('answers an empty last page for a webhook that has had no events, and 404 for an unknown event', async () => {
    const { id } = (await post({ endpoint: 'https://example.com/no-events', events: ['RECEIPTS'] })).json() as {
      id: string
    }
    const page = await app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${id}/events`, headers: auth() })
    expect(page.statusCode).toBe(200)
    documented('/v1/{brandId}/webhooks/{id}/events', 'GET', 200)
    expect(expectMatches(webhookEventsPage, page, 'GET events')).toEqual({
      events: [],
      page: { size: 20, startId: null, lastId: null },
    })
    for (const [method, suffix, template] of [
      ['GET', '', '/v1/{brandId}/webhooks/{id}/events/{eventId}'],
      ['POST', '/retry', '/v1/{brandId}/webhooks/{id}/events/{eventId}/retry'],
    ] as const) {
      for (const eventId of [someEventId, 'not-a-uuid']) {
        const answer = await app.inject({
          method,
          url: `/v1/brand-a/webhooks/${id}/events/${eventId}${suffix}`,
          headers: auth(),
        })
        expect(expectError(answer, 404, template, method).description).toContain(`No event with ID: ${eventId}`)
      }
    }
  })

  it('names each bad query parameter of the events list in one 422', async () => {
    const { id } = (await post({ endpoint: 'https://example.com/bad-query', events: ['RECEIPTS'] })).json() as {
      id: string
    }
    const events = (query: string) =>
      app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${id}/events?${query}`, headers: auth() })
    const cases: [string, Record<string, string>][] = [
      ['size=0', { size: 'size must be a whole number from 1 to 100' }],
      ['size=10000', { size: 'size must be a whole number from 1 to 100' }],
      [
        'size=2.5&startId=nope',
        {
          size: 'size must be a whole number from 1 to 100',
          startId: 'startId must be an event id (a uuid), as page.lastId gives it',
        },
      ],
      ['start=2026-11-30T10:00:00Z&end=2026-11-30T09:00:00Z', { start: 'start must not be after end' }],
      ['start=yesterday', { start: 'start must be a date-time with an offset, such as 2026-11-30T09:00:00Z' }],
      ['end=2026-11-30', { end: 'end must be a date-time with an offset, such as 2026-11-30T09:00:00Z' }],
      ['size=5&size=6', { size: 'give size once' }],
      ['page=2', { page: 'unknown parameter; the parameters are size, start, end, status, type, startId' }],
    ]
    for (const [query, validations] of cases) {
      const answer = await events(query)
      expect(expectError(answer, 422, '/v1/{brandId}/webhooks/{id}/events', 'GET').validations, query).toEqual(
        validations,
      )
    }
    expect((await events('size=100&start=2026-11-30T09:00:00%2B01:00&end=2026-11-30T09:00:00Z')).statusCode).toBe(200)
  })
})

describe('signed requests', () => {
  it('accepts a create and a PATCH signed with a key that requires signatures (the signature covers the raw body)', async () => {
    const signed = await createApiKey(database.current.handle.db, 'brand-a', { requireSignature: true })
    const send = (method: 'POST' | 'PATCH', url: string, body: string) => {
      const now = String(Math.floor(Date.now() / 1000))
      return app.inject({
        method,
        url,
        headers: {
          ...auth(signed.key),
          'content-type': 'application/json',
          'x-flex-timestamp': now,
          'x-flex-signature': signRequest(signed.signingSecret as string, now, method, url, body),
        },
        payload: body,
      })
    }
    const created = await send(
      'POST',
      '/v1/brand-a/webhooks',
      JSON.stringify({ endpoint: 'https://example.com/signed', events: ['RECEIPTS'] }),
    )
    expect(created.statusCode, created.body).toBe(201)
    const { id } = created.json() as { id: string }
    const patched = await send('PATCH', `/v1/brand-a/webhooks/${id}`, '{"enabled":false}')
    expect(patched.statusCode, patched.body).toBe(204)
  })
})

describe('brand isolation', () => {
  it('answers another brand’s webhook id as unknown (404) on every path, and leaves it as it was', async () => {
    const created = (await post({ endpoint: 'https://example.com/isolated', events: ['RECEIPTS'] })).json() as {
      id: string
      secret: string
    }
    const url = `/v1/brand-b/webhooks/${created.id}`
    for (const { method, path, answer } of await onEachWebhookRoute(url, keyB, false)) {
      expect(answer.statusCode, `${method} ${path}`).toBe(404)
      expect(answer.body).not.toContain(created.secret)
    }
    const list = await app.inject({ method: 'GET', url: '/v1/brand-b/webhooks', headers: auth(keyB) })
    expect(list.body).not.toContain(created.id)
    const own = await app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${created.id}`, headers: auth() })
    expect(own.json()).toMatchObject({ id: created.id, enabled: true })
    // With brand-a's path but brand-b's key: 403, as for every /v1 route.
    const foreign = await app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${created.id}`, headers: auth(keyB) })
    expectError(foreign, 403, '/v1/{brandId}/webhooks/{id}', 'GET')
  })
})

describe('limits shared with the ingestion API', () => {
  it('answers 429 with Retry-After once a key has used its requests, and 413 for a body over 64 KiB', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'brand-limited', 'UTC')
    const key = (await createApiKey(db, 'brand-limited')).key
    const limited = buildApp({ database: database.current.handle, rateLimit: { requests: 2, windowMs: 60_000 } })
    try {
      const big = await limited.inject({
        method: 'POST',
        url: '/v1/brand-limited/webhooks',
        headers: auth(key),
        payload: { endpoint: 'https://example.com/big', events: ['RECEIPTS'], headers: { X: 'a'.repeat(70_000) } },
      })
      expectError(big, 413, '/v1/{brandId}/webhooks', 'POST')
      await limited.inject({ method: 'GET', url: '/v1/brand-limited/webhooks', headers: auth(key) })
      const refused = await limited.inject({ method: 'GET', url: '/v1/brand-limited/webhooks', headers: auth(key) })
      expectError(refused, 429, '/v1/{brandId}/webhooks', 'GET')
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    } finally {
      await limited.close()
    }
  })
})

describe('logs', () => {
  it('name a created webhook by id and host, never its secret, custom header values or the endpoint’s query', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logged = buildApp({ database: database.current.handle, log: pino({ level: 'info' }, sink) })
    try {
      const created = await logged.inject({
        method: 'POST',
        url: '/v1/brand-a/webhooks',
        headers: auth(),
        payload: {
          endpoint: 'https://example.com/logged?token=tok-123',
          events: ['RECEIPTS'],
          headers: { 'X-Shared-Secret': 'hdr-456' },
        },
      })
      expect(created.statusCode).toBe(201)
      const { id, secret } = created.json() as { id: string; secret: string }
      const log = lines.join('')
      expect(log).toContain(id)
      expect(log).toContain('example.com')
      for (const hidden of [secret, 'tok-123', 'hdr-456']) expect(log).not.toContain(hidden)
    } finally {
      await logged.close()
    }
  })
})
