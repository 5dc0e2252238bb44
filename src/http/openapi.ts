import { z } from 'zod'
import { defaultExportDays, maxExportDays } from '../exports/export-days.ts'
import { entitySchemas } from '../ingest/entities/index.ts'
import { type EntityType, entityTypes } from '../ingest/entity-types.ts'
import { externalIdPattern } from '../ingest/fields.ts'
import { requiredAsParsed } from '../ingest/published-schemas.ts'
import { rejectionPageSizes } from '../ingest/rejection-page-request.ts'
import { activityHours } from '../webhooks/delivery-activity.ts'
import { deliveryStatuses, eventPageSizes } from '../webhooks/delivery-history.ts'
import { publishableEventTypes } from '../webhooks/event-catalogue.ts'
import { maxDataDepth, maxEventsPerRequest } from '../webhooks/publish-request.ts'
import { maxCustomHeaders, maxSubscriptions } from '../webhooks/webhook-request.ts'
import { publishBodyLimit } from './event-routes.ts'
import { defaultBodyLimit, defaultMaxRecords, formatCount, idempotencyKeyPattern, maxParamLength } from './limits.ts'
import {
  apiErrorResponseSchema,
  createdWebhookResponse,
  deleteResponse,
  entityResponse,
  exportDaysResponse,
  exportRunResponse,
  failedDeliveriesCount,
  failedDeliveriesRetried,
  healthResponse,
  ingestionSummaryResponse,
  postResponse,
  publishResponse,
  recordOutcome,
  rejectionsPage,
  rotatedSecretResponse,
  waitingReferencesResponse,
  webhookActivityResponse,
  webhookEventResponse,
  webhookEventsPage,
  webhookHealthResponse,
  webhookListResponse,
  webhookResponse,
  webhookSecretResponse,
  webhookTestResponse,
} from './response-schemas.ts'

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    // In answers, `format` says it: zod's 300-character date patterns would repeat on every
    // timestamp of every entity (requests keep them, they are the rule a record must meet).
    override: (context) => {
      if (io === 'input') requiredAsParsed(context)
      const format = context.jsonSchema.format
      if (io === 'output' && (format === 'date-time' || format === 'date')) delete context.jsonSchema.pattern
    },
  })
  return json
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schemaName: string) => ({ 'application/json': { schema: ref(schemaName) } })
const ok = (description: string, schemaName: string) => ({ description, content: json(schemaName) })
const error = (description: string) => ({ description, content: json('APIErrorResponse') })
const responseName = (type: EntityType) => `${type}_stored`

/** Error answers every /v1 route can give, before or apart from its own: components/responses. */
const v1ErrorResponses = {
  BadPath: ['400', 'The path is not valid percent-encoding'],
  Unauthorized: [
    '401',
    'No API key, an unknown or revoked one, or (keys that require it) a missing, wrong or replayed signature',
  ],
  Forbidden: ['403', 'The key belongs to another brand'],
  NotFound: ['404', 'Unknown route, entity type or entity, or (an operator key) unknown brand'],
  PathSegmentTooLong: ['414', `A path segment is longer than ${formatCount(maxParamLength)} characters`],
  TooManyRequests: ['429', 'Rate limit exceeded; see Retry-After'],
  InternalError: ['500', 'Unexpected error (logged)'],
} as const
const v1Errors = Object.fromEntries(
  Object.entries(v1ErrorResponses).map(([name, [status]]) => [status, { $ref: `#/components/responses/${name}` }]),
)

/**
 * The HTTP API as OpenAPI 3.1: request schemas generated from the ingestion's zod definitions,
 * response schemas from response-schemas.ts (which the tests check real answers against).
 */
