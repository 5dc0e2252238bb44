import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { down, up } from '../../migrations/0010_webhooks.ts'
import * as deliveries from '../../migrations/0011_webhook_deliveries.ts'
import { openDatabase } from '../../src/db/connect.ts'
import {
  createWebhook,
  eventSet,
  findWebhook,
  setWebhookEnabled,
  webhookSecret,
} from '../../src/webhooks/webhook-repository.ts'
import { addBrand } from '../support/fixtures.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

beforeAll(async () => {
  await addBrand(database.current.handle.db, 'brand-a', 'UTC')
})

const hook = (endpoint: string, events: string[]) => ({ endpoint, events, enabled: true, headers: {} })

describe('the webhooks table', () => {
  it('stores event types as a sorted set, so the same set in any order is the same webhook', async () => {
    expect(eventSet(['RECEIPTS', 'CUSTOMER', 'RECEIPTS', 'ORDER_EVENTS'])).toEqual([
      'CUSTOMER',
      'ORDER_EVENTS',
      'RECEIPTS',
    ])
    const { db } = database.current.handle
    const first = await createWebhook(db, 'brand-a', hook('https://example.com/set', ['RECEIPTS', 'CUSTOMER']))
    expect(first).toHaveProperty('created')
    const again = await createWebhook(
      db,
      'brand-a',
      hook('https://example.com/set', ['CUSTOMER', 'RECEIPTS', 'CUSTOMER']),
    )
    expect(again).toEqual({ duplicate: true, events: ['CUSTOMER', 'RECEIPTS'] })
  })

  it('lets exactly one of several concurrent creates of the same webhook succeed', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const sessions = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: database.current.url })))
    try {
      const results = await Promise.all(
        sessions.map((s) => createWebhook(s.db, 'brand-a', hook('https://example.com/race', ['ORDER_EVENTS']))),
      )
      expect(results.filter((r) => 'created' in r)).toHaveLength(1)
      expect(results.filter((r) => 'duplicate' in r)).toHaveLength(3)
    } finally {
      await Promise.all(sessions.map((s) => s.close()))
    }
  })

  it('keeps a new whsec_ secret per webhook and moves updated_at on every change', async () => {
    const { db } = database.current.handle
    const made = await createWebhook(db, 'brand-a', hook('https://example.com/touch', ['RECEIPTS']))
    if (!('created' in made)) throw new Error('expected a new webhook')
    expect(await webhookSecret(db, 'brand-a', made.created.id)).toBe(made.secret)
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    await sql`update webhooks set updated_at = '2020-01-01T00:00:00Z', disabled_reason = 'gone' where id = ${made.created.id}`.execute(
      db,
    )
    expect(await setWebhookEnabled(db, 'brand-a', made.created.id, true)).toBe(true)
    const after = await findWebhook(db, 'brand-a', made.created.id)
    expect(after?.updated.getTime()).toBeGreaterThan(Date.parse('2025-01-01'))
    expect(after?.disabledReason).toBeNull()
    expect(await findWebhook(db, 'brand-b', made.created.id)).toBeUndefined()
  })

  it('goes down and up again (with the delivery tables that depend on it)', async () => {
    const { db } = database.current.handle
    await deliveries.down(db)
    await down(db)
    const gone = await sql<{
      n: string
    }>`select count(*) as n from information_schema.tables where table_name = 'webhooks' and table_schema = current_schema()`.execute(
      db,
    )
    expect(Number(gone.rows[0]?.n)).toBe(0)
    await up(db)
    await deliveries.up(db)
    const made = await createWebhook(db, 'brand-a', hook('https://example.com/after', ['RECEIPTS']))
    expect(made).toHaveProperty('created')
  })
})
