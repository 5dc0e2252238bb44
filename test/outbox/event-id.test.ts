import { describe, expect, it } from 'vitest'
import { eventId } from '../../src/outbox/event-id.ts'

describe('eventId', () => {
  it('is a version 7 UUID whose first 48 bits are the time, so ids sort by creation time', () => {
    const id = eventId(Date.UTC(2026, 10, 22, 12, 0, 0))
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(Date.UTC(2026, 10, 22, 12, 0, 0))
    const later = eventId(Date.UTC(2026, 10, 22, 12, 0, 0) + 1)
    expect(later > id).toBe(true)
    expect(new Set(Array.from({ length: 1000 }, () => eventId(0))).size).toBe(1000)
  })
})
