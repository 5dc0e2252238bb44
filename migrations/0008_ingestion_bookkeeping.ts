import { type Kysely, sql } from 'kysely'

// The ingestion engine's bookkeeping rows (references, change events, transaction line items) are
// written only by the engine, in the same transaction as the entity row they belong to, and the
// entity row itself keeps its foreign key to brands. Their own foreign-key checks cost a trigger
// call per row (measured: 5 µs per row, a quarter of the database time of a transactions file), so
// they go.
//
// Deleting a customer erases the payloads of its earlier change events too; this partial index
// finds them (customer events only, so other entities' events do not pay for it).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('entity_references').dropConstraint('entity_references_brand_id_fkey').execute()
  await db.schema.alterTable('outbox_events').dropConstraint('outbox_events_brand_id_fkey').execute()
  await db.schema.alterTable('transaction_items').dropConstraint('transaction_items_transaction_fkey').execute()
  await db.schema
    .createIndex('outbox_events_customer_idx')
    .on('outbox_events')
    .columns(['brand_id', 'entity_id'])
    .where(sql.ref('entity_type'), '=', 'customers')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('outbox_events_customer_idx').execute()
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
    .alterTable('entity_references')
    .addForeignKeyConstraint('entity_references_brand_id_fkey', ['brand_id'], 'brands', ['id'])
    .execute()
}
