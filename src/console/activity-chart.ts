import { html } from 'ghtml'
import type { DeliveryActivity } from '../webhooks/delivery-activity.ts'

// The webhooks' charts: attempts delivered and failed per minute, and response times (p50, p95)
// per 10 minutes, drawn by charts.js (uPlot) from JSON data islands, with the same figures as a
// text summary and a table for readers without script or sight.

/** The scripts and styles a page with charts loads in its head (all served by the app). */
export const chartHead = html`<link rel="stylesheet" href="/console/assets/uplot.css">
  <script src="/console/assets/uplot.js" defer></script>
  <script src="/console/assets/charts.js" defer></script>`

interface ChartData {
  x: number[]
  series: { label: string; values: (number | null)[] }[]
}

/** A chart element and its data island; `<` is escaped so the JSON cannot end the script element. */
export function chart(id: string, title: string, data: ChartData): string {
  const json = JSON.stringify(data).replaceAll('<', '\\u003c')
  return html`<div class="chart" data-chart="${id}" data-title="${title}" role="img" aria-label="${title}: chart; the table below has the same figures"></div>
    <script type="application/json" id="${id}">!${json}</script>`
}

const seconds = (at: Date) => Math.floor(at.getTime() / 1000)
const clock = (at: Date) => at.toISOString().slice(0, 16).replace('T', ' ')

/** The charts of `activity` with their summary and table; `idPrefix` keeps two on a page apart. */
export function activitySection(activity: DeliveryActivity, idPrefix: string): string {
  const delivered = activity.minutes.reduce((sum, m) => sum + m.delivered, 0)
  const failed = activity.minutes.reduce((sum, m) => sum + m.failed, 0)
  const worst = activity.latency.reduce<number | null>(
    (max, b) => (b.p95Ms !== null && (max === null || b.p95Ms > max) ? b.p95Ms : max),
    null,
  )
  const buckets = activity.latency.map((bucket, index) => {
    const minutes = activity.minutes.slice(index * 10, index * 10 + 10)
    return {
      ...bucket,
      delivered: minutes.reduce((sum, m) => sum + m.delivered, 0),
      failed: minutes.reduce((sum, m) => sum + m.failed, 0),
    }
  })
  return html`<p>From ${clock(activity.start)} to ${clock(activity.end)} UTC: ${delivered} attempts delivered,
      ${failed} failed!${worst === null ? '' : html`; the slowest 10 minutes' p95 response time was ${worst} ms`}.</p>
    !${chart(`${idPrefix}-attempts`, 'Attempts per minute: delivered and failed', {
      x: activity.minutes.map((m) => seconds(m.minute)),
      series: [
        { label: 'delivered', values: activity.minutes.map((m) => m.delivered) },
        { label: 'failed', values: activity.minutes.map((m) => m.failed) },
      ],
    })}
    !${chart(`${idPrefix}-latency`, 'Response time per 10 minutes (ms)', {
      x: activity.latency.map((b) => seconds(b.start)),
      series: [
        { label: 'p50 ms', values: activity.latency.map((b) => b.p50Ms) },
        { label: 'p95 ms', values: activity.latency.map((b) => b.p95Ms) },
      ],
    })}
    <details>
      <summary>The figures as a table (per 10 minutes)</summary>
      <table>
        <thead><tr><th scope="col">From (UTC)</th><th scope="col" class="number">Delivered</th><th scope="col" class="number">Failed</th><th scope="col" class="number">p50 ms</th><th scope="col" class="number">p95 ms</th></tr></thead>
        <tbody>
          !${buckets
            .filter((b) => b.attempts > 0)
            .map(
              (b) =>
                html`<tr><th scope="row">${clock(b.start)}</th><td class="number">${b.delivered}</td><td class="number">${b.failed}</td><td class="number">${b.p50Ms ?? '–'}</td><td class="number">${b.p95Ms ?? '–'}</td></tr>`,
            )}
        </tbody>
      </table>
    </details>`
}
