import { describe, expect, it } from 'vitest'
import { isValidTimezone, localClock, yesterday } from '../../src/calendar/time-zone.ts'

describe('yesterday', () => {
  it('is the previous local date in the given timezone', () => {
    const now = new Date('2026-11-22T02:30:00Z')
    expect(yesterday('UTC', now)).toBe('2026-11-21')
    expect(yesterday('America/Los_Angeles', now)).toBe('2026-11-20')
    expect(yesterday('Asia/Tokyo', now)).toBe('2026-11-21')
  })
})

describe('time zones', () => {
  it('knows IANA names and refuses blanks and inventions', () => {
    expect(isValidTimezone('Europe/Berlin')).toBe(true)
    expect(isValidTimezone('')).toBe(false)
    expect(isValidTimezone('Mars/Olympus')).toBe(false)
  })

  it('reads the local date and minutes since local midnight of an instant', () => {
    expect(localClock(new Date('2026-11-22T02:30:00Z'), 'Asia/Tokyo')).toEqual({
      date: '2026-11-22',
      minutes: 11 * 60 + 30,
    })
  })
})
