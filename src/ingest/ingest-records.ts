import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import type { EntityDefinition } from './entity-definition.ts'
import type { Idempotency } from './idempotency.ts'
import { countIngestedRecords, type IngestMetrics } from './ingest-metrics.ts'
import { prepareBatch } from './prepare-batch.ts'
import type { RecordOutcome } from './record-outcome.ts'
import { storeBatch } from './store-batch.ts'

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
 * outbox. The outcomes are added to the brand's hourly counts and its rejected records to its
 * rejection log (ingestion-counts.ts, rejection-log.ts). Ingests of one brand take turns under an advisory lock, so two concurrent, overlapping
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

/**
 * ingestRecords (the API's records: the rejection log names them so), optionally under an
 * idempotency key: the first batch with a key stores its
 * outcomes in the same transaction; a later one with the same key and request gets them back
 * (replayed) without ingesting again, even while the first is still running (it waits for it).
 * With `metrics`, the outcomes of a batch ingested (not replayed) are counted once it committed.
 */
export async function ingestBatch(
  db: Kysely<Database>,
  brandId: string,
  entity: EntityDefinition,
  input: readonly unknown[],
  idempotency?: Idempotency,
  metrics?: IngestMetrics,
): Promise<{ outcomes: RecordOutcome[]; replayed: boolean }> {
  const batch = await storeBatch(db, brandId, await prepareBatch(entity, input), { source: 'api', idempotency })
  if (!batch.replayed) countIngestedRecords(metrics, entity.type, batch.outcomes)
  return batch
}
