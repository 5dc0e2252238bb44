import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { pickedEventTypes } from '../console/event-type-picker.ts'
import { consolePath } from '../console/layout.ts'
import { webhookEventPage } from '../console/webhook-event-page.ts'
import { bulkRetryConfirmPage, type LogFilters, type WebhookPageData, webhookPage } from '../console/webhook-page.ts'
import { type NewWebhookForm, newWebhookPage, webhookPath, webhooksPage } from '../console/webhooks-page.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { uuidPattern } from '../uuid-pattern.ts'
import {
  countFailedDeliveries,
  type DeliveryRange,
  parseDeliveryRange,
  rangeBody,
  retryFailedDeliveries,
} from '../webhooks/bulk-retry.ts'
import { deliveryActivity } from '../webhooks/delivery-activity.ts'
import { findWebhookEvent, listWebhookEvents, retryDelivery } from '../webhooks/delivery-history.ts'
import type { AllowedNetworks } from '../webhooks/endpoint-url.ts'
import { parseEventPageQuery } from '../webhooks/event-page-request.ts'
import type { AttemptSender } from '../webhooks/send-webhook-request.ts'
import { sendTestEvent } from '../webhooks/test-event.ts'
import { webhookHealth } from '../webhooks/webhook-health.ts'
import {
  createWebhook,
  findWebhook,
  rotateWebhookSecret,
  setWebhookEnabled,
  type Webhook,
  webhookSecret,
} from '../webhooks/webhook-repository.ts'
import { parseWebhookRequest } from '../webhooks/webhook-request.ts'
import { sendPage } from './console-reply.ts'
import type { BrandParams, EventParams, WebhookParams } from './route-params.ts'

export interface WebhookPagesOptions {
  database: DatabaseHandle
  allowedNetworks: AllowedNetworks
  /** Sends the test button's events (the API's guarded sender). */
  sender: AttemptSender
  now: () => Date
}

type Form = Record<string, unknown>
/** What a page says after an action sent the browser back to it (POST-redirect-GET). */
const notices: Record<string, (count: number) => string> = {
  created: () => 'The webhook was created. Reveal its signing secret below to verify its deliveries.',
  enabled: () => 'The webhook is enabled.',
  disabled: () => 'The webhook is disabled: no events are delivered to it until it is enabled again.',
  'test-sent': () => 'A test event was sent; its attempt is below.',
  'retry-queued': () => 'The event is due now: the delivery worker makes one more attempt in a moment.',
  'retry-erased': () => 'The event was not retried: its customer was deleted and its body erased.',
  'retry-test': () => 'A test event is not sent again; send a new test from the webhook page.',
  retried: (count) => `${count} failed ${count === 1 ? 'delivery is' : 'deliveries are'} due again now.`,
}

function noticeOf(query: Form): string | undefined {
  const key = typeof query.notice === 'string' ? query.notice : ''
  const count = typeof query.count === 'string' && /^\d{1,9}$/.test(query.count) ? Number(query.count) : 0
  return Object.hasOwn(notices, key) ? notices[key]?.(count) : undefined
}

const text = (form: Form | undefined, name: string): string => {
  const value = form?.[name]
  return typeof value === 'string' ? value.trim() : ''
}

/**
 * A datetime-local field's value (YYYY-MM-DDTHH:MM, read as UTC) in the API's form, with its
 * offset; anything else is passed on for the API's check to name.
 */
export function formInstant(value: string): string | undefined {
  if (value === '') return undefined
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return `${value}:00Z`
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/.test(value)) return `${value}Z`
  return value
}

