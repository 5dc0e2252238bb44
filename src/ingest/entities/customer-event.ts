import { z } from 'zod'
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