export function openApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    APIErrorResponse: jsonSchema(apiErrorResponseSchema, 'output'),
    RecordOutcome: jsonSchema(recordOutcome, 'output'),
    PostResponse: jsonSchema(postResponse, 'output'),
    WaitingReferences: jsonSchema(waitingReferencesResponse, 'output'),
    IngestionSummary: jsonSchema(ingestionSummaryResponse, 'output'),
    RejectionsPage: jsonSchema(rejectionsPage, 'output'),
    DeleteResponse: jsonSchema(deleteResponse, 'output'),
    Health: jsonSchema(healthResponse, 'output'),
    WebhookRequest: webhookRequestSchema,
    WebhookPatchRequest: {
      type: 'object',
      properties: { enabled: { type: 'boolean' } },
      required: ['enabled'],
      additionalProperties: false,
    },
    WebhookResponse: jsonSchema(webhookResponse, 'output'),
    WebhookCreatedResponse: jsonSchema(createdWebhookResponse, 'output'),
    WebhookList: jsonSchema(webhookListResponse, 'output'),
    WebhookSecret: jsonSchema(webhookSecretResponse, 'output'),
    WebhookRotatedSecret: jsonSchema(rotatedSecretResponse, 'output'),
    WebhookEventsResponsePage: jsonSchema(webhookEventsPage, 'output'),
    WebhookEventResponse: jsonSchema(webhookEventResponse, 'output'),
    WebhookTestResponse: jsonSchema(webhookTestResponse, 'output'),
    DeliveryRange: deliveryRangeSchema,
    FailedDeliveriesCount: jsonSchema(failedDeliveriesCount, 'output'),
    FailedDeliveriesRetried: jsonSchema(failedDeliveriesRetried, 'output'),
    WebhookHealth: jsonSchema(webhookHealthResponse, 'output'),
    WebhookActivity: jsonSchema(webhookActivityResponse, 'output'),
    PublishRequest: publishRequestSchema(),
    PublishResponse: jsonSchema(publishResponse, 'output'),
    ExportDays: jsonSchema(exportDaysResponse, 'output'),
    ExportRun: jsonSchema(exportRunResponse, 'output'),
  }
  for (const type of entityTypes) {
    schemas[type] = jsonSchema(entitySchemas[type], 'input')
    schemas[responseName(type)] = jsonSchema(entityResponse(type), 'output')
  }
  const security = [{ apiKey: [] }]
  const brandId = { name: 'brandId', in: 'path', required: true, schema: { type: 'string' } }
  const id = {
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string', maxLength: 128 },
    description: 'The id as the brand sent it, percent-encoded',
  }
  const paths: Record<string, unknown> = {
    '/healthz': {
      get: {
        summary: 'Health check: the server runs and its database answers',
        responses: { '200': ok('Ready', 'Health'), '503': error('The database does not answer') },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: {} } } } },
      },
    },
    '/v1/{brandId}/waiting-references': {
      get: {
        summary:
          'References still waiting for their entity, by referring and referenced type, with counts and the oldest (never dropped or expired)',
        security,
        parameters: [brandId],
        responses: { '200': ok('The waiting references', 'WaitingReferences'), ...v1Errors },
      },
    },
    '/v1/{brandId}/ingestion/summary': {
      get: {
        summary:
          'Records ingested over the last 24 hours (the current UTC hour and the 23 before it) by entity type and outcome, from the API and from files, and the references still waiting with the oldest',
        security,
        parameters: [brandId],
        responses: { '200': ok('The summary', 'IngestionSummary'), ...v1Errors },
      },
    },
    '/v1/{brandId}/ingestion/rejections': {
      get: {
        summary:
          "The brand's recently rejected records, newest first, each with its id and every error's field, rule and message (never its content); pass page.lastId as startId for the next page",
        security,
        parameters: [
          brandId,
          query(
            'size',
            { type: 'integer', minimum: 1, maximum: rejectionPageSizes.max, default: rejectionPageSizes.default },
            'The page size',
          ),
          query(
            'startId',
            { type: 'integer', minimum: 1 },
            'The page holds rejections older than this one (page.lastId)',
          ),
          query('entity', { type: 'string', enum: [...entityTypes] }, 'Only rejected records of this entity type'),
        ],
        responses: {
          '200': ok('A page of rejections', 'RejectionsPage'),
          ...v1Errors,
          '422': error(
            `A query parameter breaks its rule (size 1 to ${rejectionPageSizes.max}, startId a whole number from 1, entity an entity type, no others); validations names it`,
          ),
        },
      },
    },
  }
  for (const type of entityTypes) {
    paths[`/v1/{brandId}/${type}`] = {
      post: {
        summary: `Create or update ${type}`,
        description: `At most ${formatCount(defaultMaxRecords)} records (${defaultBodyLimit / 1024 / 1024} MiB) per request. Each record gets an outcome; the answer comes after the commit.`,
        security,
        parameters: [
          brandId,
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: idempotencyKeyPattern.source },
            description:
              'A retried request with the same key and body gets the first answer again; 1 to 255 visible ASCII characters (another answers 400)',
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { type: 'array', maxItems: 1000, items: ref(type) } },
            'application/x-ndjson': {
              schema: { type: 'string', description: `One ${type} record (JSON) per line` },
            },
          },
        },
        responses: {
          '200': ok('Every record stored, unchanged or stale', 'PostResponse'),
          '207': ok('Some records rejected (each names its field and rule), the others stored', 'PostResponse'),
          ...v1Errors,
          '400': error(
            'Malformed JSON or NDJSON, a path that is not valid percent-encoding, or an Idempotency-Key that breaks its rule',
          ),
          '413': error(
            `More than ${formatCount(defaultMaxRecords)} records, or a body over ${defaultBodyLimit / 1024 / 1024} MiB`,
          ),
          '415': error(
            'The body is not application/json or application/x-ndjson in UTF-8, or has no Content-Type; the description names the accepted types',
          ),
          '422': {
            description:
              'Every record rejected (a PostResponse), or the body is not an array, or an Idempotency-Key was reused for another body (an APIErrorResponse)',
            content: { 'application/json': { schema: { oneOf: [ref('PostResponse'), ref('APIErrorResponse')] } } },
          },
        },
      },
    }
    const item: Record<string, unknown> = {
      get: {
        summary: `A stored ${type} entity with the state of each of its references`,
        security,
        parameters: [brandId, id],
        responses: { '200': ok('The entity', responseName(type)), ...v1Errors },
      },
    }
    if (type === 'customers') {
      item.delete = {
        summary: "Erase a customer's personal data (the row stays, so references to it stay valid)",
        security,
        parameters: [brandId, id],
        responses: { '200': ok('Erased now, or already before', 'DeleteResponse'), ...v1Errors },
      }
    }
    paths[`/v1/{brandId}/${type}/{id}`] = item
  }
  Object.assign(paths, webhookPaths(brandId, security), publishPaths(brandId, security), exportPaths(brandId, security))
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flex API',
      version: '1.0.0',
      description:
        "Ingestion of a brand's entities (docs/ingestion.md), its webhooks and the events its upstream systems publish (docs/webhooks.md), the status of its daily exports (docs/exports.md). Every error has the APIErrorResponse shape; under /v1 the API key is checked first. Requests over Node's limits get 431 (request line and headers over 16 KiB) or 408 in the same shape.",
    },
    components: {
      schemas,
      responses: Object.fromEntries(
        Object.entries(v1ErrorResponses).map(([name, [, description]]) => [name, error(description)]),
      ),
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: "flex apikey create --brand B (the brand's key) or --operator (a key for every brand)",
        },
      },
    },
    paths,
  }
}

