import { pino } from 'pino'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { exportDay } from '../../src/exports/export-day.ts'
import { readManifest } from '../../src/exports/manifest.ts'
import { deleteCustomer } from '../../src/ingest/delete-customer.ts'
import { entities } from '../../src/ingest/entities/index.ts'
import { ingestRecords } from '../../src/ingest/ingest-records.ts'
import { readEntity } from '../../src/ingest/read-entity.ts'
import { findWebhookEvent, retryDelivery } from '../../src/webhooks/delivery-history.ts'
import { DeliveryWorker } from '../../src/webhooks/delivery-worker.ts'
import { AllowedNetworks } from '../../src/webhooks/endpoint-url.ts'
import { publishEvents } from '../../src/webhooks/publish-event.ts'
import { retryDelaysMs } from '../../src/webhooks/retry-schedule.ts'
import { WebhookSender } from '../../src/webhooks/send-webhook-request.ts'
import { createWebhook, findWebhook, rotateWebhookSecret } from '../../src/webhooks/webhook-repository.ts'
import { addBrand, addCampaign, fullRecords, silentLog, tempFolder } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db
const logger = pino({ level: 'silent' })

/** The worker's clock, moved by the tests. */
let now = new Date('2026-11-30T10:00:00Z')
const clock = () => now

/**
 * Verifies with the official library as a receiver would at the moment the attempt was signed (the
 * library allows 5 minutes around its clock, and the tests' clock is not the real one).
 */
function verifies(secret: string, request: { body: string; headers: Record<string, string> }): unknown {
  const signedAt = Number(request.headers['webhook-timestamp']) * 1000
  const realNow = Date.now
  Date.now = () => signedAt
  try {
    return new StandardWebhook(secret).verify(request.body, request.headers)
  } catch {
    return false
  } finally {
    Date.now = realNow
  }
}

let sender: WebhookSender
let receiver: Receiver

function worker(options: { random?: () => number } = {}) {
  return new DeliveryWorker({ db: db(), sender, logger, clock, random: options.random ?? (() => 0.5) })
}

async function webhook(brandId: string, events: string[], headers: Record<string, string> = {}, path = '/hook') {
  const result = await createWebhook(db(), brandId, {
    endpoint: `${receiver.url}${path}`,
    events,
    enabled: true,
    headers,
  })
  if (!('created' in result)) throw new Error('duplicate webhook')
  return { id: result.created.id, secret: result.secret }
}

beforeAll(async () => {
  for (const brand of ['deliver-a', 'deliver-b']) await addBrand(db(), brand, 'UTC')
  sender = new WebhookSender({ allowed: new AllowedNetworks(['127.0.0.0/8']), timeoutMs: 2_000 })
})

afterAll(async () => {
  await sender.close()
})

beforeEach(async () => {
  now = new Date('2026-11-30T10:00:00Z')
  receiver = await startReceiver()
  await db().deleteFrom('webhooks').execute()
  await db().deleteFrom('webhook_messages').execute()
  await db().deleteFrom('outbox_events').execute()
})

afterEach(async () => {
  await receiver.close()
})

