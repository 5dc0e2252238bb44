import type { FastifyPluginAsync } from 'fastify'
import type { z } from 'zod'
import { getBrand } from '../brands/brand-repository.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { exportDays, parseExportDayRange } from '../exports/export-days.ts'
import type { ExportRunStarter } from '../exports/export-run-starter.ts'
import { type ExportRun, failAbandonedRuns, readExportRun } from '../exports/export-runs.ts'
import { parseClockTime } from '../exports/nightly-scheduler.ts'
import type { exportDaysResponse, exportRunResponse } from './response-schemas.ts'
import type { BrandParams } from './route-params.ts'

export interface ExportRoutesOptions {
  database: DatabaseHandle
  /** Brand-local HH:MM on the next day by which a day must be complete (FLEX_SCHEDULE_DEADLINE). */
  deadline: string
  /** The current instant; tests fix it. */
  now: () => Date
  /** Starts the runs of POST .../runs (flex serve's, to FLEX_EXPORT_DEST); without it that answers 503. */
  starter?: ExportRunStarter | undefined
}

/**
 * The brand's daily exports, registered under /v1 behind the API key check: what the console's
 * exports view shows, and its "export this day again".
 *   GET  /:brandId/exports/days?from&to        each brand-local day with its status, manifest and runs
 *   POST /:brandId/exports/days/:date/runs     export the day again, in the background: 202 and the run
 *   GET  /:brandId/exports/runs/:runId         a run's status and progress
 * Runs whose process died are marked failed before any of them answers (failAbandonedRuns).
 */
export const exportRoutes: FastifyPluginAsync<ExportRoutesOptions> = async (app, options) => {
  const { db } = options.database
  const deadlineMinutes = parseClockTime(options.deadline)

  app.get<{ Params: BrandParams; Querystring: Record<string, unknown> }>('/:brandId/exports/days', async (request) => {
    const now = options.now()
    const brand = await getBrand(db, request.params.brandId)
    const range = parseExportDayRange(request.query, brand.timezone, now)
    await failAbandonedRuns(db, now, { brandId: brand.id })
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

  app.post<{ Params: BrandParams & { date: string } }>('/:brandId/exports/days/:date/runs', async (request, reply) => {
    if (!options.starter) {
      throw new FlexError(
        'EXPORTS_NOT_STARTED_HERE',
        'This server starts no export runs; run flex export --brand BRAND --date DATE instead.',
      )
    }
    const run = await options.starter.start(request.params.brandId, request.params.date)
    reply.code(202).header('location', `/v1/${encodeURIComponent(run.brand_id)}/exports/runs/${run.id}`)
    return exportRunAnswer(run)
  })

  app.get<{ Params: BrandParams & { runId: string } }>('/:brandId/exports/runs/:runId', async (request) => {
    const { brandId, runId } = request.params
    return exportRunAnswer(await readExportRun(db, brandId, runId, options.now()))
  })
}

/** A run as GET .../exports/runs/{runId} and POST .../runs answer it. */
export function exportRunAnswer(run: ExportRun): z.input<typeof exportRunResponse> {
  return {
    id: run.id,
    brand_id: run.brand_id,
    date: run.date,
    status: run.status,
    trigger: run.trigger,
    started_at: run.started_at.toISOString(),
    ended_at: run.ended_at?.toISOString() ?? null,
    progress: {
      files_total: run.files_total,
      files_written: run.files_written,
      rows_written: Number(run.rows_written),
      reported_at: run.progress_at.toISOString(),
    },
    result:
      run.status === 'succeeded'
        ? {
            files: run.files,
            rows: Number(run.rows),
            bytes: Number(run.bytes),
            quarantined_rows: Number(run.quarantined_rows),
            manifest_path: run.manifest_path,
          }
        : null,
    error: run.error,
  }
}
