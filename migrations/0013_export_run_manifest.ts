import { type Kysely, sql } from 'kysely'

// A succeeded run keeps the manifest it wrote, and the manifest's path: EXPORTS.DAILY.COMPLETED
// names the run, and its delivery renders the day's files, rows and checksums from here, without
// reading the bucket. Runs that succeeded before this migration have none (their days sent no
// event). Both or neither, and only on a succeeded run.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('export_runs').addColumn('manifest_path', 'text').addColumn('manifest', 'jsonb').execute()
  await db.schema
    .alterTable('export_runs')
    .addCheckConstraint(
      'export_runs_manifest_check',
      sql`(manifest is null) = (manifest_path is null) and (manifest is null or status = 'succeeded')`,
    )
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('export_runs').dropColumn('manifest').dropColumn('manifest_path').execute()
}
