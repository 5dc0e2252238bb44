import { createHash } from 'node:crypto'
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import type { EntityDefinition } from './entity-definition.ts'
import { eventId } from './event-id.ts'
import { epochMicros } from './fields.ts'
import type { RecordOutcome } from './record-outcome.ts'
import { rejectionMessage } from './rejection-message.ts'

export type { RecordOutcome }

// Kysely cannot type a table chosen at run time; the engine works on this untyped view of the same
// transaction, and each entity definition says which columns it fills.
// biome-ignore lint/suspicious/noExplicitAny: dynamic table names, see above
type AnyTransaction = Transaction<any>

/**
 * Ingests a batch of records of one entity type for a brand, all in one transaction (the caller
 * reports success only after it commits). Each record is validated on its own: invalid ones are
 * rejected with field errors and the valid ones are stored. Per record:
 * - created / updated when it is new or its source time is newer than the stored one;
 * - unchanged when it is the stored version again; stale when it is older;
 * - a tie (same source time, other content) keeps the version with the larger content hash, so
 *   the outcome does not depend on arrival order.
 * References to entities that have not arrived are recorded and wait; arriving entities resolve
 * the references waiting for them. Every created or updated record adds a change event to the
 * outbox. Ingests of one brand take turns under an advisory lock, so two concurrent, overlapping
 * ingests cannot interleave their checks and writes.
 */
export async function ingestRecords(
  db: Kysely<Database>,
  brandId: string,
  entity: EntityDefinition,
  input: readonly unknown[],
): Promise<RecordOutcome[]> {
  return (await ingestBatch(db, brandId, entity, input)).outcomes
}

export interface Idempotency {
  /** The client's Idempotency-Key. */
  key: string
  /** A hash of what the request asked for: reusing a key for another request is an error. */
  requestHash: string
}

/**
 * ingestRecords, optionally under an idempotency key: the first batch with a key stores its
 * outcomes in the same transaction; a later one with the same key and request gets them back
 * (replayed) without ingesting again, even while the first is still running (it waits for it).
 */
export async function ingestBatch(
  db: Kysely<Database>,
  brandId: string,
  entity: EntityDefinition,
  input: readonly unknown[],
  idempotency?: Idempotency,
): Promise<{ outcomes: RecordOutcome[]; replayed: boolean }> {
  return storeBatch(db, brandId, await prepareBatch(entity, input), idempotency)
}

/** A batch validated and serialized, ready to store: everything that needs no database. */
export interface PreparedBatch {
  readonly entity: EntityDefinition
  /** Records rejected by validation or as repeats in the batch. */
  readonly rejected: RecordOutcome[]
  readonly records: PreparedRecord[]
  /** The row's columns, in the order of every `row` below, and likewise for child rows. */
  readonly columns: string[]
  readonly childColumns: string[]
}

interface PreparedRecord {
  index: number
  id: string
  /** The source's modification time, epoch microseconds (what the column keeps). */
  updatedAt: bigint
  hash: string
  /** JSON objects, for jsonb_to_recordset: the table row, its child rows, its references. */
  row: string
  children: string[]
  references: { targetType: string; json: string }[]
}

/** Records prepared between yields to the event loop. */
const recordsPerSlice = 50

/**
 * Validates and serializes a batch (CPU only). Kept apart from storeBatch so that callers can
 * prepare the next batch while the database stores the current one, and so that no CPU work
 * happens while the brand's ingest lock is held. It yields to the event loop every 50 records
 * (about 1 ms): a whole batch takes tens of milliseconds of CPU, and the batch being stored must
 * not wait that long for each of its query results to be read.
 */
