import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import { contentHash } from '../ingest/content-hash.ts'
import { appendOutboxEvents } from '../outbox/append-outbox-events.ts'
import type { EventToPublish } from './publish-request.ts'

/** The outbox's entity type for a published event: its entity id is the caller's event id. */
export const publishedEventEntityType = 'published_events'

/** `created`: stored now, and recorded in the outbox for delivery; `duplicate`: published before, nothing done. */
export type PublishOutcome = 'created' | 'duplicate'

/** What became of one published event. */
export interface PublishResult {
  readonly id: string
  readonly outcome: PublishOutcome
}

/**
 * Stores a brand's published events and records each new one in the outbox, in one transaction:
 * a request is stored whole or not at all. An id published before with the same type and data
 * (jsonb equality: key order, spacing and the way a number is written do not count) is a
 * `duplicate` and makes no second outbox event, so a publisher may retry freely; the same id
 * with another type or data is a 409 (EVENT_ID_CONFLICT) naming each such event, and nothing of
 * the request is stored. An id repeated within the request counts the same way. Results are in
 * the order of `events`.
 */
export async function publishEvents(
  db: Kysely<Database>,
  brandId: string,
  events: readonly EventToPublish[],
): Promise<PublishResult[]> {
  const outcomes: PublishOutcome[] = []
  const conflicts: Record<string, string> = {}
  // The first of each id in the request goes to the database; a repeat is judged against it.
  const first = new Map<string, { index: number; content: string }>()
  const unique: { index: number; event: EventToPublish }[] = []
  for (const [index, event] of events.entries()) {
    const content = contentHash({ type: event.type, data: event.data })
    const earlier = first.get(event.id)
    if (earlier === undefined) {
      first.set(event.id, { index, content })
      unique.push({ index, event })
      outcomes.push('created')
    } else {
      if (earlier.content !== content) {
        conflicts[`events.${index}.id`] =
          `repeats the id of events.${earlier.index} with another type or data; an event id names one event`
      }
      outcomes.push('duplicate')
    }
  }
  if (Object.keys(conflicts).length > 0) throw conflict(conflicts)

  return db.transaction().execute(async (trx) => {
    const inserted = await insertNew(
      trx,
      brandId,
      unique.map((u) => u.event),
    )
    const before = unique.filter((u) => !inserted.has(u.event.id))
    const same = await sameAsStored(
      trx,
      brandId,
      before.map((u) => u.event),
    )
    for (const { index, event } of before) {
      outcomes[index] = 'duplicate'
      if (!same.get(event.id)) {
        conflicts[`events.${index}.id`] =
          `the event id ${event.id} was published before with another type or data; an event id names one event: publish a changed event under a new id`
      }
    }
    if (Object.keys(conflicts).length > 0) throw conflict(conflicts)
    await appendOutboxEvents(
      trx,
      brandId,
      unique
        .filter((u) => inserted.has(u.event.id))
        .map(({ event }) => ({ eventType: event.type, entityType: publishedEventEntityType, entityId: event.id })),
    )
    return events.map((event, index) => ({ id: event.id, outcome: outcomes[index] as PublishOutcome }))
  })
}

function conflict(validations: Record<string, string>): FlexError {
  return new FlexError(
    'EVENT_ID_CONFLICT',
    'An event id came back with another type or data than the event first published under it; nothing of this request was stored. Publish a changed event under a new id.',
    { validations },
  )
}

/** The events as one JSON parameter, sorted by id (see insertNew). */
function rows(events: readonly EventToPublish[]): string {
  const sorted = [...events].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return JSON.stringify(sorted.map((e) => ({ event_id: e.id, event_type: e.type, data: e.data })))
}

/**
 * Inserts the events whose id the brand has not published yet; the ids inserted. Rows go in id
 * order, so two requests with overlapping ids wait for each other instead of deadlocking; a
 * request that waited on another's uncommitted id finds it published once that one commits.
 */
async function insertNew(
  trx: Transaction<Database>,
  brandId: string,
  events: readonly EventToPublish[],
): Promise<Set<string>> {
  const result = await sql<{ event_id: string }>`
    insert into published_events (brand_id, event_id, event_type, data)
    select ${brandId}, v.event_id, v.event_type, v.data
    from jsonb_to_recordset(${rows(events)}::jsonb) as v(event_id text, event_type text, data jsonb)
    order by v.event_id collate "C"
    on conflict (brand_id, event_id) do nothing
    returning event_id`.execute(trx)
  return new Set(result.rows.map((r) => r.event_id))
}

/**
 * For events whose id the brand published before: whether the stored event has the same type and
 * data. A statement of its own, after the insert: in READ COMMITTED it sees a row that a
 * concurrent request committed while the insert waited for it.
 */
async function sameAsStored(
  trx: Transaction<Database>,
  brandId: string,
  events: readonly EventToPublish[],
): Promise<Map<string, boolean>> {
  if (events.length === 0) return new Map()
  const result = await sql<{ event_id: string; same: boolean }>`
    select v.event_id, (p.event_type = v.event_type and p.data = v.data) as same
    from jsonb_to_recordset(${rows(events)}::jsonb) as v(event_id text, event_type text, data jsonb)
    join published_events p on p.brand_id = ${brandId} and p.event_id = v.event_id`.execute(trx)
  const same = new Map(result.rows.map((r) => [r.event_id, r.same]))
  for (const event of events) {
    if (!same.has(event.id)) throw new Error(`published event ${event.id} was neither inserted nor found`)
  }
  return same
}
