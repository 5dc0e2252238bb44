// A calendar day in a brand's timezone, as the half-open UTC interval [start, end).
// Days are 23, 24 or 25 hours long across DST changes; where local midnight does not exist
// (a DST jump at 00:00), the day starts at the first instant whose local date is that day.

import { addDays, isValidDate } from './calendar-date.ts'
import { isValidTimezone, localDate, utcOffsetMs } from './time-zone.ts'

export interface DayWindow {
  /** YYYY-MM-DD, the brand's local calendar date. */
  readonly date: string
  readonly timezone: string
  readonly start: Date
  readonly end: Date
}

export function dayWindow(date: string, timezone: string): DayWindow {
  if (!isValidDate(date)) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${date}`)
  if (!isValidTimezone(timezone)) throw new RangeError(`not an IANA timezone: ${timezone}`)
  return { date, timezone, start: startOfLocalDay(date, timezone), end: startOfLocalDay(addDays(date, 1), timezone) }
}

function startOfLocalDay(date: string, timezone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const wallClockAsUtc = Date.UTC(y, m - 1, d)
  // Two rounds find the offset in force at local midnight, even when it differs from the one at
  // UTC midnight.
  let guess = wallClockAsUtc - utcOffsetMs(wallClockAsUtc, timezone)
  guess = wallClockAsUtc - utcOffsetMs(guess, timezone)
  if (localDate(new Date(guess), timezone) === date && localDate(new Date(guess - 1), timezone) !== date) {
    return new Date(guess)
  }
  // Local midnight is skipped (or the guess fell before it): search for the first instant of the day.
  let low = guess - 36 * 3_600_000
  let high = guess + 36 * 3_600_000
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2)
    if (localDate(new Date(mid), timezone) < date) low = mid
    else high = mid
  }
  return new Date(high)
}
