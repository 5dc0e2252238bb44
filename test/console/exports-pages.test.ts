import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { ExportRunStarter } from '../../src/exports/export-run-starter.ts'
import { exportFiles } from '../../src/exports/files/index.ts'
import { readManifest } from '../../src/exports/manifest.ts'
import { buildApp } from '../../src/http/app.ts'
import type { LocalFolder } from '../../src/storage/local-folder.ts'
import { type ConsoleClient, signIn } from '../support/console-client.ts'
import { gatedDestination, seededSha256, seedRun } from '../support/export-run-fixtures.ts'
import { addBrand, addCampaign, silentLog, tempFolder } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The console's exports view through app.inject against a real PostgreSQL: the calendar and charts
// of GET .../exports/days' figures, a day's manifest and runs, and "Export this day again" running
// the real export into a real local folder.

const database = useTestDatabase()
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 100)
// 11:00 in Berlin on 2026-11-30: the calendar's 30 days are 2026-10-31 to 2026-11-29.
const clock = new Date('2026-11-30T10:00:00Z')
let app: FastifyInstance
let starter: ExportRunStarter
let folder: LocalFolder
let gate: ReturnType<typeof gatedDestination>
let brandA: ConsoleClient
let brandB: ConsoleClient
let operator: ConsoleClient
const ids: Record<string, string> = {}

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, 'brand-a', 'Europe/Berlin')
  await addBrand(db, 'brand-b', 'UTC')
  await addCampaign(db, { brand_id: 'brand-a', id: 'C-1', updated_at: '2026-11-27T10:00:00Z' })
  // 11-20: complete on time, in 60 s with 7 rows. 11-21: failed, with an error that is markup.
  ids.onTime = await seedRun(db, 'brand-a', '2026-11-20', {
    start: '2026-11-21T01:00:00Z',
    end: '2026-11-21T01:01:00Z',
    rows: 7,
  })
  ids.failed = await seedRun(db, 'brand-a', '2026-11-21', {
    start: '2026-11-22T01:00:00Z',
    end: '2026-11-22T01:00:30Z',
    error: '<script>alert("bucket")</script> gone',
  })
  // 11-22: late (05:00 Berlin), in 90 s with 12 rows.
  await seedRun(db, 'brand-a', '2026-11-22', { start: '2026-11-23T03:58:30Z', end: '2026-11-23T04:00:00Z', rows: 12 })
  ids.brandB = await seedRun(db, 'brand-b', '2026-11-20', {
    start: '2026-11-21T01:00:00Z',
    end: '2026-11-21T01:01:00Z',
  })
  folder = await tempFolder()
  gate = gatedDestination(folder)
  starter = new ExportRunStarter({
    database: database.current.handle,
    destination: gate.destination,
    log: silentLog,
    now: () => clock,
  })
  app = buildApp({ database: database.current.handle, now: () => clock, exportStarter: starter })
  await app.ready()
  brandA = await signIn(app, (await createApiKey(db, 'brand-a')).key)
  brandB = await signIn(app, (await createApiKey(db, 'brand-b')).key)
  operator = await signIn(app, (await createApiKey(db, { operator: true })).key)
})

afterAll(async () => {
  gate?.open()
  await app?.close()
  await starter?.close()
})

/** The JSON of a page's data island. */
function island(body: string, id: string): { x: number[]; series: { label: string; values: (number | null)[] }[] } {
  const text = new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(body)?.[1]
  expect(text, `data island ${id}`).toBeDefined()
  return JSON.parse(text ?? '')
}

/** HTML text as a reader sees it: ghtml writes escaped characters as numeric references. */
const decoded = (html: string) => html.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))

/** The cells of the table row whose header cell is `header`, as text. */
function rowCells(body: string, header: string): string[] {
  const row = new RegExp(`<tr>\\s*<th scope="row">${header}</th>(.*?)</tr>`, 's').exec(body)?.[1] ?? ''
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((m) => decoded((m[1] ?? '').replace(/<[^>]+>/g, '')).trim())
}

describe('GET /console/:brandId/exports', () => {
  it('shows the 30 days ending yesterday as a calendar of weeks, each day a link with its status in words and colour', async () => {
    const page = await brandA.get('/console/brand-a/exports')
    expect(page.status, page.body).toBe(200)
    const links = [...page.body.matchAll(/<a href="\/console\/brand-a\/exports\/(\d{4}-\d{2}-\d{2})">/g)].map(
      (m) => m[1],
    )
    expect(links).toHaveLength(30)
    expect([links[0], links.at(-1)]).toEqual(['2026-10-31', '2026-11-29'])
    expect(page.body).toMatch(/<th scope="col">Mon<\/th>/)
    const cell = (date: string) =>
      new RegExp(
        `<td class="(day-[a-z_]+)">\\s*<a href="/console/brand-a/exports/${date}">[^<]+</a><br>\\s*<span class="status status-[a-z_]+">([^<]+)</span>`,
      )
        .exec(page.body)
        ?.slice(1)
    expect(cell('2026-11-20')).toEqual(['day-complete_on_time', 'complete on time'])
    expect(cell('2026-11-21')).toEqual(['day-failed', 'failed'])
    expect(cell('2026-11-22')).toEqual(['day-late', 'late'])
    expect(cell('2026-11-23')).toEqual(['day-missing', 'missing'])
  })

  it("charts each day's successful run's duration and rows from data islands, with a table of the same figures", async () => {
    const page = await operator.get('/console/brand-a/exports')
    expect(page.body).toContain('<script src="/console/assets/uplot.js" defer></script>')
    const duration = island(page.body, 'export-duration')
    const rows = island(page.body, 'export-rows')
    expect(duration.x).toHaveLength(30)
    expect(duration.x[0]).toBe(Date.parse('2026-10-31T12:00:00Z') / 1000)
    const at = (date: string) => duration.x.indexOf(Date.parse(`${date}T12:00:00Z`) / 1000)
    expect([20, 21, 22].map((d) => duration.series[0]?.values[at(`2026-11-${d}`)])).toEqual([60, null, 90])
    expect([20, 21, 22].map((d) => rows.series[0]?.values[at(`2026-11-${d}`)])).toEqual([7, null, 12])
    expect(rowCells(page.body, '2026-11-20')).toEqual(['complete on time', '60', '7'])
    expect(rowCells(page.body, '2026-11-21')).toEqual(['failed', '–', '–'])
    expect(rowCells(page.body, '2026-11-22')).toEqual(['late', '90', '12'])
  })

  it("shows a brand key its own brand's exports only", async () => {
    const other = await brandB.get('/console/brand-a/exports')
    expect(other.status).toBe(403)
    expect(other.body).not.toContain('2026-11-21')
    expect((await brandB.get(`/console/brand-a/exports/runs/${ids.failed}`)).status).toBe(403)
    // Its own URL with another brand's run id: no such run for it.
    expect((await brandB.get(`/console/brand-b/exports/runs/${ids.failed}`)).status).toBe(404)
    expect((await brandA.get(`/console/brand-a/exports/runs/${ids.brandB}`)).status).toBe(404)
  })
})

