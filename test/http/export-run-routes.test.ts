import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { isValidDate } from '../../src/calendar/calendar-date.ts'
import { localDate, yesterday } from '../../src/calendar/time-zone.ts'
import { ExportRunStarter } from '../../src/exports/export-run-starter.ts'
import {
  abandonedAfterMs,
  abandonedRunError,
  exportLockClass,
  exportLockKey,
  startRun,
} from '../../src/exports/export-runs.ts'
import { exportFiles } from '../../src/exports/files/index.ts'
import { manifestPath } from '../../src/exports/layout.ts'
import { readManifest } from '../../src/exports/manifest.ts'
import { buildApp } from '../../src/http/app.ts'
import { exportDaysResponse, exportRunResponse } from '../../src/http/response-schemas.ts'
import type { LocalFolder } from '../../src/storage/local-folder.ts'
import { expectError, expectMatches } from '../support/documented-answers.ts'
import { gatedDestination } from '../support/export-run-fixtures.ts'
import { addBrand, addCampaign, addMessage, silentLog, tempFolder } from '../support/fixtures.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'

// POST /v1/{brandId}/exports/days/{date}/runs and GET /v1/{brandId}/exports/runs/{runId} against a
// real PostgreSQL and a real local folder: the run is exportDay itself, started in the background
// by the same ExportRunStarter flex serve builds.

const database = useTestDatabase()
const runsPath = '/v1/{brandId}/exports/days/{date}/runs'
const runPath = '/v1/{brandId}/exports/runs/{runId}'
let app: FastifyInstance
let starter: ExportRunStarter
let folder: LocalFolder
let keyA: string
let keyB: string
let operatorKey: string
let gate: ReturnType<typeof gatedDestination>

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  operatorKey = (await createApiKey(db, { operator: true })).key
  // Two campaigns and a message on 2026-11-20, Berlin time.
  for (const id of ['C-1', 'C-2'])
    await addCampaign(db, { brand_id: 'brand-a', id, updated_at: '2026-11-20T10:00:00Z' })
  await addMessage(db, {
    brand_id: 'brand-a',
    campaign_id: 'C-1',
    customer_id: 'K-1',
    updated_at: '2026-11-20T11:00:00Z',
  })
  folder = await tempFolder()
  gate = gatedDestination(folder)
  starter = new ExportRunStarter({ database: database.current.handle, destination: gate.destination, log: silentLog })
  app = buildApp({
    database: database.current.handle,
    rateLimit: { requests: 100_000, windowMs: 60_000 },
    exportStarter: starter,
  })
  await app.ready()
})

afterAll(async () => {
  gate?.open()
  await app?.close()
  await starter?.close()
})

