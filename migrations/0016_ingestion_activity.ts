import { type Kysely, sql } from 'kysely'

// What ingestion did, kept for the console and GET /v1/{brandId}/ingestion/...:
//
// - ingestion_counts: records per brand, UTC hour, entity type and outcome, added to by every
//   stored batch in its own transaction (so a rolled-back batch counts nothing and a replayed
//   idempotent one counts once). Buckets older than a week are trimmed by the brand's next batch.
// - ingestion_rejections: the newest rejected records of each brand, at most a fixed number
//   (src/ingest/rejection-log.ts), as a ring: `seq` counts a brand's rejections and `slot` is seq
//   modulo the log's size, so a new rejection overwrites the oldest in place and the table never
//   holds more than that many rows per brand; no delete, no trimming job. Only the record's id and
//   its errors (field, rule, message) are kept, never the record: it may carry personal data.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ingestion_counts')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('hour', 'timestamptz', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ingestion_counts_pkey', ['brand_id', 'hour', 'entity_type', 'outcome'])
    .execute()

  await db.schema
    .createTable('ingestion_rejections')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('slot', 'integer', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('api', 'file')`))
    .addColumn('errors', 'jsonb', (c) => c.notNull())
    .addColumn('error_count', 'integer', (c) => c.notNull())
    .addColumn('rejected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('ingestion_rejections_pkey', ['brand_id', 'slot'])
    .execute()
  // Newest first, and the next seq (max); with the entity type, the filtered pages.
  await db.schema
    .createIndex('ingestion_rejections_seq_idx')
    .on('ingestion_rejections')
    .columns(['brand_id', 'seq'])
    .unique()
    .execute()
  await db.schema
    .createIndex('ingestion_rejections_entity_idx')
    .on('ingestion_rejections')
    .columns(['brand_id', 'entity_type', 'seq'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ingestion_rejections').execute()
  await db.schema.dropTable('ingestion_counts').execute()
}
