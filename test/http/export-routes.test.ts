import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { apiErrorResponseSchema, exportDaysResponse } from '../../src/http/response-schemas.ts'
import { seededSha256, seedRun } from '../support/export-run-fixtures.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// GET /v1/{brandId}/exports/days against a real PostgreSQL, with runs seeded through the run
// history's own functions and the app's clock fixed. Europe/Berlin moved to summer time on
// 2026-03-29 at 02:00 local, so the deadline of 2026-03-28 (04:00 local on the 29th) is 02:00 UTC,
// not 03:00 as "local midnight + 4 h" would make it.

const database = useTestDatabase()
let app: FastifyInstance
let keyA: string
let keyB: string
// Berlin 03:30 on 2026-03-30: the deadline of 2026-03-29 (04:00) has not passed yet.
let now = new Date('2026-03-30T01:30:00Z')

const ids: Record<string, string> = {}

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  keyA = (await createApiKey(db, 'brand-a')).key
  keyB = (await createApiKey(db, 'brand-b')).key
  app = buildApp({
    database: database.current.handle,
    rateLimit: { requests: 100_000, windowMs: 60_000 },
    now: () => now,
  })
  await app.ready()
  // 03-20: on time (03:59 local, CET), and a later manual re-run that does not make it late.
  ids.onTime = await seedRun(db, 'brand-a', '2026-03-20', {
    start: '2026-03-21T01:00:00Z',
    end: '2026-03-21T02:59:00Z',
  })
  ids.rerun = await seedRun(db, 'brand-a', '2026-03-20', {
    trigger: 'manual',
    start: '2026-03-23T10:00:00Z',
    end: '2026-03-23T10:01:00Z',
    rows: 7,
  })
  // 03-21: ended at 04:00 local exactly: late.
  ids.late = await seedRun(db, 'brand-a', '2026-03-21', { start: '2026-03-22T01:00:00Z', end: '2026-03-22T03:00:00Z' })
  // 03-22: failed twice.
  await seedRun(db, 'brand-a', '2026-03-22', { start: '2026-03-23T01:00:00Z', end: '2026-03-23T01:01:00Z', error: 'a' })
  ids.failed = await seedRun(db, 'brand-a', '2026-03-22', {
    start: '2026-03-23T01:05:00Z',
    end: '2026-03-23T01:06:00Z',
    error: 'bucket gone',
  })
  // 03-23: failed, then a run still under way: started 30 s before the app's clock, within the
  // minute a run may go without a sign of life (an older one, whose process holds no lock, would be
  // answered failed as abandoned: export-run-routes.test.ts).
  await seedRun(db, 'brand-a', '2026-03-23', { start: '2026-03-24T01:00:00Z', end: '2026-03-24T01:01:00Z', error: 'x' })
  ids.running = await seedRun(db, 'brand-a', '2026-03-23', { start: '2026-03-30T01:29:30Z' })
  // 03-24: failed, then succeeded before the deadline.
  await seedRun(db, 'brand-a', '2026-03-24', { start: '2026-03-25T01:00:00Z', end: '2026-03-25T01:01:00Z', error: 'y' })
  await seedRun(db, 'brand-a', '2026-03-24', { start: '2026-03-25T01:05:00Z', end: '2026-03-25T01:06:00Z' })
  // 03-28: ended 02:30 UTC on the 29th, 04:30 summer time: late on the brand's wall clock.
  await seedRun(db, 'brand-a', '2026-03-28', { start: '2026-03-29T02:00:00Z', end: '2026-03-29T02:30:00Z' })
  // Another brand's runs on the same days stay its own.
  await seedRun(db, 'brand-b', '2026-03-25', { start: '2026-03-26T01:00:00Z', end: '2026-03-26T01:01:00Z' })
  await seedRun(db, 'brand-b', '2026-03-29', { start: '2026-03-30T01:00:00Z', end: '2026-03-30T01:01:00Z', error: 'z' })
})

afterAll(async () => {
  await app?.close()
})

const get = (url: string, key = keyA) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })

async function days(url: string, key = keyA) {
  const answer = await get(url, key)
  expect(answer.statusCode, answer.body).toBe(200)
  return exportDaysResponse.parse(answer.json())
}

function expectInvalid(answer: { statusCode: number; json(): unknown; body: string }, field: string) {
  expect(answer.statusCode, answer.body).toBe(422)
  const body = apiErrorResponseSchema.parse(answer.json())
  expect(Object.keys(body.validations ?? {})).toContain(field)
}

