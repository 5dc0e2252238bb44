import { type Kysely, sql } from 'kysely'

// The console's sign-in sessions: an API key presented once at /console/sign-in is exchanged for a
// random session token kept in an HttpOnly cookie. Only the token's SHA-256 is stored (like the
// keys'), with the CSRF token its forms carry and an absolute expiry. Revoking the key ends its
// sessions: the row goes with the key.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('console_sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('api_key_id', 'uuid', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('console_sessions_expires_at').on('console_sessions').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('console_sessions').execute()
}
