import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { expect, inject, it } from 'vitest'
import { multiSessionSkipReason } from '../support/test-database.ts'

// `npm run bench:webhooks` at tiny sizes, so the benchmark keeps working as the code changes: its
// receiver and `flex deliver` child processes, every phase, and the JSON last line. The figures of
// so small a run mean nothing; only that they are there.

const bench = fileURLToPath(new URL('../../bench/webhooks.ts', import.meta.url))

it('runs every phase at tiny sizes and ends with one JSON line holding every figure issue 9 names', async (context) => {
  const server = inject('testDatabaseServer')
  const reason = multiSessionSkipReason(server.kind)
  if (reason) context.skip(reason)
  const database = `flex_test_bench_${randomBytes(6).toString('hex')}`
  const args = ['--events', '40', '--rate', '40', '--seconds', '1', '--ingest-rows', '4000', '--database', database]
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--max-semi-space-size=16', bench, ...args],
      { env: { PATH: process.env.PATH, DATABASE_URL: server.url }, timeout: 110_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  const lines = run.stdout.trim().split('\n')
  const summary = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>
  for (const figure of [
    'deliveries_per_s',
    'ratio_to_plain_http',
    'first_attempt_p99_ms',
    'ingest_ratio_with_webhooks',
    'isolation_ratio',
    'worker_peak_rss_mb',
  ]) {
    expect(summary[figure], figure).toBeTypeOf('number')
    expect(summary[figure] as number, figure).toBeGreaterThan(0)
  }
  expect(summary).toMatchObject({ events: 40, webhooks: 10, duplicates: 0, latency_events: 40 })
  expect(lines.slice(0, -1).join('\n')).toMatch(/^throughput: 40 events/)

  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  try {
    await admin.query(`drop database if exists ${database} with (force)`)
  } finally {
    await admin.end()
  }
}, 120_000)
