import { html } from 'ghtml'
import type { ExportDay } from '../exports/export-days.ts'
import type { IngestionSummary } from '../ingest/ingestion-summary.ts'
import type { WebhookHealth } from '../webhooks/webhook-health.ts'
import { ingestionOverview } from './ingestion-page.ts'
import { type ConsoleView, consolePage, consolePath } from './layout.ts'
import { webhookHealthSection } from './webhooks-page.ts'

/** A brand's line of the overview: yesterday's export against the deadline. */
export interface BrandOverview {
  brandId: string
  timezone: string
  deadline: string
  yesterday: ExportDay
  /** The webhooks' health (GET .../webhooks/health) as of `now`; on a brand's own overview. */
  webhooks?: { health: readonly WebhookHealth[]; now: Date }
  /** The last 24 hours of ingestion (GET .../ingestion/summary); on a brand's own overview. */
  ingestion?: IngestionSummary
}

const statusWords: Record<ExportDay['status'], string> = {
  complete_on_time: 'complete on time',
  late: 'late',
  failed: 'failed',
  running: 'running',
  missing: 'missing',
  pending: 'pending',
}

/** A day's export status as text with its colour class; the words carry the meaning, not the colour. */
export function exportStatus(status: ExportDay['status']): string {
  return html`<span class="status status-${status}">${statusWords[status]}</span>`
}

function rowsOf(day: ExportDay): string {
  const rows = day.manifest?.files.reduce((sum, file) => sum + file.rows, 0)
  return rows === undefined ? '–' : rows.toLocaleString('en')
}

/** One brand's overview: yesterday's export, and where given its webhooks' health and its ingestion. */
export function brandOverviewPage(view: ConsoleView, overview: BrandOverview): string {
  const { webhooks } = overview
  const day = overview.yesterday
  const lastRun = day.runs.at(-1)
  return consolePage({
    title: `Overview of ${overview.brandId}`,
    view,
    body: html`<section aria-labelledby="export-heading">
      <h2 id="export-heading">Yesterday's export</h2>
      <p>
        <a href="${consolePath(overview.brandId, `/exports/${day.date}`)}">${day.date}</a>:
        !${exportStatus(day.status)} (deadline ${overview.deadline} ${overview.timezone} the next day),
        ${rowsOf(day)} rows.
      </p>
      !${lastRun?.error ? html`<p class="problem">Latest run failed: ${lastRun.error}</p>` : ''}
    </section>
    !${webhooks ? webhookHealthSection(overview.brandId, webhooks.health, webhooks.now) : ''}
    !${overview.ingestion ? ingestionOverview(overview.brandId, overview.ingestion) : ''}`,
  })
}

/** An operator's overview: every brand's line, each linking to that brand's overview. */
export function operatorOverviewPage(view: ConsoleView, overviews: readonly BrandOverview[]): string {
  return consolePage({
    title: 'Overview of every brand',
    view,
    body: html`<table class="overview">
      <caption>Yesterday's export for each brand, against its deadline</caption>
      <thead><tr><th scope="col">Brand</th><th scope="col">Day</th><th scope="col">Export</th><th scope="col">Rows</th></tr></thead>
      <tbody>
        !${overviews.map(
          (overview) => html`<tr>
            <th scope="row"><a href="${consolePath(overview.brandId)}">${overview.brandId}</a></th>
            <td>${overview.yesterday.date}</td>
            <td>!${exportStatus(overview.yesterday.status)}</td>
            <td class="number">${rowsOf(overview.yesterday)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`,
  })
}
