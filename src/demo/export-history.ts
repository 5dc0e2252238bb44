import { addDays } from '../calendar/calendar-date.ts'
import { dayWindow } from '../calendar/day-window.ts'
import { yesterday } from '../calendar/time-zone.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { exportDay } from '../exports/export-day.ts'
import type { Logger } from '../logger.ts'
import type { Destination } from '../storage/destination.ts'

/** Days of export history the demo leaves before yesterday (yesterday itself is exported for real). */
export const demoHistoryDays = 29

/** When a history day's run starts, in minutes after the brand's local midnight of the next day. */
function runStart(dayIndex: number, brandIndex: number): { minutes: number; fails: boolean } {
  // Most nights run at 02:00 and finish well before 04:00. A few tell the other stories a console
  // must show: a run that started late (05:30, so the day is late) and a night whose first run
  // failed (the bucket was unreachable) and whose retry five minutes later succeeded.
  if ((dayIndex + brandIndex) % 11 === 4) return { minutes: 5 * 60 + 30, fails: false }
  if ((dayIndex + 2 * brandIndex) % 13 === 6) return { minutes: 2 * 60, fails: true }
  return { minutes: 2 * 60 + brandIndex, fails: false }
}

/**
 * The demo's export history: the 29 days before yesterday, each exported by the real export code
 * into the real destination, as the nightly schedule would have run it. Only the clock is the
 * demo's: each run is timed at its night's 02:00 local (a few later, a few failing first), so the
 * console's calendar shows days on time, late and recovered from a failure.
 */
export async function exportDemoHistory(options: {
  database: DatabaseHandle
  destination: Destination
  brands: readonly { id: string; timezone: string }[]
  now: Date
  log: Logger
}): Promise<void> {
  // The outages are the demo's own doing: their errors are recorded in the runs, not logged.
  const log = options.log.child({ demo: 'export history' }, { level: 'silent' })
  for (const [brandIndex, brand] of options.brands.entries()) {
    const last = yesterday(brand.timezone, options.now)
    for (let dayIndex = demoHistoryDays; dayIndex >= 1; dayIndex--) {
      const date = addDays(last, -dayIndex)
      const night = runStart(dayIndex, brandIndex)
      let clock = dayWindow(addDays(date, 1), brand.timezone).start.getTime() + night.minutes * 60_000
      // A run takes its real time, moved to that night: each reading of the clock moves 40 ms on.
      const now = () => {
        clock += 40
        return new Date(clock)
      }
      const common = { database: options.database, brand, date, log, now, trigger: 'schedule' } as const
      if (night.fails) {
        await exportDay({ ...common, destination: unreachable(options.destination) }).then(
          () => {
            throw new Error(`the demo's outage on ${brand.id} ${date} did not fail the run`)
          },
          () => undefined,
        )
        clock += 5 * 60_000
      }
      await exportDay({ ...common, destination: options.destination })
    }
  }
}

/** The destination during an outage: every write fails as an unreachable bucket would. */
function unreachable(destination: Destination): Destination {
  return {
    ...destination,
    description: destination.description,
    checkWritable: destination.checkWritable.bind(destination),
    stat: destination.stat.bind(destination),
    read: destination.read.bind(destination),
    delete: destination.delete.bind(destination),
    list: destination.list.bind(destination),
    async write() {
      throw new Error('demo outage: the bucket did not answer (connect ETIMEDOUT)')
    },
  }
}
