import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { AttemptError, AttemptRequest, AttemptResponse, Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import { testEventType } from './event-catalogue.ts'

// What a brand sees of its webhooks' deliveries (seed 002's events endpoints): each event sent to
// a webhook with its status, and each attempt with the request as sent and the response.

/** SUCCESS once an attempt succeeded, FAILURE otherwise (seed 002's two values). */
export type EventStatus = 'SUCCESS' | 'FAILURE'

export interface WebhookEventSummary {
  id: string
  type: string
  /** When the event happened on the platform. */
  created: Date
  /** When its delivery last changed. */
  updated: Date
  status: EventStatus
  /** When the next attempt is due; null when none is (succeeded, given up, or erased). */
  nextAttempt: Date | null
}

export interface WebhookEventAttempt {
  id: string
  created: Date
  status: EventStatus
  request: AttemptRequest
  response: AttemptResponse | null
  error: AttemptError | null
  durationMs: number
}

export interface WebhookEventDetail extends WebhookEventSummary {
  attempts: WebhookEventAttempt[]
  /** Its customer was deleted: the kept body was erased and it is sent no more. */
  erased: boolean
  /** The body every attempt sends (the same bytes each time); null until rendered, or once erased. */
  body: string | null
}

export const eventPageSizes = { default: 20, max: 100 } as const

/**
 * The delivery log's status filter: success (an attempt succeeded), pending (not yet, and an
 * attempt is scheduled), failure (not succeeded and none scheduled: given up, or erased).
 */
export const deliveryStatuses = ['success', 'failure', 'pending'] as const
export type DeliveryStatus = (typeof deliveryStatuses)[number]

export interface EventPageQuery {
  size: number
  /** Events that happened at or after this instant. */
  start?: Date | undefined
  /** Events that happened before this instant. */
  end?: Date | undefined
  status?: DeliveryStatus | undefined
  /** An event type, or a prefix of types (ORDER_EVENTS covers ORDER_EVENTS.OMS.ORDER_SHIPPED). */
  type?: string | undefined
  /** The page holds events older than this one (the previous page's lastId). */
  startId?: string | undefined
}

export interface EventPage {
  events: WebhookEventSummary[]
  /** The last event of this page when older ones follow; null on the last page. */
  lastId: string | null
}

const status = (succeededAt: Date | null): EventStatus => (succeededAt === null ? 'FAILURE' : 'SUCCESS')

/**
 * The events sent (or to be sent) to one webhook, newest first (by when they happened, then id),
 * a page at a time, filtered by time, status and type. Every filter is a range or a condition on
 * webhook_deliveries' own columns, so one index of migration 0017 serves each combination.
 */
export async function listWebhookEvents(
  db: Kysely<Database>,
  webhookId: string,
  query: EventPageQuery,
): Promise<EventPage> {
  const after = query.startId === undefined ? undefined : await pagePosition(db, webhookId, query.startId)
  let select = db
    .selectFrom('webhook_deliveries as d')
    .select(['d.event_id', 'd.event_type', 'd.occurred_at', 'd.updated_at', 'd.succeeded_at', 'd.next_attempt_at'])
    .where('d.webhook_id', '=', webhookId)
  if (query.start) select = select.where('d.occurred_at', '>=', query.start)
  if (query.end) select = select.where('d.occurred_at', '<', query.end)
  if (query.status) select = select.where(statusCondition(query.status))
  if (query.type) select = select.where(typeCondition(query.type))
  if (after) select = select.where(sql<boolean>`(d.occurred_at, d.event_id) < (${after.occurredAt}, ${after.eventId})`)
  const rows = await select
    .orderBy('d.occurred_at', 'desc')
    .orderBy('d.event_id', 'desc')
    .limit(query.size + 1)
    .execute()
  const page = rows.slice(0, query.size)
  return {
    events: page.map((row) => ({
      id: row.event_id,
      type: row.event_type,
      created: row.occurred_at,
      updated: row.updated_at,
      status: status(row.succeeded_at),
      nextAttempt: row.next_attempt_at,
    })),
    lastId: rows.length > query.size ? (page.at(-1)?.event_id ?? null) : null,
  }
}

/** Where a page that starts after `startId` starts; a 422 when the webhook has no such event. */
async function pagePosition(
  db: Kysely<Database>,
  webhookId: string,
  startId: string,
): Promise<{ occurredAt: Date; eventId: string }> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select(['occurred_at', 'event_id'])
    .where('webhook_id', '=', webhookId)
    .where('event_id', '=', startId)
    .executeTakeFirst()
  if (!row) {
    throw new FlexError('INVALID_QUERY', 'There are errors in the query: fix the parameters named in validations.', {
      validations: { startId: 'startId must be an event of this webhook, as page.lastId gives it' },
    })
  }
  return { occurredAt: row.occurred_at, eventId: row.event_id }
}

