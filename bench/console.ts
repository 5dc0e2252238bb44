// Console benchmark (issue 10 "Numbers"): how fast every console page and the JSON endpoint behind
// it answers on a database the size the issue names, and GET /metrics.
//
//   1. Creates a scratch database on the server of DATABASE_URL (default
//      postgres://postgres@127.0.0.1:5432/postgres), migrates it, and seeds it with set-based SQL
//      (bench/console-seed.ts): B brands, D days of export runs each, N webhook events with their
//      deliveries and attempts over W webhooks per brand, waiting references; then VACUUM ANALYZE,
//      as autovacuum would have done on a production database of that size.
//   2. Starts `flex serve` as a child process, as an operator runs it (its own process and event
//      loop, its own connection pool, LOG_LEVEL info), with FLEX_METRICS_TOKEN set; signs in to the
//      console with a brand key and an operator key (POST /console/sign-in) and keeps the cookies.
//   3. Requests every URL of bench/console-targets.ts one at a time over a kept-alive connection:
//      first once to check it answers 200 (404: skipped, reported), then warm-up rounds, then R
//      measured rounds, each round visiting every URL (starting one further each round, so that
//      no URL always follows the same one). Times are from sending the request to the last byte.
//   4. Prints p50/p95 per URL and, last, one JSON line: pages_p95_ms (the slowest page's p95),
//      api_p95_ms (the slowest endpoint's), metrics_ms (p95 of the scrapes), the baseline
//      (GET /healthz, which asks the database `select 1`) and each figure's ratio to it, as this
//      machine's speed varies from run to run. Issue 10's targets: p95 < 200 ms, metrics < 50 ms.
//   The database is dropped at the end unless --keep is given (to EXPLAIN what was slow).
//
//   npm run bench:console -- [--brands B] [--days D] [--events N] [--webhooks W] [--requests R]
//                            [--warmup K] [--database NAME] [--keep]
//     B 100, D 30, N 1,000,000, W 4, R 50, K 5; NAME flex_bench_console. About 4 minutes at the
//     defaults on the 2-core development machine (most of it seeding); --events 100000 for a quick look.

import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { type RawBuilder, sql } from 'kysely'
import pg from 'pg'
import { Client } from 'undici'
import { createApiKey } from '../src/apikeys/api-key-repository.ts'
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { type FlexServer, startFlexServer } from '../test/support/flex-process.ts'
import { brandIdOf, seedConsoleData } from './console-seed.ts'
import { type BenchSample, type BenchTarget, benchTargets, type TargetCaller } from './console-targets.ts'

const { values } = parseArgs({
  options: {
    brands: { type: 'string', default: '100' },
    days: { type: 'string', default: '30' },
    events: { type: 'string', default: '1000000' },
    webhooks: { type: 'string', default: '4' },
    requests: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
    database: { type: 'string', default: 'flex_bench_console' },
    keep: { type: 'boolean', default: false },
  },
})
const sizes = {
  brands: wholeNumber('--brands', values.brands, 1, 1000),
  days: wholeNumber('--days', values.days, 2, 92),
  events: wholeNumber('--events', values.events, 100),
  webhooksPerBrand: wholeNumber('--webhooks', values.webhooks, 1, 50),
}
const requests = wholeNumber('--requests', values.requests, 1)
const warmup = wholeNumber('--warmup', values.warmup, 0)
const databaseName = values.database
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseName))
  throw new Error(`--database must be a plain lower-case PostgreSQL name, got ${databaseName}`)
const targets = { pageP95Ms: 200, apiP95Ms: 200, metricsMs: 50 }
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const benchUrl = Object.assign(new URL(serverUrl), { pathname: `/${databaseName}` }).toString()
const metricsToken = randomBytes(24).toString('base64url')

