import { type Kysely, sql } from 'kysely'
import { touchTrigger } from './0001_brands_and_entities.ts'

// Webhook delivery. The fan-out moves each outbox event that some webhook wants into
// webhook_messages (the event and, once rendered, the exact body every attempt sends) and makes one
// webhook_deliveries row per matching webhook: the delivery's state and schedule. Each HTTP attempt
// is a webhook_attempts row with the request as sent (secrets masked) and the response.
//
// A delivery is due when next_attempt_at has passed and no live lease holds it. A worker leases
// due rows for lease seconds (longer than an attempt's 10 s), so a dead worker's deliveries are
// due again when its leases run out; lease_token fences a worker whose lease ran out from
// overwriting the next worker's result.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_messages')
    .addColumn('event_id', 'uuid', (c) => c.primaryKey())
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('erased_at', 'timestamptz')
    .execute()
  await db.schema
    .createIndex('webhook_messages_entity_idx')
    .on('webhook_messages')
    .columns(['brand_id', 'entity_type', 'entity_id'])
    .execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('webhook_id', 'uuid', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', 'uuid', (c) => c.notNull().references('webhook_messages.event_id').onDelete('cascade'))
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_attempt_at', 'timestamptz')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('succeeded_at', 'timestamptz')
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('lease_token', 'uuid')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('webhook_deliveries_pkey', ['webhook_id', 'event_id'])
    .execute()
  await touchTrigger(db, 'webhook_deliveries')
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'next_attempt_at'])
    .where(sql.ref('next_attempt_at'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_leased_idx')
    .on('webhook_deliveries')
    .column('webhook_id')
    .where(sql.ref('lease_expires_at'), 'is not', null)
    .execute()

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('webhook_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('succeeded', 'boolean', (c) => c.notNull())
    .addColumn('request', 'jsonb', (c) => c.notNull())
    .addColumn('response', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addForeignKeyConstraint(
      'webhook_attempts_delivery_fkey',
      ['webhook_id', 'event_id'],
      'webhook_deliveries',
      ['webhook_id', 'event_id'],
      (c) => c.onDelete('cascade'),
    )
    .execute()
  await db.schema
    .createIndex('webhook_attempts_delivery_idx')
    .on('webhook_attempts')
    .columns(['webhook_id', 'event_id', 'started_at'])
    .execute()

  // Secret rotation keeps the previous secret signing beside the new one until it expires;
  // failing_since is the first failure after the last success (5 days of it disable the webhook).
  await db.schema
    .alterTable('webhooks')
    .addColumn('previous_signing_secret', 'text')
    .addColumn('previous_secret_expires_at', 'timestamptz')
    .addColumn('failing_since', 'timestamptz')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('webhooks')
    .dropColumn('previous_signing_secret')
    .dropColumn('previous_secret_expires_at')
    .dropColumn('failing_since')
    .execute()
  await db.schema.dropTable('webhook_attempts').execute()
  await db.schema.dropTable('webhook_deliveries').execute()
  await db.schema.dropTable('webhook_messages').execute()
}
