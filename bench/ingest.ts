// Ingestion benchmark, same-run ratios (issue 4):
//   file:    N customers (CSV) and N transactions (NDJSON), half of the transactions arriving before
//            their customer, through `ingestFile`, against PostgreSQL's COPY FROM of the same customer
//            CSV and a flat transactions CSV into unlogged staging tables plus one
//            INSERT ... SELECT ... ON CONFLICT merge each;
//   api:     POST batches of 1,000 customers to the HTTP API from a local client (4 in flight);
//   resolve: ingesting N customers that each resolve a waiting transaction, against N customers
//            that resolve nothing.
// The last line is one JSON object.
//
//   npm run bench:ingest -- [--rows N] [--repeat R]
//     N defaults to 1,000,000 (about 6 minutes; --rows 100000 for a quick look); R rounds of the file
//     comparison alternate with the baseline, each into brands of their own, and the median round's
//     ratio is reported (default 1).

import { createReadStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { upsertBrand } from '../src/brands/brand-repository.ts'
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { entities } from '../src/ingest/entities/index.ts'
import { ingestFile } from '../src/ingest/ingest-file.ts'
import { ingestRecords } from '../src/ingest/ingest-records.ts'
import { measureApiIngest } from './measure-api-ingest.ts'

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, repeat: { type: 'string', default: '1' } },
})
const rows = Number(values.rows)
if (!Number.isInteger(rows) || rows < 1000) throw new Error(`--rows must be an integer >= 1000, got ${values.rows}`)
const repeat = Number(values.repeat)
if (!Number.isInteger(repeat) || repeat < 1)
  throw new Error(`--repeat must be a positive integer, got ${values.repeat}`)
const at = '2026-11-21T09:00:00Z'
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const benchUrl = Object.assign(new URL(serverUrl), { pathname: '/flex_bench_ingest' }).toString()
const folder = await mkdtemp(path.join(tmpdir(), 'flex-bench-ingest-'))

const handle = await freshDatabase()
try {
  const files = await writeFiles()
  console.log(`file ingest: ${rows} customers + ${rows} transactions, ${repeat} round(s) alternating with the baseline`)
  // Each round loads into brands of its own; the median round's ratio is reported.
  const rounds: { file: number; copy: number }[] = []
  for (let r = 1; r <= repeat; r++) {
    for (const id of [`file-${r}`, `copy-${r}`]) await upsertBrand(handle.db, { id, timezone: 'UTC' })
    const file = await timed(async () => {
      await ingestInto(`file-${r}`, entities.transactions, files.transactionsEarly)
      await ingestInto(`file-${r}`, entities.customers, files.customers)
      await ingestInto(`file-${r}`, entities.transactions, files.transactionsLate)
    })
    const copy = await timed(() => copyAndMerge(files, `copy-${r}`))
    console.log(`  round ${r}: ingestFile ${round(file)} s; COPY + merge ${round(copy)} s; ratio ${round(copy / file)}`)
    rounds.push({ file, copy })
  }
  rounds.sort((a, b) => a.copy / a.file - b.copy / b.file)
  const { file: fileSeconds, copy: copySeconds } = rounds[Math.floor(rounds.length / 2)] as (typeof rounds)[number]

  console.log('api: batches of 1,000 customers, 4 in flight')
  const api = await measureApiIngest(handle, { brandId: 'api', records: rows, at })
  console.log(`  ${api.recordsPerSecond} records/s, p99 ${api.p99} ms`)

  console.log('resolve: customers that resolve waiting transactions vs customers that resolve none')
  const resolve = await resolveRun()
  console.log(`  plain ${round(resolve.plain)} s, resolving ${round(resolve.resolving)} s`)

  const summary = {
    rows,
    file_rounds: repeat,
    file_seconds: round(fileSeconds),
    copy_merge_seconds: round(copySeconds),
    file_ratio_to_copy: round(copySeconds / fileSeconds),
    api_records_per_s: api.recordsPerSecond,
    api_p99_ms: api.p99,
    resolve_overhead: round(resolve.resolving / resolve.plain - 1),
    node: process.version,
  }
  console.log(JSON.stringify(summary))
} finally {
  await handle.close()
  await rm(folder, { recursive: true, force: true })
}

async function freshDatabase(): Promise<DatabaseHandle> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query('drop database if exists flex_bench_ingest with (force)')
  await admin.query('create database flex_bench_ingest')
  await admin.end()
  const database = await openDatabase({ url: benchUrl })
  await migrateToLatest(database.db)
  for (const id of ['api', 'plain', 'resolving']) await upsertBrand(database.db, { id, timezone: 'UTC' })
  return database
}

