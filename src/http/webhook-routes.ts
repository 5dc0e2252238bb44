import type { FastifyPluginAsync } from 'fastify'
import type { z } from 'zod'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { uuidPattern } from '../uuid-pattern.ts'
import { countFailedDeliveries, parseDeliveryRange, rangeBody, retryFailedDeliveries } from '../webhooks/bulk-retry.ts'
import { deliveryActivity, parseActivityQuery } from '../webhooks/delivery-activity.ts'
import { findWebhookEvent, listWebhookEvents, retryDelivery } from '../webhooks/delivery-history.ts'
import type { AllowedNetworks } from '../webhooks/endpoint-url.ts'
import { parseEventPageQuery } from '../webhooks/event-page-request.ts'
import type { AttemptSender } from '../webhooks/send-webhook-request.ts'
import { sendTestEvent } from '../webhooks/test-event.ts'
import { webhookHealth } from '../webhooks/webhook-health.ts'
import {
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhooks,
  rotateWebhookSecret,
  setWebhookEnabled,
  type Webhook,
  webhookSecret,
} from '../webhooks/webhook-repository.ts'
import { parseWebhookPatch, parseWebhookRequest } from '../webhooks/webhook-request.ts'
import type {
  failedDeliveriesCount,
  failedDeliveriesRetried,
  rotatedSecretResponse,
  webhookEventsPage,
  webhookTestResponse,
} from './response-schemas.ts'
import type { BrandParams, EventParams, WebhookParams } from './route-params.ts'
import {
  activityAnswer,
  attemptAnswer,
  eventDetailAnswer,
  eventSummaryAnswer,
  healthAnswer,
  rangeAnswer,
  webhookAnswer,
} from './webhook-answers.ts'

export interface WebhookRoutesOptions {
  database: DatabaseHandle
  /** The networks FLEX_WEBHOOK_ALLOW_NETWORKS opens to endpoints. */
  allowedNetworks: AllowedNetworks
  /** Sends the test events of POST .../test (a WebhookSender guarded by the same networks). */
  sender: AttemptSender
}

/** A webhook request is a few hundred bytes; this leaves room for 100 events and 20 headers. */
export const webhookBodyLimit = 64 * 1024