/** POST /v1/{brandId}/webhooks: seed 002's WebhookRequest, with the optional custom headers. */
const webhookRequestSchema = {
  type: 'object',
  properties: {
    endpoint: {
      type: 'string',
      format: 'uri',
      maxLength: 2048,
      description:
        'An absolute https URL without credentials; an IP literal must be public (loopback, private, link-local and other non-public addresses are refused unless FLEX_WEBHOOK_ALLOW_NETWORKS opens them, and plain http only to those networks)',
      example: 'https://example.com/my/webhook/endpoint',
    },
    events: {
      type: 'array',
      minItems: 1,
      maxItems: maxSubscriptions,
      items: { type: 'string', minLength: 1 },
      description:
        'Event types or prefixes of types from the catalogue (docs/webhooks.md): ORDER_EVENTS receives every type below it. The set is what counts: order and repeats do not.',
    },
    enabled: { type: 'boolean', default: true },
    headers: {
      type: 'object',
      maxProperties: maxCustomHeaders,
      additionalProperties: { type: 'string', maxLength: 1024 },
      description:
        "Custom headers sent with every delivery, name -> value (for a receiver that checks a static header); the platform's own headers cannot be overridden",
    },
  },
  required: ['endpoint', 'events'],
  additionalProperties: false,
}

