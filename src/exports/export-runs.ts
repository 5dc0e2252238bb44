import { type Kysely, type Selectable, sql } from 'kysely'
import type { Database, ExportRunsTable } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import { uuidPattern } from '../uuid-pattern.ts'
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

/** The columns of a run as listed and answered: all but the manifest. */
const runColumns = [
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
  'files_total',
  'files_written',
  'rows_written',
  'progress_at',
] as const

// The run history is written outside the export's own (read-only) transaction and connection, so
// it also works on the embedded database, whose pool holds a single connection.

export async function startRun(
  db: Kysely<Database>,
  run: {
    id: string
    brandId: string
    date: string
    trigger: ExportTrigger
    destination: string
    at: Date
    /** The files the run will write. */
    filesTotal?: number
  },
): Promise<ExportRun> {
  return db
    .insertInto('export_runs')
    .values({
      id: run.id,
      brand_id: run.brandId,
      date: run.date,
      status: 'running',
      trigger: run.trigger,
      destination: run.destination,
      started_at: run.at,
      progress_at: run.at,
      files_total: run.filesTotal ?? null,
    })
    .returning(runColumns)
    .executeTakeFirstOrThrow()
}

export interface RunProgress {
  filesWritten: number
  rowsWritten: number
}

/** A running run's progress so far, and that its process was alive at `at`. */
export async function recordProgress(db: Kysely<Database>, id: string, at: Date, progress: RunProgress): Promise<void> {
  await db
    .updateTable('export_runs')
    .set({ files_written: progress.filesWritten, rows_written: progress.rowsWritten, progress_at: at })
    .where('id', '=', id)
    .where('status', '=', 'running')
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
          files_written: outcome.files,
          rows_written: outcome.rows,
        }
  await db
    .updateTable('export_runs')
    .set({ ...values, ended_at: at, progress_at: at })
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
  let query = db.selectFrom('export_runs').select(runColumns).orderBy('started_at', 'desc').orderBy('id')
  if (filter.brandId !== undefined) query = query.where('brand_id', '=', filter.brandId)
  if (filter.date !== undefined) query = query.where('date', '=', filter.date)
  if (filter.failedOnly) query = query.where('status', '=', 'failed')
  return query.limit(filter.limit ?? 100).execute()
}

/**
 * The advisory lock a brand-day's export holds for its whole run (exportDay), on its own
 * connection: PostgreSQL releases it when that connection ends, so a process that died holds none.
 */
export const exportLockClass = 'flex:export'
export function exportLockKey(brandId: string, date: string): string {
  return `${brandId}/${date}`
}

/**
 * How long a running run may go without reporting progress while its brand-day's lock is free
 * before it counts as abandoned. The lock is the truth; the grace covers the moments a live run
 * holds no lock: after its row is written and before it takes the lock, and after it commits
 * and before it records its end (milliseconds both).
 */
export const abandonedAfterMs = 60_000

export const abandonedRunError =
  'abandoned: the process running this export stopped (it crashed or was killed) before the export finished; ended_at is when it last reported progress. Export the day again.'

/**
 * Marks failed every run still marked running whose process is gone: no session holds its
 * brand-day's lock and it has not reported progress for abandonedAfterMs. Without this a run whose
 * process died (a crash, a kill, a lost machine) would stay running forever: its row is written
 * running at the start and only the process itself writes its end. Its end is its last progress.
 * Returns the ids of the runs it marked. Called before a run is started over HTTP, before the
 * answers that show runs, and on every scheduler tick.
 */
export async function failAbandonedRuns(
  db: Kysely<Database>,
  now: Date,
  scope: { brandId?: string } = {},
): Promise<string[]> {
  const seenBefore = new Date(now.getTime() - abandonedAfterMs)
  // The lock's two keys as exportDay takes them (hashtext of exportLockClass and exportLockKey);
  // pg_locks shows an int4 key as the oid of the same bits.
  const result = await sql<{ id: string }>`
    update export_runs r
       set status = 'failed', ended_at = r.progress_at, error = ${abandonedRunError}
     where r.status = 'running'
       and r.progress_at < ${seenBefore}
       ${scope.brandId === undefined ? sql`` : sql`and r.brand_id = ${scope.brandId}`}
       and not exists (
         select 1 from pg_locks l
          where l.locktype = 'advisory' and l.granted and l.objsubid = 2
            and l.database = (select oid from pg_database where datname = current_database())
            and l.classid = hashtext(${exportLockClass})::oid
            and l.objid = hashtext(r.brand_id || '/' || to_char(r.date, 'YYYY-MM-DD'))::oid)
    returning r.id`.execute(db)
  return result.rows.map((row) => row.id)
}

/** One run of the brand, or undefined when the brand has no run of that id. */
export async function findRun(db: Kysely<Database>, brandId: string, id: string): Promise<ExportRun | undefined> {
  return db
    .selectFrom('export_runs')
    .select(runColumns)
    .where('id', '=', id)
    .where('brand_id', '=', brandId)
    .executeTakeFirst()
}

/**
 * A run of the brand as it stands now, for GET .../exports/runs/{id} and the console's progress
 * view: a run whose process died is marked failed first. 404 NOT_FOUND when the brand has no run
 * of that id (or the id is no UUID).
 */
export async function readExportRun(db: Kysely<Database>, brandId: string, id: string, now: Date): Promise<ExportRun> {
  if (uuidPattern.test(id)) {
    await failAbandonedRuns(db, now, { brandId })
    const run = await findRun(db, brandId, id.toLowerCase())
    if (run) return run
  }
  throw new FlexError('NOT_FOUND', `brand ${brandId} has no export run ${id}; its days list its runs`)
}

/** The newest run of the brand-day still marked running, if any. */
export async function findRunningRun(
  db: Kysely<Database>,
  brandId: string,
  date: string,
): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('export_runs')
    .select('id')
    .where('brand_id', '=', brandId)
    .where('date', '=', date)
    .where('status', '=', 'running')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Whether the brand-day's current manifest (its latest successful run's) is gzipped; undefined without one. */
export async function dayIsGzipped(db: Kysely<Database>, brandId: string, date: string): Promise<boolean | undefined> {
  const latest = await db
    .selectFrom('export_runs')
    .select(sql<boolean | null>`(manifest->>'gzip')::boolean`.as('gzip'))
    .where('brand_id', '=', brandId)
    .where('date', '=', date)
    .where('status', '=', 'succeeded')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return latest?.gzip ?? undefined
}
