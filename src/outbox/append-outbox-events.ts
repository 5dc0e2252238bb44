import { sql, type Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import { eventId } from './event-id.ts'

/** A change event as a feature reports it: what happened to which entity. */
export interface NewOutboxEvent {
  /** `CUSTOMER.CREATED`, `TRANSACTION.UPDATED`, `CUSTOMER.DELETED`, … */
  readonly eventType: string
  readonly entityType: string
  readonly entityId: string
}

/**
 * Appends change events to the outbox in the caller's transaction, so that they exist exactly
 * when the change does. Events name the entity and hold no copy of it (the webhooks read the
 * entity when they deliver). Set-wise: all events travel as one JSON parameter, one statement per
 * call whatever their number. Each gets a UUIDv7 id, so the outbox sorts in the order events
 * were made.
 */
export async function appendOutboxEvents(
  trx: Transaction<Database>,
  brandId: string,
  events: readonly NewOutboxEvent[],
): Promise<void> {
  if (events.length === 0) return
  const rows = events.map(
    (e) =>
      `{"id":"${eventId()}","event_type":${JSON.stringify(e.eventType)},"entity_type":${JSON.stringify(e.entityType)},"entity_id":${JSON.stringify(e.entityId)}}`,
  )
  await sql`
    insert into outbox_events (id, brand_id, event_type, entity_type, entity_id)
    select v.id, ${brandId}, v.event_type, v.entity_type, v.entity_id
    from jsonb_to_recordset(${`[${rows.join(',')}]`}::jsonb)
      as v(id uuid, event_type text, entity_type text, entity_id text)`.execute(trx)
}
