import { randomUUID } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { AttemptError, AttemptRequest, AttemptResponse, Database } from '../db/database.ts'
import { disableAfterFailingMs } from './retry-schedule.ts'
import { signingSecrets } from './webhook-secret.ts'

/** A due delivery a worker holds under a lease, with what it needs to make the attempt. */
export interface ClaimedDelivery {
  webhookId: string
  eventId: string
  brandId: string
  leaseToken: string
  attempts: number
  firstAttemptAt: Date | null
  succeededAt: Date | null
  endpoint: string
  headers: Record<string, string>
  /** Signing secrets: the current one, then the previous one while it still signs. */
  secrets: string[]
  eventType: string
  entityType: string
  entityId: string
  occurredAt: Date
  /** The kept body; null until rendered (or when erased). */
  body: string | null
  erased: boolean
}

export interface ClaimOptions {
  now: Date
  /** At most this many deliveries in all. */
  limit: number
  /** At most this many deliveries of one webhook under live leases, across all workers. */
  perWebhook: number
  leaseMs: number
}

/**
 * Leases due deliveries of enabled webhooks, in fair turns: every webhook's oldest due delivery
 * before any webhook's second, so one busy or slow endpoint cannot crowd out the others, and no
 * webhook beyond `perWebhook` leases at a time (a dead endpoint holds at most that many attempts
 * in flight). `skip locked` keeps two workers off the same rows; the lease keeps them off for
 * `leaseMs`, after which a delivery whose worker died is due again.
 */
export async function claimDeliveries(db: Kysely<Database>, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  const token = randomUUID()
  const leaseExpires = new Date(options.now.getTime() + options.leaseMs)
  // JIT off, as for ingestion (brand-lock.ts): the statement touches a few hundred rows by key, but
  // with statistics missing or behind a growing deliveries table its estimated cost passes JIT's
  // threshold, and compiling took about 24 ms of every claim (auto_explain of bench:webhooks at
  // 100,000 deliveries: 45 s of a 78 s run). set_config(…, true) lasts until the transaction ends.
  const result = await db.transaction().execute(async (trx) => {
    await sql`select set_config('jit', 'off', true)`.execute(trx)
    return claimStatement(trx, options, token, leaseExpires)
  })
  return result.rows.map((row) => ({
    webhookId: row.webhook_id,
    eventId: row.event_id,
    brandId: row.brand_id,
    leaseToken: token,
    attempts: row.attempts,
    firstAttemptAt: row.first_attempt_at,
    succeededAt: row.succeeded_at,
    endpoint: row.endpoint,
    headers: row.headers,
    secrets: signingSecrets(row, options.now),
    eventType: row.event_type,
    entityType: row.entity_type,
    entityId: row.entity_id,
    occurredAt: row.occurred_at,
    body: row.body,
    erased: row.erased_at !== null,
  }))
}

function claimStatement(trx: Transaction<Database>, options: ClaimOptions, token: string, leaseExpires: Date) {
  return sql<{
    webhook_id: string
    event_id: string
    brand_id: string
    attempts: number
    first_attempt_at: Date | null
    succeeded_at: Date | null
    endpoint: string
    headers: Record<string, string>
    signing_secret: string
    previous_signing_secret: string | null
    previous_secret_expires_at: Date | null
    event_type: string
    entity_type: string
    entity_id: string
    occurred_at: Date
    body: string | null
    erased_at: Date | null
  }>`
    with candidates as (
      select w.id as webhook_id, d.event_id,
        row_number() over (partition by w.id order by d.next_attempt_at, d.event_id) as turn
      from webhooks w
      cross join lateral (
        select greatest(0, ${options.perWebhook} - count(*))::int as room
        from webhook_deliveries l
        where l.webhook_id = w.id and l.lease_expires_at > ${options.now}
      ) r
      cross join lateral (
        select d.event_id, d.next_attempt_at
        from webhook_deliveries d
        where d.webhook_id = w.id and d.next_attempt_at <= ${options.now}
          and (d.lease_expires_at is null or d.lease_expires_at <= ${options.now})
        order by d.next_attempt_at
        limit r.room
        for update skip locked
      ) d
      where w.enabled
    ),
    chosen as (
      select webhook_id, event_id from candidates order by turn, random() limit ${options.limit}
    )
    update webhook_deliveries d
    set lease_token = ${token}, lease_expires_at = ${leaseExpires}
    from chosen c, webhooks w, webhook_messages m
    where d.webhook_id = c.webhook_id and d.event_id = c.event_id and w.id = d.webhook_id and m.event_id = d.event_id
    returning d.webhook_id, d.event_id, d.brand_id, d.attempts, d.first_attempt_at, d.succeeded_at,
      w.endpoint, w.headers, w.signing_secret, w.previous_signing_secret, w.previous_secret_expires_at,
      m.event_type, m.entity_type, m.entity_id, m.occurred_at, m.body, m.erased_at
  `.execute(trx)
}

/** What one attempt did, and what comes next for its delivery. */
export interface AttemptRecord {
  webhookId: string
  eventId: string
  leaseToken: string
  startedAt: Date
  succeeded: boolean
  request: AttemptRequest
  response?: AttemptResponse | undefined
  error?: AttemptError | undefined
  durationMs: number
  /** The next attempt's time; undefined when none follows (succeeded, gone, schedule spent). */
  nextAttemptAt?: Date | undefined
  /** The receiver answered 410 Gone: disable the webhook. */
  gone: boolean
  /**
   * A test send (the test button): recorded like any attempt, but it says nothing of the webhook's
   * health (no disabling, no failing clock started or stopped).
   */
  probe?: boolean
}

