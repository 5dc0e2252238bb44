import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey, revokeApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { signRequest } from '../../src/http/request-signature.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
let app: FastifyInstance
let keyA: string
let keyB: string
const at = '2026-11-21T09:30:00+01:00'
const auth = (key: string) => ({ authorization: `Bearer ${key}` })

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  app = buildApp({ database: database.current.handle, maxRecords: 5, bodyLimit: 64 * 1024 })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

describe('ingestion API', () => {
  it('stores valid records and answers each one, with 207 when some are rejected', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/customers',
      headers: auth(keyA),
      payload: [
        { id: 'C-1', email: 'zoe@example.com', updated_at: at },
        { id: 'C-2', email: 'nope', updated_at: at },
      ],
    })
    expect(response.statusCode).toBe(207)
    expect(response.json()).toEqual({
      summary: { created: 1, updated: 0, unchanged: 0, stale: 0, rejected: 1 },
      results: [
        { index: 0, id: 'C-1', outcome: 'created' },
        { index: 1, id: 'C-2', outcome: 'rejected', errors: [{ field: 'email', message: expect.any(String) }] },
      ],
    })
    const again = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/customers',
      headers: auth(keyA),
      payload: [{ id: 'C-1', email: 'zoe@example.com', updated_at: at }],
    })
    expect(again.statusCode).toBe(200)
    expect(again.json().results[0].outcome).toBe('unchanged')
  })

  it('accepts NDJSON, and shows an entity with the state of its references', async () => {
    const tx = {
      id: 'T-1',
      customer_id: 'C-1',
      outlet_id: 'O-404',
      occurred_at: at,
      status: 'completed',
      currency: 'EUR',
      total_amount: '1.00',
      items: [{ sku: 'S-404', quantity: '1', unit_price: '1.00', amount: '1.00' }],
      updated_at: at,
    }
    const posted = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/transactions',
      headers: { ...auth(keyA), 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify(tx)}\n`,
    })
    expect(posted.statusCode).toBe(200)
    const got = await app.inject({ method: 'GET', url: '/v1/brand-a/transactions/T-1', headers: auth(keyA) })
    expect(got.statusCode).toBe(200)
    expect(got.json().entity).toMatchObject({
      id: 'T-1',
      total_amount: '1.00',
      customer_id: 'C-1',
      items: [{ line_no: 1, sku: 'S-404', quantity: '1', unit_price: '1.00', amount: '1.00' }],
    })
    expect(got.json().references).toEqual([
      { field: 'customer_id', type: 'customers', id: 'C-1', state: 'resolved' },
      { field: 'items.0.sku', type: 'products', id: 'S-404', state: 'waiting' },
      { field: 'outlet_id', type: 'outlets', id: 'O-404', state: 'waiting' },
    ])
    const waiting = await app.inject({ method: 'GET', url: '/v1/brand-a/waiting-references', headers: auth(keyA) })
    expect(waiting.statusCode).toBe(200)
    expect(waiting.json().waiting).toEqual([
      {
        source_type: 'transactions',
        target_type: 'outlets',
        waiting: 1,
        oldest_since: expect.any(String),
        oldest_age_seconds: expect.any(Number),
      },
      {
        source_type: 'transactions',
        target_type: 'products',
        waiting: 1,
        oldest_since: expect.any(String),
        oldest_age_seconds: expect.any(Number),
      },
    ])
  })

  it('deletes a customer by erasing its personal data', async () => {
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/brand-a/customers/C-1', headers: auth(keyA) })
    expect(deleted.json()).toEqual({ id: 'C-1', outcome: 'deleted' })
    const got = await app.inject({ method: 'GET', url: '/v1/brand-a/customers/C-1', headers: auth(keyA) })
    expect(got.json().entity).toMatchObject({ email: null, deleted_at: expect.any(String) })
    const missing = await app.inject({ method: 'DELETE', url: '/v1/brand-a/customers/C-404', headers: auth(keyA) })
    expect(missing.statusCode).toBe(404)
  })

  it('answers 401 without a valid key and 403 for another brand, on every endpoint', async () => {
    const requests = [
      { method: 'POST' as const, url: '/v1/brand-a/customers', payload: [] },
      { method: 'GET' as const, url: '/v1/brand-a/customers/C-1' },
      { method: 'GET' as const, url: '/v1/brand-a/waiting-references' },
      { method: 'DELETE' as const, url: '/v1/brand-a/customers/C-1' },
    ]
    for (const request of requests) {
      const none = await app.inject(request)
      expect(none.statusCode, `${request.method} without key`).toBe(401)
      expect(none.json()).toMatchObject({ message: 'UNAUTHORIZED', status: 401 })
      const other = await app.inject({ ...request, headers: auth(keyB) })
      expect(other.statusCode, `${request.method} with brand-b key`).toBe(403)
      expect(other.json()).toMatchObject({
        message: 'FORBIDDEN',
        status: 403,
        description: expect.stringMatching(/brand-a/),
      })
    }
    const { db } = database.current.handle
    const revoked = await createApiKey(db, 'brand-a')
    await revokeApiKey(db, revoked.id)
    const response = await app.inject({ method: 'GET', url: '/v1/brand-a/customers/C-1', headers: auth(revoked.key) })
    expect(response.statusCode).toBe(401)
  })

  it('answers bad requests in the APIErrorResponse shape: malformed JSON, too many records, too large, unknown entity', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/customers',
      headers: { ...auth(keyA), 'content-type': 'application/json' },
      payload: '[{"id": ',
    })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json()).toMatchObject({ message: 'BAD REQUEST', status: 400 })
    const tooMany = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/customers',
      headers: auth(keyA),
      payload: Array.from({ length: 6 }, (_, i) => ({ id: `X-${i}`, updated_at: at })),
    })
    expect(tooMany.statusCode).toBe(413)
    expect(tooMany.json().description).toMatch(/At most 5 records per request; this one has 6/)
    const tooLarge = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/customers',
      headers: auth(keyA),
      payload: [{ id: 'X', first_name: 'x'.repeat(70 * 1024), updated_at: at }],
    })
    expect(tooLarge.statusCode).toBe(413)
    const unknown = await app.inject({ method: 'POST', url: '/v1/brand-a/shoes', headers: auth(keyA), payload: [] })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().description).toMatch(/unknown entity type "shoes"/)
    const notArray = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/customers',
      headers: auth(keyA),
      payload: { id: 'x' },
    })
    expect(notArray.statusCode).toBe(422)
    expect(notArray.json().validations).toEqual({ body: 'must be an array' })
  })

  it('returns the first result again for a retried Idempotency-Key, and refuses the key for another body', async () => {
    const post = (payload: Record<string, unknown>[], key: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/brand-a/products',
        headers: { ...auth(keyA), 'idempotency-key': key },
        payload,
      })
    const body = [{ id: 'SKU-I', name: 'Seife', updated_at: at }]
    const first = await post(body, 'retry-1')
    const retried = await post(body, 'retry-1')
    expect(first.json().results).toEqual([{ index: 0, id: 'SKU-I', outcome: 'created' }])
    expect(retried.json()).toEqual(first.json())
    expect(retried.headers['idempotent-replayed']).toBe('true')
    const reused = await post([{ id: 'SKU-J', name: 'Other', updated_at: at }], 'retry-1')
    expect(reused.statusCode).toBe(422)
    expect(reused.json().description).toMatch(/already used for a different request/)
  })

  it('tells a JSON number kept as written from an object that looks like one when hashing a request', async () => {
    const post = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/brand-a/products',
        headers: { ...auth(keyA), 'idempotency-key': 'number-text', 'content-type': 'application/json' },
        payload,
      })
    const first = await post(`[{"id": "SKU-N", "name": "Seife", "price": 1.50, "updated_at": "${at}"}]`)
    expect(first.json().results).toEqual([{ index: 0, id: 'SKU-N', outcome: 'created' }])
    const lookalike = await post(
      `[{"id": "SKU-N", "name": "Seife", "price": {"source": "1.50"}, "updated_at": "${at}"}]`,
    )
    expect(lookalike.statusCode).toBe(422)
    expect(lookalike.headers['idempotent-replayed']).toBeUndefined()
    expect(lookalike.json().description).toMatch(/already used for a different request/)
  })

  it('refuses an Idempotency-Key it could not store with 400 naming the header, and stores nothing', async () => {
    for (const badKey of ['k'.repeat(4_000), 'with space']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/brand-a/products',
        headers: { ...auth(keyA), 'idempotency-key': badKey },
        payload: [{ id: 'SKU-K', name: 'Seife', updated_at: at }],
      })
      expect(response.statusCode).toBe(400)
      expect(response.json().validations).toEqual({
        'Idempotency-Key': 'must be 1 to 255 visible ASCII characters (no spaces)',
      })
    }
    const stored = await app.inject({ method: 'GET', url: '/v1/brand-a/products/SKU-K', headers: auth(keyA) })
    expect(stored.statusCode).toBe(404)
  })

  it('answers 429 with Retry-After when a key exceeds its rate limit', async () => {
    const limited = buildApp({ database: database.current.handle, rateLimit: { requests: 2, windowMs: 60_000 } })
    try {
      const get = () => limited.inject({ method: 'GET', url: '/v1/brand-b/products/none', headers: auth(keyB) })
      expect((await get()).statusCode).toBe(404)
      expect((await get()).statusCode).toBe(404)
      const third = await get()
      expect(third.statusCode).toBe(429)
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0)
      expect(third.json()).toMatchObject({ message: 'TOO MANY REQUESTS', status: 429 })
    } finally {
      await limited.close()
    }
  })

  it('requires a fresh, matching, unreplayed HMAC signature for keys that ask for one', async () => {
    const { db } = database.current.handle
    const signed = await createApiKey(db, 'brand-a', { requireSignature: true })
    const secret = signed.signingSecret as string
    const body = JSON.stringify([{ id: 'SKU-S', name: 'Signiert', updated_at: at }])
    const url = '/v1/brand-a/products'
    const send = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url,
        headers: { ...auth(signed.key), 'content-type': 'application/json', ...headers },
        payload: body,
      })
    const now = String(Math.floor(Date.now() / 1000))
    const unsigned = await send({})
    expect(unsigned.statusCode).toBe(401)
    expect(unsigned.json().description).toMatch(/requires signed requests/)
    const good = { 'x-flex-timestamp': now, 'x-flex-signature': signRequest(secret, now, 'POST', url, body) }
    expect((await send(good)).statusCode).toBe(200)
    const replay = await send(good)
    expect(replay.statusCode).toBe(401)
    expect(replay.json().description).toMatch(/already received/)
    const tampered = { 'x-flex-timestamp': now, 'x-flex-signature': signRequest(secret, now, 'POST', url, `${body} `) }
    expect((await send(tampered)).json().description).toMatch(/does not match/)
    const old = String(Number(now) - 3600)
    const stale = { 'x-flex-timestamp': old, 'x-flex-signature': signRequest(secret, old, 'POST', url, body) }
    expect((await send(stale)).json().description).toMatch(/within 300 s/)
  })

  it('serves its OpenAPI document, the same as the committed schemas/openapi.json', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    const document = response.json()
    expect(Object.keys(document.paths)).toContain('/v1/{brandId}/customers')
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['customers', 'transactions', 'APIErrorResponse']),
    )
    const committed = await readFile(new URL('../../schemas/openapi.json', import.meta.url), 'utf8')
    expect(JSON.parse(committed)).toEqual(document)
  })

  it('serves requests over a real listening socket', async () => {
    const served = buildApp({ database: database.current.handle })
    const address = await served.listen({ host: '127.0.0.1', port: 0 })
    try {
      const health = await fetch(`${address}/healthz`)
      expect(await health.json()).toEqual({ status: 'ok' })
      const response = await fetch(`${address}/v1/brand-b/products`, {
        method: 'POST',
        headers: { ...auth(keyB), 'content-type': 'application/json' },
        body: JSON.stringify([{ id: 'SKU-1', name: 'Seife', price: '2.49', updated_at: at }]),
      })
      expect(response.status).toBe(200)
      expect(((await response.json()) as { results: unknown }).results).toEqual([
        { index: 0, id: 'SKU-1', outcome: 'created' },
      ])
    } finally {
      await served.close()
    }
  })
})
