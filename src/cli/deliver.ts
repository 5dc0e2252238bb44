import { once } from 'node:events'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import type { DeliveryMetrics } from '../webhooks/delivery-metrics.ts'
import { type DeliveryServiceOptions, startDeliveryWorker } from '../webhooks/delivery-worker.ts'
import { type CommandContext, defineCommand, withDatabase } from './command.ts'
import { processMetrics, startMetricsListener } from './metrics-listener.ts'

export const deliverCommand = defineCommand({
  name: 'deliver',
  summary: 'run the webhook delivery worker (several may run against one database)',
  help: `Usage: flex deliver

Delivers webhook events (docs/webhooks.md) until SIGTERM or SIGINT: fans the outbox out to the
webhooks that want each event, sends each attempt signed, and retries on the published schedule.
On a signal it stops taking work, finishes the attempts in flight (each ends within 10 s),
records them and exits 0. Several workers may run against one database; a worker that dies
leaves its deliveries to the others after FLEX_DELIVERY_LEASE_SECONDS.

With FLEX_METRICS_PORT and FLEX_METRICS_TOKEN set, GET /metrics on that port answers Prometheus
text to that Bearer token: attempts by outcome, latencies, the backlog (docs/operations.md).

Settings: FLEX_WEBHOOK_ALLOW_NETWORKS, FLEX_DELIVERY_CONCURRENCY, FLEX_DELIVERY_PER_WEBHOOK,
FLEX_DELIVERY_LEASE_SECONDS, FLEX_METRICS_PORT, FLEX_METRICS_TOKEN (README: Configuration).

Exit codes: 0 stopped by a signal; 1 the database cannot be reached; 2 invalid settings (a
metrics port in use, or set without a token) or a database in DATABASE_URL that does not exist.`,
  options: {},
  async run(_args, context) {
    return withDatabase(context, async (database) => {
      const signal = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')])
      const metrics = processMetrics(database.db, context.config.FLEX_SCHEDULE_DEADLINE)
      const listener = await startMetricsListener(metrics, context.config, context.log)
      const worker = startDeliveryWorker(deliveryOptions(database.db, context, metrics.delivery))
      context.log.info({ concurrency: context.config.FLEX_DELIVERY_CONCURRENCY }, 'delivering webhooks')
      const [name] = (await signal) as [string]
      context.log.info({ signal: name }, 'stopping: finishing webhook attempts in flight')
      await worker.stop()
      await listener?.close()
      return 0
    })
  },
})

/** The worker's settings from the environment, shared with `flex serve --deliver`. */
export function deliveryOptions(
  db: Kysely<Database>,
  context: CommandContext,
  metrics?: DeliveryMetrics,
): DeliveryServiceOptions {
  const { config } = context
  return {
    db,
    metrics,
    logger: context.log.child({ component: 'webhook-delivery' }),
    allowNetworks: config.FLEX_WEBHOOK_ALLOW_NETWORKS,
    concurrency: config.FLEX_DELIVERY_CONCURRENCY,
    perWebhook: config.FLEX_DELIVERY_PER_WEBHOOK,
    leaseMs: config.FLEX_DELIVERY_LEASE_SECONDS * 1000,
  }
}