describe('GET /console/:brandId/exports/:date', () => {
  it('shows the manifest with paths in the bucket, rows, bytes and checksums, and the runs', async () => {
    const page = await brandA.get('/console/brand-a/exports/2026-11-20')
    expect(page.status, page.body).toBe(200)
    expect(decoded(page.body)).toContain(
      '<code>gs://bucket/exports</code>: <code>brand-a/_manifests/dt=2026-11-20.json</code>',
    )
    expect(rowCells(page.body, 'campaigns')).toEqual([
      'brand-a/campaigns/dt=2026-11-20/campaigns.csv.gz',
      '7',
      '107',
      seededSha256,
    ])
    expect(page.body).toContain(`href="/console/brand-a/exports/runs/${ids.onTime}"`)
    expect(page.body).toMatch(
      /<form method="post" action="\/console\/brand-a\/exports\/2026-11-20\/runs">\s*<input type="hidden" name="_csrf"/,
    )
    expect(page.body).toContain('<button type="submit">Export this day again</button>')
  })

  it("shows a failed run's error as text, never as markup", async () => {
    const page = await brandA.get('/console/brand-a/exports/2026-11-21')
    expect(page.body).toContain('The day has no manifest')
    expect(page.body).toContain('&#60;script&#62;alert(&#34;bucket&#34;)&#60;/script&#62; gone')
    expect(page.body).not.toContain('<script>alert')
  })

  it('offers no export of a day that has not ended, and answers a path that is no day with 404', async () => {
    const today = await brandA.get('/console/brand-a/exports/2026-11-30')
    expect(today.status).toBe(200)
    expect(today.body).not.toContain('Export this day again')
    expect(today.body).toContain('has not ended yet')
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom(...hostileCharacters, '2', '0', '-', '1') }),
        async (segment) => {
          const url = `/console/brand-a/exports/${[...Buffer.from(segment)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`
          const page = await brandA.get(url)
          expect([200, 404], `${url}: ${page.body.slice(0, 200)}`).toContain(page.status)
        },
      ),
      { numRuns: runs },
    )
  })
})

describe('Export this day again', () => {
  it('starts the run from the form and shows its progress, reloading itself until the run ends', async () => {
    gate.close()
    const posted = await brandA.post('/console/brand-a/exports/2026-11-27/runs')
    expect(posted.status, posted.body).toBe(303)
    const runUrl = posted.location ?? ''
    expect(runUrl).toMatch(/^\/console\/brand-a\/exports\/runs\/[0-9a-f-]{36}$/)
    const running = await brandA.get(runUrl)
    expect(running.status).toBe(200)
    expect(running.body).toContain('<meta http-equiv="refresh" content="2">')
    expect(running.body).toContain('<span class="status status-running">running</span>')
    expect(running.body).toContain(`0 of ${exportFiles.length} files`)
    // The day page now points at the run instead of offering another.
    const day = await brandA.get('/console/brand-a/exports/2026-11-27')
    expect(day.body).toContain(`<a href="${runUrl}">follow its progress</a>`)
    expect(day.body).not.toContain('Export this day again')
    // A second form posted meanwhile is refused with the run named.
    const again = await operator.post('/console/brand-a/exports/2026-11-27/runs')
    expect(again.status).toBe(409)
    expect(again.body).toContain(runUrl.split('/').at(-1))

    gate.open()
    const deadline = Date.now() + 20_000
    let done = running
    while (done.body.includes('http-equiv="refresh"') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      done = await brandA.get(runUrl)
    }
    expect(done.body).not.toContain('http-equiv="refresh"')
    expect(done.body).toContain('<span class="status status-succeeded">succeeded</span>')
    expect(done.body).toContain(`${exportFiles.length} of ${exportFiles.length} files, 1 rows`)
    expect((await readManifest(folder, 'brand-a', '2026-11-27'))?.files.map((f) => f.rows)).toContain(1)
  })

  it('refuses the form without its CSRF token, and a day that has not ended', async () => {
    const forged = await brandA.post('/console/brand-a/exports/2026-11-26/runs', { _csrf: 'forged' })
    expect(forged.status).toBe(403)
    const today = await brandA.post('/console/brand-a/exports/2026-11-30/runs')
    expect(today.status).toBe(422)
    expect(today.body).toContain('has not ended yet')
    expect((await brandB.post('/console/brand-a/exports/2026-11-26/runs')).status).toBe(403)
  })
})
