import type { z } from 'zod'
import { FlexError } from '../errors.ts'
import { externalIdPattern, kindOf } from '../ingest/fields.ts'
import { exactNumber, JsonNumberText } from '../ingest/record-json.ts'
import { rejectionMessage } from '../ingest/rejection-message.ts'
import { eventType, publishProblem } from './event-catalogue.ts'

// The body of POST /v1/{brandId}/events, checked event by event and field by field, so that one
// 422 names every field of every event that breaks a rule. The body is parsed by parseRecordJson,
// so a number a double would alter reaches this check as a JsonNumberText.

/** Events accepted in one request (more answer 413). */
export const maxEventsPerRequest = 100

/** How deep objects and arrays may nest in an event's data, data itself the first level. */
export const maxDataDepth = 32

/** An event as its publisher sent it, checked: a publishable type and data its schema accepts. */
export interface EventToPublish {
  /** The caller's own id for the event: the idempotency key, per brand. */
  readonly id: string
  readonly type: string
  /** Plain JSON (numbers a double holds exactly), as PostgreSQL's jsonb stores it. */
  readonly data: unknown
}

const eventFields = ['id', 'type', 'data']

const invalid = (validations: Record<string, string>) =>
  new FlexError('INVALID_EVENT', 'There are errors in the request: fix the fields named in validations.', {
    validations,
  })

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumberText)
}

/**
 * A POST body as the events to publish, in request order: `{"events": [{"id", "type", "data"}, ...]}`.
 * A 422 naming each field that breaks a rule (`events.2.data.orderId`), nothing published; a 413
 * for more than maxEventsPerRequest events.
 */
export function parsePublishRequest(body: unknown): EventToPublish[] {
  const fields = body === undefined || body === null ? {} : body
  if (!isObject(fields)) throw invalid({ body: 'must be a JSON object: {"events": [{"id", "type", "data"}, ...]}' })
  const validations: Record<string, string> = {}
  for (const field of Object.keys(fields)) {
    if (field !== 'events') validations[field] = 'unknown field; the body is {"events": [...]}'
  }
  const { events } = fields
  if (events === undefined || events === null) validations.events = 'events is required'
  else if (!Array.isArray(events)) validations.events = 'events must be an array of events'
  else if (events.length === 0) validations.events = 'events must hold at least one event'
  else if (events.length > maxEventsPerRequest) {
    throw new FlexError(
      'BODY_TOO_LARGE',
      `At most ${maxEventsPerRequest} events per request; this one has ${events.length}: send them in several requests.`,
    )
  }
  if (Object.keys(validations).length > 0) throw invalid(validations)

  const checked = (events as unknown[]).map((event, i) => checkEvent(event, `events.${i}`, validations))
  if (Object.keys(validations).length > 0) throw invalid(validations)
  return checked as EventToPublish[]
}

/** One event checked; its problems are added to validations under `at`. */
function checkEvent(event: unknown, at: string, validations: Record<string, string>): EventToPublish | undefined {
  if (!isObject(event)) {
    validations[at] = 'each event is a JSON object: {"id", "type", "data"}'
    return undefined
  }
  const problems = Object.keys(validations).length
  for (const field of Object.keys(event)) {
    if (!eventFields.includes(field)) validations[`${at}.${field}`] = 'unknown field; an event has id, type and data'
  }

  const { id, type, data } = event
  if (id === undefined || id === null || id === '') validations[`${at}.id`] = 'id is required'
  else if (typeof id !== 'string' || !externalIdPattern.test(id)) {
    validations[`${at}.id`] =
      'id is your own id for the event: 1-128 letters, digits or . _ : @ -, starting with a letter or digit'
  }

  let schema: z.ZodType | undefined
  if (type === undefined || type === null || type === '') validations[`${at}.type`] = 'type is required'
  else if (typeof type !== 'string') validations[`${at}.type`] = 'type must be a string, an event type'
  else {
    const problem = publishProblem(type)
    if (problem === undefined) schema = eventType(type)?.data
    else validations[`${at}.type`] = problem
  }

  let plain: unknown
  if (data === undefined || data === null) validations[`${at}.data`] = 'data is required: a JSON object'
  else {
    plain = plainJson(data, `${at}.data`, 0, validations)
    // The type's schema judges data only when the type is known and the data storable.
    if (schema !== undefined && plain !== undefined) {
      const parsed = schema.safeParse(plain, { error: dataMessage })
      for (const issue of parsed.error?.issues ?? []) {
        const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path]
        for (const path of paths) validations[[`${at}.data`, ...path.map(String)].join('.')] ??= issue.message
      }
    }
  }
  if (Object.keys(validations).length > problems) return undefined
  return { id: id as string, type: type as string, data: plain }
}

/** The error map for an event's data: the ingestion's wording, except where events differ. */
function dataMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') return "unknown field; anything else belongs in the event's attributes"
  if (issue.code === 'invalid_type' && (issue.path ?? []).length === 0) {
    return `expected a JSON object, got ${kindOf(issue.input)}`
  }
  return rejectionMessage(issue)
}

/**
 * The data as plain JSON that jsonb stores and a receiver reads exactly as sent, or undefined
 * with the reason in validations: PostgreSQL refuses NUL and lone UTF-16 surrogates in text (a
 * 500 otherwise), a number a double cannot hold would reach receivers altered, `__proto__` would
 * vanish in a receiver's JavaScript, and nesting is bounded.
 */
function plainJson(value: unknown, at: string, depth: number, validations: Record<string, string>): unknown {
  if (value instanceof JsonNumberText) {
    const exact = exactNumber(value)
    if (exact === undefined) {
      validations[at] =
        `the number ${value.source} cannot be kept exactly (a JSON number keeps about 15 significant digits and the range of a 64-bit float); send it as a string`
    }
    return exact
  }
  if (typeof value === 'string') {
    const problem = textProblem(value)
    if (problem !== undefined) validations[at] = problem
    return problem === undefined ? value : undefined
  }
  if (typeof value !== 'object' || value === null) return value
  if (depth >= maxDataDepth) {
    validations[at] = `objects and arrays nest at most ${maxDataDepth} deep in data`
    return undefined
  }
  const problems = Object.keys(validations).length
  if (Array.isArray(value)) {
    const items = value.map((item, i) => plainJson(item, `${at}.${i}`, depth + 1, validations))
    return Object.keys(validations).length > problems ? undefined : items
  }
  const entries: [string, unknown][] = []
  for (const [key, item] of Object.entries(value)) {
    const keyProblem =
      key === '__proto__' ? 'the key __proto__ is refused (JavaScript reserves it); rename it' : textProblem(key)
    if (keyProblem !== undefined) validations[`${at}.${printable(key)}`] = `key: ${keyProblem}`
    else entries.push([key, plainJson(item, `${at}.${key}`, depth + 1, validations)])
  }
  return Object.keys(validations).length > problems ? undefined : Object.fromEntries(entries)
}

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)'
  if (!text.isWellFormed())
    return 'must be well-formed Unicode (a lone UTF-16 surrogate such as \\ud800 cannot be stored)'
  return undefined
}

/** A key that cannot be stored, as a validations key can name it. */
function printable(key: string): string {
  return JSON.stringify(key).slice(1, -1)
}
