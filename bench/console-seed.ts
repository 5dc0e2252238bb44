import { type Kysely, sql } from 'kysely'
import type { Database } from '../src/db/database.ts'
import { exportFiles } from '../src/exports/files/index.ts'
import { manifestPath } from '../src/exports/layout.ts'
import { userAgent, webhookVersion } from '../src/webhooks/delivery-request.ts'
import { eventCatalogue } from '../src/webhooks/event-catalogue.ts'

// The data bench/console.ts measures the console on, written with set-based SQL (one statement per
// table over generate_series, through temporary tables, in one transaction), relative to now(),
// and in time order, as the tables fill in production:
//
//   brands          B brands, `brand-000` …, in five time zones, made before the first day;
//   export_runs     D days per brand ending yesterday (brand-local): mostly one scheduled run that
//                   succeeded at 02:0x with its manifest; about 1 day in 20 failed twice, 1 in 20
//                   late (failed, then succeeded after the 04:00 deadline), 1 in 40 missing; the
//                   first brand's yesterday still running;
//   webhooks        W per brand, each on one top-level group of the event catalogue; the last of
//                   every tenth brand disabled (with its reason), the one before it of every
//                   seventh brand failing for 2 hours;
//   events          N webhook events (webhook_messages with a rendered body, one delivery each,
//                   and their attempts), 70% in the last 24 h, the rest over the D days; half of a
//                   brand's events go to its first webhook. Outcomes: 88% succeeded at the first
//                   attempt, 5% at the second, 5% at the third, 2% failing: given up after 8
//                   attempts when older than a day, else retrying (1-4 attempts, the next due
//                   later), so about 1.4% of the deliveries are pending, as bench/metrics-scrape.ts
//                   assumes (1%); 30% of the last 2 minutes' events not attempted yet;
//   waiting_references  50 per brand, transactions waiting for customers, over the last D days;
//   ingestion_counts, ingestion_rejections  where they exist (migration 0016): a week of hourly
//                   counts per entity type and outcome, and a full rejection log per brand.

export interface ConsoleSeedSizes {
  brands: number
  days: number
  events: number
  webhooksPerBrand: number
}

export interface ConsoleSeedCounts {
  brands: number
  export_runs: number
  webhooks: number
  webhook_messages: number
  webhook_deliveries: number
  webhook_attempts: number
  waiting_references: number
}

const timezones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Australia/Sydney']

export function brandIdOf(index: number): string {
  return `brand-${String(index).padStart(3, '0')}`
}

/** Seeds an empty, migrated database (see above) and answers how many rows each table got. */
export async function seedConsoleData(
  db: Kysely<Database>,
  sizes: ConsoleSeedSizes,
  progress: (step: string, seconds: number) => void = () => {},
): Promise<ConsoleSeedCounts> {
  const steps: [string, (trx: Kysely<Database>, sizes: ConsoleSeedSizes) => Promise<void>][] = [
    ['brands', seedBrands],
    ['export runs', seedExportRuns],
    ['webhooks', seedWebhooks],
    ['events planned', planEvents],
    ['webhook_messages', seedMessages],
    ['webhook_deliveries', seedDeliveries],
    ['webhook_attempts', seedAttempts],
    ['waiting references', seedWaitingReferences],
    ['ingestion activity', seedIngestionActivity],
  ]
  // One transaction: the temporary tables live until its commit.
  return db.transaction().execute(async (trx) => {
    await skipForeignKeyChecks(trx)
    for (const [step, seed] of steps) {
      const started = performance.now()
      await seed(trx, sizes)
      progress(step, (performance.now() - started) / 1000)
    }
    return countRows(trx)
  })
}

/**
 * The rows are consistent by construction, and the per-row foreign-key triggers of deliveries and
 * attempts were a third of the seed's time: a superuser's session skips them (replica role, for
 * this transaction only); any other role seeds with the checks.
 */
