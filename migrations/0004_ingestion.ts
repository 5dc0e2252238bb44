import { type Kysely, sql } from 'kysely'

// Ingestion bookkeeping: a content hash per entity (to tell "unchanged" from "updated"), every
// reference between entities with its resolution state, and the outbox of change events.

const entityTables = ['customers', 'customer_events', 'transactions', 'products', 'groups', 'outlets']

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of entityTables) {
    await db.schema.alterTable(table).addColumn('content_hash', 'text').execute()
  }
  // Events too carry the source's modification time, like every other entity.
  await db.schema.alterTable('customer_events').addColumn('source_updated_at', 'timestamptz').execute()

  // One row per reference a stored entity makes (a transaction's customer_id, a line item's sku).
  // resolved_at is null while the referenced entity has not arrived.
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

  await db.schema
    .createTable('outbox_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull().references('brands.id'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('outbox_events_created_idx').on('outbox_events').columns(['created_at', 'id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbox_events').execute()
  await db.schema.dropTable('entity_references').execute()
  await db.schema.alterTable('customer_events').dropColumn('source_updated_at').execute()
  for (const table of entityTables) {
    await db.schema.alterTable(table).dropColumn('content_hash').execute()
  }
}
