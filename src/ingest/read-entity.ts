import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { type AnyDatabase, columnTypes, eachRow } from './batch-sql.ts'
import type { EntityDefinition } from './entity-definition.ts'
import { externalIdPattern } from './fields.ts'

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
  return (await readEntities(database, brandId, definition, [id])).get(id)
}

/**
 * Many stored entities of one brand and type, each exactly as readEntity gives it, by id; ids the
 * brand has no entity for are absent. Three queries whatever the number of ids (rows, child rows,
 * waiting references), so that rendering a batch of change events costs a batch of reads.
 */
export async function readEntities(
  database: Kysely<Database>,
  brandId: string,
  definition: EntityDefinition,
  ids: readonly string[],
): Promise<Map<string, StoredEntity>> {
  // An id that breaks the id rule was never stored; it need not reach the database (a NUL could
  // not even be sent there).
  const wanted = [...new Set(ids)].filter((id) => externalIdPattern.test(id))
  const found = new Map<string, StoredEntity>()
  if (wanted.length === 0) return found
  const db = database as unknown as AnyDatabase
  const rows = await sql<Record<string, unknown>>`
    select m.* from ${eachRow(definition.table, brandId, 'id', wanted, await exactColumns(db, definition.table))}`.execute(
    db,
  )
  const entities = new Map<string, Record<string, unknown>>()
  for (const row of rows.rows) {
    const { brand_id: _brand, content_hash: _hash, ...entity } = withInstants(row)
    entities.set(entity.id as string, entity)
  }
  if (entities.size === 0) return found
  const present = [...entities.keys()]
  const { children } = definition
  if (children) {
    for (const entity of entities.values()) entity[children.field] = []
    const childRows = await sql<Record<string, unknown>>`
      select m.* from ${eachRow(children.table, brandId, children.parentColumn, present, await exactColumns(db, children.table))}
      order by ${sql.ref(`m.${children.parentColumn}`)}, ${sql.ref(`m.${children.orderColumn}`)}`.execute(db)
    for (const child of childRows.rows) {
      const { brand_id: _b, [children.parentColumn]: parent, ...rest } = withInstants(child)
      ;(entities.get(parent as string)?.[children.field] as Record<string, unknown>[] | undefined)?.push(rest)
    }
  }
  const waiting = await sql<{ source_id: string; field: string; target_id: string }>`
    select m.* from ${eachRow(
      'waiting_references',
      brandId,
      'source_id',
      present,
      sql`t.source_id, t.field, t.target_id`,
      sql`t.source_type = ${definition.type}`,
    )}`.execute(db)
  const isWaiting = new Set(waiting.rows.map((w) => `${w.source_id}\u0000${w.field}\u0000${w.target_id}`))
  for (const [id, entity] of entities) {
    // The stored row has the record's reference fields under the same names, and its children under
    // the record's field, so the definition finds its references in it as in an incoming record.
    const references = definition
      .references(entity as never)
      .map((r) => ({
        field: r.field,
        type: r.targetType,
        id: r.targetId,
        state: isWaiting.has(`${id}\u0000${r.field}\u0000${r.targetId}`) ? ('waiting' as const) : ('resolved' as const),
      }))
      .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0))
    found.set(id, { entity, references })
  }
  return found
}

const epochSuffix = '__epoch'

/**
 * A table's columns for reading, instants (timestamptz) as their exact epoch: pg would make them
 * Dates, which keep milliseconds, and the API answers what was stored, to the microsecond.
 */
async function exactColumns(db: AnyDatabase, table: string) {
  const types = await columnTypes(db, table)
  return sql.join(
    [...types].map(([name, type]) =>
      type === 'timestamp with time zone'
        ? sql`extract(epoch from ${sql.ref(`t.${name}`)})::text as ${sql.id(`${name}${epochSuffix}`)}`
        : sql`${sql.ref(`t.${name}`)} as ${sql.id(name)}`,
    ),
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