async function skipForeignKeyChecks(trx: Kysely<Database>): Promise<void> {
  await sql`
    select set_config('session_replication_role', 'replica', true)
    from pg_roles where rolname = current_user and rolsuper
  `.execute(trx)
}

async function seedBrands(db: Kysely<Database>, sizes: ConsoleSeedSizes): Promise<void> {
  await sql`
    insert into brands (id, name, timezone, created_at, updated_at)
    select 'brand-' || lpad(b::text, 3, '0'), 'Brand ' || b, (${timezones}::text[])[1 + b % ${timezones.length}::int],
      now() - ${sizes.days + 1}::int * interval '1 day', now() - ${sizes.days + 1}::int * interval '1 day'
    from generate_series(0, ${sizes.brands - 1}::int) b
  `.execute(db)
}

/** Runs of the D days ending yesterday in each brand's time zone, each with its kept manifest. */
async function seedExportRuns(db: Kysely<Database>, sizes: ConsoleSeedSizes): Promise<void> {
  const files = exportFiles.map((file, i) => ({ file_type: file.name, columns: Object.keys(file.row.shape), n: i + 1 }))
  const samplePath = manifestPath('BRAND', 'DATE')
  await sql`
    create temporary table bench_days on commit drop as
    select b.id as brand_id, b.timezone, (now() at time zone b.timezone)::date - d as date, d,
      (abs(hashtext(b.id || d::text)) % 40) as fate
    from brands b, generate_series(1, ${sizes.days}::int) d
  `.execute(db)
  // fate: 0-1 failed twice, 2-3 late, 4 missing, else on time; the first brand's yesterday is running.
  await sql`
    create temporary table bench_runs on commit drop as
    select gen_random_uuid() as id, brand_id, timezone, date, status, started_at,
      case when status = 'running' then null else started_at + make_interval(secs => 40 + fate * 7) end as ended_at,
      case when status = 'failed' then 'upload to gs://flex-exports/' || brand_id || ' failed: 503 Service Unavailable (after 5 retries)' end as error,
      1000 + abs(hashtext(brand_id || date::text)) % 200000 as rows
    from (
      select dd.*, r.status,
        ((dd.date + 1 + r.at) at time zone dd.timezone) + make_interval(secs => fate) as started_at
      from bench_days dd
      cross join lateral (values
        ('failed', time '02:00', dd.fate < 4),
        ('failed', time '02:06', dd.fate < 2),
        ('succeeded', time '05:10', dd.fate between 2 and 3),
        ('running', time '02:00', dd.fate > 4 and dd.d = 1 and dd.brand_id = 'brand-000'),
        ('succeeded', time '02:00', dd.fate > 4 and not (dd.d = 1 and dd.brand_id = 'brand-000'))
      ) r(status, at, wanted)
      where r.wanted
    ) s
  `.execute(db)
  await sql`
    insert into export_runs (id, brand_id, date, status, trigger, destination, files, rows, bytes, started_at, ended_at, error, manifest_path, manifest)
    select r.id, r.brand_id, r.date, r.status, 'schedule', 'gs://flex-exports',
      case when r.status = 'succeeded' then ${files.length}::int else 0 end,
      case when r.status = 'succeeded' then r.rows else 0 end,
      case when r.status = 'succeeded' then r.rows * 61 else 0 end,
      r.started_at, r.ended_at, r.error,
      case when r.status = 'succeeded' then replace(replace(${samplePath}::text, 'BRAND', r.brand_id), 'DATE', r.date::text) end,
      case when r.status = 'succeeded' then jsonb_build_object(
        'schema_version', 1, 'brand_id', r.brand_id, 'date', r.date, 'timezone', r.timezone,
        'window', jsonb_build_object(
          'start', to_char(r.date::timestamp at time zone r.timezone at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
          'end', to_char((r.date + 1)::timestamp at time zone r.timezone at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
        'run_id', r.id, 'generated_at', to_char(r.ended_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'gzip', false,
        'files', (
          select jsonb_agg(jsonb_build_object(
            'file_type', f.file_type,
            'path', r.brand_id || '/' || f.file_type || '/dt=' || r.date || '/' || f.file_type || '.csv',
            'rows', r.rows / f.n, 'bytes', r.rows / f.n * 61,
            'sha256', md5(r.id::text || f.file_type) || md5(f.file_type || r.id::text),
            'columns', f.columns, 'quarantined_rows', 0) order by f.n)
          from jsonb_to_recordset(${JSON.stringify(files)}::jsonb) f(file_type text, columns jsonb, n int)
        ),
        'quarantine', '[]'::jsonb) end
    from bench_runs r
  `.execute(db)
}

