import { html } from 'ghtml'
import { addDays } from '../calendar/calendar-date.ts'
import type { ExportDay, ExportDayRun } from '../exports/export-days.ts'
import type { ExportRun } from '../exports/export-runs.ts'
import { jsonIsland } from './json-island.ts'
import { type ConsoleView, consolePage, consolePath, csrfField } from './layout.ts'
import { exportStatus } from './overview-page.ts'

/** The brand's days as GET /v1/{brandId}/exports/days answers them. */
export interface ExportDaysView {
  brandId: string
  timezone: string
  deadline: string
  from: string
  to: string
  days: readonly ExportDay[]
}

/** The run whose figures a day's charts show: its latest successful run (the one its manifest is from). */
export function chartedRun(day: ExportDay): ExportDayRun | undefined {
  return day.runs.findLast((run) => run.status === 'succeeded')
}

/** Seconds from a run's start to its end, to the tenth; undefined while it runs. */
export function runSeconds(run: { started_at: Date; ended_at: Date | null }): number | undefined {
  if (run.ended_at === null) return undefined
  return Math.round((run.ended_at.getTime() - run.started_at.getTime()) / 100) / 10
}

const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const

/** 0 for Monday ... 6 for Sunday. */
function weekdayIndex(date: string): number {
  return (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7
}

function shortDate(date: string): string {
  return `${months[Number(date.slice(5, 7)) - 1]} ${Number(date.slice(8, 10))}`
}

const number = (value: number | undefined | null) =>
  value === undefined || value === null ? '–' : value.toLocaleString('en')

/** GET /console/:brandId/exports: the calendar of the days, coloured by status, and the charts of the successful runs. */
export function exportsCalendarPage(view: ConsoleView, data: ExportDaysView): string {
  return consolePage({
    title: `Exports of ${data.brandId}`,
    view,
    head: html`<link rel="stylesheet" href="/console/assets/uplot.css">
      <script src="/console/assets/uplot.js" defer></script>
      <script src="/console/assets/charts.js" defer></script>`,
    body: html`<p>Each brand-local day (${data.timezone}) from ${data.from} to ${data.to}, against its deadline:
        ${data.deadline} the next day. Open a day for its files and runs, or to export it again.</p>
      !${calendar(data)}
      <h2 id="charts-heading">Duration and rows per day</h2>
      <p>Of each day's latest successful run; a day without one has no figure.</p>
      !${charts(data.days)}`,
  })
}

function calendar(data: ExportDaysView): string {
  const byDate = new Map(data.days.map((day) => [day.date, day]))
  const weeks: string[][] = []
  const firstMonday = addDays(data.from, -weekdayIndex(data.from))
  for (let monday = firstMonday; monday <= data.to; monday = addDays(monday, 7)) {
    weeks.push(weekdays.map((_, index) => addDays(monday, index)))
  }
  return html`<table class="calendar">
    <caption>Export status of each day, weeks from Monday</caption>
    <thead><tr><th scope="col">Week of</th>!${weekdays.map((name) => html`<th scope="col">${name}</th>`)}</tr></thead>
    <tbody>
      !${weeks.map(
        (week) => html`<tr>
          <th scope="row">${shortDate(week[0] ?? '')}</th>
          !${week.map((date) => {
            const day = byDate.get(date)
            if (!day) return html`<td class="outside"></td>`
            return html`<td class="day-${day.status}">
              <a href="${consolePath(data.brandId, `/exports/${date}`)}">${shortDate(date)}</a><br>
              !${exportStatus(day.status)}
            </td>`
          })}
        </tr>`,
      )}
    </tbody>
  </table>`
}

function charts(days: readonly ExportDay[]): string {
  const figures = days.map((day) => {
    const run = chartedRun(day)
    return { day, seconds: run ? runSeconds(run) : undefined, rows: run?.rows ?? undefined }
  })
  // Noon UTC: the chart labels instants on the viewer's clock, and noon UTC is the same calendar
  // day on every clock from UTC-11:59 to UTC+11:59 (midnight would show as the day before west of UTC).
  const x = days.map((day) => Date.parse(`${day.date}T12:00:00Z`) / 1000)
  const series = (label: string, values: (number | undefined)[]) => ({
    x,
    series: [{ label, values: values.map((value) => value ?? null) }],
  })
  return html`<div class="chart" data-chart="export-duration" data-title="Duration of the successful run (s)" aria-hidden="true"></div>
    !${jsonIsland(
      'export-duration',
      series(
        'Duration (s)',
        figures.map((f) => f.seconds),
      ),
    )}
    <div class="chart" data-chart="export-rows" data-title="Rows exported" aria-hidden="true"></div>
    !${jsonIsland(
      'export-rows',
      series(
        'Rows',
        figures.map((f) => f.rows),
      ),
    )}
    <table class="figures">
      <caption>The charts' figures</caption>
      <thead><tr><th scope="col">Day</th><th scope="col">Status</th><th scope="col" class="number">Duration (s)</th><th scope="col" class="number">Rows</th></tr></thead>
      <tbody>
        !${figures.map(
          (f) => html`<tr>
            <th scope="row">${f.day.date}</th>
            <td>!${exportStatus(f.day.status)}</td>
            <td class="number">${number(f.seconds)}</td>
            <td class="number">${number(f.rows)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`
}

/** A day as the day page shows it: the day, and whether it may be exported again now. */
export interface ExportDayView {
  brandId: string
  timezone: string
  deadline: string
  day: ExportDay
  /** The day has ended in the brand's timezone, so it may be exported (again). */
  exportable: boolean
}

/** GET /console/:brandId/exports/:date: the manifest, the runs with their errors, and "Export this day again". */
export function exportDayPage(view: ConsoleView, data: ExportDayView): string {
  const { day, brandId } = data
  const running = day.runs.findLast((run) => run.status === 'running')
  const manifestRun = chartedRun(day)
  return consolePage({
    title: `Export of ${brandId} for ${day.date}`,
    view,
    body: html`<p>!${exportStatus(day.status)} against the deadline ${data.deadline} ${data.timezone} the next day.
        <a href="${consolePath(brandId, '/exports')}">Back to the calendar</a></p>
      <h2>Manifest</h2>
      !${day.manifest && manifestRun ? manifest(day.manifest, manifestRun.destination) : html`<p>The day has no manifest: it is not complete.</p>`}
      <h2>Runs</h2>
      !${runsTable(brandId, day.runs)}
      !${againForm(view, data, running)}`,
  })
}

function manifest(kept: NonNullable<ExportDay['manifest']>, destination: string): string {
  return html`<p>In <code>${destination}</code>: <code>${kept.path}</code></p>
    <table class="manifest">
      <caption>The day's files, as its manifest lists them</caption>
      <thead><tr><th scope="col">File</th><th scope="col">Path</th><th scope="col" class="number">Rows</th><th scope="col" class="number">Bytes</th><th scope="col">SHA-256</th></tr></thead>
      <tbody>
        !${kept.files.map(
          (file) => html`<tr>
            <th scope="row">${file.file_type}</th>
            <td><code>${file.path}</code></td>
            <td class="number">${number(file.rows)}</td>
            <td class="number">${number(file.bytes)}</td>
            <td><code>${file.sha256}</code></td>
          </tr>`,
        )}
      </tbody>
    </table>`
}

function runsTable(brandId: string, runs: readonly ExportDayRun[]): string {
  if (runs.length === 0) return html`<p>No run yet.</p>`
  return html`<table class="runs">
    <caption>Every run of the day, oldest first</caption>
    <thead><tr><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col" class="number">Duration (s)</th><th scope="col" class="number">Rows</th><th scope="col">Error</th></tr></thead>
    <tbody>
      !${runs.map(
        (run) => html`<tr>
          <th scope="row"><a href="${consolePath(brandId, `/exports/runs/${run.id}`)}">${run.started_at.toISOString()}</a></th>
          <td><span class="status status-${run.status}">${run.status}</span></td>
          <td>${run.trigger}</td>
          <td class="number">${number(runSeconds(run))}</td>
          <td class="number">${number(run.rows)}</td>
          <td>${run.error ?? ''}</td>
        </tr>`,
      )}
    </tbody>
  </table>`
}

function againForm(view: ConsoleView, data: ExportDayView, running: ExportDayRun | undefined): string {
  if (running) {
    return html`<p>A run is under way: <a href="${consolePath(data.brandId, `/exports/runs/${running.id}`)}">follow its progress</a>.</p>`
  }
  if (!data.exportable)
    return html`<p>The day has not ended yet in ${data.timezone}; it can be exported once it has.</p>`
  return html`<form method="post" action="${consolePath(data.brandId, `/exports/${data.day.date}/runs`)}">
    !${csrfField(view)}
    <p>Exporting the day again removes its manifest, rewrites its files and writes a new manifest.</p>
    <button type="submit">Export this day again</button>
  </form>`
}

/** Seconds between reloads of a run's page while it runs. */
export const runPageRefreshSeconds = 2

/**
 * GET /console/:brandId/exports/runs/:runId: a run's status and progress, what GET
 * /v1/{brandId}/exports/runs/{runId} answers. While it runs the page reloads itself (a meta
 * refresh: no script needed).
 */
export function exportRunPage(view: ConsoleView, run: ExportRun): string {
  const total = run.files_total
  const files = total === null ? `${run.files_written} files` : `${run.files_written} of ${total} files`
  const ended = run.ended_at?.toISOString()
  return consolePage({
    title: `Export run of ${run.brand_id} for ${run.date}`,
    view,
    head: run.status === 'running' ? html`<meta http-equiv="refresh" content="${runPageRefreshSeconds}">` : '',
    body: html`<p><span class="status status-${run.status}">${run.status}</span>
        (${run.trigger}, started ${run.started_at.toISOString()}!${ended ? html`, ended ${ended}` : ''}).
        <a href="${consolePath(run.brand_id, `/exports/${run.date}`)}">Back to ${run.date}</a></p>
      <p>
        <label for="run-progress">Files written</label>
        <progress id="run-progress" max="${total ?? run.files_written}" value="${run.files_written}">${files}</progress>
        <span class="progress-text">${files}, ${number(Number(run.rows_written))} rows</span>
        (last report ${run.progress_at.toISOString()}).
      </p>
      !${run.status === 'running' ? html`<p role="status">This page reloads every ${runPageRefreshSeconds} seconds until the run ends.</p>` : ''}
      !${run.status === 'succeeded' ? html`<p role="status" class="notice">Done: ${number(Number(run.rows))} rows, ${number(Number(run.bytes))} bytes; manifest <code>${run.manifest_path ?? ''}</code> in <code>${run.destination}</code>.</p>` : ''}
      !${run.error ? html`<p role="alert" class="problem">${run.error}</p>` : ''}`,
  })
}
