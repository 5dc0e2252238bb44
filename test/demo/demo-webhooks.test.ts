import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { deliverDemoWebhooks } from '../../src/demo/demo-webhooks.ts'
import { ingestDemoActivity } from '../../src/demo/ingestion-activity.ts'
import { webhookHealth } from '../../src/webhooks/webhook-health.ts'
import { listWebhooks } from '../../src/webhooks/webhook-repository.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

describe('the demo webhooks', () => {
  it('deliver the demo’s events for real: healthy endpoints succeed, the 503 one is retried, the 410 one is disabled', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'demo-a', 'Europe/Berlin')
    await addBrand(db, 'demo-b', 'Asia/Tokyo')
    await ingestDemoActivity(db, ['demo-a', 'demo-b'], new Date())
    const result = await deliverDemoWebhooks({
      database: database.current.handle,
      brands: [{ id: 'demo-a' }, { id: 'demo-b' }],
      log: pino({ level: 'silent' }),
    })
    expect(result.webhooks).toBe(7)
    expect(result.deliveries).toBeGreaterThan(0)

    const webhooks = await listWebhooks(db, 'demo-a')
    const gone = webhooks.find((webhook) => webhook.endpoint.includes('/gone/'))
    expect(gone).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') })
    const health = await webhookHealth(db, 'demo-a', new Date())
    const byPath = (part: string) => health.find((h) => h.endpoint.includes(part))
    expect(byPath('/ok/demo-a/crm')).toMatchObject({ successRate: 1 })
    expect(byPath('/unavailable/')).toMatchObject({
      successRate: 0,
      lastError: expect.objectContaining({ statusCode: 503 }),
    })
    // Every delivery to an enabled webhook had its first attempt before the demo went on.
    const unattempted = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('w.enabled', '=', true)
      .where('d.attempts', '=', 0)
      .executeTakeFirstOrThrow()
    expect(Number(unattempted.count)).toBe(0)
  })
})
