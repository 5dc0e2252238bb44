import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { entities } from '../ingest/entities/index.ts'
import { type EntityType, entityTypes } from '../ingest/entity-types.ts'
import { readEntity } from '../ingest/read-entity.ts'
import type { EventEnvelope } from './event-envelope.ts'
import { publishedEventEntityType } from './publish-event.ts'
import { readPublishedEvents } from './published-event-reader.ts'

/** A thin event as the outbox named it. */
export interface ThinEvent {
  eventId: string
  brandId: string
  eventType: string
  entityType: string
  entityId: string
  occurredAt: Date
}

const isEntityType = (type: string): type is EntityType => (entityTypes as readonly string[]).includes(type)

/**
 * The `data` of each event, read through the owning feature's public reader: the entity as it is
 * now. Undefined for an entity that no longer exists.
 */
async function eventData(db: Kysely<Database>, event: ThinEvent): Promise<unknown> {
  if (isEntityType(event.entityType)) {
    if (event.eventType.endsWith('.DELETED')) return { id: event.entityId }
    return readEntity(db, event.brandId, entities[event.entityType], event.entityId)
  }
  return undefined
}

/** The body every attempt of this event sends. */
export function renderBody(event: ThinEvent, data: unknown): string {
  const envelope: EventEnvelope = {
    id: event.eventId,
    type: event.eventType,
    timestamp: event.occurredAt.toISOString(),
    brandId: event.brandId,
    data: data ?? null,
  }
  return JSON.stringify(envelope)
}

/**
 * Renders the bodies of events that have none yet, once: the first body kept wins, so every
 * webhook and every retry of an event sends the same bytes even when two workers render it at
 * once. A message erased meanwhile (its customer was deleted) keeps no body. Answers the kept
 * body of each event; erased events are absent.
 */
export async function renderMessages(db: Kysely<Database>, events: readonly ThinEvent[]): Promise<Map<string, string>> {
  if (events.length === 0) return new Map()
  const rendered = await Promise.all(
    events.map(async (event) => ({ event_id: event.eventId, body: renderBody(event, await eventData(db, event)) })),
  )
  const result = await sql<{ event_id: string; body: string }>`
    with rendered as (
      select * from jsonb_to_recordset(${JSON.stringify(rendered)}::jsonb) as r(event_id uuid, body text)
    ),
    kept as (
      update webhook_messages m set body = r.body
      from rendered r
      where m.event_id = r.event_id and m.body is null and m.erased_at is null
      returning m.event_id, m.body
    )
    select event_id, body from kept
    union all
    select m.event_id, m.body from webhook_messages m
    where m.event_id in (select event_id from rendered) and m.body is not null
  `.execute(db)
  return new Map(result.rows.map((row) => [row.event_id, row.body]))
}
