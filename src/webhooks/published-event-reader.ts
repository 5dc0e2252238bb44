import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'

/** A published event as stored: what delivery renders the body's `type`, `data` and `timestamp` from. */
export interface PublishedEvent {
  readonly type: string
  /** The data as published, parsed JSON. */
  readonly data: unknown
  /** When the platform stored it. */
  readonly receivedAt: Date
}

/**
 * A brand's published events by the publishers' event ids (the outbox's entity ids for
 * `published_events`), in one query. An id that names no event of the brand is absent from the map.
 */
export async function readPublishedEvents(
  db: Kysely<Database>,
  brandId: string,
  eventIds: readonly string[],
): Promise<Map<string, PublishedEvent>> {
  if (eventIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('published_events')
    .select(['event_id', 'event_type', 'data', 'received_at'])
    .where('brand_id', '=', brandId)
    .where(sql<boolean>`event_id = any(${[...new Set(eventIds)]}::text[])`)
    .execute()
  return new Map(rows.map((r) => [r.event_id, { type: r.event_type, data: r.data, receivedAt: r.received_at }]))
}
