import type { FastifyPluginAsync } from 'fastify'
import { getBrand } from '../brands/brand-repository.ts'
import { isValidDate } from '../calendar/calendar-date.ts'
import { yesterday } from '../calendar/time-zone.ts'
import { exportDayPage, exportRunPage, exportsCalendarPage } from '../console/exports-page.ts'
import { consolePath } from '../console/layout.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { exportDays, parseExportDayRange } from '../exports/export-days.ts'
import type { ExportRunStarter } from '../exports/export-run-starter.ts'
import { failAbandonedRuns, readExportRun } from '../exports/export-runs.ts'
import { parseClockTime } from '../exports/nightly-scheduler.ts'
import { sendPage } from './console-reply.ts'

export interface ConsoleExportsOptions {
  database: DatabaseHandle
  /** Brand-local HH:MM by which a day must be complete (FLEX_SCHEDULE_DEADLINE). */
  deadline: string
  now: () => Date
  /** Starts "export this day again" (flex serve's); without it that form answers 503. */
  starter?: ExportRunStarter | undefined
}

/**
 * The console's exports view, over the same feature functions as export-routes.ts:
 *   GET  /console/:brandId/exports                  the 30 days ending yesterday: calendar and charts
 *   GET  /console/:brandId/exports/:date            the day's manifest and runs, "Export this day again"
 *   POST /console/:brandId/exports/:date/runs       starts the run, then 303 to its progress
 *   GET  /console/:brandId/exports/runs/:runId      the run's progress, reloading itself until it ends
 * Registered inside the console's signed-in scope, which has checked the session, the CSRF token
 * and the brand.
 */
export const consoleExportsPages: FastifyPluginAsync<ConsoleExportsOptions> = async (app, options) => {
  const { db } = options.database
  const deadlineMinutes = parseClockTime(options.deadline)

  app.get<{ Params: { brandId: string } }>('/:brandId/exports', async (request, reply) => {
    const now = options.now()
    const brand = await getBrand(db, request.params.brandId)
    const range = parseExportDayRange({}, brand.timezone, now)
    await failAbandonedRuns(db, now, { brandId: brand.id })
    const days = await exportDays(db, brand, range, { now, deadlineMinutes })
    const data = { brandId: brand.id, timezone: brand.timezone, deadline: options.deadline, ...range, days }
    return sendPage(reply, exportsCalendarPage(request.consoleView, data))
  })

  app.get<{ Params: { brandId: string; date: string } }>('/:brandId/exports/:date', async (request, reply) => {
    const now = options.now()
    const { date } = request.params
    if (!isValidDate(date) || date < '1970-01-01') {
      throw new FlexError('NOT_FOUND', `"${date}" is not a day: days are dates YYYY-MM-DD from 1970 on.`)
    }
    const brand = await getBrand(db, request.params.brandId)
    await failAbandonedRuns(db, now, { brandId: brand.id })
    const [day] = await exportDays(db, brand, { from: date, to: date }, { now, deadlineMinutes })
    if (!day) throw new Error(`exportDays answered no day for ${brand.id} ${date}`)
    const exportable = date <= yesterday(brand.timezone, now)
    const data = { brandId: brand.id, timezone: brand.timezone, deadline: options.deadline, day, exportable }
    return sendPage(reply, exportDayPage(request.consoleView, data))
  })

  app.post<{ Params: { brandId: string; date: string } }>('/:brandId/exports/:date/runs', async (request, reply) => {
    if (!options.starter) {
      throw new FlexError('EXPORTS_NOT_STARTED_HERE', 'This server starts no export runs; use flex export instead.')
    }
    const run = await options.starter.start(request.params.brandId, request.params.date)
    return reply.redirect(consolePath(run.brand_id, `/exports/runs/${run.id}`), 303)
  })

  app.get<{ Params: { brandId: string; runId: string } }>('/:brandId/exports/runs/:runId', async (request, reply) => {
    const run = await readExportRun(db, request.params.brandId, request.params.runId, options.now())
    return sendPage(reply, exportRunPage(request.consoleView, run))
  })
}
