import { z } from 'zod'
import { exportDayStatuses } from '../exports/export-days.ts'
import { entityTypes } from '../ingest/entity-types.ts'
import { countsKeptDays } from '../ingest/ingestion-counts.ts'
import { type OutcomeName, recordOutcomes, rejectionRules, storedOutcomes } from '../ingest/record-outcome.ts'
import { rejectionLogSize, rejectionSources } from '../ingest/rejection-log.ts'
import { rejectionPageSizes } from '../ingest/rejection-page-request.ts'
import { storedEntityResponse } from '../ingest/stored-entity-schemas.ts'

// What the API answers, as zod schemas: openapi.ts publishes them as JSON Schema, and the tests
// parse real answers with them (strict objects), so the document cannot drift from the answers.
// They are not Fastify response schemas: fast-json-stringify would drop any field they missed.

export { storedEntityResponse as entityResponse }

const utcInstant = (description: string) => z.iso.datetime({ offset: true }).meta({ description })

const storedOutcome = z.strictObject({
  index: z.int().meta({ description: 'Position of the record in the request, from 0' }),
  id: z.string(),
  outcome: z.enum(storedOutcomes),
})

const rejectedOutcome = z.strictObject({
  index: z.int().meta({ description: 'Position of the record in the request, from 0' }),
  id: z.string().optional().meta({ description: 'Absent when the record had no usable id' }),
  outcome: z.literal('rejected'),
  errors: z.array(
    z.strictObject({
      field: z.string().meta({ description: 'The field, as a path such as items.0.quantity' }),
      message: z.string().meta({ description: 'The rule it broke' }),
    }),
  ),
})

export const recordOutcome = z.union([storedOutcome, rejectedOutcome])

/** POST /v1/{brandId}/{entity}: 200, 207 and 422 (every record rejected) */
export const postResponse = z.strictObject({
  summary: z.strictObject(
    Object.fromEntries(recordOutcomes.map((o) => [o, z.int().min(0)])) as Record<OutcomeName, z.ZodInt>,
  ),
  results: z.array(recordOutcome).meta({ description: 'One outcome per record, in request order' }),
})

const waitingReferences = z.array(
  z.strictObject({
    source_type: z.string().meta({ description: 'The referring entity type' }),
    target_type: z.string().meta({ description: 'The referenced entity type' }),
    waiting: z.int().meta({ description: 'How many references wait' }),
    oldest_since: utcInstant('When the oldest of them started waiting'),
    oldest_age_seconds: z.int().meta({ description: 'Seconds since then' }),
  }),
)

/** GET /v1/{brandId}/waiting-references */
export const waitingReferencesResponse = z.strictObject({ waiting: waitingReferences })

const outcomeCount = (outcome: string) =>
  z
    .int()
    .min(0)
    .meta({ description: `Records ${outcome}` })

/** GET /v1/{brandId}/ingestion/summary */
export const ingestionSummaryResponse = z.strictObject({
  from: utcInstant('The start of the first hour counted: the current UTC hour and the 23 before it are'),
  to: utcInstant('When the summary was made'),
  counts: z
    .array(
      z.strictObject({
        entity_type: z.enum(entityTypes),
        created: outcomeCount('created'),
        updated: outcomeCount('updated'),
        unchanged: outcomeCount('sent again unchanged'),
        stale: outcomeCount('older than the stored version, and ignored'),
        rejected: outcomeCount('rejected (see GET .../ingestion/rejections)'),
      }),
    )
    .meta({
      description: `Records ingested over the API and from files by entity type (every type, always) and outcome, counted per UTC hour (kept ${countsKeptDays} days)`,
    }),
  waiting: waitingReferences.meta({
    description: 'References still waiting for their entity, by referring and referenced type, with the oldest',
  }),
})