/** Each webhook subscribes to one top-level group of the catalogue (ORDER_EVENTS, CUSTOMER, …). */
function eventGroups(): string[][] {
  const groups = Map.groupBy(
    eventCatalogue.filter((definition) => definition.type.includes('.')),
    (definition) => definition.type.split('.')[0] as string,
  )
  return [...groups.values()].map((definitions) => definitions.map((definition) => definition.type))
}

async function seedWebhooks(db: Kysely<Database>, sizes: ConsoleSeedSizes): Promise<void> {
  const groups = eventGroups()
  const prefixes = groups.map((types) => (types[0] as string).split('.')[0] as string)
  await sql`
    insert into webhooks (id, brand_id, endpoint, event_types, enabled, signing_secret, disabled_reason, failing_since, headers, created_at)
    select gen_random_uuid(), b.id, 'https://hooks.' || b.id || '.example/flex/' || k,
      array[(${prefixes}::text[])[1 + k % ${prefixes.length}::int]],
      not disabled,
      'whsec_' || encode(decode(md5(b.id || k) || md5(k || b.id), 'hex'), 'base64'),
      case when disabled then 'The endpoint failed every attempt for 5 days (last: 503 Service Unavailable); enable it once it answers again.' end,
      case when failing then now() - interval '2 hours' end,
      '{"X-Shared-Secret":"bench"}'::jsonb, now() - ${sizes.days}::int * interval '1 day'
    from (select id, right(id, 3)::int as n from brands) b
    cross join generate_series(0, ${sizes.webhooksPerBrand - 1}::int) k
    cross join lateral (select
      k = ${sizes.webhooksPerBrand - 1}::int and b.n % 10 = 0 and k > 0 as disabled,
      k = ${sizes.webhooksPerBrand - 2}::int and b.n % 7 = 0 and k > 0 as failing) s
  `.execute(db)
  await sql`
    create temporary table bench_hooks on commit drop as
    select w.id, w.brand_id, w.endpoint, right(w.brand_id, 3)::int as b,
      (regexp_match(w.endpoint, '([0-9]+)$'))[1]::int as k
    from webhooks w
  `.execute(db)
  await sql`create unique index on bench_hooks (b, k)`.execute(db)
  await sql`
    create temporary table bench_types on commit drop as
    select g - 1 as g, t - 1 as t, type, count(*) over (partition by g) as n
    from jsonb_array_elements(${JSON.stringify(groups)}::jsonb) with ordinality as gs(types, g)
    cross join lateral jsonb_array_elements_text(gs.types) with ordinality as ts(type, t)
  `.execute(db)
  await sql`create unique index on bench_types (g, t)`.execute(db)
  await sql`create temporary table bench_groups on commit drop as select distinct g, n from bench_types`.execute(db)
}

