import type { Kysely } from 'kysely'
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts'
import type { Database } from '../../src/db/database.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { publishEvents } from '../../src/webhooks/publish-event.ts'
import { createWebhook } from '../../src/webhooks/webhook-repository.ts'
import type { TestDatabase } from './test-database.ts'
import type { ReceivedRequest } from './webhook-receiver.ts'

// Setting up and reading back webhook deliveries for tests that run the delivery worker in other
// processes (`flex deliver`, `flex serve --deliver`): the test writes webhooks and events into the
// database the processes use, and reads the deliveries' state from it.

export interface DeliveryDatabase {
  readonly handle: DatabaseHandle
  /** The environment of a `flex deliver` using this database and sending to loopback receivers. */
  deliverEnv(settings?: Record<string, string>): Record<string, string>
}

/**
 * A fresh migrated database of its own on the test server (not PGlite), for a test whose workers
 * must not see another test's webhooks: a worker delivers every webhook of its database. Close
 * its handle when the test ends.
 */
export async function deliveryDatabase(database: TestDatabase): Promise<DeliveryDatabase> {
  const url = await database.createEmptyDatabase()
  const handle = await openDatabase({ url })
  await migrateToLatest(handle.db)
  return {
    handle,
    deliverEnv: (settings = {}) => ({ DATABASE_URL: url, FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8', ...settings }),
  }
}

/** Adds an enabled webhook of `brandId` for `events`; answers its id and signing secret. */
export async function addWebhook(
  db: Kysely<Database>,
  brandId: string,
  endpoint: string,
  events: string[] = ['RECEIPTS'],
): Promise<{ id: string; secret: string }> {
  const result = await createWebhook(db, brandId, { endpoint, events, enabled: true, headers: {} })
  if (!('created' in result)) throw new Error(`a webhook for ${endpoint} exists already`)
  return { id: result.created.id, secret: result.secret }
}

/** Publishes one RECEIPTS event per id (the id is the publisher's id and the receipt's). */
export async function publishReceipts(db: Kysely<Database>, brandId: string, ids: readonly string[]): Promise<void> {
  await publishEvents(
    db,
    brandId,
    ids.map((id) => ({ id, type: 'RECEIPTS', data: { receiptId: id } })),
  )
}

export interface DeliveryState {
  eventId: string
  attempts: number
  succeeded: boolean
  nextAttemptAt: Date | null
  /** A worker holds it (a lease token or expiry is set). */
  leased: boolean
}

/** The deliveries of a webhook, in event order. */
export async function deliveriesOf(db: Kysely<Database>, webhookId: string): Promise<DeliveryState[]> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['event_id', 'attempts', 'succeeded_at', 'next_attempt_at', 'lease_token', 'lease_expires_at'])
    .where('webhook_id', '=', webhookId)
    .orderBy('event_id')
    .execute()
  return rows.map((row) => ({
    eventId: row.event_id,
    attempts: row.attempts,
    succeeded: row.succeeded_at !== null,
    nextAttemptAt: row.next_attempt_at,
    leased: row.lease_token !== null || row.lease_expires_at !== null,
  }))
}

/** The event id a delivery request carries (`webhook-id`). */
export function eventIdOf(request: ReceivedRequest): string {
  const id = request.headers['webhook-id']
  if (id === undefined) throw new Error(`a request to ${request.path} without webhook-id`)
  return id
}

/** How often each event id was received. */
export function receiptCounts(requests: readonly ReceivedRequest[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const request of requests) counts.set(eventIdOf(request), (counts.get(eventIdOf(request)) ?? 0) + 1)
  return counts
}
