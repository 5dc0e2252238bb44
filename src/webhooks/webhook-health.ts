import { type Kysely, sql } from 'kysely'
import type { AttemptError, AttemptResponse, Database } from '../db/database.ts'
import { testEventType } from './event-catalogue.ts'

// How each of a brand's webhooks is doing, for the console's list and overview and for
// GET /v1/{brandId}/webhooks/health: the last 24 hours' deliveries, the backlog, the last error and
// why the platform disabled it. One statement; each part is an indexed range of one webhook
// (migration 0017), so the cost follows the brand's webhooks and a day's events, not the table.

export const healthWindowMs = 24 * 60 * 60 * 1000

export interface WebhookHealth {
  id: string
  endpoint: string
  events: string[]
  enabled: boolean
  disabledReason: string | null
  /** The first failed attempt since the last success; null while the endpoint answers. */
  failingSince: Date | null
  /** Deliveries of events that happened in the last 24 hours (test events aside). */
  deliveries: number
  /** Of those, delivered (an attempt succeeded). */
  succeeded: number
  /** Of those, attempted and not (yet) delivered. */
  failed: number
  /** succeeded / (succeeded + failed); null when none was attempted. */
  successRate: number | null
  /** Deliveries with an attempt still to come. */
  pending: number
  /** When the oldest of them was queued; null when none is pending. */
  oldestPendingSince: Date | null
  lastError: LastError | null
}

export interface LastError {
  eventId: string
  at: Date
  /** The response's status, when there was one. */
  statusCode: number | null
  /** The error's kind when there was no answer (timeout, refused, …). */
  kind: string | null
  message: string
}

interface HealthRow {
  id: string
  endpoint: string
  event_types: string[]
  enabled: boolean
  disabled_reason: string | null
  failing_since: Date | null
  deliveries: string
  succeeded: string
  failed: string
  pending: string
  oldest_pending: Date | null
  error_event_id: string | null
  error_at: Date | null
  error_response: AttemptResponse | null
  error_error: AttemptError | null
}

/** The health of every webhook of the brand (all of them, or the one `webhookId` names), oldest first. */
export async function webhookHealth(
  db: Kysely<Database>,
  brandId: string,
  now: Date,
  webhookId?: string,
): Promise<WebhookHealth[]> {
  const since = new Date(now.getTime() - healthWindowMs)
  const result = await sql<HealthRow>`
    select w.id, w.endpoint, w.event_types, w.enabled, w.disabled_reason, w.failing_since,
      s.deliveries, s.succeeded, s.failed, b.pending, b.oldest_pending,
      e.event_id as error_event_id, e.started_at as error_at, e.response as error_response, e.error as error_error
    from webhooks w
    cross join lateral (
      select count(*) as deliveries,
        count(*) filter (where d.succeeded_at is not null) as succeeded,
        count(*) filter (where d.succeeded_at is null and d.attempts > 0) as failed
      from webhook_deliveries d
      where d.webhook_id = w.id and d.occurred_at >= ${since} and d.occurred_at <= ${now}
        and d.event_type <> ${testEventType}
    ) s
    cross join lateral (
      select count(*) as pending, min(d.created_at) as oldest_pending
      from webhook_deliveries d
      where d.webhook_id = w.id and d.next_attempt_at is not null
    ) b
    left join lateral (
      select a.event_id, a.started_at, a.response, a.error
      from webhook_attempts a
      where a.webhook_id = w.id and not a.succeeded
      order by a.started_at desc
      limit 1
    ) e on true
    where w.brand_id = ${brandId} ${webhookId === undefined ? sql`` : sql`and w.id = ${webhookId}`}
    order by w.created_at, w.id
  `.execute(db)
  return result.rows.map(toHealth)
}

function toHealth(row: HealthRow): WebhookHealth {
  const succeeded = Number(row.succeeded)
  const failed = Number(row.failed)
  return {
    id: row.id,
    endpoint: row.endpoint,
    events: row.event_types,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since,
    deliveries: Number(row.deliveries),
    succeeded,
    failed,
    successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
    pending: Number(row.pending),
    oldestPendingSince: row.oldest_pending,
    lastError: lastError(row),
  }
}

function lastError(row: HealthRow): LastError | null {
  if (row.error_event_id === null || row.error_at === null) return null
  const statusCode = row.error_response?.statusCode ?? null
  return {
    eventId: row.error_event_id,
    at: row.error_at,
    statusCode,
    kind: row.error_error?.kind ?? null,
    message: row.error_error?.message ?? `the endpoint answered HTTP ${statusCode ?? '(no status)'}`,
  }
}
