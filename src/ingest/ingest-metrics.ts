import type { EntityType } from './entity-types.ts'
import type { OutcomeName, RecordOutcome } from './record-outcome.ts'

// What ingestion tells monitoring: records by entity type and outcome. The ingest paths (the HTTP
// API's batches, bulk files) are handed a sink of this shape (src/metrics implements it with
// prom-client); without one they record nothing.

export interface IngestMetrics {
  /** `count` records of `entity` ended with `outcome`. */
  recordsIngested(entity: EntityType, outcome: OutcomeName, count: number): void
}

/**
 * Records a stored batch's outcomes, plus `unreadable` lines of a file that never became records
 * (they are rejected too). A replayed batch (an idempotency key seen before) is not recorded
 * again: nothing was ingested.
 */
export function countIngestedRecords(
  metrics: IngestMetrics | undefined,
  entity: EntityType,
  outcomes: readonly RecordOutcome[],
  unreadable = 0,
): void {
  if (!metrics) return
  const counts = new Map<OutcomeName, number>()
  for (const { outcome } of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  if (unreadable > 0) counts.set('rejected', (counts.get('rejected') ?? 0) + unreadable)
  for (const [outcome, count] of counts) metrics.recordsIngested(entity, outcome, count)
}
