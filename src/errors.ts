// One registry of the errors a user can meet: each code with what it means, the exit code the CLI
// ends with, and the HTTP status the API answers with. Services and the HTTP layer throw FlexError
// with a code; the CLI prints the message on one line and exits, the API's error handler answers
// the status in the APIErrorResponse shape (src/http/error-handler.ts).

export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  quarantined: 3,
} as const

interface ErrorDefinition {
  readonly exitCode: number
  readonly httpStatus: number
  readonly summary: string
}

export const errorCodes = {
  USAGE: { exitCode: exitCodes.usage, httpStatus: 400, summary: 'a command-line argument is missing or invalid' },
  CONFIG: { exitCode: exitCodes.usage, httpStatus: 500, summary: 'an environment variable is invalid' },
  BRAND_NOT_FOUND: { exitCode: exitCodes.usage, httpStatus: 404, summary: 'no brand has that id' },
  INVALID_TIMEZONE: { exitCode: exitCodes.usage, httpStatus: 400, summary: 'not an IANA timezone name' },
  DATABASE_UNREACHABLE: {
    exitCode: exitCodes.failure,
    httpStatus: 503,
    summary: 'the database did not accept a connection',
  },
  DATABASE_MISSING: {
    exitCode: exitCodes.usage,
    httpStatus: 503,
    summary: 'the database named in DATABASE_URL does not exist',
  },
  DESTINATION_UNWRITABLE: {
    exitCode: exitCodes.usage,
    httpStatus: 500,
    summary: 'the export destination cannot be written',
  },
  EXPORT_FAILED: { exitCode: exitCodes.failure, httpStatus: 500, summary: 'an export file could not be produced' },
  IDEMPOTENCY_KEY_REUSED: {
    exitCode: exitCodes.usage,
    httpStatus: 422,
    summary: 'an idempotency key came back with another request',
  },
  EXPORT_IN_PROGRESS: {
    exitCode: exitCodes.failure,
    httpStatus: 409,
    summary: 'another process is exporting that brand-day',
  },
  INVALID_EXPORT_DAY: {
    exitCode: exitCodes.usage,
    httpStatus: 422,
    summary: "the day to export is not a calendar date, or has not ended in the brand's timezone",
  },
  EXPORTS_NOT_STARTED_HERE: {
    exitCode: exitCodes.usage,
    httpStatus: 503,
    summary: 'this server was built without an export destination, so it starts no export runs',
  },
  // Met only over HTTP; the exit codes say what a CLI would make of them.
  UNAUTHENTICATED: {
    exitCode: exitCodes.usage,
    httpStatus: 401,
    summary: 'no API key, an unknown or revoked one, or a missing or wrong request signature',
  },
  FORBIDDEN: { exitCode: exitCodes.usage, httpStatus: 403, summary: 'the API key belongs to another brand' },
  NOT_FOUND: { exitCode: exitCodes.usage, httpStatus: 404, summary: 'no such route, entity type or entity' },
  MALFORMED_URL: {
    exitCode: exitCodes.usage,
    httpStatus: 400,
    summary: 'the request path is not valid percent-encoding',
  },
  URL_TOO_LONG: { exitCode: exitCodes.usage, httpStatus: 414, summary: 'a segment of the request path is too long' },
  MALFORMED_BODY: {
    exitCode: exitCodes.usage,
    httpStatus: 400,
    summary: 'the request body is not valid JSON or NDJSON',
  },
  INVALID_HEADER: { exitCode: exitCodes.usage, httpStatus: 400, summary: 'a request header breaks its rule' },
  BODY_TOO_LARGE: {
    exitCode: exitCodes.usage,
    httpStatus: 413,
    summary: 'the request body has too many records or too many bytes',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    exitCode: exitCodes.usage,
    httpStatus: 415,
    summary: 'the request body has a Content-Type the API does not read',
  },
  BODY_NOT_RECORDS: {
    exitCode: exitCodes.usage,
    httpStatus: 422,
    summary: 'the request body is not an array of records',
  },
  INVALID_WEBHOOK: {
    exitCode: exitCodes.usage,
    httpStatus: 422,
    summary: 'a webhook request breaks a rule (endpoint, events, enabled, headers)',
  },
  WEBHOOK_EXISTS: {
    exitCode: exitCodes.usage,
    httpStatus: 409,
    summary: 'the brand already has a webhook for that endpoint and that set of event types',
  },
  INVALID_QUERY: {
    exitCode: exitCodes.usage,
    httpStatus: 422,
    summary: 'a query parameter breaks its rule (size, start, end, status, type, startId, hours, webhookId)',
  },
  INVALID_RANGE: {
    exitCode: exitCodes.usage,
    httpStatus: 422,
    summary: 'a time range to act on breaks its rule (start and end, date-times with an offset)',
  },
  EVENT_ERASED: {
    exitCode: exitCodes.usage,
    httpStatus: 409,
    summary: "the event's data was erased with its customer, so it cannot be sent again",
  },
  TEST_EVENT_NOT_RETRIED: {
    exitCode: exitCodes.usage,
    httpStatus: 409,
    summary: 'a test event is not sent again; send a new test instead',
  },
  INVALID_EVENT: {
    exitCode: exitCodes.usage,
    httpStatus: 422,
    summary: 'a published event breaks a rule (id, type, data)',
  },
  EVENT_ID_CONFLICT: {
    exitCode: exitCodes.usage,
    httpStatus: 409,
    summary: 'an event id came back with another type or data than the event first published under it',
  },
  // Met only in the CLI (flex webhooks test); the API answers the failed attempt with a 200.
  WEBHOOK_TEST_FAILED: {
    exitCode: exitCodes.failure,
    httpStatus: 502,
    summary: "a test event's attempt failed: the endpoint did not answer 2xx in time",
  },
  RATE_LIMITED: { exitCode: exitCodes.failure, httpStatus: 429, summary: 'an API key made too many requests' },
} as const satisfies Record<string, ErrorDefinition>

export type ErrorCode = keyof typeof errorCodes

export interface FlexErrorOptions {
  cause?: unknown
  /** Field -> rule, for errors about a request's content (the API answers them as `validations`). */
  validations?: Record<string, string>
  /** Seconds after which a retry may succeed (the API answers it as Retry-After). */
  retryAfterSeconds?: number
}

export class FlexError extends Error {
  override name = 'FlexError'
  readonly code: ErrorCode
  readonly validations: Record<string, string> | undefined
  readonly retryAfterSeconds: number | undefined

  constructor(code: ErrorCode, message: string, options: FlexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.validations = options.validations
    this.retryAfterSeconds = options.retryAfterSeconds
  }

  get exitCode(): number {
    return errorCodes[this.code].exitCode
  }

  get httpStatus(): number {
    return errorCodes[this.code].httpStatus
  }
}
