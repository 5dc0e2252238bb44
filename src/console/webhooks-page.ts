import { html } from 'ghtml'
import type { DeliveryActivity } from '../webhooks/delivery-activity.ts'
import type { WebhookHealth } from '../webhooks/webhook-health.ts'
import { activitySection, chartHead } from './activity-chart.ts'
import { eventTypePicker } from './event-type-picker.ts'
import { type ConsoleView, consolePage, consolePath, csrfField } from './layout.ts'

// The brand's webhooks (GET /console/{brandId}/webhooks) and the create form: what
// GET /v1/{brandId}/webhooks/health and …/activity answer, as a table and charts.

/** An instant as people read it on these pages: to the second, in UTC. */
export function utcTime(at: Date | null | undefined): string {
  return at ? `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '–'
}

/** A duration in seconds, in the largest unit that reads well. */
export function age(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`
  return `${Math.round(seconds / 86_400)} days`
}

/** A notice after an action (POST-redirect-GET), announced politely. */
export function notice(text: string | undefined): string {
  return text ? html`<p class="notice" role="status">${text}</p>` : ''
}

export function webhookPath(brandId: string, webhookId: string, rest = ''): string {
  return consolePath(brandId, `/webhooks/${webhookId}${rest}`)
}

/** enabled / disabled in words, with why the platform disabled it. */
export function enabledStatus(webhook: Pick<WebhookHealth, 'enabled' | 'disabledReason'>): string {
  return webhook.enabled
    ? html`<span class="status status-enabled">enabled</span>`
    : html`<span class="status status-disabled">disabled</span>!${webhook.disabledReason ? html` by the platform: ${webhook.disabledReason}` : ' by the brand'}`
}

/** The form that turns a webhook on or off, back to `returnTo`. */
export function toggleForm(view: ConsoleView, brandId: string, webhook: WebhookHealth, returnTo: string): string {
  const action = webhook.enabled ? 'Disable' : 'Enable'
  return html`<form class="inline" method="post" action="${webhookPath(brandId, webhook.id, '/enabled')}">
    !${csrfField(view)}
    <input type="hidden" name="enabled" value="${webhook.enabled ? 'false' : 'true'}">
    <input type="hidden" name="returnTo" value="${returnTo}">
    <button type="submit" aria-label="${action} the webhook to ${webhook.endpoint}">${action}</button>
  </form>`
}

export function successRate(health: WebhookHealth): string {
  if (health.successRate === null) return html`no attempts (${health.deliveries} deliveries)`
  return html`${(health.successRate * 100).toFixed(1)}% (${health.succeeded} of ${health.succeeded + health.failed} attempted)`
}

export function backlog(health: WebhookHealth, now: Date): string {
  if (health.pending === 0 || health.oldestPendingSince === null) return 'none pending'
  return html`${health.pending} pending, the oldest for ${age((now.getTime() - health.oldestPendingSince.getTime()) / 1000)}`
}

export function lastError(health: WebhookHealth): string {
  const error = health.lastError
  if (!error) return 'none'
  return html`${utcTime(error.at)}: ${error.kind ? `${error.kind}, ` : ''}${error.message}`
}

export interface WebhooksPageData {
  brandId: string
  webhooks: readonly WebhookHealth[]
  activity: DeliveryActivity
  now: Date
  notice?: string | undefined
}

