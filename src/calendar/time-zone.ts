// What a wall clock in an IANA timezone shows at an instant: its local date, the minutes since
// its local midnight, and its offset from UTC. Formatters are cached per timezone (building one
// costs far more than using it).

import { addDays } from './calendar-date.ts'

export function isValidTimezone(timezone: string): boolean {
  if (timezone.trim() === '') return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
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

/** The timezone's UTC offset at an instant (ms since the epoch), in milliseconds (east positive). */
export function utcOffsetMs(instant: number, timezone: string): number {
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
