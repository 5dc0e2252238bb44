import { createHmac } from 'node:crypto'

// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256, keyed with the
// base64-decoded part of a `whsec_` secret, over `<webhook-id>.<webhook-timestamp>.<body>`, sent as
// `v1,<base64>`. While a rotated secret's predecessor still signs, both signatures travel,
// space-separated, and a receiver holding either secret verifies the request.

const secretPrefix = 'whsec_'

function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret, 'base64')
}

/** The `webhook-signature` header for exactly these bytes, one `v1,` signature per secret. */
export function signPayload(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  const content = `${id}.${timestampSeconds}.${body}`
  return secrets
    .map((secret) => `v1,${createHmac('sha256', signingKey(secret)).update(content).digest('base64')}`)
    .join(' ')
}
