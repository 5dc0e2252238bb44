import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeBrowser, launchBrowser, signInWithBrowser } from '../support/browser.ts'
import { type FlexServer, flexDatabaseEnv, flexOutput, runFlex, startFlexServer } from '../support/flex-process.ts'
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

  it('shows what ingestion did: counts, waiting references, rejections from the API and a file, escaped, filtered', async () => {
    const base = (server as FlexServer).url
    const updatedAt = '2026-11-21T09:30:00Z'
    const posted = await fetch(`${base}/v1/brand-a/transactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        { id: '<script>window.pwned=1</script>', updated_at: updatedAt },
        {
          id: 'T-1',
          customer_id: 'C-404',
          occurred_at: updatedAt,
          status: 'completed',
          currency: 'EUR',
          total_amount: '1.00',
          items: [],
          updated_at: updatedAt,
        },
      ]),
    })
    expect(posted.status).toBe(207)
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'flex-console-ingest-')), 'groups.ndjson')
    await writeFile(
      file,
      `${JSON.stringify({ id: 'G-1', name: 'Europe', kind: 'regional', updated_at: updatedAt })}\n{oops\n`,
    )
    expect((await runFlex(['ingest', '--brand', 'brand-a', '--entity', 'groups', file], env)).code).toBe(3)

    context = await (browser as Browser).newContext()
    const page = await context.newPage()
    await signInWithBrowser(page, base, keyA)
    await page.getByRole('link', { name: 'Ingestion', exact: true }).click()
    await page.waitForURL(`${base}/console/brand-a/ingestion`)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Ingestion of brand-a')
    const groups = page.getByRole('row', { name: /^groups/ })
    expect((await groups.getByRole('cell').allTextContents()).map((t) => t.trim())).toEqual(['1', '0', '0', '0', '1'])
    const waiting = await page.getByRole('region', { name: 'Waiting references' }).textContent()
    expect(waiting).toMatch(/transactions\s*customers\s*1/)

    const rejections = page.getByRole('region', { name: 'Recent rejections' })
    expect(await rejections.getByText('<script>window.pwned=1</script>').count()).toBe(1)
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined()
    expect(await rejections.textContent()).toMatch(/\(line\) \(rule: unreadable\) malformed JSON/)

    await page.getByLabel('Entity type').selectOption('transactions')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(`${base}/console/brand-a/ingestion?entity=transactions`)
    expect(await rejections.getByRole('row').count()).toBe(2) // the header and the one transaction
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
