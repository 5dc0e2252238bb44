import { describe, expect, it } from 'vitest'
import { eventId, eventIdTime } from '../../src/outbox/event-id.ts'

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('eventId', () => {
  it('is a version 7 UUID whose first 48 bits are the time, so ids sort by creation time', () => {
    const at = Date.UTC(2026, 10, 22, 12, 0, 0)
    const id = eventId(at)
    expect(id).toMatch(uuidV7)
    expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(at)
    expect(eventIdTime(id).getTime()).toBe(at)
    const later = eventId(at + 1)
    expect(later > id).toBe(true)
  })

  it('sorts ids made within one millisecond in the order they were made, past the 4,096 a millisecond holds', () => {
    const at = Date.UTC(2026, 10, 23, 12, 0, 0)
    const ids = Array.from({ length: 10_000 }, () => eventId(at))
    expect(ids.every((id) => uuidV7.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(10_000)
    expect([...ids].sort()).toEqual(ids)
    // Borrowed milliseconds stay close to the clock.
    const last = ids.at(-1) ?? ''
    expect(Number.parseInt(last.replace('-', '').slice(0, 12), 16) - at).toBeLessThanOrEqual(5)
  })

  it('never goes back when the clock does', () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0)
    const first = eventId(at)
    expect(eventId(at - 60_000) > first).toBe(true)
  })
})