describe('GET /v1/{brandId}/exports/days', () => {
  it("answers each day's status against its 04:00 brand-local deadline, with its runs oldest first", async () => {
    const answer = await days('/v1/brand-a/exports/days?from=2026-03-20&to=2026-03-29')
    expect(answer).toMatchObject({ brand_id: 'brand-a', timezone: 'Europe/Berlin', deadline: '04:00' })
    expect(answer.days.map((d) => [d.date, d.status])).toEqual([
      ['2026-03-20', 'complete_on_time'],
      ['2026-03-21', 'late'],
      ['2026-03-22', 'failed'],
      ['2026-03-23', 'running'],
      ['2026-03-24', 'complete_on_time'],
      ['2026-03-25', 'missing'],
      ['2026-03-26', 'missing'],
      ['2026-03-27', 'missing'],
      ['2026-03-28', 'late'],
      ['2026-03-29', 'pending'],
    ])
    const [rerunDay, , failedDay, runningDay] = answer.days
    expect(rerunDay?.runs.map((r) => [r.id, r.trigger, r.status, r.rows])).toEqual([
      [ids.onTime, 'schedule', 'succeeded', 3],
      [ids.rerun, 'manual', 'succeeded', 7],
    ])
    // The manifest is the latest successful run's: what the destination holds now.
    expect(rerunDay?.manifest).toEqual({
      path: 'brand-a/_manifests/dt=2026-03-20.json',
      files: [
        {
          file_type: 'campaigns',
          path: 'brand-a/campaigns/dt=2026-03-20/campaigns.csv.gz',
          rows: 7,
          bytes: 107,
          sha256: seededSha256,
        },
      ],
    })
    expect(failedDay?.manifest).toBeNull()
    expect(failedDay?.runs.at(-1)).toMatchObject({
      id: ids.failed,
      status: 'failed',
      rows: null,
      error: 'bucket gone',
      ended_at: '2026-03-23T01:06:00.000Z',
    })
    expect(runningDay?.runs.at(-1)).toMatchObject({ id: ids.running, status: 'running', ended_at: null })
  })

  it('turns a day without runs from pending to missing when its deadline passes on the brand-local clock', async () => {
    now = new Date('2026-03-30T01:59:59Z')
    expect((await days('/v1/brand-a/exports/days?from=2026-03-29&to=2026-03-29')).days[0]?.status).toBe('pending')
    now = new Date('2026-03-30T02:00:00Z')
    expect((await days('/v1/brand-a/exports/days?from=2026-03-29&to=2026-03-29')).days[0]?.status).toBe('missing')
    now = new Date('2026-03-30T01:30:00Z')
  })

  it("defaults to the 30 days ending yesterday in the brand's own timezone", async () => {
    now = new Date('2026-03-29T23:30:00Z') // already the 30th in Berlin, still the 29th in UTC
    try {
      const berlin = await days('/v1/brand-a/exports/days')
      expect([berlin.from, berlin.to, berlin.days.length]).toEqual(['2026-02-28', '2026-03-29', 30])
      const utc = await days('/v1/brand-b/exports/days', keyB)
      expect([utc.from, utc.to, utc.days.length]).toEqual(['2026-02-27', '2026-03-28', 30])
      expect((await days('/v1/brand-a/exports/days?to=2026-03-10')).from).toBe('2026-02-09')
    } finally {
      now = new Date('2026-03-30T01:30:00Z')
    }
  })

  it("shows only the brand's own runs, and refuses another brand's key", async () => {
    const b = await days('/v1/brand-b/exports/days?from=2026-03-20&to=2026-03-29', keyB)
    expect(b.days.filter((d) => d.runs.length > 0).map((d) => [d.date, d.status])).toEqual([
      ['2026-03-25', 'complete_on_time'],
      ['2026-03-29', 'failed'],
    ])
    const a = await days('/v1/brand-a/exports/days?from=2026-03-25&to=2026-03-25')
    expect(a.days[0]?.runs).toEqual([])
    expect((await get('/v1/brand-a/exports/days', keyB)).statusCode).toBe(403)
    expect((await app.inject({ method: 'GET', url: '/v1/brand-a/exports/days' })).statusCode).toBe(401)
  })

  it('answers at most 92 days', async () => {
    expect((await days('/v1/brand-a/exports/days?from=2026-01-01&to=2026-04-02')).days).toHaveLength(92)
    expectInvalid(await get('/v1/brand-a/exports/days?from=2026-01-01&to=2026-04-03'), 'to')
  })

  it('refuses a bad date, from after to, a repeated or unknown parameter with a 422 naming it', async () => {
    expectInvalid(await get('/v1/brand-a/exports/days?from=2026-02-30'), 'from')
    expectInvalid(await get('/v1/brand-a/exports/days?to=yesterday'), 'to')
    expectInvalid(await get('/v1/brand-a/exports/days?from=2026-03-02&to=2026-03-01'), 'from')
    expectInvalid(await get('/v1/brand-a/exports/days?to=2026-03-01&to=2026-03-02'), 'to')
    expectInvalid(await get('/v1/brand-a/exports/days?days=3'), 'days')
    expectInvalid(await get('/v1/brand-a/exports/days?from=0050-01-01&to=0050-01-02'), 'from')
  })

  it('answers any query string with 200 or a 422, never a server error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('from', 'to', 'x'),
          fc.oneof(
            fc.string(),
            fc
              .date({
                noInvalidDate: true,
                min: new Date('0000-01-01T00:00:00Z'),
                max: new Date('9999-12-31T00:00:00Z'),
              })
              .map((d) => d.toISOString().slice(0, 10)),
          ),
        ),
        async (query) => {
          const search = new URLSearchParams(query).toString()
          const answer = await get(`/v1/brand-a/exports/days?${search}`)
          expect([200, 422], answer.body).toContain(answer.statusCode)
          if (answer.statusCode === 422) apiErrorResponseSchema.parse(answer.json())
          else exportDaysResponse.parse(answer.json())
        },
      ),
      { numRuns: 200 },
    )
  })
})
