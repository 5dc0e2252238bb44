import type { FastifyInstance, InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { openApiDocument } from '../../src/http/openapi.ts'
import {
  apiErrorResponseSchema,
  deleteResponse,
  entityResponse,
  healthResponse,
  postResponse,
  waitingReferencesResponse,
} from '../../src/http/response-schemas.ts'
import { entityTypes } from '../../src/ingest/entity-types.ts'
import { addBrand, fullRecords } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The OpenAPI document is generated from the same zod schemas these tests parse real answers with,
// so it cannot describe a field, a status or a route the server does not have.

const database = useTestDatabase()
let app: FastifyInstance
let key: string
let otherKey: string
const served: { method: string; url: string }[] = []
const at = '2026-11-21T09:30:00+01:00'
const document = openApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
}

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  key = (await createApiKey(db, 'brand-a')).key
  otherKey = (await createApiKey(db, 'brand-b')).key
  app = buildApp({
    database: database.current.handle,
    maxRecords: 5,
    bodyLimit: 64 * 1024,
    rateLimit: { requests: 1_000, windowMs: 60_000 },
  })
  app.addHook('onRoute', (route) => {
    // The console's HTML pages are no part of the JSON API the document describes.
    if (route.url.startsWith('/console')) return
    for (const method of [route.method].flat()) if (method !== 'HEAD') served.push({ method, url: route.url })
  })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const auth = (k = key) => ({ authorization: `Bearer ${k}` })

/** The OpenAPI path of a served route: /v1/:brandId/customers/:id -> /v1/{brandId}/customers/{id} */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')

function documented(path: string, method: string, status: number) {
  const operation = document.paths[path]?.[method.toLowerCase()]
  expect(operation, `${method} ${path} in the document`).toBeDefined()
  expect(Object.keys(operation?.responses ?? {}), `${method} ${path} documents ${status}`).toContain(String(status))
}

function expectMatches(schema: z.ZodType, body: unknown, what: string) {
  const parsed = schema.safeParse(body)
  expect(parsed.success ? [] : parsed.error.issues, what).toEqual([])
}