const request = (method: 'GET' | 'POST', url: string, key = keyA) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${key}` } })

async function waitForEnd(url: string, key = keyA) {
  const deadline = Date.now() + 20_000
  for (;;) {
    const answer = await request('GET', url, key)
    expect(answer.statusCode, answer.body).toBe(200)
    const run = expectMatches(exportRunResponse, answer)
    if (run.status !== 'running') return run
    if (Date.now() > deadline) throw new Error(`run still running: ${answer.body}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('POST /v1/{brandId}/exports/days/{date}/runs', () => {
  it('starts the export in the background, answers 202 with the run, and the run ends with the day complete', async () => {
    const answer = await request('POST', '/v1/brand-a/exports/days/2026-11-20/runs')
    expect(answer.statusCode, answer.body).toBe(202)
    const started = expectMatches(exportRunResponse, answer)
    expect(started).toMatchObject({ brand_id: 'brand-a', date: '2026-11-20', status: 'running', trigger: 'manual' })
    expect(started.progress.files_total).toBe(exportFiles.length)
    expect(answer.headers.location).toBe(`/v1/brand-a/exports/runs/${started.id}`)

    const ended = await waitForEnd(String(answer.headers.location))
    const manifest = await readManifest(folder, 'brand-a', '2026-11-20')
    expect(manifest?.run_id).toBe(started.id)
    const rows = manifest?.files.reduce((total, file) => total + file.rows, 0)
    expect(rows).toBe(3) // two campaigns, one message
    expect(ended).toMatchObject({
      status: 'succeeded',
      error: null,
      progress: { files_total: exportFiles.length, files_written: exportFiles.length, rows_written: rows },
      result: {
        files: exportFiles.length,
        rows,
        quarantined_rows: 0,
        manifest_path: manifestPath('brand-a', '2026-11-20'),
      },
    })
    // The day's runs list it, as the console's calendar reads them.
    const days = exportDaysResponse.parse(
      (await request('GET', '/v1/brand-a/exports/days?from=2026-11-20&to=2026-11-20')).json(),
    )
    expect(days.days[0]?.runs.map((run) => [run.id, run.status, run.trigger, run.rows])).toEqual([
      [started.id, 'succeeded', 'manual', 3],
    ])
    expect(days.days[0]?.manifest?.path).toBe(manifestPath('brand-a', '2026-11-20'))
  })

  it('refuses a second run of a brand-day with 409 naming the run under way, and takes one once it has ended', async () => {
    gate.close()
    const first = await request('POST', '/v1/brand-a/exports/days/2026-11-19/runs')
    expect(first.statusCode, first.body).toBe(202)
    const { id } = exportRunResponse.parse(first.json())
    const second = await request('POST', '/v1/brand-a/exports/days/2026-11-19/runs', operatorKey)
    expect(expectError(second, 409, runsPath, 'post').description).toContain(id)
    // While it waits, its row says running, with nothing written yet.
    expect(expectMatches(exportRunResponse, await request('GET', `/v1/brand-a/exports/runs/${id}`))).toMatchObject({
      status: 'running',
      ended_at: null,
      progress: { files_written: 0, rows_written: 0 },
      result: null,
    })
    gate.open()
    expect((await waitForEnd(`/v1/brand-a/exports/runs/${id}`)).status).toBe('succeeded')
    const third = await request('POST', '/v1/brand-a/exports/days/2026-11-19/runs')
    expect(third.statusCode, third.body).toBe(202)
    expect((await waitForEnd(String(third.headers.location))).status).toBe('succeeded')
  })

  it("refuses with 409 a brand-day that another process is exporting (it holds the day's lock)", async (context) => {
    const reason = multiSessionSkipReason(database.current.kind)
    if (reason) context.skip(reason)
    const { db, pool } = database.current.handle
    const otherId = randomUUID()
    await startRun(db, {
      id: otherId,
      brandId: 'brand-a',
      date: '2026-11-18',
      trigger: 'schedule',
      destination: 'elsewhere',
      at: new Date(Date.now() - 10 * abandonedAfterMs),
    })
    const other = await pool.connect()
    try {
      await other.query('select pg_advisory_lock(hashtext($1), hashtext($2))', [
        exportLockClass,
        exportLockKey('brand-a', '2026-11-18'),
      ])
      const answer = await request('POST', '/v1/brand-a/exports/days/2026-11-18/runs')
      expect(expectError(answer, 409, runsPath, 'post').description).toContain(otherId)
      // Its progress is old, but its process is alive: it stays running.
      const run = expectMatches(exportRunResponse, await request('GET', `/v1/brand-a/exports/runs/${otherId}`))
      expect(run.status).toBe('running')
    } finally {
      await other.query('select pg_advisory_unlock_all()')
      other.release()
    }
  })

  it("refuses a day that is not a date, before 1970, or not over yet in the brand's timezone with 422 naming date", async () => {
    const today = localDate(new Date(), 'Europe/Berlin')
    for (const date of ['2026-02-30', 'yesterday', '1969-12-31', today, '2999-01-01', '2026-11-20x']) {
      const answer = await request('POST', `/v1/brand-a/exports/days/${encodeURIComponent(date)}/runs`)
      const error = expectError(answer, 422, runsPath, 'post')
      expect(Object.keys(error.validations ?? {}), date).toEqual(['date'])
    }
    // Yesterday is over: it is the scheduler's day, and may be exported again.
    const answer = await request('POST', `/v1/brand-a/exports/days/${yesterday('Europe/Berlin')}/runs`)
    expect(answer.statusCode, answer.body).toBe(202)
    expect((await waitForEnd(String(answer.headers.location))).status).toBe('succeeded')
  })

  it("refuses another brand's key, and a brand no operator key can find", async () => {
    expectError(await request('POST', '/v1/brand-a/exports/days/2026-11-20/runs', keyB), 403, runsPath, 'post')
    expectError(await request('POST', '/v1/nobody/exports/days/2026-11-20/runs', operatorKey), 404, runsPath, 'post')
    expect((await app.inject({ method: 'POST', url: '/v1/brand-a/exports/days/2026-11-20/runs' })).statusCode).toBe(401)
  })

  it('answers 503 from an app built without an export starter', async () => {
    const bare = buildApp({ database: database.current.handle })
    try {
      const answer = await bare.inject({
        method: 'POST',
        url: '/v1/brand-b/exports/days/2026-11-20/runs',
        headers: { authorization: `Bearer ${keyB}` },
      })
      expectError(answer, 503, runsPath, 'post')
    } finally {
      await bare.close()
    }
  })

  it('answers any day in the path with 202, 409 or an error in the APIErrorResponse shape, never a server error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (date) => {
        const answer = await request('POST', `/v1/brand-b/exports/days/${encodeURIComponent(date)}/runs`, keyB)
        if (isValidDate(date) && date >= '1970-01-01' && date <= yesterday('UTC')) {
          expect([202, 409], answer.body).toContain(answer.statusCode)
        } else {
          expect([404, 422], answer.body).toContain(answer.statusCode)
          expectError(answer, answer.statusCode, runsPath, 'post')
        }
      }),
      { numRuns: 200 },
    )
    await starter.close()
  })
})

