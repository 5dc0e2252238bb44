// Export benchmark: seeds N campaign_customers rows for one brand-day, then times
//   1. PostgreSQL's own COPY (the same query) TO STDOUT WITH CSV into a file (the baseline), and
//   2. the real export of that day (cursor -> zod -> CSV -> file, all five file types),
// in the same run, and prints the ratio. With --gzip both sides compress: the baseline pipes
// COPY through `gzip -1`. The last line is one JSON object.
//
//   npm run bench:export -- [--rows N] [--gzip] [--repeat R]
//
// Needs DATABASE_URL (a server; default postgres://postgres@127.0.0.1:5432/postgres). It creates
// the database flex_bench there, with one brand per --rows value, and reuses seeded brands.

import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { pino } from 'pino'
import { upsertBrand } from '../src/brands/brand-repository.ts'
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { dayWindow } from '../src/exports/day-window.ts'
import { exportDay } from '../src/exports/export-day.ts'
import { campaignCustomers } from '../src/exports/files/campaign-customers.ts'
import { LocalFolder } from '../src/storage/local-folder.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    gzip: { type: 'boolean', default: false },
    chunk: { type: 'string' },
    repeat: { type: 'string', default: '3' },
  },
})
const rows = Number(values.rows)
if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer, got ${values.rows}`)
const gzip = values.gzip
const repeat = Number(values.repeat)
if (!Number.isInteger(repeat) || repeat < 1)
  throw new Error(`--repeat must be a positive integer, got ${values.repeat}`)
// One brand per size, so runs with different --rows reuse their own seeded data.
const brand = { id: `bench-${rows}`, timezone: 'Europe/Berlin' }
const date = '2026-11-21'
const window = dayWindow(date, brand.timezone)

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const benchUrl = Object.assign(new URL(serverUrl), { pathname: '/flex_bench' }).toString()

const handle = await prepareDatabase()
const folder = await mkdtemp(path.join(tmpdir(), 'flex-bench-'))
try {
  // Export and COPY alternate, so both see the same state of this noisy machine; medians count.
  const exportRuns: number[] = []
  const copyRuns: number[] = []
  let bytes = 0
  let copyBytes = 0
  let exportPeakRss = 0
  for (let run = 1; run <= repeat; run++) {
    const started = performance.now()
    const result = await exportDay({
      database: handle,
      destination: new LocalFolder(path.join(folder, 'export')),
      brand,
      date,
      gzip,
      log: pino({ level: 'warn' }),
      ...(values.chunk === undefined ? {} : { chunkRows: Number(values.chunk) }),
    })
    exportRuns.push((performance.now() - started) / 1000)
    if (result.rows !== rows) throw new Error(`exported ${result.rows} rows, expected ${rows}`)
    bytes = result.bytes
    // Peak RSS of the export alone: read before the first COPY baseline runs in this process.
    if (run === 1) exportPeakRss = process.resourceUsage().maxRSS / 1024
    const copy = await copyBaseline(path.join(folder, 'copy.csv'))
    copyRuns.push(copy.seconds)
    copyBytes = copy.bytes
    console.log(
      `run ${run}/${repeat}: export ${round(exportRuns[run - 1] as number)} s, COPY${gzip ? ' | gzip -1' : ''} ${round(copy.seconds)} s`,
    )
  }
  const seconds = median(exportRuns)
  const copySeconds = median(copyRuns)
  const summary = {
    rows,
    gzip,
    repeat,
    seconds: round(seconds),
    copy_seconds: round(copySeconds),
    ratio_to_copy: round(copySeconds / seconds),
    rows_per_s: Math.round(rows / seconds),
    mb_per_s: round(bytes / 1e6 / seconds),
    bytes,
    copy_bytes: copyBytes,
    peak_rss_mb: Math.round(exportPeakRss),
    // Including the COPY baselines and later repeats, which ran in the same process.
    process_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    export_runs: exportRuns.map(round),
    copy_runs: copyRuns.map(round),
    node: process.version,
    node_flags: process.execArgv.join(' '),
  }
  console.log(
    `export: ${summary.seconds} s (median), ${summary.rows_per_s} rows/s, ${summary.mb_per_s} MB/s, peak RSS ${summary.peak_rss_mb} MB`,
  )
  console.log(
    `COPY:   ${summary.copy_seconds} s (median); export throughput / COPY throughput = ${summary.ratio_to_copy}`,
  )
  console.log(JSON.stringify(summary))
} finally {
  await rm(folder, { recursive: true, force: true })
  await handle.close()
}

async function prepareDatabase(): Promise<DatabaseHandle> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  const exists = await admin.query('select 1 from pg_database where datname = $1', ['flex_bench'])
  if (exists.rowCount === 0) await admin.query('create database flex_bench')
  await admin.end()

  const database = await openDatabase({ url: benchUrl })
  await migrateToLatest(database.db)
  await upsertBrand(database.db, brand)
  const { count } = await database.db
    .selectFrom('campaign_messages')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('brand_id', '=', brand.id)
    .executeTakeFirstOrThrow()
  if (Number(count) === rows) return database

  console.log(`seeding ${rows} rows into flex_bench as brand ${brand.id} (reused by later runs with the same --rows)`)
  await sql`delete from campaign_messages where brand_id = ${brand.id}`.execute(database.db)
  await sql`delete from campaigns where brand_id = ${brand.id}`.execute(database.db)
  const campaigns = 50
  await sql`
    insert into campaigns (brand_id, id, name, channel, status, created_at, updated_at)
    select ${brand.id}, 'campaign-' || lpad(c::text, 3, '0'), 'Bench campaign ' || c, 'email', 'running',
           ${window.start}::timestamptz - interval '10 days', ${window.start}::timestamptz - interval '10 days'
    from generate_series(1, ${campaigns}::int) c`.execute(database.db)
  const batch = 1_000_000
  for (let from = 0; from < rows; from += batch) {
    const to = Math.min(rows, from + batch)
    // Realistic mix: every message sent, most delivered, some opened, clicked and converted.
    await sql`
      insert into campaign_messages (brand_id, campaign_id, customer_id, channel, status, sent_at, delivered_at,
        opened_at, clicked_at, converted_at, attributed_revenue, currency, created_at, updated_at)
      select ${brand.id}, 'campaign-' || lpad((g % ${campaigns}::int + 1)::text, 3, '0'), 'customer-' || lpad(g::text, 9, '0'),
             'email',
             case when g % 50 = 0 then 'converted' when g % 10 = 0 then 'clicked' when g % 3 = 0 then 'opened'
                  else 'delivered' end,
             t, t + interval '3 seconds',
             case when g % 3 = 0 or g % 10 = 0 then t + interval '2 hours' end,
             case when g % 10 = 0 then t + interval '2 hours 5 minutes' end,
             case when g % 50 = 0 then t + interval '1 day' end,
             case when g % 50 = 0 then round((g % 20000) / 100.0, 2) end,
             case when g % 50 = 0 then 'EUR' end,
             t, t + interval '3 seconds'
      from (select g, ${window.start}::timestamptz + (g % 86000) * interval '1 second' + (g % 997) * interval '1 millisecond' as t
            from generate_series(${from + 1}::int, ${to}::int) g) s`.execute(database.db)
    console.log(`  ${to} rows`)
  }
  await sql`analyze campaign_messages`.execute(database.db)
  return database
}

async function copyBaseline(file: string): Promise<{ seconds: number; bytes: number }> {
  const client = new pg.Client({ connectionString: benchUrl })
  await client.connect()
  try {
    // COPY takes no bind parameters: inline the (constant, trusted) values of this benchmark.
    const compiled = campaignCustomers.query(handle.db, brand.id, window).compile()
    const query = compiled.sql.replace(/\$(\d+)/g, (_, n: string) => {
      const value = compiled.parameters[Number(n) - 1]
      return client.escapeLiteral(value instanceof Date ? value.toISOString() : String(value))
    })
    await client.query(`set timezone = 'UTC'`)
    const started = performance.now()
    const source = client.query(copyTo(`copy (${query}) to stdout with (format csv, header)`))
    if (gzip) {
      const child = spawn('gzip', ['-1'], { stdio: ['pipe', 'pipe', 'inherit'] })
      const exited = new Promise<void>((resolve, reject) =>
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gzip exited ${code}`)))),
      )
      await Promise.all([pipeline(source, child.stdin), pipeline(child.stdout, createWriteStream(file)), exited])
    } else {
      await pipeline(source, createWriteStream(file))
    }
    return { seconds: (performance.now() - started) / 1000, bytes: (await stat(file)).size }
  } finally {
    await client.end()
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
