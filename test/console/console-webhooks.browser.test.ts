import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeBrowser, launchBrowser, signInWithBrowser } from '../support/browser.ts'
import { type FlexServer, flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

// The webhook pages as people use them: `flex serve --deliver` as a child process delivering to a
// real receiver on this machine, and Chromium clicking through the console: create a webhook,
// toggle it, send a test, open an attempt, retry a failed delivery and see the new attempt
// arrive, and retry every failed delivery of a time range after confirming the count.

const database = useTestDatabase()
let env: Record<string, string>
let server: FlexServer | undefined
let browser: Browser | undefined
let receiver: Receiver | undefined
let key: string
/** The receiver answers this status to deliveries (test sends always get 200). */
let deliveryStatus = 500

beforeAll(async () => {
  env = { ...(await flexDatabaseEnv(database.current)), FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8' }
  await flexOutput(['migrate'], env)
  await flexOutput(['brands', 'add', 'brand-w', '--timezone', 'UTC'], env)
  key = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'brand-w', '--json'], env)).key
  receiver = await startReceiver((request, res) => {
    const test = request.body.includes('"WEBHOOK.TEST"')
    res.writeHead(test ? 200 : deliveryStatus, { 'content-type': 'text/plain' }).end(test ? 'test ok' : 'stored')
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await receiver?.close()
})

/** Publishes RECEIPTS events through the API, as the brand's point of sale would. */
async function publish(ids: string[]): Promise<void> {
  const answer = await fetch(`${(server as FlexServer).url}/v1/brand-w/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: ids.map((id) => ({ id, type: 'RECEIPTS', data: { receiptId: id } })) }),
  })
  expect(answer.status, await answer.text()).toBe(202)
}

/** Reloads the page until `text` shows, as a person would press reload. */
async function reloadUntil(page: Page, text: string): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.reload()
        return page.textContent('main')
      },
      { timeout: 30_000, interval: 500 },
    )
    .toContain(text)
}

const datetimeLocal = (at: Date) => at.toISOString().slice(0, 16)

describeBrowser('the webhook pages in a browser', () => {
  beforeAll(async () => {
    server = await startFlexServer({ env, args: ['--deliver'] })
    browser = await launchBrowser()
  })

  it('creates, toggles, test-sends, retries one failed delivery and then every failed one of a range', async () => {
    const context = await (browser as Browser).newContext()
    const page = await context.newPage()
    const base = (server as FlexServer).url
    const rx = receiver as Receiver
    await signInWithBrowser(page, base, key)

    // Create: the endpoint and one type ticked in the hierarchy.
    await page.goto(`${base}/console/brand-w/webhooks`)
    await page.getByRole('link', { name: 'Create a webhook' }).click()
    await page.getByLabel('Endpoint (an https URL)').fill(`${rx.url}/hook`)
    await page.getByRole('checkbox', { name: /^RECEIPTS/ }).check()
    await page.getByRole('button', { name: 'Create the webhook' }).click()
    await expect.poll(() => page.textContent('main')).toContain('The webhook was created.')
    const webhookUrl = page.url().split('?')[0] as string

    // Toggle off and on, from the list.
    await page.goto(`${base}/console/brand-w/webhooks`)
    await page.getByRole('button', { name: /^Disable the webhook/ }).click()
    await expect.poll(() => page.textContent('main')).toContain('The webhook is disabled')
    expect(await page.getByRole('row').nth(1).textContent()).toContain('disabled by the brand')
    await page.getByRole('button', { name: /^Enable the webhook/ }).click()
    await expect.poll(() => page.textContent('main')).toContain('The webhook is enabled.')

    // Test send: the page that follows shows the attempt and the receiver's answer.
    await page.goto(webhookUrl)
    const before = rx.requests.length
    await page.getByRole('button', { name: 'Send a test event now' }).click()
    await expect.poll(() => page.textContent('main')).toContain('Response: HTTP 200')
    expect(await page.textContent('main')).toContain('test ok')
    expect(rx.requests.length).toBe(before + 1)

    // A delivery that fails (500), opened from the log, retried once the receiver is fixed.
    deliveryStatus = 500
    await publish(['R-1'])
    await page.goto(`${webhookUrl}?status=pending`)
    await reloadUntil(page, 'RECEIPTS')
    await page.locator('table.log a').first().click()
    await expect.poll(() => page.textContent('main')).toContain('Response: HTTP 500')
    const attemptsBefore = await page.locator('section.attempt').count()
    deliveryStatus = 200
    await page.getByRole('button', { name: 'Retry: send it once more now' }).click()
    await expect.poll(() => page.textContent('main')).toContain('The event is due now')
    await reloadUntil(page, 'Response: HTTP 200')
    expect(await page.locator('section.attempt').count()).toBeGreaterThan(attemptsBefore)

    // Two more fail; the range's count is confirmed first, then all are retried and delivered.
    deliveryStatus = 500
    await publish(['R-2', 'R-3'])
    await page.goto(`${webhookUrl}?status=pending`)
    await expect
      .poll(
        async () => {
          await page.reload()
          return page.locator('table.log tbody tr').count()
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(2)
    const now = Date.now()
    await page
      .getByLabel('From (UTC)')
      .last()
      .fill(datetimeLocal(new Date(now - 3_600_000)))
    await page
      .getByLabel('Until (UTC)')
      .last()
      .fill(datetimeLocal(new Date(now + 3_600_000)))
    await page.getByRole('button', { name: 'Count the failed deliveries' }).click()
    await expect.poll(() => page.textContent('main')).toContain('2 failed deliveries')
    // Fixed only now: until the click, the worker's own retries (5 s on) keep failing, so the count holds.
    deliveryStatus = 200
    await page.getByRole('button', { name: 'Retry 2 deliveries' }).click()
    await expect.poll(() => page.textContent('main')).toContain('2 failed deliveries are due again now.')
    await page.goto(`${webhookUrl}?status=success&type=RECEIPTS`)
    await expect
      .poll(
        async () => {
          await page.reload()
          return page.locator('table.log tbody tr').count()
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(3)

    // The charts are drawn by uPlot from the data islands (under the page's CSP), the table beside them.
    await page.goto(webhookUrl)
    await expect.poll(() => page.locator('.chart .uplot canvas').count()).toBe(2)
    expect(await page.getByText('The figures as a table (per 10 minutes)').count()).toBe(1)
    await context.close()
  })
})
