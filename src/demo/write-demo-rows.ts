import { type Insertable, type Kysely, sql } from 'kysely'
import { upsertBrand } from '../brands/brand-repository.ts'
import type {
  CampaignMessagesTable,
  CampaignSkusTable,
  CampaignsTable,
  CustomersTable,
  Database,
  GroupsTable,
  LinkDailyStatsTable,
  LinksTable,
  OptOutsTable,
  OutletsTable,
  ProductsTable,
} from '../db/database.ts'
import type { BrandProfile } from './brand-profiles.ts'

// Writing one brand's generated rows: batched upserts that leave unchanged rows untouched.

/** One brand's rows, built in memory before anything is written. */
export interface BrandData {
  profile: BrandProfile
  customers: Insertable<CustomersTable>[]
  products: Insertable<ProductsTable>[]
  groups: Insertable<GroupsTable>[]
  outlets: Insertable<OutletsTable>[]
  campaigns: Insertable<CampaignsTable>[]
  campaignSkus: Insertable<CampaignSkusTable>[]
  links: Insertable<LinksTable>[]
  messages: Insertable<CampaignMessagesTable>[]
  optOuts: Insertable<OptOutsTable>[]
  linkStats: Insertable<LinkDailyStatsTable>[]
}

export async function writeBrandData(db: Kysely<Database>, data: BrandData): Promise<void> {
  await upsertBrand(db, { id: data.profile.id, name: data.profile.name, timezone: data.profile.timezone })
  const entityKey = ['brand_id', 'id'] as const
  await upsertRows(db, 'customers', entityKey, data.customers)
  await upsertRows(db, 'products', entityKey, data.products)
  await upsertRows(db, 'groups', entityKey, data.groups)
  await upsertRows(db, 'outlets', entityKey, data.outlets)
  await upsertRows(db, 'campaigns', entityKey, data.campaigns)
  await upsertRows(db, 'campaign_skus', ['brand_id', 'campaign_id', 'sku'], data.campaignSkus)
  await upsertRows(db, 'links', entityKey, data.links)
  await upsertRows(db, 'campaign_messages', ['brand_id', 'campaign_id', 'customer_id', 'channel'], data.messages)
  await upsertRows(db, 'opt_outs', entityKey, data.optOuts)
  await upsertRows(db, 'link_daily_stats', ['brand_id', 'link_id', 'stat_date'], data.linkStats)
}

/** PostgreSQL allows 65,535 bind parameters per statement; stay clear of it. */
const maxParameters = 60_000

type TableName = keyof Database & string

// Kysely cannot type an insert into a table picked by a type parameter, so the writer works on
// an untyped view of the same connection; callers still hand in rows typed for their table.
type UntypedDatabase = Record<string, Record<string, unknown>>

/**
 * Inserts rows in batches; a row that exists is rewritten only when a value differs. That guard
 * matters: the touch trigger sets updated_at to now() whenever an UPDATE leaves it unchanged, so
 * rewriting an identical row, even with updated_at = excluded.updated_at, would move it to now().
 * created_at is never rewritten, as its column type says.
 */
async function upsertRows<T extends TableName>(
  db: Kysely<Database>,
  table: T,
  key: readonly (keyof Database[T] & string)[],
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const first = rows[0]
  if (first === undefined) return
  const columns = Object.keys(first)
  const changing = columns.filter((c) => !(key as readonly string[]).includes(c) && c !== 'created_at')
  const refs = (relation: string) => sql.join(changing.map((c) => sql.ref(`${relation}.${c}`)))
  const untyped = db as unknown as Kysely<UntypedDatabase>
  const perStatement = Math.floor(maxParameters / columns.length)
  for (let start = 0; start < rows.length; start += perStatement) {
    await untyped
      .insertInto(table as string)
      .values(rows.slice(start, start + perStatement) as Record<string, unknown>[])
      .onConflict((oc) =>
        oc
          .columns(key)
          .doUpdateSet(Object.fromEntries(changing.map((c) => [c, sql.ref(`excluded.${c}`)])))
          .where(sql<boolean>`(${refs(table)}) is distinct from (${refs('excluded')})`),
      )
      .execute()
  }
}
