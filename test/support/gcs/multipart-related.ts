import { GcsError } from './gcs-error.ts'

export interface BodyPart {
  /** Part headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
}

/**
 * Splits a `multipart/related` body (RFC 2387) into its parts. The client's body looks like
 * `--B\r\nContent-Type: application/json\r\n\r\n{...}\r\n--B\r\nContent-Type: text/csv\r\n\r\n<bytes>\r\n--B--`;
 * media bytes are binary, so this works on buffers and trusts only the boundary.
 */
export function parseMultipartRelated(body: Buffer, boundary: string): BodyPart[] {
  const delimiter = Buffer.from(`--${boundary}`)
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`)
  const parts: BodyPart[] = []
  let position = body.indexOf(delimiter)
  if (position === -1) throw GcsError.badRequest('multipart body has no boundary line')
  for (;;) {
    const afterDelimiter = position + delimiter.length
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString('latin1') === '--') return parts
    const end = body.indexOf(nextDelimiter, afterDelimiter)
    if (end === -1) throw GcsError.badRequest('multipart body does not end with a closing boundary')
    parts.push(parsePart(body.subarray(afterDelimiter + 2, end)))
    position = end + 2
  }
}

function parsePart(part: Buffer): BodyPart {
  const headerEnd = part.indexOf('\r\n\r\n')
  if (headerEnd === -1) throw GcsError.badRequest('multipart part has no header block')
  const headers: Record<string, string> = {}
  for (const line of part.subarray(0, headerEnd).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body: part.subarray(headerEnd + 4) }
}