export async function prepareBatch(entity: EntityDefinition, input: readonly unknown[]): Promise<PreparedBatch> {
  const rejected: RecordOutcome[] = []
  const records: PreparedRecord[] = []
  let columns: string[] | undefined
  let childColumns: string[] | undefined
  const seen = new Set<string>()
  for (let index = 0; index < input.length; index++) {
    if (index > 0 && index % recordsPerSlice === 0) await new Promise(setImmediate)
    const raw = input[index]
    const parsed = entity.schema.safeParse(raw, { error: rejectionMessage })
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined
      rejected.push({
        index,
        ...(id === undefined ? {} : { id: storableText(id) }),
        outcome: 'rejected',
        errors: parsed.error.issues.flatMap((issue) =>
          // One error per unknown field, so that each names its field.
          (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path]).map(
            (path) => ({ field: storableText(path.join('.')) || '(record)', message: storableText(issue.message) }),
          ),
        ),
      })
      continue
    }
    const record = parsed.data
    if (seen.has(record.id)) {
      rejected.push({
        index,
        id: record.id,
        outcome: 'rejected',
        errors: [{ field: 'id', message: 'duplicate id in this batch; send each record once' }],
      })
      continue
    }
    seen.add(record.id)
    // The schemas fix the key order (and free-form objects sort theirs), so this JSON is canonical:
    // the same content always has the same hash.
    const hash = createHash('sha256').update(JSON.stringify(record)).digest('hex')
    const row = { id: record.id, ...entity.columns(record), source_updated_at: record.updated_at, content_hash: hash }
    columns ??= Object.keys(row)
    const parentColumn = entity.children?.parentColumn ?? ''
    const childRows = (entity.children?.rows(record) ?? []).map((child) => ({ [parentColumn]: record.id, ...child }))
    if (childRows[0]) childColumns ??= Object.keys(childRows[0])
    records.push({
      index,
      id: record.id,
      updatedAt: epochMicros(record.updated_at),
      hash,
      row: JSON.stringify(row),
      children: childRows.map((child) => JSON.stringify(child)),
      references: entity.references(record).map((r) => ({
        targetType: r.targetType,
        json: JSON.stringify({ source_id: record.id, field: r.field, target_id: r.targetId }),
      })),
    })
  }
  return { entity, rejected, records, columns: columns ?? [], childColumns: childColumns ?? [] }
}

/**
 * Text quoted from a rejected record (its id, a field's name), made storable: outcomes are kept as
 * jsonb under an idempotency key, and PostgreSQL refuses lone surrogates and NUL there.
 */
function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\ufffd')
}

/**
 * Stores a prepared batch in one transaction (see ingestRecords), optionally under an idempotency
 * key.
 */
export async function storeBatch(
  db: Kysely<Database>,
  brandId: string,
  batch: PreparedBatch,
  idempotency?: Idempotency,
): Promise<{ outcomes: RecordOutcome[]; replayed: boolean }> {
  if (batch.records.length === 0 && idempotency === undefined) {
    return { outcomes: sortByIndex([...batch.rejected]), replayed: false }
  }
  try {
    return await storeInTransaction(db, brandId, batch, idempotency, false)
  } catch (error) {
    // Validation rejects what the database is known to refuse; should it refuse a record anyway,
    // the batch is stored again, isolating the records it refuses (nothing of the first attempt
    // was kept). The happy path pays nothing for this.
    if (!isRefusedData(error)) throw error
    return storeInTransaction(db, brandId, batch, idempotency, true)
  }
}

async function storeInTransaction(
  db: Kysely<Database>,
  brandId: string,
  batch: PreparedBatch,
  idempotency: Idempotency | undefined,
  isolateRefusals: boolean,
): Promise<{ outcomes: RecordOutcome[]; replayed: boolean }> {
  const { entity, records } = batch
  const outcomes = [...batch.rejected]
  return db.transaction().execute(async (trx) => {
    const tx = trx as unknown as AnyTransaction
    await lockBrandForIngest(tx, brandId)
    if (idempotency) {
      const earlier = await trx
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'outcomes'])
        .where('brand_id', '=', brandId)
        .where('key', '=', idempotency.key)
        .executeTakeFirst()
      if (earlier) {
        if (earlier.request_hash !== idempotency.requestHash) {
          throw new FlexError(
            'IDEMPOTENCY_KEY_REUSED',
            `Idempotency-Key "${idempotency.key}" was already used for a different request; use a new key`,
          )
        }
        return { outcomes: earlier.outcomes as RecordOutcome[], replayed: true }
      }
    }
    if (records.length > 0) {
      const { rows: stored } = await sql<StoredVersion>`
        select m.id, m.source_micros, m.content_hash
        from ${eachRow(
          entity.table,
          brandId,
          'id',
          records.map((r) => r.id),
          sql`t.id, (extract(epoch from t.source_updated_at) * 1000000)::bigint as source_micros, t.content_hash`,
        )}`.execute(tx)
      const current = new Map(stored.map((row) => [row.id, row]))
      const changed: Changed[] = []
      const stable: RecordOutcome[] = []
      for (const record of records) {
        const outcome = classify(current.get(record.id), record)
        if (outcome === 'created' || outcome === 'updated') changed.push({ record, outcome })
        else stable.push({ index: record.index, id: record.id, outcome })
      }
      const refused = new Map<Changed, string>()
      if (changed.length > 0) {
        if (isolateRefusals) await writeIsolatingRefusals(tx, brandId, batch, changed, refused)
        else await writeChanges(tx, brandId, batch, changed)
      }
      outcomes.push(...stable)
      for (const change of changed) {
        const { index, id } = change.record
        const reason = refused.get(change)
        outcomes.push(
          reason === undefined
            ? { index, id, outcome: change.outcome }
            : {
                index,
                id,
                outcome: 'rejected',
                errors: [{ field: '(record)', message: `the database refused this record: ${storableText(reason)}` }],
              },
        )
      }
    }
    const sorted = sortByIndex(outcomes)
    if (idempotency) {
      await trx
        .insertInto('idempotency_keys')
        .values({
          brand_id: brandId,
          key: idempotency.key,
          request_hash: idempotency.requestHash,
          outcomes: JSON.stringify(sorted),
        })
        .execute()
    }
    return { outcomes: sorted, replayed: false }
  })
}

