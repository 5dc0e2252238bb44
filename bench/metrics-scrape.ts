// GET /metrics with 100 brands (issue 10: < 50 ms). Recreates a `flex_bench_metrics` database on
// the server of DATABASE_URL, seeds it in SQL (every brand with 30 days of export runs, some of
// them failed or late, and two webhooks; N webhook events of which 1% are pending; waiting
// references), ANALYZEs it as autovacuum would, starts the real app on a port with a metrics token
// and times the scrapes (measure-metrics-scrape.ts). The last line is one JSON object.
//
//   node bench/metrics-scrape.ts [--brands B] [--events N] [--pending P] [--waiting W] [--repeat R] [--reuse]
//     B = 100 brands, N = 1,000,000 events of which a fraction P = 0.01 is pending, W = 10,000
//     waiting references, R = 50 scrapes; --reuse times the database an earlier run left.

import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pg from 'pg'
import { openDatabase } from '../src/db/connect.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { buildApp } from '../src/http/app.ts'
import { measureMetricsScrape } from './measure-metrics-scrape.ts'

const { values } = parseArgs({
  options: {
    brands: { type: 'string', default: '100' },
    events: { type: 'string', default: '1000000' },
    pending: { type: 'string', default: '0.01' },
    waiting: { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '50' },
    reuse: { type: 'boolean', default: false },
  },
})
const brands = Number(values.brands)
const events = Number(values.events)
const pending = Number(values.pending)
const waiting = Number(values.waiting)
const repeat = Number(values.repeat)

const databaseName = 'flex_bench_metrics'
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const benchUrl = Object.assign(new URL(serverUrl), { pathname: `/${databaseName}` }).toString()

if (!values.reuse) {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${databaseName} with (force)`)
  await admin.query(`create database ${databaseName}`)
  await admin.end()
}

const database = await openDatabase({ url: benchUrl })
const { db } = database
const seedStarted = performance.now()
if (!values.reuse) await seed()
const seedSeconds = (performance.now() - seedStarted) / 1_000

const token = 'bench-metrics-token'
const app = buildApp({ database, metricsToken: token })
const url = await app.listen({ host: '127.0.0.1', port: 0 })
try {
  const times = await measureMetricsScrape(url, token, { repeat })
  const counts = await sql<{ brands: string; events: string; pending: string; waiting: string }>`
    select (select count(*) from brands) as brands, (select count(*) from webhook_messages) as events,
      (select count(*) from webhook_deliveries where next_attempt_at is not null) as pending,
      (select count(*) from waiting_references) as waiting
  `.execute(db)
  const seeded = Object.fromEntries(Object.entries(counts.rows[0] ?? {}).map(([k, v]) => [k, Number(v)]))
  if (!values.reuse) console.log(`seeded in ${seedSeconds.toFixed(1)} s`)
  console.log(
    `${seeded.brands} brands, ${seeded.events} events (${seeded.pending} pending), ${seeded.waiting} waiting references`,
  )
  console.log(`GET /metrics: median ${times.median_ms} ms, p95 ${times.p95_ms} ms, max ${times.max_ms} ms`)
  console.log(JSON.stringify({ ...seeded, metrics_ms: times.p95_ms, ...times }))
} finally {
  await app.close()
  await database.close()
}

async function seed(): Promise<void> {
  await migrateToLatest(db)
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Pacific/Auckland']
  await sql`
  insert into brands (id, name, timezone, created_at)
  select 'brand-' || i, 'Brand ' || i, (${zones}::text[])[1 + i % ${zones.length}], now() - interval '60 days'
  from generate_series(1, ${brands}) i
`.execute(db)
  // 30 days of runs per brand: a success each day; every 7th brand's yesterday failed, every 11th's late.
  await sql`
  insert into export_runs (id, brand_id, date, status, trigger, destination, rows, started_at, ended_at, error)
  select gen_random_uuid(), b.id, d.day,
    case when b.n % 7 = 0 and d.k = 1 then 'failed' else 'succeeded' end, 'schedule', '/exports', 1000,
    d.day + interval '1 day 2 hours' + case when b.n % 11 = 0 and d.k = 1 then interval '5 hours' else interval '0' end,
    d.day + interval '1 day 2 hours 5 minutes' + case when b.n % 11 = 0 and d.k = 1 then interval '5 hours' else interval '0' end,
    case when b.n % 7 = 0 and d.k = 1 then '503 Service Unavailable' end
  from (select id, substr(id, 7)::int as n from brands) b
  cross join lateral (select k, (current_date - k) as day from generate_series(1, 30) k) d
`.execute(db)
  await sql`
  insert into webhooks (id, brand_id, endpoint, event_types, signing_secret, enabled, failing_since)
  select gen_random_uuid(), b.id, 'https://hooks.example/' || b.id || '/' || k, array['RECEIPTS'],
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', k = 1 or substr(b.id, 7)::int % 13 <> 0,
    case when k = 2 and substr(b.id, 7)::int % 5 = 0 then now() - interval '2 hours' end
  from brands b cross join generate_series(1, 2) k
`.execute(db)
  await sql`
  insert into webhook_messages (event_id, brand_id, event_type, entity_type, entity_id, occurred_at)
  select gen_random_uuid(), 'brand-' || (1 + i % ${brands}), 'RECEIPTS', 'receipts', 'r-' || i,
    now() - (i % 86400) * interval '1 second'
  from generate_series(1, ${events}) i
`.execute(db)
  // One delivery per event to the brand's first webhook; 1% still pending (due or retrying).
  await sql`
  insert into webhook_deliveries (webhook_id, event_id, brand_id, event_type, occurred_at, attempts, first_attempt_at, succeeded_at, next_attempt_at, created_at)
  select w.id, m.event_id, m.brand_id, m.event_type, m.occurred_at, 1, m.occurred_at,
    case when pending then null else m.occurred_at end,
    case when pending then m.occurred_at + interval '5 minutes' end,
    m.occurred_at
  from (select *, random() < ${pending} as pending from webhook_messages) m
  join lateral (select id from webhooks where brand_id = m.brand_id order by endpoint limit 1) w on true
`.execute(db)
  await sql`
  insert into waiting_references (brand_id, source_type, source_id, field, target_type, target_id, waiting_since)
  select 'brand-' || (1 + i % ${brands}), 'transactions', 't-' || i, 'customer_id',
    (array['customers', 'products', 'outlets'])[1 + i % 3], 'c-' || i, now() - (i % 3600) * interval '1 second'
  from generate_series(1, ${waiting}) i
`.execute(db)
  await sql`vacuum analyze`.execute(db)
}
