import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import { eventId as newEventId } from '../outbox/event-id.ts'
import { findWebhookEvent, type WebhookEventAttempt } from './delivery-history.ts'
import { recordAttempts } from './delivery-queue.ts'
import { deliveryRequest, requestAsRecorded } from './delivery-request.ts'
import { testEventType } from './event-catalogue.ts'
import { renderBody } from './render-message.ts'
import { type AttemptSender, attemptSucceeded, sendAttempt } from './send-webhook-request.ts'
import { signingSecrets } from './webhook-secret.ts'

// The test button (seed 004): one signed event sent to a webhook now, while the brand waits, so
// that it can check its endpoint answers and verifies signatures. The event is stored and its
// attempt recorded like any other, so it shows in GET .../events; but it is not in the catalogue
// (nobody subscribes to it: the catalogue's rules refuse it in subscriptions and in publishing),
// it is never sent by the worker (not even on a retry), and it never changes the webhook's health: a 410 Gone or a
// failure does not disable the webhook or start its 5-day failing clock, and a success does not
// stop that clock. The button exists to probe an endpoint, often one being fixed, or a disabled
// webhook before it is enabled again; the schedule's verdicts belong to real deliveries.

export const testEventMessage = 'A test event from Flex: your endpoint is reachable and verifies signatures.'

/** How long the test's delivery row is held: longer than an attempt, so no worker takes it meanwhile (a retry of it, say). */
const testLeaseMs = 60_000

export interface TestEventResult {
  eventId: string
  /** The attempt as recorded (GET .../events/{eventId} shows the same). */
  attempt: WebhookEventAttempt
}

/**
 * Sends a `WEBHOOK.TEST` event to one of the brand's webhooks now, enabled or not, signed with its
 * secrets like any delivery, and records the attempt. Undefined when the brand has no such
 * webhook (or it was deleted while the attempt was in flight). A failed attempt is a result, not
 * an error: the endpoint's answer, or why there was none, is in the attempt.
 */
export async function sendTestEvent(
  db: Kysely<Database>,
  sender: AttemptSender,
  brandId: string,
  webhookId: string,
  now: Date = new Date(),
): Promise<TestEventResult | undefined> {
  const webhook = await db
    .selectFrom('webhooks')
    .select(['endpoint', 'headers', 'signing_secret', 'previous_signing_secret', 'previous_secret_expires_at'])
    .where('brand_id', '=', brandId)
    .where('id', '=', webhookId)
    .executeTakeFirst()
  if (webhook === undefined) return undefined

  const eventId = newEventId(now.getTime())
  const body = renderBody(
    {
      eventId,
      brandId,
      eventType: testEventType,
      entityType: 'webhooks',
      entityId: webhookId,
      occurredAt: now,
    },
    { webhookId, message: testEventMessage },
  )
  const leaseToken = randomUUID()
  // The delivery has no next attempt, so no worker claims it; the lease counts it against the
  // webhook's attempts in flight while it is.
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_messages')
      .values({
        event_id: eventId,
        brand_id: brandId,
        event_type: testEventType,
        entity_type: 'webhooks',
        entity_id: webhookId,
        occurred_at: now,
        body,
        erased_at: null,
      })
      .execute()
    await trx
      .insertInto('webhook_deliveries')
      .values({
        webhook_id: webhookId,
        event_id: eventId,
        brand_id: brandId,
        event_type: testEventType,
        occurred_at: now,
        first_attempt_at: null,
        last_attempt_at: null,
        succeeded_at: null,
        next_attempt_at: null,
        lease_token: leaseToken,
        lease_expires_at: new Date(now.getTime() + testLeaseMs),
      })
      .execute()
  })

  const delivery = {
    eventId,
    endpoint: webhook.endpoint,
    headers: webhook.headers,
    secrets: signingSecrets(webhook, now),
  }
  const request = deliveryRequest(delivery, body, now)
  const outcome = await sendAttempt(sender, request, now)
  await recordAttempts(
    db,
    [
      {
        webhookId,
        eventId,
        leaseToken,
        startedAt: now,
        succeeded: attemptSucceeded(outcome),
        request: requestAsRecorded(delivery, request),
        response: outcome.response,
        error: outcome.error,
        durationMs: outcome.durationMs,
        nextAttemptAt: undefined,
        gone: false,
        probe: true,
      },
    ],
    new Date(now.getTime() + outcome.durationMs),
  )

  const recorded = await findWebhookEvent(db, webhookId, eventId)
  const attempt = recorded?.attempts[0]
  return attempt && { eventId, attempt }
}
