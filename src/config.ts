import { z } from 'zod'

// Every setting the platform reads from the environment, with its default. Empty strings count
// as unset, so `FOO= flex ...` falls back to the default rather than failing validation.
const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value)

const configSchema = z.object({
  /** PostgreSQL connection string. Unset: an embedded PGlite database lives for the process. */
  DATABASE_URL: z.preprocess(emptyAsUnset, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  /** Folder of the embedded PGlite database used when DATABASE_URL is unset. */
  FLEX_EMBEDDED_DIR: z.preprocess(emptyAsUnset, z.string().default('./.flex/pglite')),
  /** Where `flex export` writes when --dest is not given: a folder path. */
  FLEX_EXPORT_DEST: z.preprocess(emptyAsUnset, z.string().default('./exports')),
  /** Rows fetched from the export cursor per round trip. */
  FLEX_EXPORT_CHUNK_ROWS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(100).max(100_000).default(1_000)),
  /** Brand-local time from which `flex schedule` exports yesterday, HH:MM. */
  FLEX_SCHEDULE_AT: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .default('02:00'),
  ),
  /** Brand-local time by which yesterday must be complete, HH:MM; later is logged as an error. */
  FLEX_SCHEDULE_DEADLINE: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .default('04:00'),
  ),
  /** Set by Cloud Run Jobs: this task's index and the job's task count, for `flex export` sharding. */
  CLOUD_RUN_TASK_INDEX: z.preprocess(emptyAsUnset, z.string().regex(/^\d+$/).optional()),
  CLOUD_RUN_TASK_COUNT: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^[1-9]\d*$/)
      .optional(),
  ),
  /** Port `flex serve` listens on. */
  PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65_535).default(8080)),
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  LOG_LEVEL: z.preprocess(
    emptyAsUnset,
    z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  ),
})

export type Config = Readonly<z.infer<typeof configSchema>>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`)
  }
  return Object.freeze(parsed.data)
}
