import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.ts'
import { addWebhook } from '../support/delivery-fixtures.ts'
import { addBrand } from '../support/fixtures.ts'
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts'
import { useTestDatabase } from '../support/test-database.ts'

// GET /metrics of a started app on a real socket, over rows seeded into this file's database: the
// text must parse as Prometheus exposition format and the gauges must count the seeded rows.

const database = useTestDatabase()
const token = `metrics-${randomUUID()}`
let app: FastifyInstance
let base: string

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'UTC')
  const failing = await addWebhook(db, 'brand-a', 'https://failing.example/hook')
  const disabled = await addWebhook(db, 'brand-a', 'https://disabled.example/hook')
  await sql`update webhooks set failing_since = now() - interval '2 hours' where id = ${failing.id}`.execute(db)
  await sql`update webhooks set enabled = false, disabled_reason = '410 Gone' where id = ${disabled.id}`.execute(db)
  // Three pending deliveries (one created 10 minutes ago, one due 7 minutes ago, one retried in an
  // hour), one delivered: pending is 3.
  const ages = ['10 minutes', '1 minute', '0 seconds', '20 minutes']
  const due = ['-7 minutes', '-1 minute', '1 hour']
  for (const [index, age] of ages.entries()) {
    const eventId = randomUUID()
    await sql`insert into webhook_messages (event_id, brand_id, event_type, entity_type, entity_id, occurred_at)
              values (${eventId}, 'brand-a', 'RECEIPTS', 'receipts', ${`r${index}`}, now())`.execute(db)
    const delivered = index === 3
    await sql`insert into webhook_deliveries (webhook_id, event_id, brand_id, event_type, occurred_at, next_attempt_at, succeeded_at, created_at)
              values (${failing.id}, ${eventId}, 'brand-a', 'RECEIPTS', now(), ${delivered ? null : sql`now() + ${due[index]}::interval`},
                      ${delivered ? sql`now()` : null}, now() - ${age}::interval)`.execute(db)
  }
  // Runs of the last 2 days count: 2 succeeded, 1 failed, 1 running; the 5-day-old failure does not.
  const runs = [
    ['succeeded', '1 hour'],
    ['succeeded', '25 hours'],
    ['failed', '2 hours'],
    ['running', '1 minute'],
    ['failed', '5 days'],
  ] as const
  for (const [index, [status, age]] of runs.entries()) {
    await sql`insert into export_runs (id, brand_id, date, status, trigger, destination, started_at)
              values (${randomUUID()}, 'brand-a', ${`2026-01-${String(index + 1).padStart(2, '0')}`}, ${status},
                      'schedule', '/tmp/x', now() - ${age}::interval)`.execute(db)
  }
  const waiting = [
    ['customers', 'c1', '1 hour'],
    ['customers', 'c2', '1 minute'],
    ['products', 'p1', '5 minutes'],
  ] as const
  for (const [target, id, age] of waiting) {
    await sql`insert into waiting_references (brand_id, source_type, source_id, field, target_type, target_id, waiting_since)
              values ('brand-a', 'transactions', ${`t-${id}`}, 'ref', ${target}, ${id}, now() - ${age}::interval)`.execute(
      db,
    )
  }

  app = buildApp({ database: database.current.handle, metricsToken: token })
  base = await app.listen({ host: '127.0.0.1', port: 0 })
})

afterAll(async () => {
  await app?.close()
})

const scrape = (authorization?: string) =>
  fetch(`${base}/metrics`, authorization === undefined ? {} : { headers: { authorization } })