async function planEvents(db: Kysely<Database>, sizes: ConsoleSeedSizes): Promise<void> {
  const { brands, days, events, webhooksPerBrand } = sizes
  const groupCount = eventGroups().length
  // One row per event: its webhook, time, id (UUIDv7 of its time, as the outbox makes them),
  // type, and how many attempts it had and how they ended.
  await sql`
    create temporary table bench_events on commit drop as
    select e.i, h.id as webhook_id, h.brand_id, h.endpoint, e.at, t.type,
      (lpad(to_hex(floor(extract(epoch from e.at) * 1000)::bigint), 12, '0') || '7' || substr(e.h, 1, 3) || '8' || substr(e.h, 4, 15))::uuid as event_id,
      o.attempts, o.succeeded, o.next_attempt_at
    from (
      select i, md5(i::text) as h, random() as u, random() as type_draw,
        case when random() < 0.7 then now() - random() * interval '24 hours'
             else now() - interval '24 hours' - random() * ${days - 1}::int * interval '1 day' end as at,
        i % ${brands}::int as b,
        case when ${webhooksPerBrand}::int = 1 or random() < 0.5 then 0
             else 1 + floor(random() * ${webhooksPerBrand - 1}::int)::int end as k
      from generate_series(0, ${events - 1}::int) i
    ) e
    join bench_hooks h on h.b = e.b and h.k = e.k
    join bench_groups g on g.g = e.k % ${groupCount}::int
    join bench_types t on t.g = g.g and t.t = floor(e.type_draw * g.n)::int
    cross join lateral (select
      case when e.at > now() - interval '2 minutes' and e.u < 0.3 then 0
           when e.u < 0.88 then 1 when e.u < 0.93 then 2 when e.u < 0.98 then 3
           when e.at < now() - interval '1 day' then 8 else 1 + floor(e.u * 1000)::int % 4 end as attempts,
      e.u < 0.98 and not (e.at > now() - interval '2 minutes' and e.u < 0.3) as succeeded) a
    cross join lateral (select a.attempts, a.succeeded,
      case when a.attempts = 0 then e.at
           when not a.succeeded and a.attempts < 8 then now() + interval '10 minutes' * a.attempts end as next_attempt_at) o
  `.execute(db)
}

async function seedMessages(db: Kysely<Database>): Promise<void> {
  await sql`
    insert into webhook_messages (event_id, brand_id, event_type, entity_type, entity_id, occurred_at, body)
    select event_id, brand_id, type, 'published_events', 'EV-' || i, at,
      '{"type":"' || type || '","timestamp":"' || to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
      '","data":{"orderId":"ORD-' || i || '","customerId":"C-' || (i % 50000) || '","status":"shipped","items":[{"sku":"SKU-' || (i % 977) ||
      '","quantity":1}],"carrier":"DHL","trackingNumber":"00340434' || lpad(i::text, 10, '0') || '"}}'
    from bench_events
    order by at
  `.execute(db)
}

async function seedDeliveries(db: Kysely<Database>): Promise<void> {
  await sql`
    insert into webhook_deliveries (webhook_id, event_id, brand_id, event_type, occurred_at, attempts, first_attempt_at, last_attempt_at, succeeded_at, next_attempt_at, created_at, updated_at)
    select webhook_id, event_id, brand_id, type, at, attempts,
      case when attempts > 0 then at + interval '40 milliseconds' end,
      case when attempts > 0 then at + interval '40 milliseconds' + (attempts - 1) * interval '5 minutes' end,
      case when succeeded then at + interval '120 milliseconds' + (attempts - 1) * interval '5 minutes' end,
      next_attempt_at, at + interval '20 milliseconds',
      at + interval '150 milliseconds' + greatest(attempts - 1, 0) * interval '5 minutes'
    from bench_events
    order by at
  `.execute(db)
}