/** The status filter on webhook_deliveries as `d`. */
export function statusCondition(wanted: DeliveryStatus): RawBuilder<boolean> {
  switch (wanted) {
    case 'success':
      return sql<boolean>`d.succeeded_at is not null`
    case 'pending':
      return sql<boolean>`d.succeeded_at is null and d.next_attempt_at is not null`
    case 'failure':
      return sql<boolean>`d.succeeded_at is null and d.next_attempt_at is null`
  }
}

/**
 * A type or a prefix of types on webhook_deliveries as `d`. The column is collate "C", so
 * `[type, type + '/')` is one index range holding the type and every `type.…` ('/' follows '.'),
 * and the exact test drops the few others in it (such as `type-X`).
 */
export function typeCondition(type: string): RawBuilder<boolean> {
  return sql<boolean>`d.event_type >= ${type} and d.event_type < ${`${type}/`}
    and (d.event_type = ${type} or starts_with(d.event_type, ${`${type}.`}))`
}

/** One event sent to a webhook, with every attempt, oldest first; undefined when the webhook has no such event. */
export async function findWebhookEvent(
  db: Kysely<Database>,
  webhookId: string,
  eventId: string,
): Promise<WebhookEventDetail | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_messages as m', 'm.event_id', 'd.event_id')
    .select([
      'd.event_id',
      'm.event_type',
      'm.occurred_at',
      'm.erased_at',
      'm.body',
      'd.updated_at',
      'd.succeeded_at',
      'd.next_attempt_at',
    ])
    .where('d.webhook_id', '=', webhookId)
    .where('d.event_id', '=', eventId)
    .executeTakeFirst()
  if (!row) return undefined
  const attempts = await db
    .selectFrom('webhook_attempts')
    .select(['id', 'started_at', 'succeeded', 'request', 'response', 'error', 'duration_ms'])
    .where('webhook_id', '=', webhookId)
    .where('event_id', '=', eventId)
    .orderBy('started_at')
    .orderBy('id')
    .execute()
  return {
    id: row.event_id,
    type: row.event_type,
    created: row.occurred_at,
    updated: row.updated_at,
    status: status(row.succeeded_at),
    nextAttempt: row.next_attempt_at,
    erased: row.erased_at !== null,
    body: row.body,
    attempts: attempts.map((a) => ({
      id: a.id,
      created: a.started_at,
      status: a.succeeded ? 'SUCCESS' : 'FAILURE',
      request: a.request,
      response: a.response,
      error: a.error,
      durationMs: a.duration_ms,
    })),
  }
}

export type RetryOutcome = 'queued' | 'not_found' | 'erased' | 'test'

/**
 * Makes a delivery due now: the worker makes one more attempt soon after, whatever its state (a
 * given-up or succeeded delivery gets exactly one; a pending one moves its next attempt forward).
 * A test event (test-event.ts) is not handed to the worker, whose schedule and health rules it
 * must stay out of: `test`, and a new test is the way to send one again.
 */
export async function retryDelivery(
  db: Kysely<Database>,
  webhookId: string,
  eventId: string,
  now: Date,
): Promise<RetryOutcome> {
  const result = await sql<{ erased: boolean; test: boolean }>`
    update webhook_deliveries d
    set next_attempt_at = case
      when m.erased_at is null and m.event_type <> ${testEventType} then ${now}::timestamptz
      else d.next_attempt_at
    end
    from webhook_messages m
    where d.webhook_id = ${webhookId} and d.event_id = ${eventId} and m.event_id = d.event_id
    returning m.erased_at is not null as erased, m.event_type = ${testEventType} as test
  `.execute(db)
  const row = result.rows[0]
  if (!row) return 'not_found'
  return row.erased ? 'erased' : row.test ? 'test' : 'queued'
}
