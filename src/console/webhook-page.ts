import { html } from 'ghtml'
import type { DeliveryRange } from '../webhooks/bulk-retry.ts'
import type { DeliveryActivity } from '../webhooks/delivery-activity.ts'
import {
  type DeliveryStatus,
  deliveryStatuses,
  type EventPage,
  type WebhookEventSummary,
} from '../webhooks/delivery-history.ts'
import { testEventType } from '../webhooks/event-catalogue.ts'
import type { WebhookHealth } from '../webhooks/webhook-health.ts'
import type { Webhook } from '../webhooks/webhook-repository.ts'
import { activitySection, chartHead } from './activity-chart.ts'
import { eventTypePaths } from './event-type-picker.ts'
import { type ConsoleView, consolePage, csrfField } from './layout.ts'
import {
  backlog,
  enabledStatus,
  lastError,
  notice,
  successRate,
  toggleForm,
  utcTime,
  webhookPath,
} from './webhooks-page.ts'

// One webhook (GET /console/{brandId}/webhooks/{id}): its settings and health, the signing secret
// (revealed and rotated by POST), the test button, the delivery log with its filters and keyset
// pages, bulk retry of a time range and the charts. The same feature functions as
// GET /v1/{brandId}/webhooks/{id}, …/health, …/events and …/activity.

/** The log's filters as the form holds them: strings, empty when unset. */
export interface LogFilters {
  status: string
  type: string
  /** UTC, as the datetime-local field gives it (YYYY-MM-DDTHH:MM). */
  start: string
  end: string
}

export interface WebhookPageData {
  brandId: string
  webhook: Webhook
  health: WebhookHealth
  filters: LogFilters
  /** The page asked for (after startId), or the problems of the filters. */
  log: { page: EventPage; startId: string | undefined } | { problems: Record<string, string> }
  activity: DeliveryActivity
  now: Date
  notice?: string | undefined
  /** The signing secret, shown only in the answer to the reveal or rotate form. */
  secret?: { value: string; previousExpires?: Date } | undefined
}

const statusWords: Record<DeliveryStatus, string> = {
  success: 'success',
  pending: 'pending: an attempt is scheduled',
  failure: 'failure: no attempt to come',
}

/** The log's three states from the seed's two values and the next attempt. */
export function deliveryStatus(event: Pick<WebhookEventSummary, 'status' | 'nextAttempt'>): DeliveryStatus {
  if (event.status === 'SUCCESS') return 'success'
  return event.nextAttempt === null ? 'failure' : 'pending'
}

export function deliveryStatusText(status: DeliveryStatus): string {
  return html`<span class="status status-${status}">${status}</span>`
}

function query(values: Record<string, string | undefined>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) if (value) search.set(name, value)
  const text = search.toString()
  return text ? `?${text}` : ''
}

export function webhookPage(view: ConsoleView, data: WebhookPageData): string {
  const { brandId, webhook, health } = data
  const here = webhookPath(brandId, webhook.id)
  return consolePage({
    title: `Webhook to ${webhook.endpoint}`,
    view,
    head: chartHead,
    body: html`!${notice(data.notice)}
      <dl class="facts">
        <dt>Endpoint</dt><dd><code>${webhook.endpoint}</code></dd>
        <dt>Subscribed types</dt><dd>!${webhook.events.map((type) => html`<code>${type}</code> `)}</dd>
        <dt>Status</dt><dd>!${enabledStatus(health)} !${toggleForm(view, brandId, health, here)}</dd>
        <dt>Custom headers</dt><dd>${Object.keys(webhook.headers).join(', ') || 'none'}</dd>
        <dt>Created</dt><dd>${utcTime(webhook.created)}</dd>
        <dt>Success over 24 h</dt><dd>!${successRate(health)}</dd>
        <dt>Backlog</dt><dd>!${backlog(health, data.now)}</dd>
        <dt>Last error</dt><dd>!${lastError(health)}</dd>
      </dl>
      !${secretSection(view, data)}
      <section aria-labelledby="test-heading">
        <h2 id="test-heading">Test</h2>
        <form method="post" action="${webhookPath(brandId, webhook.id, '/test')}">
          !${csrfField(view)}
          <button type="submit">Send a test event now</button>
          <span class="muted">A signed ${testEventType} event; the page that follows shows the attempt.</span>
        </form>
      </section>
      !${logSection(data)}
      !${bulkRetrySection(data)}
      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Deliveries over 24 hours</h2>
        !${activitySection(data.activity, 'webhook')}
      </section>`,
  })
}

function secretSection(view: ConsoleView, data: WebhookPageData): string {
  const { brandId, webhook, secret } = data
  const shown = secret
    ? html`<p>Signing secret: <code class="secret">${secret.value}</code></p>
      !${secret.previousExpires ? html`<p>The previous secret keeps signing beside it until ${utcTime(secret.previousExpires)}.</p>` : ''}`
    : html`<form class="inline" method="post" action="${webhookPath(brandId, webhook.id, '/secret')}">
        !${csrfField(view)}<button type="submit">Reveal the signing secret</button>
      </form>`
  return html`<section aria-labelledby="secret-heading">
    <h2 id="secret-heading">Signing secret</h2>
    !${shown}
    <form class="inline" method="post" action="${webhookPath(brandId, webhook.id, '/secret/rotate')}">
      !${csrfField(view)}<button type="submit">Rotate the signing secret</button>
      <span class="muted">The old secret keeps signing beside the new one for 24 hours.</span>
    </form>
  </section>`
}

