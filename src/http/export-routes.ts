import type { FastifyPluginAsync } from 'fastify'
import type { z } from 'zod'
import { getBrand } from '../brands/brand-repository.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { exportDays, parseExportDayRange } from '../exports/export-days.ts'
import { parseClockTime } from '../exports/nightly-scheduler.ts'
import type { exportDaysResponse } from './response-schemas.ts'

export interface ExportRoutesOptions {
  database: DatabaseHandle
  /** Brand-local HH:MM on the next day by which a day must be complete (FLEX_SCHEDULE_DEADLINE). */
  deadline: string
  /** The current instant; tests fix it. */
  now: () => Date
}

interface BrandParams {
  brandId: string
}

/**
 * The brand's daily exports, registered under /v1 behind the API key check: what the console's
 * exports view shows.
 *   GET /:brandId/exports/days?from&to   each brand-local day with its status, manifest and runs
 */
export const exportRoutes: FastifyPluginAsync<ExportRoutesOptions> = async (app, options) => {
  const { db } = options.database
  const deadlineMinutes = parseClockTime(options.deadline)

  app.get<{ Params: BrandParams; Querystring: Record<string, unknown> }>('/:brandId/exports/days', async (request) => {
    const now = options.now()
    const brand = await getBrand(db, request.params.brandId)
    const range = parseExportDayRange(request.query, brand.timezone, now)
    const days = await exportDays(db, brand, range, { now, deadlineMinutes })
    const answer: z.input<typeof exportDaysResponse> = {
      brand_id: brand.id,
      timezone: brand.timezone,
      deadline: options.deadline,
      from: range.from,
      to: range.to,
      days: days.map((day) => ({
        ...day,
        runs: day.runs.map((run) => ({
          ...run,
          started_at: run.started_at.toISOString(),
          ended_at: run.ended_at?.toISOString() ?? null,
        })),
      })),
    }
    return answer
  })
}
