/**
 * The one error shape of the API, the seeds' APIErrorResponse: a short message, a description that
 * says what to do, the HTTP status, and field validations where the request broke a rule.
 */
export interface ApiErrorBody {
  message: string
  description: string
  status: number
  validations?: Record<string, string>
}

const messages: Record<number, string> = {
  400: 'BAD REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT FOUND',
  413: 'PAYLOAD TOO LARGE',
  415: 'UNSUPPORTED MEDIA TYPE',
  422: 'UNPROCESSABLE ENTITY',
  429: 'TOO MANY REQUESTS',
  500: 'INTERNAL SERVER ERROR',
}

export class ApiError extends Error {
  readonly status: number
  readonly description: string
  readonly validations: Record<string, string> | undefined
  /** Response headers that go with the error, such as Retry-After. */
  readonly headers: Record<string, string>

  constructor(
    status: number,
    description: string,
    validations?: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    super(description)
    this.status = status
    this.description = description
    this.validations = validations
    this.headers = headers
  }

  toBody(): ApiErrorBody {
    return apiErrorBody(this.status, this.description, this.validations)
  }
}

export function apiErrorBody(status: number, description: string, validations?: Record<string, string>): ApiErrorBody {
  return {
    message: messages[status] ?? 'ERROR',
    description,
    status,
    ...(validations === undefined ? {} : { validations }),
  }
}
