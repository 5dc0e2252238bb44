import { addDays } from '../calendar/calendar-date.ts'
import { dayWindow } from '../calendar/day-window.ts'
import type { Random } from './random.ts'

// Time for the demo generators: a brand's local calendar around `today`, and helpers for instants.

export const minuteMs = 60_000
export const hourMs = 60 * minuteMs
export const dayMs = 24 * hourMs

/**
 * A brand's local calendar around `today`, by day offset (-1 is yesterday). The data is generated
 * as of the end of the UTC day `today` (the cutoff), not the start of the brand's local today:
 * `flex demo` exports "yesterday" in each brand's timezone at whatever hour it runs, which late in
 * the UTC day is today itself for Tokyo and Berlin. Every such day is then complete and has data.
 */
export class Calendar {
  static readonly firstOffset = -45
  static readonly lastOffset = 10
  readonly cutoff: Date
  readonly #today: string
  /** Start of each local day from firstOffset to lastOffset + 1, in ms. */
  readonly #starts: number[] = []

  constructor(today: string, timezone: string) {
    this.#today = today
    for (let offset = Calendar.firstOffset; offset <= Calendar.lastOffset + 1; offset++) {
      this.#starts.push(dayWindow(addDays(today, offset), timezone).start.getTime())
    }
    this.cutoff = new Date(`${addDays(today, 1)}T00:00:00Z`)
  }

  date(offset: number): string {
    return addDays(this.#today, offset)
  }

  /** `hours` after the start of local day `offset`: wall-clock time, up to an hour off on DST days. */
  at(offset: number, hours: number): Date {
    const start = this.#starts[offset - Calendar.firstOffset]
    if (start === undefined) throw new RangeError(`day ${offset} is outside the demo calendar`)
    return new Date(start + hours * hourMs)
  }

  /** The local day offset an instant falls on. */
  dayOf(instant: Date): number {
    const t = instant.getTime()
    let low = 0
    let high = this.#starts.length - 1
    while (low < high) {
      const mid = Math.ceil((low + high) / 2)
      if ((this.#starts[mid] ?? Number.POSITIVE_INFINITY) <= t) low = mid
      else high = mid - 1
    }
    return low + Calendar.firstOffset
  }

  /** The last local day that ends before the cutoff. */
  lastFullDay(): number {
    return this.dayOf(this.cutoff) - 1
  }

  /**
   * Every local day an export run during the UTC day `today` can take for "yesterday": today - 1
   * and, depending on the hour, today (east of UTC) or today - 2 (west of UTC).
   */
  recentDays(): number[] {
    const first = this.dayOf(this.before(dayMs)) - 1
    const last = this.dayOf(this.before(1)) - 1
    return Array.from({ length: last - first + 1 }, (_, i) => first + i)
  }

  /** `ms` before the cutoff. */
  before(ms: number): Date {
    return new Date(this.cutoff.getTime() - Math.round(ms))
  }

  /** A random instant in the 30 days before the cutoff. */
  recentInstant(rng: Random): Date {
    return this.before(rng.between(0.001, 30) * dayMs)
  }
}

/** The later of two instants (`a` when they are equal). */
export function laterThan(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b
}

/** `instant`, or the last millisecond before `limit` when it is not earlier. */
export function earlierThan(limit: Date, instant: Date): Date {
  return instant < limit ? instant : new Date(limit.getTime() - 1)
}
