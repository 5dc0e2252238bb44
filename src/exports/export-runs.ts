import type { Kysely, Selectable } from 'kysely'
import type { Database, ExportRunsTable } from '../db/database.ts'
import type { Manifest } from './manifest.ts'

/** A run as listed: its manifest stays in the table (readCompletedExports reads it). */
export type ExportRun = Omit<Selectable<ExportRunsTable>, 'manifest'>
export type ExportTrigger = ExportRunsTable['trigger']

export interface RunOutcome {
  files: number
  rows: number
  bytes: number
  quarantinedRows: number
  /** The manifest written, and its path: kept with the run for EXPORTS.DAILY.COMPLETED. */
  manifest: Manifest
  manifestPath: string
}

// The run history is written outside the export's own (read-only) transaction and connection, so
// it also works on the embedded database, whose pool holds a single connection.

export async function startRun(
  db: Kysely<Database>,
  run: { id: string; brandId: string; date: string; trigger: ExportTrigger; destination: string; at: Date },
): Promise<void> {
  await db
    .insertInto('export_runs')
    .values({
      id: run.id,
      brand_id: run.brandId,
      date: run.date,
      status: 'running',
      trigger: run.trigger,
      destination: run.destination,
      started_at: run.at,
    })
    .execute()
}

/** The change event of a successful run: the brand-day's manifest is written (docs/webhooks.md). */
export const exportCompletedEventType = 'EXPORTS.DAILY.COMPLETED'

export async function finishRun(
  db: Kysely<Database>,
  id: string,
  at: Date,
  outcome: RunOutcome | { error: string },
): Promise<void> {
  const values =
    'error' in outcome
      ? { status: 'failed' as const, error: outcome.error }
      : {
          status: 'succeeded' as const,
          files: outcome.files,
          rows: outcome.rows,
          bytes: outcome.bytes,
          quarantined_rows: outcome.quarantinedRows,
          manifest: JSON.stringify(outcome.manifest),
          manifest_path: outcome.manifestPath,
        }
  await db
    .updateTable('export_runs')
    .set({ ...values, ended_at: at })
    .where('id', '=', id)
    .execute()
}

export interface RunFilter {
  brandId?: string | undefined
  date?: string | undefined
  failedOnly?: boolean
  limit?: number
}

/** Newest first. */
export async function listRuns(db: Kysely<Database>, filter: RunFilter = {}): Promise<ExportRun[]> {
  let query = db
    .selectFrom('export_runs')
    .select([
      'id',
      'brand_id',
      'date',
      'status',
      'trigger',
      'destination',
      'files',
      'rows',
      'bytes',
      'quarantined_rows',
      'started_at',
      'ended_at',
      'error',
      'manifest_path',
    ])
    .orderBy('started_at', 'desc')
    .orderBy('id')
  if (filter.brandId !== undefined) query = query.where('brand_id', '=', filter.brandId)
  if (filter.date !== undefined) query = query.where('date', '=', filter.date)
  if (filter.failedOnly) query = query.where('status', '=', 'failed')
  return query.limit(filter.limit ?? 100).execute()
}