function defined(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/**
 * The console's webhook pages, under /console (console-routes.ts checks the session, the CSRF
 * token of every POST and the brand). Every page reads through the same feature functions as
 * the webhooks API; every action is a POST that redirects back (303), except the secret's two,
 * which answer the page with the secret (it must not travel in a URL or be kept for later).
 */
export const consoleWebhookPages: FastifyPluginAsync<WebhookPagesOptions> = async (app, options) => {
  const { db } = options.database
  const { now } = options

  const webhookOf = async (params: WebhookParams): Promise<Webhook> => {
    const webhook = uuidPattern.test(params.id) ? await findWebhook(db, params.brandId, params.id) : undefined
    if (!webhook) {
      throw new FlexError('NOT_FOUND', `The brand ${params.brandId} has no webhook ${params.id}.`)
    }
    return webhook
  }

  app.get<{ Params: BrandParams; Querystring: Form }>('/:brandId/webhooks', async (request, reply) => {
    const { brandId } = request.params
    const at = now()
    const [webhooks, activity] = await Promise.all([
      webhookHealth(db, brandId, at),
      deliveryActivity(db, brandId, { hours: 24 }, at),
    ])
    return sendPage(
      reply,
      webhooksPage(request.consoleView, { brandId, webhooks, activity, now: at, notice: noticeOf(request.query) }),
    )
  })

  app.get<{ Params: BrandParams }>('/:brandId/webhooks/new', async (request, reply) => {
    const form: NewWebhookForm = { endpoint: '', events: new Set(), enabled: true, problems: {} }
    return sendPage(reply, newWebhookPage(request.consoleView, request.params.brandId, form))
  })

  app.post<{ Params: BrandParams; Body: Form }>('/:brandId/webhooks', async (request, reply) => {
    const { brandId } = request.params
    const events = pickedEventTypes(request.body ?? {})
    // No type ticked reads as no events field: the API's own words, "events is required".
    const fields = {
      endpoint: text(request.body, 'endpoint'),
      events: events.length > 0 ? events : undefined,
      enabled: text(request.body, 'enabled') === 'on',
    }
    const refill = (status: number, problems: Record<string, string>) =>
      sendPage(
        reply.status(status),
        newWebhookPage(request.consoleView, brandId, { ...fields, events: new Set(events), problems }),
      )
    let webhook: ReturnType<typeof parseWebhookRequest>
    try {
      webhook = parseWebhookRequest(fields, options.allowedNetworks)
    } catch (error) {
      if (error instanceof FlexError && error.validations) return refill(error.httpStatus, error.validations)
      throw error
    }
    const result = await createWebhook(db, brandId, webhook)
    if ('duplicate' in result) {
      return refill(409, { events: 'the brand already has a webhook for this endpoint and this set of event types' })
    }
    request.log.info({ brandId, webhookId: result.created.id, host: new URL(webhook.endpoint).host }, 'webhook created')
    return reply.redirect(`${webhookPath(brandId, result.created.id)}?notice=created`, 303)
  })

  app.post<{ Params: WebhookParams; Body: Form }>('/:brandId/webhooks/:id/enabled', async (request, reply) => {
    const webhook = await webhookOf(request.params)
    const enabled = text(request.body, 'enabled') === 'true'
    await setWebhookEnabled(db, webhook.brandId, webhook.id, enabled)
    request.log.info({ brandId: webhook.brandId, webhookId: webhook.id, enabled }, 'webhook enabled set in the console')
    // Back to the page the form was on, if it is one of this brand's webhook pages.
    const returnTo = text(request.body, 'returnTo')
    const back =
      returnTo.startsWith(consolePath(webhook.brandId, '/webhooks')) && !returnTo.includes('//')
        ? returnTo
        : webhookPath(webhook.brandId, webhook.id)
    return reply.redirect(`${back.split('?')[0]}?notice=${enabled ? 'enabled' : 'disabled'}`, 303)
  })

  /** The webhook page's data: the webhook, its health, the log page its query asks for, its activity. */
  const webhookPageData = async (
    request: FastifyRequest<{ Params: WebhookParams; Querystring: Form }>,
    webhook: Webhook,
  ): Promise<WebhookPageData> => {
    const query = request.query ?? {}
    const filters: LogFilters = {
      status: text(query, 'status'),
      type: text(query, 'type'),
      start: text(query, 'start'),
      end: text(query, 'end'),
    }
    const startId = text(query, 'startId') || undefined
    const at = now()
    const [health] = await webhookHealth(db, webhook.brandId, at, webhook.id)
    if (!health) throw new FlexError('NOT_FOUND', `The brand ${webhook.brandId} has no webhook ${webhook.id}.`)
    let log: WebhookPageData['log']
    try {
      const pageQuery = parseEventPageQuery(
        defined({
          status: filters.status || undefined,
          type: filters.type || undefined,
          start: formInstant(filters.start),
          end: formInstant(filters.end),
          startId,
        }),
      )
      log = { page: await listWebhookEvents(db, webhook.id, pageQuery), startId: pageQuery.startId }
    } catch (error) {
      if (!(error instanceof FlexError) || !error.validations) throw error
      log = { problems: error.validations }
    }
    const activity = await deliveryActivity(db, webhook.brandId, { hours: 24, webhookId: webhook.id }, at)
    return { brandId: webhook.brandId, webhook, health, filters, log, activity, now: at, notice: noticeOf(query) }
  }

  app.get<{ Params: WebhookParams; Querystring: Form }>('/:brandId/webhooks/:id', async (request, reply) => {
    const webhook = await webhookOf(request.params)
    return sendPage(reply, webhookPage(request.consoleView, await webhookPageData(request, webhook)))
  })

  app.post<{ Params: WebhookParams; Querystring: Form }>('/:brandId/webhooks/:id/secret', async (request, reply) => {
    const webhook = await webhookOf(request.params)
    const secret = await webhookSecret(db, webhook.brandId, webhook.id)
    if (secret === undefined) throw new FlexError('NOT_FOUND', `The webhook ${webhook.id} is gone.`)
    request.log.info({ brandId: webhook.brandId, webhookId: webhook.id }, 'webhook secret revealed in the console')
    const data = await webhookPageData(request, webhook)
    return sendPage(reply, webhookPage(request.consoleView, { ...data, secret: { value: secret } }))
  })

  app.post<{ Params: WebhookParams; Querystring: Form }>(
    '/:brandId/webhooks/:id/secret/rotate',
    async (request, reply) => {
      const webhook = await webhookOf(request.params)
      const rotated = await rotateWebhookSecret(db, webhook.brandId, webhook.id, now())
      if (rotated === undefined) throw new FlexError('NOT_FOUND', `The webhook ${webhook.id} is gone.`)
      request.log.info({ brandId: webhook.brandId, webhookId: webhook.id }, 'webhook secret rotated in the console')
      const data = await webhookPageData(request, webhook)
      const secret = { value: rotated.secret, previousExpires: rotated.previousSecretExpires }
      return sendPage(
        reply,
        webhookPage(request.consoleView, { ...data, notice: 'The signing secret was rotated.', secret }),
      )
    },
  )

  app.post<{ Params: WebhookParams }>('/:brandId/webhooks/:id/test', async (request, reply) => {
    const webhook = await webhookOf(request.params)
    const sent = await sendTestEvent(db, options.sender, webhook.brandId, webhook.id, now())
    if (sent === undefined) throw new FlexError('NOT_FOUND', `The webhook ${webhook.id} is gone.`)
    request.log.info(
      { brandId: webhook.brandId, webhookId: webhook.id, eventId: sent.eventId, status: sent.attempt.status },
      'webhook test event sent from the console',
    )
    return reply.redirect(
      `${webhookPath(webhook.brandId, webhook.id, `/events/${sent.eventId}`)}?notice=test-sent`,
      303,
    )
  })

  const eventOf = async (params: EventParams, webhook: Webhook) => {
    const event = uuidPattern.test(params.eventId)
      ? await findWebhookEvent(db, webhook.id, params.eventId.toLowerCase())
      : undefined
    if (!event) throw new FlexError('NOT_FOUND', `No event ${params.eventId} was sent to the webhook ${webhook.id}.`)
    return event
  }

  app.get<{ Params: EventParams; Querystring: Form }>(
    '/:brandId/webhooks/:id/events/:eventId',
    async (request, reply) => {
      const webhook = await webhookOf(request.params)
      const event = await eventOf(request.params, webhook)
      return sendPage(
        reply,
        webhookEventPage(request.consoleView, {
          brandId: webhook.brandId,
          webhook,
          event,
          notice: noticeOf(request.query ?? {}),
        }),
      )
    },
  )

  app.post<{ Params: EventParams }>('/:brandId/webhooks/:id/events/:eventId/retry', async (request, reply) => {
    const webhook = await webhookOf(request.params)
    const event = await eventOf(request.params, webhook)
    const outcome = await retryDelivery(db, webhook.id, event.id, now())
    request.log.info({ brandId: webhook.brandId, webhookId: webhook.id, eventId: event.id, outcome }, 'console retry')
    const notice = outcome === 'queued' ? 'retry-queued' : outcome === 'erased' ? 'retry-erased' : 'retry-test'
    return reply.redirect(`${webhookPath(webhook.brandId, webhook.id, `/events/${event.id}`)}?notice=${notice}`, 303)
  })

  /** The range of the bulk retry forms; a 422 page names what is wrong with it (console-routes.ts). */
  const rangeOf = (form: Form | undefined, source?: typeof rangeBody): DeliveryRange =>
    parseDeliveryRange(
      defined({ start: formInstant(text(form, 'start')), end: formInstant(text(form, 'end')) }),
      source,
    )

  app.get<{ Params: WebhookParams; Querystring: Form }>(
    '/:brandId/webhooks/:id/failed-deliveries',
    async (request, reply) => {
      const webhook = await webhookOf(request.params)
      const range = rangeOf(request.query)
      const count = await countFailedDeliveries(db, webhook.id, range)
      const form = { start: text(request.query, 'start'), end: text(request.query, 'end') }
      return sendPage(
        reply,
        bulkRetryConfirmPage(request.consoleView, { brandId: webhook.brandId, webhook, range, form, count }),
      )
    },
  )

  app.post<{ Params: WebhookParams; Body: Form }>(
    '/:brandId/webhooks/:id/failed-deliveries/retry',
    async (request, reply) => {
      const webhook = await webhookOf(request.params)
      const range = rangeOf(request.body, rangeBody)
      const retried = await retryFailedDeliveries(db, webhook.id, range, now())
      request.log.info({ brandId: webhook.brandId, webhookId: webhook.id, retried }, 'console bulk retry')
      return reply.redirect(`${webhookPath(webhook.brandId, webhook.id)}?notice=retried&count=${retried}`, 303)
    },
  )
}
