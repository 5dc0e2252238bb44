import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { type AnyDatabase, columnTypes } from './batch-sql.ts'
import type { EntityDefinition } from './entity-definition.ts'

export interface StoredEntity {
  /** The stored row (with its child rows, e.g. a transaction's items), without bookkeeping. */
  entity: Record<string, unknown>
  references: { field: string; type: string; id: string; state: 'resolved' | 'waiting' }[]
}

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
    .select(await exactColumns(db, definition.table))
    .where('brand_id', '=', brandId)
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) return undefined
  const { brand_id: _brand, content_hash: _hash, ...entity } = withInstants(row)
  const { children } = definition
  if (children) {
    const rows = await db
      .selectFrom(children.table)
      .select(await exactColumns(db, children.table))
      .where('brand_id', '=', brandId)
      .where(children.parentColumn, '=', id)
      .orderBy(children.orderColumn)
      .execute()
    entity[children.field] = rows.map((child) => {
      const { brand_id: _b, [children.parentColumn]: _parent, ...rest } = withInstants(child)
      return rest
    })
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

const epochSuffix = '__epoch'

/**
 * A table's columns for reading, instants (timestamptz) as their exact epoch: pg would make them
 * Dates, which keep milliseconds, and the API answers what was stored, to the microsecond.
 */
async function exactColumns(db: AnyDatabase, table: string) {
  const types = await columnTypes(db, table)
  return [...types].map(([name, type]) =>
    type === 'timestamp with time zone'
      ? sql<string | null>`extract(epoch from ${sql.ref(name)})::text`.as(`${name}${epochSuffix}`)
      : sql<unknown>`${sql.ref(name)}`.as(name),
  )
}

/** The row with each epoch column turned back into an ISO 8601 instant to the microsecond. */
function withInstants(row: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(row)) {
    if (name.endsWith(epochSuffix)) {
      result[name.slice(0, -epochSuffix.length)] = typeof value === 'string' ? isoInstant(value) : null
    } else result[name] = value
  }
  return result
}

/** `1764504000.123456` (seconds since 1970, as PostgreSQL's numeric text) -> `2025-11-30T12:00:00.123456Z`. */
export function isoInstant(epoch: string): string {
  const [whole = '0', fraction = ''] = epoch.split('.')
  const negative = whole.startsWith('-')
  const micros = BigInt(whole) * 1_000_000n + (negative ? -1n : 1n) * BigInt(fraction.padEnd(6, '0').slice(0, 6))
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  const withinMilli = micros - millis * 1000n
  const iso = new Date(Number(millis)).toISOString()
  return `${iso.slice(0, -1)}${String(withinMilli).padStart(3, '0')}Z`
}
