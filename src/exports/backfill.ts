import { getBrand, listBrands } from '../brands/brand-repository.ts'
import { addDays } from '../calendar/calendar-date.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Brand } from '../db/database.ts'
import type { Logger } from '../logger.ts'
import type { Destination } from '../storage/destination.ts'
import { dayStatus } from './day-status.ts'
import { exportDay } from './export-day.ts'
import { exportFiles } from './files/index.ts'

export interface BackfillOptions {
  database: DatabaseHandle
  destination: Destination
  /** First and last brand-local day, inclusive. */
  from: string
  to: string
  brandId?: string | undefined
  /** Re-export days that are already complete. */
  force?: boolean
  /** Brand-days exported at the same time. */
  concurrency?: number
  gzip?: boolean
  chunkRows?: number
  log: Logger
  onProgress?: (progress: BackfillProgress) => void
}

export interface BackfillDay {
  brand: string
  date: string
  status: 'exported' | 'skipped' | 'failed'
  rows: number
  bytes: number
  seconds: number
  /** Why a day was skipped, or the error of a failed one. */
  detail: string
}

export interface BackfillProgress {
  days: number
  daysDone: number
  files: number
  filesDone: number
  rows: number
  elapsedSeconds: number
  /** Estimated seconds left, from the pace of the days done so far. */
  etaSeconds: number | undefined
  last: BackfillDay
}

/**
 * Exports every brand-day in [from, to]. Days whose manifest is complete and current are skipped
 * unless `force`, so a backfill that was killed resumes where it stopped when run again: the day
 * it was in has no manifest and is exported again. A failing day does not stop the others.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillDay[]> {
  const { database, destination, log } = options
  const brands: Brand[] =
    options.brandId === undefined ? await listBrands(database.db) : [await getBrand(database.db, options.brandId)]
  await destination.checkWritable()
  const tasks = datesBetween(options.from, options.to).flatMap((date) => brands.map((brand) => ({ brand, date })))
  const results: BackfillDay[] = []
  const started = performance.now()
  let rows = 0
  let next = 0

  async function worker(): Promise<void> {
    for (let task = tasks[next++]; task !== undefined; task = tasks[next++]) {
      const day = await backfillDay(options, task.brand, task.date)
      results.push(day)
      rows += day.rows
      const elapsedSeconds = (performance.now() - started) / 1000
      const remaining = tasks.length - results.length
      options.onProgress?.({
        days: tasks.length,
        daysDone: results.length,
        files: tasks.length * exportFiles.length,
        filesDone: results.length * exportFiles.length,
        rows,
        elapsedSeconds,
        etaSeconds: remaining === 0 ? 0 : (elapsedSeconds / results.length) * remaining,
        last: day,
      })
      log.info(
        { brand: day.brand, date: day.date, status: day.status, rows: day.rows, detail: day.detail },
        'backfill day done',
      )
    }
  }

  // The embedded database is one session: more workers would only queue for it.
  const concurrency = database.embedded ? 1 : Math.max(1, options.concurrency ?? 1)
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker))
  return results.sort((a, b) => a.date.localeCompare(b.date) || a.brand.localeCompare(b.brand))
}

async function backfillDay(options: BackfillOptions, brand: Brand, date: string): Promise<BackfillDay> {
  const started = performance.now()
  const base = { brand: brand.id, date, rows: 0, bytes: 0 }
  const seconds = () => Math.round((performance.now() - started) / 100) / 10
  try {
    if (!options.force) {
      const status = await dayStatus(options.destination, brand.id, date, options.gzip ?? false)
      if (status.complete) return { ...base, status: 'skipped', seconds: seconds(), detail: 'already complete' }
    }
    const result = await exportDay({
      database: options.database,
      destination: options.destination,
      brand,
      date,
      gzip: options.gzip ?? false,
      log: options.log,
      trigger: 'backfill',
      ...(options.chunkRows === undefined ? {} : { chunkRows: options.chunkRows }),
    })
    return { ...base, status: 'exported', rows: result.rows, bytes: result.bytes, seconds: seconds(), detail: '' }
  } catch (error) {
    return { ...base, status: 'failed', seconds: seconds(), detail: (error as Error).message }
  }
}

/** Every date from `from` to `to`, inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = []
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date)
  return dates
}
