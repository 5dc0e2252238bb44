import { type Kysely, sql } from 'kysely'

// Operator keys: a key that belongs to no brand and may act for every brand (the people who run the
// platform). A key is either a brand's or an operator's, never both nor neither. Going down deletes
// the operator keys, as a brand-less key has no place in the older table.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .alterColumn('brand_id', (c) => c.dropNotNull())
    .addColumn('operator', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()
  await db.schema
    .alterTable('api_keys')
    .addCheckConstraint('api_keys_scope_check', sql`(brand_id is not null) <> operator`)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('api_keys').where('operator', '=', true).execute()
  await db.schema.alterTable('api_keys').dropConstraint('api_keys_scope_check').execute()
  await db.schema
    .alterTable('api_keys')
    .dropColumn('operator')
    .alterColumn('brand_id', (c) => c.setNotNull())
    .execute()
}
