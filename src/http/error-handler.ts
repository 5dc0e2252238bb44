import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { FlexError } from '../errors.ts'
import { type ApiErrorBody, apiErrorBody } from './api-error.ts'

export interface ApiErrorResponse {
  status: number
  body: ApiErrorBody
  headers: Record<string, string>
}

/**
 * Any error as the API answers it: a FlexError with its code's HTTP status, a client error raised by
 * Fastify itself with its own status, anything else as a 500 that reveals nothing (it is logged).
 */
export function apiErrorResponse(error: unknown): ApiErrorResponse {
  if (error instanceof FlexError) {
    const headers: Record<string, string> =
      error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) }
    return { status: error.httpStatus, body: apiErrorBody(error.httpStatus, error.message, error.validations), headers }
  }
  const status = (error as Partial<FastifyError>).statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, body: apiErrorBody(status, (error as Error).message), headers: {} }
  }
  return { status: 500, body: apiErrorBody(500, 'The server encountered an unexpected error.'), headers: {} }
}

/** The app's one error handler: every error leaves in the APIErrorResponse shape. */
export function sendApiError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const response = apiErrorResponse(error)
  if (response.status >= 500) request.log.error({ err: error }, 'request failed')
  return reply.status(response.status).headers(response.headers).send(response.body)
}