/** The brand's webhooks with their health, a toggle each, and the brand's activity charts. */
export function webhooksPage(view: ConsoleView, data: WebhooksPageData): string {
  const { brandId } = data
  const list = consolePath(brandId, '/webhooks')
  const table =
    data.webhooks.length === 0
      ? html`<p>The brand has no webhooks yet.</p>`
      : html`<table class="webhooks">
      <caption>Each webhook with its last 24 hours</caption>
      <thead><tr>
        <th scope="col">Endpoint</th><th scope="col">Subscribed types</th><th scope="col">Status</th>
        <th scope="col">Success over 24 h</th><th scope="col">Backlog</th><th scope="col">Last error</th><th scope="col">Action</th>
      </tr></thead>
      <tbody>
        !${data.webhooks.map(
          (w) => html`<tr>
            <th scope="row"><a href="${webhookPath(brandId, w.id)}">${w.endpoint}</a></th>
            <td>!${w.events.map((type) => html`<code>${type}</code> `)}</td>
            <td>!${enabledStatus(w)}</td>
            <td>!${successRate(w)}</td>
            <td>!${backlog(w, data.now)}</td>
            <td>!${lastError(w)}</td>
            <td>!${toggleForm(view, brandId, w, list)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`
  return consolePage({
    title: `Webhooks of ${brandId}`,
    view,
    head: chartHead,
    body: html`!${notice(data.notice)}
      <p><a href="${consolePath(brandId, '/webhooks/new')}">Create a webhook</a></p>
      !${table}
      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Deliveries over 24 hours, every webhook</h2>
        !${activitySection(data.activity, 'brand')}
      </section>`,
  })
}

export interface NewWebhookForm {
  endpoint: string
  events: ReadonlySet<string>
  enabled: boolean
  /** Field -> rule, from the API's checks of the same request. */
  problems: Record<string, string>
}

/** The create form: endpoint, the event-type picker, enabled; `form` refills it after a refusal. */
export function newWebhookPage(view: ConsoleView, brandId: string, form: NewWebhookForm): string {
  const problems = Object.entries(form.problems)
  return consolePage({
    title: `New webhook for ${brandId}`,
    view,
    body: html`!${
      problems.length
        ? html`<div class="problem" role="alert"><p>The webhook was not created:</p><ul>!${problems.map(
            ([field, rule]) => html`<li>${field}: ${rule}</li>`,
          )}</ul></div>`
        : ''
    }
      <form method="post" action="${consolePath(brandId, '/webhooks')}" class="new-webhook">
        !${csrfField(view)}
        <p><label for="endpoint">Endpoint (an https URL)</label><br>
          <input id="endpoint" name="endpoint" type="url" size="60" required value="${form.endpoint}"></p>
        !${eventTypePicker(form.events)}
        <p><input id="enabled" name="enabled" type="checkbox" value="on" !${form.enabled ? 'checked' : ''}>
          <label for="enabled">Enabled: deliver events as soon as it is created</label></p>
        <p><button type="submit">Create the webhook</button> <a href="${consolePath(brandId, '/webhooks')}">Cancel</a></p>
      </form>`,
  })
}

/** The overview's webhook part (issue item 2): each webhook's 24 hours, backlog and why it is off. */
export function webhookHealthSection(brandId: string, webhooks: readonly WebhookHealth[], now: Date): string {
  const list = consolePath(brandId, '/webhooks')
  const body =
    webhooks.length === 0
      ? html`<p>No webhooks. <a href="${consolePath(brandId, '/webhooks/new')}">Create one</a>.</p>`
      : html`<table class="webhooks">
        <caption>Each webhook's deliveries of the last 24 hours</caption>
        <thead><tr><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col" class="number">Deliveries</th>
          <th scope="col">Success</th><th scope="col">Backlog</th><th scope="col">Last error</th></tr></thead>
        <tbody>!${webhooks.map(
          (w) => html`<tr>
            <th scope="row"><a href="${webhookPath(brandId, w.id)}">${w.endpoint}</a></th>
            <td>!${enabledStatus(w)}</td>
            <td class="number">${w.deliveries}</td>
            <td>!${successRate(w)}</td>
            <td>!${backlog(w, now)}</td>
            <td>!${lastError(w)}</td>
          </tr>`,
        )}</tbody>
      </table>`
  return html`<section aria-labelledby="webhooks-heading">
    <h2 id="webhooks-heading">Webhooks</h2>
    !${body}
    <p><a href="${list}">All webhooks, with charts</a></p>
  </section>`
}