/** GET /v1/{brandId}/ingestion/rejections */
export const rejectionsPage = z.strictObject({
  rejections: z
    .array(
      z.strictObject({
        id: z.int().min(1).meta({ description: "The brand's count of rejections at this one: newer ones are larger" }),
        entity_type: z.enum(entityTypes),
        record_id: z
          .string()
          .nullable()
          .meta({ description: 'The id the record sent (its first 200 characters), null when it had none' }),
        source: z.enum(rejectionSources).meta({ description: 'api: POST /v1/{brandId}/{entity}; file: flex ingest' }),
        rejected_at: utcInstant('When it was rejected'),
        errors: z
          .array(
            z.strictObject({
              field: z.string().meta({ description: 'The field, as a path such as items.0.quantity' }),
              rule: z.enum(rejectionRules).meta({ description: 'The rule it broke (docs/ingestion.md, "Rejections")' }),
              message: z.string().meta({ description: 'The rule in words, as the POST answered it' }),
            }),
          )
          .meta({ description: "The record's first 10 errors" }),
        error_count: z.int().min(1).meta({ description: 'How many errors the record had' }),
      }),
    )
    .meta({
      description: `Newest first; the log keeps the newest ${rejectionLogSize} rejected records of the brand (their id and errors, never their content)`,
    }),
  page: z.strictObject({
    size: z.int().meta({
      description: `The page size asked for (default ${rejectionPageSizes.default}, at most ${rejectionPageSizes.max})`,
    }),
    startId: z.int().nullable().meta({ description: 'The startId asked for: this page holds older rejections' }),
    lastId: z
      .int()
      .nullable()
      .meta({ description: 'Pass it as startId for the next (older) page; null on the last page' }),
  }),
})

/** DELETE /v1/{brandId}/customers/{id} */
export const deleteResponse = z.strictObject({
  id: z.string(),
  outcome: z.enum(['deleted', 'already_deleted']),
})

/** GET /healthz */
export const healthResponse = z.strictObject({ status: z.literal('ok') })

/** Every error: the seeds' APIErrorResponse. */
export const apiErrorResponseSchema = z.strictObject({
  message: z.string().meta({ description: 'The HTTP reason phrase in capitals, e.g. NOT FOUND' }),
  description: z.string().meta({ description: 'What went wrong and what to do next' }),
  status: z.int().meta({ description: 'This code matches the HTTP status code.' }),
  validations: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: 'If the error is based on validation constraints, those constraints are in this map.' }),
})

/** GET /v1/{brandId}/webhooks/{id}, and each item of GET /v1/{brandId}/webhooks: seed 002's WebhookResponse. */
export const webhookResponse = z.strictObject({
  id: z.uuid().meta({ description: "The webhook's id" }),
  created: utcInstant('When the webhook was created'),
  updated: utcInstant('When it was last changed (created, enabled or disabled)'),
  endpoint: z.url().meta({ description: 'Where events are POSTed' }),
  events: z.array(z.string()).meta({
    description: 'Event types or prefixes of types (ORDER_EVENTS covers every type below it), sorted, without repeats',
  }),
  enabled: z.boolean(),
  headers: z
    .record(z.string(), z.string())
    .meta({ description: 'Custom headers sent with every delivery (not in seed 002)' }),
  disabledReason: z.string().nullable().meta({
    description:
      'Why the platform disabled the webhook (e.g. the endpoint answered 410 Gone); null when it is enabled or the brand disabled it (not in seed 002)',
  }),
})

/** POST /v1/{brandId}/webhooks: the webhook and its signing secret, which only this answer and GET .../secret show. */
export const createdWebhookResponse = webhookResponse.extend({
  secret: z
    .string()
    .regex(/^whsec_/)
    .meta({
      description: 'The Standard Webhooks signing secret (whsec_ + base64); verify each delivery with it',
    }),
})

/** GET /v1/{brandId}/webhooks */
export const webhookListResponse = z.array(webhookResponse)

/** GET /v1/{brandId}/webhooks/{id}/secret */
export const webhookSecretResponse = z.strictObject({
  secret: z
    .string()
    .regex(/^whsec_/)
    .meta({ description: 'The Standard Webhooks signing secret (whsec_ + base64)' }),
})

const eventStatus = z
  .enum(['SUCCESS', 'FAILURE'])
  .meta({ description: 'SUCCESS once an attempt succeeded (a 2xx answer), FAILURE otherwise (seed 002)' })

/** Seed 002's WebhookEventPageResponse, with nextAttempt. */
export const webhookEventSummary = z.strictObject({
  id: z.uuid().meta({ description: 'The event id: webhook-id and X-Event-Id of every attempt' }),
  type: z.string().meta({ description: 'The event type' }),
  created: utcInstant('When the event happened on the platform'),
  updated: utcInstant('When its delivery last changed'),
  status: eventStatus,
  nextAttempt: utcInstant('When the next attempt is due').nullable().meta({
    description:
      'When the next attempt is due: set while retrying, null once it succeeded, gave up (FAILURE) or was erased (not in seed 002)',
  }),
})

