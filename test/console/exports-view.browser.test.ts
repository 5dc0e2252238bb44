import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { yesterday } from '../../src/calendar/time-zone.ts'
import { readManifest } from '../../src/exports/manifest.ts'
import { LocalFolder } from '../../src/storage/local-folder.ts'
import { describeBrowser, launchBrowser, signInWithBrowser } from '../support/browser.ts'
import { type FlexServer, flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The exports view as people use it: `flex serve` as a child process exporting into a folder, the
// day exported first by `flex export`, and a real Chromium reading its status, exporting it again
// with the button and watching the run's page reload itself until the run has finished.

const database = useTestDatabase()
let env: Record<string, string>
let bucket: string
let server: FlexServer | undefined
let browser: Browser | undefined
let key: string
const day = yesterday('Europe/Berlin')

beforeAll(async () => {
  bucket = await mkdtemp(path.join(tmpdir(), 'flex-exports-view-bucket-'))
  env = { ...(await flexDatabaseEnv(database.current)), FLEX_EXPORT_DEST: bucket }
  await flexOutput(['migrate'], env)
  await flexOutput(['brands', 'add', 'brand-a', '--timezone', 'Europe/Berlin'], env)
  key = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'brand-a', '--json'], env)).key
  await flexOutput(['export', '--brand', 'brand-a', '--date', day], env)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describeBrowser('the exports view in a browser', () => {
  beforeAll(async () => {
    server = await startFlexServer({ env })
    browser = await launchBrowser()
  })

  it("reads yesterday's status on the calendar, exports the day again and watches the run finish", async () => {
    const context = await (browser as Browser).newContext()
    const page = await context.newPage()
    const base = (server as FlexServer).url
    const firstRun = (await readManifest(new LocalFolder(bucket), 'brand-a', day))?.run_id
    expect(firstRun).toBeDefined()
    await signInWithBrowser(page, base, key)
    await page.getByRole('link', { name: 'Exports' }).click()
    await page.waitForURL(`${base}/console/brand-a/exports`)
    // Exported just now, long after its 04:00 deadline: late, in words in the day's cell.
    const cell = page.locator('table.calendar td', { has: page.locator(`a[href$="/exports/${day}"]`) })
    expect(await cell.textContent()).toContain('late')
    expect(await cell.getAttribute('class')).toBe('day-late')
    // The charts drew from their data islands with the app's own uPlot.
    await expect.poll(() => page.locator('.chart .uplot').count()).toBe(2)

    await cell.getByRole('link').click()
    await page.waitForURL(`${base}/console/brand-a/exports/${day}`)
    expect(await page.getByRole('table', { name: /manifest lists/ }).textContent()).toContain('campaigns')
    await page.getByRole('button', { name: 'Export this day again' }).click()
    await page.waitForURL(/\/console\/brand-a\/exports\/runs\/[0-9a-f-]{36}$/)
    const runId = page.url().split('/').at(-1)
    // No script and no click: the page reloads itself until the run has ended.
    await expect
      .poll(() => page.locator('main .status').first().textContent(), { timeout: 20_000, interval: 250 })
      .toBe('succeeded')
    expect(await page.locator('.progress-text').textContent()).toMatch(/^5 of 5 files, /)
    expect((await readManifest(new LocalFolder(bucket), 'brand-a', day))?.run_id).toBe(runId)

    await page.getByRole('link', { name: `Back to ${day}` }).click()
    const runs = page.getByRole('table', { name: /Every run of the day/ })
    expect(await runs.locator('tbody tr').count()).toBe(2)
    await context.close()
  })
})
