import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/database.ts'

export interface WaitingReferences {
  brand_id: string
  source_type: string
  target_type: string
  waiting: number
  oldest_since: Date
  /** Seconds since the oldest of them started waiting. */
  oldest_age_seconds: number
}

/**
 * References still waiting for their entity, by brand, referring type and referenced type, with
 * how many and since when. They are never dropped or expired: this is where they show.
 */
export async function waitingReferences(db: Kysely<Database>, brandId?: string): Promise<WaitingReferences[]> {
  let query = db
    .selectFrom('waiting_references')
    .select([
      'brand_id',
      'source_type',
      'target_type',
      sql<string>`count(*)`.as('waiting'),
      sql<Date>`min(waiting_since)`.as('oldest_since'),
      sql<number>`floor(extract(epoch from now() - min(waiting_since)))::int`.as('oldest_age_seconds'),
    ])
    .groupBy(['brand_id', 'source_type', 'target_type'])
    .orderBy('brand_id')
    .orderBy('source_type')
    .orderBy('target_type')
  if (brandId !== undefined) query = query.where('brand_id', '=', brandId)
  const rows = await query.execute()
  return rows.map((r) => ({ ...r, waiting: Number(r.waiting) }))
}
