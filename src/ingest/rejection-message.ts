import type { z } from 'zod'
import { kindOf } from './fields.ts'
import { type RejectionRule, rejectionRules } from './record-outcome.ts'

// Every rejection names the field and what was expected: the type, the format or the limit.
// Messages the field rules give themselves (fields.ts, the entity schemas) come first; this map
// words the rest, where zod's defaults said "Invalid input" or spoke of JavaScript types.

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  null: 'null',
}

const formatNames: Record<string, string> = {
  email: 'an email address, e.g. zoe@example.com',
}

/** The error map prepareBatch validates records with (zod's per-parse `error` option). */
export function rejectionMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const atRoot = issue.path === undefined || issue.path.length === 0
  switch (issue.code) {
    case 'invalid_type': {
      const expected = typeNames[issue.expected] ?? issue.expected
      if (atRoot && issue.expected === 'object') return `expected a record (a JSON object), got ${kindOf(issue.input)}`
      if (issue.input === undefined) return `required: ${expected}`
      return `expected ${expected}, got ${kindOf(issue.input)}`
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(issue.input)}`
    case 'invalid_format':
      return `must be ${formatNames[issue.format] ?? `in the format ${issue.format}${issue.pattern ? ` (${issue.pattern})` : ''}`}`
    case 'too_big':
      return `must have at most ${issue.maximum} ${unitOf(issue.origin)}`
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty'
      return `must have at least ${issue.minimum} ${unitOf(issue.origin)}`
    case 'unrecognized_keys':
      return `unknown field; custom data belongs in attributes (customers, products) or properties (customer events)`
    case 'invalid_union':
      return `expected ${describeUnion(issue.errors)}, got ${kindOf(issue.input)}`
    default:
      return undefined
  }
}

function unitOf(origin: string): string {
  if (origin === 'string') return 'characters'
  if (origin === 'array') return 'items'
  return `(${origin})`
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : kindOf(value)
}

function describeUnion(errors: readonly (readonly z.core.$ZodIssue[])[]): string {
  const expected = errors.flatMap((options) =>
    options.flatMap((issue) => (issue.code === 'invalid_type' ? [typeNames[issue.expected] ?? issue.expected] : [])),
  )
  return expected.length > 0 ? expected.join(' or ') : 'another value'
}

/**
 * The rule an issue names, for the rejection log. Needs the issue's input (safeParse with
 * reportInput) to tell a missing field from a wrong one. Custom checks name their rule in
 * `params.rule` (fields.ts).
 */
export function rejectionRule(issue: z.core.$ZodIssue): RejectionRule {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : 'type'
    case 'invalid_union':
      return 'type'
    case 'invalid_value':
      return issue.input === undefined ? 'required' : 'allowed_values'
    case 'invalid_format':
      return 'format'
    case 'too_small':
      return 'minimum'
    case 'too_big':
      return 'maximum'
    case 'unrecognized_keys':
      return 'unknown_field'
    case 'invalid_key': {
      const [first] = issue.issues
      return first ? rejectionRule(first) : 'invalid'
    }
    case 'custom': {
      const rule: unknown = issue.params?.rule
      return rejectionRules.includes(rule as RejectionRule) ? (rule as RejectionRule) : 'invalid'
    }
    default:
      return 'invalid'
  }
}
