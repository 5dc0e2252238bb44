import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Logger } from '../logger.ts'
import { startDeliveryWorker } from '../webhooks/delivery-worker.ts'
import { createWebhook } from '../webhooks/webhook-repository.ts'

/** How long the demo lets its deliveries run at most; they take a few seconds. */
const deliveryDeadlineMs = 60_000

/**
 * The demo's webhook traffic, through the real features, so the console's webhook pages have
 * something to show: for each brand, webhooks to a receiver the demo runs for the while (two
 * healthy, one that answers 503 and so is retried, and for the first brand one that answers 410
 * and is disabled); then the delivery worker delivers every outbox event (the export history's
 * EXPORTS.DAILY.COMPLETED, the demo ingestion's CUSTOMER and TRANSACTION events) until each
 * delivery has had its first attempt.
 *
 * The webhooks point at 127.0.0.1, which only this run's worker may reach (the receiver is gone
 * once the demo ends): `flex serve --deliver` later records the 503 endpoint's retries as refused
 * by the address rules, which the console shows as the failure reason.
 */
export async function deliverDemoWebhooks(options: {
  database: DatabaseHandle
  brands: readonly { id: string }[]
  log: Logger
}): Promise<{ webhooks: number; deliveries: number }> {
  const { db } = options.database
  const receiver = createServer(answerDelivery)
  receiver.listen(0, '127.0.0.1')
  await once(receiver, 'listening')
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
  try {
    let webhooks = 0
    for (const [index, brand] of options.brands.entries()) {
      const endpoints = [
        { endpoint: `${base}/ok/${brand.id}/crm`, events: ['CUSTOMER', 'TRANSACTION.CREATED'] },
        { endpoint: `${base}/ok/${brand.id}/warehouse`, events: ['EXPORTS.DAILY.COMPLETED'] },
        { endpoint: `${base}/unavailable/${brand.id}/loyalty`, events: ['CUSTOMER.CREATED'] },
        ...(index === 0 ? [{ endpoint: `${base}/gone/${brand.id}/old-shop`, events: ['CUSTOMER'] }] : []),
      ]
      for (const webhook of endpoints) {
        await createWebhook(db, brand.id, { ...webhook, enabled: true, headers: { 'X-Demo': 'flex' } })
        webhooks++
      }
    }
    const worker = startDeliveryWorker({
      db,
      logger: options.log.child({ component: 'demo-delivery' }, { level: 'silent' }),
      allowNetworks: ['127.0.0.1/32'],
    })
    try {
      await waitForFirstAttempts(options.database)
    } finally {
      await worker.stop()
    }
    const { count } = await db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .executeTakeFirstOrThrow()
    return { webhooks, deliveries: Number(count) }
  } finally {
    receiver.close()
  }
}

/** /ok/... answers 204, /unavailable/... 503, /gone/... 410. */
function answerDelivery(request: IncomingMessage, response: ServerResponse): void {
  request.resume()
  request.on('end', () => {
    const kind = request.url?.split('/')[1]
    if (kind === 'ok') response.writeHead(204).end()
    else if (kind === 'gone') response.writeHead(410, { 'content-type': 'text/plain' }).end('this shop was closed')
    else response.writeHead(503, { 'content-type': 'text/plain' }).end('loyalty service is down for maintenance')
  })
}

/** Until the outbox is empty and no delivery waits for its first attempt (or the deadline). */
async function waitForFirstAttempts(database: DatabaseHandle): Promise<void> {
  const deadline = Date.now() + deliveryDeadlineMs
  while (Date.now() < deadline) {
    const { rows } = await sql<{ waiting: boolean }>`
      select exists (select 1 from outbox_events)
          or exists (
            select 1 from webhook_deliveries d join webhooks w on w.id = d.webhook_id
            where w.enabled and d.attempts = 0 and d.next_attempt_at is not null
          ) as waiting
    `.execute(database.db)
    if (!rows[0]?.waiting) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
