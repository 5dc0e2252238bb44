import { STATUS_CODES } from 'node:http'
import type { z } from 'zod'
import type { apiErrorResponseSchema } from './response-schemas.ts'

/**
 * The one error shape of the API, the seeds' APIErrorResponse: a short message, a description that
 * says what to do, the HTTP status, and field validations where the request broke a rule.
 */
export type ApiErrorBody = z.infer<typeof apiErrorResponseSchema>

/** `message` is the status's reason phrase in capitals: 404 -> "NOT FOUND". */
export function apiErrorBody(status: number, description: string, validations?: Record<string, string>): ApiErrorBody {
  return {
    message: (STATUS_CODES[status] ?? 'Error').toUpperCase(),
    description,
    status,
    ...(validations === undefined ? {} : { validations }),
  }
}
