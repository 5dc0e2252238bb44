import type { z } from 'zod'
import type { WebhookEventAttempt, WebhookEventDetail, WebhookEventSummary } from '../webhooks/delivery-history.ts'
import type { Webhook } from '../webhooks/webhook-repository.ts'
import type {
  webhookEventAttempt,
  webhookEventResponse,
  webhookEventSummary,
  webhookResponse,
} from './response-schemas.ts'

// The webhooks API's answers built from the feature's values, in the shapes response-schemas.ts
// defines: the routes answer them, and `flex webhooks --json` prints the same.

export function webhookAnswer(webhook: Webhook): z.infer<typeof webhookResponse> {
  return {
    id: webhook.id,
    created: webhook.created.toISOString(),
    updated: webhook.updated.toISOString(),
    endpoint: webhook.endpoint,
    events: webhook.events,
    enabled: webhook.enabled,
    headers: webhook.headers,
    disabledReason: webhook.disabledReason,
  }
}

export function eventSummaryAnswer(event: WebhookEventSummary): z.infer<typeof webhookEventSummary> {
  return {
    id: event.id,
    type: event.type,
    created: event.created.toISOString(),
    updated: event.updated.toISOString(),
    status: event.status,
    nextAttempt: event.nextAttempt?.toISOString() ?? null,
  }
}

type AttemptAnswer = z.infer<typeof webhookEventAttempt>

export function attemptAnswer(attempt: WebhookEventAttempt): AttemptAnswer {
  return {
    id: attempt.id,
    created: attempt.created.toISOString(),
    status: attempt.status,
    request: attempt.request,
    response: attempt.response && { ...attempt.response, time: attempt.durationMs },
    error: attempt.error && {
      kind: attempt.error.kind as NonNullable<AttemptAnswer['error']>['kind'],
      message: attempt.error.message,
      time: attempt.durationMs,
    },
  }
}

export function eventDetailAnswer(event: WebhookEventDetail): z.infer<typeof webhookEventResponse> {
  return { ...eventSummaryAnswer(event), erased: event.erased, attempts: event.attempts.map(attemptAnswer) }
}
