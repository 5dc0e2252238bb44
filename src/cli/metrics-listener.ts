import type { Kysely } from 'kysely'
import type { Config } from '../config.ts'
import type { Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import { type MetricsServer, startMetricsServer } from '../http/metrics-server.ts'
import type { Logger } from '../logger.ts'
import { createPlatformMetrics, type PlatformMetrics } from '../metrics/platform-metrics.ts'
import { readPlatformState } from '../metrics/platform-state.ts'

/**
 * The process's registry, whose gauges read `db` at each scrape; `deadline` is the brand-local
 * HH:MM by which yesterday's export is due (FLEX_SCHEDULE_DEADLINE, or flex schedule's --deadline).
 */
export function processMetrics(db: Kysely<Database>, deadline: string): PlatformMetrics {
  return createPlatformMetrics(() => readPlatformState(db, { deadline }))
}

/**
 * Starts GET /metrics on FLEX_METRICS_PORT for flex deliver and flex schedule; undefined when the
 * port is unset. A port without FLEX_METRICS_TOKEN is a configuration error (exit 2): the listener
 * would answer nothing but 404.
 */
export async function startMetricsListener(
  metrics: PlatformMetrics,
  config: Config,
  log: Logger,
): Promise<MetricsServer | undefined> {
  const port = config.FLEX_METRICS_PORT
  if (port === undefined) return undefined
  const token = config.FLEX_METRICS_TOKEN
  if (token === undefined) {
    throw new FlexError(
      'CONFIG',
      'FLEX_METRICS_PORT is set but FLEX_METRICS_TOKEN is not: set the token scrapers send, or unset the port',
    )
  }
  const server = await startMetricsServer({ metrics, token, port })
  log.info({ port: server.port }, 'serving GET /metrics')
  return server
}
