import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { ingestionSummaryResponse, rejectionsPage } from '../../src/http/response-schemas.ts'
import { entityTypes } from '../../src/ingest/entity-types.ts'
import { documented, expectError, expectMatches } from '../support/documented-answers.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// GET /v1/{brandId}/ingestion/summary and .../rejections against a real PostgreSQL, with records
// posted through the API itself: the answers match the documented schemas, brand keys see only
// their brand, and hostile query strings get a 422 naming the parameter, never a 5xx.

const database = useTestDatabase()
const summaryPath = '/v1/{brandId}/ingestion/summary'
const rejectionsPath = '/v1/{brandId}/ingestion/rejections'
let app: FastifyInstance
let keyA: string
let keyB: string
let operatorKey: string
// Fixed once the records are in, so the summary's hours hold them whatever the clock does next.
let now = new Date()

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'UTC')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  operatorKey = (await createApiKey(db, { operator: true })).key
  app = buildApp({
    database: database.current.handle,
    rateLimit: { requests: 1_000_000, windowMs: 60_000 },
    now: () => now,
  })
  await app.ready()
  const post = (brand: string, key: string, type: string, records: unknown[]) =>
    app.inject({
      method: 'POST',
      url: `/v1/${brand}/${type}`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify(records),
    })
  const updatedAt = '2026-11-21T09:30:00Z'
  expect(
    (
      await post('brand-a', keyA, 'customers', [
        { id: 'C-1', updated_at: updatedAt },
        { id: '<script>alert(1)</script>', updated_at: updatedAt },
        { id: 'C-3', email: 'nope', updated_at: updatedAt },
      ])
    ).statusCode,
  ).toBe(207)
  await post('brand-a', keyA, 'transactions', [
    {
      id: 'T-1',
      customer_id: 'C-9',
      occurred_at: updatedAt,
      status: 'completed',
      currency: 'EUR',
      total_amount: '1.00',
      items: [],
      updated_at: updatedAt,
    },
  ])
  await post('brand-b', keyB, 'groups', [{ id: 'G-1', updated_at: updatedAt }])
  now = new Date()
})

afterAll(async () => {
  await app?.close()
})

const get = (url: string, key = keyA) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })

describe('GET /v1/{brandId}/ingestion/summary', () => {
  it("answers the brand's counts by entity type and outcome and its waiting references", async () => {
    const answer = await get('/v1/brand-a/ingestion/summary')
    expect(answer.statusCode).toBe(200)
    documented(summaryPath, 'GET', 200)
    const summary = expectMatches(ingestionSummaryResponse, answer)
    expect(summary.to).toBe(now.toISOString())
    expect(summary.counts.map((c) => c.entity_type)).toEqual([...entityTypes])
    expect(summary.counts.find((c) => c.entity_type === 'customers')).toEqual({
      entity_type: 'customers',
      created: 1,
      updated: 0,
      unchanged: 0,
      stale: 0,
      rejected: 2,
    })
    expect(summary.counts.find((c) => c.entity_type === 'transactions')).toMatchObject({ created: 1 })
    expect(summary.counts.find((c) => c.entity_type === 'groups')).toMatchObject({ rejected: 0 })
    expect(summary.waiting).toEqual([
      {
        source_type: 'transactions',
        target_type: 'customers',
        waiting: 1,
        oldest_since: expect.any(String),
        oldest_age_seconds: expect.any(Number),
      },
    ])
  })

  it("answers a brand's key for another brand 403, and an operator key for any brand", async () => {
    expectError(await get('/v1/brand-b/ingestion/summary'), 403, summaryPath, 'GET')
    const other = expectMatches(ingestionSummaryResponse, await get('/v1/brand-b/ingestion/summary', operatorKey))
    expect(other.counts.find((c) => c.entity_type === 'groups')).toMatchObject({ rejected: 1 })
    expectError(await get('/v1/no-brand/ingestion/summary', operatorKey), 404, summaryPath, 'GET')
  })
})

