import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { appendOutboxEvents } from '../../src/outbox/append-outbox-events.ts'
import {
  type AttemptRecord,
  type ClaimedDelivery,
  claimDeliveries,
  recordAttempts,
} from '../../src/webhooks/delivery-queue.ts'
import { fanOutEvents } from '../../src/webhooks/fan-out.ts'
import { createWebhook, findWebhook, setWebhookEnabled } from '../../src/webhooks/webhook-repository.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db
const t0 = new Date('2026-11-30T10:00:00Z')
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000)

async function webhookWith(endpoint: string, events: number, brandId = 'queue-a'): Promise<string> {
  const result = await createWebhook(db(), brandId, { endpoint, events: ['CUSTOMER'], enabled: true, headers: {} })
  if (!('created' in result)) throw new Error('duplicate webhook')
  await db()
    .transaction()
    .execute((trx) =>
      appendOutboxEvents(
        trx,
        brandId,
        Array.from({ length: events }, (_, i) => ({
          eventType: 'CUSTOMER.CREATED',
          entityType: 'customers',
          entityId: `${endpoint}#${i}`,
        })),
      ),
    )
  return result.created.id
}

async function fannedOut(): Promise<void> {
  while ((await fanOutEvents(db(), { now: t0, batchSize: 1_000 })).events > 0) {}
}

const claim = (now: Date, limit: number, perWebhook = 100) =>
  claimDeliveries(db(), { now, limit, perWebhook, leaseMs: 30_000 })

function result(delivery: ClaimedDelivery, startedAt: Date, fields: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    webhookId: delivery.webhookId,
    eventId: delivery.eventId,
    leaseToken: delivery.leaseToken,
    startedAt,
    succeeded: false,
    request: { endpoint: delivery.endpoint, headers: {} },
    durationMs: 12,
    gone: false,
    ...fields,
  }
}

beforeAll(async () => {
  for (const brand of ['queue-a', 'queue-b', 'queue-c']) await addBrand(db(), brand, 'UTC')
})

beforeEach(async () => {
  await db().deleteFrom('webhooks').execute()
  await db().deleteFrom('webhook_messages').execute()
})

