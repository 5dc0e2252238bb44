import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import type { EntityType } from './entity-types.ts'
import { type RuleBreach, storableText } from './record-outcome.ts'

/** Rejected records kept per brand: the newest this many. */
export const rejectionLogSize = 1_000

/** Where a rejected record came from: the HTTP API, or a bulk file (flex ingest). */
export const rejectionSources = ['api', 'file'] as const
export type RejectionSource = (typeof rejectionSources)[number]

// What is kept of a record: its id and its errors, each cut to a length that reads well on a page.
// An id or a field name can be anything a rejected record sent (a megabyte-long key), and a
// record can break a thousand rules; the first few say why it bounced.
const errorsKept = 10
const idKept = 200
const fieldKept = 200
const messageKept = 500

/** A rejected record as the log takes it: no index (a file's unreadable line has none). */
export interface RejectedRecord {
  id?: string
  errors: readonly RuleBreach[]
}

/** A kept rejection, as the API answers it. */
export interface LoggedRejection {
  /** The brand's count of rejections at this one: newer ones have larger ids. */
  id: number
  entity_type: EntityType
  record_id: string | null
  source: RejectionSource
  rejected_at: Date
  /** The first errors of the record (at most 10). */
  errors: RuleBreach[]
  error_count: number
}

/**
 * Keeps a batch's rejected records in the brand's log, newest winning: each takes the slot of the
 * brand's rejection `rejectionLogSize` before it (migration 0016), so the log never grows past
 * that. Runs in the batch's transaction, under the brand's ingest lock: the next number (max seq)
 * cannot race with another batch of the brand.
 */
export async function logRejections(
  trx: Transaction<Database>,
  brandId: string,
  entityType: EntityType,
  source: RejectionSource,
  rejected: readonly RejectedRecord[],
): Promise<void> {
  // More than the log holds: only the newest fit, and one statement may not write a slot twice.
  const kept = rejected.slice(-rejectionLogSize)
  if (kept.length === 0) return
  const rows = kept.map((record, i) => ({
    n: i + 1,
    record_id: record.id === undefined ? null : cut(record.id, idKept),
    errors: record.errors
      .slice(0, errorsKept)
      .map((e) => ({ field: cut(e.field, fieldKept), rule: e.rule, message: cut(e.message, messageKept) })),
    error_count: record.errors.length,
  }))
  await sql`
    with last as (
      select coalesce(max(seq), 0) as seq from ingestion_rejections where brand_id = ${brandId}
    )
    insert into ingestion_rejections
      (brand_id, slot, seq, entity_type, record_id, source, errors, error_count, rejected_at)
    select ${brandId}, ((last.seq + v.n) % ${rejectionLogSize})::int, last.seq + v.n, ${entityType}, v.record_id,
      ${source}, v.errors, v.error_count, now()
    from last, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(n int, record_id text, errors jsonb, error_count int)
    on conflict (brand_id, slot) do update set
      seq = excluded.seq, entity_type = excluded.entity_type, record_id = excluded.record_id,
      source = excluded.source, errors = excluded.errors, error_count = excluded.error_count,
      rejected_at = excluded.rejected_at`.execute(trx)
}

/** A page of the log: at most `size`, newest first, older than `startId`, of one entity type. */
export interface RejectionPageQuery {
  size: number
  startId?: number | undefined
  entity?: EntityType | undefined
}

/**
 * A page of the brand's kept rejections, newest first, by keyset: `lastId` is the startId of the
 * next (older) page, null on the last one.
 */
export async function rejectionPage(
  db: Kysely<Database>,
  brandId: string,
  query: RejectionPageQuery,
): Promise<{ rejections: LoggedRejection[]; lastId: number | null }> {
  let select = db
    .selectFrom('ingestion_rejections')
    .select(['seq', 'entity_type', 'record_id', 'source', 'rejected_at', 'errors', 'error_count'])
    .where('brand_id', '=', brandId)
    .orderBy('seq', 'desc')
    .limit(query.size + 1)
  if (query.startId !== undefined) select = select.where('seq', '<', String(query.startId))
  if (query.entity !== undefined) select = select.where('entity_type', '=', query.entity)
  const rows = await select.execute()
  const page = rows.slice(0, query.size).map(({ seq, entity_type, errors, ...row }) => ({
    id: Number(seq),
    entity_type: entity_type as EntityType,
    ...row,
    errors: errors as RuleBreach[],
  }))
  const last = page.at(-1)
  return { rejections: page, lastId: rows.length > query.size && last ? last.id : null }
}

function cut(text: string, length: number): string {
  return storableText(text.length > length ? `${text.slice(0, length)}…` : text)
}
