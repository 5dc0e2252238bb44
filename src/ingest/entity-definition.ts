import type { z } from 'zod'
import type { Database } from '../db/database.ts'
import type { EntityType } from './entity-types.ts'

/** A reference from a record to another entity, by that entity's external id. */
export interface EntityReference {
  /** Where in the record: `customer_id`, `items.2.sku`. */
  readonly field: string
  readonly targetType: EntityType
  readonly targetId: string
}

/** A parsed record: every entity has an id and the source's modification time. */
export interface ParsedRecord {
  readonly id: string
  readonly updated_at: string
}

/**
 * How one entity type is stored: its schema, its table, the columns a record fills, the entities
 * it references, and (for transactions) the child rows stored with it.
 */
export interface EntityDefinition<T extends ParsedRecord = ParsedRecord> {
  readonly type: EntityType
  /** Prefix of its change events: CUSTOMER -> CUSTOMER.CREATED, CUSTOMER.UPDATED. */
  readonly eventPrefix: string
  readonly table: keyof Database & string
  readonly schema: z.ZodType<T, unknown>
  /** Columns besides brand_id, id, source_updated_at and content_hash. */
  columns(record: T): Record<string, unknown>
  references(record: T): EntityReference[]
  /** Child rows replaced with the record, e.g. transaction line items. */
  readonly children?: {
    readonly table: keyof Database & string
    readonly parentColumn: string
    /** The record's field that holds them (`items`), and the column that keeps their order. */
    readonly field: string
    readonly orderColumn: string
    rows(record: T): Record<string, unknown>[]
  }
}

export function defineEntity<T extends ParsedRecord>(definition: EntityDefinition<T>): EntityDefinition<T> {
  return definition
}
