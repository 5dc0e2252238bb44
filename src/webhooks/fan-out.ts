import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { eventIdTime } from '../outbox/event-id.ts'

export interface FanOutResult {
  /** Outbox events taken (each is fanned out exactly once, wanted or not). */
  events: number
  /** Deliveries made: one per event and enabled webhook whose subscriptions cover its type. */
  deliveries: number
  /** When the newest event in the outbox was made (from its UUIDv7 id); undefined when it is empty. */
  newestEventAt: Date | undefined
}

/**
 * Moves the oldest outbox events into deliveries, in one statement: each event becomes a message
 * and one delivery, due at once, per enabled webhook of its brand that subscribes to its type or a
 * prefix of it (`ORDER_EVENTS` covers `ORDER_EVENTS.OMS.ORDER_SHIPPED`). An event no webhook wants
 * is dropped from the outbox; events are therefore fanned out to the webhooks enabled when the
 * fan-out takes them.
 *
 * There is no high-water mark to skip a late commit: an event is in the outbox until a fan-out
 * takes it, so an event whose transaction commits after newer ids were fanned out is simply taken
 * by the next fan-out. `skip locked` lets several workers fan out at once without waiting on each
 * other or taking an event twice.
 *
 * A `CUSTOMER.DELETED` event erases the kept bodies of that customer's earlier messages (they hold
 * the customer's data) and ends their pending deliveries; the erased messages stay visible.
 */
export async function fanOutEvents(
  db: Kysely<Database>,
  options: { now: Date; batchSize: number },
): Promise<FanOutResult> {
  const result = await sql<{ events: string; deliveries: string; newest: string | null }>`
    with taken as (
      delete from outbox_events
      where id = any(array(select id from outbox_events order by id limit ${options.batchSize} for update skip locked))
      returning id, brand_id, event_type, entity_type, entity_id, created_at
    ),
    matched as (
      select t.*, w.id as webhook_id
      from taken t
      join webhooks w on w.brand_id = t.brand_id and w.enabled
      where exists (
        select 1 from unnest(w.event_types) as s(prefix)
        where t.event_type = s.prefix or starts_with(t.event_type, s.prefix || '.')
      )
    ),
    messages as (
      insert into webhook_messages (event_id, brand_id, event_type, entity_type, entity_id, occurred_at)
      select distinct on (id) id, brand_id, event_type, entity_type, entity_id, created_at from matched
      on conflict do nothing
    ),
    deliveries as (
      insert into webhook_deliveries (webhook_id, event_id, brand_id, event_type, occurred_at, next_attempt_at)
      select webhook_id, id, brand_id, event_type, created_at, ${options.now} from matched
      on conflict do nothing
      returning 1
    ),
    erased as (
      update webhook_messages m set body = null, erased_at = ${options.now}
      from taken t
      where t.event_type = 'CUSTOMER.DELETED' and m.brand_id = t.brand_id and m.entity_type = 'customers'
        and m.entity_id = t.entity_id and m.event_type <> 'CUSTOMER.DELETED' and m.erased_at is null
      returning m.event_id, m.brand_id
    ),
    ended as (
      update webhook_deliveries d set next_attempt_at = null
      from erased e join webhooks w on w.brand_id = e.brand_id
      where d.webhook_id = w.id and d.event_id = e.event_id and d.next_attempt_at is not null
    )
    select (select count(*) from taken) as events, (select count(*) from deliveries) as deliveries,
      (select id from outbox_events order by id desc limit 1) as newest
  `.execute(db)
  const row = result.rows[0]
  const newest = row?.newest
  return {
    events: Number(row?.events ?? 0),
    deliveries: Number(row?.deliveries ?? 0),
    newestEventAt: newest ? eventIdTime(newest) : undefined,
  }
}
