import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import type { EntityDefinition } from './entity-definition.ts'

export interface StoredEntity {
  /** The stored row (with its child rows, e.g. a transaction's items), without bookkeeping. */
  entity: Record<string, unknown>
  references: { field: string; type: string; id: string; state: 'resolved' | 'waiting' }[]
}

// A Kysely query over a table chosen at run time is untyped; see ingest-records.ts.
// biome-ignore lint/suspicious/noExplicitAny: dynamic table names
type AnyDatabase = Kysely<any>

/**
 * One stored entity with the state of each of its references: waiting while a waiting reference is
 * recorded for it, resolved otherwise. Undefined when the brand has no such entity.
 */
export async function readEntity(
  database: Kysely<Database>,
  brandId: string,
  definition: EntityDefinition,
  id: string,
): Promise<StoredEntity | undefined> {
  const db = database as unknown as AnyDatabase
  const row = await db
    .selectFrom(definition.table)
    .selectAll()
    .where('brand_id', '=', brandId)
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) return undefined
  const { brand_id: _brand, content_hash: _hash, ...entity } = row as Record<string, unknown>
  const { children } = definition
  if (children) {
    const rows = await db
      .selectFrom(children.table)
      .selectAll()
      .where('brand_id', '=', brandId)
      .where(children.parentColumn, '=', id)
      .orderBy(children.orderColumn)
      .execute()
    entity[children.field] = rows.map(({ brand_id: _b, [children.parentColumn]: _parent, ...child }) => child)
  }
  const waiting = await database
    .selectFrom('waiting_references')
    .select(['field', 'target_id'])
    .where('brand_id', '=', brandId)
    .where('source_type', '=', definition.type)
    .where('source_id', '=', id)
    .execute()
  const isWaiting = new Set(waiting.map((w) => `${w.field}\u0000${w.target_id}`))
  // The stored row has the record's reference fields under the same names, and its children under
  // the record's field, so the definition finds its references in it as in an incoming record.
  const references = definition
    .references(entity as never)
    .map((r) => ({
      field: r.field,
      type: r.targetType,
      id: r.targetId,
      state: isWaiting.has(`${r.field}\u0000${r.targetId}`) ? ('waiting' as const) : ('resolved' as const),
    }))
    .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0))
  return { entity, references }
}