/**
 * An error by which PostgreSQL refuses the data itself, not the statement or the connection:
 * a data exception (SQLSTATE class 22: a value out of range, text it cannot store), or a check or
 * not-null constraint.
 */
function isRefusedData(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && (code.startsWith('22') || code === '23514' || code === '23502')
}

/**
 * writeChanges under a savepoint; when the database refuses the data, rolls back to it and tries
 * each half in turn, down to the single records it refuses, which are left out (in `refused`,
 * with the database's reason). k refused records of n cost about 2k log2(n) extra attempts.
 */
async function writeIsolatingRefusals(
  tx: AnyTransaction,
  brandId: string,
  batch: PreparedBatch,
  changed: Changed[],
  refused: Map<Changed, string>,
): Promise<void> {
  await sql`savepoint flex_refusals`.execute(tx)
  try {
    await writeChanges(tx, brandId, batch, changed)
    await sql`release savepoint flex_refusals`.execute(tx)
    return
  } catch (error) {
    if (!isRefusedData(error)) throw error
    await sql`rollback to savepoint flex_refusals`.execute(tx)
    await sql`release savepoint flex_refusals`.execute(tx)
    const [only] = changed
    if (changed.length === 1 && only) {
      refused.set(only, error.message)
      return
    }
  }
  const half = Math.ceil(changed.length / 2)
  await writeIsolatingRefusals(tx, brandId, batch, changed.slice(0, half), refused)
  await writeIsolatingRefusals(tx, brandId, batch, changed.slice(half), refused)
}

/**
 * Starts an ingestion transaction: ingests (and deletes) of one brand take turns under an advisory
 * lock, held until the transaction ends. JIT compilation is off for the transaction: its statements
 * touch a few thousand rows by key, but where statistics lag behind a growing table the planner's
 * cost estimates pass JIT's thresholds, and compiling then took 130 ms per statement (measured: the
 * batch lookup went from 14 to 70 ms per 5,000 ids on a database of a few million rows).
 */
export async function lockBrandForIngest(tx: Transaction<Database>, brandId: string): Promise<void> {
  await sql`select set_config('jit', 'off', true), pg_advisory_xact_lock(hashtext('flex:ingest'), hashtext(${brandId}))`.execute(
    tx,
  )
}

function sortByIndex(outcomes: RecordOutcome[]): RecordOutcome[] {
  return outcomes.sort((a, b) => a.index - b.index)
}

/** The content hash of an erased entity (deleteCustomer): no update replaces it, whatever its source time. */
export const deletedContentHash = 'deleted'

/** A stored row's version: its source time in epoch microseconds (pg returns bigint as text). */
interface StoredVersion {
  id: string
  source_micros: string | null
  content_hash: string | null
}

function classify(
  existing: StoredVersion | undefined,
  record: PreparedRecord,
): 'created' | 'updated' | 'unchanged' | 'stale' {
  if (!existing) return 'created'
  if (existing.content_hash === deletedContentHash) return 'stale'
  if (existing.source_micros !== null) {
    const stored = BigInt(existing.source_micros)
    if (record.updatedAt > stored) return 'updated'
    if (record.updatedAt < stored) return 'stale'
  } else return 'updated'
  if (record.hash === existing.content_hash) return 'unchanged'
  return record.hash > (existing.content_hash ?? '') ? 'updated' : 'stale'
}

interface Changed {
  record: PreparedRecord
  outcome: 'created' | 'updated'
}

/**
 * `unnest(ids) cross join lateral (... offset 0) m`: the brand's rows whose `column` is one of
 * `ids` (and which match `also`), found by one index probe per id. Written so on purpose: for
 * `column = any($ids)` PostgreSQL weighs a probe per id against scanning all of the brand's rows,
 * and with statistics that lag behind a growing table it picks the scan (measured: 110 ms instead
 * of 3 ms per batch of 1,000 ids at 470k rows, growing with the table). A LATERAL subquery behind
 * OFFSET 0 cannot be flattened into a join, so it always probes. The ids travel as one array
 * parameter, where an `in ($1, ..., $1000)` list cost planning time per element.
 */
