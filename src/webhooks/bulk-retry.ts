import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { testEventType } from './event-catalogue.ts'
import { type QuerySource, readQuery } from './query-reader.ts'

// Retrying every failed delivery of a webhook in a time range at once (after an endpoint's outage
// is fixed): how many there are, to confirm first, then one statement that makes them all due.
// Failed means attempted and not succeeded: given up, or failing with a retry scheduled. A test
// event is never sent again and an erased one cannot be (as for one retry, delivery-history.ts).

/** Events that happened in [start, end). */
export interface DeliveryRange {
  start: Date
  end: Date
}

const rangeFields = ['start', 'end']

/**
 * A range from a query string (GET …/count) or a JSON body (POST …/retry): both start and end,
 * date-times with an offset, start not after end; a 422 naming each field that breaks a rule.
 */
export function parseDeliveryRange(fields: unknown, source?: QuerySource): DeliveryRange {
  const object = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? fields : {}
  const reader = readQuery(object as Record<string, unknown>, rangeFields, source)
  if (object !== fields && fields !== undefined && fields !== null) {
    reader.invalid('body', 'must be a JSON object: {"start": date-time, "end": date-time}')
  }
  const start = reader.instant('start')
  const end = reader.instant('end')
  for (const [name, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (value === undefined && !reader.failed(name)) reader.invalid(name, `${name} is required`)
  }
  if (start && end && start > end) reader.invalid('start', 'start must not be after end')
  reader.finish()
  return { start: start as Date, end: end as Date }
}

/** The body's source for POST …/retry: its 422s are INVALID_RANGE about fields. */
export const rangeBody: QuerySource = {
  code: 'INVALID_RANGE',
  message: 'There are errors in the request: fix the fields named in validations.',
  noun: 'field',
}

/** How many failed deliveries of the webhook a bulk retry of `range` would make due. */
export async function countFailedDeliveries(
  db: Kysely<Database>,
  webhookId: string,
  range: DeliveryRange,
): Promise<number> {
  const result = await sql<{ count: string }>`
    select count(*) as count from webhook_deliveries d where ${failedInRange(webhookId, range)}
  `.execute(db)
  return Number(result.rows[0]?.count ?? 0)
}

/** Makes every failed delivery of the webhook in `range` due now; answers how many. */
export async function retryFailedDeliveries(
  db: Kysely<Database>,
  webhookId: string,
  range: DeliveryRange,
  now: Date,
): Promise<number> {
  const result = await sql`
    update webhook_deliveries d set next_attempt_at = ${now} where ${failedInRange(webhookId, range)}
  `.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

/**
 * Failed deliveries of `d` in the range. The partial index of unfinished deliveries (migration
 * 0017) holds the webhook, the range and the columns tested; the erased are a probe of the small
 * index of erased messages, not a join to every message.
 */
function failedInRange(webhookId: string, range: DeliveryRange) {
  return sql`d.webhook_id = ${webhookId} and d.succeeded_at is null
    and d.occurred_at >= ${range.start} and d.occurred_at < ${range.end}
    and d.attempts > 0 and d.event_type <> ${testEventType}
    and not exists (select 1 from webhook_messages m where m.event_id = d.event_id and m.erased_at is not null)`
}