export interface WebhookDisabled {
  webhookId: string
  brandId: string
  reason: string
}

/**
 * Records attempts and moves their deliveries on, in one statement for the whole batch: the
 * attempt row, the delivery's counts, next time and released lease, and the webhook's health. A
 * result whose lease was lost (its worker stalled past the lease and another took the delivery)
 * changes nothing. A webhook is disabled when its endpoint answered 410 Gone, or when no attempt
 * has succeeded since its first failure `disableAfterFailingMs` ago; those are returned.
 */
export async function recordAttempts(
  db: Kysely<Database>,
  records: readonly AttemptRecord[],
  now: Date,
): Promise<WebhookDisabled[]> {
  if (records.length === 0) return []
  const json = JSON.stringify(
    records.map((r) => ({
      webhook_id: r.webhookId,
      event_id: r.eventId,
      lease_token: r.leaseToken,
      attempt_id: randomUUID(),
      started_at: r.startedAt.toISOString(),
      succeeded: r.succeeded,
      request: r.request,
      response: r.response ?? null,
      error: r.error ?? null,
      duration_ms: r.durationMs,
      next_attempt_at: r.nextAttemptAt?.toISOString() ?? null,
      gone: r.gone,
      probe: r.probe ?? false,
    })),
  )
  const failingCutoff = new Date(now.getTime() - disableAfterFailingMs)
  const result = await sql<{ webhook_id: string; brand_id: string; reason: string }>`
    with r as (
      select * from jsonb_to_recordset(${json}::jsonb) as r(
        webhook_id uuid, event_id uuid, lease_token uuid, attempt_id uuid, started_at timestamptz,
        succeeded boolean, request jsonb, response jsonb, error jsonb, duration_ms integer,
        next_attempt_at timestamptz, gone boolean, probe boolean)
    ),
    moved as (
      update webhook_deliveries d
      set attempts = d.attempts + 1,
        first_attempt_at = coalesce(d.first_attempt_at, r.started_at),
        last_attempt_at = r.started_at,
        succeeded_at = case when r.succeeded then coalesce(d.succeeded_at, r.started_at) else d.succeeded_at end,
        next_attempt_at = r.next_attempt_at,
        lease_token = null,
        lease_expires_at = null
      from r
      where d.webhook_id = r.webhook_id and d.event_id = r.event_id and d.lease_token = r.lease_token
      returning d.webhook_id, d.event_id
    ),
    attempts as (
      insert into webhook_attempts (id, webhook_id, event_id, started_at, succeeded, request, response, error, duration_ms)
      select r.attempt_id, r.webhook_id, r.event_id, r.started_at, r.succeeded, r.request,
        nullif(r.response, 'null'::jsonb), nullif(r.error, 'null'::jsonb), r.duration_ms
      from r join moved using (webhook_id, event_id)
    ),
    health as (
      select r.webhook_id, bool_or(r.succeeded) as succeeded, bool_or(r.gone) as gone,
        min(r.started_at) filter (where not r.succeeded) as first_failure
      from r join moved using (webhook_id, event_id)
      where not r.probe
      group by r.webhook_id
    ),
    decided as (
      select w.id,
        case when h.succeeded and not h.gone then null else coalesce(w.failing_since, h.first_failure) end as failing_since,
        case
          when not w.enabled then null
          when h.gone then 'the endpoint answered 410 Gone'
          when not h.succeeded and coalesce(w.failing_since, h.first_failure) <= ${failingCutoff}
            then 'no attempt succeeded for 5 days (failing since ' ||
              to_char(coalesce(w.failing_since, h.first_failure) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'
        end as disable_reason
      from health h join webhooks w on w.id = h.webhook_id
    )
    update webhooks w
    set failing_since = d.failing_since,
      enabled = w.enabled and d.disable_reason is null,
      disabled_reason = coalesce(d.disable_reason, w.disabled_reason)
    from decided d
    where w.id = d.id and (w.failing_since is distinct from d.failing_since or d.disable_reason is not null)
    returning w.id as webhook_id, w.brand_id, d.disable_reason as reason
  `.execute(db)
  return result.rows
    .filter((row) => row.reason !== null)
    .map((row) => ({ webhookId: row.webhook_id, brandId: row.brand_id, reason: row.reason }))
}

/**
 * Ends deliveries a worker holds but will not attempt (their message was erased): no next attempt,
 * lease released.
 */
export async function endDeliveries(
  db: Kysely<Database>,
  deliveries: readonly Pick<ClaimedDelivery, 'webhookId' | 'eventId' | 'leaseToken'>[],
): Promise<void> {
  if (deliveries.length === 0) return
  await sql`
    update webhook_deliveries d
    set next_attempt_at = null, lease_token = null, lease_expires_at = null
    from jsonb_to_recordset(${JSON.stringify(
      deliveries.map((d) => ({ webhook_id: d.webhookId, event_id: d.eventId, lease_token: d.leaseToken })),
    )}::jsonb) as r(webhook_id uuid, event_id uuid, lease_token uuid)
    where d.webhook_id = r.webhook_id and d.event_id = r.event_id and d.lease_token = r.lease_token
  `.execute(db)
}
