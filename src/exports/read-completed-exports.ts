import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { Database } from '../db/database.ts'
import { type ExportCompletedData, exportCompletedEventData, manifestSummary } from './export-completed-data.ts'

// Export run ids are UUIDs, which PostgreSQL writes in lower case; an outbox event's entity id is
// text. Anything else names no run, and must not reach the uuid comparison, where PostgreSQL
// would refuse the whole batch.
const runIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The EXPORTS.DAILY.COMPLETED data of succeeded runs, by run id, from the manifest each run kept:
 * one query for any number of runs, and no read of the destination. Runs that failed, are still
 * running, do not exist, or succeeded before runs kept their manifest (migration 0013) are absent.
 */
export async function readCompletedExports(
  db: Kysely<Database>,
  runIds: readonly string[],
): Promise<Map<string, ExportCompletedData>> {
  const ids = [...new Set(runIds)].filter((id) => runIdPattern.test(id))
  const completed = new Map<string, ExportCompletedData>()
  if (ids.length === 0) return completed
  const rows = await db
    .selectFrom('export_runs')
    .select(['id', 'manifest', 'manifest_path'])
    .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
    .where('status', '=', 'succeeded')
    // The table's check constraint keeps a manifest and its path together.
    .where('manifest_path', 'is not', null)
    .$narrowType<{ manifest_path: string }>()
    .execute()
  for (const row of rows) {
    const kept = manifestSummary.safeParse(row.manifest)
    if (!kept.success) {
      throw new Error(`export run ${row.id} kept a manifest that is not one: ${z.prettifyError(kept.error)}`, {
        cause: kept.error,
      })
    }
    completed.set(row.id, exportCompletedEventData(kept.data, row.manifest_path))
  }
  return completed
}
