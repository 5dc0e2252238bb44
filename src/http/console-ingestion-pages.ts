import type { FastifyPluginAsync } from 'fastify'
import { ingestionPage } from '../console/ingestion-page.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { ingestionSummary } from '../ingest/ingestion-summary.ts'
import { rejectionPage } from '../ingest/rejection-log.ts'
import { parseRejectionPageQuery } from '../ingest/rejection-page-request.ts'
import { sendPage } from './console-reply.ts'

export interface IngestionPagesOptions {
  database: DatabaseHandle
  now: () => Date
}

/**
 * The ingestion page: GET /console/:brandId/ingestion?entity&startId&size, from the same feature
 * functions as GET /v1/{brandId}/ingestion/summary and .../ingestion/rejections (and the same
 * query rules: a parameter that breaks one is the console's 422 page naming it).
 */
export const consoleIngestionPages: FastifyPluginAsync<IngestionPagesOptions> = async (app, options) => {
  const { db } = options.database

  app.get<{ Params: { brandId: string }; Querystring: Record<string, unknown> }>(
    '/:brandId/ingestion',
    async (request, reply) => {
      const { brandId } = request.params
      const query = parseRejectionPageQuery(request.query)
      const [summary, rejections] = await Promise.all([
        ingestionSummary(db, brandId, options.now()),
        rejectionPage(db, brandId, query),
      ])
      return sendPage(reply, ingestionPage(request.consoleView, { brandId, summary, rejections, query }))
    },
  )
}
