import { getBrand } from '../brands/brand-repository.ts'
import { isValidDate } from '../calendar/calendar-date.ts'
import { localDate, yesterday } from '../calendar/time-zone.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { Destination } from '../storage/destination.ts'
import { startExportDay } from './export-day.ts'
import type { ExportMetrics } from './export-metrics.ts'
import { dayIsGzipped, type ExportRun, exportLockKey, failAbandonedRuns, findRunningRun } from './export-runs.ts'

export interface ExportRunStarterOptions {
  database: DatabaseHandle
  /** Where the runs write: flex serve's FLEX_EXPORT_DEST, as flex export's default. */
  destination: Destination
  chunkRows?: number
  log: Logger
  /** Where the runs' durations and rows are recorded (flex serve's /metrics); none by default. */
  metrics?: ExportMetrics | undefined
  /** The clock for the runs' times and for which days have ended; tests fix it. */
  now?: () => Date
}

/**
 * Starts brand-day exports in the background of a long-running process (flex serve's POST
 * .../exports/days/{date}/runs): the same exportDay as flex export, one run per brand-day at a time.
 * A run outlives the request that started it; close() waits for the runs still under way.
 */
export class ExportRunStarter {
  readonly #options: ExportRunStarterOptions
  readonly #now: () => Date
  /** Brand-days this process is starting or running, with the run's id once it has one. */
  readonly #busy = new Map<string, string | undefined>()
  readonly #running = new Set<Promise<unknown>>()

  constructor(options: ExportRunStarterOptions) {
    this.#options = options
    this.#now = options.now ?? (() => new Date())
  }

  /**
   * Records a run of the brand-day as running and starts it; resolves with the run as recorded.
   * 422 INVALID_EXPORT_DAY for a day that is not a date or has not ended in the brand's timezone;
   * 409 EXPORT_IN_PROGRESS while a run of that brand-day is under way (here or in another process).
   * The day keeps the compression of its current manifest (plain CSV when it has none).
   */
  async start(brandId: string, date: string): Promise<ExportRun> {
    const { database, destination, log } = this.#options
    const { db } = database
    const brand = await getBrand(db, brandId)
    checkExportableDay(date, brand.timezone, this.#now())
    const key = exportLockKey(brand.id, date)
    if (this.#busy.has(key)) throw inProgress(brand.id, date, this.#busy.get(key))
    this.#busy.set(key, undefined)
    try {
      await failAbandonedRuns(db, this.#now(), { brandId: brand.id })
      const running = await findRunningRun(db, brand.id, date)
      if (running) throw inProgress(brand.id, date, running.id)
      const gzip = (await dayIsGzipped(db, brand.id, date)) ?? false
      const { run, finished } = await startExportDay({
        database,
        destination,
        brand,
        date,
        gzip,
        log,
        trigger: 'manual',
        now: this.#now,
        metrics: this.#options.metrics,
        ...(this.#options.chunkRows === undefined ? {} : { chunkRows: this.#options.chunkRows }),
      })
      const runId = run.id
      this.#busy.set(key, runId)
      const settled = finished.then(
        (result) => log.info({ brand: brand.id, date, run_id: runId, rows: result.rows }, 'export run done'),
        (error: Error) => log.error({ brand: brand.id, date, run_id: runId, err: error }, error.message),
      )
      this.#running.add(settled)
      void settled.finally(() => {
        this.#running.delete(settled)
        this.#busy.delete(key)
      })
      // The run as recorded, not read back: on the embedded database the export holds the one
      // connection until it ends, and this answer should not wait for that.
      return run
    } catch (error) {
      if (this.#busy.get(key) === undefined) this.#busy.delete(key)
      throw error
    }
  }

  /** Waits for every run this starter started to end. */
  async close(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running])
  }
}

/**
 * A day that can be exported: a calendar date from 1970 on that has ended in the brand's timezone
 * (today would be exported incomplete, its manifest claiming otherwise).
 */
export function checkExportableDay(date: string, timezone: string, now: Date): void {
  let rule: string | undefined
  if (!isValidDate(date) || date < '1970-01-01') {
    rule = 'the day must be a calendar date YYYY-MM-DD from 1970-01-01 on, such as 2026-11-01'
  } else if (date > yesterday(timezone, now)) {
    rule = `${date} has not ended yet in ${timezone} (it is ${localDate(now, timezone)} there); export a day up to ${yesterday(timezone, now)}`
  }
  if (rule !== undefined) {
    throw new FlexError('INVALID_EXPORT_DAY', `The day cannot be exported: ${rule}.`, { validations: { date: rule } })
  }
}

function inProgress(brandId: string, date: string, runId: string | undefined): FlexError {
  const run = runId === undefined ? 'a run' : `run ${runId}`
  return new FlexError(
    'EXPORT_IN_PROGRESS',
    `${run} is exporting brand ${brandId}, ${date} now; follow it, and start another once it has ended.`,
  )
}
