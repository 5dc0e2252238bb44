import { z } from 'zod'
import type { EntityType } from './entity-types.ts'

// Stored entities as the platform gives them out (readEntity's answer), as zod schemas: the HTTP
// API publishes them in its OpenAPI document and the webhooks in their event catalogue, and the
// tests parse real answers with them (strict objects), so neither document can drift.

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

/**
 * A stored entity with the state of its references: what GET /v1/{brandId}/{entity}/{id} answers,
 * and the `data` of the ingestion change events that webhooks deliver.
 */
export function storedEntityResponse(type: EntityType) {
  return z.strictObject({
    entity: storedEntities[type],
    references: z.array(reference).meta({ description: 'Each reference of the entity, by field' }),
  })
}
