import type { Kysely } from 'kysely'
import { z } from 'zod'
import { addDays, isValidDate } from '../calendar/calendar-date.ts'
import { localClock, yesterday } from '../calendar/time-zone.ts'
import type { Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import { manifestSummary } from './export-completed-data.ts'
import type { ExportTrigger } from './export-runs.ts'

/**
 * A brand-local day's export against its deadline (the brand-local clock time, on the next day,
 * by which the day must be complete: FLEX_SCHEDULE_DEADLINE, 04:00 by default).
 */
export const exportDayStatuses = ['complete_on_time', 'late', 'failed', 'running', 'missing', 'pending'] as const
export type ExportDayStatus = (typeof exportDayStatuses)[number]

/** The most days one request may ask for. */
export const maxExportDays = 92
/** Days answered when the request names none: this many, ending yesterday. */
export const defaultExportDays = 30

export interface ExportDayRun {
  id: string
  status: 'running' | 'succeeded' | 'failed'
  trigger: ExportTrigger
  /** Where the run wrote: a folder, or gs://BUCKET/PREFIX; the manifest's paths are relative to it. */
  destination: string
  started_at: Date
  ended_at: Date | null
  /** Rows exported: a succeeded run's, null otherwise. */
  rows: number | null
  error: string | null
}

export interface ExportDay {
  date: string
  status: ExportDayStatus
  /** The manifest of the day's latest succeeded run, in short; null while the day is not complete. */
  manifest: {
    path: string
    files: { file_type: string; path: string; rows: number; bytes: number; sha256: string }[]
  } | null
  /** Oldest first. */
  runs: ExportDayRun[]
}

export interface ExportDayRange {
  from: string
  to: string
}

/**
 * The range of GET .../exports/days from its query: `from` and `to` (YYYY-MM-DD, inclusive), by
 * default the 30 days ending yesterday in the brand's timezone; a 422 naming each parameter that
 * breaks its rule.
 */
export function parseExportDayRange(query: Record<string, unknown>, timezone: string, now: Date): ExportDayRange {
  const validations: Record<string, string> = {}
  for (const name of Object.keys(query)) {
    if (name !== 'from' && name !== 'to') validations[name] = 'unknown parameter; the parameters are from, to'
  }
  const date = (name: 'from' | 'to'): string | undefined => {
    const value = query[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string') {
      validations[name] = `give ${name} once`
      return undefined
    }
    // Years before 1970 are refused: no export predates the platform, and Date.UTC, which the
    // calendar's arithmetic uses, reads years 0-99 as 1900-1999.
    if (!isValidDate(value) || value < '1970-01-01') {
      validations[name] = `${name} must be a calendar date YYYY-MM-DD from 1970-01-01 on, such as 2026-11-01`
      return undefined
    }
    return value
  }
  const fromText = date('from')
  const toText = date('to')
  const to = toText ?? yesterday(timezone, now)
  const from = fromText ?? addDays(to, -(defaultExportDays - 1))
  if (validations.from === undefined && validations.to === undefined) {
    if (from > to) validations.from = `from (${from}) must not be after to (${to})`
    else if (addDays(from, maxExportDays) <= to) {
      validations.to = `from..to spans more than ${maxExportDays} days; ask for at most ${maxExportDays} at once`
    }
  }
  if (Object.keys(validations).length > 0) {
    throw new FlexError('INVALID_QUERY', 'There are errors in the query: fix the parameters named in validations.', {
      validations,
    })
  }
  return { from, to }
}

/**
 * Each brand-local day of the range, oldest first, with its status against the deadline, its
 * latest manifest and its runs: one query for the runs of the whole range.
 *
 * A day is complete on time when its first successful run ended before the deadline (a re-run
 * later does not make it late), late when that run ended after it; without a successful run, the
 * latest run says running or failed; without any run, the deadline says missing or pending.
 */
export async function exportDays(
  db: Kysely<Database>,
  brand: { id: string; timezone: string },
  range: ExportDayRange,
  options: { now: Date; deadlineMinutes: number },
): Promise<ExportDay[]> {
  const rows = await selectRuns(db)
    .where('brand_id', '=', brand.id)
    .where('date', '>=', range.from)
    .where('date', '<=', range.to)
    .execute()
  const runsByDate = Map.groupBy(rows, (row) => row.date)
  const days: ExportDay[] = []
  for (let date = range.from; date <= range.to; date = addDays(date, 1)) {
    days.push(exportDayOf(brand, date, runsByDate.get(date) ?? [], options))
  }
  return days
}

/**
 * Each brand's yesterday (in its own timezone) as exportDays answers it, for many brands in one
 * query: the operator's overview of every brand.
 */
export async function exportYesterdays(
  db: Kysely<Database>,
  brands: readonly { id: string; timezone: string }[],
  options: { now: Date; deadlineMinutes: number },
): Promise<Map<string, ExportDay>> {
  const days = brands.map((brand) => ({ brand, date: yesterday(brand.timezone, options.now) }))
  if (days.length === 0) return new Map()
  const rows = await selectRuns(db)
    .where((eb) => eb.or(days.map(({ brand, date }) => eb.and([eb('brand_id', '=', brand.id), eb('date', '=', date)]))))
    .execute()
  const runsByBrand = Map.groupBy(rows, (row) => row.brand_id)
  return new Map(
    days.map(({ brand, date }) => [brand.id, exportDayOf(brand, date, runsByBrand.get(brand.id) ?? [], options)]),
  )
}

function selectRuns(db: Kysely<Database>) {
  return db
    .selectFrom('export_runs')
    .select([
      'id',
      'brand_id',
      'date',
      'status',
      'trigger',
      'destination',
      'started_at',
      'ended_at',
      'rows',
      'error',
      'manifest',
      'manifest_path',
    ])
    .orderBy('date')
    .orderBy('started_at')
    .orderBy('id')
}

type RunRow = Awaited<ReturnType<ReturnType<typeof selectRuns>['execute']>>[number]

/** One day's status against its deadline, from its runs (oldest first). */
function exportDayOf(
  brand: { id: string; timezone: string },
  date: string,
  runs: readonly RunRow[],
  options: { now: Date; deadlineMinutes: number },
): ExportDay {
  const now = localClock(options.now, brand.timezone)
  const deadlineDate = addDays(date, 1)
  // Compared on the brand's wall clock, as the scheduler does, so a DST change moves nothing.
  const beforeDeadline = (at: Date) => {
    const clock = localClock(at, brand.timezone)
    return clock.date < deadlineDate || (clock.date === deadlineDate && clock.minutes < options.deadlineMinutes)
  }
  const succeeded = runs.filter((run) => run.status === 'succeeded')
  const firstSuccess = succeeded[0]
  const latestSuccess = succeeded.at(-1)
  const latest = runs.at(-1)
  let status: ExportDayStatus
  if (firstSuccess)
    status = beforeDeadline(firstSuccess.ended_at ?? firstSuccess.started_at) ? 'complete_on_time' : 'late'
  else if (latest) status = latest.status === 'running' ? 'running' : 'failed'
  else {
    const passed = now.date > deadlineDate || (now.date === deadlineDate && now.minutes >= options.deadlineMinutes)
    status = passed ? 'missing' : 'pending'
  }
  return {
    date,
    status,
    manifest: latestSuccess ? keptManifest(latestSuccess) : null,
    runs: runs.map((run) => ({
      id: run.id,
      status: run.status,
      trigger: run.trigger,
      destination: run.destination,
      started_at: run.started_at,
      ended_at: run.ended_at,
      rows: run.status === 'succeeded' ? Number(run.rows) : null,
      error: run.error,
    })),
  }
}

/** A succeeded run's manifest, in short; null for runs that succeeded before runs kept it (0013). */
function keptManifest(run: { id: string; manifest: unknown; manifest_path: string | null }): ExportDay['manifest'] {
  if (run.manifest_path === null || run.manifest === null) return null
  const kept = manifestSummary.safeParse(run.manifest)
  if (!kept.success) {
    throw new Error(`export run ${run.id} kept a manifest that is not one: ${z.prettifyError(kept.error)}`, {
      cause: kept.error,
    })
  }
  return {
    path: run.manifest_path,
    files: kept.data.files.map(({ file_type, path, rows, bytes, sha256 }) => ({
      file_type,
      path,
      rows,
      bytes,
      sha256,
    })),
  }
}
