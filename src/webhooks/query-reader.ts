import { type ErrorCode, FlexError } from '../errors.ts'

// The query strings of the webhooks' read endpoints (the events list, bulk retry's count, the
// activity charts), read one parameter at a time so that a 422 names every parameter that breaks
// its rule in one answer.

// RFC 3339 date-time with an offset, as the seed's `format: date-time` means.
const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/i

export interface QueryReader {
  /** A parameter given once, or undefined when absent (repeated: a validation). */
  text(name: string): string | undefined
  /** A date-time with an offset (RFC 3339), or undefined. */
  instant(name: string): Date | undefined
  /** Records that `name` breaks a rule. */
  invalid(name: string, rule: string): void
  /** Whether `name` already broke a rule. */
  failed(name: string): boolean
  /** Throws the 422 when any parameter broke its rule. */
  finish(): void
}

/** What a 422 is about: a query string (the default), or a JSON body of string fields. */
export interface QuerySource {
  code: ErrorCode
  message: string
  /** What `fields` are called in messages. */
  noun: string
}

const queryString: QuerySource = {
  code: 'INVALID_QUERY',
  message: 'There are errors in the query: fix the parameters named in validations.',
  noun: 'parameter',
}

/** Reads `query`, whose only parameters may be `fields`. */
export function readQuery(
  query: Record<string, unknown>,
  fields: readonly string[],
  source: QuerySource = queryString,
): QueryReader {
  const validations: Record<string, string> = {}
  for (const name of Object.keys(query)) {
    if (!fields.includes(name))
      validations[name] = `unknown ${source.noun}; the ${source.noun}s are ${fields.join(', ')}`
  }
  const text = (name: string): string | undefined => {
    const value = Object.hasOwn(query, name) ? query[name] : undefined
    if (value === undefined) return undefined
    if (typeof value !== 'string') {
      validations[name] = Array.isArray(value) ? `give ${name} once` : `${name} must be a string`
      return undefined
    }
    return value
  }
  return {
    text,
    instant(name) {
      const value = text(name)
      if (value === undefined) return undefined
      const at = dateTimePattern.test(value) ? new Date(value) : undefined
      if (at === undefined || Number.isNaN(at.getTime())) {
        validations[name] = `${name} must be a date-time with an offset, such as 2026-11-30T09:00:00Z`
        return undefined
      }
      return at
    },
    invalid(name, rule) {
      validations[name] = rule
    },
    failed: (name) => validations[name] !== undefined,
    finish() {
      if (Object.keys(validations).length > 0) {
        throw new FlexError(source.code, source.message, { validations })
      }
    },
  }
}
