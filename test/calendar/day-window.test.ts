import { describe, expect, it } from 'vitest'
import { addDays } from '../../src/calendar/calendar-date.ts'
import { dayWindow } from '../../src/calendar/day-window.ts'
import { localDate } from '../../src/calendar/time-zone.ts'

const hours = (w: { start: Date; end: Date }) => (w.end.getTime() - w.start.getTime()) / 3_600_000

describe('dayWindow', () => {
  it('spans local midnight to local midnight in the brand timezone', () => {
    const w = dayWindow('2026-06-15', 'Europe/Berlin')
    expect(w.start.toISOString()).toBe('2026-06-14T22:00:00.000Z')
    expect(w.end.toISOString()).toBe('2026-06-15T22:00:00.000Z')
  })

  it.each([
    ['2026-03-08', 'America/New_York', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23],
    ['2026-11-01', 'America/New_York', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 25],
    ['2026-03-29', 'Europe/Berlin', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 23],
    ['2026-10-25', 'Europe/Berlin', '2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 25],
  ])('%s in %s is [%s, %s), %i hours', (date, tz, start, end, length) => {
    const w = dayWindow(date, tz)
    expect(w.start.toISOString()).toBe(start)
    expect(w.end.toISOString()).toBe(end)
    expect(hours(w)).toBe(length)
  })

  it('starts at the first local instant of the day when midnight is skipped by DST', () => {
    // Chile moved clocks from 00:00 to 01:00 on 2022-09-11.
    const w = dayWindow('2022-09-11', 'America/Santiago')
    expect(w.start.toISOString()).toBe('2022-09-11T04:00:00.000Z')
    expect(localDate(new Date(w.start.getTime() - 1), 'America/Santiago')).toBe('2022-09-10')
    expect(hours(w)).toBe(23)
  })

  it('gives consecutive days that tile time with no gap or overlap', () => {
    for (const tz of ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata']) {
      let date = '2026-01-01'
      for (let i = 0; i < 366; i++) {
        const next = addDays(date, 1)
        expect(dayWindow(date, tz).end.getTime()).toBe(dayWindow(next, tz).start.getTime())
        date = next
      }
    }
  })

  it('rejects impossible dates and unknown timezones', () => {
    expect(() => dayWindow('2026-02-30', 'UTC')).toThrow(/calendar date/)
    expect(() => dayWindow('2026-1-01', 'UTC')).toThrow(/calendar date/)
    expect(() => dayWindow('2026-01-01', 'Mars/Olympus')).toThrow(/IANA/)
  })
})
