import { listBrands } from '../brands/brand-repository.ts'
import { addDays } from '../calendar/calendar-date.ts'
import { localClock } from '../calendar/time-zone.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Brand } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { Destination } from '../storage/destination.ts'
import { exportDay } from './export-day.ts'
import type { ExportMetrics } from './export-metrics.ts'
import { failAbandonedRuns } from './export-runs.ts'

export interface NightlySchedulerOptions {
  database: DatabaseHandle
  destination: Destination
  log: Logger
  gzip?: boolean
  /** Brand-local time from which yesterday is due, HH:MM (default 02:00). */
  runAt?: string
  /** Brand-local time by which yesterday must be complete, HH:MM (default 04:00). */
  deadline?: string
  /** Wait after a failed attempt ends before the next one starts (default 5 minutes). */
  retryAfterMs?: number
  /**
   * Read for the time of each tick and for the start and end of each run it records (default: the
   * system clock). A clock, not a Date: a run's end is read when it ends, so its duration is real.
   */
  clock?: () => Date
  /** Where runs and missed deadlines are recorded (flex schedule's /metrics); none by default. */
  metrics?: ExportMetrics | undefined
}

export type BrandAction =
  | { brand: string; date: string; action: 'exported'; rows: number }
  | { brand: string; date: string; action: 'complete' | 'waiting-to-retry' | 'busy-elsewhere' }
  | { brand: string; date: string; action: 'failed'; error: string }

/**
 * Decides, on every tick, what each brand needs, from the state in the database rather than from
 * when the tick happens. A brand's due day is yesterday once its local run time has passed, else
 * the day before. A due day without a successful run in this destination is exported (under the
 * brand-day lock, so replicas cannot both export it). So a tick that a DST jump skips, a repeated
 * local hour, a restart or a second replica neither skips nor repeats a day. A failed day waits
 * retryAfterMs from when its last attempt ended. Ticks come from cron every minute; tests give the
 * scheduler a simulated clock.
 */
export class NightlyScheduler {
  readonly #options: NightlySchedulerOptions
  readonly #runAt: number
  readonly #deadline: number
  readonly #reportedLate = new Set<string>()
  readonly #clock: () => Date

  constructor(options: NightlySchedulerOptions) {
    this.#options = options
    this.#clock = options.clock ?? (() => new Date())
    this.#runAt = parseClockTime(options.runAt ?? '02:00')
    this.#deadline = parseClockTime(options.deadline ?? '04:00')
    if (this.#deadline <= this.#runAt) {
      throw new FlexError('USAGE', `the deadline ${options.deadline} must be after the run time ${options.runAt}`)
    }
  }

  async tick(): Promise<BrandAction[]> {
    // Runs whose process died are marked failed first, so they neither look busy nor linger.
    const abandoned = await failAbandonedRuns(this.#options.database.db, this.#clock())
    if (abandoned.length > 0)
      this.#options.log.warn({ runs: abandoned }, 'export runs abandoned by their process marked failed')
    const brands = await listBrands(this.#options.database.db)
    const actions: BrandAction[] = []
    for (const brand of brands) actions.push(await this.#tickBrand(brand))
    return actions
  }

  async #tickBrand(brand: Brand): Promise<BrandAction> {
    const { database, destination, log } = this.#options
    // Read per brand: an export of an earlier brand in this tick takes time.
    const now = this.#clock()
    const clock = localClock(now, brand.timezone)
    const date = addDays(clock.date, clock.minutes >= this.#runAt ? -1 : -2)
    const base = { brand: brand.id, date }
    const runs = await database.db
      .selectFrom('export_runs')
      .select(['status', 'ended_at'])
      .where('brand_id', '=', brand.id)
      .where('date', '=', date)
      .where('destination', '=', destination.description)
      .orderBy('started_at', 'desc')
      .execute()
    let action: BrandAction
    if (runs.some((r) => r.status === 'succeeded')) {
      action = { ...base, action: 'complete' }
    } else if (runs[0]?.status === 'failed' && now.getTime() - (runs[0].ended_at?.getTime() ?? 0) < this.retryAfterMs) {
      action = { ...base, action: 'waiting-to-retry' }
    } else {
      action = await this.#export(brand, date)
    }
    // Yesterday late past the deadline: say exactly what is missing, once per brand-day.
    const yesterday = addDays(clock.date, -1)
    if (
      action.action !== 'complete' &&
      action.action !== 'exported' &&
      date === yesterday &&
      clock.minutes >= this.#deadline
    ) {
      const key = `${brand.id}/${date}`
      if (!this.#reportedLate.has(key)) {
        this.#reportedLate.add(key)
        this.#options.metrics?.deadlineMissed()
        log.error(
          { brand: brand.id, date, destination: destination.description, state: action.action },
          `export of brand ${brand.id} for ${date} is not complete by its ${this.#options.deadline ?? '04:00'} ${brand.timezone} deadline: no manifest in ${destination.description} (${action.action === 'failed' ? action.error : action.action})`,
        )
      }
    }
    return action
  }

  get retryAfterMs(): number {
    return this.#options.retryAfterMs ?? 5 * 60_000
  }

  async #export(brand: Brand, date: string): Promise<BrandAction> {
    try {
      const result = await exportDay({
        database: this.#options.database,
        destination: this.#options.destination,
        brand,
        date,
        gzip: this.#options.gzip ?? false,
        log: this.#options.log,
        trigger: 'schedule',
        now: this.#clock,
        metrics: this.#options.metrics,
      })
      return { brand: brand.id, date, action: 'exported', rows: result.rows }
    } catch (error) {
      if (error instanceof FlexError && error.code === 'EXPORT_IN_PROGRESS') {
        return { brand: brand.id, date, action: 'busy-elsewhere' }
      }
      return { brand: brand.id, date, action: 'failed', error: (error as Error).message }
    }
  }
}

export function parseClockTime(value: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value)
  if (!match) throw new FlexError('USAGE', `not a time of day HH:MM: "${value}"`)
  return Number(match[1]) * 60 + Number(match[2])
}