async function writeFiles() {
  const customerLines = ['id,email,first_name,last_name,email_consent,updated_at']
  for (let i = 0; i < rows; i++) customerLines.push(`C-${i},c${i}@example.com,Zoë,"Smith, Jr.",true,${at}`)
  const transaction = (i: number) =>
    JSON.stringify({
      id: `T-${i}`,
      customer_id: `C-${i}`,
      occurred_at: at,
      status: 'completed',
      currency: 'EUR',
      total_amount: '9.99',
      items: [{ sku: `S-${i % 1000}`, quantity: 1, unit_price: '9.99', amount: '9.99' }],
      updated_at: at,
    })
  const half = Math.floor(rows / 2)
  const early = Array.from({ length: half }, (_, i) => transaction(i)).join('\n')
  const late = Array.from({ length: rows - half }, (_, i) => transaction(half + i)).join('\n')
  const flat = ['id,customer_id,occurred_at,status,currency,total_amount']
  for (let i = 0; i < rows; i++) flat.push(`T-${i},C-${i},${at},completed,EUR,9.99`)
  const files = {
    customers: path.join(folder, 'customers.csv'),
    transactionsEarly: path.join(folder, 'transactions-early.ndjson'),
    transactionsLate: path.join(folder, 'transactions-late.ndjson'),
    transactionsFlat: path.join(folder, 'transactions.csv'),
  }
  await writeFile(files.customers, `${customerLines.join('\n')}\n`)
  await writeFile(files.transactionsEarly, `${early}\n`)
  await writeFile(files.transactionsLate, `${late}\n`)
  await writeFile(files.transactionsFlat, `${flat.join('\n')}\n`)
  return files
}

async function ingestInto(
  brandId: string,
  entity: (typeof entities)[keyof typeof entities],
  file: string,
): Promise<void> {
  const summary = await ingestFile({ db: handle.db, brandId, entity, path: file, rejectsPath: `${file}.rejects` })
  if (summary.rejected > 0) throw new Error(`${summary.rejected} lines of ${file} were rejected`)
}

/** The baseline: COPY into unlogged staging tables, then one merge per entity. */
async function copyAndMerge(files: Awaited<ReturnType<typeof writeFiles>>, brandId: string): Promise<void> {
  const client = await handle.pool.connect()
  try {
    await client.query('drop table if exists staging_customers, staging_transactions')
    await client.query(`create unlogged table staging_customers (id text, email text, first_name text, last_name text,
      email_consent boolean, updated_at timestamptz)`)
    await client.query(`create unlogged table staging_transactions (id text, customer_id text, occurred_at timestamptz,
      status text, currency text, total_amount numeric)`)
    await pipeline(
      createReadStream(files.customers),
      client.query(copyFrom('copy staging_customers from stdin with (format csv, header)')),
    )
    await pipeline(
      createReadStream(files.transactionsFlat),
      client.query(copyFrom('copy staging_transactions from stdin with (format csv, header)')),
    )
    await client.query(
      `insert into customers (brand_id, id, email, first_name, last_name, email_consent, source_updated_at)
      select $1, id, email, first_name, last_name, email_consent, updated_at from staging_customers
      on conflict (brand_id, id) do update set email = excluded.email, first_name = excluded.first_name,
        last_name = excluded.last_name, email_consent = excluded.email_consent, source_updated_at = excluded.source_updated_at`,
      [brandId],
    )
    await client.query(
      `insert into transactions (brand_id, id, customer_id, occurred_at, status, currency, total_amount, source_updated_at)
      select $1, id, customer_id, occurred_at, status, currency, total_amount, occurred_at from staging_transactions
      on conflict (brand_id, id) do update set customer_id = excluded.customer_id, status = excluded.status,
        total_amount = excluded.total_amount`,
      [brandId],
    )
  } finally {
    client.release()
  }
}

async function resolveRun(): Promise<{ plain: number; resolving: number }> {
  const n = rows
  const customers = (brand: string) =>
    Array.from({ length: n }, (_, i) => ({ id: `R-${i}`, email: `r${i}@example.com`, updated_at: at, _brand: brand }))
  // Waiting transactions for the resolving brand only.
  for (let i = 0; i < n; i += 1000) {
    await ingestRecords(
      handle.db,
      'resolving',
      entities.transactions,
      Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        id: `RT-${i + j}`,
        customer_id: `R-${i + j}`,
        occurred_at: at,
        status: 'completed',
        currency: 'EUR',
        total_amount: '1.00',
        items: [],
        updated_at: at,
      })),
    )
  }
  const load = async (brand: string) =>
    timed(async () => {
      const all = customers(brand).map(({ _brand, ...c }) => c)
      for (let i = 0; i < n; i += 1000)
        await ingestRecords(handle.db, brand, entities.customers, all.slice(i, i + 1000))
    })
  const plain = await load('plain')
  const resolving = await load('resolving')
  const waiting = await sql<{
    n: string
  }>`select count(*) as n from waiting_references where brand_id = 'resolving'`.execute(handle.db)
  if (Number(waiting.rows[0]?.n) !== 0) throw new Error('references were left waiting')
  return { plain, resolving }
}

/**
 * Times one phase. A CHECKPOINT first (untimed, as pgbench does before a run) writes out what
 * earlier phases left dirty, so no phase pays for another's background writes.
 */
async function timed(work: () => Promise<unknown>): Promise<number> {
  await sql`checkpoint`.execute(handle.db)
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
