import { type Kysely, sql } from 'kysely'
import { brandKey, timestamps, touchTrigger } from './0001_brands_and_entities.ts'

// The campaign data the daily exports read. Every table carries updated_at (kept by the
// flex_touch_updated_at trigger) and an index on (brand_id, updated_at): a day's export selects
// the rows created or changed in that day's window.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .$call(brandKey)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'sms', 'push')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('draft', 'scheduled', 'running', 'completed', 'cancelled')`),
    )
    .addColumn('subject', 'text')
    .addColumn('scheduled_at', 'timestamptz')
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('budget', 'numeric(14, 2)')
    .addColumn('currency', 'char(3)')
    .$call(timestamps)
    .execute()

  // One row per customer a campaign addressed on a channel, updated as the message progresses.
  await db.schema
    .createTable('campaign_messages')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('campaign_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('customer_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'sms', 'push')`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .check(sql`status in ('queued', 'sent', 'delivered', 'opened', 'clicked', 'converted', 'bounced', 'failed')`),
    )
    .addColumn('sent_at', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('opened_at', 'timestamptz')
    .addColumn('clicked_at', 'timestamptz')
    .addColumn('converted_at', 'timestamptz')
    .addColumn('attributed_revenue', 'numeric(14, 2)')
    .addColumn('currency', 'char(3)')
    .$call(timestamps)
    .addPrimaryKeyConstraint('campaign_messages_pkey', ['brand_id', 'campaign_id', 'customer_id', 'channel'])
    .addForeignKeyConstraint('campaign_messages_campaign_fkey', ['brand_id', 'campaign_id'], 'campaigns', [
      'brand_id',
      'id',
    ])
    .execute()

  await db.schema
    .createTable('campaign_skus')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('campaign_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('sku', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('featured', 'discounted', 'recommended')`))
    .addColumn('discount_percent', 'numeric(5, 2)')
    .$call(timestamps)
    .addPrimaryKeyConstraint('campaign_skus_pkey', ['brand_id', 'campaign_id', 'sku'])
    .addForeignKeyConstraint('campaign_skus_campaign_fkey', ['brand_id', 'campaign_id'], 'campaigns', [
      'brand_id',
      'id',
    ])
    .execute()

  await db.schema
    .createTable('opt_outs')
    .$call(brandKey)
    .addColumn('customer_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'sms', 'push', 'all')`))
    .addColumn('opted_out_at', 'timestamptz', (c) => c.notNull())
    .addColumn('source', 'text', (c) =>
      c.notNull().check(sql`source in ('unsubscribe_link', 'sms_stop', 'preference_center', 'support', 'import')`),
    )
    .addColumn('campaign_id', sql`text collate "C"`)
    .$call(timestamps)
    .execute()

  await db.schema
    .createTable('links')
    .$call(brandKey)
    .addColumn('campaign_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .$call(timestamps)
    .addForeignKeyConstraint('links_campaign_fkey', ['brand_id', 'campaign_id'], 'campaigns', ['brand_id', 'id'])
    .execute()

  await db.schema
    .createTable('link_daily_stats')
    .addColumn('brand_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('link_id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('stat_date', 'date', (c) => c.notNull())
    .addColumn('clicks', 'integer', (c) => c.notNull().check(sql`clicks >= 0`))
    .addColumn('unique_clicks', 'integer', (c) => c.notNull().check(sql`unique_clicks >= 0`))
    .$call(timestamps)
    .addPrimaryKeyConstraint('link_daily_stats_pkey', ['brand_id', 'link_id', 'stat_date'])
    .addForeignKeyConstraint('link_daily_stats_link_fkey', ['brand_id', 'link_id'], 'links', ['brand_id', 'id'])
    .execute()

  for (const table of ['campaigns', 'campaign_messages', 'campaign_skus', 'opt_outs', 'links', 'link_daily_stats']) {
    await touchTrigger(db, table)
    await db.schema.createIndex(`${table}_brand_updated_idx`).on(table).columns(['brand_id', 'updated_at']).execute()
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['link_daily_stats', 'links', 'opt_outs', 'campaign_skus', 'campaign_messages', 'campaigns']) {
    await db.schema.dropTable(table).execute()
  }
}
