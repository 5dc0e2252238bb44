import { z } from 'zod'

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

// C0 control characters other than tab, line feed and carriage return, and DEL: matching them is
// the point of this pattern.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the rule
const controlCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/

/** Free text: no control characters except tab and line breaks. */
export function text(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .refine((value) => !controlCharacters.test(value), 'must not contain control characters')
}

/** An instant: ISO 8601 with a UTC offset or Z (a local time without offset is ambiguous). */
export const instant = z.iso
  .datetime({ offset: true })
  .meta({ description: 'ISO 8601 date-time with offset or Z, e.g. 2026-11-21T09:30:00+01:00' })

/** A calendar date (a birthday, a business day): YYYY-MM-DD, a real date. */
export const calendarDate = z.iso.date()

/**
 * An exact decimal. Strings are kept exactly; JSON numbers are accepted and taken as written
 * (up to 15 significant digits survive JSON parsing; send a string for more).
 */
export function decimal(options: { min?: number } = {}) {
  return z
    .union([z.string(), z.number()])
    .transform((value) => (typeof value === 'number' ? String(value) : value))
    .pipe(
      z
        .string()
        .regex(
          /^-?\d{1,12}(\.\d{1,4})?$/,
          'must be a decimal number with at most 12 digits before and 4 after the point',
        )
        .refine((value) => options.min === undefined || Number(value) >= options.min, {
          message: `must be at least ${options.min}`,
        }),
    )
}

/** ISO 4217 currency code, upper case. */
export const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')

/**
 * Custom data: a flat object of strings, numbers, booleans or null. Its keys come out sorted, so
 * that a record's JSON (and its content hash) does not depend on the order the source sent them in.
 */
export const attributes = z
  .record(text(64), z.union([text(2_000), z.number(), z.boolean(), z.null()]))
  .refine((value) => Object.keys(value).length <= 100, 'at most 100 attributes')
  .transform((value) => Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))

/** The source system's modification time: an older update than the stored one is ignored as stale. */
export const sourceUpdatedAt = instant.meta({
  description:
    'When the source system last changed the record. An update older than what is stored is ignored and reported as stale.',
})
