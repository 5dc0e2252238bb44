import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { expect, inject, it } from 'vitest'
import { multiSessionSkipReason } from '../support/test-database.ts'

// `npm run bench:console` at tiny sizes, so the benchmark keeps working as the console grows: its
// seed, a `flex serve` child process, the sign-ins, every URL of its table that is served, and the
// JSON last line. The figures of so small a run mean nothing; only that they are there.

const bench = fileURLToPath(new URL('../../bench/console.ts', import.meta.url))

it('seeds a tiny database, measures the served pages and endpoints, ends with one JSON line, and drops its database', async (context) => {
  const server = inject('testDatabaseServer')
  const reason = multiSessionSkipReason(server.kind)
  if (reason) context.skip(reason)
  const database = `flex_test_bench_${randomBytes(6).toString('hex')}`
  const args = ['--events', '2000', '--brands', '3', '--days', '3', '--requests', '3', '--warmup', '1']
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--max-semi-space-size=16', bench, ...args, '--database', database],
      { env: { PATH: process.env.PATH, DATABASE_URL: server.url }, timeout: 110_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  const lines = run.stdout.trim().split('\n')
  const summary = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>
  for (const figure of ['pages_p95_ms', 'api_p95_ms', 'metrics_ms', 'baseline_p95_ms']) {
    expect(summary[figure], figure).toBeTypeOf('number')
    expect(summary[figure] as number, figure).toBeGreaterThan(0)
  }
  for (const ratio of ['pages_ratio_to_baseline', 'api_ratio_to_baseline', 'metrics_ratio_to_baseline']) {
    expect(summary[ratio], ratio).toBeTypeOf('number')
  }
  expect(summary).toMatchObject({
    brands: 3,
    days: 3,
    events: 2000,
    rows_webhook_messages: 2000,
    rows_webhook_deliveries: 2000,
    requests: 3,
  })
  expect(summary.rows_webhook_attempts as number).toBeGreaterThan(2000)
  expect(summary.rows_export_runs as number).toBeGreaterThan(0)
  // The pages and endpoints that exist on main are measured, not skipped.
  const urls = summary.urls as Record<string, { kind: string; p50: number; p95: number }>
  for (const name of [
    'overview, every brand',
    'overview of a brand',
    'exports calendar',
    'export day',
    'export run progress',
    'ingestion',
    'ingestion, older transactions rejections',
    'webhooks',
    'delivery log',
    'delivery log, deep page',
    'delivery log, failures of 24 h',
    'attempt view',
    'bulk retry confirm, 24 h',
    'exports days',
    'export run',
    'webhooks list',
    'events list',
    'events list, deep page',
    'event detail',
    'events list, failures of 24 h',
    'webhooks health',
    'webhooks activity',
    'failed deliveries count',
    'waiting references',
    'ingestion summary',
    'ingestion rejections, older transactions',
  ]) {
    expect(urls[name]?.p95, name).toBeGreaterThan(0)
  }
  expect(summary.skipped).toBeInstanceOf(Array)
  expect(lines.slice(0, -1).join('\n')).toMatch(/^seeding 3 brands, 3 days of export runs, 2000 webhook events/)

  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  try {
    const left = await admin.query('select 1 from pg_database where datname = $1', [database])
    expect(left.rowCount, 'the benchmark drops its database').toBe(0)
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  }
}, 120_000)
