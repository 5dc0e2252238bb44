import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { readCompletedExports } from '../exports/read-completed-exports.ts'
import { entityDefinition } from '../ingest/entities/index.ts'
import { readEntities } from '../ingest/read-entity.ts'
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

/**
 * The `data` of many events, read in batches through the owning feature's public reader (a few
 * queries per brand and entity type, whatever the number of events): the entity as it is now. An
 * entity that no longer exists has no data (null).
 */
async function eventData(db: Kysely<Database>, events: readonly ThinEvent[]): Promise<Map<string, unknown>> {
  const data = new Map<string, unknown>()
  const groups = new Map<string, ThinEvent[]>()
  for (const event of events) {
    if (event.eventType === 'CUSTOMER.DELETED') data.set(event.eventId, { id: event.entityId })
    else {
      const key = `${event.brandId}\u0000${event.entityType}`
      const group = groups.get(key)
      if (group) group.push(event)
      else groups.set(key, [event])
    }
  }
  for (const group of groups.values()) {
    const [{ brandId, entityType }] = group as [ThinEvent]
    const ids = group.map((event) => event.entityId)
    const definition = entityDefinition(entityType)
    const found = definition
      ? await readEntities(db, brandId, definition, ids)
      : entityType === 'export_runs'
        ? await readCompletedExports(db, ids)
        : entityType === publishedEventEntityType
          ? new Map([...(await readPublishedEvents(db, brandId, ids))].map(([id, event]) => [id, event.data]))
          : new Map<string, unknown>()
    for (const event of group) data.set(event.eventId, found.get(event.entityId) ?? null)
  }
  return data
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
  const data = await eventData(db, events)
  const rendered = events.map((event) => ({
    event_id: event.eventId,
    body: renderBody(event, data.get(event.eventId)),
  }))
  // The ids as an array too: `event_id = any(ids)` is what makes the plan an index lookup of these
  // few messages whatever the statistics say (without it, planners misled by stale or missing
  // statistics scanned every message, or joined every unrendered one against the batch).
  const ids = events.map((event) => event.eventId)
  const result = await sql<{ event_id: string; body: string }>`
    with rendered as (
      select * from jsonb_to_recordset(${JSON.stringify(rendered)}::jsonb) as r(event_id uuid, body text)
    ),
    kept as (
      update webhook_messages m set body = r.body
      from rendered r
      where m.event_id = any(${ids}::uuid[]) and m.event_id = r.event_id and m.body is null and m.erased_at is null
      returning m.event_id, m.body
    )
    select event_id, body from kept
    union all
    select m.event_id, m.body from webhook_messages m
    where m.event_id = any(${ids}::uuid[]) and m.body is not null
  `.execute(db)
  const kept = new Map(result.rows.map((row) => [row.event_id, row.body]))
  // A body another worker kept after this statement's snapshot was taken is seen by neither part
  // of it (the update skips the row, whose body is no longer null; the select sees the old
  // version), and an event without a body would be ended as erased, never sent: read those again,
  // in a new snapshot, where the other worker's commit is visible.
  const unseen = events.filter((event) => !kept.has(event.eventId)).map((event) => event.eventId)
  if (unseen.length > 0) {
    const late = await db
      .selectFrom('webhook_messages')
      .select(['event_id', 'body'])
      .where('event_id', 'in', unseen)
      .where('body', 'is not', null)
      .execute()
    for (const row of late) if (row.body !== null) kept.set(row.event_id, row.body)
  }
  return kept
}
