import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { uuidPattern } from '../uuid-pattern.ts'
import { readQuery } from './query-reader.ts'

// The attempts of a brand's webhooks over the last hours, for the console's charts and
// GET /v1/{brandId}/webhooks/activity: per minute how many attempts delivered and how many
// failed, and per 10 minutes the attempts' response times (p50, p95). Read from the attempts'
// time index (migration 0017: webhook, started_at, with the outcome and duration included), so
// the cost follows the attempts of the window.

export const activityHours = { default: 24, max: 48 } as const
const minuteMs = 60_000
export const latencyBucketMinutes = 10

export interface ActivityQuery {
  hours: number
  /** One webhook of the brand; all of them when undefined. */
  webhookId?: string | undefined
}

export interface MinuteActivity {
  /** The minute's start. */
  minute: Date
  /** Attempts that succeeded. */
  delivered: number
  /** Attempts that failed (a non-2xx answer or none). */
  failed: number
}

export interface LatencyBucket {
  start: Date
  attempts: number
  /** The attempts' response times in ms (request sent to answer, or to the error); null without attempts. */
  p50Ms: number | null
  p95Ms: number | null
}

export interface DeliveryActivity {
  /** The window: [start, end), whole 10-minute buckets, the last one holding now. */
  start: Date
  end: Date
  /** Every minute of the window, oldest first (zeros included). */
  minutes: MinuteActivity[]
  /** Every 10 minutes of the window, oldest first. */
  latency: LatencyBucket[]
}

/** The query of GET …/webhooks/activity: hours (1 to 48, default 24) and webhookId; a 422 otherwise. */
export function parseActivityQuery(query: Record<string, unknown>): ActivityQuery {
  const reader = readQuery(query, ['hours', 'webhookId'])
  let hours: number = activityHours.default
  const hoursText = reader.text('hours')
  if (hoursText !== undefined) {
    if (!/^\d{1,3}$/.test(hoursText) || Number(hoursText) < 1 || Number(hoursText) > activityHours.max) {
      reader.invalid('hours', `hours must be a whole number from 1 to ${activityHours.max}`)
    } else hours = Number(hoursText)
  }
  const webhookId = reader.text('webhookId')
  if (webhookId !== undefined && !uuidPattern.test(webhookId)) {
    reader.invalid('webhookId', 'webhookId must be the id (a uuid) of one of the brand’s webhooks')
  }
  reader.finish()
  return { hours, webhookId: webhookId?.toLowerCase() }
}

/** The window ending at the end of now's 10-minute bucket. */
export function activityWindow(now: Date, hours: number): { start: Date; end: Date } {
  const bucketMs = latencyBucketMinutes * minuteMs
  const end = new Date(Math.floor(now.getTime() / bucketMs) * bucketMs + bucketMs)
  return { start: new Date(end.getTime() - hours * 3_600_000), end }
}

/** The brand's attempts in the window, per minute and per 10 minutes. */
export async function deliveryActivity(
  db: Kysely<Database>,
  brandId: string,
  query: ActivityQuery,
  now: Date,
): Promise<DeliveryActivity> {
  const { start, end } = activityWindow(now, query.hours)
  // One pass over the window's attempts: grouping sets give the minutes' counts and the
  // 10 minutes' percentiles from the same scan of the attempts' time index.
  const result = await sql<{
    minute: Date | null
    bucket: Date | null
    delivered: string
    failed: string
    percentiles: number[] | null
  }>`
    select date_trunc('minute', a.started_at) as minute,
      date_bin(${`${latencyBucketMinutes} minutes`}::interval, a.started_at, ${start}::timestamptz) as bucket,
      count(*) filter (where a.succeeded) as delivered, count(*) filter (where not a.succeeded) as failed,
      percentile_cont(array[0.5, 0.95]) within group (order by a.duration_ms) as percentiles
    from webhooks w join webhook_attempts a on a.webhook_id = w.id
    where w.brand_id = ${brandId} ${query.webhookId === undefined ? sql`` : sql`and w.id = ${query.webhookId}`}
      and a.started_at >= ${start} and a.started_at < ${end}
    group by grouping sets ((1), (2))
  `.execute(db)
  const perMinute = result.rows.filter((r) => r.minute !== null)
  const perBucket = result.rows.filter((r) => r.bucket !== null)

  const minutes = new Map(perMinute.map((r) => [r.minute?.getTime(), r]))
  const buckets = new Map(perBucket.map((r) => [r.bucket?.getTime(), r]))
  return {
    start,
    end,
    minutes: steps(start, end, minuteMs).map((minute) => {
      const row = minutes.get(minute.getTime())
      return { minute, delivered: Number(row?.delivered ?? 0), failed: Number(row?.failed ?? 0) }
    }),
    latency: steps(start, end, latencyBucketMinutes * minuteMs).map((bucketStart) => {
      const row = buckets.get(bucketStart.getTime())
      return {
        start: bucketStart,
        attempts: Number(row?.delivered ?? 0) + Number(row?.failed ?? 0),
        p50Ms: percentile(row?.percentiles, 0),
        p95Ms: percentile(row?.percentiles, 1),
      }
    }),
  }
}

function percentile(percentiles: number[] | null | undefined, index: number): number | null {
  const value = percentiles?.[index]
  return value === undefined ? null : Math.round(value)
}

function steps(start: Date, end: Date, stepMs: number): Date[] {
  const times: Date[] = []
  for (let at = start.getTime(); at < end.getTime(); at += stepMs) times.push(new Date(at))
  return times
}
