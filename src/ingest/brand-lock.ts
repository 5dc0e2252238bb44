import { sql, type Transaction } from 'kysely'
import type { Database } from '../db/database.ts'

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
