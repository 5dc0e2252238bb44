import { type Kysely, sql } from 'kysely'

// Optional HMAC request signing: a key can require signed requests; the secret that verifies them
// is stored (signatures cannot be checked against a hash), and every accepted signature is kept
// for a while so that a replayed request is refused.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('signing_secret', 'text').execute()
  await db.schema
    .createTable('request_signatures')
    .addColumn('signature', 'text', (c) => c.primaryKey())
    .addColumn('seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('request_signatures_seen_idx').on('request_signatures').column('seen_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('request_signatures').execute()
  await db.schema.alterTable('api_keys').dropColumn('signing_secret').execute()
}