describe('a delivery', () => {
  it('POSTs the entity as GET answers it, signed so that the official library verifies it, with seed 004’s headers', async () => {
    const hook = await webhook('deliver-a', ['CUSTOMER'], { 'X-Flexype-Authorization': 'shared-secret' })
    await ingestRecords(db(), 'deliver-a', entities.customers, [fullRecords.customers])
    await ingestRecords(db(), 'deliver-b', entities.customers, [fullRecords.customers])

    expect(await worker().runOnce()).toBe(1)

    expect(receiver.requests).toHaveLength(1)
    const [request] = receiver.requests
    if (!request) throw new Error('no request')
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/hook')
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-flexype-authorization': 'shared-secret',
      'x-webhook-version': '2026-11',
    })
    expect(request.headers['user-agent']).toMatch(/^Flex-Webhooks\//)
    expect(request.headers['x-event-id']).toBe(request.headers['webhook-id'])
    const verified = verifies(hook.secret, request)
    const stored = await readEntity(db(), 'deliver-a', entities.customers, 'C-1')
    expect(verified).toEqual({
      id: request.headers['webhook-id'],
      type: 'CUSTOMER.CREATED',
      timestamp: expect.stringMatching(/^2026-|^20\d\d-/),
      brandId: 'deliver-a',
      data: JSON.parse(JSON.stringify(stored)),
    })

    const event = await findWebhookEvent(db(), hook.id, request.headers['webhook-id'] ?? '')
    expect(event).toMatchObject({ type: 'CUSTOMER.CREATED', status: 'SUCCESS', nextAttempt: null })
    expect(event?.attempts).toHaveLength(1)
    const [attempt] = event?.attempts ?? []
    expect(attempt?.request.headers['x-flexype-authorization']).toBe('********')
    expect(attempt?.request.headers['webhook-signature']).toBe(request.headers['webhook-signature'])
    expect(attempt?.response).toMatchObject({ statusCode: 200, body: '{"received":true}', bodyTruncated: false })
  })

  it('delivers a published upstream event with its data, and nothing to another brand’s webhook', async () => {
    await webhook('deliver-a', ['ORDER_EVENTS.OMS'])
    const other = await webhook('deliver-b', ['ORDER_EVENTS'], {}, '/other')
    const data = { orderId: 'ORD-1', status: 'shipped' }
    await publishEvents(db(), 'deliver-a', [{ id: 'up-1', type: 'ORDER_EVENTS.OMS.ORDER_SHIPPED', data }])
    await worker().runOnce()
    expect(receiver.requests.map((r) => [r.path, JSON.parse(r.body).type, JSON.parse(r.body).data])).toEqual([
      ['/hook', 'ORDER_EVENTS.OMS.ORDER_SHIPPED', data],
    ])
    expect(await findWebhook(db(), 'deliver-b', other.id)).toBeDefined()
  })

  it('sends byte-identical bodies on every retry, even after the entity changed, with the same event id', async () => {
    await webhook('deliver-a', ['CUSTOMER'])
    receiver.answer((_request, res) => {
      res.writeHead(500).end('down')
    })
    await ingestRecords(db(), 'deliver-a', entities.customers, [{ ...fullRecords.customers, id: 'C-retried' }])
    await worker().runOnce()
    await db().deleteFrom('outbox_events').execute()
    await ingestRecords(db(), 'deliver-a', entities.customers, [
      { ...fullRecords.customers, id: 'C-retried', first_name: 'Changed', updated_at: '2026-11-22T09:30:00Z' },
    ])
    await db().deleteFrom('outbox_events').execute()
    now = new Date(now.getTime() + 60_000)
    await worker().runOnce()
    const [first, second] = receiver.requests
    expect(second?.body).toBe(first?.body)
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id'])
    expect(second?.headers['webhook-timestamp']).not.toBe(first?.headers['webhook-timestamp'])
  })

  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const hook = await webhook('deliver-a', ['RECEIPTS'])
    const rotated = await rotateWebhookSecret(db(), 'deliver-a', hook.id, now)
    if (!rotated) throw new Error('not rotated')
    await publishEvents(db(), 'deliver-a', [{ id: 'r-1', type: 'RECEIPTS', data: { receiptId: 'R-1' } }])
    await worker().runOnce()
    now = new Date(now.getTime() + 25 * 3600_000)
    await publishEvents(db(), 'deliver-a', [{ id: 'r-2', type: 'RECEIPTS', data: { receiptId: 'R-2' } }])
    await worker().runOnce()
    const [during, after] = receiver.requests
    if (!during || !after) throw new Error('missing deliveries')
    const verified = (secret: string, request: typeof during) => verifies(secret, request) !== false
    expect([verified(hook.secret, during), verified(rotated.secret, during)]).toEqual([true, true])
    expect([verified(hook.secret, after), verified(rotated.secret, after)]).toEqual([false, true])
  })
})

