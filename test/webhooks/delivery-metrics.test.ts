import { createServer } from 'node:net'
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlatformMetrics, type PlatformMetrics } from '../../src/metrics/platform-metrics.ts'
import { readPlatformState } from '../../src/metrics/platform-state.ts'
import { attemptOutcomeName, attemptOutcomes } from '../../src/webhooks/delivery-metrics.ts'
import { DeliveryWorker } from '../../src/webhooks/delivery-worker.ts'
import { AllowedNetworks } from '../../src/webhooks/endpoint-url.ts'
import { attemptSucceeded, WebhookSender } from '../../src/webhooks/send-webhook-request.ts'
import { addWebhook, deliveriesOf, publishReceipts } from '../support/delivery-fixtures.ts'
import { addBrand, silentLog } from '../support/fixtures.ts'
import { type MetricFamily, parsePrometheusText, sampleValue } from '../support/prometheus-text.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

// The delivery worker counts its attempts by outcome and measures the time from an event's
// publication to a delivery's first attempt and first success, into the platform's registry:
// real receivers, a real refused port, the real database, read back through the Prometheus text.

const database = useTestDatabase()
const db = () => database.current.handle.db
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 200)

let sender: WebhookSender
let ok: Receiver
let failing: Receiver
let closedPort: number
let metrics: PlatformMetrics

beforeAll(async () => {
  await addBrand(db(), 'metrics-a', 'UTC')
  sender = new WebhookSender({ allowed: new AllowedNetworks(['127.0.0.0/8']), timeoutMs: 2_000 })
  ok = await startReceiver()
  failing = await startReceiver((_request, res) => {
    res.writeHead(503).end('busy')
  })
  // A port that was open a moment ago and is closed now: connecting to it is refused.
  const probe = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => probe.once('listening', resolve))
  closedPort = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  metrics = createPlatformMetrics(() => readPlatformState(db(), { deadline: '04:00' }))
})

afterAll(async () => {
  await sender?.close()
  await ok?.close()
  await failing?.close()
})

const worker = () => new DeliveryWorker({ db: db(), sender, logger: silentLog, metrics: metrics.delivery })

async function scraped(): Promise<Map<string, MetricFamily>> {
  return parsePrometheusText(await metrics.scrape())
}

const attempts = (families: Map<string, MetricFamily>, outcome: string) =>
  sampleValue(families, 'flex_webhook_attempts_total', { outcome }) ?? 0

describe('delivery metrics of the worker', () => {
  it('counts attempts by outcome and measures event-to-first-attempt and event-to-success latencies', async () => {
    const good = await addWebhook(db(), 'metrics-a', `${ok.url}/hook`)
    const busy = await addWebhook(db(), 'metrics-a', `${failing.url}/hook`)
    const refused = await addWebhook(db(), 'metrics-a', `http://127.0.0.1:${closedPort}/hook`)
    await publishReceipts(db(), 'metrics-a', ['r-1', 'r-2'])
    // Published 90 seconds ago (the outbox's time is the event's publication): the first attempts
    // fall in the 60 s < latency <= 300 s bucket.
    await sql`update outbox_events set created_at = now() - interval '90 seconds'`.execute(db())

    expect(await worker().runOnce()).toBe(6)
    let families = await scraped()
    expect(families.get('flex_webhook_attempts_total')?.type).toBe('counter')
    expect(attempts(families, 'success')).toBe(2)
    expect(attempts(families, 'http_5xx')).toBe(2)
    expect(attempts(families, 'refused')).toBe(2)
    const first = (le: string) => sampleValue(families, 'flex_webhook_first_attempt_latency_seconds_bucket', { le })
    expect(first('60')).toBe(0)
    expect(first('300')).toBe(6)
    expect(sampleValue(families, 'flex_webhook_first_attempt_latency_seconds_count')).toBe(6)
    expect(sampleValue(families, 'flex_webhook_delivered_latency_seconds_count')).toBe(2)
    const deliveredSum = sampleValue(families, 'flex_webhook_delivered_latency_seconds_sum') ?? 0
    expect(deliveredSum).toBeGreaterThanOrEqual(2 * 90)
    expect(deliveredSum).toBeLessThan(2 * 300)

    // The busy endpoint recovers and its retries are due: a retry is no first attempt, and its
    // success is measured from the event's publication too.
    failing.answer((_request, res) => {
      res.writeHead(204).end()
    })
    await sql`update webhook_deliveries set next_attempt_at = now() where webhook_id = ${busy.id}`.execute(db())
    expect(await worker().runOnce()).toBe(2)
    families = await scraped()
    expect(attempts(families, 'success')).toBe(4)
    expect(attempts(families, 'http_5xx')).toBe(2)
    expect(sampleValue(families, 'flex_webhook_first_attempt_latency_seconds_count')).toBe(6)
    expect(sampleValue(families, 'flex_webhook_delivered_latency_seconds_count')).toBe(4)
    expect((await deliveriesOf(db(), busy.id)).every((d) => d.succeeded)).toBe(true)

    // A manual retry of a delivered event is another attempt, but not another delivery.
    await sql`update webhook_deliveries set next_attempt_at = now() where webhook_id = ${good.id}`.execute(db())
    expect(await worker().runOnce()).toBe(2)
    families = await scraped()
    expect(attempts(families, 'success')).toBe(6)
    expect(sampleValue(families, 'flex_webhook_delivered_latency_seconds_count')).toBe(4)
    expect((await deliveriesOf(db(), refused.id)).every((d) => d.attempts === 1 && !d.succeeded)).toBe(true)
  })

  it('names every possible attempt outcome from the bounded list, success exactly when the attempt succeeded', () => {
    const errorKind = fc.constantFrom('timeout', 'refused', 'reset', 'dns', 'tls', 'address', 'other' as const)
    const outcome = fc.record(
      {
        response: fc.record({
          statusCode: fc.integer({ min: 100, max: 999 }),
          headers: fc.constant({}),
          body: fc.string(),
          bodyTruncated: fc.boolean(),
        }),
        error: fc.record({ kind: errorKind, message: fc.string() }),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(outcome, (value) => {
        const attempt = { startedAt: new Date(), durationMs: 0, ...value }
        const succeeded = attemptSucceeded(attempt)
        const name = attemptOutcomeName(attempt, succeeded)
        expect(attemptOutcomes).toContain(name)
        expect(name === 'success').toBe(succeeded)
        if (value.error) expect(name).toBe(value.error.kind)
        else if (!value.response) expect(name).toBe('other')
        else if (!succeeded) expect(name).toBe(`http_${Math.min(5, Math.floor(value.response.statusCode / 100))}xx`)
      }),
      { numRuns: runs },
    )
  })
})
