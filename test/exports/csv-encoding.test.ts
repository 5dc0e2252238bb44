import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import type { ColumnInfo } from '../../src/exports/columns.ts'
import { createRowCodec, csvField } from '../../src/exports/csv-encoding.ts'

const columns: ColumnInfo[] = [
  { name: 'text', kind: 'string', nullable: true, description: '' },
  { name: 'count', kind: 'integer', nullable: true, description: '' },
  { name: 'amount', kind: 'decimal', nullable: true, description: '' },
  { name: 'flag', kind: 'boolean', nullable: true, description: '' },
  { name: 'at', kind: 'timestamp', nullable: true, description: '' },
  { name: 'day', kind: 'date', nullable: true, description: '' },
]

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['cr\rreturn', '"cr\rreturn"'],
    ['', '""'],
    [' spaced ', ' spaced '],
    ['Zoë 山田 🎉', 'Zoë 山田 🎉'],
  ])('writes %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected)
  })
})

describe('row codec', () => {
  const codec = createRowCodec(columns)

  it('decodes PostgreSQL text output into typed values', () => {
    expect(codec.decode(['x', '42', '10.50', 't', '2026-03-08 07:00:00.25+00', '2026-03-08'])).toEqual({
      text: 'x',
      count: 42,
      amount: '10.50',
      flag: true,
      at: '2026-03-08T07:00:00.25Z',
      day: '2026-03-08',
    })
    expect(codec.decode([null, null, null, 'f', null, null])).toMatchObject({ text: null, flag: false })
  })

  it('leaves values it cannot decode as they came, for validation to reject', () => {
    expect(codec.decode(['x', 'NaN', 'NaN', 'maybe', 'infinity', '2026-03-08 BC'])).toMatchObject({
      flag: 'maybe',
      at: 'infinity',
    })
  })

  it('round-trips every value through csv-parse, telling NULL from the empty string', () => {
    const values = [
      'Winter, "big" sale',
      'multi\nline\r\nvalue',
      '',
      null,
      '  leading and trailing  ',
      'quote at end"',
      '"',
      ',',
      'Zoë Ünïcödé 山田 🎉',
    ]
    const rows = values.map((text, i) => ({
      text,
      count: i,
      amount: i % 2 ? '-0.01' : null,
      flag: i % 2 === 0,
      at: '2026-01-01T00:00:00Z',
      day: null,
    }))
    const csv = codec.header + rows.map((row) => codec.encode(row)).join('')
    const parsed = parse(csv, { columns: true, record_delimiter: '\r\n', cast: false }) as Record<string, string>[]
    expect(parsed.map((r) => r.text)).toEqual(values.map((v) => v ?? ''))
    expect(parsed.map((r) => r.flag)).toEqual(rows.map((r) => String(r.flag)))
    expect(parsed[1]?.amount).toBe('-0.01')
    // In the bytes, quoting tells the two apart: "" is the empty string, nothing at all is NULL.
    expect(codec.encode(rows[2] as never)).toMatch(/^"",2,,true,/)
    expect(codec.encode(rows[3] as never)).toMatch(/^,3,-0.01,false,/)
  })

  it('ends every record, the header included, with CRLF', () => {
    expect(codec.header).toBe('text,count,amount,flag,at,day\r\n')
    expect(codec.encode({ text: 'a', count: 1, amount: '1', flag: true, at: null, day: null })).toBe('a,1,1,true,,\r\n')
  })
})