describe('GET /v1/{brandId}/ingestion/rejections', () => {
  it('answers the rejected records newest first with field, rule and message, as sent ids included', async () => {
    const answer = await get('/v1/brand-a/ingestion/rejections')
    expect(answer.statusCode).toBe(200)
    documented(rejectionsPath, 'GET', 200)
    const page = expectMatches(rejectionsPage, answer)
    expect(page.page).toEqual({ size: 20, startId: null, lastId: null })
    expect(page.rejections).toMatchObject([
      {
        id: 2,
        entity_type: 'customers',
        record_id: 'C-3',
        source: 'api',
        errors: [{ field: 'email', rule: 'format' }],
      },
      {
        id: 1,
        record_id: '<script>alert(1)</script>',
        errors: [{ field: 'id', rule: 'format', message: expect.stringMatching(/letters, digits/) }],
        error_count: 1,
      },
    ])
  })

  it('pages by startId and filters by entity type', async () => {
    const first = expectMatches(rejectionsPage, await get('/v1/brand-a/ingestion/rejections?size=1'))
    expect(first.rejections.map((r) => r.id)).toEqual([2])
    expect(first.page.lastId).toBe(2)
    const second = expectMatches(rejectionsPage, await get('/v1/brand-a/ingestion/rejections?size=1&startId=2'))
    expect(second).toMatchObject({ rejections: [{ id: 1 }], page: { size: 1, startId: 2, lastId: null } })
    const none = expectMatches(rejectionsPage, await get('/v1/brand-a/ingestion/rejections?entity=transactions'))
    expect(none.rejections).toEqual([])
    const empty = expectMatches(rejectionsPage, await get('/v1/brand-a/ingestion/rejections?entity='))
    expect(empty.rejections).toHaveLength(2)
  })

  it("keeps brands apart: a brand's key gets 403 for another brand, an operator key sees it", async () => {
    expectError(await get('/v1/brand-b/ingestion/rejections'), 403, rejectionsPath, 'GET')
    expectError(await get('/v1/brand-a/ingestion/rejections', keyB), 403, rejectionsPath, 'GET')
    const b = expectMatches(rejectionsPage, await get('/v1/brand-b/ingestion/rejections', operatorKey))
    expect(b.rejections.map((r) => [r.entity_type, r.record_id])).toEqual([['groups', 'G-1']])
  })

  it('answers 422 naming each parameter that breaks its rule', async () => {
    const error = expectError(
      await get('/v1/brand-a/ingestion/rejections?size=0&startId=x&entity=users&page=2'),
      422,
      rejectionsPath,
      'GET',
    )
    expect(Object.keys(error.validations ?? {}).sort()).toEqual(['entity', 'page', 'size', 'startId'])
    const twice = expectError(await get('/v1/brand-a/ingestion/rejections?size=1&size=2'), 422, rejectionsPath, 'GET')
    expect(twice.validations).toEqual({ size: 'give size once' })
  })

  it('answers any hostile query with a page or a 422 in the documented shape, never a 5xx', async () => {
    const hostileText = fc
      .array(fc.oneof(fc.constantFrom(...hostileCharacters), fc.string({ maxLength: 6, unit: 'binary' })), {
        maxLength: 4,
      })
      .map((parts) => parts.join(''))
    const value = fc.oneof(
      fc.constantFrom('0', '1', '100', '101', '-1', '1e2', '9007199254740993', '999999999999999', ''),
      fc.constantFrom(...entityTypes, 'Customers', 'constructor'),
      hostileText,
    )
    const name = fc.oneof(fc.constantFrom('size', 'startId', 'entity', '__proto__'), hostileText)
    const encode = (text: string) => {
      try {
        return encodeURIComponent(text)
      } catch {
        return escape(text)
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 5 }), async (pairs) => {
        const query = pairs.map(([n, v]) => `${encode(n)}=${encode(v)}`).join('&')
        const answer = await get(`/v1/brand-a/ingestion/rejections?${query}`)
        expect(answer.statusCode, answer.body).toBeLessThan(500)
        if (answer.statusCode === 200) expectMatches(rejectionsPage, answer)
        else expectError(answer, answer.statusCode, rejectionsPath, 'GET')
      }),
      { numRuns: Number(process.env.FLEX_PROPERTY_RUNS ?? 200) },
    )
  })
})

describe('the counts after a restart', () => {
  it('are read from the database by a new app', async () => {
    const fresh = buildApp({ database: database.current.handle, now: () => now })
    try {
      const answer = await fresh.inject({
        method: 'GET',
        url: '/v1/brand-a/ingestion/summary',
        headers: { authorization: `Bearer ${keyA}` },
      })
      const summary = expectMatches(ingestionSummaryResponse, answer)
      expect(summary.counts.find((c) => c.entity_type === 'customers')).toMatchObject({ created: 1, rejected: 2 })
      const rows = await sql<{ n: string }>`
        select count(*) as n from ingestion_counts where brand_id = 'brand-a'`.execute(database.current.handle.db)
      expect(Number(rows.rows[0]?.n)).toBeGreaterThan(0)
    } finally {
      await fresh.close()
    }
  })
})
