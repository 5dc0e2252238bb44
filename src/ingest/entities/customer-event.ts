import { z } from 'zod'
import { defineEntity } from '../entity-definition.ts'
import { attributes, externalId, instant, sourceUpdatedAt, text } from '../fields.ts'

export const customerEventSchema = z.strictObject({
  id: externalId,
  /** May arrive before the customer: the reference waits until it exists. */
  customer_id: externalId,
  event_type: text(100).min(1),
  occurred_at: instant,
  properties: attributes.optional(),
  updated_at: sourceUpdatedAt,
})

export type CustomerEventInput = z.infer<typeof customerEventSchema>

export const customerEvents = defineEntity({
  type: 'customer_events',
  eventPrefix: 'CUSTOMER_EVENT',
  table: 'customer_events',
  schema: customerEventSchema,
  columns: (r) => ({
    customer_id: r.customer_id,
    event_type: r.event_type,
    occurred_at: r.occurred_at,
    properties: r.properties ?? {},
  }),
  references: (r) => [{ field: 'customer_id', targetType: 'customers', targetId: r.customer_id }],
})