/** GET /v1/{brandId}/webhooks/{id}/events: seed 002's WebhookEventsResponsePage. */
export const webhookEventsPage = z.strictObject({
  events: z.array(webhookEventSummary).meta({ description: 'Newest first' }),
  page: z.strictObject({
    size: z.int().meta({ description: 'The page size asked for (default 20, at most 100)' }),
    startId: z.uuid().nullable().meta({ description: 'The startId asked for: this page holds events older than it' }),
    lastId: z
      .uuid()
      .nullable()
      .meta({ description: 'Pass it as startId for the next (older) page; null on the last page' }),
  }),
})

const headerMap = z.record(z.string(), z.string())

/** Seed 002's WebhookEventAttempt, with the error when there was no response. */
export const webhookEventAttempt = z.strictObject({
  id: z.uuid(),
  created: utcInstant('When the attempt started'),
  status: eventStatus,
  request: z.strictObject({
    endpoint: z.string(),
    headers: headerMap.meta({
      description: "The headers as sent; the webhook's own header values are masked (********)",
    }),
  }),
  response: z
    .strictObject({
      statusCode: z.int(),
      headers: headerMap,
      body: z.string().meta({ description: 'The first 4 KiB of the body (UTF-8)' }),
      bodyTruncated: z.boolean().meta({ description: 'The body was longer and the rest was dropped' }),
      time: z.int().meta({ description: 'The response time in milliseconds' }),
    })
    .nullable()
    .meta({ description: 'What the endpoint answered; null when there was no answer (see error)' }),
  error: z
    .strictObject({
      kind: z.enum(['timeout', 'refused', 'reset', 'dns', 'tls', 'address', 'other']),
      message: z.string(),
      time: z.int().meta({ description: 'How long the attempt took, in milliseconds' }),
    })
    .nullable()
    .meta({
      description:
        'Why there was no answer: timeout (10 s), refused, reset, dns, tls, address (refused by the address guard)',
    }),
})

/** GET /v1/{brandId}/webhooks/{id}/events/{eventId}: seed 002's WebhookEventResponse. */
export const webhookEventResponse = webhookEventSummary.extend({
  erased: z
    .boolean()
    .meta({ description: 'Its customer was deleted: the kept body was erased and it is sent no more' }),
  attempts: z.array(webhookEventAttempt).meta({ description: 'Oldest first' }),
})

/** POST /v1/{brandId}/webhooks/{id}/test: the attempt of the test event, with the event's id. */
export const webhookTestResponse = webhookEventAttempt.extend({
  eventId: z.uuid().meta({
    description:
      'The test event: its webhook-id and X-Event-Id, and its id in GET .../events (type WEBHOOK.TEST; never sent again)',
  }),
})

/** POST /v1/{brandId}/webhooks/{id}/secret/rotate */
export const rotatedSecretResponse = webhookSecretResponse.extend({
  previousSecretExpires: utcInstant('Until then the previous secret keeps signing beside the new one'),
})

const rangeFields = {
  start: utcInstant('The range: events that happened at or after this instant'),
  end: utcInstant('… and before this one'),
}

/** GET /v1/{brandId}/webhooks/{id}/failed-deliveries/count */
export const failedDeliveriesCount = z.strictObject({
  ...rangeFields,
  count: z.int().min(0).meta({
    description:
      'Deliveries of the range that were attempted and have not succeeded (given up, or failing with a retry scheduled), test events and erased ones aside: what POST …/failed-deliveries/retry would retry now',
  }),
})

/** POST /v1/{brandId}/webhooks/{id}/failed-deliveries/retry */
export const failedDeliveriesRetried = z.strictObject({
  ...rangeFields,
  retried: z
    .int()
    .min(0)
    .meta({ description: 'Deliveries made due now: the worker makes one more attempt of each soon' }),
})

