import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import {
  failedDeliveriesCount,
  failedDeliveriesRetried,
  webhookActivityResponse,
  webhookHealthResponse,
} from '../../src/http/response-schemas.ts'
import { activityWindow } from '../../src/webhooks/delivery-activity.ts'
import { addWebhook, deliveriesOf } from '../support/delivery-fixtures.ts'
import { seedDeliveries } from '../support/delivery-log-fixtures.ts'
import { documented, expectError, expectMatches } from '../support/documented-answers.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Operating a brand's webhooks over HTTP, against a real PostgreSQL: the count and bulk retry of
// failed deliveries in a time range, each webhook's health over 24 hours, and the attempts per
// minute and response times per 10 minutes the console charts.

const database = useTestDatabase()
let app: FastifyInstance
let keyA: string
let keyB: string
let operatorKey: string
let endpoints = 0

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'UTC')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  operatorKey = (await createApiKey(db, { operator: true })).key
  app = buildApp({ database: database.current.handle, rateLimit: { requests: 1_000_000, windowMs: 60_000 } })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const auth = (key = keyA) => ({ authorization: `Bearer ${key}` })
const hour = 3_600_000

async function newWebhook(brandId = 'brand-a') {
  const { id } = await addWebhook(database.current.handle.db, brandId, `https://example.com/ops/${++endpoints}`)
  return id
}

