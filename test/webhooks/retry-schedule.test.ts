import { describe, expect, it } from 'vitest'
import {
  maxAttempts,
  nextAttemptAt,
  retryAfterMs,
  retryDelaysMs,
  scheduleSpanMs,
} from '../../src/webhooks/retry-schedule.ts'

const t0 = new Date('2026-11-30T10:00:00Z')
const hour = 3_600_000

describe('the retry schedule', () => {
  it('makes ten attempts, the last about 24 hours after the first', () => {
    expect(maxAttempts).toBe(10)
    const total = retryDelaysMs.reduce((a, b) => a + b, 0)
    expect(total).toBe(84_965_000)
    expect(total).toBeLessThan(scheduleSpanMs)
  })

  it('waits each delay within ±10%, and has no time after the last attempt', () => {
    const delayAfter = (attempts: number, random: number) =>
      nextAttemptAt({ attempts, firstAttemptAt: t0, now: t0 }, () => random)?.getTime()
    expect(delayAfter(1, 0.5)).toBe(t0.getTime() + 5_000)
    expect(delayAfter(1, 0)).toBe(t0.getTime() + 4_500)
    expect(delayAfter(1, 1)).toBe(t0.getTime() + 5_500)
    expect(delayAfter(9, 0.5)).toBe(t0.getTime() + 8 * hour)
    expect(delayAfter(10, 0.5)).toBeUndefined()
  })

  it('honours Retry-After on 429 and 503 when it asks for longer, up to 24 hours after the first attempt', () => {
    const next = (statusCode: number, retryAfter: string, attempts = 1, now = t0) =>
      nextAttemptAt({ attempts, firstAttemptAt: t0, now, statusCode, retryAfter }, () => 0.5)?.getTime()
    expect(next(429, '120')).toBe(t0.getTime() + 120_000)
    expect(next(503, '120')).toBe(t0.getTime() + 120_000)
    expect(next(500, '120')).toBe(t0.getTime() + 5_000)
    expect(next(429, '1')).toBe(t0.getTime() + 5_000)
    expect(next(429, 'Mon, 30 Nov 2026 11:00:00 GMT')).toBe(t0.getTime() + hour)
    expect(next(429, String(48 * 3600))).toBe(t0.getTime() + 24 * hour)
    expect(next(429, 'soon')).toBe(t0.getTime() + 5_000)
  })

  it('schedules nothing later than 24 hours after the first attempt, and nothing once they have passed', () => {
    const late = new Date(t0.getTime() + 20 * hour)
    // Attempt 9 fails 20 h in: the table's 8 h would end at 28 h; it is cut to 24 h.
    expect(nextAttemptAt({ attempts: 9, firstAttemptAt: t0, now: late }, () => 1)?.getTime()).toBe(
      t0.getTime() + 24 * hour,
    )
    const atDeadline = new Date(t0.getTime() + 24 * hour)
    expect(nextAttemptAt({ attempts: 3, firstAttemptAt: t0, now: atDeadline }, () => 0.5)).toBeUndefined()
    expect(
      nextAttemptAt(
        { attempts: 2, firstAttemptAt: t0, now: late, statusCode: 429, retryAfter: '86400' },
        () => 0.5,
      )?.getTime(),
    ).toBe(t0.getTime() + 24 * hour)
  })

  it('reads Retry-After as seconds or an HTTP date, and nothing else', () => {
    expect(retryAfterMs('0', t0)).toBe(0)
    expect(retryAfterMs(' 30 ', t0)).toBe(30_000)
    expect(retryAfterMs('Mon, 30 Nov 2026 09:00:00 GMT', t0)).toBe(0)
    expect(retryAfterMs('-5', t0)).toBeUndefined()
    expect(retryAfterMs('1.5', t0)).toBeUndefined()
    expect(retryAfterMs('2026', t0)).toBe(2_026_000)
    expect(retryAfterMs(undefined, t0)).toBeUndefined()
  })
})
