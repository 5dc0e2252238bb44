import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JsonNumberText, parseRecordJson } from '../../src/ingest/record-json.ts'

/** What parseRecordJson must give: every number whose double prints otherwise keeps its text. */
function reference(text: string): unknown {
  return JSON.parse(text, (_key, value, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined && String(value) !== context.source
      ? new JsonNumberText(context.source)
      : value,
  )
}

const jsonNumberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc
    .tuple(
      fc.boolean(),
      fc.stringMatching(/^(0|[1-9]\d{0,24})$/),
      fc.stringMatching(/^\d{0,20}$/),
      fc.option(fc.integer({ min: -500, max: 500 })),
    )
    .map(
      ([negative, int, fraction, exponent]) =>
        `${negative ? '-' : ''}${int}${fraction ? `.${fraction}` : ''}${exponent === null ? '' : `e${exponent}`}`,
    ),
)

describe('parseRecordJson', () => {
  it('keeps the text of every number whose double would print otherwise, and only those', () => {
    fc.assert(
      fc.property(fc.array(jsonNumberText, { maxLength: 5 }), fc.string(), (numbers, name) => {
        const text = `{"numbers":[${numbers.join(' ,')}],"one": ${numbers[0] ?? 0}\n,"name":${JSON.stringify(name)}}`
        expect(parseRecordJson(text)).toEqual(reference(text))
      }),
      { numRuns: 2_000 },
    )
  })

  it('serializes a kept number as it was written', () => {
    expect(JSON.stringify(parseRecordJson('{"price":1.50,"big":12345678901234567890}'))).toBe(
      '{"price":1.50,"big":12345678901234567890}',
    )
  })
})