describe('a burst of events', () => {
  it('yields while events pour in but delivers every one of them, during the burst and after', async () => {
    await webhook('deliver-a', ['RECEIPTS'])
    const running = new DeliveryWorker({ db: db(), sender, logger, fanOutBatch: 10, pollMs: 20 })
    running.start()
    try {
      // 300 events in 30 requests over about a second: every fan-out takes a full batch of events
      // younger than a second, so the worker works a quarter of the time.
      for (let batch = 0; batch < 30; batch++) {
        await publishEvents(
          db(),
          'deliver-a',
          Array.from({ length: 10 }, (_, i) => ({
            id: `burst-${batch}-${i}`,
            type: 'RECEIPTS',
            data: { receiptId: `R-${batch}-${i}` },
          })),
        )
        await new Promise((resolve) => setTimeout(resolve, 30))
      }
      const deadline = Date.now() + 30_000
      while (receiver.requests.length < 300 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    } finally {
      await running.stop()
    }
    const ids = receiver.requests.map((r) => JSON.parse(r.body).data.receiptId)
    expect(new Set(ids).size).toBe(300)
  })
})

describe('EXPORTS.DAILY.COMPLETED', () => {
  it("is delivered after a real export with the brand-day's manifest in short: each file's rows, bytes and checksum", async () => {
    await addBrand(db(), 'deliver-export', 'Europe/Berlin')
    await addCampaign(db(), { brand_id: 'deliver-export', id: 'c1', updated_at: '2026-06-15T10:00:00Z' })
    await webhook('deliver-export', ['EXPORTS'])
    const folder = await tempFolder()
    const brand = { id: 'deliver-export', timezone: 'Europe/Berlin' }
    await exportDay({
      database: database.current.handle,
      destination: folder,
      brand,
      date: '2026-06-15',
      gzip: true,
      log: silentLog,
    })
    await worker().runOnce()
    const written = await readManifest(folder, 'deliver-export', '2026-06-15')
    expect(receiver.requests).toHaveLength(1)
    const body = JSON.parse(receiver.requests[0]?.body ?? '{}')
    expect(body).toMatchObject({ type: 'EXPORTS.DAILY.COMPLETED', brandId: 'deliver-export' })
    expect(body.data).toEqual({
      brand_id: 'deliver-export',
      date: '2026-06-15',
      timezone: 'Europe/Berlin',
      manifest_path: 'deliver-export/_manifests/dt=2026-06-15.json',
      files: written?.files.map(({ file_type, path, rows, bytes, sha256 }) => ({
        file_type,
        path,
        rows,
        bytes,
        sha256,
      })),
    })
  })
})

describe('the retry schedule', () => {
  it('makes ten attempts at the published times, gives up (FAILURE), and a manual retry still delivers', async () => {
    const hook = await webhook('deliver-a', ['RECEIPTS'])
    receiver.answer((_request, res) => {
      res.writeHead(503).end('busy')
    })
    await publishEvents(db(), 'deliver-a', [{ id: 'retry-1', type: 'RECEIPTS', data: { receiptId: 'R-9' } }])
    const start = now.getTime()
    const attemptTimes: number[] = []
    for (let attempt = 1; attempt <= 12; attempt++) {
      const made = await worker().runOnce()
      if (made === 0) break
      attemptTimes.push(now.getTime() - start)
      const eventId = receiver.requests[0]?.headers['webhook-id'] ?? ''
      const event = await findWebhookEvent(db(), hook.id, eventId)
      if (event?.nextAttempt) {
        // Just before the next attempt is due nothing happens; at its time it is made.
        now = new Date(event.nextAttempt.getTime() - 1)
        expect(await worker().runOnce()).toBe(0)
        now = event.nextAttempt
      }
    }
    let elapsed = 0
    expect(attemptTimes).toEqual([0, ...retryDelaysMs.map((delay) => (elapsed += delay))])
    expect(attemptTimes.at(-1)).toBe(84_965_000)

    const eventId = receiver.requests[0]?.headers['webhook-id'] ?? ''
    const givenUp = await findWebhookEvent(db(), hook.id, eventId)
    expect(givenUp).toMatchObject({ status: 'FAILURE', nextAttempt: null })
    expect(givenUp?.attempts).toHaveLength(10)
    expect(givenUp?.attempts.every((a) => a.status === 'FAILURE' && a.response?.statusCode === 503)).toBe(true)

    now = new Date(now.getTime() + 3600_000)
    receiver.answer((_request, res) => {
      res.writeHead(204).end()
    })
    expect(await retryDelivery(db(), hook.id, eventId, now)).toBe('queued')
    expect(await worker().runOnce()).toBe(1)
    const delivered = await findWebhookEvent(db(), hook.id, eventId)
    expect(delivered).toMatchObject({ status: 'SUCCESS', nextAttempt: null })
    expect(delivered?.attempts).toHaveLength(11)
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1)
  })

  it('waits as long as Retry-After asks on 429, and treats 3xx as a failure it does not follow', async () => {
    const hook = await webhook('deliver-a', ['RECEIPTS'])
    receiver.answer((request, res) => {
      if (request.path === '/hook') res.writeHead(429, { 'retry-after': '600' }).end()
      else res.writeHead(200).end()
    })
    await publishEvents(db(), 'deliver-a', [{ id: 'ra-1', type: 'RECEIPTS', data: { receiptId: 'R-1' } }])
    await worker().runOnce()
    const eventId = receiver.requests[0]?.headers['webhook-id'] ?? ''
    const event = await findWebhookEvent(db(), hook.id, eventId)
    expect(event?.nextAttempt?.getTime()).toBe(now.getTime() + 600_000)

    receiver.answer((request, res) => {
      if (request.path === '/hook') res.writeHead(302, { location: `${receiver.url}/moved` }).end()
      else res.writeHead(200).end()
    })
    now = event?.nextAttempt ?? now
    await worker().runOnce()
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook', '/hook'])
    expect(await findWebhookEvent(db(), hook.id, eventId)).toMatchObject({ status: 'FAILURE' })
  })

  it('disables the webhook when its endpoint answers 410 Gone, and sends it nothing more', async () => {
    const hook = await webhook('deliver-a', ['RECEIPTS'])
    receiver.answer((_request, res) => {
      res.writeHead(410).end()
    })
    await publishEvents(db(), 'deliver-a', [{ id: 'g-1', type: 'RECEIPTS', data: { receiptId: 'R-1' } }])
    await worker().runOnce()
    expect(await findWebhook(db(), 'deliver-a', hook.id)).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
    })
    await publishEvents(db(), 'deliver-a', [{ id: 'g-2', type: 'RECEIPTS', data: { receiptId: 'R-2' } }])
    now = new Date(now.getTime() + 3600_000)
    await worker().runOnce()
    expect(receiver.requests).toHaveLength(1)
  })
})