function webhookPaths(brandId: Record<string, unknown>, security: Record<string, unknown>[]): Record<string, unknown> {
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }
  const noContent = (description: string) => ({ description })
  const notFound = error('Unknown route, or no webhook with that id for this brand (a malformed uuid included)')
  const eventId = { name: 'eventId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }
  const eventNotFound = error('No webhook with that id for this brand, or no event with that id sent to it')
  const body = (schemaName: string) => ({ required: true, content: json(schemaName) })
  return {
    '/v1/{brandId}/webhooks': {
      post: {
        summary: 'Create a webhook: an endpoint and the event types it receives (enabled unless enabled is false)',
        security,
        parameters: [brandId],
        requestBody: body('WebhookRequest'),
        responses: {
          '201': {
            ...ok(
              'The webhook, with its signing secret (shown again only by GET .../secret)',
              'WebhookCreatedResponse',
            ),
            headers: { Location: { schema: { type: 'string' }, description: '/v1/{brandId}/webhooks/{id}' } },
          },
          ...v1Errors,
          '400': error('Malformed JSON, or a path that is not valid percent-encoding'),
          '409': error('A webhook already exists for the same endpoint with the same set of event types'),
          '413': error('The body is over 64 KiB'),
          '415': error('The body is not application/json'),
          '422': error(
            'There are errors in the request: validations names each field (endpoint, events, enabled, headers, unknown fields)',
          ),
        },
      },
      get: {
        summary: "The brand's webhooks, oldest first (no secrets)",
        security,
        parameters: [brandId],
        responses: {
          '200': ok('The webhooks', 'WebhookList'),
          ...v1Errors,
          '404': error('No webhooks with that brand ID were found (as seed 002 answers: never an empty list)'),
        },
      },
    },
    '/v1/{brandId}/webhooks/{id}': {
      get: {
        summary: 'A webhook',
        security,
        parameters: [brandId, id],
        responses: { '200': ok('The webhook', 'WebhookResponse'), ...v1Errors, '404': notFound },
      },
      patch: {
        summary: 'Turn a webhook off without deleting it, or back on',
        security,
        parameters: [brandId, id],
        requestBody: body('WebhookPatchRequest'),
        responses: {
          '204': noContent('Changed (or already so)'),
          ...v1Errors,
          '400': error('Malformed JSON, or a path that is not valid percent-encoding'),
          '404': notFound,
          '415': error('The body is not application/json'),
          '413': error('The body is over 64 KiB'),
          '422': error('The body is not exactly {"enabled": true} or {"enabled": false}'),
        },
      },
      delete: {
        summary: 'Delete a webhook',
        security,
        parameters: [brandId, id],
        responses: { '204': noContent('Deleted'), ...v1Errors, '404': notFound },
      },
    },
    '/v1/{brandId}/webhooks/{id}/secret': {
      get: {
        summary: "The webhook's signing secret (Standard Webhooks, whsec_ + base64)",
        security,
        parameters: [brandId, id],
        responses: { '200': ok('The secret', 'WebhookSecret'), ...v1Errors, '404': notFound },
      },
    },
    '/v1/{brandId}/webhooks/{id}/secret/rotate': {
      post: {
        summary: 'Give the webhook a new signing secret; the previous one keeps signing beside it for 24 hours',
        security,
        parameters: [brandId, id],
        responses: { '200': ok('The new secret', 'WebhookRotatedSecret'), ...v1Errors, '404': notFound },
      },
    },
    '/v1/{brandId}/webhooks/{id}/test': {
      post: {
        summary:
          "Send a signed WEBHOOK.TEST event to the webhook now (enabled or not) and answer with the attempt; it shows in GET .../events, is never sent again (a retry is a 409), and never changes the webhook's health",
        description:
          'WEBHOOK.TEST is not in the catalogue: no webhook subscribes to it and it cannot be published. Its data is {"webhookId", "message"}. A refused, failing or slow endpoint is still a 200: the call worked, the attempt failed (status FAILURE, with the response or the error).',
        security,
        parameters: [brandId, id],
        responses: {
          '200': ok('The attempt, with the test event id', 'WebhookTestResponse'),
          ...v1Errors,
          '404': notFound,
        },
      },
    },
    '/v1/{brandId}/webhooks/{id}/events': {
      get: {
        summary:
          'The events sent (or being sent) to a webhook, newest first (by when they happened); pass page.lastId as startId for the next page',
        description:
          'The delivery log. Filters combine (start, end, status, type); pages are keyset pages (no offset), each as fast as the first with a million events.',
        security,
        parameters: [
          brandId,
          id,
          query(
            'size',
            { type: 'integer', minimum: 1, maximum: eventPageSizes.max, default: eventPageSizes.default },
            'The page size',
          ),
          query('start', { type: 'string', format: 'date-time' }, 'Only events that happened at or after this instant'),
          query('end', { type: 'string', format: 'date-time' }, 'Only events that happened before this instant'),
          query(
            'status',
            { type: 'string', enum: [...deliveryStatuses] },
            'Only deliveries in this state: success (an attempt succeeded), pending (not yet; an attempt is scheduled: nextAttempt is set), failure (not succeeded and no attempt to come: given up, or erased)',
          ),
          query(
            'type',
            { type: 'string', example: 'ORDER_EVENTS.OMS' },
            'Only events of this type, or of every type below this prefix (ORDER_EVENTS.OMS covers ORDER_EVENTS.OMS.ORDER_SHIPPED); WEBHOOK.TEST for test sends',
          ),
          query(
            'startId',
            { type: 'string', format: 'uuid' },
            'The page holds events older than this one (page.lastId)',
          ),
        ],
        responses: {
          '200': ok('A page of events', 'WebhookEventsResponsePage'),
          ...v1Errors,
          '404': notFound,
          '422': error(
            'A query parameter breaks its rule (size 1 to 100, date-times with an offset, start not after end, status success|failure|pending, type a catalogue type or prefix, startId an event of this webhook, no others)',
          ),
        },
      },
    },
    '/v1/{brandId}/webhooks/{id}/events/{eventId}': {
      get: {
        summary: 'An event sent to a webhook, with every attempt: the request as sent and the response',
        security,
        parameters: [brandId, id, eventId],
        responses: { '200': ok('The event', 'WebhookEventResponse'), ...v1Errors, '404': eventNotFound },
      },
    },
    '/v1/{brandId}/webhooks/{id}/events/{eventId}/retry': {
      post: {
        summary:
          'Send the event again: the worker makes one more attempt soon (each retry is a new attempt; a given-up or succeeded event gets one)',
        security,
        parameters: [brandId, id, eventId],
        responses: {
          '202': noContent('The retry was accepted'),
          ...v1Errors,
          '404': eventNotFound,
          '409': error(
            "The event's data was erased with its customer, or it is a test event (WEBHOOK.TEST): it is not sent again",
          ),
        },
      },
    },
    '/v1/{brandId}/webhooks/{id}/failed-deliveries/count': {
      get: {
        summary: 'How many failed deliveries of a time range a bulk retry would send again (to confirm first)',
        description:
          'Failed: attempted and not succeeded (given up, or failing with a retry scheduled); test events and erased events are left out, as they are never sent again.',
        security,
        parameters: [
          brandId,
          id,
          query(
            'start',
            { type: 'string', format: 'date-time' },
            'Required: events that happened at or after this instant',
          ),
          query('end', { type: 'string', format: 'date-time' }, 'Required: … and before this one'),
        ],
        responses: {
          '200': ok('The count', 'FailedDeliveriesCount'),
          ...v1Errors,
          '404': notFound,
          '422': error(
            'start or end is missing or not a date-time with an offset, start is after end, or another parameter was given',
          ),
        },
      },
    },
    '/v1/{brandId}/webhooks/{id}/failed-deliveries/retry': {
      post: {
        summary:
          'Send every failed delivery of a time range again: each is made due now and the worker makes one more attempt soon',
        description:
          'The same deliveries GET …/failed-deliveries/count counts. A disabled webhook keeps them until it is enabled again.',
        security,
        parameters: [brandId, id],
        requestBody: body('DeliveryRange'),
        responses: {
          '202': ok('Accepted: how many deliveries were made due', 'FailedDeliveriesRetried'),
          ...v1Errors,
          '400': error('Malformed JSON, or a path that is not valid percent-encoding'),
          '404': notFound,
          '413': error('The body is over 64 KiB'),
          '415': error('The body is not application/json'),
          '422': error(
            'start or end is missing or not a date-time with an offset, start is after end, or another field was given',
          ),
        },
      },
    },
    '/v1/{brandId}/webhooks/health': {
      get: {
        summary:
          "Each of the brand's webhooks: deliveries and success rate over the last 24 hours, backlog and the oldest pending delivery's age, the last error, why it was disabled",
        security,
        parameters: [brandId],
        responses: { '200': ok("The brand's webhooks' health", 'WebhookHealth'), ...v1Errors },
      },
    },
    '/v1/{brandId}/webhooks/activity': {
      get: {
        summary:
          "The attempts of the brand's webhooks (or one of them) over the last hours: delivered and failed per minute, response times (p50, p95) per 10 minutes",
        security,
        parameters: [
          brandId,
          query(
            'hours',
            { type: 'integer', minimum: 1, maximum: activityHours.max, default: activityHours.default },
            'How many hours back, to the end of the current 10 minutes',
          ),
          query('webhookId', { type: 'string', format: 'uuid' }, 'Only this webhook of the brand'),
        ],
        responses: {
          '200': ok('The activity', 'WebhookActivity'),
          ...v1Errors,
          '404': error('Unknown route, or no webhook with that webhookId for this brand'),
          '422': error(
            `hours is not a whole number from 1 to ${activityHours.max}, webhookId not a uuid, or another parameter was given`,
          ),
        },
      },
    },
  }
}