describe('failed deliveries of a time range: count, then retry', () => {
  const item = '/v1/{brandId}/webhooks/{id}/failed-deliveries'

  it('counts and retries the given-up and failing deliveries of the range, and leaves every other one as it was', async () => {
    const { db } = database.current.handle
    const id = await newWebhook()
    const inRange = new Date('2026-11-29T10:00:00Z')
    const before = new Date('2026-11-29T08:00:00Z')
    const seeded = await seedDeliveries(db, { id, brandId: 'brand-a' }, [
      { type: 'RECEIPTS', occurredAt: inRange, state: 'failure', attempts: 10 },
      { type: 'RECEIPTS', occurredAt: inRange, state: 'pending', attempts: 2 },
      { type: 'RECEIPTS', occurredAt: inRange, state: 'pending', attempts: 0 },
      { type: 'RECEIPTS', occurredAt: inRange, state: 'success' },
      { type: 'RECEIPTS', occurredAt: inRange, state: 'erased' },
      { type: 'WEBHOOK.TEST', occurredAt: inRange, state: 'failure' },
      { type: 'RECEIPTS', occurredAt: before, state: 'failure' },
    ])
    const [givenUp, failing, queued, delivered, erased, test, earlier] = seeded.map((e) => e.eventId)
    const range = { start: '2026-11-29T09:00:00Z', end: '2026-11-29T11:00:00Z' }

    const counted = await app.inject({
      method: 'GET',
      url: `/v1/brand-a/webhooks/${id}/failed-deliveries/count?${new URLSearchParams(range)}`,
      headers: auth(),
    })
    expect(counted.statusCode, counted.body).toBe(200)
    documented(`${item}/count`, 'GET', 200)
    expect(expectMatches(failedDeliveriesCount, counted)).toEqual({
      start: '2026-11-29T09:00:00.000Z',
      end: '2026-11-29T11:00:00.000Z',
      count: 2,
    })

    const stateBefore = new Map((await deliveriesOf(db, id)).map((d) => [d.eventId, d]))
    const startedAt = Date.now()
    const retried = await app.inject({
      method: 'POST',
      url: `/v1/brand-a/webhooks/${id}/failed-deliveries/retry`,
      headers: auth(),
      payload: range,
    })
    expect(retried.statusCode, retried.body).toBe(202)
    documented(`${item}/retry`, 'POST', 202)
    expect(expectMatches(failedDeliveriesRetried, retried)).toMatchObject({ retried: 2 })

    const after = new Map((await deliveriesOf(db, id)).map((d) => [d.eventId, d]))
    for (const eventId of [givenUp, failing] as string[]) {
      const due = after.get(eventId)?.nextAttemptAt?.getTime()
      expect(due, eventId).toBeGreaterThanOrEqual(startedAt - 1000)
      expect(due, eventId).toBeLessThanOrEqual(Date.now())
    }
    for (const eventId of [queued, delivered, erased, test, earlier] as string[]) {
      expect(after.get(eventId), eventId).toEqual(stateBefore.get(eventId))
    }
  })

  it('names a missing, malformed or reversed range in a 422, for the count and the retry', async () => {
    const id = await newWebhook()
    const count = (query: string) =>
      app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/${id}/failed-deliveries/count?${query}`, headers: auth() })
    expect(expectError(await count(''), 422, `${item}/count`, 'GET').validations).toEqual({
      start: 'start is required',
      end: 'end is required',
    })
    expect(
      expectError(await count('start=2026-11-30T10:00:00Z&end=2026-11-30T09:00:00Z'), 422, `${item}/count`, 'GET')
        .validations,
    ).toEqual({ start: 'start must not be after end' })
    expect(
      expectError(await count('start=yesterday&end=2026-11-30T09:00:00Z&x=1'), 422, `${item}/count`, 'GET').validations,
    ).toEqual({
      start: 'start must be a date-time with an offset, such as 2026-11-30T09:00:00Z',
      x: 'unknown parameter; the parameters are start, end',
    })

    const retry = (payload: unknown) =>
      app.inject({
        method: 'POST',
        url: `/v1/brand-a/webhooks/${id}/failed-deliveries/retry`,
        headers: { ...auth(), 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      })
    expect(expectError(await retry({}), 422, `${item}/retry`, 'POST').validations).toEqual({
      start: 'start is required',
      end: 'end is required',
    })
    expect(
      expectError(await retry({ start: 5, end: '2026-11-30T09:00:00Z', all: true }), 422, `${item}/retry`, 'POST')
        .validations,
    ).toEqual({ start: 'start must be a string', all: 'unknown field; the fields are start, end' })
    expect(expectError(await retry(['x']), 422, `${item}/retry`, 'POST').validations).toMatchObject({
      body: 'must be a JSON object: {"start": date-time, "end": date-time}',
    })
  })

  it('keeps another brand’s webhook out of reach: 404 with one’s own brand, 403 with the other’s', async () => {
    const id = await newWebhook()
    const range = 'start=2026-11-29T00:00:00Z&end=2026-11-30T00:00:00Z'
    const own = await app.inject({
      method: 'GET',
      url: `/v1/brand-b/webhooks/${id}/failed-deliveries/count?${range}`,
      headers: auth(keyB),
    })
    expectError(own, 404, `${item}/count`, 'GET')
    const foreign = await app.inject({
      method: 'POST',
      url: `/v1/brand-a/webhooks/${id}/failed-deliveries/retry`,
      headers: auth(keyB),
      payload: { start: '2026-11-29T00:00:00Z', end: '2026-11-30T00:00:00Z' },
    })
    expectError(foreign, 403, `${item}/retry`, 'POST')
  })
})

describe('GET /v1/{brandId}/webhooks/health', () => {
  it('answers each webhook’s last 24 hours, backlog, last error and why it was disabled', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'brand-h', 'UTC')
    const key = (await createApiKey(db, 'brand-h')).key
    const healthy = await newWebhook('brand-h')
    const failing = await newWebhook('brand-h')
    const now = Date.now()
    await seedDeliveries(db, { id: healthy, brandId: 'brand-h' }, [
      { type: 'RECEIPTS', occurredAt: new Date(now - 2 * hour), state: 'success' },
      { type: 'RECEIPTS', occurredAt: new Date(now - 3 * hour), state: 'success' },
      { type: 'RECEIPTS', occurredAt: new Date(now - 30 * hour), state: 'failure' },
    ])
    const failed = await seedDeliveries(db, { id: failing, brandId: 'brand-h' }, [
      { type: 'RECEIPTS', occurredAt: new Date(now - 5 * hour), state: 'success' },
      { type: 'RECEIPTS', occurredAt: new Date(now - 4 * hour), state: 'failure', attempts: 3 },
      { type: 'RECEIPTS', occurredAt: new Date(now - 1 * hour), state: 'pending', attempts: 2 },
      { type: 'RECEIPTS', occurredAt: new Date(now - 1 * hour), state: 'pending', attempts: 0 },
      { type: 'WEBHOOK.TEST', occurredAt: new Date(now - 1 * hour), state: 'failure' },
    ])
    await db
      .updateTable('webhooks')
      .set({ enabled: false, disabled_reason: 'the endpoint answered 410 Gone' })
      .where('id', '=', failing)
      .execute()

    const answer = await app.inject({ method: 'GET', url: '/v1/brand-h/webhooks/health', headers: auth(key) })
    expect(answer.statusCode, answer.body).toBe(200)
    documented('/v1/{brandId}/webhooks/health', 'GET', 200)
    const body = expectMatches(webhookHealthResponse, answer)
    expect(body.webhooks.map((w) => w.id)).toEqual([healthy, failing])
    const [first, second] = body.webhooks
    expect(first).toMatchObject({
      enabled: true,
      disabledReason: null,
      last24h: { deliveries: 2, succeeded: 2, failed: 0, successRate: 1 },
      backlog: { pending: 0, oldestPendingSince: null, oldestPendingAgeSeconds: null },
    })
    // The failure 30 hours ago is outside the window, but it is still the last error.
    expect(first?.lastError).toMatchObject({ statusCode: 500, kind: null })
    expect(second).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
      last24h: { deliveries: 4, succeeded: 1, failed: 2, successRate: 1 / 3 },
      backlog: { pending: 2 },
    })
    expect(second?.backlog.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0)
    // The latest failed attempt is the test send's (an hour ago), which health reports as any.
    expect(second?.lastError?.eventId).toBe(failed[4]?.eventId)
    expect(second?.lastError?.message).toBe('the endpoint answered HTTP 500')
  })

  it('answers an empty list for a brand without webhooks, and only its own brand’s to a brand key', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'brand-empty', 'UTC')
    const key = (await createApiKey(db, 'brand-empty')).key
    const empty = await app.inject({ method: 'GET', url: '/v1/brand-empty/webhooks/health', headers: auth(key) })
    expect(expectMatches(webhookHealthResponse, empty).webhooks).toEqual([])
    expectError(
      await app.inject({ method: 'GET', url: '/v1/brand-a/webhooks/health', headers: auth(keyB) }),
      403,
      '/v1/{brandId}/webhooks/health',
      'GET',
    )
    const operator = await app.inject({ method: 'GET', url: '/v1/brand-a/webhooks/health', headers: auth(operatorKey) })
    expect(operator.statusCode).toBe(200)
  })
})

describe('GET /v1/{brandId}/webhooks/activity', () => {
  it('counts attempts per minute and gives the 10 minutes’ p50 and p95 response times', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'brand-act', 'UTC')
    const key = (await createApiKey(db, 'brand-act')).key
    const one = await newWebhook('brand-act')
    const other = await newWebhook('brand-act')
    const { start } = activityWindow(new Date(), 1)
    const minute = (n: number, second = 5) => new Date(start.getTime() + n * 60_000 + second * 1000)
    // Minute 1: 3 delivered; minute 2: 1 failed with 2 attempts; another webhook in minute 3.
    await seedDeliveries(db, { id: one, brandId: 'brand-act' }, [
      ...[10, 20, 30].map((ms) => ({
        type: 'RECEIPTS',
        occurredAt: minute(1, 0),
        attemptedAt: minute(1),
        state: 'success' as const,
        durationMs: ms,
      })),
      {
        type: 'RECEIPTS',
        occurredAt: minute(2, 0),
        attemptedAt: minute(2),
        state: 'failure',
        attempts: 2,
        durationMs: 400,
      },
    ])
    await seedDeliveries(db, { id: other, brandId: 'brand-act' }, [
      { type: 'RECEIPTS', occurredAt: minute(3, 0), attemptedAt: minute(3), state: 'success', durationMs: 50 },
    ])

    const answer = await app.inject({
      method: 'GET',
      url: '/v1/brand-act/webhooks/activity?hours=1',
      headers: auth(key),
    })
    expect(answer.statusCode, answer.body).toBe(200)
    documented('/v1/{brandId}/webhooks/activity', 'GET', 200)
    const body = expectMatches(webhookActivityResponse, answer)
    expect(body.minutes).toHaveLength(60)
    expect(body.latency).toHaveLength(6)
    expect(body.start).toBe(start.toISOString())
    expect(body.minutes.slice(0, 5).map((m) => [m.delivered, m.failed])).toEqual([
      [0, 0],
      [3, 0],
      [0, 2],
      [1, 0],
      [0, 0],
    ])
    // The first 10 minutes: 10, 20, 30, 50, 400, 400 ms -> p50 40, p95 400 (interpolated as PostgreSQL's percentile_cont).
    expect(body.latency[0]).toEqual({ start: start.toISOString(), attempts: 6, p50Ms: 40, p95Ms: 400 })
    expect(body.latency[1]).toMatchObject({ attempts: 0, p50Ms: null, p95Ms: null })

    const onlyOther = await app.inject({
      method: 'GET',
      url: `/v1/brand-act/webhooks/activity?hours=1&webhookId=${other}`,
      headers: auth(key),
    })
    const otherBody = expectMatches(webhookActivityResponse, onlyOther)
    expect(otherBody.webhookId).toBe(other)
    expect(otherBody.minutes.reduce((sum, m) => sum + m.delivered + m.failed, 0)).toBe(1)
  })

  it('answers 422 for bad hours or webhookId, and 404 for another brand’s webhook', async () => {
    const activity = (query: string, key = keyA) =>
      app.inject({ method: 'GET', url: `/v1/brand-a/webhooks/activity?${query}`, headers: auth(key) })
    const path = '/v1/{brandId}/webhooks/activity'
    expect(expectError(await activity('hours=0'), 422, path, 'GET').validations).toEqual({
      hours: 'hours must be a whole number from 1 to 48',
    })
    expect(expectError(await activity('hours=49&webhookId=x'), 422, path, 'GET').validations).toEqual({
      hours: 'hours must be a whole number from 1 to 48',
      webhookId: 'webhookId must be the id (a uuid) of one of the brand’s webhooks',
    })
    const otherBrands = await newWebhook('brand-b')
    expectError(await activity(`webhookId=${otherBrands}`), 404, path, 'GET')
  })
})
