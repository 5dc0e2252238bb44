import { z } from 'zod'
import { defineEntity } from '../entity-definition.ts'
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

export const outlets = defineEntity({
  type: 'outlets',
  eventPrefix: 'OUTLET',
  table: 'outlets',
  schema: outletSchema,
  columns: (r) => ({
    name: r.name,
    group_id: r.group_id ?? null,
    address: r.address ?? null,
    city: r.city ?? null,
    country: r.country ?? null,
  }),
  references: (r) => (r.group_id ? [{ field: 'group_id', targetType: 'groups', targetId: r.group_id }] : []),
})
