import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeBrowser, launchBrowser, signInWithBrowser } from '../support/browser.ts'
import { type FlexServer, flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The console as people use it: `flex serve` started as a child process, brands, keys and an
// export made with the flex command, and a real Chromium clicking through the pages.

const database = useTestDatabase()
let env: Record<string, string>
let server: FlexServer | undefined
let browser: Browser | undefined
let keyA: string
let operatorKey: string

beforeAll(async () => {
  const bucket = await mkdtemp(path.join(tmpdir(), 'flex-console-bucket-'))
  env = { ...(await flexDatabaseEnv(database.current)), FLEX_EXPORT_DEST: bucket }
  await flexOutput(['migrate'], env)
  await flexOutput(['brands', 'add', 'brand-a', '--timezone', 'Europe/Berlin'], env)
  await flexOutput(['brands', 'add', 'brand-b', '--timezone', 'UTC'], env)
  keyA = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'brand-a', '--json'], env)).key
  operatorKey = JSON.parse(await flexOutput(['apikey', 'create', '--operator', '--json'], env)).key
  await flexOutput(['export', '--brand', 'brand-a'], env)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describeBrowser('the console in a browser', () => {
  let context: BrowserContext

  beforeAll(async () => {
    server = await startFlexServer({ env })
    browser = await launchBrowser()
  })

  it('signs in with a brand key, shows yesterday’s export, keeps other brands out, refuses forged forms, signs out', async () => {
    context = await (browser as Browser).newContext()
    const page = await context.newPage()
    const base = (server as FlexServer).url
    await signInWithBrowser(page, base, keyA)
    expect(new URL(page.url()).pathname).toBe('/console/brand-a')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview of brand-a')
    const exportLine = await page.getByRole('region', { name: "Yesterday's export" }).textContent()
    expect(exportLine).toMatch(/complete on time|late/)

    // Another brand's URL typed by hand: refused, and nothing of that brand shown.
    const other = await page.goto(`${base}/console/brand-b`)
    expect(other?.status()).toBe(403)
    expect(await page.textContent('body')).not.toContain('Overview of brand-b')

    // A form posted without the page's CSRF token (as another site's page would) is refused.
    const forged = await page.evaluate(async () => {
      const answer = await fetch('/console/sign-out', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '_csrf=forged',
      })
      return answer.status
    })
    expect(forged).toBe(403)

    await page.goto(`${base}/console/brand-a`)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(`${base}/console/sign-in`)
    await page.goto(`${base}/console/brand-a`)
    expect(new URL(page.url()).pathname).toBe('/console/sign-in')
    await context.close()
  })

  it('shows an operator every brand and opens one from the brand picker', async () => {
    context = await (browser as Browser).newContext()
    const page = await context.newPage()
    const base = (server as FlexServer).url
    await signInWithBrowser(page, base, operatorKey)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview of every brand')
    expect(await page.getByRole('link', { name: 'brand-b' }).count()).toBeGreaterThan(0)
    await page.getByLabel('Brand').selectOption('brand-b')
    await page.getByRole('button', { name: 'Open' }).click()
    await page.waitForURL(`${base}/console/brand-b`)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview of brand-b')
    await context.close()
  })
})
