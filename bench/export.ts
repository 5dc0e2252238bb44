// Export benchmark: seeds N campaign_customers rows for one brand-day, then times
//   1. PostgreSQL's own COPY (the same query) TO STDOUT WITH CSV into a file (the baseline), and
//   2. the real export of that day (cursor -> zod -> CSV -> file, all five file types),
// in the same run, and prints the ratio. With --gzip both sides compress: the baseline pipes
// COPY through `gzip -1`. The last line is one JSON object.
//
//   npm run bench:export -- [--rows N] [--gzip] [--repeat R] [--dest gs://BUCKET/PREFIX]
//
// With --dest each repeat first exports the same day into that bucket, through the real
// @google-cloud/storage client, on scripts/gcs-test-server.ts started as a child process (a free
// port, bytes hashed and dropped so its memory stays flat; STORAGE_EMULATOR_HOST points the client
// at it), and reports the GCS export against the local one (ratio_gcs_to_local, a throughput ratio).
// The server shares this machine's CPUs: it hashes every byte (CRC32C and MD5), which real GCS
// does elsewhere.
//
// Peak RSS is per phase: on Linux the process's high-water mark is reset before each export
// (/proc/self/clear_refs), so a phase's peak starts from the RSS it inherits (what earlier phases
// left on the heap) and does not include their peaks. Where that is not possible
// (peak_rss_per_phase false), each peak is the process's peak so far.
//
// Needs DATABASE_URL (a server; default postgres://postgres@127.0.0.1:5432/postgres). It creates
// the database flex_bench there, with one brand per --rows value, and reuses seeded brands.

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { pino } from 'pino'
import { upsertBrand } from '../src/brands/brand-repository.ts'
import { dayWindow } from '../src/calendar/day-window.ts'
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { exportDay } from '../src/exports/export-day.ts'
import { campaignCustomers } from '../src/exports/files/campaign-customers.ts'
import type { Destination } from '../src/storage/destination.ts'
import { GcsBucket } from '../src/storage/gcs-bucket.ts'
import { LocalFolder } from '../src/storage/local-folder.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    gzip: { type: 'boolean', default: false },
    chunk: { type: 'string' },
    repeat: { type: 'string', default: '3' },
    dest: { type: 'string' },
  },
})
const rows = Number(values.rows)
if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer, got ${values.rows}`)
const gzip = values.gzip
const repeat = Number(values.repeat)
if (!Number.isInteger(repeat) || repeat < 1)
  throw new Error(`--repeat must be a positive integer, got ${values.repeat}`)
const gcsDest = values.dest === undefined ? undefined : parseGcsDest(values.dest)
// One brand per size, so runs with different --rows reuse their own seeded data.
const brand = { id: `bench-${rows}`, timezone: 'Europe/Berlin' }
const date = '2026-11-21'
const window = dayWindow(date, brand.timezone)

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const benchUrl = Object.assign(new URL(serverUrl), { pathname: '/flex_bench' }).toString()

/** One timed export, with the peak RSS it reached. */
interface ExportRun {
  readonly seconds: number
  readonly bytes: number
  readonly peakRssMb: number
}

interface CopyRun {
  readonly seconds: number
  readonly bytes: number
}

const handle = await prepareDatabase()
const folder = await mkdtemp(path.join(tmpdir(), 'flex-bench-'))
const gcs = gcsDest && (await startGcs(gcsDest))
try {
  const meter = rssMeter()
  const gcsRuns: ExportRun[] = []
  const exportRuns: ExportRun[] = []
  const copyRuns: CopyRun[] = []
  // The exports and COPY alternate, so all see the same state of this noisy machine; medians count.
  for (let run = 1; run <= repeat; run++) {
    const gcsRun = gcs && (await meter.measure(() => exportInto(gcs.destination)))
    const exportRun = await meter.measure(() => exportInto(new LocalFolder(path.join(folder, 'export'))))
    const copyRun = await copyBaseline(path.join(folder, 'copy.csv'))
    if (gcsRun) gcsRuns.push(gcsRun)
    exportRuns.push(exportRun)
    copyRuns.push(copyRun)
    console.log(runLine(run, gcsRun, exportRun, copyRun))
  }
  const local = localSummary(exportRuns, copyRuns, meter)
  const remote = gcs && gcsSummary(gcsRuns, exportRuns, peakRssMbOf(gcs.server.pid))
  console.log(
    `export: ${local.seconds} s (median), ${local.rows_per_s} rows/s, ${local.mb_per_s} MB/s, peak RSS ${local.peak_rss_mb} MB`,
  )
  console.log(`COPY:   ${local.copy_seconds} s (median); export throughput / COPY throughput = ${local.ratio_to_copy}`)
  if (remote) {
    console.log(
      `GCS:    ${remote.gcs_seconds} s (median), ${remote.gcs_mb_per_s} MB/s, peak RSS ${remote.gcs_peak_rss_mb} MB; GCS throughput / local throughput = ${remote.ratio_gcs_to_local}`,
    )
  }
  console.log(JSON.stringify({ ...local, ...remote, node: process.version, node_flags: process.execArgv.join(' ') }))
} finally {
  await gcs?.stop()
  await rm(folder, { recursive: true, force: true })
  await handle.close()
}

/** The day, exported as `flex export` would, into one destination. */
async function exportInto(destination: Destination): Promise<{ bytes: number }> {
  const result = await exportDay({
    database: handle,
    destination,
    brand,
    date,
    gzip,
    log: pino({ level: 'warn' }),
    ...(values.chunk === undefined ? {} : { chunkRows: Number(values.chunk) }),
  })
  if (result.rows !== rows) throw new Error(`exported ${result.rows} rows, expected ${rows}`)
  return { bytes: result.bytes }
}

function runLine(run: number, gcsRun: ExportRun | undefined, exportRun: ExportRun, copyRun: CopyRun): string {
  const gcsPart = gcsRun ? `GCS export ${round(gcsRun.seconds)} s, ` : ''
  return `run ${run}/${repeat}: ${gcsPart}export ${round(exportRun.seconds)} s, COPY${gzip ? ' | gzip -1' : ''} ${round(copyRun.seconds)} s`
}

/** The fields of the local export against the COPY baseline. */
function localSummary(exportRuns: ExportRun[], copyRuns: CopyRun[], meter: RssMeter) {
  const seconds = median(exportRuns.map((r) => r.seconds))
  const copySeconds = median(copyRuns.map((r) => r.seconds))
  const bytes = exportRuns.at(-1)?.bytes ?? 0
  return {
    rows,
    gzip,
    repeat,
    seconds: round(seconds),
    copy_seconds: round(copySeconds),
    ratio_to_copy: round(copySeconds / seconds),
    rows_per_s: Math.round(rows / seconds),
    mb_per_s: round(bytes / 1e6 / seconds),
    bytes,
    copy_bytes: copyRuns.at(-1)?.bytes ?? 0,
    // The local export's peak over the repeats (see the top of this file); with --dest it starts
    // from what the GCS export before it left on the heap.
    peak_rss_mb: Math.round(Math.max(...exportRuns.map((r) => r.peakRssMb))),
    // Everything this process did: seeding, every export and COPY baseline.
    process_peak_rss_mb: Math.round(meter.processPeakMb()),
    peak_rss_per_phase: meter.perPhase,
    export_runs: exportRuns.map((r) => round(r.seconds)),
    copy_runs: copyRuns.map((r) => round(r.seconds)),
  }
}

/** The fields of the GCS export against the local one. */
function gcsSummary(gcsRuns: ExportRun[], exportRuns: ExportRun[], serverPeakRssMb: number | undefined) {
  const gcsSeconds = median(gcsRuns.map((r) => r.seconds))
  const localSeconds = median(exportRuns.map((r) => r.seconds))
  const bytes = gcsRuns.at(-1)?.bytes ?? 0
  return {
    dest: gcsDest?.url,
    gcs_seconds: round(gcsSeconds),
    local_seconds: round(localSeconds),
    // Throughput ratio, like ratio_to_copy: 0.5 means GCS exports at half the local speed.
    ratio_gcs_to_local: round(localSeconds / gcsSeconds),
    gcs_mb_per_s: round(bytes / 1e6 / gcsSeconds),
    gcs_bytes: bytes,
    // The GCS export's peak over the repeats; each repeat's GCS export runs before its local one.
    gcs_peak_rss_mb: Math.round(Math.max(...gcsRuns.map((r) => r.peakRssMb))),
    gcs_runs: gcsRuns.map((r) => round(r.seconds)),
    // The test server's own peak (bytes are not kept, so this stays flat whatever --rows is).
    gcs_server_peak_rss_mb: serverPeakRssMb === undefined ? null : Math.round(serverPeakRssMb),
  }
}

interface RssMeter {
  /** False where the peak cannot be reset: each phase's peak is then the process's peak so far. */
  readonly perPhase: boolean
  /** Runs one export and reads the peak RSS it reached. */
  measure(phase: () => Promise<{ bytes: number }>): Promise<ExportRun>
  processPeakMb(): number
}

/**
 * On Linux the process's high-water mark (which getrusage's maxRSS reports too) is reset before
 * each phase, so the process's own peak is kept here.
 */
function rssMeter(): RssMeter {
  let processPeakMb = maxRssMb()
  const meter: RssMeter = {
    perPhase: resetPeakRss(),
    async measure(phase) {
      processPeakMb = meter.processPeakMb()
      resetPeakRss()
      const started = performance.now()
      const { bytes } = await phase()
      const seconds = (performance.now() - started) / 1000
      return { seconds, bytes, peakRssMb: maxRssMb() }
    },
    processPeakMb: () => Math.max(processPeakMb, maxRssMb()),
  }
  return meter
}

function maxRssMb(): number {
  return process.resourceUsage().maxRSS / 1024
}

/** Resets the peak RSS to the current RSS (Linux only); false where that is not possible. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

/** Another process's peak RSS, from /proc (Linux only). */
function peakRssMbOf(pid: number | undefined): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) / 1024
  } catch {
    return undefined
  }
}

/** `gs://BUCKET/PREFIX`, checked before anything is seeded. */
function parseGcsDest(url: string): { url: string; bucket: string } {
  const bucket = /^gs:\/\/([^/]+)/.exec(url)?.[1]
  if (bucket === undefined) throw new Error(`--dest must be gs://BUCKET/PREFIX, got ${url}`)
  return { url, bucket }
}