const handle = await freshDatabase()
let server: FlexServer | undefined
let client: Client | undefined
try {
  console.log(
    `seeding ${sizes.brands} brands, ${sizes.days} days of export runs, ${sizes.events} webhook events ` +
      `over ${sizes.webhooksPerBrand} webhooks per brand into ${databaseName}`,
  )
  const seedStarted = performance.now()
  const counts = await seedConsoleData(handle.db, sizes, (step, seconds) =>
    console.log(`  ${step}: ${round(seconds)} s`),
  )
  const seedSeconds = (performance.now() - seedStarted) / 1000
  const analyzeStarted = performance.now()
  await sql`vacuum analyze`.execute(handle.db)
  const analyzeSeconds = (performance.now() - analyzeStarted) / 1000
  console.log(
    `  ${Object.entries(counts)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ')}; ${round(seedSeconds)} s, vacuum analyze ${round(analyzeSeconds)} s`,
  )

  const brand = brandIdOf(0)
  const newKey = async (caller: 'brand' | 'operator') =>
    (await createApiKey(handle.db, caller === 'brand' ? brand : { operator: true })).key
  const keys = { brand: await newKey('brand'), operator: await newKey('operator') }
  const sample = await sampleOf(brand)

  server = await startFlexServer({ env: { DATABASE_URL: benchUrl, FLEX_METRICS_TOKEN: metricsToken } })
  client = new Client(server.url, { pipelining: 1 })
  const headers: Record<TargetCaller, Record<string, string>> = {
    none: {},
    metrics: { authorization: `Bearer ${metricsToken}` },
    brand: {},
    operator: {},
  }
  const sessions = { brand: await signIn(client, keys.brand), operator: await signIn(client, keys.operator) }
  // Each endpoint is asked with a key of its own, so that the API's rate limit per key (3,000
  // requests a minute) never answers 429 however many rounds are asked for.
  const headersFor = async (target: BenchTarget): Promise<Record<string, string>> => {
    if (target.as === 'brand' || target.as === 'operator') {
      return target.kind === 'page'
        ? { cookie: sessions[target.as] }
        : { authorization: `Bearer ${await newKey(target.as)}` }
    }
    return headers[target.as]
  }

  const measured: Measured[] = []
  const skipped: string[] = []
  for (const target of benchTargets) {
    const path = target.path(sample)
    const targetHeaders = await headersFor(target)
    const first = await timedGet(client, path, targetHeaders)
    if (first.status === 404) {
      skipped.push(target.name)
      continue
    }
    if (first.status !== 200) {
      throw new Error(`${target.name}: GET ${path} answered ${first.status}: ${first.body.slice(0, 500)}`)
    }
    measured.push({ target, path, headers: targetHeaders, ms: [], bytes: first.body.length })
  }
  console.log(
    `server: flex serve (child process) at ${server.url}; ${measured.length} URLs, ${warmup} warm-up and ` +
      `${requests} measured rounds, one request at a time` +
      (skipped.length === 0 ? '' : `; not served yet (404), skipped: ${skipped.join(', ')}`),
  )
  for (let r = 0; r < warmup + requests; r++) {
    for (let i = 0; i < measured.length; i++) {
      const m = measured[(i + r) % measured.length] as Measured
      const answer = await timedGet(client, m.path, m.headers)
      if (answer.status !== 200) throw new Error(`${m.target.name}: GET ${m.path} answered ${answer.status}`)
      if (r >= warmup) m.ms.push(answer.ms)
    }
  }

  const rows = measured.map((m) => ({ ...m, ...figures(m.ms) }))
  const width = Math.max(...rows.map((row) => row.target.name.length))
  console.log(`${'url'.padEnd(width)}  kind      p50 ms   p95 ms   max ms   bytes`)
  for (const row of rows) {
    console.log(
      `${row.target.name.padEnd(width)}  ${row.target.kind.padEnd(8)} ${fixed(row.p50)} ${fixed(row.p95)} ${fixed(row.max)}   ${row.bytes}  ${row.path}`,
    )
  }
  const baseline = rows.find((row) => row.target.kind === 'baseline')
  const metrics = rows.find((row) => row.target.kind === 'metrics')
  if (!baseline || !metrics) throw new Error('GET /healthz and GET /metrics must both answer 200')
  const slowest = (kind: string) =>
    rows.filter((row) => row.target.kind === kind).sort((a, b) => b.p95 - a.p95)[0] ?? undefined
  const page = slowest('page')
  const api = slowest('api')
  const ratio = (value: number | undefined) => (value === undefined ? null : round(value / baseline.p95))
  const summary = {
    ...sizes,
    ...Object.fromEntries(Object.entries(counts).map(([table, n]) => [`rows_${table}`, n])),
    seed_seconds: round(seedSeconds),
    analyze_seconds: round(analyzeSeconds),
    requests,
    warmup,
    pages_p95_ms: page?.p95 ?? null,
    slowest_page: page?.target.name ?? null,
    api_p95_ms: api?.p95 ?? null,
    slowest_api: api?.target.name ?? null,
    metrics_ms: metrics.p95,
    metrics_p50_ms: metrics.p50,
    baseline_p95_ms: baseline.p95,
    baseline_p50_ms: baseline.p50,
    pages_ratio_to_baseline: ratio(page?.p95),
    api_ratio_to_baseline: ratio(api?.p95),
    metrics_ratio_to_baseline: ratio(metrics.p95),
    within_targets: {
      pages: page === undefined ? null : page.p95 < targets.pageP95Ms,
      api: api === undefined ? null : api.p95 < targets.apiP95Ms,
      metrics: metrics.p95 < targets.metricsMs,
    },
    urls: Object.fromEntries(
      rows.map((row) => [row.target.name, { kind: row.target.kind, p50: row.p50, p95: row.p95 }]),
    ),
    skipped,
    server: 'flex serve, child process',
    node: process.version,
  }
  const problems = serverProblems(server.stderr())
  if (problems.length > 0) console.log(`flex serve logged errors:\n  ${problems.join('\n  ')}`)
  console.log(JSON.stringify(summary))
} finally {
  await client?.close()
  await server?.stop()
  await handle.close()
  if (!values.keep) await dropDatabase()
  else console.error(`kept the database: ${benchUrl}`)
}

