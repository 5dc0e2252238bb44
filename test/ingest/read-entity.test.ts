import { describe, expect, it } from 'vitest'
import { isoInstant } from '../../src/ingest/read-entity.ts'

describe('isoInstant', () => {
  it('writes PostgreSQL epoch text as an ISO 8601 instant to the microsecond, before and after 1970', () => {
    expect(isoInstant('1764504000.123456')).toBe('2025-11-30T12:00:00.123456Z')
    expect(isoInstant('1764504000')).toBe('2025-11-30T12:00:00.000000Z')
    expect(isoInstant('0.000001')).toBe('1970-01-01T00:00:00.000001Z')
    expect(isoInstant('-0.000001')).toBe('1969-12-31T23:59:59.999999Z')
    expect(isoInstant('-1.500000')).toBe('1969-12-31T23:59:58.500000Z')
    expect(isoInstant('-62135596800.000000')).toBe('0001-01-01T00:00:00.000000Z')
    expect(isoInstant('253402300799.999999')).toBe('9999-12-31T23:59:59.999999Z')
  })
})
