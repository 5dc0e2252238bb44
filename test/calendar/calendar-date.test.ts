import { describe, expect, it } from 'vitest'
import { addDays, isValidDate } from '../../src/calendar/calendar-date.ts'

describe('calendar dates', () => {
  it('accepts only real YYYY-MM-DD dates', () => {
    expect(isValidDate('2024-02-29')).toBe(true)
    expect(isValidDate('2025-02-29')).toBe(false)
    expect(isValidDate('2026-1-01')).toBe(false)
  })

  it('adds days across month and year ends', () => {
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
  })
})
