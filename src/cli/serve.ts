import { once } from 'node:events'
import { FlexError } from '../errors.ts'
import { ExportRunStarter } from '../exports/export-run-starter.ts'
import { buildApp } from '../http/app.ts'
import { openDestination } from '../storage/open-destination.ts'
import { startDeliveryWorker } from '../webhooks/delivery-worker.ts'
import { defineCommand, withDatabase } from './command.ts'
import { deliveryOptions } from './deliver.ts'
import { processMetrics } from './metrics-listener.ts'

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'run the HTTP API (port from PORT, default 8080); --deliver also delivers webhooks',
  help: `Usage: flex serve [--deliver]

Serves the ingestion API (docs/ingestion.md), the webhooks API (docs/webhooks.md) and the exports'
days (docs/exports.md, deadline FLEX_SCHEDULE_DEADLINE) on 0.0.0.0:$PORT (default 8080) until SIGTERM or
SIGINT, then finishes the requests in flight and the export runs it started, and exits 0. Exits 2
when the port is taken. A day exported again over HTTP (POST .../exports/days/DATE/runs) is written
to $FLEX_EXPORT_DEST (default ./exports), as flex export writes it.
With FLEX_METRICS_TOKEN set, GET /metrics answers Prometheus text to that Bearer token (docs/operations.md).

  --deliver   also run the webhook delivery worker in this process (as flex deliver does): for small
              installs and the embedded database, which one process at a time can open`,
  options: { deliver: { type: 'boolean' } },
  async run(args, context) {
    const port = context.config.PORT
    return withDatabase(context, async (database) => {
      // Listening for the signals before the port opens, so that none arrives unhandled.
      const signal = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')])
      // One registry for the API and, with --deliver, the worker: its /metrics shows both.
      const metrics = processMetrics(database.db, context.config.FLEX_SCHEDULE_DEADLINE)
      // POST /v1/{brand}/exports/days/{date}/runs exports to the same destination as flex export.
      const exportStarter = new ExportRunStarter({
        database,
        destination: openDestination(context.config.FLEX_EXPORT_DEST),
        chunkRows: context.config.FLEX_EXPORT_CHUNK_ROWS,
        log: context.log,
        metrics: metrics.exports,
      })
      const app = buildApp({
        exportStarter,
        database,
        metrics,
        log: context.log,
        webhookAllowNetworks: context.config.FLEX_WEBHOOK_ALLOW_NETWORKS,
        metricsToken: context.config.FLEX_METRICS_TOKEN,
        scheduleDeadline: context.config.FLEX_SCHEDULE_DEADLINE,
      })
      try {
        await app.listen({ host: '0.0.0.0', port })
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EADDRINUSE' || code === 'EACCES') {
          throw new FlexError(
            'CONFIG',
            `port ${port} is ${code === 'EADDRINUSE' ? 'in use' : 'not open to this user'}; set PORT to a free port`,
            { cause: error },
          )
        }
        throw error
      }
      const worker = args.values.deliver
        ? startDeliveryWorker(deliveryOptions(database.db, context, metrics.delivery))
        : undefined
      const [name] = (await signal) as [string]
      context.log.info({ signal: name }, 'stopping: finishing requests in flight')
      await app.close()
      await worker?.stop()
      // Export runs started over HTTP end first: one cut short would be left to be marked abandoned.
      await exportStarter.close()
      return 0
    })
  },
})