function logSection(data: WebhookPageData): string {
  const { brandId, webhook, filters } = data
  const here = webhookPath(brandId, webhook.id)
  const option = (value: string, label: string, selected: string) =>
    html`<option value="${value}" !${value === selected ? 'selected' : ''}>${label}</option>`
  const form = html`<form method="get" action="${here}" class="filters">
    <label for="log-status">Status</label>
    <select id="log-status" name="status">
      !${option('', 'any', filters.status)}
      !${deliveryStatuses.map((s) => option(s, statusWords[s], filters.status))}
    </select>
    <label for="log-type">Type</label>
    <select id="log-type" name="type">
      !${option('', 'any', filters.type)}
      !${[...eventTypePaths(), testEventType].map((type) => option(type, type, filters.type))}
    </select>
    <label for="log-start">From (UTC)</label>
    <input id="log-start" name="start" type="datetime-local" value="${filters.start}">
    <label for="log-end">Until (UTC)</label>
    <input id="log-end" name="end" type="datetime-local" value="${filters.end}">
    <button type="submit">Filter</button>
  </form>`
  if ('problems' in data.log) {
    return html`<section aria-labelledby="log-heading"><h2 id="log-heading">Delivery log</h2>!${form}
      <div class="problem" role="alert"><ul>!${Object.entries(data.log.problems).map(
        ([field, rule]) => html`<li>${field}: ${rule}</li>`,
      )}</ul></div></section>`
  }
  const { page, startId } = data.log
  const rows = page.events.map((event) => {
    const status = deliveryStatus(event)
    return html`<tr>
      <th scope="row"><a href="${webhookPath(brandId, webhook.id, `/events/${event.id}`)}"><code>${event.id}</code></a></th>
      <td><code>${event.type}</code></td>
      <td>${utcTime(event.created)}</td>
      <td>!${deliveryStatusText(status)}</td>
      <td>${utcTime(event.nextAttempt)}</td>
    </tr>`
  })
  const older = page.lastId
    ? html`<a href="${here}${query({ ...filters, startId: page.lastId })}#log-heading">Older events</a>`
    : ''
  const newest = startId ? html`<a href="${here}${query({ ...filters })}#log-heading">Newest events</a>` : ''
  return html`<section aria-labelledby="log-heading">
    <h2 id="log-heading">Delivery log</h2>
    !${form}
    ${page.events.length === 0 ? 'No events match.' : ''}
    !${
      page.events.length
        ? html`<table class="log">
      <caption>Events sent to this webhook, newest first${startId ? ', older than the previous page' : ''}</caption>
      <thead><tr><th scope="col">Event</th><th scope="col">Type</th><th scope="col">Happened</th><th scope="col">Status</th><th scope="col">Next attempt</th></tr></thead>
      <tbody>!${rows}</tbody>
    </table>`
        : ''
    }
    <nav aria-label="Delivery log pages">!${newest} !${older}</nav>
  </section>`
}

function bulkRetrySection(data: WebhookPageData): string {
  const { brandId, webhook } = data
  return html`<section aria-labelledby="bulk-heading">
    <h2 id="bulk-heading">Retry failed deliveries</h2>
    <p>Every delivery of the range that was attempted and has not succeeded (given up, or still being retried) is sent once more; you see how many first.</p>
    <form method="get" action="${webhookPath(brandId, webhook.id, '/failed-deliveries')}">
      <label for="bulk-start">From (UTC)</label>
      <input id="bulk-start" name="start" type="datetime-local" required>
      <label for="bulk-end">Until (UTC)</label>
      <input id="bulk-end" name="end" type="datetime-local" required>
      <button type="submit">Count the failed deliveries</button>
    </form>
  </section>`
}

/** The confirm step of bulk retry: the count, and the form that retries them. */
export function bulkRetryConfirmPage(
  view: ConsoleView,
  data: {
    brandId: string
    webhook: Webhook
    range: DeliveryRange
    form: { start: string; end: string }
    count: number
  },
): string {
  const { brandId, webhook, range, count } = data
  const back = webhookPath(brandId, webhook.id)
  return consolePage({
    title: `Retry failed deliveries to ${webhook.endpoint}`,
    view,
    body: html`<p>From ${utcTime(range.start)} until ${utcTime(range.end)}:
      <strong>${count} failed ${count === 1 ? 'delivery' : 'deliveries'}</strong>.</p>
      !${
        count === 0
          ? html`<p>There is nothing to retry.</p>`
          : html`<form method="post" action="${webhookPath(brandId, webhook.id, '/failed-deliveries/retry')}">
          !${csrfField(view)}
          <input type="hidden" name="start" value="${data.form.start}">
          <input type="hidden" name="end" value="${data.form.end}">
          <button type="submit">Retry ${count} ${count === 1 ? 'delivery' : 'deliveries'}</button>
        </form>`
      }
      <p><a href="${back}">Back to the webhook</a></p>`,
  })
}
