import { z } from 'zod'
import type { EntityType } from '../ingest/entity-types.ts'
import { type OutcomeName, recordOutcomes, storedOutcomes } from '../ingest/record-outcome.ts'

// What the API answers, as zod schemas: openapi.ts publishes them as JSON Schema, and the tests
// parse real answers with them (strict objects), so the document cannot drift from the answers.
// They are not Fastify response schemas: fast-json-stringify would drop any field they missed.

const id = z.string().meta({ description: "The entity's id, as the brand's system sent it" })
const utcInstant = (description: string) => z.iso.datetime({ offset: true }).meta({ description })
const storedDecimal = (description: string) =>
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .meta({ description: `${description}: an exact decimal, as a string (never a JSON number, which could round)` })
const flatObject = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .meta({ description: 'Custom data as stored: keys sorted' })

/** The bookkeeping every stored entity carries; `updated_at` here is the platform's, not the source's. */
const bookkeeping = {
  source_updated_at: z.iso
    .datetime({ offset: true })
    .nullable()
    .meta({
      description:
        "The record's `updated_at` as the source system sent it, as a UTC instant: the version stored. " +
        'Newest wins by it: an update whose `updated_at` is older is answered `stale` and ignored.',
    }),
  created_at: utcInstant('When the platform first stored this entity.'),
  updated_at: utcInstant(
    'When the platform last changed this row (stored a newer version, or erased a customer). ' +
      "Not the source's time: that is `source_updated_at`.",
  ),
}

const storedEntities = {
  customers: z.strictObject({
    id,
    email: z.string().nullable(),
    phone: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    birth_date: z.iso.date().nullable(),
    email_consent: z.boolean(),
    sms_consent: z.boolean(),
    attributes: flatObject,
    deleted_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .meta({ description: 'When the customer was erased (DELETE); null while it was not.' }),
    ...bookkeeping,
  }),
  customer_events: z.strictObject({
    id,
    customer_id: z.string(),
    event_type: z.string(),
    occurred_at: utcInstant('When the event happened, as a UTC instant'),
    properties: flatObject,
    ...bookkeeping,
  }),
  transactions: z.strictObject({
    id,
    customer_id: z.string().nullable(),
    outlet_id: z.string().nullable(),
    occurred_at: utcInstant('When the transaction happened, as a UTC instant'),
    status: z.string(),
    currency: z.string(),
    total_amount: storedDecimal('The total'),
    items: z.array(
      z.strictObject({
        line_no: z.int().meta({ description: 'Position in the record, from 1' }),
        sku: z.string(),
        quantity: storedDecimal('The quantity'),
        unit_price: storedDecimal('The unit price'),
        amount: storedDecimal('The line amount'),
      }),
    ),
    ...bookkeeping,
  }),
  products: z.strictObject({
    id,
    name: z.string(),
    category: z.string().nullable(),
    price: storedDecimal('The price').nullable(),
    currency: z.string().nullable(),
    attributes: flatObject,
    ...bookkeeping,
  }),
  groups: z.strictObject({
    id,
    name: z.string(),
    kind: z.string(),
    parent_group_id: z.string().nullable(),
    ...bookkeeping,
  }),
  outlets: z.strictObject({
    id,
    name: z.string(),
    group_id: z.string().nullable(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    country: z.string().nullable(),
    ...bookkeeping,
  }),
} as const satisfies Record<EntityType, z.ZodType>

const reference = z.strictObject({
  field: z.string().meta({ description: 'Where the reference is in the entity, e.g. customer_id or items.0.sku' }),
  type: z.string().meta({ description: 'The referenced entity type' }),
  id: z.string().meta({ description: 'The referenced id' }),
  state: z.enum(['resolved', 'waiting']).meta({
    description: 'resolved: the referenced entity exists; waiting: it has not arrived yet (it is never dropped)',
  }),
})

/** GET /v1/{brandId}/{entity}/{id} */
export function entityResponse(type: EntityType) {
  return z.strictObject({
    entity: storedEntities[type],
    references: z.array(reference).meta({ description: 'Each reference of the entity, by field' }),
  })
}

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

/** GET /v1/{brandId}/waiting-references */
export const waitingReferencesResponse = z.strictObject({
  waiting: z.array(
    z.strictObject({
      source_type: z.string().meta({ description: 'The referring entity type' }),
      target_type: z.string().meta({ description: 'The referenced entity type' }),
      waiting: z.int().meta({ description: 'How many references wait' }),
      oldest_since: utcInstant('When the oldest of them started waiting'),
      oldest_age_seconds: z.int().meta({ description: 'Seconds since then' }),
    }),
  ),
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