async function seedAttempts(db: Kysely<Database>): Promise<void> {
  await sql`
    insert into webhook_attempts (id, webhook_id, event_id, started_at, succeeded, request, response, error, duration_ms)
    select gen_random_uuid(), e.webhook_id, e.event_id, e.at + interval '40 milliseconds' + (j - 1) * interval '5 minutes',
      ok,
      jsonb_build_object('endpoint', e.endpoint, 'headers', jsonb_build_object(
        'content-type', 'application/json', 'user-agent', ${userAgent}::text, 'webhook-id', e.event_id::text,
        'webhook-timestamp', floor(extract(epoch from e.at))::bigint::text, 'webhook-signature', 'v1,***',
        'x-event-id', e.event_id::text, 'x-webhook-version', ${webhookVersion}::text, 'x-shared-secret', '***')),
      case when ok then '{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"ok","bodyTruncated":false}'::jsonb
           when j % 2 = 0 then '{"statusCode":503,"headers":{"content-type":"text/html","retry-after":"60"},"body":"<html><body>Service Unavailable</body></html>","bodyTruncated":false}'::jsonb end,
      case when not ok and j % 2 = 1 then '{"kind":"timeout","message":"no response within 10 s"}'::jsonb end,
      case when ok then 30 + (e.i % 200) when j % 2 = 1 then 10000 else 80 + (e.i % 50) end
    from bench_events e
    cross join lateral generate_series(1, e.attempts) j
    cross join lateral (select e.succeeded and j = e.attempts as ok) s
    order by 4 -- started_at: attempts are written as they happen
  `.execute(db)
}

async function seedWaitingReferences(db: Kysely<Database>, sizes: ConsoleSeedSizes): Promise<void> {
  await sql`
    insert into waiting_references (brand_id, source_type, source_id, field, target_type, target_id, waiting_since)
    select b.id, case when r % 5 = 0 then 'customer_events' else 'transactions' end, 'T-' || r, 'customer_id', 'customers',
      'C-missing-' || r, now() - (r * ${sizes.days}::int * interval '1 day') / 50
    from brands b cross join generate_series(1, 50) r
  `.execute(db)
}

/**
 * Where the ingestion log's tables exist (ingestion_counts, ingestion_rejections): the week of
 * hourly counts per brand, entity type and outcome that the table keeps, and a full rejection log (1,000 per brand), its
 * records' errors worded as the engine words them.
 */
async function seedIngestionActivity(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ counts: boolean; rejections: boolean }>`
    select to_regclass('ingestion_counts') is not null as counts,
      to_regclass('ingestion_rejections') is not null as rejections
  `.execute(db)
  const tables = rows[0]
  if (tables?.counts) {
    await sql`
      insert into ingestion_counts (brand_id, hour, entity_type, outcome, records)
      select b.id, date_trunc('hour', now()) - h * interval '1 hour', e, o, 1 + abs(hashtext(b.id || h || e || o)) % 5000
      from brands b, generate_series(0, ${7 * 24 - 1}::int) h,
        unnest(array['customers', 'transactions', 'products', 'customer_events']) e,
        unnest(array['created', 'updated', 'unchanged', 'stale', 'rejected']) o
    `.execute(db)
  }
  if (tables?.rejections) {
    await sql`
      insert into ingestion_rejections (brand_id, slot, seq, entity_type, record_id, source, errors, error_count, rejected_at)
      select b.id, n % 1000, n, (array['customers', 'transactions', 'products'])[1 + n % 3], 'R-' || n,
        case when n % 4 = 0 then 'file' else 'api' end,
        jsonb_build_array(jsonb_build_object('field', 'email', 'rule', 'format', 'message', 'email must be an email address, got "not-an-email-' || n || '"')),
        1, now() - (1000 - n) * interval '1 minute'
      from brands b, generate_series(1, 1000) n
    `.execute(db)
  }
}

async function countRows(db: Kysely<Database>): Promise<ConsoleSeedCounts> {
  const tables = [
    'brands',
    'export_runs',
    'webhooks',
    'webhook_messages',
    'webhook_deliveries',
    'webhook_attempts',
    'waiting_references',
  ] as const
  const counts: Partial<ConsoleSeedCounts> = {}
  for (const table of tables) {
    const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)
    counts[table] = Number(rows[0]?.n ?? 0)
  }
  return counts as ConsoleSeedCounts
}
