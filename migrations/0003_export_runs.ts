import { type Kysely, sql } from 'kysely'

// One row per attempt to export a brand-day, for `flex runs`, the scheduler's retries and audits.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('export_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull().references('brands.id'))
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('manual', 'schedule', 'backfill')`))
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('files', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rows', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('quarantined_rows', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ended_at', 'timestamptz')
    .addColumn('error', 'text')
    .execute()
  await db.schema.createIndex('export_runs_brand_date_idx').on('export_runs').columns(['brand_id', 'date']).execute()
  await db.schema.createIndex('export_runs_started_idx').on('export_runs').column('started_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('export_runs').execute()
}
