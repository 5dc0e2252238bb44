import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { FlexError } from '../errors.ts'
import { type ApiErrorBody, apiErrorBody } from './api-error.ts'
import { maxParamLength } from './limits.ts'

/** An error as the API answers it: status, APIErrorResponse body, headers (Retry-After). */
interface ErrorAnswer {
  status: number
  body: ApiErrorBody
  headers: Record<string, string>
}

/** Fastify's own errors that a client causes, told in the API's words (what to do next). */
function fromFastifyError(error: FastifyError, request: FastifyRequest | undefined): FlexError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request?.routeOptions.bodyLimit
      return new FlexError(
        'BODY_TOO_LARGE',
        `The body is larger than ${limit ?? 'the limit of'} bytes; send a smaller body (records: fewer per request).`,
      )
    }
    case 'FST_ERR_BAD_URL':
      return new FlexError(
        'MALFORMED_URL',
        'The request path is not valid percent-encoding; encode each path segment with encodeURIComponent.',
      )
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new FlexError(
        'URL_TOO_LONG',
        `A path segment is longer than ${maxParamLength} characters; ids have at most 128 (docs/ingestion.md).`,
      )
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new FlexError('MALFORMED_BODY', `${error.message}; send the body with a Content-Length that matches it.`)
    default:
      return undefined
  }
}

/**
 * Any error as the API answers it: a FlexError with its code's HTTP status, a client error raised by
 * Fastify itself with its own status, anything else as a 500 that reveals nothing (it is logged).
 */
function errorAnswer(error: unknown, request?: FastifyRequest): ErrorAnswer {
  const known = error instanceof FlexError ? error : fromFastifyError(error as FastifyError, request)
  if (known) {
    const headers: Record<string, string> =
      known.retryAfterSeconds === undefined ? {} : { 'retry-after': String(known.retryAfterSeconds) }
    return { status: known.httpStatus, body: apiErrorBody(known.httpStatus, known.message, known.validations), headers }
  }
  const status = (error as Partial<FastifyError>).statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, body: apiErrorBody(status, (error as Error).message), headers: {} }
  }
  return { status: 500, body: apiErrorBody(500, 'The server encountered an unexpected error.'), headers: {} }
}

/** The app's one error handler: every error leaves in the APIErrorResponse shape. */
export function sendApiError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const response = errorAnswer(error, request)
  if (response.status >= 500) request.log.error({ err: error }, 'request failed')
  return reply.status(response.status).headers(response.headers).send(response.body)
}

/**
 * Errors of Node's HTTP parser, met before there is a request (a request line or headers over
 * Node's limit, bytes that are not HTTP, a client too slow to send its request): answered on the
 * socket in the same shape, then the connection is closed, as Node itself would.
 */
export function sendClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, description] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'The request did not arrive in time; send it again.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request line and headers are larger than 16 KiB; shorten the URL or the headers.']
        : [400, 'The request is not valid HTTP/1.1.']
  const body = JSON.stringify(apiErrorBody(status, description))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}
