import { type Kysely, sql } from 'kysely'

// A run's progress, kept in its row while it runs, so that a run started over HTTP can be followed
// (GET /v1/{brand}/exports/runs/{id}) from any process: the files it will write, the files and rows
// written so far, and when it last reported. progress_at is also how a run whose process died is
// told from a slow one (failAbandonedRuns). Runs recorded before this migration have no files_total
// and report their end (or start) as their last progress.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('export_runs')
    .addColumn('files_total', 'integer')
    .addColumn('files_written', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('progress_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db
    .updateTable('export_runs')
    .set({
      progress_at: sql`coalesce(ended_at, started_at)`,
      files_written: sql`case when status = 'succeeded' then files else 0 end`,
      rows_written: sql`case when status = 'succeeded' then rows else 0 end`,
    })
    .execute()
  // The runs still marked running: few, and looked at on every check for abandoned runs.
  await db.schema
    .createIndex('export_runs_running_idx')
    .on('export_runs')
    .column('brand_id')
    .where(sql.ref('status'), '=', 'running')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('export_runs_running_idx').execute()
  await db.schema
    .alterTable('export_runs')
    .dropColumn('files_total')
    .dropColumn('files_written')
    .dropColumn('rows_written')
    .dropColumn('progress_at')
    .execute()
}
