import { z } from 'zod'
import { defineEntity } from '../entity-definition.ts'
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

export const groups = defineEntity({
  type: 'groups',
  eventPrefix: 'GROUP',
  table: 'groups',
  schema: groupSchema,
  columns: (r) => ({ name: r.name, kind: r.kind, parent_group_id: r.parent_group_id ?? null }),
  references: (r) =>
    r.parent_group_id ? [{ field: 'parent_group_id', targetType: 'groups', targetId: r.parent_group_id }] : [],
})