/**
 * scripts/gcs-test-server.ts as a child process on a free port, with the bucket and without
 * keeping bytes, and the destination in it through STORAGE_EMULATOR_HOST, as `flex export` uses it.
 */
async function startGcs(dest: { url: string; bucket: string }): Promise<{
  server: ChildProcess
  destination: GcsBucket
  stop(): Promise<void>
}> {
  const script = fileURLToPath(new URL('../scripts/gcs-test-server.ts', import.meta.url))
  const server = spawn(process.execPath, [script, '--port', '0', '--bucket', dest.bucket, '--discard-data'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return
    const exited = once(server, 'exit')
    server.kill('SIGTERM')
    await exited
  }
  try {
    const line = await firstLine(server)
    const host = /^STORAGE_EMULATOR_HOST=(http:\/\/\S+)$/.exec(line)?.[1]
    if (host === undefined) throw new Error(`unexpected first line from the GCS test server: ${line}`)
    process.env.STORAGE_EMULATOR_HOST = host
    const destination = GcsBucket.fromUrl(dest.url)
    await destination.checkWritable()
    return { server, destination, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  if (!child.stdout) throw new Error('the child has no stdout pipe')
  const lines = createInterface({ input: child.stdout })
  return new Promise((resolve, reject) => {
    lines.once('line', resolve)
    child.once('error', reject)
    child.once('exit', (code, signal) =>
      reject(new Error(`the GCS test server exited (${signal ?? code}) before it was ready`)),
    )
  })
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
