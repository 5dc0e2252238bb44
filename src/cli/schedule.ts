import { once } from 'node:events'
import cron from 'node-cron'
import { exitCodes } from '../errors.ts'
import { NightlyScheduler } from '../exports/nightly-scheduler.ts'
import { openDestination } from '../storage/open-destination.ts'
import { defineCommand, withDatabase } from './command.ts'
import { processMetrics, startMetricsListener } from './metrics-listener.ts'

export const scheduleCommand = defineCommand({
  name: 'schedule',
  summary: "run nightly: export every brand's yesterday after its local run time",
  help: `Usage: flex schedule [--dest DIR|gs://BUCKET/PREFIX] [--gzip] [--at HH:MM] [--deadline HH:MM] [--once]

Runs until SIGTERM or SIGINT. Every minute it checks each brand: once the brand's local time
passes --at (default $FLEX_SCHEDULE_AT, else 02:00), yesterday (in the brand's timezone) is due,
and a due day without a successful run in this destination is exported. State lives in the
database, so DST changes, restarts and several replicas neither skip nor repeat a day (replicas
take turns per brand-day under a PostgreSQL advisory lock). A failed day is retried 5 minutes
after its failed attempt ended; a day still incomplete at --deadline (default $FLEX_SCHEDULE_DEADLINE, else 04:00)
is logged as an error naming the brand, day and what went wrong.

On SIGTERM it stops taking new work, lets a running export finish, and exits 0.

With FLEX_METRICS_PORT and FLEX_METRICS_TOKEN set (and without --once), GET /metrics on that port
answers Prometheus text to that Bearer token: export durations, rows, missed deadlines
(docs/operations.md).

--once runs a single check and exits (1 if a due day failed): for an external trigger such as
Cloud Scheduler starting a Cloud Run Job every 15 minutes.

Exit codes: 0 stopped by a signal, or --once found nothing failed; 1 --once and a due day failed;
2 bad arguments or configuration (a destination that cannot be written, --deadline not after --at,
a metrics port in use or set without a token).`,
  options: {
    dest: { type: 'string' },
    gzip: { type: 'boolean' },
    at: { type: 'string' },
    deadline: { type: 'string' },
    once: { type: 'boolean' },
  },
  async run({ values }, context) {
    const { config, log } = context
    const destination = openDestination(values.dest ?? config.FLEX_EXPORT_DEST)
    return withDatabase(context, async (database) => {
      const metrics = processMetrics(database.db, values.deadline ?? config.FLEX_SCHEDULE_DEADLINE)
      const scheduler = new NightlyScheduler({
        database,
        destination,
        log,
        gzip: values.gzip ?? false,
        runAt: values.at ?? config.FLEX_SCHEDULE_AT,
        deadline: values.deadline ?? config.FLEX_SCHEDULE_DEADLINE,
        metrics: metrics.exports,
      })
      await destination.checkWritable()
      if (values.once) {
        const actions = await scheduler.tick()
        for (const action of actions) log.info(action, 'schedule check')
        return actions.some((a) => a.action === 'failed') ? exitCodes.failure : exitCodes.ok
      }
      const tick = async () => {
        try {
          const actions = await scheduler.tick()
          for (const action of actions.filter((a) => a.action !== 'complete')) log.info(action, 'schedule tick')
        } catch (error) {
          log.error({ err: error }, `schedule tick failed: ${(error as Error).message}`)
        }
      }
      // Not for --once: a process that ends after one check is never scraped.
      const listener = await startMetricsListener(metrics, config, log)
      const task = cron.schedule('* * * * *', tick, { name: 'nightly-export', noOverlap: true, timezone: 'UTC' })
      log.info({ destination: destination.description }, 'schedule started; checking every minute')
      void tick()
      const [signal] = await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')])
      log.info({ signal }, 'stopping: waiting for a running export to finish')
      await task.stop()
      while (task.isBusy()) await new Promise((resolve) => setTimeout(resolve, 200))
      await task.destroy()
      await listener?.close()
      return 0
    })
  },
})