describe('the OpenAPI document', () => {
  it('documents exactly the routes the server serves', () => {
    // The two root routes are registered by buildApp itself, before a test can listen for routes.
    for (const url of ['/healthz', '/openapi.json']) {
      expect(app.hasRoute({ method: 'GET', url }), url).toBe(true)
      served.push({ method: 'GET', url })
    }
    // The console's pages answer HTML to a browser session, not the JSON API the document describes.
    const routes = served
      .filter((r) => !r.url.startsWith('/console'))
      .map((r) => `${r.method} ${openApiPath(r.url)}`)
      .sort()
    const paths = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`))
      .sort()
    expect(paths).toEqual(routes)
  })

  it('describes every answer of every endpoint: entities with all their fields, outcomes, references', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' })
    documented('/healthz', 'GET', health.statusCode)
    expectMatches(healthResponse, health.json(), 'GET /healthz')

    for (const type of entityTypes) {
      const posted = await app.inject({
        method: 'POST',
        url: `/v1/brand-a/${type}`,
        headers: auth(),
        payload: [fullRecords[type]],
      })
      expect(posted.statusCode, `POST ${type}`).toBe(200)
      documented(`/v1/{brandId}/${type}`, 'POST', 200)
      expectMatches(postResponse, posted.json(), `POST ${type}`)
      const got = await app.inject({
        method: 'GET',
        url: `/v1/brand-a/${type}/${fullRecords[type].id}`,
        headers: auth(),
      })
      expect(got.statusCode).toBe(200)
      documented(`/v1/{brandId}/${type}/{id}`, 'GET', 200)
      expectMatches(entityResponse(type), got.json(), `GET ${type}`)
    }

    const mixed = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/products',
      headers: auth(),
      payload: [
        { id: 'S-2', name: 'ok', updated_at: at },
        { id: 'S-3', price: 'cheap', updated_at: at },
        { name: 'no id', updated_at: at },
      ],
    })
    expect(mixed.statusCode).toBe(207)
    documented('/v1/{brandId}/products', 'POST', 207)
    expectMatches(postResponse, mixed.json(), 'POST with rejections')
    const allRejected = await app.inject({
      method: 'POST',
      url: '/v1/brand-a/products',
      headers: auth(),
      payload: [{ id: 'S-4', updated_at: 'yesterday' }],
    })
    expect(allRejected.statusCode).toBe(422)
    documented('/v1/{brandId}/products', 'POST', 422)
    expectMatches(postResponse, allRejected.json(), 'POST all rejected')

    const waiting = await app.inject({ method: 'GET', url: '/v1/brand-a/waiting-references', headers: auth() })
    documented('/v1/{brandId}/waiting-references', 'GET', 200)
    expectMatches(waitingReferencesResponse, waiting.json(), 'GET waiting-references')
    expect(waiting.json().waiting.length).toBeGreaterThan(0)

    for (const expected of ['deleted', 'already_deleted']) {
      const deleted = await app.inject({ method: 'DELETE', url: '/v1/brand-a/customers/C-1', headers: auth() })
      documented('/v1/{brandId}/customers/{id}', 'DELETE', 200)
      expectMatches(deleteResponse, deleted.json(), 'DELETE')
      expect(deleted.json().outcome).toBe(expected)
    }
    const erased = await app.inject({ method: 'GET', url: '/v1/brand-a/customers/C-1', headers: auth() })
    expectMatches(entityResponse('customers'), erased.json(), 'GET an erased customer')
  })

  it('documents every error status the routes answer, each in the APIErrorResponse shape', async () => {
    const post = '/v1/{brandId}/customers'
    const item = '/v1/{brandId}/customers/{id}'
    const cases: [string, string, InjectOptions][] = [
      [post, 'POST', { method: 'POST', url: '/v1/brand-a/customers', payload: [] }],
      [post, 'POST', { method: 'POST', url: '/v1/brand-b/customers', headers: auth(), payload: [] }],
      [
        post,
        'POST',
        {
          method: 'POST',
          url: '/v1/brand-a/customers',
          headers: { ...auth(), 'content-type': 'application/json' },
          payload: '[{',
        },
      ],
      [
        post,
        'POST',
        {
          method: 'POST',
          url: '/v1/brand-a/customers',
          headers: { ...auth(), 'content-type': 'application/json' },
          payload: `["${'x'.repeat(70_000)}"]`,
        },
      ],
      [post, 'POST', { method: 'POST', url: '/v1/brand-a/customers', headers: auth(), payload: Array(6).fill({}) }],
      [
        post,
        'POST',
        {
          method: 'POST',
          url: '/v1/brand-a/customers',
          headers: { ...auth(), 'content-type': 'text/plain' },
          payload: '[]',
        },
      ],
      [post, 'POST', { method: 'POST', url: '/v1/brand-a/customers', headers: auth(), payload: { id: 'x' } }],
      [item, 'GET', { method: 'GET', url: '/v1/brand-a/customers/C-404', headers: auth() }],
      [item, 'GET', { method: 'GET', url: '/v1/brand-a/customers/%E0%A4%A', headers: auth() }],
      [item, 'GET', { method: 'GET', url: `/v1/brand-a/customers/${'x'.repeat(1025)}`, headers: auth() }],
      [item, 'DELETE', { method: 'DELETE', url: '/v1/brand-a/customers/C-404', headers: auth() }],
    ]
    const seen = new Set<number>()
    for (const [path, method, request] of cases) {
      const response = await app.inject(request)
      seen.add(response.statusCode)
      documented(path, method, response.statusCode)
      expectMatches(apiErrorResponseSchema, response.json(), `${method} ${path} -> ${response.statusCode}`)
    }
    const limited = buildApp({ database: database.current.handle, rateLimit: { requests: 1, windowMs: 60_000 } })
    try {
      await limited.inject({ method: 'GET', url: '/v1/brand-b/waiting-references', headers: auth(otherKey) })
      const tooMany = await limited.inject({
        method: 'GET',
        url: '/v1/brand-b/waiting-references',
        headers: auth(otherKey),
      })
      seen.add(tooMany.statusCode)
      documented('/v1/{brandId}/waiting-references', 'GET', tooMany.statusCode)
      expectMatches(apiErrorResponseSchema, tooMany.json(), '429')
    } finally {
      await limited.close()
    }
    expect([...seen].sort()).toEqual([400, 401, 403, 404, 413, 414, 415, 422, 429])
  })
})
