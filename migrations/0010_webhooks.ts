import { type Kysely, sql } from 'kysely'
import { touchTrigger } from './0001_brands_and_entities.ts'

// Webhooks: a brand's HTTPS endpoint and the event types (or prefixes of types) it receives.
// `event_types` is stored sorted and without repeats, so "the same set in any order" is an equality
// and the unique constraint answers the API's 409. The signing secret is kept in clear: the
// delivery worker signs with it (Standard Webhooks), so a hash would not do.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull().references('brands.id'))
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('event_types', sql`text[]`, (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('signing_secret', 'text', (c) => c.notNull())
    .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('disabled_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('webhooks_brand_endpoint_events_key', ['brand_id', 'endpoint', 'event_types'])
    .execute()
  // Any change (the API's enable/disable, the delivery worker's disabling later) moves updated_at.
  await touchTrigger(db, 'webhooks')
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhooks').execute()
}