/** POST /v1/{brandId}/webhooks/{id}/failed-deliveries/retry */
const deliveryRangeSchema = {
  type: 'object',
  properties: {
    start: { type: 'string', format: 'date-time', description: 'Events that happened at or after this instant' },
    end: { type: 'string', format: 'date-time', description: '… and before this one' },
  },
  required: ['start', 'end'],
  additionalProperties: false,
}

function query(name: string, schema: Record<string, unknown>, description: string): Record<string, unknown> {
  return { name, in: 'query', required: false, description, schema }
}

/**
 * POST /v1/{brandId}/events: up to maxEventsPerRequest events, each with the caller's id, a
 * publishable type and the data that type defines (schemas/webhooks/event-types.json).
 */
function publishRequestSchema(): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      events: {
        type: 'array',
        minItems: 1,
        maxItems: maxEventsPerRequest,
        items: {
          type: 'object',
          properties: {
            id: {
              type: 'string',
              pattern: externalIdPattern.source,
              description:
                'Your own id for the event, 1-128 of A-Z a-z 0-9 . _ : @ -: the same id with the same type and data again is a duplicate (nothing more happens), with another type or data a 409',
            },
            type: {
              type: 'string',
              enum: publishableEventTypes(),
              description: 'A publishable event type (not a prefix): the types no part of the platform produces',
            },
            data: {
              type: 'object',
              description: `The event's payload: the JSON Schema of each type's data is in schemas/webhooks/event-types.json. Numbers must be ones a 64-bit float holds exactly, text must be well-formed Unicode without NUL, objects and arrays nest at most ${maxDataDepth} deep.`,
            },
          },
          required: ['id', 'type', 'data'],
          additionalProperties: false,
        },
      },
    },
    required: ['events'],
    additionalProperties: false,
  }
}

