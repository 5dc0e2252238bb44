import { existsSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'
import { describe } from 'vitest'

// A real browser for the console's tests: Debian's chromium package, driven by playwright-core
// (which cannot download a browser here). .ci/run installs the package when it is missing; where it
// cannot be had, the browser tests skip and say why.

export const chromiumPath = process.env.FLEX_CHROMIUM ?? '/usr/bin/chromium'
export const browserSkipReason = existsSync(chromiumPath)
  ? undefined
  : `no Chromium at ${chromiumPath}: install Debian's chromium package (apt-get install chromium) or set FLEX_CHROMIUM`

/** describe() for browser tests: skipped, with the reason in its name, when there is no Chromium. */
export function describeBrowser(name: string, body: () => void): void {
  if (browserSkipReason) describe.skip(`${name} (skipped: ${browserSkipReason})`, body)
  else describe(name, body)
}

/** Headless Chromium with the flags this closed network needs (no background connections). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Signs in on the console's sign-in page as a person does: types the key, presses the button. */
export async function signInWithBrowser(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/console`)
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => !url.pathname.endsWith('/sign-in'))
}