describe('GET /v1/{brandId}/exports/runs/{runId}', () => {
  it('marks a run whose process died failed (abandoned) once it has been silent past the grace, ended when last seen', async () => {
    const { db } = database.current.handle
    const id = randomUUID()
    const lastSeen = new Date(Date.now() - abandonedAfterMs - 5_000)
    await startRun(db, {
      id,
      brandId: 'brand-a',
      date: '2026-10-01',
      trigger: 'schedule',
      destination: 'x',
      at: lastSeen,
    })
    const fresh = randomUUID()
    await startRun(db, {
      id: fresh,
      brandId: 'brand-a',
      date: '2026-10-02',
      trigger: 'schedule',
      destination: 'x',
      at: new Date(),
    })
    const run = expectMatches(exportRunResponse, await request('GET', `/v1/brand-a/exports/runs/${id}`))
    expect(run).toMatchObject({ status: 'failed', error: abandonedRunError, ended_at: lastSeen.toISOString() })
    // One that reported within the grace may be between its row and its lock: still running.
    expect(expectMatches(exportRunResponse, await request('GET', `/v1/brand-a/exports/runs/${fresh}`)).status).toBe(
      'running',
    )
    const days = exportDaysResponse.parse(
      (await request('GET', '/v1/brand-a/exports/days?from=2026-10-01&to=2026-10-01')).json(),
    )
    expect(days.days[0]?.status).toBe('failed')
  })

  it("answers 404 for an unknown run, a malformed id and another brand's run, and 403 for another brand's key", async () => {
    const answer = await request('POST', '/v1/brand-b/exports/days/2026-11-01/runs', keyB)
    expect(answer.statusCode, answer.body).toBe(202)
    const { id } = exportRunResponse.parse(answer.json())
    await waitForEnd(`/v1/brand-b/exports/runs/${id}`, keyB)
    expectError(await request('GET', `/v1/brand-a/exports/runs/${id}`), 404, runPath, 'get')
    expectError(await request('GET', `/v1/brand-a/exports/runs/${randomUUID()}`), 404, runPath, 'get')
    expectError(await request('GET', '/v1/brand-a/exports/runs/not-a-run'), 404, runPath, 'get')
    expectError(await request('GET', `/v1/brand-b/exports/runs/${id}`), 403, runPath, 'get')
    const upper = await request('GET', `/v1/brand-b/exports/runs/${id.toUpperCase()}`, keyB)
    expect(expectMatches(exportRunResponse, upper).id).toBe(id)
  })

  it('answers any id that names no run of the brand with a documented 404, never a server error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 60 }), fc.uuid()), async (runId) => {
        const answer = await request('GET', `/v1/brand-a/exports/runs/${encodeURIComponent(runId)}`)
        expectError(answer, 404, runPath, 'get')
      }),
      { numRuns: 200 },
    )
  })
})
