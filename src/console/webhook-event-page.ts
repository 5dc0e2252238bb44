import { html } from 'ghtml'
import type { WebhookEventAttempt, WebhookEventDetail } from '../webhooks/delivery-history.ts'
import { testEventType } from '../webhooks/event-catalogue.ts'
import type { Webhook } from '../webhooks/webhook-repository.ts'
import { type ConsoleView, consolePage, csrfField } from './layout.ts'
import { deliveryStatus, deliveryStatusText } from './webhook-page.ts'
import { notice, utcTime, webhookPath } from './webhooks-page.ts'

// One event sent to a webhook (GET /console/{brandId}/webhooks/{id}/events/{eventId}): the body
// every attempt sends, and each attempt's request headers and the response (status, headers,
// body, time) or the error; Retry sends it once more. What GET /v1/…/events/{eventId} answers.

function headerTable(caption: string, headers: Record<string, string>): string {
  const entries = Object.entries(headers)
  if (entries.length === 0) return html`<p>${caption}: none.</p>`
  return html`<table class="headers">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Header</th><th scope="col">Value</th></tr></thead>
    <tbody>!${entries.map(([name, value]) => html`<tr><th scope="row"><code>${name}</code></th><td><code>${value}</code></td></tr>`)}</tbody>
  </table>`
}

function attemptSection(attempt: WebhookEventAttempt, index: number): string {
  const status = attempt.status === 'SUCCESS' ? 'success' : 'failure'
  const answer = attempt.response
    ? html`<p>Response: HTTP ${attempt.response.statusCode} in ${attempt.durationMs} ms.</p>
      !${headerTable('Response headers', attempt.response.headers)}
      <p>Response body${attempt.response.bodyTruncated ? ' (its first 4 KiB)' : ''}:</p>
      <pre>${attempt.response.body || '(empty)'}</pre>`
    : html`<p class="problem">No answer after ${attempt.durationMs} ms: ${attempt.error?.kind ?? 'error'}, ${attempt.error?.message ?? ''}</p>`
  return html`<section class="attempt" aria-labelledby="attempt-${index}">
    <h3 id="attempt-${index}">Attempt ${index + 1}, ${utcTime(attempt.created)}: !${deliveryStatusText(status)}</h3>
    <p>Request: POST <code>${attempt.request.endpoint}</code></p>
    !${headerTable('Request headers (the webhook’s own values masked)', attempt.request.headers)}
    !${answer}
  </section>`
}

export function webhookEventPage(
  view: ConsoleView,
  data: { brandId: string; webhook: Webhook; event: WebhookEventDetail; notice?: string | undefined },
): string {
  const { brandId, webhook, event } = data
  const retryable = !event.erased && event.type !== testEventType
  return consolePage({
    title: `Event ${event.id}`,
    view,
    body: html`!${notice(data.notice)}
      <p><a href="${webhookPath(brandId, webhook.id)}">Back to the webhook to ${webhook.endpoint}</a></p>
      <dl class="facts">
        <dt>Type</dt><dd><code>${event.type}</code></dd>
        <dt>Happened</dt><dd>${utcTime(event.created)}</dd>
        <dt>Status</dt><dd>!${deliveryStatusText(deliveryStatus(event))}</dd>
        <dt>Next attempt</dt><dd>${utcTime(event.nextAttempt)}</dd>
        <dt>Attempts</dt><dd>${event.attempts.length}</dd>
      </dl>
      !${
        retryable
          ? html`<form method="post" action="${webhookPath(brandId, webhook.id, `/events/${event.id}/retry`)}">
          !${csrfField(view)}<button type="submit">Retry: send it once more now</button>
        </form>`
          : html`<p>${event.erased ? 'Its customer was deleted and its body erased: it is not sent again.' : 'A test event is not sent again; send a new test from the webhook page.'}</p>`
      }
      <h2>Request body</h2>
      <pre>${event.body ?? (event.erased ? '(erased)' : '(not rendered yet)')}</pre>
      <h2>Attempts, oldest first</h2>
      !${event.attempts.length === 0 ? html`<p>No attempt yet.</p>` : event.attempts.map(attemptSection)}`,
  })
}
