import type { AttemptRequest } from '../db/database.ts'
import type { OutgoingWebhookRequest } from './send-webhook-request.ts'
import { signPayload } from './sign-payload.ts'

/** Names the platform to receivers (and in their access logs). */
export const userAgent = 'Flex-Webhooks/1.0 (+https://github.com/flex-data-platform)'

/** The payload version receivers may branch on (seed 004's X-Webhook-Version): the envelope's shape. */
export const webhookVersion = '2026-11'

/** What the request of one attempt needs to know about its delivery. */
export interface DeliveryToSend {
  eventId: string
  endpoint: string
  headers: Record<string, string>
  secrets: readonly string[]
}

/**
 * The HTTP request of one attempt: the kept body, signed now (Standard Webhooks: `webhook-id` is
 * the event id, the same on every retry; the timestamp and signature are the attempt's), seed
 * 004's X-Event-Id and X-Webhook-Version, and the webhook's own headers, which cannot override
 * these (the API refuses them). Names are sent in lower case, as HTTP/2 requires and HTTP/1.1 allows.
 */
export function deliveryRequest(delivery: DeliveryToSend, body: string, at: Date): OutgoingWebhookRequest {
  const timestamp = Math.floor(at.getTime() / 1000)
  return {
    url: delivery.endpoint,
    body,
    headers: {
      ...Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value])),
      'content-type': 'application/json',
      'user-agent': userAgent,
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signPayload(delivery.secrets, delivery.eventId, timestamp, body),
      'x-event-id': delivery.eventId,
      'x-webhook-version': webhookVersion,
    },
  }
}

export const maskedValue = '********'

/**
 * The request as the attempt log keeps it: the webhook's own header values are masked, since
 * receivers use them as shared secrets (seed 004's X-Flexype-Authorization).
 */
export function requestAsRecorded(delivery: DeliveryToSend, request: OutgoingWebhookRequest): AttemptRequest {
  const own = new Set(Object.keys(delivery.headers).map((name) => name.toLowerCase()))
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = own.has(name.toLowerCase()) ? maskedValue : value
  }
  return { endpoint: request.url, headers }
}
