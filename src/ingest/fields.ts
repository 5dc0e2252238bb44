import { z } from 'zod'
import { exactNumber, JsonNumberText } from './record-json.ts'
import { fractionEnd } from './source-time.ts'

// The field rules every ingested entity shares (docs/ingestion.md, "Identifiers" and "Dates and
// times"). Records are strict objects: an unknown field is rejected with its name, and anything
// custom belongs in `attributes`.

/**
 * An external id as the brand's system sends it: 1-128 characters, letters, digits and . _ : @ -,
 * starting with a letter or digit. Case-sensitive: "A1" and "a1" are different entities.
 */
export const externalId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/,
    'use 1-128 letters, digits or . _ : @ -, starting with a letter or digit',
  )
  .meta({
    description: 'External id: 1-128 of A-Z a-z 0-9 . _ : @ -, starting with a letter or digit; case-sensitive.',
  })

// C0 control characters other than tab, line feed and carriage return, DEL, and the C1 controls
// U+0080 to U+009F: matching them is the point of this pattern.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the rule
const controlCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

/**
 * Free text: no control characters except tab and line breaks, and well-formed Unicode (a lone
 * UTF-16 surrogate, which JSON's \ud800 escapes can make, is text PostgreSQL cannot store).
 */
export function text(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .superRefine((value, context) => {
      if (controlCharacters.test(value)) {
        context.addIssue({ code: 'custom', input: value, message: 'must not contain control characters' })
      } else if (!value.isWellFormed()) {
        context.addIssue({
          code: 'custom',
          input: value,
          message:
            'must be well-formed Unicode: a lone UTF-16 surrogate (such as \\ud800 without its pair) cannot be stored',
        })
      }
    })
}

/**
 * An instant: ISO 8601 with a UTC offset or Z (a local time without offset is ambiguous), to the
 * microsecond at most: that is what PostgreSQL keeps, and newest-wins compares at that precision.
 */
export const instant = z.iso
  .datetime({ offset: true })
  .superRefine((value, context) => {
    const problem = instantProblem(value)
    if (problem) context.addIssue({ code: 'custom', input: value, message: problem })
  })
  .meta({ description: 'ISO 8601 date-time with offset or Z, e.g. 2026-11-21T09:30:00+01:00; at most microseconds' })

/** What PostgreSQL could not keep of a well-formed instant, if anything. */
function instantProblem(value: string): string | undefined {
  // PostgreSQL has no year 0 (1 BC follows 1 AD); the year 10000 does not match the format.
  if (value.startsWith('0000')) return 'must be in the years 0001 to 9999'
  const end = fractionEnd(value)
  for (let i = 26; i < end; i++) {
    if (value.charCodeAt(i) !== 48) return 'must have at most 6 fractional digits (microseconds)'
  }
  return undefined
}

/** A calendar date (a birthday, a business day): YYYY-MM-DD, a real date. */
export const calendarDate = z.iso
  .date()
  .refine((value) => !value.startsWith('0000'), 'must be a date from 0001-01-01 to 9999-12-31')

const decimalPattern = /^-?\d{1,12}(\.\d{1,4})?$/
const decimalRule =
  'must be a decimal with at most 12 digits before and 4 after the point, without exponent (send it as a string, e.g. "1234.5678")'
const decimalText = z.string().regex(decimalPattern, decimalRule)

/**
 * An exact decimal, stored as sent (the columns keep any scale, so "1.50" reads back "1.50"): at
 * most 12 digits before and 4 after the point, which the columns' check constraints state too
 * (migration 0009). A JSON number is taken from its source text (parseRecordJson), so one a double
 * cannot hold (`1e-400`, `12345678901234567890`) is rejected instead of altered.
 */
export function decimal(options: { min?: number } = {}) {
  return z
    .preprocess(
      (value) => (value instanceof JsonNumberText ? value.source : value),
      z.union([decimalText, z.number()], {
        error: (issue) =>
          issue.input === undefined
            ? 'required: a decimal string or number, e.g. "19.99"'
            : `expected a decimal string or number, got ${kindOf(issue.input)}`,
      }),
    )
    .transform((value, context) => {
      if (typeof value === 'string') return value
      // A number from JavaScript rather than JSON text: its printed form must fit the rule too.
      const printed = String(value)
      if (!decimalPattern.test(printed)) context.addIssue({ code: 'custom', input: value, message: decimalRule })
      return printed
    })
    .refine((value) => options.min === undefined || Number(value) >= options.min, {
      message: `must be at least ${options.min}`,
    })
}

/** What a value is, in the words of a JSON document (for messages). */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)'
  if (value === null) return 'null'
  if (value instanceof JsonNumberText || typeof value === 'number') return 'a number'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

/** ISO 4217 currency code, upper case. */
export const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')

/** An attribute's value; a JSON number must be one a double holds exactly (see exactNumber). */
const attributeValue = z.preprocess(
  (value) => (value instanceof JsonNumberText ? (exactNumber(value) ?? value) : value),
  z.union([text(2_000), z.number(), z.boolean(), z.null()], {
    error: (issue) =>
      issue.input instanceof JsonNumberText
        ? `the number ${issue.input.source} cannot be stored exactly (a JSON number keeps about 15 significant digits and the range of a 64-bit float); send it as a string`
        : `expected a string, number, boolean or null, got ${kindOf(issue.input)}`,
  }),
)

/**
 * Custom data: a flat object of strings, numbers, booleans or null. Its keys come out sorted, so
 * that a record's JSON (and its content hash) does not depend on the order the source sent them in.
 */
export const attributes = z
  .preprocess(
    (value, context) => {
      // JSON.parse makes `__proto__` an own key, but a JavaScript object cannot take it back by
      // assignment (zod's record skips it on purpose), so it would vanish: it is refused instead.
      if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
        context.addIssue({
          code: 'custom',
          path: ['__proto__'],
          input: value,
          message: 'the key __proto__ cannot be stored (JavaScript reserves it); rename it',
        })
      }
      return value
    },
    z.record(text(64), attributeValue, {
      error: (issue) =>
        issue.code === 'invalid_key' ? `the key ${issue.issues.map((i) => i.message).join('; ')}` : undefined,
    }),
  )
  .refine((value) => Object.keys(value).length <= 100, 'at most 100 attributes')
  .transform((value) => Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))

/** The source system's modification time: an older update than the stored one is ignored as stale. */
export const sourceUpdatedAt = instant.meta({
  description:
    'When the source system last changed the record. An update older than what is stored is ignored and reported as stale.',
})