describe('erasure', () => {
  it('deleting a customer erases the kept bodies of its events and ends their retries', async () => {
    const hook = await webhook('deliver-a', ['CUSTOMER'])
    receiver.answer((_request, res) => {
      res.writeHead(500).end()
    })
    await ingestRecords(db(), 'deliver-a', entities.customers, [{ ...fullRecords.customers, id: 'C-erased' }])
    await worker().runOnce()
    const eventId = receiver.requests[0]?.headers['webhook-id'] ?? ''
    expect(receiver.requests[0]?.body).toContain('zoe@example.com')

    await deleteCustomer(db(), 'deliver-a', 'C-erased')
    receiver.answer((_request, res) => {
      res.writeHead(200).end()
    })
    now = new Date(now.getTime() + 3600_000)
    await worker().runOnce()

    const bodies = await db().selectFrom('webhook_messages').select(['event_type', 'body']).execute()
    expect(bodies.filter((m) => m.body?.includes('zoe@example.com'))).toEqual([])
    expect(await findWebhookEvent(db(), hook.id, eventId)).toMatchObject({ erased: true, nextAttempt: null })
    expect(await retryDelivery(db(), hook.id, eventId, now)).toBe('erased')
    // What reached the receiver after the deletion: the deletion itself, with the id only.
    expect(receiver.requests.slice(1).map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({ type: 'CUSTOMER.DELETED', data: { id: 'C-erased' } }),
    ])
  })
})
