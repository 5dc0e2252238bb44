import { type Kysely, sql } from 'kysely'

// The delivery log as people read it (the console and GET .../events, .../health, .../activity):
// one webhook's deliveries newest first, filtered by time, status and event type, with a million
// events in the table. Filtering through the join to webhook_messages cannot use one index for
// the webhook, the time and the order at once, so each delivery keeps its event's type and time
// (both fixed once the event exists) and the indexes below serve each filter:
//   log:        (webhook, time, id) - the list in order, any time range, keyset pages
//   type:       (webhook, type, time, id) - a type or a prefix (collate "C": a prefix is a range)
//   unfinished: the not-yet-succeeded ones - the failure and pending filters and bulk retry
//   erased:     the few erased messages - bulk retry leaves them out
//   backlog:    the pending ones by age - health's oldest pending
// and the attempts by time (activity charts, the last error) without reading each delivery's.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('webhook_deliveries')
    .addColumn('event_type', sql`text collate "C"`)
    .addColumn('occurred_at', 'timestamptz')
    .execute()
  await sql`
    update webhook_deliveries d set event_type = m.event_type, occurred_at = m.occurred_at
    from webhook_messages m where m.event_id = d.event_id
  `.execute(db)
  await db.schema
    .alterTable('webhook_deliveries')
    .alterColumn('event_type', (c) => c.setNotNull())
    .alterColumn('occurred_at', (c) => c.setNotNull())
    .execute()

  // The included columns let health's 24-hour counts and the status filters read the index alone.
  await sql`
    create index webhook_deliveries_log_idx on webhook_deliveries (webhook_id, occurred_at, event_id)
    include (succeeded_at, attempts, event_type)
  `.execute(db)
  await db.schema
    .createIndex('webhook_deliveries_type_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'event_type', 'occurred_at', 'event_id'])
    .execute()
  await sql`
    create index webhook_deliveries_unfinished_idx on webhook_deliveries (webhook_id, occurred_at, event_id)
    include (attempts, event_type, next_attempt_at) where succeeded_at is null
  `.execute(db)
  // Erased messages are few: bulk retry leaves them out with a probe of this small index.
  await db.schema
    .createIndex('webhook_messages_erased_idx')
    .on('webhook_messages')
    .column('event_id')
    .where(sql.ref('erased_at'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_backlog_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'created_at'])
    .where(sql.ref('next_attempt_at'), 'is not', null)
    .execute()
  await sql`
    create index webhook_attempts_time_idx on webhook_attempts (webhook_id, started_at)
    include (succeeded, duration_ms)
  `.execute(db)
  await db.schema
    .createIndex('webhook_attempts_failed_idx')
    .on('webhook_attempts')
    .columns(['webhook_id', 'started_at'])
    .where(sql.ref('succeeded'), '=', false)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_attempts_failed_idx').execute()
  await db.schema.dropIndex('webhook_attempts_time_idx').execute()
  await db.schema.dropIndex('webhook_deliveries_backlog_idx').execute()
  await db.schema.dropIndex('webhook_messages_erased_idx').execute()
  await db.schema.dropIndex('webhook_deliveries_unfinished_idx').execute()
  await db.schema.dropIndex('webhook_deliveries_type_idx').execute()
  await db.schema.dropIndex('webhook_deliveries_log_idx').execute()
  await db.schema.alterTable('webhook_deliveries').dropColumn('event_type').dropColumn('occurred_at').execute()
}