interface Measured {
  target: BenchTarget
  path: string
  headers: Record<string, string>
  ms: number[]
  bytes: number
}

/** One GET, timed from sending it to the last byte of the answer. */
async function timedGet(
  http: Client,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now()
  const answer = await http.request({ method: 'GET', path, headers })
  const body = await answer.body.text()
  return { status: answer.statusCode, body, ms: performance.now() - started }
}

/** POST /console/sign-in as the form does; answers the session cookie (name=value). */
async function signIn(http: Client, key: string): Promise<string> {
  const answer = await http.request({
    method: 'POST',
    path: '/console/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key }).toString(),
  })
  const body = await answer.body.text()
  const setCookie = answer.headers['set-cookie']
  const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0]
  if (answer.statusCode !== 303 || !cookie) {
    throw new Error(`POST /console/sign-in answered ${answer.statusCode} without a session: ${body.slice(0, 300)}`)
  }
  return cookie
}

/** The ids the URLs need, read from the seeded data (see BenchSample). */
async function sampleOf(brand: string): Promise<BenchSample> {
  const one = async <T>(query: RawBuilder<T>, what: string): Promise<T> => {
    const row = (await query.execute(handle.db)).rows[0]
    if (row === undefined) throw new Error(`the seeded data has no ${what}`)
    return row
  }
  const { webhook_id: webhook } = await one(
    sql<{ webhook_id: string }>`
      select webhook_id from webhook_deliveries where brand_id = ${brand}
      group by webhook_id order by count(*) desc limit 1`,
    `delivery of ${brand}`,
  )
  // The page that starts 20 events before the oldest: as deep as the log goes.
  const { event_id: deepStartId } = await one(
    sql<{ event_id: string }>`
      select event_id from webhook_deliveries where webhook_id = ${webhook}
      order by event_id offset 20 limit 1`,
    'webhook with more than 20 deliveries (give more --events)',
  )
  const { event_id: failedEvent, attempt } = await one(
    sql<{ event_id: string; attempt: string }>`
      select d.event_id, (select id from webhook_attempts a where a.webhook_id = d.webhook_id
        and a.event_id = d.event_id order by started_at desc limit 1) as attempt
      from webhook_deliveries d
      where d.webhook_id = ${webhook}
      order by d.succeeded_at is null desc, d.attempts desc, d.event_id desc limit 1`,
    `delivery of ${brand}`,
  )
  const { date: exportDay } = await one(
    sql<{ date: string }>`
      select date::text from export_runs where brand_id = ${brand}
      group by date order by count(*) desc, date desc limit 1`,
    `export run of ${brand}`,
  )
  const { id: exportRun } = await one(
    sql<{ id: string }>`select id from export_runs where brand_id = ${brand} order by started_at desc limit 1`,
    `export run of ${brand}`,
  )
  const now = new Date()
  return {
    brand,
    webhook,
    deepStartId,
    failedEvent,
    attempt,
    exportDay,
    exportRun,
    dayAgo: new Date(now.getTime() - 86_400_000).toISOString(),
    now: now.toISOString(),
    weekAgoStart: new Date(now.getTime() - 7 * 86_400_000).toISOString(),
    weekAgoEnd: new Date(now.getTime() - 7 * 86_400_000 + 3_600_000).toISOString(),
  }
}

/** The server's log lines at level error (50) and above. */
function serverProblems(stderr: string): string[] {
  return stderr.split('\n').filter((line) => {
    try {
      return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50
    } catch {
      return line.trim() !== ''
    }
  })
}

async function freshDatabase(): Promise<DatabaseHandle> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`drop database if exists ${databaseName} with (force)`)
    await admin.query(`create database ${databaseName}`)
  } finally {
    await admin.end()
  }
  const database = await openDatabase({ url: benchUrl })
  await migrateToLatest(database.db)
  return database
}

async function dropDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`drop database if exists ${databaseName} with (force)`)
  } finally {
    await admin.end()
  }
}

function figures(ms: readonly number[]): { p50: number; p95: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b)
  // Nearest rank, as bench/measure-metrics-scrape.ts reads its percentiles.
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0
  return { p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted.at(-1) ?? 0) }
}

function wholeNumber(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${value}`)
  return n
}

function fixed(ms: number): string {
  return ms.toFixed(1).padStart(8)
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
