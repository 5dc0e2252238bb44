import type { ColumnInfo, ColumnKind } from './columns.ts'

// The CSV contract (docs/exports.md): UTF-8 without BOM, comma separated, CRLF after every
// record, header always present, RFC 4180 quoting. NULL is an empty field; an empty string is
// written as "" so the two stay distinguishable. Instants are ISO 8601 in UTC with Z, dates
// YYYY-MM-DD, decimals PostgreSQL's exact numeric text, booleans true/false.

export const lineEnding = '\r\n'

type RawValue = string | null
type Decode = (raw: string) => unknown
type Encode = (value: never) => string

/**
 * Export queries run with pg's type parsing off, in a session with TimeZone UTC and DateStyle ISO,
 * so every value arrives as PostgreSQL's text output. Decoding turns it into the typed value the
 * row schema validates; instants become ISO 8601 with Z here rather than through Date objects.
 */
const decoders: Record<ColumnKind, Decode> = {
  string: (raw) => raw,
  integer: (raw) => Number(raw),
  decimal: (raw) => raw,
  boolean: (raw) => raw === 't' || (raw === 'f' ? false : raw),
  // "2026-11-21 09:30:00.5+00" -> "2026-11-21T09:30:00.5Z"; anything else fails validation.
  timestamp: (raw) => (raw.endsWith('+00') && raw[10] === ' ' ? `${raw.slice(0, 10)}T${raw.slice(11, -3)}Z` : raw),
  date: (raw) => raw,
}

const needsQuotes = /[",\r\n]/
const quote = /"/g

export function csvField(value: string): string {
  if (value === '') return '""'
  return needsQuotes.test(value) ? `"${value.replace(quote, '""')}"` : value
}

const encoders: Record<ColumnKind, Encode> = {
  string: csvField as Encode,
  integer: String as Encode,
  decimal: ((value: string) => value) as Encode,
  boolean: ((value: boolean) => (value ? 'true' : 'false')) as Encode,
  timestamp: ((value: string) => value) as Encode,
  date: ((value: string) => value) as Encode,
}

export interface RowCodec {
  /** The header record, line ending included. */
  readonly header: string
  /** PostgreSQL text values in column order -> a row object for validation. */
  decode(raw: readonly RawValue[]): Record<string, unknown>
  /** A validated row -> one CSV record, line ending included. */
  encode(row: Record<string, unknown>): string
}

export function createRowCodec(columns: readonly ColumnInfo[]): RowCodec {
  const names = columns.map((c) => c.name)
  const decode = columns.map((c) => decoders[c.kind])
  const encode = columns.map((c) => encoders[c.kind] as (value: unknown) => string)
  const count = columns.length
  return {
    header: names.join(',') + lineEnding,
    decode(raw) {
      const row: Record<string, unknown> = {}
      for (let i = 0; i < count; i++) {
        const value = raw[i]
        row[names[i] as string] = value === null || value === undefined ? null : (decode[i] as Decode)(value)
      }
      return row
    },
    encode(row) {
      let line = ''
      for (let i = 0; i < count; i++) {
        const value = row[names[i] as string]
        if (i > 0) line += ','
        if (value !== null) line += (encode[i] as (value: unknown) => string)(value)
      }
      return line + lineEnding
    },
  }
}
