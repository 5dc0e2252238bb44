import { type Kysely, sql } from 'kysely'

// Events that a brand's upstream systems publish (POST /v1/{brandId}/events): order management,
// carrier tracking, point of sale, SMS gateway. The caller's own event id is the key, per brand, so
// a retried publish finds its event and is answered as a duplicate instead of being delivered
// twice. `data` is kept as sent (after its type's check): the outbox names the row, and delivery
// renders the body from it. jsonb equality (key order and spacing aside, numbers by value) is what
// "the same event again" means.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('published_events')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull().references('brands.id'))
    .addColumn('event_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('published_events_pkey', ['brand_id', 'event_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('published_events').execute()
}
