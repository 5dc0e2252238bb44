import { FlexError } from '../errors.ts'
import { type AllowedNetworks, endpointProblem } from './endpoint-url.ts'
import { subscriptionProblem } from './event-catalogue.ts'
import type { NewWebhook } from './webhook-repository.ts'

// The bodies of POST /webhooks and PATCH /webhooks/{id}, checked field by field so that a 422 names
// every field that breaks a rule in one answer, in seed 002's words ("endpoint is required").

export const maxSubscriptions = 100
export const maxCustomHeaders = 20
const maxHeaderValueLength = 1_024
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/
const headerValuePattern = /^[\t\x20-\x7e]*$/

/** Headers the platform sets on every delivery (or that HTTP itself owns): a webhook cannot override them. */
export const reservedHeaders: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'content-type',
  'expect',
  'host',
  'keep-alive',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'webhook-id',
  'webhook-signature',
  'webhook-timestamp',
  'x-event-id',
  'x-webhook-version',
])

const postFields = ['endpoint', 'events', 'enabled', 'headers']

const invalid = (validations: Record<string, string>) =>
  new FlexError('INVALID_WEBHOOK', 'There are errors in the request: fix the fields named in validations.', {
    validations,
  })

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function unknownFields(body: Record<string, unknown>, known: readonly string[], validations: Record<string, string>) {
  for (const field of Object.keys(body)) {
    if (!known.includes(field)) validations[field] = `unknown field; the fields are ${known.join(', ')}`
  }
}

/** A POST body as a new webhook; a 422 naming each field that breaks a rule. A missing body has no fields. */
export function parseWebhookRequest(body: unknown, allowed: AllowedNetworks): NewWebhook {
  const fields = body === undefined || body === null ? {} : body
  if (!isObject(fields)) throw invalid({ body: 'must be a JSON object with endpoint and events' })
  const validations: Record<string, string> = {}
  unknownFields(fields, postFields, validations)

  const { endpoint, events, enabled, headers } = fields
  if (endpoint === undefined || endpoint === null || endpoint === '') validations.endpoint = 'endpoint is required'
  else if (typeof endpoint !== 'string') validations.endpoint = 'endpoint must be a string (a URL)'
  else {
    const problem = endpointProblem(endpoint, allowed)
    if (problem !== undefined) validations.endpoint = problem
  }

  if (events === undefined || events === null) validations.events = 'events is required'
  else if (!Array.isArray(events)) validations.events = 'events must be an array of event types'
  else if (events.length === 0) validations.events = 'events must name at least one event type'
  else if (events.length > maxSubscriptions) validations.events = `events has at most ${maxSubscriptions} entries`
  else {
    const problems = events.map((event) =>
      typeof event !== 'string' || event === ''
        ? `event types are non-empty strings, not ${JSON.stringify(event)}`
        : subscriptionProblem(event),
    )
    const found = [...new Set(problems.filter((p) => p !== undefined))]
    if (found.length > 0) validations.events = found.join('; ')
  }

  if (enabled !== undefined && typeof enabled !== 'boolean') validations.enabled = 'enabled must be true or false'

  if (headers !== undefined && headers !== null) {
    if (!isObject(headers)) validations.headers = 'headers must be an object of header name -> value'
    else if (Object.keys(headers).length > maxCustomHeaders) {
      validations.headers = `headers has at most ${maxCustomHeaders} entries`
    } else {
      for (const [name, value] of Object.entries(headers)) {
        const problem = !headerNamePattern.test(name)
          ? "a header name is 1 to 64 letters, digits or !#$%&'*+.^_`|~-"
          : reservedHeaders.has(name.toLowerCase())
            ? 'set by the platform on every delivery; choose another name'
            : typeof value !== 'string'
              ? 'a header value is a string'
              : value.length > maxHeaderValueLength || !headerValuePattern.test(value)
                ? `a header value is at most ${maxHeaderValueLength} visible ASCII characters or spaces`
                : undefined
        if (problem !== undefined) validations[`headers.${name}`] = problem
      }
    }
  }

  if (Object.keys(validations).length > 0) throw invalid(validations)
  return {
    endpoint: endpoint as string,
    events: events as string[],
    enabled: (enabled as boolean | undefined) ?? true,
    headers: (headers ?? {}) as Record<string, string>,
  }
}

/** A PATCH body: exactly `{"enabled": true|false}`. */
export function parseWebhookPatch(body: unknown): boolean {
  const fields = body === undefined || body === null ? {} : body
  if (!isObject(fields)) throw invalid({ body: 'must be a JSON object: {"enabled": true} or {"enabled": false}' })
  const validations: Record<string, string> = {}
  unknownFields(fields, ['enabled'], validations)
  if (fields.enabled === undefined) validations.enabled = 'enabled is required'
  else if (typeof fields.enabled !== 'boolean') validations.enabled = 'enabled must be true or false'
  if (Object.keys(validations).length > 0) throw invalid(validations)
  return fields.enabled as boolean
}