/**
 * The Webhooks API of seed 002, registered under /v1 behind the API key check:
 *   POST   /:brandId/webhooks              create -> 201, Location, the webhook and its secret
 *   GET    /:brandId/webhooks              the brand's webhooks (404 when it has none, as the seed says)
 *   GET    /:brandId/webhooks/:id          one
 *   PATCH  /:brandId/webhooks/:id          {"enabled": bool} -> 204
 *   DELETE /:brandId/webhooks/:id          -> 204
 *   GET    /:brandId/webhooks/:id/secret   the signing secret
 *   POST   /:brandId/webhooks/:id/secret/rotate   a new secret; the old one signs beside it for 24 h
 *   POST   /:brandId/webhooks/:id/test    sends a WEBHOOK.TEST event now -> 200 with the attempt
 *   GET    /:brandId/webhooks/:id/events  the events sent to it, newest first, a page at a time
 *   GET    /:brandId/webhooks/:id/events/:eventId         one, with every attempt
 *   POST   /:brandId/webhooks/:id/events/:eventId/retry   -> 202, one more attempt soon
 *   GET    /:brandId/webhooks/:id/failed-deliveries/count?start&end   how many a bulk retry would retry
 *   POST   /:brandId/webhooks/:id/failed-deliveries/retry  {start, end} -> 202 with how many it retried
 *   GET    /:brandId/webhooks/health                       each webhook's last 24 h, backlog, last error
 *   GET    /:brandId/webhooks/activity?hours&webhookId     attempts per minute, response times per 10 minutes
 * Another brand's webhook is answered like an unknown one (404), never 403, so ids reveal nothing.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, options) => {
  const { database, allowedNetworks, sender } = options
  const { db } = database

  // Encapsulated here: JSON bodies only, malformed JSON a 400 in the API's words.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Request signatures (keys that require them) cover the raw bytes.
    request.rawBody = body as string
    try {
      done(null, JSON.parse(body as string))
    } catch (error) {
      done(
        new FlexError('MALFORMED_BODY', `The body is not valid JSON: ${(error as Error).message}; send a JSON object.`),
        undefined,
      )
    }
  })
  app.addContentTypeParser('*', (request, _payload, done) => {
    const type = request.headers['content-type']
    done(
      new FlexError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${type ?? '(none)'} is not read; send the body as application/json (curl: -H 'Content-Type: application/json').`,
      ),
      undefined,
    )
  })

  app.post<{ Params: BrandParams; Body: unknown }>(
    '/:brandId/webhooks',
    { bodyLimit: webhookBodyLimit },
    async (request, reply) => {
      const { brandId } = request.params
      const webhook = parseWebhookRequest(request.body, allowedNetworks)
      const result = await createWebhook(db, brandId, webhook)
      if ('duplicate' in result) {
        throw new FlexError(
          'WEBHOOK_EXISTS',
          `A webhook for endpoint: ${webhook.endpoint} and eventTypes: ${JSON.stringify(result.events)} already exists`,
        )
      }
      // The host only: an endpoint's path or query may carry a receiver's token, and secrets stay out of logs.
      const host = new URL(webhook.endpoint).host
      request.log.info({ brandId, webhookId: result.created.id, host }, 'webhook created')
      return reply
        .status(201)
        .header('location', `/v1/${encodeURIComponent(brandId)}/webhooks/${result.created.id}`)
        .send({ ...webhookAnswer(result.created), secret: result.secret })
    },
  )

  app.get<{ Params: BrandParams }>('/:brandId/webhooks', async (request) => {
    const webhooks = await listWebhooks(db, request.params.brandId)
    if (webhooks.length === 0) {
      throw new FlexError(
        'NOT_FOUND',
        'No webhooks with that brand ID were found; create one with POST /v1/{brandId}/webhooks.',
      )
    }
    return webhooks.map(webhookAnswer)
  })

  app.get<{ Params: WebhookParams }>('/:brandId/webhooks/:id', async (request) => {
    const { brandId } = request.params
    const id = webhookId(request.params)
    return webhookAnswer(found(await findWebhook(db, brandId, id), brandId, id))
  })

  app.patch<{ Params: WebhookParams; Body: unknown }>(
    '/:brandId/webhooks/:id',
    { bodyLimit: webhookBodyLimit },
    async (request, reply) => {
      const { brandId } = request.params
      const id = webhookId(request.params)
      const enabled = parseWebhookPatch(request.body)
      if (!(await setWebhookEnabled(db, brandId, id, enabled))) notFound(brandId, id)
      request.log.info({ brandId, webhookId: id, enabled }, enabled ? 'webhook enabled' : 'webhook disabled')
      return reply.status(204).send()
    },
  )

  app.delete<{ Params: WebhookParams }>('/:brandId/webhooks/:id', async (request, reply) => {
    const { brandId } = request.params
    const id = webhookId(request.params)
    if (!(await deleteWebhook(db, brandId, id))) notFound(brandId, id)
    request.log.info({ brandId, webhookId: id }, 'webhook deleted')
    return reply.status(204).send()
  })

  app.get<{ Params: WebhookParams }>('/:brandId/webhooks/:id/secret', async (request) => {
    const { brandId } = request.params
    const id = webhookId(request.params)
    const secret = await webhookSecret(db, brandId, id)
    if (secret === undefined) notFound(brandId, id)
    return { secret }
  })

  app.post<{ Params: WebhookParams }>('/:brandId/webhooks/:id/secret/rotate', async (request) => {
    const { brandId } = request.params
    const id = webhookId(request.params)
    const rotated = await rotateWebhookSecret(db, brandId, id)
    if (rotated === undefined) notFound(brandId, id)
    request.log.info({ brandId, webhookId: id }, 'webhook secret rotated')
    const answer: z.infer<typeof rotatedSecretResponse> = {
      secret: rotated.secret,
      previousSecretExpires: rotated.previousSecretExpires.toISOString(),
    }
    return answer
  })

  app.post<{ Params: WebhookParams }>('/:brandId/webhooks/:id/test', async (request) => {
    const { brandId } = request.params
    const id = webhookId(request.params)
    const sent = await sendTestEvent(db, sender, brandId, id, new Date())
    if (sent === undefined) notFound(brandId, id)
    const { attempt } = sent
    request.log.info(
      {
        brandId,
        webhookId: id,
        eventId: sent.eventId,
        status: attempt.status,
        statusCode: attempt.response?.statusCode,
        error: attempt.error?.kind,
      },
      'webhook test event sent',
    )
    const answer: z.infer<typeof webhookTestResponse> = { eventId: sent.eventId, ...attemptAnswer(attempt) }
    return answer
  })

  app.get<{ Params: WebhookParams; Querystring: Record<string, unknown> }>(
    '/:brandId/webhooks/:id/events',
    async (request) => {
      const { brandId } = request.params
      const id = webhookId(request.params)
      found(await findWebhook(db, brandId, id), brandId, id)
      const query = parseEventPageQuery(request.query)
      const page = await listWebhookEvents(db, id, query)
      const answer: z.infer<typeof webhookEventsPage> = {
        events: page.events.map(eventSummaryAnswer),
        page: { size: query.size, startId: query.startId ?? null, lastId: page.lastId },
      }
      return answer
    },
  )

  app.get<{ Params: EventParams }>('/:brandId/webhooks/:id/events/:eventId', async (request) => {
    const { brandId, eventId } = request.params
    const id = webhookId(request.params)
    found(await findWebhook(db, brandId, id), brandId, id)
    const event = uuidPattern.test(eventId) ? await findWebhookEvent(db, id, eventId.toLowerCase()) : undefined
    if (event === undefined) eventNotFound(id, eventId)
    return eventDetailAnswer(event)
  })

  app.post<{ Params: EventParams }>('/:brandId/webhooks/:id/events/:eventId/retry', async (request, reply) => {
    const { brandId, eventId } = request.params
    const id = webhookId(request.params)
    found(await findWebhook(db, brandId, id), brandId, id)
    const outcome = uuidPattern.test(eventId)
      ? await retryDelivery(db, id, eventId.toLowerCase(), new Date())
      : 'not_found'
    if (outcome === 'not_found') eventNotFound(id, eventId)
    if (outcome === 'erased') {
      throw new FlexError(
        'EVENT_ERASED',
        `The event ${eventId} cannot be sent again: its customer was deleted and its data erased.`,
      )
    }
    if (outcome === 'test') {
      throw new FlexError(
        'TEST_EVENT_NOT_RETRIED',
        `The event ${eventId} is a test event, which is not sent again; send a new one with POST /v1/${brandId}/webhooks/${id}/test.`,
      )
    }
    request.log.info({ brandId, webhookId: id, eventId }, 'webhook event retry queued')
    return reply.status(202).send()
  })

  app.get<{ Params: WebhookParams; Querystring: Record<string, unknown> }>(
    '/:brandId/webhooks/:id/failed-deliveries/count',
    async (request) => {
      const { brandId } = request.params
      const id = webhookId(request.params)
      found(await findWebhook(db, brandId, id), brandId, id)
      const range = parseDeliveryRange(request.query)
      const answer: z.infer<typeof failedDeliveriesCount> = {
        ...rangeAnswer(range),
        count: await countFailedDeliveries(db, id, range),
      }
      return answer
    },
  )

  app.post<{ Params: WebhookParams; Body: unknown }>(
    '/:brandId/webhooks/:id/failed-deliveries/retry',
    { bodyLimit: webhookBodyLimit },
    async (request, reply) => {
      const { brandId } = request.params
      const id = webhookId(request.params)
      found(await findWebhook(db, brandId, id), brandId, id)
      const range = parseDeliveryRange(request.body, rangeBody)
      const retried = await retryFailedDeliveries(db, id, range, new Date())
      request.log.info({ brandId, webhookId: id, ...rangeAnswer(range), retried }, 'failed deliveries retried')
      const answer: z.infer<typeof failedDeliveriesRetried> = { ...rangeAnswer(range), retried }
      return reply.status(202).send(answer)
    },
  )

  app.get<{ Params: BrandParams }>('/:brandId/webhooks/health', async (request) => {
    const now = new Date()
    return healthAnswer(await webhookHealth(db, request.params.brandId, now), now)
  })

  app.get<{ Params: BrandParams; Querystring: Record<string, unknown> }>(
    '/:brandId/webhooks/activity',
    async (request) => {
      const { brandId } = request.params
      const query = parseActivityQuery(request.query)
      if (query.webhookId !== undefined)
        found(await findWebhook(db, brandId, query.webhookId), brandId, query.webhookId)
      return activityAnswer(await deliveryActivity(db, brandId, query, new Date()), query.webhookId)
    },
  )
}

function eventNotFound(webhookId: string, eventId: string): never {
  throw new FlexError(
    'NOT_FOUND',
    `No event with ID: ${eventId} was found for webhook ${webhookId}; GET .../webhooks/${webhookId}/events lists its events.`,
  )
}

/** The path's webhook id; one that is not a uuid names no webhook: 404 without a query (PostgreSQL would refuse it). */
function webhookId({ brandId, id }: WebhookParams): string {
  if (!uuidPattern.test(id)) notFound(brandId, id)
  return id
}

function found(webhook: Webhook | undefined, brandId: string, id: string): Webhook {
  if (webhook === undefined) notFound(brandId, id)
  return webhook
}

function notFound(brandId: string, id: string): never {
  throw new FlexError(
    'NOT_FOUND',
    `A webhook with ID: ${id} for brandId: ${brandId} was not found; GET /v1/${brandId}/webhooks lists the brand's webhooks.`,
  )
}
