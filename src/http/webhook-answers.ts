import type { z } from 'zod'
import type { DeliveryRange } from '../webhooks/bulk-retry.ts'
import type { DeliveryActivity } from '../webhooks/delivery-activity.ts'
import type { WebhookEventAttempt, WebhookEventDetail, WebhookEventSummary } from '../webhooks/delivery-history.ts'
import type { WebhookHealth } from '../webhooks/webhook-health.ts'
import type { Webhook } from '../webhooks/webhook-repository.ts'
import type {
  webhookActivityResponse,
  webhookEventAttempt,
  webhookEventResponse,
  webhookEventSummary,
  webhookHealthResponse,
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

type HealthAnswer = z.infer<typeof webhookHealthResponse>

export function healthAnswer(health: readonly WebhookHealth[], at: Date): HealthAnswer {
  return {
    at: at.toISOString(),
    webhooks: health.map((h) => ({
      id: h.id,
      endpoint: h.endpoint,
      events: h.events,
      enabled: h.enabled,
      disabledReason: h.disabledReason,
      failingSince: h.failingSince?.toISOString() ?? null,
      last24h: { deliveries: h.deliveries, succeeded: h.succeeded, failed: h.failed, successRate: h.successRate },
      backlog: {
        pending: h.pending,
        oldestPendingSince: h.oldestPendingSince?.toISOString() ?? null,
        oldestPendingAgeSeconds:
          h.oldestPendingSince === null
            ? null
            : Math.max(0, Math.floor((at.getTime() - h.oldestPendingSince.getTime()) / 1000)),
      },
      lastError: h.lastError && { ...h.lastError, at: h.lastError.at.toISOString() },
    })),
  }
}

export function activityAnswer(
  activity: DeliveryActivity,
  webhookId: string | undefined,
): z.infer<typeof webhookActivityResponse> {
  return {
    start: activity.start.toISOString(),
    end: activity.end.toISOString(),
    webhookId: webhookId ?? null,
    minutes: activity.minutes.map((m) => ({ ...m, minute: m.minute.toISOString() })),
    latency: activity.latency.map((b) => ({ ...b, start: b.start.toISOString() })),
  }
}

export function rangeAnswer(range: DeliveryRange): { start: string; end: string } {
  return { start: range.start.toISOString(), end: range.end.toISOString() }
}
