import { type Kysely, sql } from 'kysely'

// The age of the oldest pending webhook delivery (GET /metrics' flex_webhook_delivery_oldest_pending_age_seconds,
// the backlog alert) as one index probe instead of a pass over every pending row: with 10,000
// pending deliveries a scrape took 38 ms (median) without it and 14 ms with it
// (bench/metrics-scrape.ts, docs/operations.md).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index webhook_deliveries_pending_created_at on webhook_deliveries (created_at)
            where next_attempt_at is not null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_pending_created_at').execute()
}