/** GET /v1/{brandId}/webhooks/health */
export const webhookHealthResponse = z.strictObject({
  at: utcInstant('When the figures were read; the 24 hours end here'),
  webhooks: z
    .array(
      z.strictObject({
        id: z.uuid(),
        endpoint: z.string(),
        events: z.array(z.string()).meta({ description: 'The subscribed types or prefixes' }),
        enabled: z.boolean(),
        disabledReason: z
          .string()
          .nullable()
          .meta({ description: 'Why the platform disabled it (410 Gone, 5 days without success); null otherwise' }),
        failingSince: utcInstant('The first failed attempt since the last success')
          .nullable()
          .meta({ description: 'The first failed attempt since the last success; null while the endpoint answers' }),
        last24h: z.strictObject({
          deliveries: z
            .int()
            .min(0)
            .meta({ description: 'Deliveries of events that happened in the last 24 hours (test events aside)' }),
          succeeded: z.int().min(0).meta({ description: 'Of those, delivered' }),
          failed: z.int().min(0).meta({ description: 'Of those, attempted and not delivered (yet)' }),
          successRate: z
            .number()
            .min(0)
            .max(1)
            .nullable()
            .meta({ description: 'succeeded / (succeeded + failed); null when none was attempted' }),
        }),
        backlog: z.strictObject({
          pending: z.int().min(0).meta({ description: 'Deliveries with an attempt still to come' }),
          oldestPendingSince: utcInstant('When the oldest of them was queued')
            .nullable()
            .meta({ description: 'When the oldest of them was queued; null when none is pending' }),
          oldestPendingAgeSeconds: z
            .int()
            .min(0)
            .nullable()
            .meta({ description: 'How long it has waited, in seconds; null when none is pending' }),
        }),
        lastError: z
          .strictObject({
            eventId: z.uuid(),
            at: utcInstant('When the failed attempt started'),
            statusCode: z.int().nullable().meta({ description: 'The answer’s status; null when there was no answer' }),
            kind: z
              .string()
              .nullable()
              .meta({ description: 'Why there was no answer (timeout, refused, reset, dns, tls, address, other)' }),
            message: z.string(),
          })
          .nullable()
          .meta({ description: 'The latest failed attempt (test sends included); null when none failed' }),
      }),
    )
    .meta({ description: "The brand's webhooks, oldest first (an empty list when it has none)" }),
})

/** GET /v1/{brandId}/webhooks/activity */
export const webhookActivityResponse = z.strictObject({
  start: utcInstant('The window’s start (a whole 10 minutes)'),
  end: utcInstant('Its end: the end of the current 10 minutes'),
  webhookId: z.uuid().nullable().meta({ description: 'The one webhook asked for; null for all of the brand’s' }),
  minutes: z
    .array(
      z.strictObject({
        minute: utcInstant('The minute’s start'),
        delivered: z.int().min(0).meta({ description: 'Attempts that succeeded (2xx)' }),
        failed: z.int().min(0).meta({ description: 'Attempts that failed (another status, or no answer)' }),
      }),
    )
    .meta({ description: 'Every minute of the window, oldest first, zeros included' }),
  latency: z
    .array(
      z.strictObject({
        start: utcInstant('The 10 minutes’ start'),
        attempts: z.int().min(0),
        p50Ms: z
          .int()
          .min(0)
          .nullable()
          .meta({ description: 'Median response time in ms (request to answer or error); null without attempts' }),
        p95Ms: z
          .int()
          .min(0)
          .nullable()
          .meta({ description: '95th percentile response time in ms; null without attempts' }),
      }),
    )
    .meta({ description: 'Every 10 minutes of the window, oldest first' }),
})

/** POST /v1/{brandId}/events: 202, one outcome per event, in request order. */
export const publishResponse = z.strictObject({
  summary: z.strictObject({
    created: z.int().min(0).meta({ description: 'Events stored now and queued for delivery' }),
    duplicate: z.int().min(0).meta({ description: 'Events published before under the same id, type and data' }),
  }),
  results: z
    .array(
      z.strictObject({
        index: z.int().meta({ description: 'Position of the event in the request, from 0' }),
        id: z.string().meta({ description: 'The event id, as sent' }),
        outcome: z.enum(['created', 'duplicate']).meta({
          description:
            'created: stored, and delivered to every enabled webhook of the brand that subscribes to its type; duplicate: this id was published before with the same type and data (or earlier in this request), nothing more happens',
        }),
      }),
    )
    .meta({ description: 'One outcome per event, in request order' }),
})

