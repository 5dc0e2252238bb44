import type { FastifyPluginAsync } from 'fastify'
import { getBrand, listBrands } from '../brands/brand-repository.ts'
import { yesterday } from '../calendar/time-zone.ts'
import { consolePath } from '../console/layout.ts'
import { type BrandOverview, brandOverviewPage, operatorOverviewPage } from '../console/overview-page.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Brand } from '../db/database.ts'
import { type ExportDay, exportDays, exportYesterdays } from '../exports/export-days.ts'
import { failAbandonedRuns } from '../exports/export-runs.ts'
import { parseClockTime } from '../exports/nightly-scheduler.ts'
import { ingestionSummary } from '../ingest/ingestion-summary.ts'
import { webhookHealth } from '../webhooks/webhook-health.ts'
import { sendPage } from './console-reply.ts'

export interface OverviewOptions {
  database: DatabaseHandle
  /** Brand-local HH:MM by which yesterday's export must be complete (FLEX_SCHEDULE_DEADLINE). */
  deadline: string
  now: () => Date
}

/**
 * The overview: GET /console (an operator's: every brand; a brand key goes to its brand's) and
 * GET /console/:brandId. What it shows is what GET /v1/{brandId}/exports/days answers for yesterday,
 * and on a brand's own overview what GET /v1/{brandId}/ingestion/summary answers.
 */
export const consoleOverviewPages: FastifyPluginAsync<OverviewOptions> = async (app, options) => {
  const { db } = options.database
  const deadlineMinutes = parseClockTime(options.deadline)

  const overviewOf = async (brand: Brand): Promise<BrandOverview> => {
    const now = options.now()
    const day = yesterday(brand.timezone, now)
    const [yesterdayExport] = await exportDays(db, brand, { from: day, to: day }, { now, deadlineMinutes })
    if (!yesterdayExport) throw new Error(`exportDays answered no day for ${brand.id} ${day}`)
    return { brandId: brand.id, timezone: brand.timezone, deadline: options.deadline, yesterday: yesterdayExport }
  }

  app.get('/', async (request, reply) => {
    const { session } = request.consoleView
    if (!session.operator) return reply.redirect(consolePath(session.brandId), 303)
    // Every brand's yesterday in one query: with 100 brands, one query each took 100-700 ms.
    const now = options.now()
    // A run whose process died shows as failed, not running, as the exports view does.
    await failAbandonedRuns(db, now)
    const brands = await listBrands(db)
    const days = await exportYesterdays(db, brands, { now, deadlineMinutes })
    const overviews = brands.map((brand) => ({
      brandId: brand.id,
      timezone: brand.timezone,
      deadline: options.deadline,
      yesterday: days.get(brand.id) as ExportDay,
    }))
    return sendPage(reply, operatorOverviewPage(request.consoleView, overviews))
  })

  app.get<{ Params: { brandId: string } }>('/:brandId', async (request, reply) => {
    const { brandId } = request.params
    const now = options.now()
    await failAbandonedRuns(db, now, { brandId })
    const [overview, health, ingestion] = await Promise.all([
      getBrand(db, brandId).then(overviewOf),
      webhookHealth(db, brandId, now),
      ingestionSummary(db, brandId, now),
    ])
    return sendPage(
      reply,
      brandOverviewPage(request.consoleView, { ...overview, webhooks: { health, now }, ingestion }),
    )
  })
}
