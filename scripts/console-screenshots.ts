// Screenshots of every console page, from the demo's data, for README and docs/console.md:
//
//   npm run screenshots            (needs Debian's chromium at /usr/bin/chromium, or FLEX_CHROMIUM)
//
// Runs `flex demo` into a fresh embedded database in a temporary folder, starts `flex serve` on it,
// signs in with the operator key the demo printed, and saves each page of `pages` below as
// docs/console/<name>.png (1280 px wide, the whole page). It fails on any page that does not
// answer 200, so a broken page cannot slip into the docs.

import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = fileURLToPath(new URL('..', import.meta.url))
const flexBin = path.join(root, 'bin/flex.js')
const outputDir = path.join(root, 'docs/console')
const chromiumPath = process.env.FLEX_CHROMIUM ?? '/usr/bin/chromium'

/** The console's pages as a person opens them: a file name and how to reach the page. */
interface Shot {
  name: string
  /** A path, or a function that finds one on the page before (links from the demo's data). */
  path: string | ((page: import('playwright-core').Page) => Promise<string>)
}

const brand = 'nordlicht'
export const pages: Shot[] = [
  { name: 'overview-operator', path: '/console' },
  { name: 'overview-brand', path: `/console/${brand}` },
  { name: 'webhooks', path: `/console/${brand}/webhooks` },
  { name: 'webhook-new', path: `/console/${brand}/webhooks/new` },
  // From the list: the endpoint that answers 503, whose log has failures and retries to show.
  {
    name: 'webhook',
    path: async (page) => {
      await page.goto(page.url().replace(/\/console\/.*$/, `/console/${brand}/webhooks`))
      return (await page
        .locator('a[href*="/webhooks/"]', { hasText: '/unavailable/' })
        .first()
        .getAttribute('href')) as string
    },
  },
  // From that webhook's delivery log: its newest event, with its failed attempts.
  {
    name: 'webhook-event',
    path: async (page) => (await page.locator('a[href*="/events/"]').first().getAttribute('href')) as string,
  },
  { name: 'ingestion', path: `/console/${brand}/ingestion` },
  { name: 'exports-calendar', path: `/console/${brand}/exports` },
  // From the calendar: a late day if the demo has one, else the latest day.
  {
    name: 'exports-day',
    path: async (page) =>
      (await page
        .locator('table.calendar td.day-late a')
        .first()
        .getAttribute('href', { timeout: 1_000 })
        .catch(() => null)) ?? ((await page.locator('table.calendar td a').last().getAttribute('href')) as string),
  },
  // From the day: its latest run's progress page.
  {
    name: 'exports-run',
    path: async (page) => (await page.locator('table.runs tbody th a').last().getAttribute('href')) as string,
  },
]

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'flex-screenshots-'))
  const env = {
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'warn',
    FLEX_EMBEDDED_DIR: path.join(work, 'pglite'),
    FLEX_EXPORT_DEST: path.join(work, 'exports'),
    PORT: String(await freePort()),
  }
  try {
    console.log('running flex demo (about a minute)...')
    const demo = JSON.parse(await run(['demo', '--json'], env)) as { console: { url: string; operator_key: string } }
    const server = spawn(process.execPath, [flexBin, 'serve', '--deliver'], { env, stdio: 'inherit' })
    try {
      const base = `http://127.0.0.1:${env.PORT}`
      await waitForHealth(base)
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
      })
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
        await page.goto(`${base}/console/sign-in`)
        await page.getByLabel('API key').fill(demo.console.operator_key)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForURL(`${base}/console`)
        for (const shot of pages) {
          const target = typeof shot.path === 'string' ? shot.path : await shot.path(page)
          const answer = await page.goto(`${base}${target}`)
          if (answer?.status() !== 200) throw new Error(`${target} answered ${answer?.status()}`)
          await page.waitForLoadState('networkidle')
          const file = path.join(outputDir, `${shot.name}.png`)
          await page.screenshot({ path: file, fullPage: true })
          console.log(`${path.relative(root, file)}  ${target}`)
        }
      } finally {
        await browser.close()
      }
    } finally {
      server.kill('SIGTERM')
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function run(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [flexBin, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`flex ${args.join(' ')} exited ${code}`)),
    )
  })
}

async function waitForHealth(base: string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${base}/healthz did not answer within 30 s`)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
