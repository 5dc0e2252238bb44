import type { IncomingHttpHeaders } from 'node:http'
import { GcsError } from './gcs-error.ts'
import type { GcsOperation } from './gcs-route.ts'

/** A request after routing, with its whole body read: handlers never touch sockets. */
export interface GcsRequest {
  readonly method: string
  readonly operation: GcsOperation
  readonly bucket: string
  readonly object?: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

export interface GcsResponse {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  /** Buffers are sent as they are; anything else as JSON. */
  readonly body?: Buffer | object
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw GcsError.badRequest(`body is not JSON: ${(error as Error).message}`)
  }
}
