import { z } from 'zod'
import { exactNumber, JsonNumberText } from './record-json.ts'

// The field rules every ingested entity shares (docs/ingestion.md, "Identifiers" and "Dates and
// times"). Records are strict objects: an unknown field is rejected with its name, and anything
// custom belongs in `attributes`.

/**
 * An external id as the brand's system sends it: 1-128 characters, letters, digits and . _ : @ -,
 * starting with a letter or digit. Case-sensitive: "A1" and "a1" are different entities.
 */
export const externalIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/

export const externalId = z
  .string()
  .regex(externalIdPattern, 'use 1-128 letters, digits or . _ : @ -, starting with a letter or digit')
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
    .superRefine((value, context) => {
      // Characters as JSON Schema's maxLength and PostgreSQL count them: code points, so a 4-byte
      // character (two UTF-16 units) counts once. Only a string longer in units can be too long.
      if (value.length > maxLength && codePoints(value) > maxLength) {
        context.addIssue({
          code: 'custom',
          input: value,
          message: `must have at most ${maxLength} characters`,
          params: { rule: 'maximum' },
        })
      }
      if (controlCharacters.test(value)) {
        context.addIssue({
          code: 'custom',
          input: value,
          message: 'must not contain control characters',
          params: { rule: 'control_characters' },
        })
      } else if (!value.isWellFormed()) {
        context.addIssue({
          code: 'custom',
          input: value,
          message:
            'must be well-formed Unicode: a lone UTF-16 surrogate (such as \\ud800 without its pair) cannot be stored',
          params: { rule: 'unicode' },
        })
      }
    })
    .meta({ maxLength })
}

function codePoints(value: string): number {
  let count = 0
  for (const _ of value) count++
  return count
}

// A real calendar date from 0001-01-01 to 9999-12-31 (PostgreSQL has no year 0: 1 BC precedes
// 1 AD). Leap days: years divisible by 4, except centuries not divisible by 400.
const datePart =
  '(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|(?:0[48]|[2468][048]|[13579][26])00)-02-29' +
  '|(?:000[1-9]|00[1-9]\\d|0[1-9]\\d\\d|[1-9]\\d{3})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])' +
  '|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8])))'
// Time to the microsecond at most (more digits must be zeros: PostgreSQL would round them), and
// an offset PostgreSQL accepts (it refuses offsets past 15:59; real ones span -12:00 to +14:00).
const timePart = 'T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6}0*)?(?:Z|[+-](?:0\\d|1[0-5]):[0-5]\\d)'
const instantPattern = new RegExp(`^${datePart}${timePart}$`)
const datePattern = new RegExp(`^${datePart}$`)

/**
 * An instant: ISO 8601 with a UTC offset or Z (a local time without offset is ambiguous), to the
 * microsecond at most: that is what PostgreSQL keeps, and newest-wins compares at that precision.
 * One published pattern states the whole rule; the message says which part a value breaks.
 */
export const instant = z
  .string({
    error: (issue) =>
      issue.input === undefined ? `required: ${instantRule}` : `expected ${instantRule}, got ${kindOf(issue.input)}`,
  })
  .regex(instantPattern, { error: (issue) => instantProblem(String(issue.input)) })
  .meta({
    format: 'date-time',
    description:
      'ISO 8601 date-time with an offset or Z, e.g. 2026-11-21T09:30:00+01:00: a real date in the years 0001 to 9999, at most 6 fractional digits, an offset from -15:59 to +15:59.',
  })

const instantRule =
  'an ISO 8601 date-time with an offset or Z, e.g. 2026-11-21T09:30:00+01:00 (years 0001 to 9999, at most 6 fractional digits, offsets up to ±15:59)'

/** Which part of the instant rule a string breaks, in words. */
function instantProblem(value: string): string {
  const m = /^(\d{4,})-(\d\d)-(\d\d)T\d\d:\d\d:\d\d(?:\.(\d+))?(Z|[+-](\d\d):\d\d)$/.exec(value)
  if (!m) return `must be ${instantRule}`
  if (!datePattern.test(value.slice(0, value.indexOf('T')))) return 'must be a real date in the years 0001 to 9999'
  if (/[1-9]/.test((m[4] ?? '').slice(6))) return 'must have at most 6 fractional digits (microseconds)'
  if (Number(m[6] ?? 0) > 15) return 'must have an offset from -15:59 to +15:59'
  return `must be ${instantRule}`
}

const dateRule = 'a real date YYYY-MM-DD from 0001-01-01 to 9999-12-31'

/** A calendar date (a birthday, a business day): YYYY-MM-DD, a real date from 0001-01-01 to 9999-12-31. */
export const calendarDate = z
  .string({
    error: (issue) =>
      issue.input === undefined ? `required: ${dateRule}` : `expected ${dateRule}, got ${kindOf(issue.input)}`,
  })
  .regex(datePattern, `must be ${dateRule}`)
  .meta({ format: 'date' })

const decimalPattern = /^-?\d{1,12}(\.\d{1,4})?$/
const unsignedDecimalPattern = /^\d{1,12}(\.\d{1,4})?$/
const decimalRule =
  'must be a decimal with at most 12 digits before and 4 after the point, without exponent (send it as a string, e.g. "1234.5678")'

/**
 * An exact decimal, stored as sent (the columns keep any scale, so "1.50" reads back "1.50"): at
 * most 12 digits before and 4 after the point, which the columns' check constraints state too
 * (migration 0009). A JSON number is accepted when written the same way: it is checked as written
 * (parseRecordJson keeps the text of one a double would print otherwise), so `1e-400` or
 * `12345678901234567890` is rejected instead of altered. The published schema gives the string
 * form only: JSON Schema judges a number by its value, and `1e2` or a generator's
 * `0.00030000000000000003` would pass it yet break the rule as written.
 */
export function decimal(options: { min?: 0 } = {}) {
  const unsigned = options.min === 0
  const pattern = unsigned ? unsignedDecimalPattern : decimalPattern
  // A negative value that is a decimal otherwise breaks only the minimum: say just that.
  const problem = (value: string) => (unsigned && decimalPattern.test(value) ? 'must be at least 0' : decimalRule)
  return z.preprocess(
    (value) => (value instanceof JsonNumberText ? value.source : typeof value === 'number' ? String(value) : value),
    z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'required: a decimal string or number, e.g. "19.99"'
            : `expected a decimal string or number, got ${kindOf(issue.input)}`,
      })
      .regex(pattern, { error: (issue) => problem(String(issue.input)) })
      .meta({
        description: `An exact decimal as a string, e.g. "19.99": at most 12 digits before and 4 after the point${unsigned ? ', not negative' : ''}. A JSON number written the same way (19.99) is accepted too.`,
      }),
  )
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
          params: { rule: 'reserved_key' },
        })
      }
      return value
    },
    z.record(text(64), attributeValue, {
      error: (issue) =>
        issue.code === 'invalid_key' ? `the key ${issue.issues.map((i) => i.message).join('; ')}` : undefined,
    }),
  )
  .refine((value) => Object.keys(value).length <= 100, {
    message: 'at most 100 attributes',
    params: { rule: 'maximum' },
  })
  .transform((value) => Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))

/** The source system's modification time: an older update than the stored one is ignored as stale. */
export const sourceUpdatedAt = instant.meta({
  description:
    'When the source system last changed the record (ISO 8601 with an offset or Z, years 0001 to 9999, at most 6 fractional digits, offsets up to ±15:59). An update older than what is stored, to the microsecond, is ignored and reported as stale.',
})
