import { type CreateTableBuilder, type Kysely, sql } from 'kysely'

// Entities are keyed by (brand_id, id), where id is the external id the brand sends.
// Ids use the "C" collation: byte order is the same on every server and locale, which keeps
// export files byte-identical across re-runs and machines, and makes sorting cheap.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function flex_touch_updated_at() returns trigger language plpgsql as $$
    begin
      -- An UPDATE that does not set updated_at itself gets the current time, so every change
      -- lands in the export window of the day it happened.
      if new.updated_at is not distinct from old.updated_at then
        new.updated_at := now();
      end if;
      return new;
    end $$
  `.execute(db)

  await db.schema
    .createTable('brands')
    .addColumn('id', sql`text collate "C"`, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('customers')
    .$call(brandKey)
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('birth_date', 'date')
    .addColumn('email_consent', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('sms_consent', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('attributes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('source_updated_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .$call(timestamps)
    .execute()

  await db.schema
    .createTable('products')
    .$call(brandKey)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('price', 'numeric(14, 2)')
    .addColumn('currency', 'char(3)')
    .addColumn('attributes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('source_updated_at', 'timestamptz')
    .$call(timestamps)
    .execute()

  await db.schema
    .createTable('groups')
    .$call(brandKey)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('national', 'regional', 'custom')`))
    .addColumn('parent_group_id', sql`text collate "C"`)
    .addColumn('source_updated_at', 'timestamptz')
    .$call(timestamps)
    .execute()

  await db.schema
    .createTable('outlets')
    .$call(brandKey)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('group_id', sql`text collate "C"`)
    .addColumn('address', 'text')
    .addColumn('city', 'text')
    .addColumn('country', 'char(2)')
    .addColumn('source_updated_at', 'timestamptz')
    .$call(timestamps)
    .execute()

  await db.schema
    .createTable('transactions')
    .$call(brandKey)
    .addColumn('customer_id', sql`text collate "C"`)
    .addColumn('outlet_id', sql`text collate "C"`)
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('total_amount', 'numeric(14, 2)', (c) => c.notNull())
    .addColumn('source_updated_at', 'timestamptz')
    .$call(timestamps)
    .execute()

  await db.schema
    .createTable('transaction_items')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('transaction_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('sku', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('quantity', 'numeric(12, 3)', (c) => c.notNull().check(sql`quantity >= 0`))
    .addColumn('unit_price', 'numeric(14, 2)', (c) => c.notNull())
    .addColumn('amount', 'numeric(14, 2)', (c) => c.notNull())
    .addPrimaryKeyConstraint('transaction_items_pkey', ['brand_id', 'transaction_id', 'line_no'])
    .addForeignKeyConstraint(
      'transaction_items_transaction_fkey',
      ['brand_id', 'transaction_id'],
      'transactions',
      ['brand_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()

  await db.schema
    .createTable('customer_events')
    .$call(brandKey)
    .addColumn('customer_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .$call(timestamps)
    .execute()

  for (const table of ['brands', 'customers', 'products', 'groups', 'outlets', 'transactions', 'customer_events']) {
    await touchTrigger(db, table)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'customer_events',
    'transaction_items',
    'transactions',
    'outlets',
    'groups',
    'products',
    'customers',
    'brands',
  ]) {
    await db.schema.dropTable(table).execute()
  }
  await sql`drop function flex_touch_updated_at()`.execute(db)
}

// Migrations use Kysely<any>: they run against the schema as it was then, not today's table types.
type TableBuilder = CreateTableBuilder<string, any>

/** (brand_id, id) primary key, brand_id referencing brands. */
export function brandKey(t: TableBuilder): TableBuilder {
  return t
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull().references('brands.id'))
    .addColumn('id', sql`text collate "C"`, (c) => c.notNull())
    .addPrimaryKeyConstraint(`${tableName(t)}_pkey`, ['brand_id', 'id'])
}

export function timestamps(t: TableBuilder): TableBuilder {
  return t
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
}

export async function touchTrigger(db: Kysely<any>, table: string): Promise<void> {
  await sql`
    create trigger ${sql.id(`${table}_touch_updated_at`)} before update on ${sql.table(table)}
    for each row execute function flex_touch_updated_at()
  `.execute(db)
}

function tableName(t: TableBuilder): string {
  return t.toOperationNode().table.table.identifier.name
}