function publishPaths(brandId: Record<string, unknown>, security: Record<string, unknown>[]): Record<string, unknown> {
  return {
    '/v1/{brandId}/events': {
      post: {
        summary:
          "Publish events from the brand's upstream systems (order management, carrier tracking, point of sale, SMS gateway) for delivery to its webhooks",
        description: `At most ${maxEventsPerRequest} events (${publishBodyLimit / 1024 / 1024} MiB) per request. A request is stored whole or not at all; each new event is delivered to every enabled webhook of the brand that subscribes to its type.`,
        security,
        parameters: [brandId],
        requestBody: { required: true, content: json('PublishRequest') },
        responses: {
          '202': ok(
            'Accepted for delivery: each event created, or a duplicate of one published before',
            'PublishResponse',
          ),
          ...v1Errors,
          '400': error('Malformed JSON, or a path that is not valid percent-encoding'),
          '409': error(
            'An event id was published before (or earlier in this request) with another type or data; validations names each such event (events.N.id). Nothing of the request was stored',
          ),
          '413': error(`More than ${maxEventsPerRequest} events, or a body over ${publishBodyLimit / 1024 / 1024} MiB`),
          '415': error('The body is not application/json in UTF-8'),
          '422': error(
            'There are errors in the request: validations names each field (events.N.id, events.N.type: unknown, a prefix, or produced by the platform itself; events.N.data.FIELD: what its type refuses). Nothing was stored',
          ),
        },
      },
    },
  }
}