describe('claimDeliveries', () => {
  it('takes turns across webhooks: every webhook gets its first delivery before any gets a second', async () => {
    const busy = await webhookWith('https://example.com/busy', 50, 'queue-a')
    const quiet = await webhookWith('https://example.com/quiet', 2, 'queue-b')
    const other = await webhookWith('https://example.com/other', 2, 'queue-c')
    await fannedOut()
    const claimed = await claim(t0, 6)
    const perWebhook = (id: string) => claimed.filter((d) => d.webhookId === id).length
    expect([perWebhook(busy), perWebhook(quiet), perWebhook(other)]).toEqual([2, 2, 2])
  })

  it('holds no more than perWebhook deliveries of a webhook under live leases, across claims', async () => {
    const hook = await webhookWith('https://example.com/limited', 30)
    await fannedOut()
    expect(await claim(t0, 100, 8)).toHaveLength(8)
    expect(await claim(at(1), 100, 8)).toHaveLength(0)
    // Once the leases run out (their worker died), the deliveries are due again.
    const again = await claim(at(31), 100, 8)
    expect(again).toHaveLength(8)
    expect(new Set(again.map((d) => d.webhookId))).toEqual(new Set([hook]))
  })

  it('never hands one delivery to two claims while its lease lives', async () => {
    await webhookWith('https://example.com/once', 40)
    await fannedOut()
    const [first, second] = await Promise.all([claim(t0, 25), claim(t0, 25)])
    const ids = [...(first ?? []), ...(second ?? [])].map((d) => d.eventId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(await claim(at(5), 100)).toHaveLength(40 - ids.length)
  })

  it('skips disabled webhooks and deliveries not yet due', async () => {
    const hook = await webhookWith('https://example.com/later', 3)
    await fannedOut()
    const [delivery] = await claim(t0, 1)
    if (!delivery) throw new Error('nothing claimed')
    await recordAttempts(db(), [result(delivery, t0, { nextAttemptAt: at(60) })], t0)
    expect((await claim(at(1), 100)).map((d) => d.eventId)).not.toContain(delivery.eventId)
    await db().updateTable('webhooks').set({ enabled: false }).where('id', '=', hook).execute()
    expect(await claim(at(120), 100)).toEqual([])
  })
})

describe('recordAttempts', () => {
  it('moves a delivery on: attempt row, counts, next time, released lease', async () => {
    const hook = await webhookWith('https://example.com/record', 1)
    await fannedOut()
    const [delivery] = await claim(t0, 1)
    if (!delivery) throw new Error('nothing claimed')
    await recordAttempts(
      db(),
      [
        result(delivery, t0, {
          response: { statusCode: 500, headers: { 'content-type': 'text/plain' }, body: 'down', bodyTruncated: false },
          nextAttemptAt: at(5),
        }),
      ],
      at(1),
    )
    const row = await db()
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', hook)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({
      attempts: 1,
      first_attempt_at: t0,
      last_attempt_at: t0,
      succeeded_at: null,
      next_attempt_at: at(5),
      lease_token: null,
      lease_expires_at: null,
    })
    const attempts = await db().selectFrom('webhook_attempts').selectAll().where('webhook_id', '=', hook).execute()
    expect(attempts).toMatchObject([{ succeeded: false, response: { statusCode: 500, body: 'down' }, error: null }])
    expect((await findWebhook(db(), 'queue-a', hook))?.enabled).toBe(true)
  })

  it('ignores a result whose lease was lost to another worker', async () => {
    const hook = await webhookWith('https://example.com/fenced', 1)
    await fannedOut()
    const [stale] = await claim(t0, 1)
    const [fresh] = await claim(at(31), 1)
    if (!stale || !fresh) throw new Error('nothing claimed')
    await recordAttempts(db(), [result(stale, t0, { succeeded: true })], at(32))
    const row = await db()
      .selectFrom('webhook_deliveries')
      .select(['attempts', 'lease_token'])
      .where('webhook_id', '=', hook)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ attempts: 0, lease_token: fresh.leaseToken })
    expect(await db().selectFrom('webhook_attempts').select('id').where('webhook_id', '=', hook).execute()).toEqual([])
  })

  it('disables a webhook whose endpoint answers 410 Gone, and says why', async () => {
    const hook = await webhookWith('https://example.com/gone', 1)
    await fannedOut()
    const [delivery] = await claim(t0, 1)
    if (!delivery) throw new Error('nothing claimed')
    const disabled = await recordAttempts(db(), [result(delivery, t0, { gone: true })], t0)
    expect(disabled).toEqual([{ webhookId: hook, brandId: 'queue-a', reason: 'the endpoint answered 410 Gone' }])
    expect(await findWebhook(db(), 'queue-a', hook)).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
    })
  })

  it('disables a webhook after 5 days of failures without a success; a success in between starts the count again', async () => {
    const hook = await webhookWith('https://example.com/failing', 5)
    await fannedOut()
    const day = 24 * 3600
    const attempt = async (startedAt: Date, succeeded: boolean) => {
      const [delivery] = await claim(startedAt, 1)
      if (!delivery) throw new Error('nothing claimed')
      return recordAttempts(db(), [result(delivery, startedAt, { succeeded })], startedAt)
    }
    expect(await attempt(t0, false)).toEqual([])
    expect(await attempt(at(4 * day), true)).toEqual([])
    expect(await attempt(at(5 * day), false)).toEqual([])
    const disabled = await attempt(at(10 * day), false)
    expect(disabled).toEqual([
      {
        webhookId: hook,
        brandId: 'queue-a',
        reason: 'no attempt succeeded for 5 days (failing since 2026-12-05T10:00:00Z)',
      },
    ])
    // Turned on again by the brand, the count starts afresh: the next failure does not disable it.
    await setWebhookEnabled(db(), 'queue-a', hook, true)
    expect(await attempt(at(11 * day), false)).toEqual([])
    expect((await findWebhook(db(), 'queue-a', hook))?.enabled).toBe(true)
  })
})
