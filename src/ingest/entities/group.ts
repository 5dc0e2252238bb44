import { z } from 'zod'
import { externalId, sourceUpdatedAt, text } from '../fields.ts'

export const groupSchema = z.strictObject({
  id: externalId,
  name: text(200).min(1),
  kind: z.enum(['national', 'regional', 'custom']),
  /** Groups nest; the parent may arrive later. */
  parent_group_id: externalId.nullable().optional(),
  updated_at: sourceUpdatedAt,
})

export type GroupInput = z.infer<typeof groupSchema>