const calendarDate = (description: string) => z.iso.date().meta({ description })
const exportRunStatus = z.enum(['running', 'succeeded', 'failed']).meta({
  description:
    'running: under way (or its process stopped less than a minute ago and that is not yet known); succeeded: the manifest is written; failed: see error (a run whose process died is marked failed, its error says abandoned)',
})
const exportRunTrigger = z.enum(['manual', 'schedule', 'backfill']).meta({
  description:
    'Who started it: manual (flex export, or POST .../runs), schedule (flex schedule), backfill (flex backfill)',
})

/** GET /v1/{brandId}/exports/days */
export const exportDaysResponse = z.strictObject({
  brand_id: z.string(),
  timezone: z.string().meta({ description: "The brand's IANA timezone, in which days and the deadline are read" }),
  deadline: z.string().meta({
    description: 'Brand-local time (HH:MM) on the next day by which a day must be complete (FLEX_SCHEDULE_DEADLINE)',
  }),
  from: calendarDate('The first day answered'),
  to: calendarDate('The last day answered'),
  days: z
    .array(
      z.strictObject({
        date: calendarDate('The brand-local day'),
        status: z.enum(exportDayStatuses).meta({
          description:
            'complete_on_time: its first successful run ended before the deadline; late: after it; failed: the latest run failed and none succeeded; running: a run is under way and none succeeded; missing: no run and the deadline has passed; pending: no run yet, the deadline has not passed',
        }),
        manifest: z
          .strictObject({
            path: z.string().meta({ description: "The manifest's path, relative to the destination root" }),
            files: z.array(
              z.strictObject({
                file_type: z.string(),
                path: z.string(),
                rows: z.int().min(0),
                bytes: z.int().min(0),
                sha256: z.string(),
              }),
            ),
          })
          .nullable()
          .meta({
            description:
              "The latest successful run's manifest in short; null when none succeeded (or it succeeded before runs kept their manifest)",
          }),
        runs: z
          .array(
            z.strictObject({
              id: z.uuid(),
              status: exportRunStatus,
              trigger: exportRunTrigger,
              destination: z.string().meta({
                description:
                  "Where the run wrote: a folder or gs://BUCKET/PREFIX; the manifest's paths are relative to it",
              }),
              started_at: utcInstant('When the run started'),
              ended_at: utcInstant('When it ended').nullable(),
              rows: z.int().min(0).nullable().meta({ description: "A succeeded run's exported rows; null otherwise" }),
              error: z.string().nullable().meta({ description: "A failed run's error" }),
            }),
          )
          .meta({ description: "The day's export runs, oldest first" }),
      }),
    )
    .meta({ description: 'Each brand-local day from `from` to `to`, oldest first' }),
})

/** GET /v1/{brandId}/exports/runs/{runId}, and POST /v1/{brandId}/exports/days/{date}/runs (202) */
export const exportRunResponse = z.strictObject({
  id: z.uuid(),
  brand_id: z.string(),
  date: calendarDate('The brand-local day it exports'),
  status: exportRunStatus,
  trigger: exportRunTrigger,
  started_at: utcInstant('When the run started'),
  ended_at: utcInstant('When it ended (an abandoned run: when it last reported progress)').nullable(),
  progress: z
    .strictObject({
      files_total: z
        .int()
        .min(0)
        .nullable()
        .meta({ description: 'The files the run writes; null for runs recorded before progress was kept' }),
      files_written: z.int().min(0).meta({ description: 'Files written so far' }),
      rows_written: z.int().min(0).meta({ description: 'Rows written so far, the file in progress included' }),
      reported_at: utcInstant('When the run last reported progress (at least every 10 s while it writes a file)'),
    })
    .meta({ description: "The run's progress, recorded in its row as it goes" }),
  result: z
    .strictObject({
      files: z.int().min(0),
      rows: z.int().min(0),
      bytes: z.int().min(0),
      quarantined_rows: z.int().min(0).meta({ description: 'Rows that failed validation and went to quarantine' }),
      manifest_path: z
        .string()
        .nullable()
        .meta({ description: "The manifest's path, relative to the destination root" }),
    })
    .nullable()
    .meta({ description: "A succeeded run's outcome; null otherwise" }),
  error: z.string().nullable().meta({ description: "A failed run's error" }),
})
