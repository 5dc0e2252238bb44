import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../src/db/database.ts'
import { eventId } from '../../src/outbox/event-id.ts'

// Deliveries in any state, written straight into the delivery tables as fan-out and the worker
// leave them, for tests of what reads the delivery log (the events list and its filters, bulk
// retry, health, activity) without waiting for a worker to make each state.

/**
 * success: delivered after `attempts` attempts; pending: failing (or never tried with 0 attempts)
 * with a next attempt due; failure: given up after `attempts` attempts; erased: its customer was
 * deleted (ended, body erased).
 */
export type SeededState = 'success' | 'pending' | 'failure' | 'erased'

export interface SeededDelivery {
  type: string
  occurredAt: Date
  state: SeededState
  /** Attempts made (each failed but a success's last); default 1. */
  attempts?: number
  /** How long each attempt took, ms; default 40. */
  durationMs?: number
  /** When the attempts started; default occurredAt + 1 s. */
  attemptedAt?: Date
}

export interface SeededEvent extends Required<SeededDelivery> {
  eventId: string
}

/** Writes the deliveries (message, delivery, attempts) for one webhook; answers them with their event ids. */
export async function seedDeliveries(
  db: Kysely<Database>,
  webhook: { id: string; brandId: string },
  deliveries: readonly SeededDelivery[],
): Promise<SeededEvent[]> {
  const events = deliveries.map((d) => ({
    attempts: 1,
    durationMs: 40,
    attemptedAt: new Date(d.occurredAt.getTime() + 1000),
    ...d,
    eventId: eventId(d.occurredAt.getTime()),
  }))
  if (events.length === 0) return events
  const rows = events.map((e) => ({
    event_id: e.eventId,
    event_type: e.type,
    occurred_at: e.occurredAt.toISOString(),
    attempts: e.attempts,
    attempted_at: e.attemptedAt.toISOString(),
    duration_ms: e.durationMs,
    succeeded: e.state === 'success',
    next_attempt_at: e.state === 'pending' ? new Date(Date.now() + 60_000).toISOString() : null,
    erased: e.state === 'erased',
    attempt_ids: Array.from({ length: e.attempts }, () => randomUUID()),
  }))
  const json = JSON.stringify(rows)
  await sql`
    with r as (
      select * from jsonb_to_recordset(${json}::jsonb) as r(event_id uuid, event_type text, occurred_at timestamptz,
        attempts int, attempted_at timestamptz, duration_ms int, succeeded boolean, next_attempt_at timestamptz,
        erased boolean, attempt_ids uuid[])
    ),
    messages as (
      insert into webhook_messages (event_id, brand_id, event_type, entity_type, entity_id, occurred_at, body, erased_at)
      select event_id, ${webhook.brandId}, event_type, 'receipts', event_id::text, occurred_at,
        case when erased then null else '{}' end, case when erased then now() end
      from r
    ),
    deliveries as (
      insert into webhook_deliveries (webhook_id, event_id, brand_id, event_type, occurred_at, attempts,
        first_attempt_at, last_attempt_at, succeeded_at, next_attempt_at)
      select ${webhook.id}, event_id, ${webhook.brandId}, event_type, occurred_at, attempts,
        case when attempts > 0 then attempted_at end, case when attempts > 0 then attempted_at end,
        case when succeeded then attempted_at end, next_attempt_at
      from r
    )
    insert into webhook_attempts (id, webhook_id, event_id, started_at, succeeded, request, response, error, duration_ms)
    select a.id, ${webhook.id}, r.event_id, r.attempted_at, r.succeeded and a.n = r.attempts,
      jsonb_build_object('endpoint', 'https://example.com/hook', 'headers', '{}'::jsonb),
      jsonb_build_object('statusCode', case when r.succeeded and a.n = r.attempts then 204 else 500 end,
        'headers', '{}'::jsonb, 'body', '', 'bodyTruncated', false),
      null, r.duration_ms
    from r cross join lateral unnest(r.attempt_ids) with ordinality as a(id, n)
  `.execute(db)
  return events
}
