import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { appendOutboxEvents } from '../outbox/append-outbox-events.ts'
import { type AnyTransaction, deleteEach, eachRow, insertRows, jsonArray } from './batch-sql.ts'
import { lockBrandForIngest } from './brand-lock.ts'
import { deletedContentHash } from './content-hash.ts'
import { earlierOutcomes, type Idempotency, rememberOutcomes } from './idempotency.ts'
import { countOutcomes, tallyOutcomes } from './ingestion-counts.ts'
import type { PreparedBatch, PreparedRecord } from './prepare-batch.ts'
import {
  type RecordOutcome,
  type Rejection,
  rejectedOutcome,
  type StoredOutcome,
  storableText,
} from './record-outcome.ts'
import { logRejections, type RejectedRecord, type RejectionSource } from './rejection-log.ts'
import { compareSourceTimes } from './source-time.ts'

export interface StoreOptions {
  /** Where the records came from, as the rejection log records it. */
  source: RejectionSource
  idempotency?: Idempotency | undefined
  /** Lines of a file that were no records at all: logged and counted as rejected with the batch. */
  unreadable?: readonly RejectedRecord[]
}

/**
 * Stores a prepared batch in one transaction, optionally under an idempotency key. The rules are
 * those ingestRecords describes; classify below decides each record. The same transaction adds
 * the outcomes to the brand's hourly counts and its rejected records to the brand's rejection log
 * (a replayed batch adds nothing: it was counted the first time).
 */
export async function storeBatch(
  db: Kysely<Database>,
  brandId: string,
  batch: PreparedBatch,
  options: StoreOptions,
): Promise<{ outcomes: RecordOutcome[]; replayed: boolean }> {
  const nothing = batch.records.length === 0 && batch.rejected.length === 0 && !options.unreadable?.length
  if (nothing && options.idempotency === undefined) return { outcomes: [], replayed: false }
  try {
    return await storeInTransaction(db, brandId, batch, options, false)
  } catch (error) {
    // Validation rejects what the database is known to refuse; should it refuse a record anyway,
    // the batch is stored again, isolating the records it refuses (nothing of the first attempt
    // was kept). The happy path pays nothing for this.
    if (!isRefusedData(error)) throw error
    return storeInTransaction(db, brandId, batch, options, true)
  }
}

async function storeInTransaction(
  db: Kysely<Database>,
  brandId: string,
  batch: PreparedBatch,
  options: StoreOptions,
  isolateRefusals: boolean,
): Promise<{ outcomes: RecordOutcome[]; replayed: boolean }> {
  const { entity, records } = batch
  const { idempotency, unreadable = [] } = options
  const rejections: Rejection[] = [...batch.rejected]
  const outcomes: RecordOutcome[] = []
  return db.transaction().execute(async (trx) => {
    const tx = trx as unknown as AnyTransaction
    await lockBrandForIngest(tx, brandId)
    if (idempotency) {
      const earlier = await earlierOutcomes(trx, brandId, idempotency)
      if (earlier) return { outcomes: earlier, replayed: true }
    }
    if (records.length > 0) {
      const { rows: stored } = await sql<StoredVersion>`
        select m.id, m.source_ms, m.source_micros, m.content_hash
        from ${eachRow(
          entity.table,
          brandId,
          'id',
          records.map((r) => r.id),
          sql`t.id, floor(extract(epoch from t.source_updated_at) * 1000)::float8 as source_ms,
            extract(microseconds from t.source_updated_at)::int % 1000 as source_micros, t.content_hash`,
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
        if (reason === undefined) outcomes.push({ index, id, outcome: change.outcome })
        else {
          rejections.push({
            index,
            id,
            errors: [
              {
                field: '(record)',
                rule: 'refused_by_database',
                message: `the database refused this record: ${storableText(reason)}`,
              },
            ],
          })
        }
      }
    }
    const sorted = sortByIndex([...outcomes, ...rejections.map(rejectedOutcome)])
    if (idempotency) await rememberOutcomes(trx, brandId, idempotency, sorted)
    const counts = tallyOutcomes(sorted)
    counts.rejected += unreadable.length
    await countOutcomes(trx, brandId, entity.type, counts)
    await logRejections(trx, brandId, entity.type, options.source, [...unreadable, ...sortByIndex(rejections)])
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
 * with the database's reason). k refused records of n cost about 2k log2(n) extra attempts. The
 * first call starts with the halves: the whole set has just been refused.
 */
async function writeIsolatingRefusals(
  tx: AnyTransaction,
  brandId: string,
  batch: PreparedBatch,
  changed: Changed[],
  refused: Map<Changed, string>,
  knownRefused = true,
): Promise<void> {
  if (knownRefused && changed.length > 1) {
    const half = Math.ceil(changed.length / 2)
    await writeIsolatingRefusals(tx, brandId, batch, changed.slice(0, half), refused, false)
    await writeIsolatingRefusals(tx, brandId, batch, changed.slice(half), refused, false)
    return
  }
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
  await writeIsolatingRefusals(tx, brandId, batch, changed, refused, true)
}

function sortByIndex<T extends { index: number }>(items: T[]): T[] {
  return items.sort((a, b) => a.index - b.index)
}

/** A stored row's version: its source time as a SourceTime's two parts (null: none recorded). */
interface StoredVersion {
  id: string
  source_ms: number | null
  source_micros: number | null
  content_hash: string | null
}

function classify(existing: StoredVersion | undefined, record: PreparedRecord): StoredOutcome {
  if (!existing) return 'created'
  if (existing.content_hash === deletedContentHash) return 'stale'
  if (existing.source_ms === null) return 'updated'
  const order = compareSourceTimes(record.updatedAt, { ms: existing.source_ms, micros: existing.source_micros ?? 0 })
  if (order > 0) return 'updated'
  if (order < 0) return 'stale'
  if (record.hash === existing.content_hash) return 'unchanged'
  return record.hash > (existing.content_hash ?? '') ? 'updated' : 'stale'
}

interface Changed {
  record: PreparedRecord
  outcome: Extract<StoredOutcome, 'created' | 'updated'>
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

  await appendOutboxEvents(
    tx,
    brandId,
    changed.map(({ record, outcome }) => ({
      eventType: `${entity.eventPrefix}.${outcome === 'created' ? 'CREATED' : 'UPDATED'}`,
      entityType: entity.type,
      entityId: record.id,
    })),
  )

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
