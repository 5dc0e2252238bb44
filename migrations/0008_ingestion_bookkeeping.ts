import { type Kysely, sql } from 'kysely'

// Ingestion bookkeeping, made cheaper per row (measured with bench/ingest.ts):
//
// - References are kept only while they wait: `waiting_references` replaces `entity_references`.
//   A stored reference whose target exists is resolved by definition, so resolving is a delete of
//   the waiting rows, where it was an update of a row per reference and every transaction also
//   stored its already-resolved references.
// - The bookkeeping rows (waiting references, change events, transaction line items) are written
//   only by the ingestion engine, in the same transaction as the entity row they belong to, and
//   that row keeps its foreign key to brands. Their own foreign-key checks cost a trigger call per
//   row (5 µs each, a quarter of the database time of a transactions file), so they go.
// - Change events are ordered by their ids (UUID version 7, time-ordered), so the index on
//   (created_at, id) goes: it was half the cost of writing an event.
// - Change events name the entity (type and id) and carry no copy of its content: the webhooks
//   read the entity when they deliver. The copy was most of the cost of writing an event, and it
//   would have kept a deleted customer's personal data in the outbox.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('waiting_references')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('waiting_since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('waiting_references_pkey', ['brand_id', 'source_type', 'source_id', 'field'])
    .execute()
  await db.schema
    .createIndex('waiting_references_target_idx')
    .on('waiting_references')
    .columns(['brand_id', 'target_type', 'target_id'])
    .execute()
  await sql`
    insert into waiting_references (brand_id, source_type, source_id, field, target_type, target_id, waiting_since)
    select brand_id, source_type, source_id, field, target_type, target_id, created_at
    from entity_references where resolved_at is null`.execute(db)
  await db.schema.dropTable('entity_references').execute()

  await db.schema.alterTable('outbox_events').dropConstraint('outbox_events_brand_id_fkey').execute()
  await db.schema.alterTable('transaction_items').dropConstraint('transaction_items_transaction_fkey').execute()
  await db.schema.dropIndex('outbox_events_created_idx').execute()
  await db.schema.alterTable('outbox_events').dropColumn('payload').execute()
}

// Going back restores the tables as 0004 made them, with the references that were waiting; those
// already resolved are not recorded here and are not brought back.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('outbox_events')
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute()
  await db.schema.createIndex('outbox_events_created_idx').on('outbox_events').columns(['created_at', 'id']).execute()
  await db.schema
    .alterTable('transaction_items')
    .addForeignKeyConstraint('transaction_items_transaction_fkey', ['brand_id', 'transaction_id'], 'transactions', [
      'brand_id',
      'id',
    ])
    .onDelete('cascade')
    .execute()
  await db.schema
    .alterTable('outbox_events')
    .addForeignKeyConstraint('outbox_events_brand_id_fkey', ['brand_id'], 'brands', ['id'])
    .execute()

  await db.schema
    .createTable('entity_references')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull().references('brands.id'))
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .addPrimaryKeyConstraint('entity_references_pkey', ['brand_id', 'source_type', 'source_id', 'field', 'target_id'])
    .execute()
  await sql`
    create index entity_references_waiting_idx on entity_references (brand_id, target_type, target_id)
    where resolved_at is null`.execute(db)
  await sql`
    insert into entity_references (brand_id, source_type, source_id, field, target_type, target_id, created_at)
    select brand_id, source_type, source_id, field, target_type, target_id, waiting_since from waiting_references`.execute(
    db,
  )
  await db.schema.dropTable('waiting_references').execute()
}