describe('GET /metrics', () => {
  it('answers 401 with a Bearer challenge to a request without the token or with another one', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${token}`, `Bearer ${token}x`]) {
      const answer = await scrape(authorization)
      expect(answer.status).toBe(401)
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
      const body = (await answer.json()) as { status: number; description: string }
      expect(body.status).toBe(401)
      expect(body.description).toMatch(/FLEX_METRICS_TOKEN/)
    }
  })

  it('answers Prometheus text whose gauges count the seeded rows', async () => {
    const answer = await scrape(`Bearer ${token}`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = parsePrometheusText(await answer.text())
    expect(families.get('flex_webhook_deliveries_pending')?.type).toBe('gauge')
    expect(sampleValue(families, 'flex_webhook_deliveries_pending')).toBe(3)
    const oldest = sampleValue(families, 'flex_webhook_delivery_oldest_pending_age_seconds') ?? 0
    expect(oldest).toBeGreaterThanOrEqual(600)
    expect(oldest).toBeLessThan(1_200)
    const overdue = sampleValue(families, 'flex_webhook_delivery_overdue_seconds') ?? 0
    expect(overdue).toBeGreaterThanOrEqual(420)
    expect(overdue).toBeLessThan(600)
    expect(sampleValue(families, 'flex_webhooks_disabled')).toBe(1)
    expect(sampleValue(families, 'flex_webhooks_failing')).toBe(1)
    expect(sampleValue(families, 'flex_webhook_longest_failing_seconds')).toBeGreaterThanOrEqual(7_200)
    expect(sampleValue(families, 'flex_export_runs', { status: 'succeeded' })).toBe(2)
    expect(sampleValue(families, 'flex_export_runs', { status: 'failed' })).toBe(1)
    expect(sampleValue(families, 'flex_export_runs', { status: 'running' })).toBe(1)
    expect(sampleValue(families, 'flex_waiting_references', { target_type: 'customers' })).toBe(2)
    expect(sampleValue(families, 'flex_waiting_references', { target_type: 'products' })).toBe(1)
    expect(sampleValue(families, 'flex_waiting_reference_oldest_age_seconds')).toBeGreaterThanOrEqual(3_600)
  })

  it('reflects a change in the database at the next scrape', async () => {
    const { db } = database.current.handle
    await sql`update webhook_deliveries set next_attempt_at = null, succeeded_at = now() where next_attempt_at is not null`.execute(
      db,
    )
    const families = parsePrometheusText(await (await scrape(`Bearer ${token}`)).text())
    expect(sampleValue(families, 'flex_webhook_deliveries_pending')).toBe(0)
    expect(sampleValue(families, 'flex_webhook_delivery_oldest_pending_age_seconds')).toBe(0)
    expect(sampleValue(families, 'flex_webhook_delivery_overdue_seconds')).toBe(0)
  })

  it('records request durations by route template, not by raw URL', async () => {
    await fetch(`${base}/healthz`)
    await fetch(`${base}/v1/brand-a/customers/secret-customer-id`)
    await fetch(`${base}/no/such/path`)
    const families = parsePrometheusText(await (await scrape(`Bearer ${token}`)).text())
    const histogram = families.get('flex_http_request_duration_seconds')
    expect(histogram?.type).toBe('histogram')
    const counted = (route: string, status: string) =>
      sampleValue(families, 'flex_http_request_duration_seconds_count', { method: 'GET', route, status_code: status })
    expect(counted('/healthz', '200')).toBe(1)
    expect(counted('/v1/:brandId/customers/:id', '401')).toBe(1)
    expect(counted('unmatched', '404')).toBe(1)
    const routes = new Set(histogram?.samples.map((sample) => sample.labels.route))
    expect([...routes].some((route) => route?.includes('secret-customer-id') || route?.includes('no/such'))).toBe(false)
  })
})

describe('GET /metrics without FLEX_METRICS_TOKEN', () => {
  it('answers 404, token or not', async () => {
    const closed = buildApp({ database: database.current.handle })
    try {
      for (const headers of [{}, { authorization: `Bearer ${token}` }]) {
        const answer = await closed.inject({ method: 'GET', url: '/metrics', headers })
        expect(answer.statusCode).toBe(404)
      }
    } finally {
      await closed.close()
    }
  })
})
