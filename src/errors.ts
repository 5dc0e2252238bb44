// One registry of the errors a user can meet, each with the exit code the CLI ends with.
// Services throw FlexError with a code; the CLI prints the message on one line and exits.

export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  quarantined: 3,
} as const

export const errorCodes = {
  USAGE: { exitCode: exitCodes.usage, summary: 'a command-line argument is missing or invalid' },
  CONFIG: { exitCode: exitCodes.usage, summary: 'an environment variable is invalid' },
  BRAND_NOT_FOUND: { exitCode: exitCodes.usage, summary: 'no brand has that id' },
  INVALID_TIMEZONE: { exitCode: exitCodes.usage, summary: 'not an IANA timezone name' },
  DATABASE_UNREACHABLE: { exitCode: exitCodes.failure, summary: 'the database did not accept a connection' },
  DATABASE_MISSING: { exitCode: exitCodes.usage, summary: 'the database named in DATABASE_URL does not exist' },
  DESTINATION_UNWRITABLE: { exitCode: exitCodes.usage, summary: 'the export destination cannot be written' },
  EXPORT_FAILED: { exitCode: exitCodes.failure, summary: 'an export file could not be produced' },
  IDEMPOTENCY_KEY_REUSED: { exitCode: exitCodes.usage, summary: 'an idempotency key came back with another request' },
  EXPORT_IN_PROGRESS: { exitCode: exitCodes.failure, summary: 'another process is exporting that brand-day' },
} as const

export type ErrorCode = keyof typeof errorCodes

export class FlexError extends Error {
  override name = 'FlexError'
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  get exitCode(): number {
    return errorCodes[this.code].exitCode
  }
}
