import { z } from 'zod'
import { externalId, sourceUpdatedAt, text } from '../fields.ts'

export const outletSchema = z.strictObject({
  id: externalId,
  name: text(200).min(1),
  /** The group the store belongs to; it may arrive later. */
  group_id: externalId.nullable().optional(),
  address: text(500).nullable().optional(),
  city: text(200).nullable().optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as DE')
    .nullable()
    .optional(),
  updated_at: sourceUpdatedAt,
})

export type OutletInput = z.infer<typeof outletSchema>
