import { z } from 'zod'
import { parseCidr } from './webhooks/endpoint-url.ts'

// Every setting the platform reads from the environment, with its default. Empty strings count
// as unset, so `FOO= flex ...` falls back to the default rather than failing validation. Each
// problem message says what the variable expects, and all of them are reported at once.
const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value)
const expecting = (what: string) => ({ error: `expected ${what}` })

const timeOfDay = expecting('a time of day HH:MM (00:00 to 23:59)')
const chunkRows = expecting('a whole number from 100 to 100000')
const port = expecting('a port number from 0 to 65535')
const wholeNumber = (min: number, max: number, fallback: number) => {
  const rule = expecting(`a whole number from ${min} to ${max}`)
  return z.preprocess(emptyAsUnset, z.coerce.number(rule).int(rule).min(min, rule).max(max, rule).default(fallback))
}
const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

const configSchema = z.object({
  /** PostgreSQL connection string. Unset: an embedded PGlite database lives for the process. */
  DATABASE_URL: z.preprocess(
    emptyAsUnset,
    z.url({ protocol: /^postgres(ql)?$/, ...expecting('a postgres:// or postgresql:// connection string') }).optional(),
  ),
  /** Folder of the embedded PGlite database used when DATABASE_URL is unset. */
  FLEX_EMBEDDED_DIR: z.preprocess(emptyAsUnset, z.string().default('./.flex/pglite')),
  /** Where exports go when --dest is not given: a folder path or gs://BUCKET/PREFIX. */
  FLEX_EXPORT_DEST: z.preprocess(emptyAsUnset, z.string().default('./exports')),
  /** Rows fetched from the export cursor per round trip. */
  FLEX_EXPORT_CHUNK_ROWS: z.preprocess(
    emptyAsUnset,
    z.coerce.number(chunkRows).int(chunkRows).min(100, chunkRows).max(100_000, chunkRows).default(1_000),
  ),
  /** Brand-local time from which `flex schedule` exports yesterday, HH:MM. */
  FLEX_SCHEDULE_AT: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, timeOfDay)
      .default('02:00'),
  ),
  /** Brand-local time by which yesterday must be complete, HH:MM; later is logged as an error. */
  FLEX_SCHEDULE_DEADLINE: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, timeOfDay)
      .default('04:00'),
  ),
  /** Set by Cloud Run Jobs: this task's index and the job's task count, for `flex export` sharding. */
  CLOUD_RUN_TASK_INDEX: z.preprocess(
    emptyAsUnset,
    z.string().regex(/^\d+$/, expecting('a whole number, 0 or more')).optional(),
  ),
  CLOUD_RUN_TASK_COUNT: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^[1-9]\d*$/, expecting('a whole number, 1 or more'))
      .optional(),
  ),
  /** Port `flex serve` listens on. */
  PORT: z.preprocess(emptyAsUnset, z.coerce.number(port).int(port).min(0, port).max(65_535, port).default(8080)),
  /**
   * Networks (comma-separated CIDRs, e.g. 127.0.0.0/8,::1/128) that webhooks may be delivered to
   * although they are not public, plain http included. Unset: public https endpoints only.
   */
  FLEX_WEBHOOK_ALLOW_NETWORKS: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .default('')
      .transform((text, context) => {
        const cidrs = text
          .split(',')
          .map((cidr) => cidr.trim())
          .filter((cidr) => cidr !== '')
        for (const cidr of cidrs) {
          const parsed = parseCidr(cidr)
          if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: `expected CIDRs: ${parsed}` })
        }
        return cidrs
      }),
  ),
  /** Webhook attempts one delivery worker keeps in flight. */
  FLEX_DELIVERY_CONCURRENCY: wholeNumber(1, 1_000, 64),
  /** Attempts in flight to one webhook, across all workers: one slow endpoint holds no more. */
  FLEX_DELIVERY_PER_WEBHOOK: wholeNumber(1, 1_000, 16),
  /**
   * Seconds a worker holds the deliveries it took; a dead worker's deliveries are attempted again
   * after it. At least 15, more than an attempt's 10 s, so a live worker never loses one mid-attempt.
   */
  FLEX_DELIVERY_LEASE_SECONDS: wholeNumber(15, 600, 30),
  /** Bearer token a Prometheus scraper sends to GET /metrics (flex serve, and the FLEX_METRICS_PORT listener). Unset: /metrics is 404. */
  FLEX_METRICS_TOKEN: z.preprocess(emptyAsUnset, z.string().optional()),
  /** Port on which `flex deliver` and `flex schedule` answer GET /metrics (needs FLEX_METRICS_TOKEN). Unset: no listener. */
  FLEX_METRICS_PORT: z.preprocess(
    emptyAsUnset,
    z.coerce.number(port).int(port).min(0, port).max(65_535, port).optional(),
  ),
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  LOG_LEVEL: z.preprocess(emptyAsUnset, z.enum(logLevels, expecting(`one of ${logLevels.join(', ')}`)).default('info')),
})

export type Config = Readonly<z.infer<typeof configSchema>>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`invalid environment: ${problems.join('; ')}; fix or unset them (README: Configuration)`)
  }
  return Object.freeze(parsed.data)
}