function eachRow(
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
async function deleteEach(
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

/**
 * Writes a batch's created and updated records set-wise: the rows, their child rows, their
 * references that must wait (the target does not exist, in this batch either), their outbox
 * events, and the resolution of references that were waiting for the created ones.
 */
async function writeChanges(tx: AnyTransaction, brandId: string, batch: PreparedBatch, changed: Changed[]) {
  const { entity } = batch
  const rows = (outcome: Changed['outcome']) => changed.filter((c) => c.outcome === outcome)
  // New rows are plain inserts: under the brand's lock nobody else can have created them since
  // the lookup, and an insert skips the conflict check an upsert makes per row.
  const created = rows('created')
  if (created.length > 0) {
    await insertRows(tx, brandId, entity.table, batch.columns, jsonArray(created.map((c) => c.record.row)))
  }
  const updatedRows = rows('updated')
  if (updatedRows.length > 0) {
    await insertRows(tx, brandId, entity.table, batch.columns, jsonArray(updatedRows.map((c) => c.record.row)), {
      conflict: ['brand_id', 'id'],
      update: batch.columns.filter((c) => c !== 'id'),
    })
  }

  // Only updated records have earlier child rows and references to replace.
  const updated = updatedRows.map((c) => c.record.id)
  if (entity.children) {
    const { table, parentColumn } = entity.children
    await deleteEach(tx, table, brandId, parentColumn, updated)
    const childRows = changed.flatMap((c) => c.record.children)
    if (childRows.length > 0) await insertRows(tx, brandId, table, batch.childColumns, jsonArray(childRows))
  }

  // A reference is recorded only while its entity is missing (this batch's rows already count).
  await deleteEach(tx, 'waiting_references', brandId, 'source_id', updated, sql`t.source_type = ${entity.type}`)
  const byTarget = Map.groupBy(
    changed.flatMap((c) => c.record.references),
    (r) => r.targetType,
  )
  for (const [targetType, group] of byTarget) {
    await sql`
      insert into waiting_references (brand_id, source_type, source_id, field, target_type, target_id)
      select ${brandId}, ${entity.type}, v.source_id, v.field, ${targetType}, v.target_id
      from jsonb_to_recordset(${jsonArray(group.map((r) => r.json))}::jsonb) as v(source_id text, field text, target_id text)
      where not exists (select 1 from ${sql.table(targetType)} t where t.brand_id = ${brandId} and t.id = v.target_id)`.execute(
      tx,
    )
  }

  const prefix = `{"entity_type":${JSON.stringify(entity.type)},"event_type":"${entity.eventPrefix}.`
  const events = changed.map(
    ({ record, outcome }) =>
      `${prefix}${outcome === 'created' ? 'CREATED' : 'UPDATED'}","id":"${eventId()}","entity_id":${JSON.stringify(record.id)}}`,
  )
  await insertRows(tx, brandId, 'outbox_events', ['id', 'event_type', 'entity_type', 'entity_id'], jsonArray(events))

  // Created records resolve the references that were waiting for them.
  await deleteEach(
    tx,
    'waiting_references',
    brandId,
    'target_id',
    created.map((c) => c.record.id),
    sql`t.target_type = ${entity.type}`,
  )
}

function jsonArray(objects: readonly string[]): string {
  return `[${objects.join(',')}]`
}

/**
 * Inserts many rows of a brand with one bind parameter: the rows as a JSON array, unpacked by
 * jsonb_to_recordset with the table's own column types. PostgreSQL plans this far faster than a
 * VALUES list of thousands of parameters (measured: the row upsert and the outbox insert were
 * three quarters of an ingest batch's time).
 */
async function insertRows(
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

/** A table's column types as SQL (numeric(14,2), timestamp with time zone, ...), read once. */
async function columnTypes(tx: AnyTransaction, table: string): Promise<Map<string, string>> {
  let types = typeCache.get(table)
  if (!types) {
    const result = await sql<{ name: string; type: string }>`
      select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
      where attrelid = ${table}::regclass and attnum > 0 and not attisdropped`.execute(tx)
    types = new Map(result.rows.map((r) => [r.name, r.type]))
    typeCache.set(table, types)
  }
  return types
}

/** A stable hash of any JSON value (an API request): keys sorted, so their order does not matter. */
export function contentHash(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
