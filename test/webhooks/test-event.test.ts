import { sql } from 'kysely'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { findWebhookEvent, listWebhookEvents, retryDelivery } from '../../src/webhooks/delivery-history.ts'
import { claimDeliveries } from '../../src/webhooks/delivery-queue.ts'
import { AllowedNetworks } from '../../src/webhooks/endpoint-url.ts'
import {
  eventCatalogue,
  publishProblem,
  subscriptionProblem,
  testEventType,
} from '../../src/webhooks/event-catalogue.ts'
import { WebhookSender } from '../../src/webhooks/send-webhook-request.ts'
import { sendTestEvent, testEventMessage } from '../../src/webhooks/test-event.ts'
import {
  createWebhook,
  findWebhook,
  rotateWebhookSecret,
  setWebhookEnabled,
} from '../../src/webhooks/webhook-repository.ts'
import { parseWebhookRequest } from '../../src/webhooks/webhook-request.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db

let sender: WebhookSender
let receiver: Receiver

async function webhook(brandId: string, headers: Record<string, string> = {}, endpoint = `${receiver.url}/hook`) {
  const result = await createWebhook(db(), brandId, { endpoint, events: ['RECEIPTS'], enabled: true, headers })
  if (!('created' in result)) throw new Error('duplicate webhook')
  return { id: result.created.id, secret: result.secret }
}

beforeAll(async () => {
  await addBrand(db(), 'test-a', 'UTC')
  await addBrand(db(), 'test-b', 'UTC')
  sender = new WebhookSender({ allowed: new AllowedNetworks(['127.0.0.0/8']), timeoutMs: 2_000 })
})

afterAll(async () => {
  await sender.close()
})

beforeEach(async () => {
  receiver = await startReceiver()
  await db().deleteFrom('webhooks').execute()
  await db().deleteFrom('webhook_messages').execute()
})

afterEach(async () => {
  await receiver.close()
})

