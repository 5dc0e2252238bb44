import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import { type EntityType, entityTypes } from './entity-types.ts'
import { type OutcomeName, recordOutcomes } from './record-outcome.ts'

/** How long hour buckets are kept: a brand's next batch drops its older ones. */
export const countsKeptDays = 7

/** Records of one entity type by outcome. */
export type OutcomeCounts = Record<OutcomeName, number>

/**
 * Adds a batch's outcomes to the brand's counts of the current UTC hour, in the batch's
 * transaction (a batch that rolls back counts nothing), and drops the brand's buckets older than
 * countsKeptDays. Two statements' worth of work in one round trip; buckets are few per brand.
 */
export async function countOutcomes(
  trx: Transaction<Database>,
  brandId: string,
  entityType: EntityType,
  counts: Partial<OutcomeCounts>,
): Promise<void> {
  const outcomes = recordOutcomes.filter((o) => (counts[o] ?? 0) > 0)
  if (outcomes.length === 0) return
  await sql`
    with trimmed as (
      delete from ingestion_counts
      where brand_id = ${brandId} and hour < now() - make_interval(days => ${countsKeptDays})
    )
    insert into ingestion_counts as c (brand_id, hour, entity_type, outcome, records)
    select ${brandId}, date_trunc('hour', now(), 'UTC'), ${entityType}, o.outcome, o.records
    from unnest(${outcomes}::text[], ${outcomes.map((o) => counts[o] ?? 0)}::bigint[]) as o(outcome, records)
    on conflict (brand_id, hour, entity_type, outcome) do update set records = c.records + excluded.records`.execute(
    trx,
  )
}

/** The outcomes of a list, counted. */
export function tallyOutcomes(outcomes: readonly { outcome: OutcomeName }[]): OutcomeCounts {
  const counts = Object.fromEntries(recordOutcomes.map((o) => [o, 0])) as OutcomeCounts
  for (const { outcome } of outcomes) counts[outcome]++
  return counts
}

/** The brand's records per entity type and outcome in the hour buckets from `from` to `to`, every type listed. */
export async function ingestionCounts(
  db: Kysely<Database>,
  brandId: string,
  from: Date,
  to: Date,
): Promise<({ entity_type: EntityType } & OutcomeCounts)[]> {
  const rows = await db
    .selectFrom('ingestion_counts')
    .select(['entity_type', 'outcome', sql<string>`sum(records)`.as('records')])
    .where('brand_id', '=', brandId)
    .where('hour', '>=', from)
    .where('hour', '<=', to)
    .groupBy(['entity_type', 'outcome'])
    .execute()
  return entityTypes.map((type) => {
    const counts = tallyOutcomes([])
    for (const row of rows) {
      if (row.entity_type === type && (recordOutcomes as readonly string[]).includes(row.outcome)) {
        counts[row.outcome as OutcomeName] = Number(row.records)
      }
    }
    return { entity_type: type, ...counts }
  })
}
