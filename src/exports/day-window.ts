// A calendar day in a brand's timezone, as the half-open UTC interval [start, end).
// Days are 23, 24 or 25 hours long across DST changes; where local midnight does not exist
// (a DST jump at 00:00), the day starts at the first instant whose local date is that day.

export interface DayWindow {
  /** YYYY-MM-DD, the brand's local calendar date. */
  readonly date: string
  readonly timezone: string
  readonly start: Date
  readonly end: Date
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/

export function isValidDate(date: string): boolean {
  const match = datePattern.exec(date)
  if (!match) return false
  const [, y, m, d] = match.map(Number) as [number, number, number, number]
  const parsed = new Date(Date.UTC(y, m - 1, d))
  return parsed.getUTCFullYear() === y && parsed.getUTCMonth() === m - 1 && parsed.getUTCDate() === d
}

export function isValidTimezone(timezone: string): boolean {
  if (timezone.trim() === '') return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

export function dayWindow(date: string, timezone: string): DayWindow {
  if (!isValidDate(date)) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${date}`)
  if (!isValidTimezone(timezone)) throw new RangeError(`not an IANA timezone: ${timezone}`)
  return { date, timezone, start: startOfLocalDay(date, timezone), end: startOfLocalDay(addDays(date, 1), timezone) }
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

/** The local calendar date of an instant in a timezone. */
export function localDate(instant: Date, timezone: string): string {
  const parts = formatter(timezone).formatToParts(instant)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** The local calendar date and minutes since local midnight of an instant in a timezone. */
export function localClock(instant: Date, timezone: string): { date: string; minutes: number } {
  const parts = formatter(timezone).formatToParts(instant)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    minutes: (Number(get('hour')) % 24) * 60 + Number(get('minute')),
  }
}

/** Yesterday's date in a timezone, relative to `now`. */
export function yesterday(timezone: string, now: Date = new Date()): string {
  return addDays(localDate(now, timezone), -1)
}

function startOfLocalDay(date: string, timezone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const wallClockAsUtc = Date.UTC(y, m - 1, d)
  // Two rounds find the offset in force at local midnight, even when it differs from the one at
  // UTC midnight.
  let guess = wallClockAsUtc - offsetMs(wallClockAsUtc, timezone)
  guess = wallClockAsUtc - offsetMs(guess, timezone)
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

/** The timezone's UTC offset at an instant, in milliseconds (east positive). */
function offsetMs(instant: number, timezone: string): number {
  const parts = formatter(timezone).formatToParts(new Date(instant))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'))
  return asUtc - Math.floor(instant / 1000) * 1000
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timezone, f)
  }
  return f
}
