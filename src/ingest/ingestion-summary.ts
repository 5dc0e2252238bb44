import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import type { EntityType } from './entity-types.ts'
import { ingestionCounts, type OutcomeCounts } from './ingestion-counts.ts'
import { type WaitingReferences, waitingReferences } from './reference-status.ts'

/** Hour buckets a summary adds up: the current one and the 23 before it. */
export const summaryHours = 24

const hourMs = 3_600_000

/** What a brand's ingestion did over the last 24 hours, and what still waits. */
export interface IngestionSummary {
  /** The start of the first hour counted (UTC, on the hour). */
  from: Date
  to: Date
  /** Records by entity type (every type, in the registry's order) and outcome. */
  counts: ({ entity_type: EntityType } & OutcomeCounts)[]
  waiting: Omit<WaitingReferences, 'brand_id'>[]
}

/**
 * The brand's records by entity type and outcome over the last 24 hours (whole UTC hours: the
 * current one and the 23 before it), and its references still waiting, by type, with the oldest.
 */
export async function ingestionSummary(db: Kysely<Database>, brandId: string, now: Date): Promise<IngestionSummary> {
  const from = new Date(Math.floor(now.getTime() / hourMs) * hourMs - (summaryHours - 1) * hourMs)
  const [counts, waiting] = await Promise.all([ingestionCounts(db, brandId, from, now), waitingReferences(db, brandId)])
  return { from, to: now, counts, waiting: waiting.map(({ brand_id: _brand, ...rest }) => rest) }
}
