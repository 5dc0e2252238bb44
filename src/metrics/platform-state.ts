import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'

/** The statuses an export run has (export_runs.status); each is reported, zero included. */
export const exportRunStatuses = ['running', 'succeeded', 'failed'] as const
export type ExportRunStatus = (typeof exportRunStatuses)[number]

/** What the database says at scrape time, for the gauges of platform-metrics.ts. */
export interface PlatformState {
  pendingDeliveries: number
  /** Seconds since the oldest pending delivery was created; 0 when none is pending. */
  oldestPendingDeliverySeconds: number
  /** Seconds the most overdue delivery has been due without an attempt; 0 when none is due. */
  mostOverdueDeliverySeconds: number
  disabledWebhooks: number
  /** Enabled webhooks whose last attempts failed (failing_since set). */
  failingWebhooks: number
  /** Seconds the longest-failing enabled webhook has been failing; 0 when none is. */
  longestFailingWebhookSeconds: number
  /** Export runs started in the last 2 days, by status. */
  exportRuns: Record<ExportRunStatus, number>
  /** Waiting references by the entity type they wait for. */
  waitingReferences: Map<string, number>
  /** Seconds since the oldest waiting reference started waiting; 0 when none waits. */
  oldestWaitingReferenceSeconds: number
  /**
   * Brands past today's deadline on their own clock whose yesterday has no successful run yet
   * (incomplete), or got its first one after the deadline (late). Brands added after the deadline
   * are left out: nobody expected their yesterday.
   */
  deadlineMissedBrands: { incomplete: number; late: number }
}

export interface PlatformStateOptions {
  /** Brand-local HH:MM by which yesterday's export must be complete (FLEX_SCHEDULE_DEADLINE). */
  deadline: string
}

/** The window of export runs the gauges count: today's and yesterday's runs in every time zone. */
export const exportRunWindow = '2 days'

interface CountsRow {
  pending: string
  oldest_pending_seconds: number | null
  most_overdue_seconds: number | null
  disabled: string
  failing: string
  longest_failing_seconds: number | null
  running: string
  succeeded: string
  failed: string
  /** [target type, count, seconds the oldest has waited] per target type. */
  waiting: [string, number, number][]
  deadline_incomplete: string
  deadline_late: string
}

/**
 * Reads the state in one statement, nothing per brand in a loop: the pending deliveries' count
 * and most overdue come from the partial index on next_attempt_at alone (index-only scans); their
 * oldest creation time is one probe of the partial index on created_at (migration 0019); webhooks and the last
 * two days of export runs are small; the deadline probes export_runs by (brand_id, date) once per
 * brand; waiting references are grouped by target type in one scan, each group with its oldest.
 * bench/metrics-scrape.ts measures it.
 */
export async function readPlatformState(db: Kysely<Database>, options: PlatformStateOptions): Promise<PlatformState> {
  const counts = await sql<CountsRow>`
    select
      d.pending, d.oldest_pending_seconds, d.most_overdue_seconds,
      w.disabled, w.failing, w.longest_failing_seconds,
      r.running, r.succeeded, r.failed,
      l.deadline_incomplete, l.deadline_late,
      (select coalesce(json_agg(json_build_array(target_type, n, oldest_seconds)), '[]'::json)
         from (select target_type, count(*) as n, extract(epoch from now() - min(waiting_since))::float8 as oldest_seconds
                 from waiting_references group by target_type) g) as waiting
    from
      (select
         (select count(*) from webhook_deliveries where next_attempt_at is not null) as pending,
         (select extract(epoch from now() - min(created_at))::float8
            from webhook_deliveries where next_attempt_at is not null) as oldest_pending_seconds,
         (select extract(epoch from now() - min(next_attempt_at))::float8
            from webhook_deliveries where next_attempt_at is not null) as most_overdue_seconds) d,
      (select count(*) filter (where not enabled) as disabled,
              count(*) filter (where enabled and failing_since is not null) as failing,
              extract(epoch from now() - min(failing_since) filter (where enabled))::float8 as longest_failing_seconds
         from webhooks) w,
      (select count(*) filter (where status = 'running') as running,
              count(*) filter (where status = 'succeeded') as succeeded,
              count(*) filter (where status = 'failed') as failed
         from export_runs where started_at > now() - ${exportRunWindow}::interval) r,
      (${deadlineMisses(options.deadline)}) l
  `.execute(db)
  const row = counts.rows[0]
  if (!row) throw new Error('the platform state query answered no row')
  return {
    pendingDeliveries: Number(row.pending),
    oldestPendingDeliverySeconds: Math.max(0, row.oldest_pending_seconds ?? 0),
    // A retry scheduled for later is not overdue: the earliest next attempt in the future gives 0.
    mostOverdueDeliverySeconds: Math.max(0, row.most_overdue_seconds ?? 0),
    disabledWebhooks: Number(row.disabled),
    failingWebhooks: Number(row.failing),
    longestFailingWebhookSeconds: Math.max(0, row.longest_failing_seconds ?? 0),
    exportRuns: { running: Number(row.running), succeeded: Number(row.succeeded), failed: Number(row.failed) },
    waitingReferences: new Map(row.waiting.map(([targetType, count]) => [targetType, Number(count)])),
    oldestWaitingReferenceSeconds: Math.max(0, ...row.waiting.map(([, , seconds]) => seconds)),
    deadlineMissedBrands: { incomplete: Number(row.deadline_incomplete), late: Number(row.deadline_late) },
  }
}

/**
 * Per brand, on its own wall clock as the scheduler and GET .../exports/days read it: once today's
 * deadline has passed, yesterday is incomplete without a successful run, late when the earliest
 * one to end ended at or after the deadline. One probe of export_runs_brand_date_idx per brand.
 */
function deadlineMisses(deadline: string) {
  return sql`
    select count(*) filter (where s.first_done is null) as deadline_incomplete,
           count(*) filter (where s.first_done >= b.deadline_local) as deadline_late
    from (
      select id, timezone, created_at, local_today - 1 as yesterday, local_today + ${deadline}::time as deadline_local
      from (select id, timezone, created_at, (now() at time zone timezone)::date as local_today from brands) t
    ) b
    cross join lateral (
      select min(coalesce(r.ended_at, r.started_at)) at time zone b.timezone as first_done
      from export_runs r
      where r.brand_id = b.id and r.date = b.yesterday and r.status = 'succeeded'
    ) s
    where now() at time zone b.timezone >= b.deadline_local
      and b.created_at at time zone b.timezone < b.deadline_local
  `
}