function exportPaths(brandId: Record<string, unknown>, security: Record<string, unknown>[]): Record<string, unknown> {
  return {
    '/v1/{brandId}/exports/days': {
      get: {
        summary:
          "Each brand-local day of a range with its export's status against the deadline (brand-local, on the next day), the manifest in short and the runs",
        security,
        parameters: [
          brandId,
          query(
            'from',
            { type: 'string', format: 'date' },
            `The first day, YYYY-MM-DD (default: ${defaultExportDays - 1} days before to)`,
          ),
          query(
            'to',
            { type: 'string', format: 'date' },
            "The last day, YYYY-MM-DD, inclusive (default: yesterday in the brand's timezone)",
          ),
        ],
        responses: {
          '200': ok('The days, oldest first', 'ExportDays'),
          ...v1Errors,
          '422': error(
            `A query parameter breaks its rule (dates YYYY-MM-DD from 1970 on, from not after to, at most ${maxExportDays} days, no others); validations names it`,
          ),
        },
      },
    },
    '/v1/{brandId}/exports/days/{date}/runs': {
      post: {
        summary:
          'Export the day again, in the background of the server (as flex export does, to its FLEX_EXPORT_DEST): the run is recorded as running and answered at once',
        description:
          "The day keeps the compression of its current manifest (plain CSV when it has none). While the run writes, the day has no manifest. Follow the run at the Location's URL until its status is succeeded or failed.",
        security,
        parameters: [
          brandId,
          {
            name: 'date',
            in: 'path',
            required: true,
            description: "The brand-local day, YYYY-MM-DD, up to yesterday in the brand's timezone",
            schema: { type: 'string', format: 'date' },
          },
        ],
        responses: {
          '202': {
            ...ok('The run, started', 'ExportRun'),
            headers: {
              Location: { description: 'The run: GET /v1/{brandId}/exports/runs/{runId}', schema: { type: 'string' } },
            },
          },
          ...v1Errors,
          '409': error('A run of that brand-day is under way (its id is in the description); follow it instead'),
          '422': error(
            "The day is not a calendar date YYYY-MM-DD from 1970 on, or has not ended yet in the brand's timezone; validations names date",
          ),
          '503': error('This server was started without an export destination and starts no runs'),
        },
      },
    },
    '/v1/{brandId}/exports/runs/{runId}': {
      get: {
        summary:
          "An export run's status and progress: files written of the total, rows so far; a run whose process died is answered failed (abandoned)",
        security,
        parameters: [
          brandId,
          {
            name: 'runId',
            in: 'path',
            required: true,
            description: 'The run id (POST .../runs answers it; GET .../exports/days lists them)',
            schema: { type: 'string', format: 'uuid' },
          },
        ],
        responses: { '200': ok('The run', 'ExportRun'), ...v1Errors, '404': error('The brand has no run of that id') },
      },
    },
  }
}