describe('sendTestEvent', () => {
  it('sends a signed WEBHOOK.TEST event now and answers the attempt as recorded, with the receiver’s answer', async () => {
    receiver.answer((_request, res) => {
      res.writeHead(202, { 'content-type': 'text/plain', 'x-receiver': 'yes' }).end('got it')
    })
    const hook = await webhook('test-a', { 'X-Shared-Secret': 'hdr-123' })
    const now = new Date()

    const sent = await sendTestEvent(db(), sender, 'test-a', hook.id, now)

    expect(receiver.requests).toHaveLength(1)
    const [request] = receiver.requests
    if (!request || !sent) throw new Error('nothing sent')
    expect(request.headers['webhook-id']).toBe(sent.eventId)
    expect(request.headers['x-event-id']).toBe(sent.eventId)
    expect(request.headers['x-shared-secret']).toBe('hdr-123')
    expect(new StandardWebhook(hook.secret).verify(request.body, request.headers)).toEqual({
      id: sent.eventId,
      type: 'WEBHOOK.TEST',
      timestamp: now.toISOString(),
      brandId: 'test-a',
      data: { webhookId: hook.id, message: testEventMessage },
    })
    expect(sent.attempt).toMatchObject({
      status: 'SUCCESS',
      request: { endpoint: `${receiver.url}/hook` },
      response: { statusCode: 202, body: 'got it', bodyTruncated: false },
      error: null,
    })
    expect(sent.attempt.response?.headers['x-receiver']).toBe('yes')
    expect(sent.attempt.request.headers['x-shared-secret']).toBe('********')

    const recorded = await findWebhookEvent(db(), hook.id, sent.eventId)
    expect(recorded).toMatchObject({ type: testEventType, status: 'SUCCESS', nextAttempt: null, erased: false })
    expect(recorded?.attempts).toEqual([sent.attempt])
    const page = await listWebhookEvents(db(), hook.id, { size: 20 })
    expect(page.events.map((e) => [e.id, e.type, e.status])).toEqual([[sent.eventId, 'WEBHOOK.TEST', 'SUCCESS']])
  })

  it('answers a refused or failing endpoint with the failed attempt, and leaves nothing for a worker, not even on a retry', async () => {
    receiver.answer((_request, res) => {
      res.writeHead(500).end('broken')
    })
    const failing = await webhook('test-a')
    const answered = await sendTestEvent(db(), sender, 'test-a', failing.id)
    expect(answered?.attempt).toMatchObject({ status: 'FAILURE', response: { statusCode: 500, body: 'broken' } })

    const closed = await startReceiver()
    await closed.close()
    const refusing = await webhook('test-a', {}, `${closed.url}/hook`)
    const refused = await sendTestEvent(db(), sender, 'test-a', refusing.id)
    expect(refused?.attempt).toMatchObject({ status: 'FAILURE', response: null, error: { kind: 'refused' } })

    for (const sent of [answered, refused]) {
      if (!sent) throw new Error('not sent')
      const webhookId = sent === answered ? failing.id : refusing.id
      expect(await retryDelivery(db(), webhookId, sent.eventId, new Date())).toBe('test')
      expect(await findWebhookEvent(db(), webhookId, sent.eventId)).toMatchObject({ nextAttempt: null })
    }
    const claimed = await claimDeliveries(db(), {
      now: new Date(Date.now() + 3_600_000),
      limit: 100,
      perWebhook: 16,
      leaseMs: 30_000,
    })
    expect(claimed).toEqual([])
  })

  it('sends to a disabled webhook, and never changes a webhook’s health: a 410 does not disable it, nor does a failure after 5 days failing', async () => {
    const hook = await webhook('test-a')
    await setWebhookEnabled(db(), 'test-a', hook.id, false)
    receiver.answer((_request, res) => {
      res.writeHead(410).end()
    })
    const gone = await sendTestEvent(db(), sender, 'test-a', hook.id)
    expect(gone?.attempt).toMatchObject({ status: 'FAILURE', response: { statusCode: 410 } })
    expect(receiver.requests).toHaveLength(1)
    expect(await findWebhook(db(), 'test-a', hook.id)).toMatchObject({ enabled: false, disabledReason: null })

    // Enabled, failing for a week: the worker's next failure would disable it; a test does not.
    await setWebhookEnabled(db(), 'test-a', hook.id, true)
    const failingSince = new Date(Date.now() - 7 * 24 * 3_600_000)
    await sql`update webhooks set failing_since = ${failingSince}, updated_at = '2026-01-01T00:00:00Z' where id = ${hook.id}`.execute(
      db(),
    )
    const health = () =>
      db()
        .selectFrom('webhooks')
        .select(['enabled', 'disabled_reason', 'failing_since', 'updated_at'])
        .executeTakeFirst()
    const before = await health()
    for (const status of [410, 500, 200]) {
      receiver.answer((_request, res) => {
        res.writeHead(status).end()
      })
      await sendTestEvent(db(), sender, 'test-a', hook.id)
      expect(await health(), `after a ${status}`).toEqual(before)
    }
    expect(before).toMatchObject({ enabled: true, failing_since: failingSince })
  })

  it('signs with both secrets while a rotated-out secret still signs', async () => {
    const hook = await webhook('test-a')
    const rotated = await rotateWebhookSecret(db(), 'test-a', hook.id)
    if (!rotated) throw new Error('not rotated')
    await sendTestEvent(db(), sender, 'test-a', hook.id)
    const [request] = receiver.requests
    if (!request) throw new Error('nothing sent')
    expect(request.headers['webhook-signature']?.split(' ')).toHaveLength(2)
    for (const secret of [hook.secret, rotated.secret]) {
      expect(() => new StandardWebhook(secret).verify(request.body, request.headers)).not.toThrow()
    }
  })

  it('answers undefined for another brand’s webhook or an unknown one, and sends and stores nothing', async () => {
    const hook = await webhook('test-a')
    expect(await sendTestEvent(db(), sender, 'test-b', hook.id)).toBeUndefined()
    expect(await sendTestEvent(db(), sender, 'test-a', '0193a5b2-0000-7000-8000-000000000001')).toBeUndefined()
    expect(receiver.requests).toEqual([])
    expect(await db().selectFrom('webhook_messages').selectAll().execute()).toEqual([])
  })
})

describe('WEBHOOK.TEST outside the catalogue', () => {
  it('cannot be subscribed to (nor WEBHOOK as a prefix) or published', () => {
    expect(eventCatalogue.map((e) => e.type)).not.toContain(testEventType)
    for (const type of [testEventType, 'WEBHOOK']) {
      expect(subscriptionProblem(type)).toContain('unknown event type')
      expect(publishProblem(type)).toContain('unknown event type')
    }
    expect(() =>
      parseWebhookRequest({ endpoint: 'https://example.com/hook', events: [testEventType] }, new AllowedNetworks([])),
    ).toThrow(expect.objectContaining({ validations: { events: expect.stringContaining('unknown event type') } }))
  })
})
