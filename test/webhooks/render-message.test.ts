import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { fanOutEvents } from '../../src/webhooks/fan-out.ts'
import { renderMessages, type ThinEvent } from '../../src/webhooks/render-message.ts'
import { addWebhook, publishReceipts } from '../support/delivery-fixtures.ts'
import { addBrand } from '../support/fixtures.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db

describe('renderMessages with several sessions', () => {
  it('answers the body another worker kept while it was rendering, so the event is not taken for erased', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    await addBrand(db(), 'render', 'UTC')
    await addWebhook(db(), 'render', 'https://example.com/render')
    await publishReceipts(db(), 'render', ['R-1'])
    await fanOutEvents(db(), { now: new Date(), batchSize: 10 })
    const message = await db().selectFrom('webhook_messages').selectAll().executeTakeFirstOrThrow()
    const event: ThinEvent = {
      eventId: message.event_id,
      brandId: message.brand_id,
      eventType: message.event_type,
      entityType: message.entity_type,
      entityId: message.entity_id,
      occurredAt: message.occurred_at,
    }

    // The other worker keeps its body first and commits while this one's statement waits on the row.
    const other = await database.current.handle.pool.connect()
    try {
      await other.query('begin')
      await other.query(`update webhook_messages set body = 'kept by the other worker' where event_id = $1`, [
        event.eventId,
      ])
      const rendering = renderMessages(db(), [event])
      const deadline = Date.now() + 10_000
      for (;;) {
        const waiting = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and query like '%update webhook_messages m set body%'
        `.execute(db())
        if (waiting.rows[0]?.n === 1) break
        if (Date.now() > deadline) throw new Error('renderMessages never waited on the row')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await other.query('commit')
      expect(await rendering).toEqual(new Map([[event.eventId, 'kept by the other worker']]))
    } finally {
      other.release()
    }
  })
})
