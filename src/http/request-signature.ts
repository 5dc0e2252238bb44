import { createHmac, timingSafeEqual } from 'node:crypto'

/** How far a signed request's timestamp may be from the server's clock. */
export const signatureToleranceSeconds = 300

/**
 * The signature a client sends in `X-Flex-Signature` for keys that require signing:
 * `v1=` + hex HMAC-SHA256 of `<timestamp>.<METHOD>.<path>.<raw body>` with the key's signing
 * secret, where the timestamp (unix seconds) is also sent in `X-Flex-Timestamp`.
 */
export function signRequest(secret: string, timestamp: string, method: string, path: string, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${method}.${path}.${body}`).digest('hex')
  return `v1=${digest}`
}

export function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
