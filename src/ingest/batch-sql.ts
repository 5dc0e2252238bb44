import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'

// The set-wise SQL the ingestion engine is made of: a batch's rows travel as one JSON or array
// parameter, never one statement per record.

// Kysely cannot type a table chosen at run time; the engine works on this untyped view of the same
// transaction, and each entity definition says which columns it fills.
// biome-ignore lint/suspicious/noExplicitAny: dynamic table names, see above
export type AnyTransaction = Transaction<any>
// biome-ignore lint/suspicious/noExplicitAny: dynamic table names, see above
export type AnyDatabase = Kysely<any>

/**
 * `unnest(ids) cross join lateral (... offset 0) m`: the brand's rows whose `column` is one of
 * `ids` (and which match `also`), found by one index probe per id. Written so on purpose: for
 * `column = any($ids)` PostgreSQL weighs a probe per id against scanning all of the brand's rows,
 * and with statistics that lag behind a growing table it picks the scan (measured: 110 ms instead
 * of 3 ms per batch of 1,000 ids at 470k rows, growing with the table). A LATERAL subquery behind
 * OFFSET 0 cannot be flattened into a join, so it always probes. The ids travel as one array
 * parameter, where an `in ($1, ..., $1000)` list cost planning time per element.
 */
export function eachRow(
  table: string,
  brandId: string,
  column: string,
  ids: readonly string[],
  select: RawBuilder<unknown>,
  also: RawBuilder<unknown> = sql`true`,
) {
  return sql`unnest(${ids}::text[]) as k(v) cross join lateral (
    select ${select} from ${sql.table(table)} t
    where t.brand_id = ${brandId} and ${sql.ref(`t.${column}`)} = k.v and ${also} offset 0) m`
}

/** Deletes the rows eachRow finds (by their ctid: the brand's ingest lock keeps them in place). */
export async function deleteEach(
  tx: AnyTransaction,
  table: string,
  brandId: string,
  column: string,
  ids: readonly string[],
  also?: RawBuilder<unknown>,
): Promise<void> {
  if (ids.length === 0) return
  await sql`delete from ${sql.table(table)} where ctid = any(array(
    select m.ctid from ${eachRow(table, brandId, column, ids, sql`t.ctid`, also)}))`.execute(tx)
}

/** JSON objects (already serialized) as one JSON array. */
export function jsonArray(objects: readonly string[]): string {
  return `[${objects.join(',')}]`
}

/**
 * Inserts many rows of a brand with one bind parameter: the rows as a JSON array, unpacked by
 * jsonb_to_recordset with the table's own column types. PostgreSQL plans this far faster than a
 * VALUES list of thousands of parameters (measured: the row upsert and the outbox insert were
 * three quarters of an ingest batch's time).
 */
export async function insertRows(
  tx: AnyTransaction,
  brandId: string,
  table: string,
  names: readonly string[],
  rows: string,
  upsert?: { conflict: string[]; update: string[] },
): Promise<void> {
  const types = await columnTypes(tx, table)
  const definition = sql.join(names.map((n) => sql`${sql.id(n)} ${sql.raw(types.get(n) ?? 'text')}`))
  const columns = sql.join(names.map((n) => sql.id(n)))
  const onConflict = upsert
    ? sql`on conflict (${sql.join(upsert.conflict.map((c) => sql.id(c)))}) do update set ${sql.join(
        upsert.update.map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`),
      )}`
    : sql``
  await sql`
    insert into ${sql.table(table)} (brand_id, ${columns})
    select ${brandId}, ${columns} from jsonb_to_recordset(${rows}::jsonb) as x(${definition})
    ${onConflict}`.execute(tx)
}

const typeCache = new Map<string, Map<string, string>>()

/**
 * A table's column types as SQL (numeric, character varying, timestamp with time zone, ...), read
 * once per process. Without their modifiers: a recordset column typed numeric(14,2) would round
 * a value before the table's own column or check constraint could refuse it, and a process started
 * before a migration changed a column's modifier would go on using the old one. Only character(n)
 * keeps its length, since character without one means character(1); a longer value is refused.
 */
export async function columnTypes(tx: AnyDatabase, table: string): Promise<Map<string, string>> {
  let types = typeCache.get(table)
  if (!types) {
    const result = await sql<{ name: string; type: string }>`
      select attname as name, format_type(atttypid, case when atttypid = 'bpchar'::regtype then atttypmod end) as type from pg_attribute
      where attrelid = ${table}::regclass and attnum > 0 and not attisdropped`.execute(tx)
    types = new Map(result.rows.map((r) => [r.name, r.type]))
    typeCache.set(table, types)
  }
  return types
}
