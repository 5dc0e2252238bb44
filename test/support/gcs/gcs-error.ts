import type { GcsResponse } from './gcs-exchange.ts'

/**
 * A failure as the JSON API reports it. Handlers throw these; the server renders them in the
 * format the client parses (`{ error: { code, message, errors: [...] } }`), which is also where
 * gaxios and the client's ApiError take the numeric `code` that drives their retry decisions.
 */
export class GcsError extends Error {
  readonly status: number
  readonly reason: string

  constructor(status: number, reason: string, message: string) {
    super(message)
    this.name = 'GcsError'
    this.status = status
    this.reason = reason
  }

  static badRequest(message: string): GcsError {
    return new GcsError(400, 'invalid', message)
  }

  static notFound(message: string): GcsError {
    return new GcsError(404, 'notFound', message)
  }

  static preconditionFailed(): GcsError {
    return new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.')
  }

  static notImplemented(message: string): GcsError {
    return new GcsError(501, 'notImplemented', `${message} (not supported by the GCS test server)`)
  }

  toResponse(): GcsResponse {
    return errorResponse(this.status, this.reason, this.message)
  }
}

export function errorResponse(status: number, reason: string, message: string): GcsResponse {
  return {
    status,
    body: { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } },
  }
}
