import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import type { ExportRunStarter } from '../exports/export-run-starter.ts'
import { entityTypes } from '../ingest/entity-types.ts'
import type { Logger } from '../logger.ts'
import { createPlatformMetrics, type PlatformMetrics } from '../metrics/platform-metrics.ts'
import { readPlatformState } from '../metrics/platform-state.ts'
import { AllowedNetworks } from '../webhooks/endpoint-url.ts'
import { WebhookSender } from '../webhooks/send-webhook-request.ts'
import { apiKeyAuth, authenticate } from './api-key-auth.ts'
import { consoleRoutes } from './console-routes.ts'
import { sendApiError, sendClientError } from './error-handler.ts'
import { eventRoutes } from './event-routes.ts'
import { exportRoutes } from './export-routes.ts'
import { ingestionRoutes } from './ingestion-routes.ts'
import { defaultBodyLimit, defaultMaxRecords, maxParamLength } from './limits.ts'
import { addMetricsRoute } from './metrics-route.ts'
import { openApiDocument } from './openapi.ts'
import { webhookRoutes } from './webhook-routes.ts'

export interface AppOptions {
  database: DatabaseHandle
  log?: Logger | false
  /** Records accepted in one request. */
  maxRecords?: number
  /** Bytes accepted in one request body. */
  bodyLimit?: number
  /** Requests each API key may make per window; more get 429 with Retry-After. */
  rateLimit?: { requests: number; windowMs: number }
  /** CIDRs that webhook endpoints may point into although not public (FLEX_WEBHOOK_ALLOW_NETWORKS). */
  webhookAllowNetworks?: readonly string[]
  /** FLEX_METRICS_TOKEN: GET /metrics answers a scraper presenting it; unset, /metrics is 404. */
  metricsToken?: string | undefined
  /** Where request durations and ingested records are counted; by default a registry of this app's own. */
  metrics?: PlatformMetrics
  /** Brand-local HH:MM by which yesterday's export must be complete (FLEX_SCHEDULE_DEADLINE, default 04:00). */
  scheduleDeadline?: string
  /** The current instant, for answers that depend on it (exports' day statuses); tests fix it. */
  now?: () => Date
  /**
   * Starts the export runs of POST /v1/{brand}/exports/days/{date}/runs in this process (flex
   * serve's, to FLEX_EXPORT_DEST); its owner closes it after the app. Without it that answers 503.
   */
  exportStarter?: ExportRunStarter
  /** How long a console sign-in lasts (default 8 h). */
  consoleSessionLifetimeMs?: number
}

/**
 * The HTTP API. Built here, started by `flex serve`; tests drive it with inject().
 *   GET /healthz, /openapi.json   public
 *   GET /metrics                  Prometheus text, behind FLEX_METRICS_TOKEN (metrics-route.ts)
 *   /console/...                  the web console's pages, behind a session cookie (console-routes.ts)
 *   /v1/...                       behind the API key check (api-key-auth.ts), one route plugin per
 *                                 surface: ingestion (ingestion-routes.ts), webhooks (webhook-routes.ts),
 *                                 publishing events (event-routes.ts),
 *                                 the daily exports' statuses and runs (export-routes.ts)
 * Every error, Fastify's own included, leaves through one handler in the APIErrorResponse shape.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { database } = options
  // Fastify 5 takes an existing pino logger as loggerInstance; `logger` accepts only options.
  const loggerInstance: FastifyBaseLogger | undefined = options.log || undefined
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : { logger: false }),
    bodyLimit: options.bodyLimit ?? defaultBodyLimit,
    routerOptions: { maxParamLength },
    // The router's own errors (a path that is not valid percent-encoding, a segment over
    // maxParamLength) come before any hook, so the key is checked here first for /v1 paths.
    frameworkErrors: (error, request, reply) => {
      const checked = request.url.startsWith('/v1/') ? authenticate(database, request) : Promise.resolve()
      checked.then(
        () => sendApiError(error, request, reply),
        (authError: unknown) => sendApiError(authError, request, reply),
      )
    },
    clientErrorHandler: sendClientError,
    // While stopping, a request that still reaches the server (on a connection already open) is
    // served like any other, instead of Fastify's own 503 body outside the APIErrorResponse shape.
    return503OnClosing: false,
  })
  app.setErrorHandler(sendApiError)
  // The test events of POST .../webhooks/{id}/test go out through one guarded sender (the same
  // address rules as the delivery worker's), whose kept-alive connections close with the app.
  const allowedNetworks = new AllowedNetworks(options.webhookAllowNetworks ?? [])
  const webhookSender = new WebhookSender({ allowed: allowedNetworks })
  app.addHook('onClose', async () => {
    await webhookSender.close()
  })
  // Once stopping, answers close their connection: a client's idle keep-alive connection would
  // otherwise hold the stopping server open until it times out.
  let stopping = false
  app.addHook('preClose', async () => {
    stopping = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (stopping) reply.header('connection', 'close')
  })
  app.setNotFoundHandler((request) => {
    throw new FlexError('NOT_FOUND', `no route ${request.method} ${request.url}; GET /openapi.json lists the routes`)
  })

  const deadline = options.scheduleDeadline ?? '04:00'
  const metrics = options.metrics ?? createPlatformMetrics(() => readPlatformState(database.db, { deadline }))
  addMetricsRoute(app, { metrics, token: options.metricsToken })

  const openApi = openApiDocument()
  app.get('/openapi.json', async () => openApi)
  app.get('/healthz', async () => {
    try {
      await database.pool.query('select 1')
    } catch (error) {
      throw new FlexError(
        'DATABASE_UNREACHABLE',
        `The database does not answer (${(error as Error).message}); this answer turns 200 once it does.`,
        { cause: error },
      )
    }
    return { status: 'ok' }
  })

  app.register(consoleRoutes, {
    database,
    deadline: options.scheduleDeadline ?? '04:00',
    now: options.now ?? (() => new Date()),
    exportStarter: options.exportStarter,
    ...(options.consoleSessionLifetimeMs === undefined ? {} : { sessionLifetimeMs: options.consoleSessionLifetimeMs }),
    webhooks: { allowedNetworks, sender: webhookSender },
    prefix: '/console',
  })

  app.register(
    async (v1) => {
      await v1.register(apiKeyAuth, {
        database,
        rateLimit: options.rateLimit ?? { requests: 3_000, windowMs: 60_000 },
      })
      v1.setNotFoundHandler((request) => {
        const type = request.url.split('?')[0]?.split('/')[3]
        const known =
          type === 'webhooks' ||
          type === 'events' ||
          type === 'exports' ||
          type === 'ingestion' ||
          (entityTypes as readonly string[]).includes(type ?? '')
        if (type !== undefined && type !== '' && !known) {
          throw new FlexError('NOT_FOUND', `unknown entity type "${type}"; use one of ${entityTypes.join(', ')}`)
        }
        throw new FlexError(
          'NOT_FOUND',
          `no route ${request.method} ${request.url}; GET /openapi.json lists the routes`,
        )
      })
      await v1.register(ingestionRoutes, {
        database,
        maxRecords: options.maxRecords ?? defaultMaxRecords,
        metrics: metrics.ingest,
        now: options.now ?? (() => new Date()),
      })
      await v1.register(webhookRoutes, { database, allowedNetworks, sender: webhookSender })
      await v1.register(eventRoutes, { database })
      await v1.register(exportRoutes, {
        database,
        deadline,
        now: options.now ?? (() => new Date()),
        starter: options.exportStarter,
      })
    },
    { prefix: '/v1' },
  )
  return app
}
